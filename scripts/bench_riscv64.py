#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minikvm-riscv64 and QEMU+KVM side by side on a RISC-V KVM: `make bench ARCH=riscv64`.

usage: bench_riscv64.py [--out DIR] [--runs N] [--qemu DIR | --no-qemu]

One boot of scripts/onkvm-riscv64's host (or this riscv64 machine, where its
/dev/kvm works) runs every row with build/riscv64/benchrun, a static riscv64
timer (tests/riscv64/benchrun.c: the host's userland is busybox), the VMMs
alternating run by run (A B A B) so that drift hits both:

  start-to-exit   guest/riscv/hello.elf: process start to exit (status 42)
  Linux to init   Debian's riscv64 kernel and busybox initramfs (onkvm-riscv64
                  --guest-linux), 1 hart, 256M: process start to the first
                  "minikvm-init: up" on the console
  Linux to exit   the same run, to power-off and the process's exit
  peak RSS        of the Linux run

QEMU is Debian trixie's riscv64 qemu-system-riscv64 -M virt -accel kvm -cpu
host, unpacked with every package it needs by scripts/onkvm-riscv64
--guest-qemu (or the riscv64 root in --qemu DIR, $BENCH_QEMU_RISCV64) and run
through that root's own dynamic loader, as the host's userland has no C
library; with --no-qemu, or where it fails, its column says why. Tables go to stdout and, with every run, to
DIR/results.md and DIR/results.json (default bench/results/emulated-riscv64
or hardware-riscv64). Nothing here asserts a speed.
"""
import argparse
import datetime
import glob
import json
import os
import re
import shlex
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from bench import md_table, table_rows, text_table  # noqa: E402  (the x86 bench's tables)
import onkvm_riscv64  # noqa: E402

ONKVM_RISCV64 = onkvm_riscv64.ONKVM_RISCV64
BENCHRUN = "build/riscv64/benchrun"
MINIKVM = "./minikvm-riscv64"
HELLO = "guest/riscv/hello.elf"
INIT_MARKER = "minikvm-init: up"
APPEND = "console=ttyS0 quiet minikvm.cmd=true"


class Vmm:
    def __init__(self, key, label, is_qemu):
        self.key, self.label, self.is_qemu = key, label, is_qemu


class Row:
    def __init__(self, rid, title, unit, better):
        self.id, self.title, self.unit, self.better = rid, title, unit, better
        self.runs, self.fail, self.censored, self.skip = {}, {}, {}, {}


def qemu_root():
    """Debian trixie's riscv64 QEMU, unpacked (onkvm-riscv64 --guest-qemu), or (None, why)."""
    env, why = onkvm_riscv64.assignments("--guest-qemu")
    if not env or "QEMU_ROOT" not in env:
        return None, "not measured: " + (why or "onkvm-riscv64 --guest-qemu printed no QEMU_ROOT")
    return env["QEMU_ROOT"], None


def qemu_command(qemu_root):
    """The argv prefix that runs the riscv64 QEMU of qemu_root inside the host, or (None, why)."""
    loader = glob.glob(os.path.join(qemu_root, "usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1")) + \
        glob.glob(os.path.join(qemu_root, "lib/ld-linux-riscv64-lp64d.so.1"))
    exe = os.path.join(qemu_root, "usr/bin/qemu-system-riscv64")
    if not loader or not os.path.exists(exe):
        return None, "not measured: %s holds no riscv64 loader or no usr/bin/qemu-system-riscv64" % qemu_root
    libs = sorted(set(os.path.dirname(p) for p in glob.glob(os.path.join(qemu_root, "**", "*.so*"),
                                                             recursive=True)))
    return [loader[0], "--library-path", ":".join(libs), exe, "-L",
            os.path.join(qemu_root, "usr/share/qemu")], None


def qemu_version(root):
    """QEMU's Debian version, from the package's changelog in root ("" if unknown)."""
    import gzip
    try:
        with gzip.open(os.path.join(root, "usr/share/doc/qemu-system-riscv/changelog.Debian.gz"), "rt") as f:
            m = re.match(r"\S+ \(([^)]+)\)", f.readline())
        return m.group(1) if m else ""
    except OSError:
        return ""


def guest_linux():
    env, why = onkvm_riscv64.assignments("--guest-linux")
    if not env or not {"KERNEL", "INITRD"} <= env.keys():
        sys.exit("bench_riscv64: " + (why or "onkvm-riscv64 --guest-linux printed no KERNEL or INITRD"))
    return env["KERNEL"], env["INITRD"]


def commands(qemu, kernel, initrd):
    """{(row, vmm): (argv, until)} for every measurement."""
    cmds = {
        ("hello", "minikvm"): ([MINIKVM, HELLO], None),
        ("linux", "minikvm"): ([MINIKVM, "-m", "256M", "-c", "1", "--initrd", initrd, "--append", APPEND,
                                kernel], INIT_MARKER),
    }
    if qemu:
        base = qemu + ["-M", "virt", "-accel", "kvm", "-cpu", "host", "-nodefaults", "-no-user-config",
                       "-display", "none", "-serial", "stdio", "-monitor", "none", "-smp", "1"]
        cmds[("hello", "qemu")] = (base + ["-m", "128M", "-bios", "none", "-kernel", HELLO], None)
        cmds[("linux", "qemu")] = (base + ["-m", "256M", "-kernel", kernel, "-initrd", initrd,
                                           "-append", APPEND], INIT_MARKER)
    return cmds


def script(cmds, runs):
    """The host's shell script: each run of each command, VMMs alternating."""
    lines = ["set -u"]
    for r in range(runs):
        for (row, vmm), (argv, until) in cmds.items():
            u = " --until %s" % shlex.quote(until) if until else ""
            lines.append("%s %s 1%s -- %s 2>>build/riscv64/bench-%s-%s.err" % (
                BENCHRUN, shlex.quote("%s/%s/%d" % (row, vmm, r + 1)), u,
                " ".join(shlex.quote(a) for a in argv), row, vmm))
    return "\n".join(lines) + "\n"


LINE = re.compile(r"^(\w+)/(\w+)/(\d+) 1 wall_ms=([\d.]+) until_ms=(-?[\d.]+) status=(\d+) maxrss_kib=(\d+)$")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("BENCH_OUT"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--qemu", default=os.environ.get("BENCH_QEMU_RISCV64"),
                    help="a riscv64 root with usr/bin/qemu-system-riscv64, its libraries and loader")
    ap.add_argument("--no-qemu", action="store_true", help="minikvm-riscv64 alone")
    args = ap.parse_args()
    kind = onkvm_riscv64.host_kind()
    out = args.out or os.path.join(ROOT, "bench", "results",
                                   "emulated-riscv64" if kind.startswith("emulated") else "hardware-riscv64")
    # (x86 the build dir: build/riscv64/ holds the RISC-V helpers, whatever ARCH make was given)
    subprocess.run(["make", "--no-print-directory", "ARCH=x86", "BUILD=build", BENCHRUN], cwd=ROOT, check=True)
    kernel, initrd = guest_linux()
    root, why_not = (None, "not measured: --no-qemu") if args.no_qemu else \
        (args.qemu, None) if args.qemu else qemu_root()
    qemu = None
    if root:
        qemu, why_not = qemu_command(root)
    cmds = commands(qemu, kernel, initrd)
    os.makedirs(os.path.join(ROOT, "build", "riscv64"), exist_ok=True)
    for f in glob.glob(os.path.join(ROOT, "build", "riscv64", "bench-*.err")):
        os.unlink(f)
    print("bench_riscv64: %d runs of %d commands on %s" % (args.runs, len(cmds), kind), flush=True)
    p = subprocess.run([ONKVM_RISCV64, "sh", "-c", script(cmds, args.runs)], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    runs = []
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if m:
            runs.append({"row": m.group(1), "vmm": m.group(2), "run": int(m.group(3)),
                         "wall_ms": float(m.group(4)), "until_ms": float(m.group(5)),
                         "status": int(m.group(6)), "maxrss_kib": int(m.group(7))})
    if not runs:
        sys.exit("bench_riscv64: the host reported no run (status %d)\n%s" % (p.returncode, p.stderr[-3000:]))

    vmms = [Vmm("minikvm", "minikvm-riscv64", False), Vmm("qemu", "QEMU -M virt -accel kvm", True)]
    rows = [Row("hello", "start-to-exit, hello.elf", "ms", "lower"),
            Row("linux-init", "Linux: start to init", "ms", "lower"),
            Row("linux-exit", "Linux: start to power-off and exit", "ms", "lower"),
            Row("linux-rss", "Linux: peak RSS of the VMM process", "MiB", "lower")]
    by = {r.id: r for r in rows}
    want_status = {"hello": 42, "linux": 0}
    for r in runs:
        err = os.path.join(ROOT, "build", "riscv64", "bench-%s-%s.err" % (r["row"], r["vmm"]))
        if r["status"] != want_status[r["row"]]:
            tail = open(err, errors="replace").read().strip().splitlines()[-1:] if os.path.exists(err) else []
            for rid in ((r["row"],) if r["row"] == "hello" else ("linux-init", "linux-exit", "linux-rss")):
                by[rid].fail[r["vmm"]] = "exit status %d%s" % (r["status"], (": " + tail[0]) if tail else "")
            continue
        if r["row"] == "hello":
            by["hello"].runs.setdefault(r["vmm"], []).append(r["wall_ms"])
            continue
        if r["until_ms"] >= 0:
            by["linux-init"].runs.setdefault(r["vmm"], []).append(r["until_ms"])
        by["linux-exit"].runs.setdefault(r["vmm"], []).append(r["wall_ms"])
        by["linux-rss"].runs.setdefault(r["vmm"], []).append(r["maxrss_kib"] / 1024)
    if why_not:
        for row in rows:
            row.skip["qemu"] = why_not

    head, body = table_rows(rows, vmms)
    machine = "%s; %s" % (kind, "measured under software emulation: figures are not hardware's"
                          if kind.startswith("emulated") else "hardware")
    if qemu:
        machine += "; QEMU: Debian's qemu-system-riscv %s" % (qemu_version(root) or "(version unknown)")
    print(text_table(head, body))
    os.makedirs(out, exist_ok=True)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("# make bench ARCH=riscv64, %s\n\n%s; %d runs a row, medians [min-max].\n\n%s\n"
                % (when, machine, args.runs, md_table(head, body)))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"when": when, "machine": machine, "runs": runs, "qemu": why_not or "measured"}, f, indent=1)
    print("bench_riscv64: results in %s" % os.path.relpath(out, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
