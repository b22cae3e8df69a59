# SPDX-License-Identifier: MIT
"""The IDE configurations for kernels (docs/ide/), run as the IDEs run them.

VS Code's cppdbg and CLion drive gdb through MI; these tests read the kernel
configurations out of docs/ide/launch.json and docs/ide/clion/, send the MI
commands the IDE sends, against Debian's kernel (its -dbg vmlinux, in the
directory scripts/fetch-linux.sh --gdb-scripts lays out like a kernel build
tree) under minikvm -S, and check the stop at start_kernel, its source file
(fetch-linux.sh --source), the stack and the kernel's own gdb scripts.
"""
import json
import os
import re
import struct
import subprocess
import xml.etree.ElementTree as ET

import harness
from harness import GDB, Vmm
from test_linux import gdb_index_opts, linux_env

ONE_AT_A_TIME = True  # one Linux guest at a time (tests/run.py)
IDE = os.path.join(harness.ROOT, "docs", "ide")
CMDLINE = "console=ttyS0 nokaslr minikvm.test=ide"


def kernel_tree():
    """Debian's kernel laid out like a build tree (vmlinux, vmlinux-gdb.py), or a skip."""
    env = linux_env()
    if not env.get("GDB_SCRIPTS") or not env.get("VMLINUX"):
        raise harness.Skip("the -dbg vmlinux or the kernel's gdb scripts are not in the cache "
                           "(scripts/fetch-linux.sh --dbg --gdb-scripts; make test fetches them)")
    return env, os.path.dirname(env["GDB_SCRIPTS"])


def banner_in_file(env, addr):
    """The text at addr (linux_banner's address, as gdb gave it) in the
    vmlinux file: the bytes of the ELF segment that holds it. (Debian's
    System.map is a stub that points at the -dbg package.)"""
    with open(env["VMLINUX"], "rb") as f:
        hdr = f.read(64)
        phoff, = struct.unpack_from("<Q", hdr, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 0x36)
        f.seek(phoff)
        phdrs = f.read(phentsize * phnum)
        for i in range(phnum):
            ptype, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", phdrs, i * phentsize)
            if ptype == 1 and vaddr <= addr < vaddr + filesz:
                f.seek(off + addr - vaddr)
                return f.read(512).split(b"\0")[0].decode()
    raise AssertionError("linux_banner at %#x is in no segment of %s" % (addr, env["VMLINUX"]))


def mi_session(vm, cwd, commands, gdb_opts=()):
    cmds = "\n".join(["-gdb-set confirm off"] + commands + [
        "-interpreter-exec console \"kill\"", "-gdb-exit"]) + "\n"
    proc = subprocess.run([GDB, "--interpreter=mi3", "-nx", "-q"] + gdb_index_opts() + list(gdb_opts),
                          input=cmds.encode(), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=600)
    return proc.stdout.decode(errors="replace")


def console_lines(out):
    """The text gdb printed on its console (the MI ~"..." records)."""
    return "".join(json.loads(m) for m in re.findall(r'^~(".*")$', out, re.M)).splitlines()


def check_kernel_stop(out, env, bkptno):
    assert "^connected" in out, out[-3000:]
    m = re.search(r'\*stopped,reason="breakpoint-hit",disp="keep",bkptno="%d",frame=\{addr="0x[0-9a-f]+",'
                  r'func="start_kernel",args=\[\],file="init/main\.c",fullname="([^"]+)",line="(\d+)"' % bkptno,
                  out)
    assert m, out[-3000:]
    fullname, line = m.group(1), int(m.group(2))
    if env.get("SOURCE_DIR"):
        # The IDE opens this file and shows this line: linux-source's own text of start_kernel.
        assert os.path.realpath(fullname) == os.path.join(env["SOURCE_DIR"], "init", "main.c"), fullname
        with open(fullname) as f:
            text = f.read().splitlines()
        first = next(n for n, l in enumerate(text, 1) if l.startswith("void start_kernel(void)"))
        assert first <= line < first + 10, (first, line)
    frames = re.search(r'\^done,stack=\[(.*?)\]\n', out).group(1)
    # x86_64_start_kernel -> x86_64_start_reservations -> start_kernel are tail calls
    assert re.findall(r'func="(\w+)"', frames)[:2] == ["start_kernel", "secondary_startup_64"], frames
    assert re.search(r'frame=\{level="0",addr="0x[0-9a-f]+",func="start_kernel",file="init/main\.c",'
                     r'fullname="[^"]+",line="%d"' % line, frames), frames
    # lx-version (the kernel's gdb scripts, loaded as the configuration says)
    # prints the banner this very vmlinux carries
    version = [l for l in console_lines(out) if l.startswith("Linux version")]
    assert len(version) == 1, (version, out[-3000:])
    version = version[0]
    addr = int(re.search(r'\^done,value="(\d+)"', out).group(1))  # (unsigned long)&linux_banner
    assert version.strip() == banner_in_file(env, addr).strip(), (version, out[-3000:])
    assert version.startswith("Linux version %s " % env["KVER"]), version
    return line


def test_vscode_kernel_configuration_on_debians_kernel():
    env, tree = kernel_tree()
    with open(os.path.join(IDE, "launch.json")) as f:
        confs = json.load(f)["configurations"]
    conf = next(c for c in confs if c["name"].startswith("minikvm: Debian's kernel"))
    assert conf["type"] == "cppdbg" and conf["MIMode"] == "gdb" and conf["request"] == "launch"
    assert conf["miDebuggerServerAddress"] == "localhost:1234" and conf["stopAtConnect"] is False

    def expand(s):
        return s.replace("${workspaceFolder}", tree)
    program = expand(conf["program"])
    assert os.path.realpath(program) == os.path.realpath(env["VMLINUX"]), program
    setup = [expand(c["text"]) for c in conf["setupCommands"]]
    post = [expand(c["text"]) for c in conf["postRemoteConnectCommands"]]
    # Its substitute-path is the pair fetch-linux.sh found in the DWARF, to the source beside the tree.
    sub = [c.split()[2:] for c in setup if c.startswith("set substitute-path ")]
    if env.get("SUBSTITUTE_PATH"):
        frm, to = env["SUBSTITUTE_PATH"].split()
        assert len(sub) == 1 and sub[0][0] == frm and os.path.realpath(sub[0][1]) == to, (sub, env["SUBSTITUTE_PATH"])
    # The preLaunchTask boots the vmlinux through PVH with minikvm -s -S.
    with open(os.path.join(IDE, "tasks.json")) as f:
        task = next(t for t in json.load(f)["tasks"] if t["label"] == conf["preLaunchTask"])
    assert task["args"][:2] == ["-s", "-S"] and expand(task["args"][-1]) == program, task
    with Vmm(["-S", "-m", "256M", "--initrd", env["INITRD"], "--append", CMDLINE, program]) as vm:
        # cppdbg's order: setupCommands, the program, "-target-select remote
        # <miDebuggerServerAddress>" (here minikvm's private socket),
        # postRemoteConnectCommands, then continue (stopAtConnect false).
        out = mi_session(vm, expand(conf["cwd"]), setup + [
            "-file-exec-and-symbols %s" % program,
            "-target-select remote %s" % vm.sock,
        ] + post + [
            "-exec-continue",
            "-stack-list-frames",
            "-data-evaluate-expression init_task.comm",
            "-data-evaluate-expression boot_command_line",
            "-data-evaluate-expression \"(unsigned long)&linux_banner\"",
            "-interpreter-exec console \"lx-version\"",
        ])
        assert vm.finish() == 0
    assert re.search(r'\^done,bkpt=\{number="1",type="hw breakpoint",.*func="start_kernel"', out), out[-3000:]
    check_kernel_stop(out, env, 1)
    assert re.search(r'\^done,value="\\"swapper(\\\\000)+\\""', out), out[-3000:]  # char comm[16]
    assert re.search(r'\^done,value="\\"%s' % re.escape(CMDLINE), out), out[-3000:]


def test_clion_kernel_configuration_on_debians_kernel():
    env, tree = kernel_tree()
    conf = ET.parse(os.path.join(IDE, "clion", "minikvm_Linux_kernel.xml")).getroot().find("configuration")
    assert conf.get("type") == "CLion_Remote" and conf.get("remoteCommand") == "localhost:1234", conf.attrib
    assert conf.get("sysroot") == "" and conf.find("debugger").get("kind") == "GDB", conf.attrib
    symbol_file = conf.get("symbolFile").replace("$PROJECT_DIR$", tree)
    assert os.path.realpath(symbol_file) == os.path.realpath(env["VMLINUX"]), symbol_file
    # CLion starts gdb in the project, where gdb runs its .gdbinit (docs/ide/clion/gdbinit);
    # for Debian's kernel the docs add the substitute-path fetch-linux.sh prints.
    opts = ["-x", os.path.join(IDE, "clion", "gdbinit")]
    if env.get("SUBSTITUTE_PATH"):
        opts += ["-ex", "set substitute-path " + env["SUBSTITUTE_PATH"]]
    with Vmm(["-S", "-m", "256M", "--initrd", env["INITRD"], "--append", CMDLINE, env["VMLINUX"]]) as vm:
        out = mi_session(vm, tree, [
            "-file-exec-and-symbols %s" % symbol_file,
            "-target-select remote %s" % vm.sock,
            "-exec-continue",
            "-stack-list-frames",
            "-data-evaluate-expression \"(unsigned long)&linux_banner\"",
            "-interpreter-exec console \"lx-version\"",
        ], gdb_opts=opts)
        assert vm.finish() == 0
    # the gdbinit's pending "break start_kernel", resolved when CLion loaded vmlinux
    assert re.search(r'=breakpoint-modified,bkpt=\{number="1",type="breakpoint",.*func="start_kernel"', out), \
        out[-3000:]
    check_kernel_stop(out, env, 1)
