"""Running upstream's run-tests.py on a build: which builds and modes there are, the command
line of a run, the process supervised, and run_one(), a run and the second run of what it
names. What a run gave is read by results.py.

The runs are made as upstream's CI makes them: open files limited to 1024, GITHUB_ACTIONS set
(run-tests.py then skips thread/stress_schedule.py), 60 s a test under the sanitizers.
run-tests.py runs in wrapper.py, its own process. A run is stopped when it prints nothing for
QUIET_LIMIT seconds, when our process ends, and by stop_all() (on Ctrl-C).
"""

import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.platforms import PLATFORMS
from tools.platforms import TARGETS as PLATFORM_TARGETS
from tools.targets import DIE_WITH_PARENT, launch
from tools.conformance.results import (
    RESULT_LINE,
    ConformanceError,
    Run,
    duration,
    read_results,
    read_sanitizers,
    result_files,
)

# The targets we test: the platforms with a suite_timeout (tools/platforms.py), each with its
# kind, its runner: "unix" (the micropython binary, run by run-tests.py itself) or "qemu"
# (firmware.elf in the emulator, over its UART); the kind says which modes and which upstream
# baseline apply. A platform's suite_timeout is how long run-tests.py waits for a test: its
# 30 s, and 60 s under the sanitizers, as upstream's sanitizer CI jobs set
# MICROPY_TEST_TIMEOUT (which v1.25's run-tests.py does not read yet; v1.25 waits 10 s for a
# board's test, v1.27 this same timeout).
TESTED = {n: p for n, p in PLATFORM_TARGETS.items() if p.suite_timeout}
TARGET_KIND = {n: p.runner for n, p in TESTED.items()}
TARGETS = tuple(TESTED)
# Upstream's own qemu board, for the baseline (upstream.py): its machine, and run-tests.py's
# QEMU options (upstream's ports/qemu/Makefile, RUN_TESTS_FULL_ARGS).
UPSTREAM_QEMU_ARGS = PLATFORMS["qemu-an385"].machine + (
    "-nographic", "-monitor", "null", "-semihosting", "-serial", "pty")

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
    # Not upstream's: the FPU tests its Cortex-M3 boards cannot run (wrapper.py lifts the skip
    # run-tests.py makes of them on qemu; our board is a Cortex-M4F).
    "asmfp": ASMFP_TESTS,
}
MODES = {"unix": UNIX_MODES, "qemu": QEMU_MODES}  # by kind

# A run that prints nothing for this long has hung (a board that no longer answers at all):
# it is stopped, naming the test after the last one reported.
QUIET_LIMIT = 300
# As upstream's CI (`ulimit -n 1024`): extmod/select_poll_fd.py expects poll() on more file
# descriptors than that to fail with EINVAL.
OPEN_FILES = 1024
WRAPPER = Path(__file__).resolve().with_name("wrapper.py")


@dataclass
class TestedBuild:
    """One of our builds (or upstream's, for the baseline) that run-tests.py can drive."""

    name: str  # unix, unix-asan, qemu (upstream-unix, upstream-qemu for the baseline)
    kind: str  # "unix" or "qemu": which modes and which upstream baseline apply
    path: Path  # the micropython binary, or firmware.elf
    env: dict = field(default_factory=dict)  # e.g. sanitizer options
    qemu_args: tuple = ()  # the emulator's command line, up to -kernel
    timeout: int = 30  # seconds run-tests.py waits for a test (its own default for upstream's)
    note: str = ""  # how it was built, for upstream's

    @property
    def modes(self):
        return MODES[self.kind]


def firmwares(paths):
    """[TestedBuild] for our builds: paths maps target names (unix, unix-asan, qemu) to the
    micropython binary or firmware.elf. How each runs is its platform's (tools/platforms.py):
    the emulator's machine, the sanitizers' options, the timeout."""
    bad = [n for n in paths if n not in TARGETS]
    if bad:
        raise ValueError("conformance: unknown target {!r}; choose from {}".format(
            bad[0], ", ".join(TARGETS)))
    out = []
    for name, path in paths.items():
        p = TESTED[name]
        if p.runner == "qemu":
            out.append(TestedBuild(name, "qemu", Path(path), qemu_args=p.qemu_args,
                                   timeout=p.suite_timeout))
        else:
            out.append(TestedBuild(name, "unix", Path(path), env=dict(p.env or {}),
                                   timeout=p.suite_timeout))
    return out


def plan(firmwares, modes=None):
    """[(TestedBuild, mode)] to run: every mode of each firmware, or only those named."""
    wanted = [m.strip() for m in modes.split(",") if m.strip()] if modes else None
    known = [m for fw in firmwares for m in fw.modes]
    bad = [m for m in wanted or () if m not in known]
    if bad:
        raise ValueError("conformance: unknown mode {!r} for {}; choose from {}".format(
            bad[0], ", ".join(fw.name for fw in firmwares), ", ".join(dict.fromkeys(known))))
    return [(fw, m) for fw in firmwares for m in fw.modes if not wanted or m in wanted]


# --- the process ----------------------------------------------------------------------------


_LIVE = set()  # the run-tests.py processes running now, to stop on Ctrl-C
_LIVE_LOCK = threading.Lock()


def _open_files():
    # The open-file limit of upstream's CI, as util-linux's prlimit runs a command with it
    # (nothing of ours runs in the child between fork and exec).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return ("prlimit", "--nofile={}:unlimited".format(OPEN_FILES))
    return ("prlimit", "--nofile={}:{}".format(min(OPEN_FILES, hard), hard))


def _command(fw, mode, mp_dir, out_dir, jobs, python, only=()):
    """The wrapper's command line for one run (only: just these tests, in the same mode)."""
    args = list(fw.modes[mode])
    if only:  # the mode's options without its -d folders or test files
        args = [a for i, a in enumerate(args) if a == "--via-mpy" or a == "--emit"
                or (i and args[i - 1] == "--emit")] + list(only)
    wrapper = [python, str(WRAPPER), str(Path(mp_dir) / "tests" / "run-tests.py")]
    wrapper += ["--timeout", str(fw.timeout)]
    if fw.kind == "unix":
        args += ["-j", str(jobs)]
    else:
        if any(c.isspace() for c in str(fw.path)):
            # run-tests.py splits the execpty command at white space.
            raise ConformanceError("conformance: {} has a space in its path, which run-tests.py "
                                   "cannot pass to QEMU; build in a folder without spaces"
                                   .format(fw.path))
        qemu = " ".join(DIE_WITH_PARENT + tuple(fw.qemu_args) + ("-kernel", str(fw.path)))
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


def stop_all():
    """Stop every run-tests.py process running now, and what each started."""
    with _LIVE_LOCK:
        for proc in list(_LIVE):
            _stop(proc)


def _invoke(cmd, cwd, env, log_path, on_fail, label):
    """Run cmd, its output in log_path and each FAIL test to on_fail; (lines, exit code). A
    run that prints nothing for QUIET_LIMIT seconds is stopped: ConformanceError."""
    with _LIVE_LOCK:
        # It dies with us and leads a session of its own, so a stop reaches every process it
        # started (targets.launch).
        proc = launch(_open_files() + tuple(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
                    m = RESULT_LINE.match(line)
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


# --- one run --------------------------------------------------------------------------------


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
    read_results(run, lines, code, log_path)
    read_sanitizers(run, mp_dir)
    again = sorted(retry(run) if retry else run.tests("fail"))
    if again:
        echo("[conformance] {}: running again: {}".format(label, " ".join(again)))
        first.mkdir(exist_ok=True)
        for f in (f for t in again for f in result_files(run, t) if f.exists()):
            f.replace(first / f.name)
        rerun = Run(fw.name, mode, run.args, out_dir)
        lines, code = _invoke(_command(fw, mode, mp_dir, out_dir, jobs, python, only=again),
                              cwd, env, log_path, on_fail, label)
        read_results(rerun, lines, code, log_path)
        if set(rerun.outcomes) != set(again):
            raise ConformanceError("conformance: {}: the second run ran {}, not {}".format(
                label, sorted(rerun.outcomes), again))
        run.flaky = [(t, run.outcomes[t]) for t in rerun.tests("pass")
                     if run.outcomes[t] != "pass"]
        run.outcomes.update(rerun.outcomes)
        run.sanitized = {}
        read_sanitizers(run, mp_dir)  # of the outputs that count now
    run.seconds = time.monotonic() - start
    c = run.counts()
    echo("[conformance] {} {}: {performed} performed, {passed} passed, {failed} failed, "
         "{skipped} skipped in {}{}".format(
             fw.name, mode, duration(run.seconds),
             " ({} passed when run again)".format(len(run.flaky)) if run.flaky else "", **c))
    return run
