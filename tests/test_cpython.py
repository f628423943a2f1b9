"""The py and opt rungs are plain Python: under CPython they import and agree with each
kernel's reference on the suite's own cases, so a reader can try the ladder's first steps
without a board."""

import importlib

import ladder
from conftest import frozen_package

RUNGS = ("py", "opt")


def fastpath():
    frozen_package()
    return importlib.import_module("fastpath")


def test_only_the_python_rungs_exist_under_cpython():
    fp = fastpath()
    assert fp.board.NAME == "cpython"
    assert fp.BUILD is None  # no firmware: the package found its kernels in its folder
    want = sorted(k for k, d in ladder.KERNELS.items() if d.runs_on("cpython"))
    assert sorted(fp.KERNELS) == want
    for kernel, rungs in fp.KERNELS.items():
        assert sorted(rungs) == sorted(RUNGS), kernel


def absent(fp, kernel):
    """Whether kernel is absent under CPython; if so, check that its declaration says so and
    that it is absent by name too."""
    if kernel in fp.KERNELS:
        return False
    assert not ladder.KERNELS[kernel].runs_on("cpython"), kernel
    assert not hasattr(fp, kernel), kernel
    return True


def test_rungs_agree_with_the_reference(kernel):
    fp = fastpath()
    if absent(fp, kernel):
        return
    cases = ladder.host_module("ladder")
    expected = ladder.expected_outcomes(kernel, 7, 60, limit=64)
    for rung in RUNGS:
        f = fp.KERNELS[kernel][rung]
        got = [cases.outcome(f, args, outputs, guards)
               for args, outputs, guards in cases.cases(kernel, 7, 60, limit=64)]
        ladder.assert_rungs_agree({rung: got}, expected, kernel)


def test_same_errors_under_cpython(kernel):
    fp = fastpath()
    if absent(fp, kernel):
        return
    contract = ladder.host_module("contract")
    expected = contract.expected(kernel)
    for rung in RUNGS:
        f = fp.KERNELS[kernel][rung]
        got = [contract.raised(f, args) for _, _, args in contract.bad_calls(kernel)]
        assert got == expected, rung
