"""What every kernel gets from its declaration alone, on every target (tests/ladder.py).

For each kernel (the `kernel` parameter: every one tools/kernels.py finds) and each target:
- every rung equals the kernel's own reference (tests/test_NAME.py) on 200 seeded cases in
  every form its arguments allow: other typecodes, odd offsets, guarded slices, and on the
  sanitizer build buffers at the very end of the heap;
- every rung raises the contract's exception and message for each wrong argument (ARGS), and
  for the kernel's own wrong values (BAD in its test file), and leaves its outputs alone;
- the rungs of NO_ALLOC allocate nothing;
- the argument fuzz finds no rung that crashes, hangs, or disagrees with py;
- the package-level function is the fastest rung.
A kernel that a board cannot run (BOARDS) must be absent there, name and all.
"""

import zlib

import pytest

import ladder
from tools.kernels import ASM_ARCHS

PORTABLE_RUNGS = {"py", "opt", "native", "viper"}
INTERPRETED = ("py", "opt", "native")  # rungs whose ints are Python's: they cannot overflow


def seed(kernel):
    # A seed of the kernel's own, the same on every run.
    return zlib.crc32(kernel.encode()) & 0x7FFFFFFF


def runs_here(target, kernel):
    """Whether kernel exists on target; if it should not, check that it is absent."""
    if ladder.KERNELS[kernel].runs_on(target.platform.board):
        return True
    out = target.run("import fastpath\nprint({0!r} in fastpath.KERNELS, "
                     "hasattr(fastpath, {0!r}))".format(kernel))
    assert out.split() == ["False", "False"], out
    return False


def test_every_rung_equals_the_reference(target, kernel):
    if not runs_here(target, kernel):
        return
    results = ladder.run_rungs(target, kernel, seed(kernel), 200)
    expected = ladder.expected_outcomes(kernel, seed(kernel), 200)
    k = ladder.KERNELS[kernel]
    must = set(PORTABLE_RUNGS)
    if k.c_source:
        must.add("c")
    if k.asm_source and target.platform.arch in ASM_ARCHS:
        must.add("asm")
    assert must <= set(results), "missing rungs: {}".format(sorted(must - set(results)))
    ladder.assert_rungs_agree(results, expected, kernel)


def test_every_rung_on_the_boundary_cases(target, kernel, request):
    # The sizes and values where 32-bit code breaks (tests/target/ladder.py boundary()): all
    # 0x00 and all 0xFF, 2**31 and 2**32-1, the kernel's own EDGE_SIZES and EDGE_VALUES, and
    # long buffers (64 KiB, and with --full about the largest the heap holds). The emulator
    # and a board are where they matter: 32-bit viper ints. A long case takes the interpreted
    # rungs (py, opt, native: Python ints, which do not overflow) seconds on the emulator, so
    # only --full gives them those.
    if not runs_here(target, kernel):
        return
    short = ladder.run_rungs(target, kernel, 0, 0, sizes=[])
    ladder.assert_rungs_agree(short, ladder.expected_outcomes(kernel, 0, 0, sizes=[]), kernel)
    # The long sizes are what the heap holds in one piece, on a fresh interpreter.
    if hasattr(target, "soft_reset"):
        target.soft_reset()
    sizes = ladder.long_sizes(target, kernel)
    if any(a[1] in ("buffer", "bytes", "q15") for a in ladder.KERNELS[kernel].args):
        assert sizes, "no long case of {} fits the heap of {}".format(kernel, target.name)
    if hasattr(target, "soft_reset"):
        target.soft_reset()
    if not request.config.fastpath_full:
        sizes = sizes[:1]  # the largest that fits is --full's
    skip = () if request.config.fastpath_full else INTERPRETED
    long = ladder.run_rungs(target, kernel, 0, 0, sizes=sizes, short=False, skip=skip,
                            timeout=1800)
    expected = ladder.expected_outcomes(kernel, 0, 0, sizes=sizes, short=False)
    ladder.assert_rungs_agree(long, expected, kernel)
    print("boundary cases of {} on {}: {} short and {} long ({}) a rung".format(
        kernel, target.name, len(short["py"]), len(expected), sizes))


def test_wrong_arguments_raise_the_contracts_errors(target, kernel):
    if not runs_here(target, kernel):
        return
    ladder.assert_contract(target, kernel)


def test_rungs_that_promise_no_allocation_allocate_nothing(target, kernel):
    if not runs_here(target, kernel):
        return
    promised = ladder.KERNELS[kernel].no_alloc
    got = ladder.run_heaplock(target, kernel)
    assert set(got) <= set(promised)
    if promised:
        assert got, "no rung of NO_ALLOC {} on {}".format(promised, target.name)
    assert set(got.values()) <= {"ok"}, got


def test_argument_fuzz(target, kernel, request):
    if not runs_here(target, kernel):
        return
    # The platform's budget (tools/platforms.py): --full fuzzes longer.
    rounds, huge = target.platform.fuzz[1 if request.config.fastpath_full else 0]
    calls, valid, fails = ladder.fuzz(target, seed(kernel) + 1, rounds, [kernel], huge=huge)
    print("argument fuzz of {} on {}: {} calls, {} returned".format(
        kernel, target.name, calls, valid))
    assert not fails, "\n".join(fails)
    assert calls >= rounds * 3  # py, opt and at least one more rung each round
    assert valid >= calls // 4  # the kernels' bodies ran, not only their checks


@pytest.mark.targets("unix", "unix-asan", "qemu")
def test_the_package_function_is_the_fastest_rung(target, kernel):
    if not runs_here(target, kernel):
        return
    out = target.run(
        "import fastpath\nK = fastpath.KERNELS[{0!r}]\n"
        "best = [t for t in ('c', 'asm', 'viper', 'native', 'opt', 'py') if t in K][0]\n"
        "print(best, getattr(fastpath, {0!r}) is K[best])".format(kernel))
    assert out.split()[1] == "True", out


@pytest.mark.targets("unix", "unix-asan", "qemu", "device")
def test_the_index_lists_the_rungs_the_board_has(target):
    # The build's index (fastpath/_index.py, read from the kernel files on the host) lists for
    # each kernel exactly the rungs the package finds on the board when it looks for itself
    # (its own way without an index: every rung its module defines there, and the C one).
    out = target.run(
        "import fastpath\n"
        "for name, rungs in zip(fastpath.NAMES, fastpath.RUNGS):\n"
        "    print(name, ','.join(rungs), ','.join(sorted(fastpath._load(name, None))))\n")
    rows = [line.split() for line in out.splitlines()]
    assert sorted(r[0] for r in rows) == sorted(
        k for k, d in ladder.KERNELS.items() if d.runs_on(target.platform.board))
    for name, listed, found in rows:
        assert sorted(listed.split(",")) == found.split(","), name
