# SPDX-License-Identifier: MIT
"""Console modes, diagnostics, memory sizes, the terminal, signals."""
import os
import pty
import re
import select
import signal
import subprocess
import tempfile
import termios
import time

import harness
from harness import expect, guest, run

HELLO = "Hello, world! (real mode)\n"


def test_serial_none_discards_output():
    res = run(["--serial", "none", guest("hello16.bin")])
    expect(res, 0, stdout="")


def test_serial_file():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "serial.log")
        res = run(["--serial", "file:" + path, guest("hello16.bin")])
        expect(res, 0, stdout="")
        with open(path) as f:
            assert f.read() == HELLO


def test_serial_file_unwritable():
    res = run(["--serial", "file:/nonexistent/dir/log", guest("hello16.bin")])
    expect(res, 1)
    assert "/nonexistent/dir/log" in res.stderr.decode()


def test_trace_exits_lines():
    res = run(["--trace-exits", guest("hello16.bin")])
    expect(res, 0, stdout=HELLO)
    lines = res.stderr.decode().splitlines()
    # Every transmitted character is one OUT to the UART's THR at 0x3f8.
    thr = [l for l in lines if re.match(r"vcpu0: IO out port=0x3f8 size=1 data=0x[0-9a-f]+$", l)]
    data = "".join(chr(int(l.rsplit("=", 1)[1], 16)) for l in thr)
    assert data == HELLO, data
    assert "vcpu0: IO out port=0x64 size=1 data=0xfe" in lines, lines[-5:]


def test_stats_counts_ports():
    res = run(["--stats", guest("hello16.bin")])
    expect(res, 0, stdout=HELLO)
    err = res.stderr.decode()
    assert re.search(r"^vCPU 0: \d+ exits$", err, re.M), err
    m = re.search(r"port 0x03f8 .*?reads (\d+) writes (\d+)", err)
    assert m and int(m.group(2)) == len(HELLO), err
    assert re.search(r"^  IO\s+\d+$", err, re.M), err


def test_unknown_port_counted():
    # in al, 0x99 ; out 0x99, al ; then isa-debug-exit with the value read (0xff -> 0xff)
    code = bytes([0xE4, 0x99, 0xE6, 0x99, 0xE6, 0xF4, 0xF4])
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        res = run(["--stats", "--trace-exits", f.name])
    expect(res, 0xFF)  # (0xff << 1 | 1) & 0xff: the read returned all ones
    err = res.stderr.decode()
    assert "vcpu0: IO in port=0x99 size=1 data=0xff (unknown port)" in err, err
    assert "unknown port accesses 2" in err, err


def test_memory_sizes():
    for mem in ("2M", "512M", "3G", "4G", "6G"):
        res = run(["-m", mem, "--format", "raw64", guest("long64.bin")])
        assert res.status == 0, (mem, res)
        assert b"read back 0x0123456789abcdef" in res.stdout or mem == "2M", (mem, res)


def test_verbose_says_why_it_ended():
    res = run(["-v", guest("hello16.bin")])
    expect(res, 0, stdout=HELLO)
    err = res.stderr.decode()
    assert "real mode" in err and "i8042" in err, err


def hang_image():
    f = tempfile.NamedTemporaryFile(suffix=".bin", delete=False)
    f.write(bytes([0xFA, 0xF4, 0xEB, 0xFD]))  # cli; hlt; jmp back
    f.close()
    return f.name


def test_sigterm_and_sigint():
    path = hang_image()
    try:
        for sig, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
            p = subprocess.Popen([harness.MINIKVM, "-v", path], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            p.stderr.readline()  # "-v" says what it loaded: the VMM is up and handles signals
            p.send_signal(sig)
            out, err = p.communicate(timeout=10)
            assert p.returncode == status, (sig, p.returncode, err)
    finally:
        os.unlink(path)


def read_until(fd, want, timeout=10.0):
    buf = b""
    end = time.monotonic() + timeout
    while want not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out waiting for %r; got %r" % (want, buf))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_terminal_raw_mode_echo_and_ctrl_a_x():
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen([harness.MINIKVM, "--format", "raw64", guest("hypercall.bin")],
                         stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    try:
        read_until(master, b"hypercall: echo: ")
        during = termios.tcgetattr(slave)
        assert not (during[3] & termios.ICANON) and not (during[3] & termios.ISIG), during
        # Interactive echo appears while the input is still open, and Ctrl-C is the guest's.
        os.write(master, b"hi\x03")
        read_until(master, b"HI\x03")
        assert p.poll() is None, "Ctrl-C must go to the guest, not end the VMM"
        os.write(master, b"\x01x")  # Ctrl-A x quits
        assert p.wait(timeout=10) == 0
        after = termios.tcgetattr(slave)
        assert after == before, "terminal settings not restored"
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
        os.close(slave)


def test_terminal_restored_after_crash():
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen([harness.MINIKVM, "--format", "raw32", guest("triplefault.bin")],
                         stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    try:
        assert p.wait(timeout=20) == 3
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_terminal_restored_after_sigterm():
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    path = hang_image()
    p = subprocess.Popen([harness.MINIKVM, path], stdin=slave, stdout=slave,
                         stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 10
        while termios.tcgetattr(slave) == before and time.monotonic() < end:
            time.sleep(0.01)  # polling the observable: raw mode switched on
        assert termios.tcgetattr(slave) != before, "never entered raw mode"
        p.terminate()
        assert p.wait(timeout=10) == 143
        assert termios.tcgetattr(slave) == before
    finally:
        os.unlink(path)
        os.close(master)
        os.close(slave)


def run_code(code, args=()):
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(bytes(code))
        f.flush()
        return run(["-v"] + list(args) + [f.name])


def test_acpi_poweroff_and_pci_reset_end_cleanly():
    # mov dx, 0x604 ; mov ax, SLP_TYP(5) << 10 | SLP_EN ; out dx, ax ; cli ; hlt
    res = run_code([0xBA, 0x04, 0x06, 0xB8, 0x00, 0x34, 0xEF, 0xFA, 0xF4])
    expect(res, 0)
    assert "ACPI poweroff (S5)" in res.stderr.decode(), res
    # mov dx, 0xcf9 ; mov al, 6 (RST_CPU | SYS_RST) ; out dx, al ; cli ; hlt
    res = run_code([0xBA, 0xF9, 0x0C, 0xB0, 0x06, 0xEE, 0xFA, 0xF4])
    expect(res, 0)
    assert "reset via port 0xCF9" in res.stderr.decode(), res
    # a sleep type other than S5 does not end the VM: then isa-debug-exit 3 -> 7
    res = run_code([0xBA, 0x04, 0x06, 0xB8, 0x00, 0x2C, 0xEF,   # SLP_TYP 3 | SLP_EN
                    0xB0, 0x03, 0xE6, 0xF4, 0xFA, 0xF4])
    expect(res, 7)


def test_rtc_reads_host_time():
    # Read CMOS registers 0x09 (year), 0x08 (month), 0x07 (day) in BCD and exit with the year.
    # mov al, 9 ; out 0x70, al ; in al, 0x71 ; out 0xf4, al -> status (bcd << 1 | 1) & 0xff
    res = run_code([0xB0, 0x09, 0xE6, 0x70, 0xE4, 0x71, 0xE6, 0xF4, 0xFA, 0xF4])
    year = time.gmtime().tm_year % 100
    bcd = (year // 10) << 4 | year % 10
    assert res.status == ((bcd << 1) | 1) & 0xff, (res, bcd)


MODES = ["real mode", "protected mode, paging off", "protected mode, 32-bit paging",
         "long mode, 4-level paging", "long mode, 5-level paging"]


def test_host_report_table_and_methods_agree():
    # --host-report runs no guest: it probes this KVM in every CPU mode and
    # says which method the debugger takes for each job. A method is taken
    # only where it worked in every mode, so the table decides the methods.
    res = run(["--host-report"])
    assert res.status == 0, res
    out = res.stdout.decode()
    rows = {}
    for line in out.splitlines():
        m = re.match(r"  (.+?)\s{2,}(exit|guest|lost)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+(exit|lost)\s*$",
                     line)
        if m:
            rows[m.group(1)] = m.groups()[1:]
        elif line.startswith("  long mode, 5-level paging") and "does not offer" in line:
            rows["long mode, 5-level paging"] = None
    assert list(rows) == MODES, out
    tested = [r for r in rows.values() if r]
    assert all(r[5] == "exit" for r in tested), out   # port I/O always exits: the fallback's base
    int3_everywhere = all(r[0] == "exit" for r in tested)
    dr_exec_everywhere = all(r[1] == "yes" for r in tested)
    methods = out[out.index("Methods the debugger picks here"):]
    host_kind = re.search(r"host KVM: (.*)", methods).group(1)
    if "PVM" not in host_kind:
        assert ("software breakpoints: int3 (" in methods) == int3_everywhere, out
        assert ("software breakpoints: patched `in al, dx`" in methods) == (not int3_everywhere), out
    assert ("hardware breakpoints: debug registers" in methods) == dr_exec_everywhere, out
    # -v says the same about the same host, before the guest runs.
    with tempfile.TemporaryDirectory() as d:
        v = run(["-v", "-g", "unix:" + os.path.join(d, "s"), guest("hello16.bin")])
    expect(v, 0, stdout=HELLO)
    said = [l for l in v.stderr.decode().splitlines() if l.startswith("minikvm:   ") or "host KVM:" in l]
    assert said == [l for l in methods.splitlines() if l.startswith("minikvm:")], (said, methods)
    # The build without the debugger has no probe to report.
    nodebug = run(["--host-report"], binary=harness.MINIKVM + "-nodebug")
    assert nodebug.status == 1 and b"without the debugger" in nodebug.stderr, nodebug
