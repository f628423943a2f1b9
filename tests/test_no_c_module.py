"""fastpath without our C module: the frozen package on firmware where `_fastpath` is absent.

A stock install without the native modules runs the package so: no kernel has a c rung, and
the argument checks (fastpath/_args.py) answer their buffer queries in Python, through
memoryview, instead of with _fastpath.nbytes and _fastpath.typecode. Build target qemu-noc is
our emulated board built so (tools/platforms.py): the package frozen as on the qemu target, no
user C module. On it, as tests/test_kernels.py on the qemu target at its quick counts:

- _fastpath is absent, the checks are _args' own, and the index lists no c rung;
- every rung equals the reference on the generated cases and the boundary cases;
- every rung raises the contract's exceptions and messages for wrong arguments;
- the argument fuzz finds no rung that disagrees with py.

(NO_ALLOC is not checked: the Python buffer queries allocate, as _args.py says.)
This builds a firmware and boots an emulator: slow, so marked `full`.
"""

import pytest

import ladder
from test_kernels import INTERPRETED, PORTABLE_RUNGS, runs_here, seed
from tools import build as building
from tools.platforms import PLATFORMS, TARGETS
from tools.targets import runner

FIRMWARE = "qemu-noc"
PLATFORM = PLATFORMS[FIRMWARE]
BOARD = PLATFORM.board  # fastpath.board.NAME there
CASES = 200  # as test_kernels.py's on every target

pytestmark = [pytest.mark.full, pytest.mark.targets("qemu")]


@pytest.fixture(scope="module")
def noc_board(layout):
    """qemu-noc, brought up to date with the tree (an incremental build: its frozen package is
    what is tested) and booted."""
    building.build(layout, [PLATFORM], 2)
    board = runner(FIRMWARE, building.firmware_path(layout, FIRMWARE))
    yield board
    board.close()


def test_the_firmware_has_no_c_module(noc_board):
    out = noc_board.run(
        "import fastpath\nfrom fastpath import _args\n"
        "try:\n    import _fastpath\n    print('_fastpath present')\n"
        "except ImportError:\n    print('_fastpath absent')\n"
        "print(fastpath._fastpath, fastpath.board.NAME, fastpath.BUILD['board'])\n"
        "print('fallback' if hasattr(_args, '_view') else 'C', _args.nbytes(b'abc'))\n")
    assert out.split() == ["_fastpath", "absent", "None", BOARD, FIRMWARE, "fallback", "3"], out


def test_the_index_lists_no_c_rung(noc_board):
    # The build's index is the one for a delivery without the C rungs, and the package finds
    # the same rungs when it looks for itself.
    out = noc_board.run(
        "import fastpath\n"
        "for name, rungs in zip(fastpath.NAMES, fastpath.RUNGS):\n"
        "    print(name, ','.join(rungs), ','.join(sorted(fastpath._load(name, None))))\n")
    rows = {r[0]: r[1:] for r in (line.split() for line in out.splitlines())}
    assert sorted(rows) == sorted(k for k, d in ladder.KERNELS.items() if d.runs_on(BOARD))
    for name, (listed, found) in rows.items():
        want = ladder.KERNELS[name].rungs(BOARD, PLATFORM.arch, c=False)
        assert tuple(listed.split(",")) == want, name
        assert sorted(want) == found.split(","), name
        assert "c" not in want and "hw" not in want, name


def test_every_rung_equals_the_reference(noc_board, kernel):
    if not runs_here(noc_board, kernel):
        return
    results = ladder.run_rungs(noc_board, kernel, seed(kernel), CASES)
    k = ladder.KERNELS[kernel]
    must = set(PORTABLE_RUNGS) | ({"asm"} if k.asm_source else set())
    assert must <= set(results), "missing rungs: {}".format(sorted(must - set(results)))
    assert "c" not in results
    ladder.assert_rungs_agree(results, ladder.expected_outcomes(kernel, seed(kernel), CASES),
                              kernel)


def test_every_rung_on_the_boundary_cases(noc_board, kernel):
    # The short ones, and the first long size on the compiled rungs, as the quick run does.
    if not runs_here(noc_board, kernel):
        return
    short = ladder.run_rungs(noc_board, kernel, 0, 0, sizes=[])
    ladder.assert_rungs_agree(short, ladder.expected_outcomes(kernel, 0, 0, sizes=[]), kernel)
    noc_board.soft_reset()
    sizes = ladder.long_sizes(noc_board, kernel)[:1]
    noc_board.soft_reset()
    long = ladder.run_rungs(noc_board, kernel, 0, 0, sizes=sizes, short=False, skip=INTERPRETED,
                            timeout=1800)
    ladder.assert_rungs_agree(
        long, ladder.expected_outcomes(kernel, 0, 0, sizes=sizes, short=False), kernel)


def test_wrong_arguments_raise_the_contracts_errors(noc_board, kernel):
    if not runs_here(noc_board, kernel):
        return
    by_rung = ladder.assert_contract(noc_board, kernel)
    assert "c" not in by_rung


def test_argument_fuzz(noc_board, kernel):
    if not runs_here(noc_board, kernel):
        return
    rounds, huge = TARGETS["qemu"].fuzz[0]  # the qemu target's quick run
    calls, valid, fails = ladder.fuzz(noc_board, seed(kernel) + 1, rounds, [kernel], huge=huge)
    assert not fails, "\n".join(fails)
    assert valid >= calls // 4
