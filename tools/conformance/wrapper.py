"""Upstream's run-tests.py, run unchanged in a process of its own, with three things set from
outside; the only code of this package that reaches into run-tests.py:

    python tools/conformance/wrapper.py RUN_TESTS_PY [--unskip PLATFORM:T1,T2] [--timeout S]
        -- ARGS

- its per-test lines are kept whole (its -j threads print them in pieces);
- --unskip lifts named tests from its platform skips (the asmfp tests on qemu), and fails if
  run-tests.py no longer skips one of them;
- --timeout sets how long it waits for a test, a board's too.

It imports nothing of ours: runs.py starts it with the python of the task.
"""

import importlib.util
import sys
import threading
from pathlib import Path


def main(argv):
    """Run the run-tests.py of argv[0] with the ARGS after "--", as the options before it say."""
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
                         "tools/conformance/runs.py".format(missing[0], platform))
            rt.platform_tests_to_skip[platform] = tuple(t for t in listed if t not in tests)
        else:
            sys.exit("conformance: unknown wrapper option " + opt)
    sys.argv = [run_tests] + args
    rt.main()


if __name__ == "__main__":
    if "--" not in sys.argv[2:]:
        sys.exit(__doc__)
    main(sys.argv[1:])
