"""popcount's reference and its own tests; tests/test_kernels.py gives it the rest (every rung
against `reference` on every target, the contract's errors, no allocation, the fuzz)."""

import importlib
from array import array

from conftest import frozen_package


def reference(data):
    # A bit count of the raw bytes, with CPython's bin().
    return sum(bin(b).count("1") for b in bytes(memoryview(data).cast("B")))


def test_reference_hand_checked():
    assert reference(b"") == 0
    assert reference(b"\x00") == 0
    assert reference(b"\xff") == 8
    assert reference(b"\x01\x80") == 2
    assert reference(bytes(range(256))) == 1024
    assert reference(array("H", [0xFFFF, 0x0101, 0])) == 18
    assert reference(array("i", [-1, 0x7FFFFFFF])) == 63


def test_float_and_wide_items_count_their_raw_bits(target):
    # The Python rungs walk typed items in place; floats and negative ints are the corners.
    out = target.run(
        "import fastpath\nfrom array import array\n"
        "K = fastpath.KERNELS['popcount']\n"
        "for t in fastpath.TIERS:\n"
        "    if t in K:\n"
        "        print(t, K[t](array('f', [1.0, -2.5])), K[t](array('i', [-1, -2**31])),\n"
        "              K[t](array('b', [-1, -128])), K[t](array('h', [-32768, -1])))\n")
    want = [reference(array("f", [1.0, -2.5])), reference(array("i", [-1, -2**31])),
            reference(array("b", [-1, -128])), reference(array("h", [-32768, -1]))]
    lines = out.splitlines()
    assert len(lines) >= 5
    for line in lines:
        rung, *counts = line.split()
        assert list(map(int, counts)) == want, rung


def test_table_in_flash_counts_bits():
    frozen_package()
    table = importlib.import_module("fastpath.kernels.popcount")._POP
    assert isinstance(table, bytes)  # a bytes literal: flash, not heap
    assert list(table) == [bin(i).count("1") for i in range(256)]
