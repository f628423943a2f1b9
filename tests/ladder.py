"""The host side of the kernel tests: what every kernel gets, from its declaration alone.

The code that runs on a target lives in tests/target/*.py (real files: ruff lints them, the
suite compiles them with mpy-cross); program() joins some of them and one call into the
script sent, as MicroPython's run-perfbench.py does. The same files import under CPython, so
the host makes the very same cases from the same seed (nothing but a kernel's name and the
seed cross the wire) and computes what they must give with the kernel's own reference, the
`reference` of tests/test_NAME.py (zlib, NumPy, hand-checked vectors).
"""

import importlib
import importlib.util
import sys
from pathlib import Path

from tools import kernels as declared
from tools.settings import ROOT
from tools.targets import from_literal

TARGET_CODE = Path(__file__).resolve().parent / "target"
KERNELS = declared.discover()


def program(*files, call):
    """The script for a target: tests/target/<file>.py for each file, then call."""
    parts = [(TARGET_CODE / (f + ".py")).read_text() for f in files]
    return "\n".join(parts + [call, ""])


def host_module(name):
    """tests/target/<name>.py imported under CPython, with the frozen package importable."""
    frozen = str(ROOT / "frozen")
    if frozen not in sys.path:
        sys.path.insert(0, frozen)
    if name not in _HOST_MODULES:
        spec = importlib.util.spec_from_file_location("fastpath_target_" + name,
                                                      TARGET_CODE / (name + ".py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _HOST_MODULES[name] = module
    return _HOST_MODULES[name]


_HOST_MODULES = {}  # host_module()'s, by name


def reference(kernel):
    """The reference function of a kernel: `reference` in tests/test_<kernel>.py."""
    return importlib.import_module(KERNELS[kernel].test_module).reference


def reference_state(kernel):
    """`state` in tests/test_<kernel>.py, the reference's model of what the kernel's state()
    reads on a target (a pin's level), or None for a kernel whose calls change only their
    arguments."""
    return getattr(importlib.import_module(KERNELS[kernel].test_module), "state", None)


def run_rungs(target, kernel, seed, count, limit=300, timeout=600, sizes=None, short=True,
              skip=()):
    """{rung: [outcome per case]} of every rung of kernel on target (tests/target/ladder.py),
    but those in skip: count seeded cases, or with sizes (long_sizes()) the boundary cases
    (short: with the short ones)."""
    sanitized = target.platform is not None and target.platform.sanitized
    files = ("ladder", "edge") if sanitized and sizes is None else ("ladder",)
    call = ("EDGE = EdgeArena()\n" if "edge" in files else "") + \
        "run({!r}, {}, {}, {}, {!r}, {}, {!r})".format(kernel, seed, count, limit, sizes, short,
                                                       tuple(skip))
    return rung_outcomes(target.run(program(*files, call=call), timeout=timeout))


def rung_outcomes(out):
    """{rung: [outcome per case]} from what a target printed: "RUNG name" lines, each
    followed by one repr()'d outcome a case."""
    results = {}
    for line in out.splitlines():
        if line.startswith("RUNG "):
            rung = results[line.split()[1]] = []
        elif line.strip():
            rung.append(from_literal(line))
    return results


def expected_outcomes(kernel, seed, count, limit=300, sizes=None, short=True):
    """What each case of run_rungs must give: the kernel's reference on the same cases."""
    ladder = host_module("ladder")
    ref, state = reference(kernel), reference_state(kernel)
    made = ladder.cases(kernel, seed, count, limit) if sizes is None else \
        ladder.boundary(kernel, sizes, short)
    return [ladder.outcome(ref, args, outputs, guards, state) for args, outputs, guards in made]


def long_sizes(target, kernel):
    """The long sizes of kernel's boundary cases on target: what its heap holds."""
    out = target.run(program("ladder", call="print(long_sizes({!r}))".format(kernel)))
    return from_literal(out.strip().splitlines()[-1])


def assert_rungs_agree(results, expected, kernel):
    """Every rung gave the expected outcome for every case."""
    assert results, "{}: no rung ran".format(kernel)
    for rung, got in results.items():
        assert len(got) == len(expected), "{} {}: {} results for {} cases".format(
            kernel, rung, len(got), len(expected))
        bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        assert not bad, "{} {}: case {} gave {!r}, the reference {!r}".format(
            kernel, rung, bad[0], got[bad[0]], expected[bad[0]])


def assert_contract(target, kernel):
    """Every rung of kernel on target raises the contract's exception and message for each
    wrong argument (ARGS, tests/target/contract.py) and for the kernel's own wrong values (BAD
    in its test file), and leaves its outputs alone; {rung: [raised]}."""
    contract = host_module("contract")
    own = importlib.import_module(KERNELS[kernel].test_module)
    extra = getattr(own, "BAD", [])
    expected = contract.expected(kernel) + [message for _, message in extra]
    by_rung = {}
    for rung, raised, untouched in run_bad_calls(target, kernel, [args for args, _ in extra]):
        by_rung.setdefault(rung, []).append(raised)
        assert untouched, "{} {}: a refused call changed an output ({})".format(
            kernel, rung, raised)
    assert by_rung, "{}: no rung answered".format(kernel)
    for rung, raised in by_rung.items():
        bad = [i for i, (r, e) in enumerate(zip(raised, expected)) if r != e]
        assert len(raised) == len(expected) and not bad, "{} {}: call {} raised {!r}, the " \
            "contract says {!r}".format(kernel, rung, bad[0], raised[bad[0]], expected[bad[0]])
    return by_rung


def run_bad_calls(target, kernel, extra=()):
    """[(rung, "Type: message", outputs unchanged)] of every rung on the contract's bad calls
    (tests/target/contract.py), then on each argument tuple of extra (Python values)."""
    from tools.targets import literal

    call = "run_bad({!r}, extra={})".format(kernel, literal([tuple(a) for a in extra]))
    out = target.run(program("contract", call=call))
    return [from_literal(line) for line in out.splitlines() if line.strip()]


def run_heaplock(target, kernel):
    """{rung: "ok" or "allocated"} for the rungs of the kernel's NO_ALLOC on target."""
    out = target.run(program("heaplock", call="run_heaplock({!r})".format(kernel)))
    return dict(line.split() for line in out.splitlines() if line.strip())


def fuzz(target, seed, rounds, kernels=None, huge=0, timeout=900):
    """(calls, valid calls, failure lines) of one argument-fuzz run on target."""
    call = "fuzz({}, {}, {!r}, huge={})".format(seed, rounds, kernels, huge)
    out = target.run(program("ladder", "contract", "fuzz", call=call), timeout=timeout)
    calls = int(out.split("CALLS ", 1)[1].split()[0])
    valid = int(out.split("VALID ", 1)[1].split()[0])
    fails = [line for line in out.splitlines() if line.startswith("FAIL ")]
    return calls, valid, fails
