/* SPDX-License-Identifier: MIT */
/*
 * The fid table: the guest's numbers for the files it holds. A fixed array
 * of hash buckets (a fid number is the guest's choice, any 32-bit value but
 * NOFID), a limit on how many fids live at once, and every fd a fid holds
 * closed when it goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p9/internal.h"

static unsigned bucket(uint32_t num)
{
	/* Linux numbers fids 0, 1, 2...: a multiplicative hash spreads them. */
	return (unsigned)((num * 2654435761u) >> 20) % P9_FID_BUCKETS;
}

struct p9_fid *p9_fid_get(struct p9_server *s, uint32_t num)
{
	for (struct p9_fid *f = s->fids[bucket(num)]; f; f = f->next)
		if (f->num == num)
			return f;
	return NULL;
}

struct p9_fid *p9_fid_node(struct p9_server *s, uint32_t num)
{
	struct p9_fid *f = p9_fid_get(s, num);

	return f && f->kind == P9_FID_NODE ? f : NULL;
}

int p9_fid_arg(struct p9_server *s, const struct p9_in *in, uint32_t num, struct p9_fid **fid)
{
	if (in->bad)
		return -EPROTO;
	*fid = p9_fid_node(s, num);
	return *fid ? 0 : -EBADF;
}

static void set_identity(struct p9_fid *f, const struct stat *st)
{
	f->dev = st ? st->st_dev : 0;
	f->ino = st ? st->st_ino : 0;
	f->mode = st ? st->st_mode & S_IFMT : 0;
}

int p9_fid_add(struct p9_server *s, uint32_t num, enum p9_fid_kind kind, int fd,
	       const char *path, const struct stat *st, struct p9_fid **out)
{
	struct p9_fid *f;
	int err = 0;

	if (num == P9_NOFID || p9_fid_get(s, num))
		err = -EEXIST;
	else if (s->nfids >= s->max_fids)
		err = -EMFILE;
	else if (!(f = calloc(1, sizeof(*f))) || !(f->path = strdup(path))) {
		if (f)
			free(f);
		err = -ENOMEM;
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	f->num = num;
	f->kind = kind;
	f->fd = fd;
	f->open_fd = -1;
	set_identity(f, st);
	f->next = s->fids[bucket(num)];
	s->fids[bucket(num)] = f;
	s->nfids++;
	if (out)
		*out = f;
	return 0;
}

int p9_fid_move(struct p9_fid *f, int fd, const char *path, const struct stat *st)
{
	char *copy = strdup(path);

	if (!copy) {
		close(fd);
		return -ENOMEM;
	}
	free(f->path);
	f->path = copy;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	if (f->open_fd >= 0)
		close(f->open_fd);
	f->open_fd = -1;
	set_identity(f, st);
	return 0;
}

void p9_fid_clunk(struct p9_server *s, struct p9_fid *fid)
{
	struct p9_fid **link = &s->fids[bucket(fid->num)];

	while (*link && *link != fid)
		link = &(*link)->next;
	if (*link)
		*link = fid->next;
	if (fid->fd >= 0)
		close(fid->fd);
	if (fid->open_fd >= 0)
		close(fid->open_fd);
	free(fid->path);
	free(fid);
	s->nfids--;
}

void p9_fid_clunk_all(struct p9_server *s)
{
	for (unsigned b = 0; b < P9_FID_BUCKETS; b++)
		while (s->fids[b])
			p9_fid_clunk(s, s->fids[b]);
}

void p9_fid_renamed(struct p9_server *s, const char *from, const char *to)
{
	size_t n = strlen(from), m = strlen(to);

	if (!n)
		return; /* the root is never renamed */
	for (unsigned b = 0; b < P9_FID_BUCKETS; b++) {
		for (struct p9_fid *f = s->fids[b]; f; f = f->next) {
			const char *rest = f->path + n;
			char *path;

			if (f->kind != P9_FID_NODE || strncmp(f->path, from, n) || (*rest && *rest != '/'))
				continue;
			path = malloc(m + strlen(rest) + 1);
			if (!path)
				continue; /* stays at the old path: its next reopen is ESTALE */
			memcpy(path, to, m);
			strcpy(path + m, rest);
			free(f->path);
			f->path = path;
		}
	}
}
