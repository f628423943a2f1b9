"""What one run of run-tests.py gave: each test's outcome, read from its output and checked
against its _results.json; the sanitizer reports in a failing test's output, placed in
MicroPython's tree or in our code; and a failure's diff. Nothing here starts a process
(runs.py does) or judges a result (reports.py does)."""

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# run-tests.py's line for each test, and its summary lines.
RESULT_LINE = re.compile(r"^(pass|skip|FAIL) +(\S+)")
_SUMMARY = re.compile(r"^(\d+) tests (performed|passed|skipped|failed)")
# Sanitizer reports in a test's output: UBSan's "file:line:col: runtime error: ...", and
# ASan's "ERROR: AddressSanitizer: kind" with its stack frames "#n 0x... in func file:line".
_UBSAN = re.compile(r"^(\S+?):(\d+):\d+: runtime error: (.*)$", re.M)
_ASAN = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")
_FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+?):(\d+)", re.M)


class ConformanceError(Exception):
    """A run could not be made or read; str() says what failed and what to do."""


@dataclass
class Sanitized:
    """One sanitizer report in a test's output."""

    tool: str  # "UBSan" or "ASan"
    location: str  # file:line, relative to the MicroPython tree when it is upstream's
    what: str
    ours: bool  # outside MicroPython's tree: our C module (never accepted)


@dataclass
class Run:
    """One run-tests.py invocation: its results, and how they compare."""

    target: str
    mode: str
    args: tuple
    out_dir: Path
    seconds: float = 0.0
    platform: str = ""
    outcomes: dict = field(default_factory=dict)  # test -> "pass" | "fail" | "skip"
    sanitized: dict = field(default_factory=dict)  # test -> [Sanitized]
    unexpected: list = field(default_factory=list)  # [(test, outcome, why)]
    accepted: list = field(default_factory=list)  # [(test, outcome, reason)]
    stale: list = field(default_factory=list)  # [(test, listed outcome, actual)]
    upstream: dict = None  # upstream's counts in this mode, when recorded
    flaky: list = field(default_factory=list)  # [(test, first outcome)]: then passed

    def tests(self, outcome):
        return sorted(t for t, o in self.outcomes.items() if o == outcome)

    @property
    def performed(self):
        return len(self.tests("pass")) + len(self.tests("fail"))

    def counts(self):
        return {"performed": self.performed, "passed": len(self.tests("pass")),
                "failed": len(self.tests("fail")), "skipped": len(self.tests("skip"))}


def duration(seconds):
    """A run's time as the table and the progress lines give it: 42s, 4m53s."""
    m, s = divmod(int(round(seconds)), 60)
    return "{}m{:02d}s".format(m, s) if m else "{}s".format(s)


def read_results(run, lines, code, log_path):
    """Each test's outcome from run-tests.py's output lines into run, checked against its
    summary lines and its _results.json; anything that does not agree is ConformanceError."""
    summary = {}
    for line in lines:
        m = RESULT_LINE.match(line)
        if m:
            run.outcomes[m.group(2)] = {"pass": "pass", "skip": "skip", "FAIL": "fail"}[m.group(1)]
        m = _SUMMARY.match(line)
        if m:
            summary[m.group(2)] = int(m.group(1))
        if line.startswith("platform="):
            run.platform = line
    tail = "\n".join(lines[-8:])
    results = run.out_dir / "_results.json"
    if "performed" not in summary or not results.exists():
        raise ConformanceError(
            "conformance: {} {}: run-tests.py stopped (exit {}) before its summary; its last "
            "lines:\n{}\n(log: {})".format(run.target, run.mode, code, tail, log_path))
    data = json.loads(results.read_text())
    failed = set(data.get("failed_tests", []))
    # The per-test lines must agree with run-tests.py's own counts and _results.json.
    c = run.counts()
    checks = [("performed", c["performed"]), ("passed", c["passed"])]
    if "skipped" in summary:
        checks.append(("skipped", c["skipped"]))
    wrong = [(k, summary[k], n) for k, n in checks if summary.get(k, 0) != n]
    if wrong or failed != set(run.tests("fail")):
        raise ConformanceError(
            "conformance: {} {}: cannot read run-tests.py's results (summary {}, lines give {}; "
            "_results.json lists {} failures, lines {}); log: {}".format(
                run.target, run.mode, summary, c, len(failed), c["failed"], log_path))
    for key, want in (("emit", "native" if "native" in run.args else "bytecode"),
                      ("via_mpy", "--via-mpy" in run.args)):
        if data.get("args", {}).get(key, want) != want:
            raise ConformanceError("conformance: {} {}: run-tests.py ran with {}={!r}, not {!r}"
                                   .format(run.target, run.mode, key, data["args"][key], want))


def result_files(run, test):
    """The .exp and .out files run-tests.py leaves for a failed test in run.out_dir."""
    base = test.replace("..", "_").replace("./", "").replace("/", "_")
    return run.out_dir / (base + ".exp"), run.out_dir / (base + ".out")


def read_sanitizers(run, mp_dir):
    """The sanitizer reports in the output of each failed test of run, into run.sanitized."""
    mp_dir = Path(mp_dir).resolve()
    for test in run.tests("fail"):
        out = result_files(run, test)[1]
        if out.exists():
            found = sanitizer_reports(out.read_text(errors="replace"), mp_dir)
            if found:
                run.sanitized[test] = found


def sanitizer_reports(text, mp_dir):
    """[Sanitized] for each UBSan or ASan report in a test's output."""
    found = []
    for m in _UBSAN.finditer(text):
        found.append(_located("UBSan", m.group(1), m.group(2), m.group(3), mp_dir))
    for m in _ASAN.finditer(text):
        frames = [f for f in _FRAME.finditer(text, m.end())
                  if "sanitizer" not in f.group(2) and "compiler-rt" not in f.group(2)]
        path, line = (frames[0].group(2), frames[0].group(3)) if frames else ("?", "0")
        found.append(_located("ASan", path, line, m.group(1), mp_dir))
    return found


def _located(tool, path, line, what, mp_dir):
    # Upstream's sources are compiled from ports/<port> with relative paths (../../py/...);
    # ours (the C module) with absolute ones, outside the MicroPython tree.
    p = Path(path)
    if not p.is_absolute():
        p = (mp_dir / "ports" / "unix" / p).resolve()
    if p.is_relative_to(mp_dir):
        return Sanitized(tool, "{}:{}".format(p.relative_to(mp_dir).as_posix(), line),
                         what.strip(), False)
    return Sanitized(tool, "{}:{}".format(path, line), what.strip(), True)


def failure_diff(run, test, limit=60):
    """The diff of what the test printed against what it should have (or its output)."""
    exp, out = result_files(run, test)
    got = out.read_text(errors="replace").splitlines() if out.exists() else []
    if exp.exists():
        lines = list(difflib.unified_diff(exp.read_text(errors="replace").splitlines(), got,
                                          "expected", "got", lineterm=""))
    else:
        lines = ["(output; the expected result is unittest's OK)"] + got
    if len(lines) > limit:
        lines = lines[:limit] + ["... ({} more lines in {})".format(len(lines) - limit, out)]
    return "\n".join(lines)
