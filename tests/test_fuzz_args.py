"""Argument fuzzing of every public kernel entry point (tests/argfuzz.py has the program).

Seeded: a failure names (seed, round, kernel, tier), and argfuzz.run(target, seed, ...)
reproduces it. The unix build takes the 100,000-call run; the emulated Cortex-M4 a shorter
one, since its viper code has 32-bit ints where unix has 64.
"""

import pytest

import argfuzz

SEED = 20261125


@pytest.mark.targets("unix")
def test_hundred_thousand_calls_on_unix(target):
    calls, valid, fails = argfuzz.run(target, SEED, 20000)
    print("argument fuzz on unix: {} calls, {} returned".format(calls, valid))
    assert not fails, "\n".join(fails)
    assert calls >= 100_000
    assert valid >= calls // 4  # most kernels' bodies ran, not only their checks


@pytest.mark.targets("qemu")
def test_calls_on_the_emulated_cortex_m4(target):
    # Lengths up to 2049: the emulated board has a Pyboard-sized heap (140 KB).
    calls, valid, fails = argfuzz.run(target, SEED + 1, 1500, huge=2049, timeout=600)
    print("argument fuzz on qemu: {} calls, {} returned".format(calls, valid))
    assert not fails, "\n".join(fails)
    assert valid >= calls // 4
