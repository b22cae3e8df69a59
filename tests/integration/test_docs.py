# SPDX-License-Identifier: MIT
"""The documents a newcomer reads first say what the tree holds and does.

- README.md and every docs/*.md name only files that exist (src/...,
  gdbstub/..., tests/..., guest/..., scripts/..., docs/...; a path of
  another tree is written so that it does not start with one of those:
  linux/scripts/gdb), and learning.md and x86-vs-riscv.md only functions
  that exist.
- Every command docs/learning.md gives (a ```sh block) runs, and prints
  every line of the ```text block that follows it (each somewhere in its
  stdout or its stderr, in any order). Commands that run build/minikvm need KVM: on a
  host without it they are skipped, or fail in CI, as run.py does for the
  NEEDS_KVM modules; the unit-test ones run anywhere.

One test per command, named after its section: test_learning_1_..., so
`-k test_docs` runs them all and a failure names the concept.
"""
import glob
import os
import re
import shutil
import subprocess

import harness

NEEDS_KVM = False  # per test: see need_kvm()

DOCS = ["README.md"] + sorted(os.path.relpath(p, harness.ROOT)
                              for p in glob.glob(os.path.join(harness.ROOT, "docs", "*.md")))
LEARNING = os.path.join(harness.ROOT, "docs", "learning.md")

# A path into the tree, as the documents write one: src/vm.c, src/x86/layout.[ch],
# src/loader/*.c, gdbstub/ (a directory).
PATH = re.compile(r"(?<![\w./-])((?:src|gdbstub|tests|guest|scripts|docs)/[\w./*\[\]-]*)")


def named_paths(text):
    for m in PATH.finditer(text):
        p = m.group(1).rstrip(".,:;)")
        # A Markdown link's text, [src/vm.c](../src/vm.c): the "]" is not the path's.
        if p.endswith("]") and p.count("]") > p.count("["):
            p = p[:-1]
        # "layout.[ch]" is layout.c and layout.h: the glob says so too.
        yield p


def test_docs_name_only_files_that_exist():
    assert len(DOCS) >= 10 and "docs/learning.md" in DOCS, DOCS
    missing = []
    for doc in DOCS:
        with open(os.path.join(harness.ROOT, doc)) as f:
            text = f.read()
        for p in sorted(set(named_paths(text))):
            full = os.path.join(harness.ROOT, p)
            found = glob.glob(full) if any(c in p for c in "*[") else [full] if os.path.exists(full) else []
            if not found:
                missing.append("%s names %s" % (doc, p))
    assert not missing, "no such file:\n  " + "\n  ".join(missing)


def test_readme_usage_is_minikvm_help():
    """README's usage block is `minikvm --help` up to its exit statuses, word for
    word, so no option is missing or stale; its exit status table has every
    status --help lists."""
    proc = subprocess.run([harness.MINIKVM, "--help"], stdout=subprocess.PIPE, timeout=30)
    assert proc.returncode == 0, proc
    text = proc.stdout.decode()
    options, statuses = text.split("\nExit status:\n")
    with open(os.path.join(harness.ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"^## Running guests\n.*?^```\n(.*?)^```$", readme, re.M | re.S)
    assert m, "README.md has no usage block under '## Running guests'"
    block = m.group(1).rstrip("\n")
    if block != options.rstrip("\n"):
        import difflib
        diff = difflib.unified_diff(block.splitlines(), options.rstrip("\n").splitlines(),
                                    "README.md", "minikvm --help", lineterm="")
        raise AssertionError("README.md's usage block is not minikvm --help:\n" + "\n".join(diff))
    table = re.search(r"^### Exit status\n(.*?)\n\n", readme, re.M | re.S)
    assert table, "README.md has no exit status table"
    listed = set(re.findall(r"^\| ([^|]+) \|", table.group(1), re.M))
    for status in re.findall(r"^  (\d+(?:, \d+)*|N)\s", statuses, re.M):
        assert status in listed, "README's exit status table lacks %r (%s)" % (status, listed)


def test_learning_names_only_functions_that_exist():
    """Each `function()` learning.md (or x86-vs-riscv.md) tells a student to read is defined in src/ or gdbstub/."""
    text = ""
    for doc in ("docs/learning.md", "docs/x86-vs-riscv.md"):
        with open(os.path.join(harness.ROOT, doc)) as f:
            text += f.read()
    names = sorted(set(re.findall(r"`(\w+)\(\)`", text)))
    assert len(names) >= 10, names
    sources = ""
    for d in ("src", "gdbstub"):
        for p in glob.glob(os.path.join(harness.ROOT, d, "**", "*.[ch]"), recursive=True):
            with open(p) as f:
                sources += f.read()
    missing = [n for n in names if not re.search(r"^\w[\w\s\*]*\b%s\(" % n, sources, re.M)]
    assert not missing, "learning.md or x86-vs-riscv.md names functions nothing defines: %s" % missing


def learning_commands():
    """(section heading, script, expected lines) for each ```sh block of learning.md."""
    with open(LEARNING) as f:
        text = f.read()
    out, section = [], ""
    blocks = re.finditer(r"^(## [^\n]*)$|^```(\w+)\n(.*?)^```$", text, re.M | re.S)
    pending = None
    for m in blocks:
        if m.group(1):
            section = m.group(1)[3:]
            continue
        kind, body = m.group(2), m.group(3)
        if kind == "sh":
            assert pending is None, "a sh block without its text block in %r" % section
            pending = body
        elif kind == "text":
            assert pending is not None, "a text block without a command in %r" % section
            out.append((section, pending, [l for l in body.splitlines() if l.strip()]))
            pending = None
    assert pending is None, "the last sh block has no text block"
    return out


def need_kvm():
    problem = harness.kvm_problem()
    if problem:
        if os.environ.get("CI") == "true":
            raise AssertionError("no usable KVM in CI: " + problem)
        raise harness.Skip("no usable KVM: " + problem)


def run_script(script):
    build = os.path.dirname(harness.MINIKVM)
    unit = os.path.join(build, "unit_tests")
    if "build/minikvm" in script:
        need_kvm()
    if "build/unit_tests" in script and not os.path.exists(unit):
        raise harness.Skip("%s is missing: make unit" % unit)
    if re.search(r"^\s*gdb\b", script, re.M) and not shutil.which("gdb"):
        raise harness.Skip("no gdb")
    script = script.replace("build/minikvm", harness.MINIKVM).replace("build/unit_tests", unit)
    # stdout and stderr apart: with --trace-exits a trace line would otherwise
    # land inside a line the guest is printing.
    proc = subprocess.run(["bash", "-c", script], cwd=harness.ROOT, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    return (proc.stdout + b"\n" + proc.stderr).decode(errors="replace")


def make_test(script, expected):
    def test():
        out = run_script(script)
        lacking = [l for l in expected if l not in out]
        assert not lacking, "docs/learning.md: the command\n%s\ndid not print %r; it printed:\n%s" % (
            script, lacking, out[-3000:])
    return test


def test_learning_has_a_command_for_each_concept():
    sections = [s for s, _, _ in learning_commands()]
    for concept in ("KVM API", "VM and its vCPUs", "Memory slots", "address translation",
                    "VM exits", "Hypercalls", "Interrupts"):
        assert any(concept in s for s in sections), (concept, sections)


for _i, (_section, _script, _expected) in enumerate(learning_commands()):
    _slug = re.sub(r"\W+", "_", _section.lower()).strip("_")[:40]
    _name = "test_learning_%s_%d" % (_slug, _i)
    globals()[_name] = make_test(_script, _expected)
