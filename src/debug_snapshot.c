/* SPDX-License-Identifier: MIT */
/*
 * The debugger's snapshot commands: monitor savevm NAME, loadvm NAME,
 * delvm NAME, info snapshots. The machine is stopped (gdb only sends
 * monitor commands then), so RAM and every vCPU hold still.
 *
 * Breakpoints: the RAM saved is the guest's own, without our patched
 * bytes (lifted for the copy, put back at once); after loadvm they are
 * written into the restored RAM again, as after monitor reset. gdb keeps
 * registers and memory it read in caches of its own, which no reply to a
 * monitor command can clear: after loadvm the user runs `flushregs` and
 * `maintenance flush dcache`, as the command's reply says (docs/gdb.md
 * has a gdb command that does all three).
 */
#include "debug_internal.h"
#include "error.h"
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "savevm NAME" -> NAME, or NULL if cmd is not verb (or has no argument: then *missing). */
static const char *argument(const char *cmd, const char *verb, bool *missing)
{
	size_t n = strlen(verb);

	if (strncmp(cmd, verb, n) != 0 || (cmd[n] && cmd[n] != ' '))
		return NULL;
	cmd += n;
	while (*cmd == ' ')
		cmd++;
	*missing = !*cmd;
	return cmd;
}

static int fail(struct gdb_console *out, const char *verb)
{
	gdb_console_printf(out, "%s failed: %s\n", verb, err_message());
	return -EIO;
}

static int savevm(struct debug *dbg, const char *name, struct gdb_console *out)
{
	int r;

	debug_lift_breakpoints(dbg);
	r = snapshot_store_save(&dbg->snaps, dbg->vm, name, dbg->vm->cfg->snapshot_dir);
	debug_reinsert_breakpoints(dbg);
	if (r < 0)
		return fail(out, "savevm");
	gdb_console_printf(out, "snapshot '%s' taken%s%s%s%s\n", name,
			   dbg->vm->cfg->snapshot_dir ? " and written to " : "",
			   dbg->vm->cfg->snapshot_dir ? dbg->vm->cfg->snapshot_dir : "",
			   dbg->vm->cfg->snapshot_dir ? "/" : "",
			   dbg->vm->cfg->snapshot_dir ? name : "");
	return 0;
}

static int loadvm(struct debug *dbg, const char *name, struct gdb_console *out)
{
	int r = snapshot_store_load(&dbg->snaps, dbg->vm, name);

	/* Even after a failure halfway: whatever RAM is there now gets our breakpoints. */
	debug_reinsert_breakpoints(dbg);
	debug_mark_all_dirty(dbg->vm);
	if (r < 0)
		return fail(out, "loadvm");
	gdb_console_printf(out, "snapshot '%s' loaded; now type `flushregs` and `maintenance flush "
			   "dcache` so that gdb forgets the registers and memory it has seen\n", name);
	return 0;
}

int debug_snapshot_monitor(struct debug *dbg, const char *cmd, struct gdb_console *out)
{
	const char *name;
	bool missing = false;
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	if (strcmp(cmd, "info snapshots") == 0) {
		f = open_memstream(&text, &size);
		if (!f)
			return -ENOMEM;
		snapshot_store_list(&dbg->snaps, f);
		fclose(f);
		gdb_console_write(out, text, size);
		free(text);
		return 0;
	}
	static const char *const verbs[] = { "savevm", "loadvm", "delvm" };
	for (unsigned i = 0; i < 3; i++) {
		name = argument(cmd, verbs[i], &missing);
		if (!name)
			continue;
		if (missing) {
			gdb_console_printf(out, "usage: monitor %s NAME\n", verbs[i]);
			return -EINVAL;
		}
		if (!dbg->vm->paused) {
			gdb_console_printf(out, "%s: the machine must be stopped\n", verbs[i]);
			return -EBUSY;
		}
		if (i == 0)
			return savevm(dbg, name, out);
		if (i == 1)
			return loadvm(dbg, name, out);
		if (snapshot_store_delete(&dbg->snaps, name, dbg->vm->cfg->snapshot_dir) < 0)
			return fail(out, "delvm");
		gdb_console_printf(out, "snapshot '%s' deleted\n", name);
		return 0;
	}
	return -ENOENT;
}
