"""The generated boundary cases catch the bugs 32-bit kernels have.

A bug is planted in each of three copies of a rung (tests/target/planted.py: Adler-32 as zlib
computes it, its byte loop in viper): sums that overflow 32 bits because they are reduced
every 64 KiB, an off-by-one at a reduction boundary, and a block loop that is wrong only past
a block. On the emulator, where viper's ints are 32 bits as on a board, the boundary cases
that every kernel gets from its declaration (tests/target/ladder.py boundary(), with the
kernel's EDGE_SIZES and EDGE_VALUES) catch each one and pass the good copy; the 200 seeded
cases of every kernel's ladder test catch none of them.
"""

import zlib

import pytest

import ladder
from tools.targets import from_literal

BUGS = ("overflow", "off_by_one", "past_block")


def reference(data, value=1):
    return zlib.adler32(bytes(memoryview(data).cast("B")), value)


def _outcomes(target, call):
    return ladder.rung_outcomes(
        target.run(ladder.program("ladder", "planted", call=call), timeout=1200))


def _wrong(got, expected):
    return [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]


@pytest.mark.targets("qemu")
def test_boundary_cases_catch_each_planted_bug(target):
    if hasattr(target, "soft_reset"):
        target.soft_reset()
    out = target.run(ladder.program("ladder", "planted", call="print(long_sizes(Adler32))"))
    sizes = from_literal(out.strip().splitlines()[-1])
    # Long enough for 0xFF bytes to overflow 32-bit sums reduced only every 64 KiB.
    assert sizes and sizes[0] > 2 * ladder.host_module("planted").NMAX, sizes
    host = ladder.host_module("ladder")
    planted = ladder.host_module("planted")
    expected = [host.outcome(reference, args, outputs, guards)
                for args, outputs, guards in host.boundary(planted.Adler32, sizes)]
    if hasattr(target, "soft_reset"):
        target.soft_reset()
    got = _outcomes(target, "run_planted({!r})".format(sizes))
    assert len(got["good"]) == len(expected)
    assert not _wrong(got["good"], expected), "the good copy fails a boundary case"
    for bug in BUGS:
        wrong = _wrong(got[bug], expected)
        print("{}: {} of {} boundary cases catch it".format(bug, len(wrong), len(expected)))
        assert wrong, "no boundary case catches the planted bug '{}'".format(bug)


@pytest.mark.targets("qemu")
def test_the_seeded_cases_alone_miss_them(target):
    # What the boundary cases add: the ladder test's 200 seeded cases (lengths up to 300, random
    # values) pass every planted copy.
    host = ladder.host_module("ladder")
    planted = ladder.host_module("planted")
    seed, count = 12345, 200
    expected = [host.outcome(reference, args, outputs, guards)
                for args, outputs, guards in host.cases(planted.Adler32, seed, count)]
    call = ("for name in ('good',) + {!r}:\n"
            "    print('RUNG', name)\n"
            "    for a, o, g in cases(Adler32, {}, {}):\n"
            "        print(repr(outcome(RUNGS[name], a, o, g)))\n").format(BUGS, seed, count)
    got = _outcomes(target, call)
    for name, outcomes in got.items():
        assert not _wrong(outcomes, expected), name
