/* SPDX-License-Identifier: MIT */
/*
 * --share DIR[,tag=TAG][,rw]: host directories the guest mounts over
 * virtio-9p (src/dev/virtio_9p.c serves them; docs/p9.md). An option
 * module (options.h): the option, its check before /dev/kvm is opened
 * (each DIR a directory we can open, tags distinct), and at setup the
 * descriptor limit the 9p servers need (src/p9/p9.h: two fds per fid).
 */
#include "options.h"
#include "error.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A tag is the mount's source in the guest: a plain word. */
static bool tag_ok(const char *tag, size_t len)
{
	if (len == 0 || len > SHARE_TAG_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = tag[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* One option after DIR (len bytes at s): tag=TAG, rw or ro. */
static int share_option(struct share *sh, const char *s, size_t len, const char *arg)
{
	if (len > 4 && !strncmp(s, "tag=", 4)) {
		if (!tag_ok(s + 4, len - 4))
			return err_set(EXIT_USAGE, "bad tag in --share '%s' (1 to %d of A-Z a-z 0-9 _ . -)",
				       arg, SHARE_TAG_MAX);
		memcpy(sh->tag, s + 4, len - 4);
		sh->tag[len - 4] = 0;
	} else if (len == 2 && !strncmp(s, "rw", 2)) {
		sh->writable = true;
	} else if (len == 2 && !strncmp(s, "ro", 2)) {
		sh->writable = false;
	} else {
		return err_set(EXIT_USAGE, "bad --share '%s' (DIR[,tag=TAG][,rw])", arg);
	}
	return 0;
}

static enum option_status opt_share(struct vm_config *cfg, const char *arg, FILE *out)
{
	struct share *sh;
	const char *comma = strchr(arg, ',');
	size_t dlen = comma ? (size_t)(comma - arg) : strlen(arg);

	(void)out;
	if (cfg->nshares == MAX_SHARES) {
		err_set(EXIT_USAGE, "too many --share options (at most %d)", MAX_SHARES);
		return OPTION_FAILED;
	}
	if (dlen == 0 || dlen >= sizeof(sh->dir)) {
		err_set(EXIT_USAGE, "bad --share '%s' (DIR[,tag=TAG][,rw])", arg);
		return OPTION_FAILED;
	}
	sh = &cfg->shares[cfg->nshares];
	memset(sh, 0, sizeof(*sh));
	memcpy(sh->dir, arg, dlen);
	while (comma) {
		const char *s = comma + 1, *next = strchr(s, ',');
		size_t len = next ? (size_t)(next - s) : strlen(s);

		if (share_option(sh, s, len, arg) < 0)
			return OPTION_FAILED;
		comma = next;
	}
	cfg->nshares++;
	return OPTION_OK;
}

static const struct option_spec share_options[] = {
	{ "share", 0, true, HELP_MACHINE + 10,
	  "      --share DIR[,tag=TAG][,rw]\n"
	  "                         serve host directory DIR to the guest over virtio-9p\n"
	  "                         (a Linux guest: mount -t 9p -o trans=virtio TAG /mnt);\n"
	  "                         TAG is host, then host1, host2... unless given;\n"
	  "                         read-only unless rw; up to 4 (docs/p9.md)\n", opt_share },
	{ 0 },
};

/* Every DIR a directory we can open, every tag given and distinct: said before /dev/kvm is opened. */
static int share_finish(struct vm_config *cfg)
{
	for (int i = 0; i < cfg->nshares; i++) {
		struct share *sh = &cfg->shares[i];
		int fd;

		if (!sh->tag[0]) {
			if (i == 0)
				strcpy(sh->tag, "host");
			else
				snprintf(sh->tag, sizeof(sh->tag), "host%d", i);
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(cfg->shares[j].tag, sh->tag))
				return err_set(EXIT_USAGE, "--share: two shares have the tag '%s' (give "
					       "each its own: DIR,tag=NAME)", sh->tag);
		fd = open(sh->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return err_set(EXIT_USAGE, "--share: cannot open the directory '%s': %s", sh->dir,
				       strerror(errno));
		close(fd);
	}
	return 0;
}

/*
 * A 9p server holds up to two fds per guest fid (p9.h), 16384 fids by
 * default: the soft limit (often 1024) goes up to the hard one.
 */
static int share_setup(struct vm *vm)
{
	struct rlimit rl;

	if (vm->cfg->nshares && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* short of it the guest gets EMFILE, no worse */
	}
	return 0;
}

static const struct option_module share_module = {
	.options = share_options,
	.finish = share_finish,
	.setup = share_setup,
};
OPTION_MODULE(share_module);
