# SPDX-License-Identifier: MIT
"""The gdb stub with Debian's real gdb: breakpoints, stepping, data, threads, modes."""
import os
import re
import signal
import subprocess
import time

import harness
from harness import GDB, Rsp, Vmm, guest, run_gdb, source_line

CK = guest("ckernel.elf")
CK_SRC = "guest/ckernel.c"
CK_OUT = ("ckernel: hello from C in long mode\n"
          'ckernel: message="minikvm ckernel data" checksum(pattern)=2016\n'
          "ckernel: compute(10)=295\n"
          "ckernel: point=(3,4) area=12\n"
          "ckernel: counter=55 sum=295\n"
          "mode: %d\n"
          "ckernel: done\n")


def test_break_bt_locals_finish_next_step():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
R["start_pc"] = ev("$pc")
ex("break compute")
ex("continue")
R["compute_n"] = ev("n")
ex("next"); ex("next")
R["compute_line"] = line()
ex("step")
R["stepped_into"] = fn()
R["step_args"] = [ev("total"), ev("i")]
ex("delete")
ex("break leaf")
ex("continue")
R["fn"] = fn(); R["line"] = line(); R["x"] = ev("x")
R["bt"] = frames()
R["locals_leaf"] = ex("info locals")
ex("finish")
R["after_finish_fn"] = fn()
R["ret"] = ev("$")
ex("next")
R["next_line"] = line()
R["square"] = ev("square")
ex("delete")
ex("kill")
''')
        assert r["start_pc"] == 0x100000  # -S: stopped at the ELF entry (_start)
        assert r["compute_n"] == 10
        assert r["compute_line"] == source_line(CK_SRC, "total = accumulate(total, (unsigned long)i);")
        assert r["stepped_into"] == "accumulate" and r["step_args"] == [0, 0]
        assert r["fn"] == "leaf" and r["x"] == 0
        assert r["line"] == source_line(CK_SRC, "unsigned long result = x * x + 1;")
        assert r["bt"] == ["leaf", "accumulate", "compute", "kmain", "_start"], r["bt"]
        assert re.match(r"result = \d+\n$", r["locals_leaf"]), r["locals_leaf"]
        assert r["after_finish_fn"] == "accumulate" and r["ret"] == 1
        assert r["next_line"] == source_line(CK_SRC, "return total + square;")
        assert r["square"] == 1
        assert vm.finish() == 0  # kill ends the VM cleanly


def test_stepi_advances_exactly_one_instruction():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("break *leaf")
ex("continue")
pcs = []
for _ in range(6):
    insn = gdb.selected_frame().architecture().disassemble(ev("$pc"))[0]
    pcs.append([ev("$pc"), insn["length"]])
    ex("stepi")
pcs.append([ev("$pc"), 0])
R["pcs"] = pcs
R["stats"] = ex("monitor stats")
ex("delete")
ex("continue")
''')
        pcs = r["pcs"]
        for (pc, length), (nxt, _) in zip(pcs, pcs[1:]):
            # leaf is straight-line code: each step lands on the next instruction
            assert nxt == pc + length, pcs
        # After a stop, the stopped vCPU's own thread reads gdb's packets (src/gdb_conn.c), so a
        # step needs no hand-off between threads; the event loop read those before the first stop.
        m = re.search(r"read by the event loop (\d+) times, by a stopped vCPU's thread (\d+)", r["stats"])
        assert m and int(m.group(1)) >= 1 and int(m.group(2)) >= 6, r["stats"]
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


def test_watch_counter_old_and_new_values():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("watch counter")
hits = []
old = ev("counter")
for _ in range(3):
    ex("continue")
    hits.append([old, ev("counter"), fn(), ev("i")])
    old = ev("counter")
R["hits"] = hits
ex("delete")
ex("continue")
''')
        # Reported after the writing instruction, in count_up, with i as it was
        assert r["hits"] == [[0, 1, "count_up", 1], [1, 3, "count_up", 2], [3, 6, "count_up", 3]], r["hits"]
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


def test_hbreak_tbreak_and_breakpoint_bytes_restored():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("set breakpoint always-inserted on")
R["before"] = ex("x/16xb leaf")
ex("break leaf")
R["while_inserted"] = ex("x/16xb leaf")
ex("delete")
R["after"] = ex("x/16xb leaf")
ex("hbreak area")
ex("continue")
R["hb_fn"] = fn()
R["hb_p"] = [ev("p.x"), ev("p.y")]
ex("delete")
ex("tbreak report")
ex("continue")
R["tb_fn"] = fn()
R["bps_left"] = ex("info breakpoints")
ex("continue")
''')
        assert r["before"] == r["while_inserted"] == r["after"], r
        assert "0xcc" not in r["before"].split(":")[1]
        assert r["hb_fn"] == "area" and r["hb_p"] == [3, 4]
        assert r["tb_fn"] == "report"
        assert "No breakpoints" in r["bps_left"]
        # Had a breakpoint byte stayed behind, the guest would not have run to the end.
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


def test_set_var_and_register_writes_change_the_guest():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("break *leaf")
ex("continue")
R["rdi"] = ev("$rdi")
ex("set $rdi = 7")
R["rdi_after"] = ev("$rdi")
ex("delete")
ex("finish")
R["ret"] = ev("$")
ex("break report")
ex("continue")
ex("set var mode = 42")
R["mode"] = ev("mode")
ex("set $r15 = 0x1122334455667788")
R["r15"] = ev("$r15")
ex("set $xmm3.v2_int64[0] = 0x0102030405060708")
R["xmm3"] = ev("$xmm3.v2_int64[0]")
ex("delete")
ex("continue")
''')
        assert r["rdi"] == 0 and r["rdi_after"] == 7
        assert r["ret"] == 50  # leaf(7) = 7*7 + 1: the register write reached the vCPU
        assert r["mode"] == 42 and r["r15"] == 0x1122334455667788
        assert r["xmm3"] == 0x0102030405060708
        assert vm.finish() == 0
        # leaf(0) returned 50 instead of 1: the sum grows by 49
        assert vm.stdout() == (CK_OUT % 42).replace("295", "344")


def test_memory_reads_writes_and_errors():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
R["pattern"] = list(gdb.selected_inferior().read_memory(ev("&pattern"), 64).tobytes())
R["message"] = evs("message")
gdb.selected_inferior().write_memory(ev("&message"), b"MINIKVM")
R["message2"] = evs("message")
try:
    gdb.selected_inferior().read_memory(0x7fff00000000, 16)
    R["unmapped"] = "read"
except gdb.MemoryError as e:
    R["unmapped"] = "error"
R["big"] = len(gdb.selected_inferior().read_memory(0x100000, 1 << 20).tobytes())
ex("continue")
''')
        assert r["pattern"] == list(range(64))
        assert r["message"].endswith('"minikvm ckernel data"')
        assert r["message2"].endswith('"MINIKVM ckernel data"')
        assert r["unmapped"] == "error"
        assert r["big"] == 1 << 20
        assert vm.finish() == 0
        assert 'message="MINIKVM ckernel data"' in vm.stdout()


def test_registers_and_system_registers():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
R["cr0"] = ev("$cr0"); R["cr3"] = ev("$cr3"); R["cr4"] = ev("$cr4"); R["efer"] = ev("$efer")
R["cs"] = ev("$cs"); R["ds"] = ev("$ds")
R["info_cr3"] = ex("info registers cr3")
R["mxcsr"] = ev("$mxcsr")
R["fctrl"] = ev("$fctrl")
R["arch"] = gdb.selected_frame().architecture().name()
ex("kill")
''')
        assert r["cr0"] & 0x80000001 == 0x80000001  # PG and PE
        assert r["cr3"] == 0x9000                     # minikvm's boot page tables
        assert r["cr4"] & 0x20                         # PAE
        assert r["efer"] & 0x500 == 0x500              # LME and LMA
        assert r["cs"] == 0x10 and r["ds"] == 0x18
        assert "0x9000" in r["info_cr3"]
        assert r["mxcsr"] == 0x1f80 and r["fctrl"] == 0x37f
        assert r["arch"] == "i386:x86-64"


def test_monitor_commands():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
R["help"] = ex("monitor help")
R["tr"] = ex("monitor translate 0x100000")
R["tr_bad"] = ex("monitor translate 0x7fff00000000")
# docs/gdb.md's way to translate a variable: gdb sends monitor arguments as typed.
R["counter"] = ev("(unsigned long)&counter")
R["tr_eval"] = ex('eval "monitor translate %#lx", &counter')
try:
    R["tr_typed"] = ex("monitor translate &counter")
except gdb.error as e:
    R["tr_typed"] = "gdb.error: " + str(e)
R["sregs"] = ex("monitor info sregs")
ex("monitor phys on")
R["phys"] = list(gdb.selected_inferior().read_memory(0x1000 + 0x10, 8).tobytes())
ex("monitor phys off")
R["stats"] = ex("monitor stats")
R["version"] = ex("monitor info version")
R["threads"] = ex("info threads")
ex("kill")
''')
        # QEMU's format, which Linux's gdb scripts probe (scripts/gdb/linux/utils.py)
        assert re.fullmatch(r"\d+\.\d+\.\d+ \(minikvm\)\n", r["version"]), r["version"]
        for cmd in ("info version", "info sregs", "translate", "phys", "step-irq", "stats", "reset", "quit", "help"):
            assert cmd in r["help"], (cmd, r["help"])
        tr = r["tr"]
        assert "4-level paging" in tr and "PML4E at GPA 0x9000" in tr and "PDE" in tr, tr
        assert "-> GPA 0x100000 (2048 KiB page" in tr, tr
        # No host address for any client (it would defeat minikvm's ASLR): only with -v.
        assert "-> guest RAM + 0x100000, via a KVM memory slot (host address: minikvm -v)" in tr, tr
        assert "HVA" not in tr and "0x7f" not in tr, tr
        assert "not mapped" in r["tr_bad"] or "not present" in r["tr_bad"]
        assert "-> GPA %#x (2048 KiB page" % r["counter"] in r["tr_eval"], r
        assert 'usage: monitor translate ADDR (a number: gdb sends monitor arguments as typed; ' \
            'for an expression, eval "monitor translate %#lx", EXPR)' in r["tr_typed"], r
        assert "long mode" in r["sregs"] and "GDT base=0000000000001000" in r["sregs"]
        assert "EFER=" in r["sregs"] and "APIC_BASE=00000000fee00900" in r["sregs"], r["sregs"]
        # GDT entry 2 (0x10): minikvm's 64-bit boot code segment, read physically
        assert r["phys"] == [0xff, 0xff, 0, 0, 0, 0x9b, 0xaf, 0], r["phys"]
        assert "vCPU 0:" in r["stats"]
        assert "vCPU 0, long mode" in r["threads"]


def test_monitor_translate_shows_host_address_only_with_v():
    with Vmm(["-v", "-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
R["tr"] = ex("monitor translate 0x100000")
ex("kill")
''')
        assert re.search(r"-> HVA 0x[0-9a-f]+ \(guest RAM mapping \+ 0x100000,", r["tr"]), r["tr"]


def test_reset_restarts_the_guest():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("break report")
ex("continue")
R["counter"] = ev("counter")
ex("monitor reset")
ex("maintenance flush register-cache")  # gdb cannot know that registers changed
R["pc"] = ev("$pc")
R["counter_after"] = ev("counter")
ex("continue")
R["fn"] = fn()
ex("delete")
ex("continue")
''')
        assert r["counter"] == 55 and r["pc"] == 0x100000 and r["counter_after"] == 0
        assert r["fn"] == "report"
        assert vm.finish() == 0
        assert vm.stdout().count("ckernel: hello") == 2


def test_reset_that_cannot_reload_leaves_the_guest_as_it_was():
    # monitor reset with the image deleted, broken, or rebuilt as 32-bit code:
    # each is an error for gdb, and the guest goes on untouched.
    d = harness.tempfile.mkdtemp()
    img = os.path.join(d, "k.elf")
    harness.shutil.copy(CK, img)
    with Vmm(["-S", img]) as vm:
        r = run_gdb(vm, CK, (
            "IMG = %r\nCK = %r\nE32 = %r\n" % (img, CK, guest("elf32.elf"))) + r'''
import os, shutil
ex("break report")
ex("continue")
R["counter"] = ev("counter")
R["pc0"] = ev("$pc")
os.unlink(IMG)
R["gone"] = ex("monitor reset")
with open(IMG, "wb") as f:
    f.write(b"\x7fELF garbage")
R["broken"] = ex("monitor reset")
shutil.copy(E32, IMG)
R["width"] = ex("monitor reset")
R["pc"] = ev("$pc")
R["counter_after"] = ev("counter")
shutil.copy(CK, IMG)
ex("delete")
ex("continue")
''')
        assert r["counter"] == 55 and r["counter_after"] == 55, r
        assert r["pc"] == r["pc0"], r  # still at the breakpoint in report()
        assert "reset failed: cannot read the guest image '%s' again: No such file" % img in r["gone"], r
        assert "reset failed: " in r["broken"] and "ELF" in r["broken"], r
        assert "reset failed: the image is now 32-bit code, was 64-bit" in r["width"], r
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0
    harness.shutil.rmtree(d)


def test_attach_detach_reattach_running_guest():
    with Vmm([guest("ticker.elf")]) as vm:
        vm.wait_output("tick 2\n")
        r1 = run_gdb(vm, guest("ticker.elf"), r'''
R["ticks"] = ev("ticks")
R["threads"] = ex("info threads")
ex("detach")
''')
        assert r1["ticks"] >= 2
        vm.wait_output("tick %d\n" % (r1["ticks"] + 2))  # it runs on after detach
        r2 = run_gdb(vm, guest("ticker.elf"), r'''
R["ticks"] = ev("ticks")
ex("set var stop_requested = 1")
ex("detach")
''')
        assert r2["ticks"] >= r1["ticks"] + 2
        assert vm.finish() == 0
        assert "ticker: stop requested after" in vm.stdout()


def test_ctrl_c_in_gdb_interrupts():
    with Vmm([guest("ticker.elf")]) as vm:
        vm.wait_output("tick 1\n")
        p = subprocess.Popen([GDB, "-q", "-nx", guest("ticker.elf")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            p.stdin.write(b"set confirm off\ntarget remote %s\ncontinue\n" % vm.sock.encode())
            p.stdin.flush()
            seen = b""
            end = time.monotonic() + 30
            while b"Continuing." not in seen and time.monotonic() < end:
                r, _, _ = harness.select.select([p.stdout], [], [], 1)
                if r:
                    seen += os.read(p.stdout.fileno(), 4096)
            assert b"Continuing." in seen, seen
            n = vm.stdout().count("tick")
            vm.wait_output("tick %d\n" % (n + 1))  # the guest runs under gdb's continue
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(b"p ticks\np stop_requested = 1\ndetach\nquit\n", timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
        out = (seen + out).decode(errors="replace")
        assert "Program received signal SIGINT" in out, out
        assert vm.finish() == 0
        assert "ticker: stop requested" in vm.stdout()


def test_raw_interrupt_byte_and_stop_reply():
    with Vmm([guest("ticker.elf")]) as vm:
        vm.wait_output("tick 1\n")
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        assert c.cmd("?").startswith(b"T02thread:1;")  # attaching stops it: SIGINT
        c.send(b"vCont;c")
        n = vm.stdout().count("tick")
        vm.wait_output("tick %d\n" % (n + 1))  # running again
        c.send_raw(b"\x03")
        reply = c.reply()
        assert re.match(rb"T02thread:1;", reply), reply
        c.send(b"D")
        assert c.reply() == b"OK"
        c.close()
        n = vm.stdout().count("tick")
        vm.wait_output("tick %d\n" % (n + 1))


def test_second_debugger_refused_first_undisturbed():
    with Vmm(["-S", CK]) as vm:
        first = Rsp(vm.sock)
        first.send_raw(b"+")
        assert first.cmd("qC") == b"QC1"
        second = Rsp(vm.sock)
        data = second.s.recv(4096)
        assert b"another debugger is attached" in data
        assert second.s.recv(4096) == b""  # closed
        second.close()
        assert first.cmd("qC") == b"QC1"
        assert first.cmd("m100000,4") == b"fafc488d"  # cli; cld; lea ... at _start
        first.send(b"k")
        first.close()
        assert vm.finish() == 0
        assert "refused a second gdb connection" in vm.stderr()


def test_stdio_endpoint_pipe():
    d = harness.tempfile.mkdtemp()
    serial = os.path.join(d, "serial")
    # remotetimeout: minikvm answers once its VM exists and the host is
    # probed, which takes seconds on an emulated KVM host under load.
    out = subprocess.run([GDB, "-nx", "-q", "-batch", CK, "-ex", "set remotetimeout 30",
                          "-ex", "target remote | %s --gdb stdio -S --serial file:%s %s" % (
                              harness.MINIKVM, serial, CK),
                          "-ex", "break report", "-ex", "continue", "-ex", "p counter",
                          "-ex", "kill"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=60).stdout.decode()
    assert "Breakpoint 1, report ()" in out and "$1 = 55" in out, out
    with open(serial) as f:
        assert f.read() == (CK_OUT % 0).split("mode:")[0]  # killed at report()
    harness.shutil.rmtree(d)


def test_tcp_endpoint_loopback_only():
    s = harness.socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with Vmm(["-S", CK], gdb_args=["-g", str(port)]) as vm:
        vm.wait_for(lambda: "listening on 127.0.0.1:%d" % port in vm.stderr(), "listening")
        r = run_gdb(":%d" % port, CK, 'R["pc"] = ev("$pc")\nex("kill")')
        assert r["pc"] == 0x100000
        assert vm.finish() == 0


def test_unix_socket_is_private():
    with Vmm(["-S", CK]) as vm:
        mode = os.stat(vm.sock).st_mode & 0o777
        assert mode == 0o600, oct(mode)


def test_elf32_kernel_with_its_own_symbols():
    elf = guest("mbkernel.elf")
    with Vmm(["-S", "--append", "x=1", elf]) as vm:
        r = run_gdb(vm, elf, r'''
R["arch"] = gdb.selected_frame().architecture().name()
R["eax"] = ev("$eax"); R["ebx"] = ev("$ebx"); R["eip"] = ev("$eip")
R["cr0"] = ev("$cr0")
ex("continue")
''')
        assert r["arch"] == "i386"
        assert r["eax"] == 0x2BADB002 and r["ebx"] == 0x2000  # multiboot magic and info
        assert r["cr0"] & 1
        assert vm.finish() == 0


def test_mode_switches_real_protected_long():
    elf = guest("modeswitch.bin.elf")
    with Vmm(["-S", "--gdb-arch", "x86-64", guest("modeswitch.bin")]) as vm:
        r = run_gdb(vm, elf, r'''
R["pc0"] = ev("$pc")
ex("break rm_point")
ex("break pm_point")
ex("break lm_point")
ex("continue")
R["rm"] = [ev("$pc"), ev("$ax"), ev("$cr0") & 1, ev("$cs")]
ex("continue")
R["pm"] = [ev("$pc"), ev("$eax") & 0xffffffff, ev("$cr0") & 1, ev("$cs")]
ex("continue")
R["lm"] = [ev("$pc"), ev("$rax"), ev("$efer") & 0x400, ev("$cs"), ev("$cr3")]
ex("delete")
ex("continue")
''')
        assert r["pc0"] == 0x7c00
        sym = harness.symbols(elf)
        assert r["rm"] == [sym["rm_point"], 0x1234, 0, 0], r["rm"]
        assert r["pm"] == [sym["pm_point"], 0x89abcdef, 1, 0x08], r["pm"]
        assert r["lm"] == [sym["lm_point"], 0x0123456789abcdef, 0x400, 0x18, 0x20000], r["lm"]
        assert vm.finish() == 0
        assert vm.stdout() == "mode: real\nmode: protected\nmode: long\n"


SMP = guest("smp.bin")
SMP_ELF = guest("smp.bin.elf")


def test_smp_threads_all_stop_and_scheduler_locking():
    with Vmm(["-S", "-c", "4", "--format", "raw32", SMP]) as vm:
        r = run_gdb(vm, SMP_ELF, r'''
import time
R["threads0"] = ex("info threads")
ex("break ap_main")
ex("continue")
R["hit_thread"] = gdb.selected_thread().num
R["hit_fn"] = fn()
R["nthreads"] = len(gdb.selected_inferior().threads())
R["threads"] = ex("info threads")
# All-stop: the BSP, which spins until every AP is online, does not move while we look.
ex("thread 1")
pc_a = ev("$pc"); online_a = ev("aps_online")
time.sleep(0.3)
ex("maintenance flush register-cache")
R["bsp_still"] = [pc_a == ev("$pc"), online_a == ev("aps_online")]
# Each vCPU has its own registers: thread 3 is vCPU 2.
ex("thread 3")
R["t3_regs"] = ex("info registers eip esp cs")
R["t3_name"] = gdb.selected_thread().name
ex("delete")
# Scheduler locking: step the AP that hit the breakpoint; nobody else moves.
ex("set scheduler-locking on")
ex("thread %d" % R["hit_thread"])
before = {}
for t in gdb.selected_inferior().threads():
    t.switch(); before[t.num] = ev("$pc")
ex("thread %d" % R["hit_thread"])
ex("stepi"); ex("stepi"); ex("stepi")
after = {}
for t in gdb.selected_inferior().threads():
    t.switch(); after[t.num] = ev("$pc")
R["moved"] = sorted(n for n in before if before[n] != after[n])
ex("set scheduler-locking off")
ex("continue")
''')
        assert r["hit_fn"] == "ap_main" and r["hit_thread"] in (2, 3, 4), r
        assert r["nthreads"] == 4
        for n in range(4):
            # gdb speaks multiprocess with minikvm (as with QEMU): process 1, thread N.
            assert 'Thread 1.%d "vCPU %d"' % (n + 1, n) in r["threads"], r["threads"]
        assert "waiting for INIT-SIPI" in r["threads0"], r["threads0"]  # APs before SIPI
        assert r["bsp_still"] == [True, True]
        assert r["t3_name"] == "vCPU 2" and "eip" in r["t3_regs"]
        assert r["moved"] == [r["hit_thread"]], r
        assert vm.finish() == 4  # the guest completes: 4 CPUs online
        lines = sorted(vm.stdout().splitlines())
        assert "smp: 4 CPUs online" in lines and "cpu 3: APIC id 3" in lines


def test_smp_breakpoint_hit_from_every_vcpu():
    with Vmm(["-S", "-c", "4", "--format", "raw32", SMP]) as vm:
        r = run_gdb(vm, SMP_ELF, r'''
ex("break ap_main")
hits = set()
for _ in range(3):
    ex("continue")
    hits.add(gdb.selected_thread().num)
R["hits"] = sorted(hits)
ex("delete")
ex("continue")
''')
        assert r["hits"] == [2, 3, 4], r
        assert vm.finish() == 4


def test_smp_conditional_breakpoint_stops_only_its_vcpu():
    # Seven APs run through one line at once. The breakpoint's condition is
    # false for six: each steps over it alone (the others parked meanwhile),
    # so the seventh cannot slip past while the breakpoint is lifted.
    line = source_line("guest/smp.c", "\tspin_lock(&console_lock);")
    with Vmm(["-S", "-c", "8", "--format", "raw32", SMP]) as vm:
        r = run_gdb(vm, SMP_ELF, ("LINE = %d\n" % line) + r'''
ex("break guest/smp.c:%d if vcpu == 5" % LINE)
ex("continue")
R["stop"] = [gdb.selected_thread().num, ev("vcpu"), fn()]
R["info"] = ex("info breakpoints")
ex("delete")
ex("continue")
''')
        assert r["stop"] == [6, 5, "ap_main"], r
        assert "already hit 1 time" in r["info"], r["info"]
        assert vm.finish() == 8
        assert "cpu 5: APIC id 5" in vm.stdout().splitlines()


def test_step_over_a_halt_does_not_stop_the_other_vcpus():
    # A false conditional breakpoint on the AP's `cli; hlt`: stepping over it
    # never finishes (nothing wakes that vCPU). The others must not stay
    # parked meanwhile: the BSP counts the AP, prints and ends the VM.
    with Vmm(["-S", "-c", "2", "--format", "raw32", SMP]) as vm:
        r = run_gdb(vm, SMP_ELF, r'''
hlt = [l.split()[0] for l in ex("x/6i halt_forever").splitlines() if "hlt" in l][0]
R["hlt"] = hlt
ex("break *%s if $eax == 0x12345678" % hlt.rstrip(":"))
R["cont"] = ex("continue")
''', timeout=120)
        assert "error" not in r, r
        assert vm.finish() == 2, vm.stderr()
        assert vm.stdout().endswith("smp: 2 CPUs online\n"), vm.stdout()


def test_mi_session_like_an_ide():
    """What VS Code's cppdbg / CLion send: MI3 commands, asserted on MI records.

    The settings come from docs/ide/launch.json, the file docs/gdb.md tells users to use.
    """
    import json
    with open(os.path.join(harness.ROOT, "docs", "ide", "launch.json")) as f:
        conf = json.load(f)["configurations"][0]
    assert conf["type"] == "cppdbg" and conf["MIMode"] == "gdb"
    assert conf["miDebuggerServerAddress"] == "localhost:1234"
    program = conf["program"].replace("${workspaceFolder}", harness.ROOT)
    assert program == CK
    with Vmm(["-S", program]) as vm:
        cmds = "\n".join(["-gdb-set confirm off"] + [c["text"] for c in conf["setupCommands"]] + [
            # cppdbg sends "-target-select remote <miDebuggerServerAddress>"; here the
            # stub listens on a private socket instead of :1234
            "-target-select remote %s" % vm.sock,
            "-break-insert leaf",
            "-exec-continue",
            "-stack-list-frames",
            "-stack-list-variables --all-values",
            "-exec-finish",
            "-exec-next",
            "-data-evaluate-expression square",
            "-data-evaluate-expression counter",
            "-thread-info",
            "-break-delete 1",
            "-exec-continue",
            "-gdb-exit",
        ]) + "\n"
        proc = subprocess.run([GDB, "--interpreter=mi3", "-nx", "-q", CK], input=cmds.encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = proc.stdout.decode(errors="replace")
        assert '^connected' in out, out
        assert re.search(r'\^done,bkpt=\{number="1",type="breakpoint".*func="leaf"', out), out
        assert re.search(r'\*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",'
                         r'frame=\{addr="0x[0-9a-f]+",func="leaf",args=\[\{name="x",value="0"\}\]', out), out
        frames = re.search(r'\^done,stack=\[(.*?)\]\n', out).group(1)
        assert [m for m in re.findall(r'func="(\w+)"', frames)] == \
            ["leaf", "accumulate", "compute", "kmain", "_start"], frames
        assert re.search(r'\^done,variables=\[\{name="x",arg="1",value="0"\},\{name="result",value="\d+"\}\]', out), out
        assert re.search(r'\*stopped,reason="function-finished".*gdb-result-var="\$1",return-value="1"', out), out
        assert re.search(r'\*stopped,reason="end-stepping-range"', out), out
        assert '^done,value="1"' in out  # square
        assert '^done,value="0"' in out  # counter, before count_up
        assert re.search(r'\^done,threads=\[\{id="1",target-id="Thread 1\.1",'
                         r'details="vCPU 0, long mode, runnable",name="vCPU 0"', out), out
        assert re.search(r'\*stopped,reason="exited-normally"', out), out
        assert vm.finish() == 0


def test_hostile_packets_leave_the_guest_intact():
    with Vmm(["-S", CK]) as vm:
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        regs = c.cmd("g")
        assert len(regs) > 100
        nasty = [
            b"$m0,ffffffffffffffff#00",          # bad checksum: dropped, nacked
            b"$zz#f4",                           # unknown packet
            b"$mffffffffffffffff,10#" + b"%02x" % (sum(b"mffffffffffffffff,10") & 0xff),
            b"$" + b"A" * 300000 + b"#00",       # oversized
            b"$M100000,ffffffff:00#" + b"%02x" % (sum(b"M100000,ffffffff:00") & 0xff),
            b"$X100000,10:" + b"\x7d" + b"#00",  # truncated escape, bad checksum
            b"$Z0,notanaddr,1#" + b"%02x" % (sum(b"Z0,notanaddr,1") & 0xff),
            b"$vCont;q:zz#" + b"%02x" % (sum(b"vCont;q:zz") & 0xff),
            b"$Hg99#" + b"%02x" % (sum(b"Hg99") & 0xff),
            b"$P999=00#" + b"%02x" % (sum(b"P999=00") & 0xff),
            b"$qXfer:features:read:target.xml:ffffffff,ffffffff#" +
            b"%02x" % (sum(b"qXfer:features:read:target.xml:ffffffff,ffffffff") & 0xff),
            bytes(range(256)) * 4,
        ]
        for n in nasty:
            c.send_raw(n)
        c.send_raw(b"+")
        # The stub still answers sensibly and the guest state is what it was.
        # (Replies to the junk above may still be queued: skip to the answer to "g".)
        c.send(b"g")
        while True:
            got = c.reply()
            if len(got) == len(regs):
                break
        assert got == regs
        assert c.cmd("m100000,4") == b"fafc488d"
        c.send(b"D")
        c.close()
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


def test_read_and_access_watchpoints():
    # Debug registers where they fire; elsewhere the watched page leaves the
    # guest's memory slots and each access to it exits to minikvm.
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
stops = []
gdb.events.stop.connect(lambda e: stops.append(
    [[b.expression, b.type == gdb.BP_ACCESS_WATCHPOINT] for b in getattr(e, "breakpoints", [])]))
ex("rwatch last_result")
ex("awatch counter")
ex("continue")
R["first"] = [fn(), ev("counter"), ev("last_result")]
R["stops"] = stops
ex("delete")
ex("continue")
''')
        # kmain's write of last_result (295) did not stop the read watchpoint, and went
        # through; count_up's first access of counter did stop the access watchpoint.
        assert r["first"][0] == "count_up" and r["first"][1] <= 1 and r["first"][2] == 295, r
        assert r["stops"] == [[["counter", True]]], r["stops"]  # gdb saw its awatch hit
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


def test_watchpoint_of_length_zero_refused_cleanly():
    with Vmm(["-S", CK]) as vm:
        c = Rsp(vm.sock)
        addr = b"%x" % harness.symbols(CK)["counter"]
        for z in (b"Z2", b"Z3", b"Z4"):
            assert c.cmd(z + b"," + addr + b",0").startswith(b"E"), z
        assert c.cmd(b"Z4," + addr + b",8") == b"OK"
        assert c.cmd(b"z4," + addr + b",8") == b"OK"
        c.send(b"D")
        assert c.reply() == b"OK"
        c.close()
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


INT3_OUT = ("int3: before\nint3: handler ran, count=1\nint3: handler ran, count=2\n"
            "int3: after, count=2\nint3: mxcsr ok\n")


def test_guest_own_int3_reaches_the_guest():
    res = harness.run(["--format", "raw64", guest("int3.bin")])
    harness.expect(res, 0, stdout=INT3_OUT)


def test_guest_own_int3_with_debugger_attached():
    elf = guest("int3.bin.elf")
    with Vmm(["-S", "--format", "raw64", guest("int3.bin")]) as vm:
        r = run_gdb(vm, elf, r'''
ex("break print_count")
ex("continue")
R["first"] = [fn(), ev("*(long *)&bp_count")]
ex("delete")
ex("continue")
''')
        # gdb stops only at its own breakpoint; the guest's int3 went to the guest's handler
        assert r["first"] == ["print_count", 1], r
        assert vm.finish() == 0
        assert vm.stdout() == INT3_OUT


def test_disconnect_mid_packet_and_while_stopped_resumes_guest():
    tick_once = harness.symbols(guest("ticker.elf"))["tick_once"]
    with Vmm([guest("ticker.elf")]) as vm:
        vm.wait_output("tick 1\n")
        # 1: gone in the middle of a packet, with the guest stopped by the attach
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        assert c.cmd("?").startswith(b"T02")
        c.send_raw(b"$m1000")
        c.close()
        n = vm.stdout().count("tick")
        vm.wait_output("tick %d\n" % (n + 1))
        # 2: gone while stopped at its own breakpoint: the breakpoint goes, the guest goes on
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        c.cmd("?")
        assert c.cmd("Z0,%x,1" % tick_once) == b"OK"
        c.send("vCont;c")
        assert c.reply().startswith(b"T05thread:1;")  # (no swbreak: without qSupported)
        assert c.cmd("m%x,1" % tick_once) != b"cc"  # original byte shown
        c.close()
        n = vm.stdout().count("tick")
        vm.wait_output("tick %d\n" % (n + 2))
        # 3: gone while single-stepping
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        c.cmd("?")
        c.send("vCont;s:1")
        c.close()
        n = vm.stdout().count("tick")
        vm.wait_output("tick %d\n" % (n + 2))
        r = run_gdb(vm, guest("ticker.elf"), 'ex("set var stop_requested = 1")\nex("detach")')
        assert vm.finish() == 0


def test_four_hardware_slots_and_fifth_refused():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
for f in ("leaf", "accumulate", "compute", "area", "report"):
    ex("hbreak " + f)
try:
    ex("continue")
    R["fifth"] = "accepted"
except gdb.error as e:
    R["fifth"] = str(e)
ex("delete 5")
ex("continue")
R["fn"] = fn()
ex("delete")
ex("monitor quit")
''')
        assert r["fifth"] != "accepted", r
        assert r["fn"] == "compute"
        assert vm.finish() == 0  # monitor quit ends the VM cleanly


def test_conditional_breakpoints_evaluated_in_the_vmm():
    loop_line = source_line(CK_SRC, "\t\tcounter += i;")
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, ("LOOP_LINE = %d\n" % loop_line) + r'''
ex("break *leaf if $rdi == 5 && counter == 0")
R["hits"] = []
ex("set debug remote 1")   # the Z0 packet goes out when the target resumes
R["log"] = ex("continue")
ex("set debug remote 0")
R["hits"].append([fn(), ev("$rdi")])
R["info"] = ex("info breakpoints")
ex("delete")
# hardware breakpoint with a condition on memory
ex("hbreak *accumulate if *(unsigned long *)&last_result == 0 && $rsi == 8")
ex("continue")
R["hits"].append([fn(), ev("$rsi")])
R["info2"] = ex("info breakpoints")
ex("delete")
# an argument of -O0 code, in the stack frame: found through the call-frame information
ex("break count_up")
ex("continue")
ex("delete")
ex("break guest/ckernel.c:%d if counter == 21" % LOOP_LINE)
ex("continue")
R["hits"].append([fn(), ev("counter"), ev("n")])
ex("delete")
R["info3"] = ""

ex("delete")
ex("continue")
''')
        assert r["hits"] == [["leaf", 5], ["accumulate", 8], ["count_up", 21, 10]], r
        # gdb saw one hit each: the false ones never left minikvm
        assert "breakpoint already hit 1 time" in r["info"], r["info"]
        assert "breakpoint already hit 1 time" in r["info2"], r["info2"]
        assert re.search(r"Z0,[0-9a-f]+,1;X", r["log"] + r["_output"]), "gdb kept the condition"
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0


def test_conditional_breakpoint_on_a_local():
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("break leaf if x == 6")
ex("continue")
R["hit"] = [fn(), ev("x")]
R["info"] = ex("info breakpoints")
ex("delete")
ex("continue")
''')
        assert r["hit"] == ["leaf", 6]
        assert "(target evals)" in r["info"] and "already hit 1 time" in r["info"], r["info"]
        assert vm.finish() == 0
        assert vm.stdout() == CK_OUT % 0
