"""What `import fastpath` costs in RAM, and the lookup tables that moved to flash.

The tables (crc32's TABLE and its byte planes, popcount's _POP) are bytes literals, which a
frozen module keeps in flash: they must hold exactly what their formulas give, and the heap
an import takes must stay within the budget below. What the rest of that heap is (module
dicts, function objects, KERNELS) is measured by test_heap_breakdown and printed with -s.
"""

import importlib
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "frozen"))
crc32 = importlib.import_module("fastpath.crc32")
popcount = importlib.import_module("fastpath.popcount")

# Bytes of heap `import fastpath` may take, after gc.collect(), per target. The emulator
# measured 3,808 (6,608 before the tables moved to flash), unix 5,504 (8,672): the rest is
# the package's 14 (unix: 8) modules and their functions, see test_heap_breakdown.
HEAP_BUDGET = {"qemu": 4096, "unix": 6144}


def crc_step(i):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
    return c


def test_crc32_tables_hold_the_crc_steps():
    want = [crc_step(i) for i in range(256)]
    assert isinstance(crc32.TABLE, bytes) and len(crc32.TABLE) == 1024
    assert list(struct.unpack("<256I", crc32.TABLE)) == want
    planes = (crc32._T0, crc32._T1, crc32._T2, crc32._T3)
    for j, plane in enumerate(planes):
        assert isinstance(plane, bytes)
        assert list(plane) == [(v >> (8 * j)) & 0xFF for v in want], j


def test_popcount_table_counts_bits():
    assert isinstance(popcount._POP, bytes)
    assert list(popcount._POP) == [bin(i).count("1") for i in range(256)]


IMPORT_HEAP = """
import gc

def measure():
    gc.collect()
    a = gc.mem_alloc()
    import fastpath
    gc.collect()
    return gc.mem_alloc() - a

print(measure())
"""


@pytest.mark.targets("unix", "qemu")
def test_import_heap_within_budget(fresh):
    # fresh: soft reset, so the package is imported for the first time here.
    used = int(fresh.run(IMPORT_HEAP).split()[-1])
    print(fresh.name, "import fastpath:", used, "bytes of heap")
    assert 0 < used <= HEAP_BUDGET[fresh.name], used


@pytest.mark.targets("unix", "qemu")
def test_tables_are_not_copied_to_the_heap(target):
    # The rungs read the frozen bytes objects themselves: no array copies at module level.
    out = target.run(
        "import sys, fastpath\n"
        "for m in sorted(k for k in sys.modules if k.startswith('fastpath')):\n"
        "    for k, v in sys.modules[m].__dict__.items():\n"
        "        if type(v).__name__ in ('array', 'bytearray'):\n"
        "            print(m, k, len(v))\n"
    )
    # The one buffer left: the asm rung of fir_q15 passes its lengths through 2 ints.
    assert [line.split()[:2] for line in out.splitlines()] in (
        [], [["fastpath_thumb.fir_q15", "_ARGS"]]), out


HEAP_BREAKDOWN = """
import gc, sys

def used():
    gc.collect()
    return gc.mem_alloc()

def dict_size(d):
    # A dict's copy has the same table size as the dict itself.
    a = used()
    c = d.copy()
    b = used()
    del c
    return b - a

def measure():
    import fastpath
    mods = sorted(k for k in sys.modules if k.startswith("fastpath"))
    dicts = sum(dict_size(sys.modules[k].__dict__) for k in mods)
    kernels = dict_size(fastpath.KERNELS) + sum(dict_size(v) for v in fastpath.KERNELS.values())
    before = used()
    fastpath.KERNELS.clear()
    for k in mods:
        d = sys.modules[k].__dict__
        for name in list(d):
            if type(d[name]).__name__ in ("function", "type", "closure", "array"):
                d[name] = None
    print("modules", len(mods), "dicts", dicts, "kernels", kernels, "functions", before - used())

measure()
"""


@pytest.mark.targets("unix", "qemu")
def test_heap_breakdown(fresh):
    # Not a budget: the figures behind HEAP_BUDGET, printed for the record (pytest -s). It
    # empties KERNELS and the modules' functions: a soft reset before and after.
    try:
        words = fresh.run(HEAP_BREAKDOWN).split()
    finally:
        if hasattr(fresh, "soft_reset"):
            fresh.soft_reset()
    figures = dict(zip(words[::2], map(int, words[1::2])))
    print(fresh.name, figures)
    assert figures["modules"] >= 8 and figures["dicts"] > 0 and figures["functions"] > 0
