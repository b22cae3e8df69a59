// SPDX-License-Identifier: MIT
/*
 * benchrun — time a command, run after run, where no Python runs: inside the
 * emulated RISC-V host, whose userland is busybox (scripts/bench_riscv64.py
 * cross-builds this statically and runs it there).
 *
 *   benchrun LABEL RUNS [--until TEXT] -- COMMAND [ARG...]
 *
 * Runs COMMAND RUNS times, its stdout read through a pipe (and thrown
 * away), stdin /dev/null, stderr kept. For each run it prints
 *
 *   LABEL RUN wall_ms=W until_ms=U status=S maxrss_kib=K
 *
 * W: from fork to the command's exit; U: from fork to the first time TEXT
 * appeared on its stdout (-1 without --until or if it never did); S: its
 * exit status (128 + signal if killed); K: its peak resident set (wait4).
 * Exit status 0, or 2 on a usage error, 1 if a run could not be started.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read the child's stdout to its end; note when `until` first shows up (it may straddle reads). */
static double drain(int fd, const char *until, double start)
{
	char buf[4096], tail[256] = "";
	size_t keep = until ? strlen(until) : 0;
	double seen = -1;
	ssize_t n;

	if (keep >= sizeof(tail))
		keep = sizeof(tail) - 1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!until || seen >= 0)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			size_t len = strlen(tail);

			if (len == keep) {
				memmove(tail, tail + 1, len);
				len--;
			}
			tail[len] = buf[i];
			tail[len + 1] = '\0';
			if (strcmp(tail, until) == 0) {
				seen = now_ms() - start;
				break;
			}
		}
	}
	return seen;
}

int main(int argc, char **argv)
{
	const char *label, *until = NULL;
	int runs, a = 3;

	if (argc < 5)
		goto usage;
	label = argv[1];
	runs = atoi(argv[2]);
	if (a + 1 < argc && strcmp(argv[a], "--until") == 0) {
		until = argv[a + 1];
		a += 2;
	}
	if (runs < 1 || strcmp(argv[a], "--") != 0 || a + 1 >= argc || (until && !*until))
		goto usage;
	for (int r = 1; r <= runs; r++) {
		int out[2], status;
		struct rusage ru;
		double start, seen, wall;
		pid_t pid;

		if (pipe(out) < 0)
			return perror("benchrun: pipe"), 1;
		start = now_ms();
		pid = fork();
		if (pid < 0)
			return perror("benchrun: fork"), 1;
		if (pid == 0) {
			int null = open("/dev/null", O_RDONLY);

			dup2(null, 0);
			dup2(out[1], 1);
			close(out[0]);
			close(out[1]);
			execvp(argv[a + 1], argv + a + 1);
			fprintf(stderr, "benchrun: %s: %s\n", argv[a + 1], strerror(errno));
			_exit(127);
		}
		close(out[1]);
		seen = drain(out[0], until, start);
		close(out[0]);
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				return perror("benchrun: wait4"), 1;
		wall = now_ms() - start;
		printf("%s %d wall_ms=%.1f until_ms=%.1f status=%d maxrss_kib=%ld\n", label, r, wall, seen,
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ru.ru_maxrss);
		fflush(stdout);
	}
	return 0;
usage:
	fprintf(stderr, "usage: benchrun LABEL RUNS [--until TEXT] -- COMMAND [ARG...]\n");
	return 2;
}
