"""MicroPython's own test suite on our firmware, in the modes of MicroPython's own CI.

run() runs upstream's tests/run-tests.py, from the fetched tree, on our builds:

- unix and unix-asan, as `make test_full` of ports/unix: the whole suite, then `-d thread`,
  `--emit native`, `--via-mpy -d basics float micropython` and the same with `--emit native`;
- qemu, as `make test_full` of ports/qemu: the whole suite over the emulator's UART
  (`-t execpty:...`), then `--via-mpy`, then `--via-mpy --emit native`; and "asmfp", the five
  inlineasm/thumb/asmfp* tests that run-tests.py always skips on qemu because upstream's qemu
  boards are Cortex-M3 (ours is a Cortex-M4F).

Each run's results (the pass/skip/FAIL lines, cross-checked with its _results.json) are
compared with two committed files:

- UPSTREAM (upstream.json): what upstream's own builds of the same MicroPython
  give in the same modes (unix: ports/unix VARIANT=standard; qemu: BOARD=MPS2_AN385), made by
  record_upstream(). A skip that upstream's own build has too is expected.
- EXPECTED (expected.py): the failures and skips our configuration causes and
  upstream's own build does not have, each with its reason.

Anything else is unexpected: the run fails, naming the test, with its diff. A sanitizer report
(unix-asan) is unexpected unless the entry for that test names the report's file:line, which
must be in MicroPython's tree: our own code must give none. What would be unexpected runs once
more, on its own, before it counts (run-tests.py's REPL tests and feature checks on a pty can
miss their timing on a busy machine); a test that passes then is noted as flaky. The failure
of a test listed as "flaky" runs once more too (to_run_again()).

The runs are made as upstream's CI makes them: open files limited to 1024, GITHUB_ACTIONS set
(run-tests.py then skips thread/stress_schedule.py), 60 s a test under the sanitizers.
run-tests.py itself runs unchanged, in a wrapper (`python tools/conformance/__init__.py
--run-tests`, wrap_run_tests()) that only keeps its per-test lines whole (its threads print
them in pieces), lifts named platform skips (asmfp) and sets its timeouts. The emulator runs,
which mostly wait on the serial line, go up to `jobs` at once.

Paths (the MicroPython tree, firmware, mpy-cross, where results go) are parameters: this
module computes none of them.
"""

import ctypes
import difflib
import fnmatch
import json
import os
import re
import resource
import runpy
import selectors
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED_FILE = HERE / "expected.py"
UPSTREAM_FILE = HERE / "upstream.json"

TARGETS = ("unix", "unix-asan", "qemu")
# run-tests.py arguments of each mode, as the unix and qemu ports' `make test_full` give them.
UNIX_MODES = {
    "default": (),
    "thread": ("-d", "thread"),
    "native": ("--emit", "native"),
    "via-mpy": ("--via-mpy", "-d", "basics", "float", "micropython"),
    "via-mpy-native": ("--via-mpy", "--emit", "native", "-d", "basics", "float", "micropython"),
}
ASMFP_TESTS = tuple(
    "inlineasm/thumb/asmfp{}.py".format(t) for t in ("addsub", "cmp", "ldrstr", "muldiv", "sqrt")
)
QEMU_MODES = {
    "default": (),
    "via-mpy": ("--via-mpy",),
    "via-mpy-native": ("--via-mpy", "--emit", "native"),
    # Not upstream's: the FPU tests its Cortex-M3 boards cannot run (skip lifted, see above).
    "asmfp": ASMFP_TESTS,
}
# How long run-tests.py waits for a test: its 30 s, and 60 s under the sanitizers, as
# upstream's sanitizer CI jobs set MICROPY_TEST_TIMEOUT (which v1.25's run-tests.py does not
# read yet; v1.25 waits 10 s for a board's test, v1.27 this same timeout).
TEST_TIMEOUT = {"unix": 30, "unix-asan": 60, "qemu": 30}
# A run that prints nothing for this long has hung (a board that no longer answers at all):
# it is stopped, naming the test after the last one reported.
QUIET_LIMIT = 300
# As upstream's CI (`ulimit -n 1024`): extmod/select_poll_fd.py expects poll() on more file
# descriptors than that to fail with EINVAL.
OPEN_FILES = 1024
# Upstream's own qemu board, for record_upstream(): its machine and run-tests.py's QEMU
# arguments (ports/qemu/Makefile, RUN_TESTS_FULL_ARGS).
UPSTREAM_QEMU_ARGS = ("qemu-system-arm", "-machine", "mps2-an385", "-nographic", "-monitor",
                      "null", "-semihosting", "-serial", "pty")
# Sanitizer reports in a test's output: UBSan's "file:line:col: runtime error: ...", and
# ASan's "ERROR: AddressSanitizer: kind" with its stack frames "#n 0x... in func file:line".
_UBSAN = re.compile(r"^(\S+?):(\d+):\d+: runtime error: (.*)$", re.M)
_ASAN = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")
_FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+?):(\d+)", re.M)
_LINE = re.compile(r"^(pass|skip|FAIL) +(\S+)")
_SUMMARY = re.compile(r"^(\d+) tests (performed|passed|skipped|failed)")


UPSTREAM_SKIPS_TOO = "upstream's own build skips it too"


class ConformanceError(Exception):
    """A run could not be made or read; str() says what failed and what to do."""


@dataclass
class TestedBuild:
    """One of our builds (or upstream's, for record_upstream) that run-tests.py can drive."""

    name: str  # unix, unix-asan, qemu (upstream-unix, upstream-qemu for the baseline)
    kind: str  # "unix" or "qemu": which modes and which upstream baseline apply
    path: Path  # the micropython binary, or firmware.elf
    env: dict = field(default_factory=dict)  # e.g. sanitizer options
    qemu_args: tuple = ()  # the emulator's command line, up to -kernel
    note: str = ""  # how it was built, for upstream's

    @property
    def modes(self):
        return UNIX_MODES if self.kind == "unix" else QEMU_MODES


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


# --- expectations -----------------------------------------------------------------------


@dataclass
class Expectation:
    targets: tuple
    modes: tuple  # ("*",) for every mode
    pattern: str  # a test path, or an fnmatch pattern of them
    result: str  # "fail", "skip", or "flaky" (fails at times: no note when it passes)
    reason: str
    report: str = ""  # for a sanitizer failure: the report's file:line in MicroPython's tree,
    # or the ASan kind of report (stack-overflow) where the line depends on the run

    def matches(self, target, mode, test):
        return (
            target in self.targets
            and (self.modes == ("*",) or mode in self.modes)
            and fnmatch.fnmatchcase(test, self.pattern)
        )


def _names(text, allowed, what, where):
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names == ("*",):
        return allowed if what == "target" else names
    bad = [n for n in names if n not in allowed]
    if not names or bad:
        raise ValueError("{}: unknown {} {!r}; choose from {} or *".format(
            where, what, bad[0] if bad else text, ", ".join(allowed)))
    return names


def load_expected(path=EXPECTED_FILE):
    """The EXPECTED entries of path, checked: [Expectation]. Bad entries are ValueError."""
    path = Path(path)
    entries = runpy.run_path(str(path)).get("EXPECTED")
    if not isinstance(entries, list):
        raise ValueError("{}: no EXPECTED = [...] list".format(path))
    all_modes = tuple(dict.fromkeys(list(UNIX_MODES) + list(QEMU_MODES)))
    out = []
    for i, entry in enumerate(entries):
        where = "{} entry {}".format(path.name, i + 1)
        if not isinstance(entry, tuple) or len(entry) not in (5, 6) or not all(
            isinstance(x, str) for x in entry
        ):
            raise ValueError("{}: want (targets, modes, test, result, reason[, report]), all "
                             "strings; got {!r}".format(where, entry))
        targets, modes, pattern, result, reason = entry[:5]
        report = entry[5] if len(entry) == 6 else ""
        if result not in ("fail", "skip", "flaky"):
            raise ValueError("{}: result must be 'fail', 'skip' or 'flaky', not {!r}".format(
                where, result))
        if not reason.strip():
            raise ValueError("{}: {} has no reason".format(where, pattern))
        if report and not re.fullmatch(r"[\w./-]+\.[ch]:\d+|[a-z][a-z-]+", report):
            raise ValueError("{}: report must be file.c:line or an ASan kind, not {!r}".format(
                where, report))
        out.append(Expectation(_names(targets, TARGETS, "target", where),
                               _names(modes, all_modes, "mode", where), pattern, result,
                               reason.strip(), report))
    return out


def load_upstream(path=UPSTREAM_FILE):
    """What upstream's own builds gave, by kind ("unix", "qemu") and mode; {} if unrecorded."""
    path = Path(path)
    if not path.exists():
        return {}
    return json.loads(path.read_text())


# --- one run ------------------------------------------------------------------------------


# libc for prctl(): loaded here, not in the child between fork and exec, where another
# thread's import lock could be held.
_LIBC = ctypes.CDLL(None, use_errno=True)
_LIVE = set()  # the run-tests.py processes running now, to stop on Ctrl-C
_LIVE_LOCK = threading.Lock()


def _child_setup():
    # In the child before exec: die with our process (PR_SET_PDEATHSIG), lead a process group
    # of its own (so a stop reaches every process it started), and the open-file limit of
    # upstream's CI.
    _LIBC.prctl(1, signal.SIGKILL)
    os.setpgrp()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _command(fw, mode, mp_dir, out_dir, jobs, python, only=()):
    """The wrapper's command line for one run (only: just these tests, in the same mode)."""
    args = list(fw.modes[mode])
    if only:  # the mode's options without its -d folders or test files
        args = [a for i, a in enumerate(args) if a == "--via-mpy" or a == "--emit"
                or (i and args[i - 1] == "--emit")] + list(only)
    wrapper = [python, str(Path(__file__).resolve()), "--run-tests",
               str(Path(mp_dir) / "tests" / "run-tests.py")]
    wrapper += ["--timeout", str(TEST_TIMEOUT.get(fw.name, 30))]
    if fw.kind == "unix":
        args += ["-j", str(jobs)]
    else:
        if any(c.isspace() for c in str(fw.path)):
            # run-tests.py splits the execpty command at white space.
            raise ConformanceError("conformance: {} has a space in its path, which run-tests.py "
                                   "cannot pass to QEMU; build in a folder without spaces"
                                   .format(fw.path))
        qemu = " ".join(("setpriv", "--pdeathsig", "KILL") + tuple(fw.qemu_args)
                        + ("-kernel", str(fw.path)))
        args = ["-t", "execpty:" + qemu] + args
        if mode == "asmfp":
            wrapper += ["--unskip", "qemu:" + ",".join(ASMFP_TESTS)]
    return wrapper + ["--", "-r", str(out_dir)] + args


def _env(fw, mpy_cross, python):
    env = dict(os.environ, MICROPY_MPYCROSS=str(mpy_cross), MICROPY_CPYTHON3=python,
               PYTHONUNBUFFERED="1", **fw.env)
    # As on upstream's CI, whose runners are GitHub's: run-tests.py then skips
    # thread/stress_schedule.py ("has reliability issues"), and nothing else changes.
    env["GITHUB_ACTIONS"] = "true"
    if fw.kind == "unix":
        env["MICROPY_MICROPYTHON"] = str(fw.path)
    return env


def _stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _invoke(cmd, cwd, env, log_path, on_fail, label):
    """Run cmd, its output in log_path and each FAIL test to on_fail; (lines, exit code). A
    run that prints nothing for QUIET_LIMIT seconds is stopped: ConformanceError."""
    with _LIVE_LOCK:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                preexec_fn=_child_setup)
        _LIVE.add(proc)
    lines, last_test, pending = [], None, b""
    hung, stop = False, True  # stop it, unless its output ends by itself
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        with open(log_path, "ab") as log:
            while True:
                if not sel.select(timeout=QUIET_LIMIT):
                    hung = True
                    break
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    stop = False
                    break
                log.write(chunk)
                pending += chunk
                *done, pending = pending.split(b"\n")
                for raw in done:
                    line = raw.decode(errors="replace").rstrip("\r")
                    lines.append(line)
                    m = _LINE.match(line)
                    if m:
                        last_test = m.group(2)
                        if m.group(1) == "FAIL":
                            on_fail(last_test)
        if pending:
            lines.append(pending.decode(errors="replace"))
    finally:
        sel.close()
        if stop:
            _stop(proc)
        code = proc.wait()
        proc.stdout.close()
        with _LIVE_LOCK:
            _LIVE.discard(proc)
    if hung:
        raise ConformanceError("conformance: {}: no output for {} s; the test after {} hangs "
                               "(log: {})".format(label, QUIET_LIMIT, last_test or "the start",
                                                  log_path))
    return lines, code


def run_one(fw, mode, mp_dir, out_dir, mpy_cross, jobs=2, python=sys.executable, echo=print,
            retry=None):
    """Run run-tests.py on fw in mode, its results in out_dir. Then the tests retry(run) names
    (default: those that failed) run once more, on their own: one that passes then is noted
    as flaky (run.flaky) and counts as passed. Returns the Run, unclassified."""
    if mode not in fw.modes:
        raise ConformanceError("conformance: {} has no mode {!r}; choose from {}".format(
            fw.name, mode, ", ".join(fw.modes)))
    if not Path(fw.path).exists():
        raise ConformanceError("conformance: no {}; build it first (./inv build --target {})"
                               .format(fw.path, fw.name))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    first = out_dir / "first-try"
    for old in (list(out_dir.glob("*.exp")) + list(out_dir.glob("*.out"))
                + list(first.glob("*"))):
        old.unlink()
    (out_dir / "_results.json").unlink(missing_ok=True)
    run = Run(fw.name, mode, tuple(fw.modes[mode]), out_dir)
    log_path = out_dir / "run-tests.log"
    log_path.write_bytes(b"")
    echo("[conformance] {} {}: run-tests.py {} (log: {})".format(
        fw.name, mode, " ".join(run.args) or "(all)", log_path))
    cwd, env = Path(mp_dir) / "tests", _env(fw, mpy_cross, python)

    def on_fail(test):
        echo("[conformance] {} {}: FAIL {}".format(fw.name, mode, test))

    label = "{} {}".format(fw.name, mode)
    start = time.monotonic()
    lines, code = _invoke(_command(fw, mode, mp_dir, out_dir, jobs, python), cwd, env,
                          log_path, on_fail, label)
    _read_results(run, lines, code, log_path)
    _read_sanitizers(run, mp_dir)
    again = sorted(retry(run) if retry else run.tests("fail"))
    if again:
        echo("[conformance] {}: running again: {}".format(label, " ".join(again)))
        first.mkdir(exist_ok=True)
        for f in (f for t in again for f in _result_files(run, t) if f.exists()):
            f.replace(first / f.name)
        rerun = Run(fw.name, mode, run.args, out_dir)
        lines, code = _invoke(_command(fw, mode, mp_dir, out_dir, jobs, python, only=again),
                              cwd, env, log_path, on_fail, label)
        _read_results(rerun, lines, code, log_path)
        if set(rerun.outcomes) != set(again):
            raise ConformanceError("conformance: {}: the second run ran {}, not {}".format(
                label, sorted(rerun.outcomes), again))
        run.flaky = [(t, run.outcomes[t]) for t in rerun.tests("pass")
                     if run.outcomes[t] != "pass"]
        run.outcomes.update(rerun.outcomes)
        run.sanitized = {}
        _read_sanitizers(run, mp_dir)  # of the outputs that count now
    run.seconds = time.monotonic() - start
    c = run.counts()
    echo("[conformance] {} {}: {performed} performed, {passed} passed, {failed} failed, "
         "{skipped} skipped in {}{}".format(
             fw.name, mode, _duration(run.seconds),
             " ({} passed when run again)".format(len(run.flaky)) if run.flaky else "", **c))
    return run


def _read_results(run, lines, code, log_path):
    summary = {}
    for line in lines:
        m = _LINE.match(line)
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


def _result_files(run, test):
    base = test.replace("..", "_").replace("./", "").replace("/", "_")
    return run.out_dir / (base + ".exp"), run.out_dir / (base + ".out")


def _read_sanitizers(run, mp_dir):
    mp_dir = Path(mp_dir).resolve()
    for test in run.tests("fail"):
        out = _result_files(run, test)[1]
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


# --- comparing ----------------------------------------------------------------------------


def classify(run, expected, upstream):
    """Sort each failure and skip of run into accepted (an expectation lists it, or upstream's
    own build skips it too) and unexpected; note expectations that no longer hold. A listed
    skip keeps its reason even where the recorded baseline skips it too: that baseline was
    built without btree and ssl, which upstream's CI builds have."""
    kind = "qemu" if run.target == "qemu" else "unix"
    base = (upstream.get("runs", {}).get(kind, {}) or {}).get(run.mode)
    run.upstream = {k: base[k] for k in ("performed", "passed", "failed", "skipped")
                    if k in base} if base else None
    upstream_skips = set(base["skipped_tests"]) if base else set()
    run.unexpected, run.accepted, run.stale = [], [], []
    for test, outcome in sorted(run.outcomes.items()):
        entries = [e for e in expected if e.matches(run.target, run.mode, test)]
        if outcome == "pass":
            run.stale += [(test, e.result, "pass") for e in entries if e.result != "flaky"]
            continue
        reports = run.sanitized.get(test, [])
        ours = [r for r in reports if r.ours]
        listed = [e for e in entries if e.result == outcome
                  or (e.result == "flaky" and outcome == "fail")]
        run.stale += [(test, e.result, outcome) for e in entries if e not in listed]
        if ours:
            run.unexpected.append((test, outcome, "sanitizer report in our code: " + "; ".join(
                "{} {} ({})".format(r.tool, r.location, r.what) for r in ours)))
        elif not listed and outcome == "skip" and test in upstream_skips:
            run.accepted.append((test, outcome, UPSTREAM_SKIPS_TOO))
        elif not listed:
            run.unexpected.append((test, outcome, _why(run, test, outcome, reports)))
        else:  # listed: its reason, ahead of a baseline that lacked what the entry names
            e = listed[0]
            where = {r.location for r in reports} | {r.what for r in reports if r.tool == "ASan"}
            if reports and e.report not in where:
                run.unexpected.append((test, outcome, "sanitizer report at {}, but {} lists {}"
                                       .format(", ".join(sorted(where)), EXPECTED_FILE.name,
                                               e.report or "none")))
            elif e.report and e.report not in where:
                run.unexpected.append((test, outcome, "listed for a report at {}, but it "
                                       "failed without one".format(e.report)))
            else:
                run.accepted.append((test, outcome, e.reason))
    return run


def _why(run, test, outcome, reports):
    if outcome == "skip":
        return "skipped here, but upstream's own build runs it"
    text = ""
    if reports:
        text = "sanitizer report: " + "; ".join(
            "{} {} ({})".format(r.tool, r.location, r.what) for r in reports) + "\n"
    return text + failure_diff(run, test)


def failure_diff(run, test, limit=60):
    """The diff of what the test printed against what it should have (or its output)."""
    exp, out = _result_files(run, test)
    got = out.read_text(errors="replace").splitlines() if out.exists() else []
    if exp.exists():
        lines = list(difflib.unified_diff(exp.read_text(errors="replace").splitlines(), got,
                                          "expected", "got", lineterm=""))
    else:
        lines = ["(output; the expected result is unittest's OK)"] + got
    if len(lines) > limit:
        lines = lines[:limit] + ["... ({} more lines in {})".format(len(lines) - limit, out)]
    return "\n".join(lines)


# --- running several, and reporting -------------------------------------------------------


def plan(firmwares, modes=None):
    """[(TestedBuild, mode)] to run: every mode of each firmware, or only those named."""
    wanted = [m.strip() for m in modes.split(",") if m.strip()] if modes else None
    known = [m for fw in firmwares for m in fw.modes]
    bad = [m for m in wanted or () if m not in known]
    if bad:
        raise ValueError("conformance: unknown mode {!r} for {}; choose from {}".format(
            bad[0], ", ".join(fw.name for fw in firmwares), ", ".join(dict.fromkeys(known))))
    return [(fw, m) for fw in firmwares for m in fw.modes if not wanted or m in wanted]


def firmwares(paths, sanitizer_env=None, qemu_args=()):
    """[TestedBuild] for our builds: paths maps target names (unix, unix-asan, qemu) to the
    micropython binary or firmware.elf."""
    bad = [n for n in paths if n not in TARGETS]
    if bad:
        raise ValueError("conformance: unknown target {!r}; choose from {}".format(
            bad[0], ", ".join(TARGETS)))
    out = []
    for name, path in paths.items():
        if name == "qemu":
            out.append(TestedBuild(name, "qemu", Path(path), qemu_args=tuple(qemu_args)))
        else:
            env = dict(sanitizer_env or {}) if name == "unix-asan" else {}
            out.append(TestedBuild(name, "unix", Path(path), env=env))
    return out


def to_run_again(run, expected, upstream):
    """The tests of a first run that run once more: what no entry explains (failures, and
    skips upstream's own build does not have: a feature check run-tests.py makes on a pty can
    miss its answer on a busy machine), and the failures of tests listed as flaky."""
    classify(run, expected, upstream)
    flaky = [t for t in run.tests("fail") if any(
        e.result == "flaky" and e.matches(run.target, run.mode, t) for e in expected)]
    return sorted({t for t, _, _ in run.unexpected} | set(flaky))


def run(fws, mp_dir, out_dir, mpy_cross, modes=None, jobs=2, expected=None, upstream=None,
        record=False, echo=print):
    """Run every selected mode of every firmware, classify, print the table and what was
    unexpected, write the report. Returns the [Run]; any run.unexpected fails the check.
    The unix runs go one after the other (run-tests.py runs jobs tests at once in each); the
    emulator runs, which mostly wait on the serial line, up to jobs at once.
    With record, fws are upstream's own builds (upstream_builds()): their results go to
    UPSTREAM instead, merged with what it holds for other modes."""
    expected = load_expected() if expected is None else expected
    upstream = load_upstream() if upstream is None else upstream
    # Not an upstream mode, when recording: upstream's qemu boards skip these tests.
    todo = [(fw, m) for fw, m in plan(fws, modes) if not (record and m == "asmfp")]
    lock = threading.Lock()

    def say(text):
        with lock:
            echo(text)

    def again(r):
        return r.tests("fail") if record else to_run_again(r, expected, upstream)

    def one(fw, mode):
        return run_one(fw, mode, mp_dir, Path(out_dir) / fw.name / mode, mpy_cross, jobs,
                       echo=say, retry=again)

    done = {}
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        boards = {pool.submit(one, fw, m): (fw.name, m) for fw, m in todo if fw.kind == "qemu"}
        try:
            for fw, m in todo:
                if fw.kind != "qemu":
                    done[fw.name, m] = one(fw, m)
            for future, key in boards.items():
                done[key] = future.result()
        except BaseException:  # Ctrl-C, or a run that could not be read: stop the others
            for future in boards:
                future.cancel()
            with _LIVE_LOCK:
                for proc in list(_LIVE):
                    _stop(proc)
            raise
    runs = [done[fw.name, m] for fw, m in todo]
    if record:
        record_upstream(runs, fws, mp_dir, upstream, echo=echo)
    else:
        runs = [classify(r, expected, upstream) for r in runs]
    echo("")
    echo(table(runs))
    for text in problems(runs):
        echo(text)
    write_report(runs, out_dir, upstream)
    return runs


def main(paths, mp_dir, out_dir, mpy_cross, modes=None, jobs=2, record=False, prepare=None,
         sanitizer_env=None, qemu_args=(), echo=print):
    """The conformance task: check the targets (paths: name -> micropython binary or
    firmware.elf) and modes, call prepare() (the task builds our firmware there), then run().
    With record, build upstream's own firmware of the same kinds into out_dir/upstream-build
    and record what it gives instead. Returns the [Run]."""
    fws = firmwares(paths, sanitizer_env, qemu_args)
    plan(fws, modes)  # an unknown mode stops here, before any build
    if prepare:
        prepare()
    out_dir = Path(out_dir)
    if record:
        fws = upstream_builds(mp_dir, out_dir / "upstream-build", mpy_cross,
                              {fw.kind for fw in fws}, jobs, echo)
        out_dir = out_dir / "upstream"
    return run(fws, mp_dir, out_dir, mpy_cross, modes, jobs, record=record, echo=echo)


def _duration(seconds):
    m, s = divmod(int(round(seconds)), 60)
    return "{}m{:02d}s".format(m, s) if m else "{}s".format(s)


def table(runs, markdown=False):
    """Counts per target and mode, with upstream's own build's in the same mode."""
    head = ("target", "mode", "performed", "passed", "failed", "skipped", "upstream",
            "unexpected", "time")
    rows = []
    for r in runs:
        c = r.counts()
        up = "{}/{}".format(r.upstream["passed"], r.upstream["performed"]) if r.upstream else "-"
        rows.append((r.target, r.mode, c["performed"], c["passed"], c["failed"], c["skipped"],
                     up, len(r.unexpected), _duration(r.seconds)))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join("{:<%d}" % w if i < 2 else "{:>%d}" % w for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [head] + rows)


def problems(runs):
    """Text blocks for each unexpected result (with its diff) and each stale expectation."""
    out = []
    for r in runs:
        for test, outcome, why in r.unexpected:
            out.append("UNEXPECTED {} {}: {} {}\n{}".format(
                r.target, r.mode, test, "failed" if outcome == "fail" else "skipped",
                "\n".join("    " + line for line in why.splitlines())))
        for test, listed, actual in r.stale:
            done = {"pass": "passed", "skip": "skipped", "fail": "failed"}[actual]
            out.append("note {} {}: {} is listed as {} in {} but {}: remove the entry".format(
                r.target, r.mode, test, listed, EXPECTED_FILE.name, done))
        for test, first in r.flaky:
            out.append("note {} {}: {} {} at first, then passed when run again{}".format(
                r.target, r.mode, test, "failed" if first == "fail" else "skipped",
                " (first output in {})".format(r.out_dir / "first-try") if first == "fail"
                else ""))
    return out


def write_report(runs, out_dir, upstream):
    """report.json and report.md in out_dir: counts, accepted and unexpected results, and the
    sanitizer reports, per target and mode."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"micropython": upstream.get("micropython"), "runs": []}
    md = ["# Conformance: MicroPython's test suite on our firmware", "", table(runs, True), ""]
    for r in runs:
        data["runs"].append({
            "target": r.target, "mode": r.mode, "args": list(r.args), "seconds": r.seconds,
            "platform": r.platform, **r.counts(), "upstream": r.upstream,
            "failed_tests": r.tests("fail"), "skipped_tests": r.tests("skip"),
            "accepted": r.accepted, "unexpected": r.unexpected, "stale": r.stale,
            "flaky": r.flaky,
            "sanitizer_reports": {t: [vars(s) for s in v] for t, v in r.sanitized.items()},
        })
        lines = ["- unexpected: {} {}".format(t, o) for t, o, _ in r.unexpected]
        lines += ["- {}: {} ({})".format(o, t, why) for t, o, why in r.accepted
                  if why != UPSTREAM_SKIPS_TOO]
        lines += ["- sanitizer: {}: {} {} ({})".format(t, s.tool, s.location, s.what)
                  for t, v in sorted(r.sanitized.items()) for s in v]
        lines += ["- flaky: {} ({} at first, passed when run again)".format(t, o)
                  for t, o in r.flaky]
        if lines:
            md += ["## {} {}".format(r.target, r.mode), ""] + lines + [""]
    (out_dir / "report.json").write_text(json.dumps(data, indent=1) + "\n")
    (out_dir / "report.md").write_text("\n".join(md))
    return out_dir / "report.json", out_dir / "report.md"


# --- upstream's own builds, for the baseline -----------------------------------------------


def upstream_builds(mp_dir, out_dir, mpy_cross, kinds=("unix", "qemu"), jobs=2, echo=print):
    """Build upstream's own unix standard variant and qemu MPS2_AN385 board (those of kinds)
    from the fetched tree, unchanged, into out_dir; [TestedBuild] to record."""
    mp_dir, out_dir = Path(mp_dir), Path(out_dir)
    builds = (
        # btree and ssl need lib/berkeley-db-1.xx and lib/mbedtls, which fetch does not clone:
        # those tests skip here, and expected.py lists them for our build.
        ("upstream-unix", "unix", "micropython",
         ["VARIANT=standard", "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0", "MICROPY_SSL_MBEDTLS=0"]),
        ("upstream-qemu", "qemu", "firmware.elf", ["BOARD=MPS2_AN385"]),
    )
    fws = []
    for name, port, artifact, args in builds:
        if ("qemu" if port == "qemu" else "unix") not in kinds:
            continue
        build = out_dir / name
        build.mkdir(parents=True, exist_ok=True)
        cmd = ["make", "-C", str(mp_dir / "ports" / port), "-j{}".format(jobs),
               "BUILD={}".format(build), "MICROPY_MPYCROSS={}".format(mpy_cross),
               "MICROPY_MPYCROSS_DEPENDENCY={}".format(mpy_cross)] + args
        echo("[conformance] building {} ({})".format(name, " ".join(args)))
        with open(build / "build.log", "w") as log:
            if subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT):
                raise ConformanceError("conformance: building {} failed; see {}".format(
                    name, build / "build.log"))
        kind = "qemu" if port == "qemu" else "unix"
        fws.append(TestedBuild(name, kind, build / artifact,
                            qemu_args=UPSTREAM_QEMU_ARGS if kind == "qemu" else (),
                            note="make -C ports/{} {}".format(port, " ".join(args))))
    return fws


def record_upstream(runs, fws, mp_dir, upstream, path=UPSTREAM_FILE, echo=print):
    """Write what upstream's own builds gave (runs) to path, over what it held for them."""
    describe = subprocess.run(["git", "-C", str(mp_dir), "describe", "--tags"],
                              capture_output=True, text=True).stdout.strip()
    data = dict(upstream or {}, micropython=describe)
    data.setdefault("builds", {}).update({fw.kind: fw.note for fw in fws})
    for r in runs:
        kind = "qemu" if r.target.endswith("qemu") else "unix"
        data.setdefault("runs", {}).setdefault(kind, {})[r.mode] = dict(
            r.counts(), seconds=round(r.seconds), failed_tests=r.tests("fail"),
            skipped_tests=r.tests("skip"), flaky=r.flaky)
    Path(path).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    echo("[conformance] wrote {}".format(path))
    return data


# --- the wrapper around run-tests.py (runs in its own process) ----------------------------


def wrap_run_tests(argv):
    """python tools/conformance/__init__.py --run-tests RUN_TESTS_PY [--unskip PLATFORM:T1,T2]
    [--timeout S] -- ARGS: run upstream's run-tests.py with ARGS, its per-test lines whole."""
    import importlib.util
    import threading

    run_tests, rest = argv[0], argv[1:]
    sep = rest.index("--")
    opts, args = rest[:sep], rest[sep + 1:]
    spec = importlib.util.spec_from_file_location("run_tests", run_tests)
    rt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rt)
    lock = threading.Lock()

    def whole_line_print(*items, sep=" ", end="\n", file=None, flush=False):
        # run-tests.py prints from -j threads; one write per line keeps lines whole.
        text = sep.join(str(i) for i in items) + end
        stream = file or sys.stdout
        with lock:
            stream.write(text)
            stream.flush()

    rt.print = whole_line_print
    while opts:
        opt, value, opts = opts[0], opts[1], opts[2:]
        if opt == "--timeout":
            rt.TEST_TIMEOUT = int(value)
            # A board's test: v1.25's pyboard.py gives up after 10 s without output; later
            # run-tests.py (v1.27) waits TEST_TIMEOUT there too.
            sys.path.append(str(Path(run_tests).resolve().parent.parent / "tools"))
            import pyboard

            exec_raw = pyboard.Pyboard.exec_raw

            def exec_raw_waiting(self, command, timeout=10, data_consumer=None,
                                 _wait=rt.TEST_TIMEOUT):
                return exec_raw(self, command, max(timeout, _wait), data_consumer)

            pyboard.Pyboard.exec_raw = exec_raw_waiting
        elif opt == "--unskip":
            platform, _, tests = value.partition(":")
            tests = tests.split(",")
            listed = rt.platform_tests_to_skip.get(platform, ())
            missing = [t for t in tests if t not in listed]
            if missing:
                sys.exit("conformance: run-tests.py no longer skips {} on {}; update "
                         "tools/conformance/__init__.py".format(missing[0], platform))
            rt.platform_tests_to_skip[platform] = tuple(t for t in listed if t not in tests)
        else:
            sys.exit("conformance: unknown wrapper option " + opt)
    sys.argv = [run_tests] + args
    rt.main()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run-tests"]:
        wrap_run_tests(sys.argv[2:])
    else:
        sys.exit(__doc__)
