/* SPDX-License-Identifier: MIT */
/*
 * minikvm-init: PID 1 of a kernel booted by minikvm-run, the kernel loop.
 *
 * The kernel mounted the host's root over virtio-9p, read-only
 *   root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L ro
 * and runs this file from there (init=/path/of/minikvm-init: the guest sees
 * the host's files at the host's paths). It makes that root writable
 * without touching the host, runs the user's command or a shell, hands the
 * exit status back and powers off:
 *
 *   1. /run becomes a tmpfs; an overlay of the 9p root (lower, read-only)
 *      and a directory of that tmpfs (upper) is mounted at /run/minikvm-root:
 *      every write of the guest lands in guest RAM and is gone at power-off.
 *   2. pivot_root into the overlay; fresh proc, sysfs, devtmpfs, devpts,
 *      /dev/shm and /run (the host's /run is not the guest's; its /tmp is
 *      seen, under the overlay like the rest).
 *   3. The share tagged by minikvm.io= on the kernel command line (a 0700
 *      directory minikvm-run made on the host, mounted read-write) holds
 *      the orders, one file each:
 *        argv      the command, NUL-terminated words (empty: a login shell)
 *        env       NUL-terminated NAME=VALUE entries for it
 *        cwd       its working directory
 *        mounts    lines "TAG PATH": more shares (--rwdir) mounted at PATH
 *        winsize   "ROWS COLS" of the user's terminal
 *        tty       present when the user's side is a terminal
 *      and init writes back
 *        status    the command's exit status, "N\n" (128 + signal if killed)
 *   4. The command runs on the serial console, its own session leader with
 *      the console as controlling terminal (so Ctrl-C reaches it). Init
 *      reaps orphans meanwhile, as PID 1 must. When the command is done,
 *      whatever it left running gets SIGTERM then SIGKILL, the status is
 *      written, and the machine powers off (minikvm then exits 0).
 *
 * A failure of init itself prints "minikvm-init: WHAT: ERROR" and powers
 * off with no status file: minikvm-run reports that as its own error.
 *
 * Static, libc only: it must run before anything of the guest is set up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define NEWROOT   "/run/minikvm-root"
#define UPPER     "/run/minikvm-rw/upper"
#define WORK      "/run/minikvm-rw/work"
#define IO_DIR    "/run/minikvm"
#define NINEP_OPT "trans=virtio,version=9p2000.L,msize=512000"
#define MAX_FILE  (1u << 20)

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "minikvm-init: ");

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Only if the power-off failed: a PID 1 that returns panics the kernel. */
	say("power-off failed: %s", strerror(errno));
	for (;;)
		pause();
}

static void die(const char *what)
{
	say("%s: %s", what, strerror(errno));
	power_off();
}

static void must_mount(const char *src, const char *dst, const char *type, unsigned long flags,
		       const char *data)
{
	if (mount(src, dst, type, flags, data) != 0) {
		char what[256];

		snprintf(what, sizeof(what), "mount %s on %s (%s)", src, dst, type);
		die(what);
	}
}

static void must_mkdir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die(path);
}

/* The whole of a small file, NUL-terminated; NULL (errno set) if it is not there. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *bigger;

			if (cap >= MAX_FILE) {
				errno = EFBIG;
				break;
			}
			bigger = realloc(buf, cap * 2 + 1);
			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			close(fd);
			buf[n] = '\0';
			if (len)
				*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	close(fd);
	return NULL;
}

/* The value of NAME= on the kernel command line, into out; false if absent. */
static bool cmdline_param(const char *name, char *out, size_t cap)
{
	char *line = slurp("/proc/cmdline", NULL);
	size_t nlen = strlen(name);
	bool found = false;

	if (!line)
		return false;
	for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
		if (!strncmp(tok, name, nlen) && tok[nlen] == '=') {
			snprintf(out, cap, "%s", tok + nlen + 1);
			found = true;
		}
	}
	free(line);
	return found;
}

/* NUL-separated words of a file as a NULL-terminated vector (the buffer stays allocated). */
static char **words(const char *path, size_t *count)
{
	size_t len = 0, n = 0, k = 0;
	char *buf = slurp(path, &len);
	char **v;

	*count = 0;
	if (!buf)
		return NULL;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	if (len && buf[len - 1] != '\0')
		n++; /* a last word without its NUL */
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		die("out of memory");
	for (size_t i = 0; i < len && k < n; i += strlen(buf + i) + 1)
		v[k++] = buf + i;
	*count = k;
	return v;
}

/* Steps 1 and 2: the overlay root in guest RAM, and the kernel's file systems in it. */
static void make_root(void)
{
	/* /run exists on any host that boots with systemd or sysvinit. */
	must_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	must_mkdir("/run/minikvm-rw");
	must_mkdir(UPPER);
	must_mkdir(WORK);
	must_mkdir(NEWROOT);
	/*
	 * No index, no redirect_dir, no metacopy: the lower layer is a 9p
	 * file system, which has no file handles; xino off as inode numbers
	 * already come from one server.
	 */
	must_mount("overlay", NEWROOT, "overlay", 0,
		   "lowerdir=/,upperdir=" UPPER ",workdir=" WORK ",index=off,xino=off");
	/* The tmpfs moves along into the new root's /run/minikvm-rw, keeping the upper layer reachable. */
	if (chdir(NEWROOT) != 0)
		die("chdir " NEWROOT);
	/* pivot_root(".", "."): the old root ends up stacked on the new, then detached. */
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		die("pivot_root");
	if (umount2(".", MNT_DETACH) != 0)
		die("detach the old root");
	if (chdir("/") != 0)
		die("chdir /");

	must_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	must_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	must_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	must_mkdir("/dev/pts");
	must_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666");
	must_mkdir("/dev/shm");
	must_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	/*
	 * /tmp stays the overlay's: the host's files there are seen (a tree,
	 * a working directory or an --rwdir under /tmp must be), and what the
	 * guest writes goes to guest RAM. /run is the host's running state
	 * (pid files, sockets of its services): the guest gets an empty one.
	 */
	must_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	/* Optional: a kernel without them still runs the command. */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (symlink("/proc/self/fd", "/dev/fd") != 0 && errno != EEXIST)
		say("/dev/fd: %s", strerror(errno));
	sethostname("minikvm", 7);
}

/* Step 3's mounts: more shares at the host's paths (writable ones, --rwdir). */
static void mount_shares(void)
{
	char *list = slurp(IO_DIR "/mounts", NULL);

	if (!list)
		return;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		char *path = strchr(line, ' ');

		if (!path)
			continue;
		*path++ = '\0';
		must_mount(line, path, "9p", 0, NINEP_OPT);
	}
	free(list);
}

/* The serial console as stdin/out/err; raw output (no CR added) unless a person reads it. */
static void console_setup(bool tty)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	struct termios t;

	if (fd < 0)
		die("/dev/console");
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	if (tcgetattr(0, &t) == 0) {
		if (tty) {
			t.c_oflag |= OPOST | ONLCR;
		} else {
			/* A command's bytes come out as it wrote them, for a pipe or a file on the host. */
			t.c_oflag &= ~(tcflag_t)OPOST;
			t.c_lflag &= ~(tcflag_t)ECHO;
		}
		tcsetattr(0, TCSANOW, &t);
	}
}

static void set_winsize(void)
{
	char *ws = slurp(IO_DIR "/winsize", NULL);
	unsigned rows, cols;

	if (ws && sscanf(ws, "%u %u", &rows, &cols) == 2 && rows && cols) {
		struct winsize w = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

		ioctl(0, TIOCSWINSZ, &w);
	}
	free(ws);
}

static void write_status(int status)
{
	char text[16];
	int fd = open(IO_DIR "/status.new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int n = snprintf(text, sizeof(text), "%d\n", status);

	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0 || close(fd) != 0 ||
	    rename(IO_DIR "/status.new", IO_DIR "/status") != 0)
		die("write the exit status");
}

/* Step 4: the command, as a session leader on the console. */
static pid_t start(char **argv, char **env, const char *cwd, bool tty)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid > 0)
		return pid;
	setsid();
	if (tty)
		ioctl(0, TIOCSCTTY, 1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (cwd && chdir(cwd) != 0) {
		say("cd %s: %s (running in /)", cwd, strerror(errno));
		if (chdir("/") != 0)
			_exit(127);
	}
	for (size_t i = 0; env && env[i]; i++)
		putenv(env[i]);
	execvp(argv[0], argv);
	say("%s: %s", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Waits for pid, reaping every other child meanwhile; its status as a shell gives it. */
static int wait_for(pid_t pid)
{
	for (;;) {
		int st;
		pid_t got = wait(&st);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return 255;
		if (got != pid)
			continue;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		return 128 + WTERMSIG(st);
	}
}

/* What the command left behind: SIGTERM, a second to go, then SIGKILL. */
static void end_the_rest(void)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };

	kill(-1, SIGTERM);
	for (int i = 0; i < 20; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-1, 0) != 0 && errno == ESRCH)
			return;
		nanosleep(&step, NULL);
	}
	kill(-1, SIGKILL);
	while (wait(NULL) > 0)
		;
}

int main(void)
{
	char tag[64];
	char **argv, **env, *cwd, *nl;
	size_t argc, envc;
	bool tty;
	pid_t pid;
	int status;

	if (getpid() != 1) {
		fprintf(stderr, "minikvm-init: is the init of a guest booted by minikvm-run, not a command\n");
		return 2;
	}
	/* Ctrl-C on the console is for the command, never for init. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	make_root();
	if (!cmdline_param("minikvm.io", tag, sizeof(tag))) {
		errno = EINVAL;
		die("no minikvm.io= on the kernel command line");
	}
	must_mkdir(IO_DIR);
	must_mount(tag, IO_DIR, "9p", MS_NOSUID | MS_NODEV, NINEP_OPT);
	mount_shares();

	tty = access(IO_DIR "/tty", F_OK) == 0;
	console_setup(tty);
	if (tty)
		set_winsize();
	argv = words(IO_DIR "/argv", &argc);
	env = words(IO_DIR "/env", &envc);
	cwd = slurp(IO_DIR "/cwd", NULL);
	if (cwd && (nl = strchr(cwd, '\n')))
		*nl = '\0';
	if (!argv || argc == 0) {
		static char *login[] = { "/bin/sh", "-l", NULL };
		const char *shell = getenv("SHELL");

		for (size_t i = 0; env && env[i]; i++)
			if (!strncmp(env[i], "SHELL=", 6))
				shell = env[i] + 6;
		if (shell && *shell && access(shell, X_OK) == 0)
			login[0] = (char *)shell;
		argv = login;
	}
	/* Kernel messages would land in the middle of the command's output. */
	{
		int fd = open("/proc/sys/kernel/printk", O_WRONLY);

		if (fd >= 0) {
			if (write(fd, "1\n", 2) < 0)
				say("quiet console: %s", strerror(errno));
			close(fd);
		}
	}
	pid = start(argv, env, cwd && *cwd ? cwd : NULL, tty);
	status = wait_for(pid);
	end_the_rest();
	write_status(status);
	umount2(IO_DIR, 0);
	power_off();
}
