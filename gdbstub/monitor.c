/* SPDX-License-Identifier: MIT */
/*
 * Monitor commands: gdb's "monitor CMD" sends qRcmd,HEX(CMD).
 *
 * The reply may be preceded by any number of "O HEX(text)" console packets;
 * it ends with "OK" or with the last output as plain hex (GDB manual,
 * "qRcmd,command"). Output the target prints is collected in the scratch
 * buffer and sent as an O packet whenever it fills up, so a command can
 * print more than one packet holds. "help" is built in: it lists the
 * target's commands.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Raw text that fits in one O packet once hex-encoded, after the 'O'. */
#define CONSOLE_MAX ((GDB_PACKET_SIZE - 1) / 2)

struct gdb_console {
	struct gdb_server *s;
};

/* Send the output collected so far as one "O HEX(text)" packet; the command goes on. */
static void send_console_output(struct gdb_server *s)
{
	if (!s->console_len)
		return;
	rsp_buf_reset(&s->reply);
	rsp_putc(&s->reply, 'O');
	rsp_put_hex(&s->reply, s->scratch, s->console_len);
	rsp_send_packet(s, s->reply.data, s->reply.len);
	s->console_len = 0;
}

void gdb_console_write(struct gdb_console *out, const char *text, size_t len)
{
	struct gdb_server *s = out->s;

	if (!s->in_monitor)
		return;
	while (len) {
		size_t n = CONSOLE_MAX - s->console_len;

		if (n > len)
			n = len;
		memcpy(s->scratch + s->console_len, text, n);
		s->console_len += n;
		text += n;
		len -= n;
		if (s->console_len == CONSOLE_MAX)
			send_console_output(s);
	}
}

int gdb_monitor_number_arg(const char *arg, const char *usage, struct gdb_console *out,
			   uint64_t *value)
{
	char *end;

	while (*arg == ' ')
		arg++;
	errno = 0;
	*value = strtoull(arg, &end, 0);
	while (*end == ' ')
		end++;
	if (!*arg || *arg == '-' || errno || *end) {
		/* `monitor translate &var` reaches us as typed: say how to have gdb evaluate it. */
		if (*arg && !isdigit((unsigned char)*arg))
			gdb_console_printf(out, "usage: monitor %s (a number: gdb sends monitor arguments "
					   "as typed; for an expression, eval \"monitor %.*s %%#lx\", EXPR)\n",
					   usage, (int)strcspn(usage, " "), usage);
		else
			gdb_console_printf(out, "usage: monitor %s\n", usage);
		return -EINVAL;
	}
	return 0;
}

void gdb_console_printf(struct gdb_console *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1; /* long lines are cut; use gdb_console_write */
	gdb_console_write(out, line, (size_t)n);
}

static void print_help(struct gdb_server *s, struct gdb_console *out)
{
	const struct gdb_monitor_cmd *cmd;
	char usage[128];

	gdb_console_printf(out, "monitor commands:\n  %-24s %s\n", "help", "show this list");
	for (cmd = s->ops->monitor_cmds; cmd && cmd->name; cmd++) {
		snprintf(usage, sizeof(usage), "%s%s%s", cmd->name, cmd->args ? " " : "",
			 cmd->args ? cmd->args : "");
		gdb_console_printf(out, "  %-24s %s\n", usage, cmd->help ? cmd->help : "");
	}
}

/* The listed command that line starts with (whole words), longest first. */
static const struct gdb_monitor_cmd *lookup(const struct gdb_server *s, const char *line)
{
	const struct gdb_monitor_cmd *cmd, *best = NULL;

	for (cmd = s->ops->monitor_cmds; cmd && cmd->name; cmd++) {
		size_t n = strlen(cmd->name);

		if (strncmp(line, cmd->name, n) == 0 && (line[n] == '\0' || line[n] == ' ') &&
		    (!best || n > strlen(best->name)))
			best = cmd;
	}
	return best;
}

enum rsp_result rsp_cmd_monitor(struct gdb_server *s, struct rsp_cursor *args)
{
	struct gdb_console out = { s };
	size_t hexlen, n;
	char *line, *end;
	int err = 0;

	if (!s->ops->monitor)
		return RSP_REPLY;
	if (!rsp_eat(args, ','))
		return rsp_error(s, EINVAL);
	hexlen = rsp_cursor_left(args);
	/* Decode in place: byte i lands at i, after hex 2i and 2i+1 were read. */
	line = s->in + (args->p - s->in);
	n = hexlen / 2;
	if (hexlen % 2 || !rsp_hex_decode(args->p, n, (uint8_t *)line) || memchr(line, 0, n))
		return rsp_error(s, EINVAL);
	line[n] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		*--end = '\0';

	s->in_monitor = true;
	s->console_len = 0;
	if (!*line || strcmp(line, "help") == 0) {
		print_help(s, &out);
	} else if (!lookup(s, line)) {
		gdb_console_printf(&out, "unknown monitor command '%s'; try 'monitor help'\n", line);
	} else {
		err = s->ops->monitor(s->target, rsp_g_vcpu(s), line, &out);
		if (err < 0 && !s->console_len)
			gdb_console_printf(&out, "monitor %s: %s\n", line, strerror(-err));
	}
	s->in_monitor = false;
	/* The last piece of output is the reply itself (lowercase hex never
	 * reads as "OK", "O..." or "Exx"). */
	rsp_buf_reset(&s->reply);
	if (s->console_len)
		rsp_put_hex(&s->reply, s->scratch, s->console_len);
	else
		rsp_puts(&s->reply, "OK");
	s->console_len = 0;
	return RSP_REPLY;
}
