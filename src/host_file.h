/* SPDX-License-Identifier: MIT */
/*
 * Files minikvm writes on its host for a gdb client (monitor savevm with
 * --snapshot-dir, monitor dump-guest-memory with --dump-dir). Whoever can
 * connect to the gdb port chooses the name and the bytes, so such a file
 * goes only into a directory the user named on the command line, by a
 * plain name (no '/', not starting with '.'), through a temporary file
 * created there with O_EXCL|O_NOFOLLOW, mode 0600 (it holds guest memory),
 * then renamed over the name: never through a link someone planted, never
 * half written. docs/security.md says who may do what.
 */
#ifndef MINIKVM_HOST_FILE_H
#define MINIKVM_HOST_FILE_H

#include <stdbool.h>
#include <stdint.h>

#define HOST_FILE_NAME_MAX 127 /* room for a 63-letter snapshot name and its suffix */

/* 1-127 of [A-Za-z0-9_.-], not starting with '.': a name and never a path. */
bool host_file_name_ok(const char *name);
/* The directory an option names must be one we can write in; -1 with err_set() if not. */
int host_file_check_dir(const char *option, const char *dir);

/* Writes a fresh file's contents to fd; 0 or -errno. */
typedef int (*host_file_fill_fn)(int fd, void *ctx);

/*
 * Write dir/name: a temporary ".NAME.PID.tmp" in dir (O_CREAT|O_EXCL|
 * O_NOFOLLOW, 0600; another suffix if that name is taken), fill, fsync,
 * rename over dir/name, fsync dir. 0, or -errno with nothing left behind
 * and any older dir/name intact. -EINVAL: not a plain name.
 */
int host_file_write(const char *dir, const char *name, host_file_fill_fn fill, void *ctx);
/* Remove dir/name (a plain name); 0 if it is gone, else -errno. */
int host_file_remove(const char *dir, const char *name);
/* Bytes an unprivileged writer may still use in dir's file system, and its size; 0 or -errno. */
int host_file_space(const char *dir, uint64_t *avail, uint64_t *total);

#endif
