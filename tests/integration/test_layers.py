# SPDX-License-Identifier: MIT
"""The layers of src/ and gdbstub/ (docs/architecture.md, "Layers"), checked on the code.

Three checks, no KVM needed:
- includes: each layer of src/ and gdbstub/ includes only the headers its
  rule allows (src/p9/, the 9P server, is a library like gdbstub/: it
  includes only itself, and only devices include it);
- calls in src/: the symbol-level dependency graph of the built objects (who
  calls or reads what `nm` says another object defines) has no circle
  through src/loader/, src/dev/ or the debugger. What stays mutual is the
  core and the arch (src/*.c <-> src/x86/*.c), as in kvmtool;
- calls in gdbstub/: the same graph of build/gdbstub/*.o has no circle at
  all, and keeps three layers (gdbstub/internal.h): the dispatcher
  (server.c) on top, the packet handlers (GDBSTUB_HANDLERS) below it, the
  helpers (framing.c, reply.c, run_control.c, text.c, ...) below every
  handler. No handler calls the dispatcher, framing reports a complete
  packet by returning it instead of calling the dispatcher, and no helper
  calls a handler or the dispatcher.
"""
import collections
import os
import re
import subprocess

import harness

NEEDS_KVM = False

SRC = os.path.join(harness.ROOT, "src")

# The debugger: nothing but main.c includes its headers.
DEBUGGER = {"debug.c", "debug_bp.c", "debug_mem.c", "debug_verdict.c", "debug_report.c",
            "debug_options.c", "debug_options.h", "debug_snapshot.c", "debug.h", "debug_internal.h",
            "gdb_conn.c", "gdb_endpoint.c", "gdb_endpoint.h", "gdb_peer.c", "gdb_peer.h"}
CORE_HEADERS_FOR_DEVICES = {"vm.h", "vcpu.h", "iobus.h", "device.h", "error.h", "console.h",
                            "guest_mem.h", "options.h", "boot.h", "arch.h", "debug_contract.h", "runctl.h",
                            "snapshot_state.h"}


def layer(rel):
    """'gdbstub', 'p9', 'debugger', 'loader', 'dev', 'arch', 'main' or 'core'."""
    if rel.startswith("gdbstub/"):
        return "gdbstub"
    if rel.startswith("src/p9/"):
        return "p9"
    name = rel[len("src/"):]
    if name in DEBUGGER:
        return "debugger"
    if name == "main.c":
        return "main"
    for d in ("loader", "dev", "x86", "riscv"):
        if name.startswith(d + "/"):
            return "arch" if d in ("x86", "riscv") else d
    return "core"


def includes(path):
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if m:
                yield m.group(1)


def resolve(path, inc):
    """The repository-relative file an include names (its directory, then -iquote src, src/x86)."""
    for base in (os.path.dirname(path), SRC, os.path.join(SRC, "x86")):
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.exists(cand):
            return os.path.relpath(cand, harness.ROOT)
    return None


def allowed(src_layer, target_rel):
    t = layer(target_rel)
    name = os.path.basename(target_rel)
    if src_layer in ("gdbstub", "p9"):
        return t == src_layer
    if src_layer in ("main", "debugger"):
        return True
    if t == "debugger":
        return False                       # only main.c plugs the debugger in
    if src_layer == "loader":
        # Pure: bytes in, guest memory and a boot_state out; the memory map is the arch's.
        return (t == "loader" or target_rel in ("src/x86/layout.h", "src/x86/acpi.h",
                                                "src/riscv/layout.h") or
                (t == "core" and name in ("error.h", "guest_mem.h", "boot.h", "options.h")))
    if src_layer == "dev":
        return t in ("dev", "gdbstub", "p9") or (t == "core" and name in CORE_HEADERS_FOR_DEVICES) or \
            target_rel.startswith(("src/x86/", "src/riscv/")) and \
            name in ("layout.h", "irqchip.h", "x86.h", "acpi.h")
    if src_layer == "core":
        # The arch's interface and its part of struct vm, never its insides.
        return t in ("core", "gdbstub", "loader") or name in ("arch.h", "vm_arch.h", "guest_mem_arch.h")
    if src_layer == "arch":
        return t in ("core", "arch", "dev", "gdbstub")
    return False


def test_every_include_keeps_to_its_layer():
    named = sorted(DEBUGGER | CORE_HEADERS_FOR_DEVICES)
    missing = [n for n in named if not os.path.exists(os.path.join(SRC, n))]
    assert not missing, "the layer lists name files src/ does not have: %s" % missing
    bad = []
    for d in ("src", "gdbstub"):
        for dirpath, _, files in os.walk(os.path.join(harness.ROOT, d)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, harness.ROOT)
                for inc in includes(path):
                    target = resolve(path, inc)
                    assert target, "%s includes %r, which does not exist" % (rel, inc)
                    if not allowed(layer(rel), target):
                        bad.append("%s (%s) includes %s (%s)" % (rel, layer(rel), target,
                                                                 layer(target)))
    assert not bad, "layer rule broken:\n  " + "\n  ".join(bad)


def call_graph(objdir):
    objs = []
    for dirpath, _, files in os.walk(objdir):
        objs += [os.path.join(dirpath, f) for f in files
                 if f.endswith(".o")]
    defs, undef = {}, {}
    # One nm for all objects (-A: each line starts with its file); fast even where emulated.
    out = subprocess.run(["nm", "-A"] + sorted(objs), stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    for line in out.splitlines():
        path, _, rest = line.partition(":")
        mod = os.path.relpath(path, os.path.dirname(objdir))[:-2]
        undef.setdefault(mod, set())
        p = rest.split()
        if len(p) == 3 and p[1] in "TDBR":
            defs[p[2]] = mod
        elif len(p) == 2 and p[0] == "U":
            undef[mod].add(p[1])
    edges = collections.defaultdict(set)
    for mod, syms in undef.items():
        for s in syms:
            if s in defs and defs[s] != mod:
                edges[mod].add(defs[s])
    return set(undef), edges


def circles(nodes, edges):
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def test_no_circle_through_loaders_devices_or_debugger():
    objdir = os.path.join(os.path.dirname(harness.MINIKVM), "src")
    assert os.path.isdir(objdir), "%s is missing: build first" % objdir
    nodes, edges = call_graph(objdir)
    assert "src/vm" in nodes and "src/debug" in nodes and "src/dev/uart8250" in nodes, sorted(nodes)
    for comp in circles(nodes, edges):
        outside = [m for m in comp if layer(m + ".c") not in ("core", "arch")]
        assert not outside, (
            "a circle in src/ through %s (only the core and the arch, src/*.c and src/x86/*.c, "
            "may call each other; see docs/architecture.md, \"Layers\"); the calls that make "
            "it:\n  %s" % (", ".join(outside), "\n  ".join(
                "%s -> %s" % (a, b) for a in comp for b in sorted(edges[a]) if b in comp)))


# gdbstub/, top down: the dispatcher, then the packet handlers, then every other
# file (the helpers the handlers share: framing, replies, run control, text, ...).
GDBSTUB_DISPATCHER = "gdbstub/server"
GDBSTUB_HANDLERS = {"gdbstub/" + f for f in ("query", "registers", "memory", "breakpoints",
                                            "threads", "monitor", "hostio", "lldb", "resume",
                                            "nonstop")}


def test_gdbstub_has_no_circle_and_keeps_its_layers():
    objdir = os.path.join(os.path.dirname(harness.MINIKVM), "gdbstub")
    assert os.path.isdir(objdir), "%s is missing: build first" % objdir
    nodes, edges = call_graph(objdir)
    missing = sorted(({GDBSTUB_DISPATCHER, "gdbstub/framing"} | GDBSTUB_HANDLERS) - nodes)
    assert not missing, "not built (renamed? update this test): %s" % missing

    def calls(mods, targets):
        return ["%s -> %s" % (a, b) for a in sorted(mods) for b in sorted(edges[a]) if b in targets]

    found = circles(nodes, edges)
    assert not found, "circles in gdbstub/:\n" + "\n".join(
        "  through %s:\n    %s" % (", ".join(comp), "\n    ".join(calls(comp, comp)))
        for comp in found)
    up = calls(GDBSTUB_HANDLERS, {GDBSTUB_DISPATCHER})
    assert not up, ("a handler calls the dispatcher (server.c); put what it needs in a helper "
                    "below the handlers (reply.c, run_control.c):\n  " + "\n  ".join(up))
    up = calls({"gdbstub/framing"}, {GDBSTUB_DISPATCHER})
    assert not up, ("framing calls the dispatcher; it reports a complete packet by "
                    "rsp_rx_byte()'s return value:\n  " + "\n  ".join(up))
    helpers = nodes - GDBSTUB_HANDLERS - {GDBSTUB_DISPATCHER}
    up = calls(helpers, GDBSTUB_HANDLERS | {GDBSTUB_DISPATCHER})
    assert not up, "a helper calls a handler or the dispatcher:\n  " + "\n  ".join(up)
