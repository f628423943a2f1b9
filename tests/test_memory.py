"""What `import fastpath` costs in RAM.

Lookup tables are bytes literals, which a frozen module keeps in flash (each kernel's test
checks its own against their formula): the heap an import takes must stay within the budget
below. What that heap is (module dicts, function objects, KERNELS) is measured by
test_heap_breakdown and printed with -s.
"""

import pytest

# The bytes of heap `import fastpath` may take, after gc.collect(), are each platform's
# import_heap (tools/platforms.py). Kernels are imported on first use (fastpath/__init__.py):
# the import itself is the package, its board layer and the kernel names.

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
    assert 0 < used <= fresh.platform.import_heap, used


KERNEL_HEAP = """
import gc

def used():
    gc.collect()
    return gc.mem_alloc()

import fastpath
before = used()
for k in sorted(fastpath.KERNELS):
    fastpath.KERNELS[k]
    now = used()
    print(k, now - before)
    before = now
"""


@pytest.mark.targets("unix", "qemu")
def test_each_kernel_costs_heap_only_when_used(fresh):
    # What each kernel's modules take when first used, in order (the first also pays for the
    # shared argument checks, fastpath._args): printed for docs/benchmarks.md.
    costs = dict(line.split() for line in fresh.run(KERNEL_HEAP).splitlines())
    print(fresh.name, costs)
    assert costs and all(int(v) > 0 for v in costs.values())


@pytest.mark.targets("unix", "qemu")
def test_tables_are_not_copied_to_the_heap(target):
    # The rungs read the frozen bytes objects themselves: no tables copied to RAM at module
    # level. A few words of parameters (an asm rung's argument block) are not a table.
    out = target.run(
        "import sys, fastpath\n"
        "for m in sorted(k for k in sys.modules if k.startswith('fastpath')):\n"
        "    for k, v in sys.modules[m].__dict__.items():\n"
        "        if type(v).__name__ in ('array', 'bytearray'):\n"
        "            print(m, k, len(bytes(v)))\n"
    )
    sizes = [int(line.split()[2]) for line in out.splitlines()]
    assert all(n <= 16 for n in sizes), out


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
    rungs = fastpath.KERNELS.values()  # every kernel imported
    mods = sorted(k for k in sys.modules if k.startswith("fastpath"))
    dicts = sum(dict_size(sys.modules[k].__dict__) for k in mods)
    kernels = sum(dict_size(v) for v in rungs)
    before = used()
    fastpath.KERNELS._rungs.clear()
    rungs = None
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
    # Not a budget: the figures behind import_heap, printed for the record (pytest -s). It
    # empties KERNELS and the modules' functions: a soft reset before and after.
    try:
        words = fresh.run(HEAP_BREAKDOWN).split()
    finally:
        if hasattr(fresh, "soft_reset"):
            fresh.soft_reset()
    figures = dict(zip(words[::2], map(int, words[1::2])))
    print(fresh.name, figures)
    assert figures["modules"] >= 8 and figures["dicts"] > 0 and figures["functions"] > 0
