# SPDX-License-Identifier: MIT
"""scripts/setup.sh, the one list of Debian/Ubuntu packages, on a fake system.

Each test runs the script with a PATH of its own: the few real tools it uses,
and stand-ins for dpkg-query, apt-get, sudo and id that answer as a test wants
and write down how they were called. Nothing is installed; no KVM needed.
"""
import atexit
import os
import shutil
import subprocess
import tempfile

import harness

NEEDS_KVM = False

SETUP = os.path.join(harness.ROOT, "scripts", "setup.sh")
BUILD = ["build-essential", "binutils", "python3"]
# What scripts/build-kernel.sh needs beyond BUILD (make kernel; the test and ci jobs).
KERNEL = ["bc", "bison", "flex", "libelf-dev", "xz-utils", "kmod"]


class FakeSystem:
    """A PATH with stand-ins. `installed` are the packages dpkg-query reports;
    apt-get install adds to them unless apt_fails."""

    def __init__(self, installed=(), root=True, sudo=True, apt=True, dpkg=True, apt_fails=False):
        self.dir = tempfile.mkdtemp(prefix="minikvm-setup-test.")
        atexit.register(shutil.rmtree, self.dir, True)
        self.bin = os.path.join(self.dir, "bin")
        self.log = os.path.join(self.dir, "calls")
        self.state = os.path.join(self.dir, "installed")
        os.mkdir(self.bin)
        for tool in ("bash", "env", "dirname", "sed", "cat", "uname"):
            os.symlink(subprocess.check_output(["bash", "-c", "command -v " + tool], text=True).strip(),
                       os.path.join(self.bin, tool))
        with open(self.state, "w") as f:
            f.write("".join(p + "\n" for p in installed))
        self.script("id", 'echo %d' % (0 if root else 1000))
        if dpkg:
            # Like dpkg-query -W -f='${db:Status-Status}:${Package} ' PKG...
            self.script("dpkg-query", 'echo "dpkg-query $*" >>%s\n'
                        'shift 2\nfor p; do while read -r i; do [ "$i" = "$p" ] && printf "installed:%%s " "$p"; '
                        'done <%s; done\nexit 0' % (self.log, self.state))
        if apt:
            self.script("apt-get", 'echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND apt-get $*" >>%s\n'
                        '[ "$1" = install ] || exit 0\n%s\n'
                        'for p; do case $p in -*|install) ;; *) echo "$p" >>%s ;; esac; done'
                        % (self.log, 'echo "E: no" >&2; exit 100' if apt_fails else "", self.state))
        if sudo:
            self.script("sudo", 'echo "sudo $*" >>%s\nexec "$@"' % self.log)

    def script(self, name, body):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, 0o755)

    def run(self, *args, apt_mode="system"):
        # MINIKVM_APT=system: the package lists of Debian itself, whatever this machine is.
        proc = subprocess.run([os.path.join(self.bin, "bash"), SETUP] + list(args),
                              env={"PATH": self.bin, "MINIKVM_APT": apt_mode},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    def calls(self):
        try:
            with open(self.log) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []


def test_nothing_missing_is_silent_and_asks_no_apt():
    fake = FakeSystem(installed=BUILD)
    status, out, err = fake.run("build")
    assert (status, out, err) == (0, "", ""), (status, out, err)
    calls = fake.calls()
    assert len(calls) == 1 and calls[0].startswith("dpkg-query -W"), calls


def test_installs_the_missing_ones_with_update_first():
    fake = FakeSystem(installed=["binutils"])
    status, out, err = fake.run("build")
    assert status == 0, (status, out, err)
    apt = [c for c in fake.calls() if "apt-get" in c and not c.startswith("sudo")]
    assert apt == ["DEBIAN_FRONTEND=noninteractive apt-get update -q",
                   "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
                   "build-essential python3"], fake.calls()
    assert not any(c.startswith("sudo") for c in fake.calls()), "sudo as root: %s" % fake.calls()
    assert "installing build-essential python3" in err, err


def test_sudo_when_not_root():
    fake = FakeSystem(installed=BUILD[1:], root=False)
    status, out, err = fake.run("build")
    assert status == 0, (status, out, err)
    assert "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " \
           "build-essential" in fake.calls(), fake.calls()


def test_one_line_naming_the_packages_when_apt_fails():
    fake = FakeSystem(installed=BUILD, root=False, apt_fails=True)
    status, out, err = fake.run("fuzz")
    assert status == 1, (status, out, err)
    last = err.strip().splitlines()[-1]
    assert last == "setup.sh: error: cannot install clang (apt-get install failed); " \
                   "run: sudo apt-get install clang", err


def test_one_line_when_not_root_and_no_sudo():
    fake = FakeSystem(root=False, sudo=False)
    status, out, err = fake.run("build")
    assert status == 1, (status, out, err)
    assert err == "setup.sh: error: cannot install build-essential binutils python3 (not root, and no sudo); " \
                  "run: as root: apt-get install build-essential binutils python3\n", err
    assert not any("apt-get" in c for c in fake.calls()), fake.calls()


def test_one_line_when_no_apt():
    fake = FakeSystem(apt=False)
    status, out, err = fake.run("build")
    assert status == 1 and err.count("\n") == 1 and "no apt-get here" in err, (status, err)
    assert "build-essential binutils python3" in err, err


def test_not_debian_checks_nothing_and_says_so():
    fake = FakeSystem(dpkg=False)
    status, out, err = fake.run("build")
    assert status == 0 and err.count("\n") == 1 and "no dpkg-query" in err, (status, err)
    assert not any("apt-get" in c for c in fake.calls()), fake.calls()


def test_check_and_list_install_nothing():
    fake = FakeSystem(installed=["python3"])
    status, out, err = fake.run("--check", "build")
    assert (status, out.split()) == (1, ["build-essential", "binutils"]), (status, out, err)
    status, out, err = fake.run("--list", "ci")
    assert (status, out.split()) == (0, BUILD + ["gdb", "lldb", "clang"] + KERNEL +
                                     ["qemu-system-x86", "busybox-static", "gcc-riscv64-linux-gnu",
                                      "libc6-dev-riscv64-cross", "gdb-multiarch",
                                      "device-tree-compiler", "qemu-system-misc"]), (status, out, err)
    status, out, err = fake.run("--list", "kernel")
    assert (status, out.split()) == (0, BUILD + KERNEL), (status, out, err)
    status, out, err = fake.run("--list", "test")
    assert status == 0 and set(KERNEL) <= set(out.split()), (status, out, err)
    status, out, err = fake.run("--list", "riscv")
    assert (status, out.split()) == (0, BUILD + ["gcc-riscv64-linux-gnu", "libc6-dev-riscv64-cross",
                                                 "gdb-multiarch", "device-tree-compiler"]), (status, out, err)
    assert not any("apt-get" in c for c in fake.calls()), fake.calls()
    status, out, err = fake.run("nonsense")
    assert status == 2 and "unknown argument nonsense" in err, (status, err)


def test_ci_installs_with_the_same_list():
    with open(os.path.join(harness.ROOT, ".ci", "run")) as f:
        ci = f.read()
    assert "scripts/setup.sh ci" in ci, "'.ci/run' does not install through scripts/setup.sh"
    assert "apt-get" not in ci, "'.ci/run' has an apt-get of its own"


def test_elsewhere_than_debian_debians_key_comes_too():
    """On Ubuntu (MINIKVM_APT=debian) Debian's kernel comes from Debian's archive, checked with its key."""
    fake = FakeSystem()
    status, out, err = fake.run("--list", "test", apt_mode="debian")
    assert status == 0 and "debian-archive-keyring" in out.split(), (status, out, err)
    status, out, err = fake.run("--list", "build", apt_mode="debian")
    assert status == 0 and out.split() == BUILD, (status, out, err)
    status, out, err = fake.run("--list", "test")
    assert status == 0 and "debian-archive-keyring" not in out.split(), (status, out, err)


def apt_options(mode, cache):
    """What scripts/linux-env.sh gives every apt call for MINIKVM_APT=mode."""
    env = dict(os.environ, MINIKVM_APT=mode, MINIKVM_CACHE=cache)
    return subprocess.run(["bash", "-c", '. scripts/linux-env.sh && apt_choose && '
                           'printf "%s\\n" ${APT_OPTS[@]+"${APT_OPTS[@]}"}'],
                          cwd=harness.ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


def test_private_debian_apt_configuration():
    cache = tempfile.mkdtemp(prefix="minikvm-apt-test.")
    atexit.register(shutil.rmtree, cache, True)
    proc = apt_options("system", cache)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc
    proc = apt_options("nonsense", cache)
    assert proc.returncode == 1 and "MINIKVM_APT must be system or debian" in proc.stderr, proc
    if not os.path.exists("/usr/share/keyrings/debian-archive-keyring.gpg"):
        raise harness.Skip("no debian-archive-keyring here (scripts/setup.sh test installs it)")
    proc = apt_options("debian", cache)
    assert proc.returncode == 0, proc
    private = os.path.join(cache, "apt-debian")
    opts = proc.stdout.splitlines()
    for want in ("Dir::Etc::sourcelist=%s/sources.list" % private, "Dir::Etc::sourceparts=-",
                 "Dir::State::Lists=%s/lists" % private, "Dir::Cache=%s/cache" % private):
        assert want in opts, (want, opts)
    with open(os.path.join(private, "sources.list")) as f:
        lines = f.read().splitlines()
    key = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    assert lines == ["deb %s http://deb.debian.org/debian bookworm main" % key,
                     "deb %s http://deb.debian.org/debian bookworm-updates main" % key,
                     "deb %s http://deb.debian.org/debian-security bookworm-security main" % key], lines
