"""MicroPython's own test suite on our firmware, in the modes of MicroPython's own CI.

main() (the `./inv conformance` task) runs upstream's tests/run-tests.py, from the fetched
tree, on our builds:

- unix and unix-asan, as `make test_full` of ports/unix: the whole suite, then `-d thread`,
  `--emit native`, `--via-mpy -d basics float micropython` and the same with `--emit native`;
- qemu, as `make test_full` of ports/qemu: the whole suite over the emulator's UART
  (`-t execpty:...`), then `--via-mpy`, then `--via-mpy --emit native`; and "asmfp", the five
  inlineasm/thumb/asmfp* tests that run-tests.py always skips on qemu because upstream's qemu
  boards are Cortex-M3 (ours is a Cortex-M4F).

Each run's results (the pass/skip/FAIL lines, cross-checked with its _results.json) are
compared with two committed files:

- UPSTREAM (upstream.json): what upstream's own builds of the same MicroPython give in the
  same modes (unix: ports/unix VARIANT=standard; qemu: BOARD=MPS2_AN385), made by
  `./inv conformance --record-upstream`. A skip that upstream's own build has too is expected.
- EXPECTED (expected.py): the failures and skips our configuration causes and upstream's own
  build does not have, each with its reason.

Anything else is unexpected: the run fails, naming the test, with its diff. A sanitizer report
(unix-asan) is unexpected unless the entry for that test names the report's file:line, which
must be in MicroPython's tree: our own code must give none. What would be unexpected runs once
more, on its own, before it counts (run-tests.py's REPL tests and feature checks on a pty can
miss their timing on a busy machine); a test that passes then is noted as flaky. The failure
of a test listed as "flaky" runs once more too.

One module a job:

- runs: the targets' platform facts and the modes; a run of run-tests.py, its process
  supervised, and its second run
- wrapper: run-tests.py, unchanged, in a process of its own (its lines whole, its platform
  skips lifted, its timeouts)
- results: what a run gave: its outcomes, the sanitizer reports, a failure's diff
- expectations: what our configuration may fail or skip, loaded from expected.py and checked
- upstream: the baseline, upstream's own builds built and recorded in upstream.json
- reports: each result judged accepted or unexpected; the table and report.{json,md}

Paths (the MicroPython tree, firmware, mpy-cross, where results go) are parameters: this
package computes none of them.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.conformance.expectations import load_expected
from tools.conformance.reports import classify, problems, table, to_run_again, write_report
from tools.conformance.results import ConformanceError
from tools.conformance.runs import firmwares, plan, run_one, stop_all
from tools.conformance.upstream import load_upstream, record_upstream, upstream_builds

__all__ = ["ConformanceError", "main", "run"]


def run(fws, *, mp_dir, out_dir, mpy_cross, modes=None, jobs=2, expected=None, upstream=None,
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
            stop_all()
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


def main(*, paths, mp_dir, out_dir, mpy_cross, modes=None, jobs=2, record=False, prepare=None,
         echo=print):
    """The conformance task: check the targets (paths: name -> micropython binary or
    firmware.elf) and modes, call prepare() (the task builds our firmware there), then run().
    With record, build upstream's own firmware of the same kinds into out_dir/upstream-build
    and record what it gives instead. Returns the [Run]."""
    fws = firmwares(paths)
    plan(fws, modes)  # an unknown mode stops here, before any build
    if prepare:
        prepare()
    out_dir = Path(out_dir)
    if record:
        fws = upstream_builds(mp_dir, out_dir / "upstream-build", mpy_cross,
                              {fw.kind for fw in fws}, jobs, echo)
        out_dir = out_dir / "upstream"
    return run(fws, mp_dir=mp_dir, out_dir=out_dir, mpy_cross=mpy_cross, modes=modes,
               jobs=jobs, record=record, echo=echo)
