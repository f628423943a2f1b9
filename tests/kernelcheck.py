"""Shared machinery of the kernel tests: the same cases on the host and on the target.

A kernel test writes its cases as Python source, a generator `cases()` that runs unchanged in
CPython and in MicroPython (random inputs come from `rng`, a 31-bit LCG with the same stream in
both). The source is executed here, to compute references with CPython's own tools (zlib,
NumPy), and sent to the target, which runs every tier of the kernel over the same cases and
prints each result as it goes: nothing but the seed crosses the wire, and the target holds one
case at a time, so a Pyboard's heap is enough.
"""

RNG = '''
from array import array

def rng(seed):
    # 31-bit LCG (glibc's constants): the same stream in CPython and MicroPython.
    x = seed
    while True:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        yield x

def randbytes(r, n):
    return bytearray(next(r) >> 23 for _ in range(n))

def randlen(r, limit):
    # Lengths that matter most often: 0, 1, around powers of two, then anything below limit.
    pick = next(r) % 4
    if pick == 0:
        return next(r) % 5
    if pick == 1:
        p = 1 << (next(r) % 9)
        return min(limit, max(0, p + next(r) % 3 - 1))
    return next(r) % (limit + 1)
'''


def host_cases(source):
    """Execute the case source in CPython; return its cases as a list."""
    namespace = {}
    exec(RNG + source, namespace)
    return list(namespace["cases"]())


def run_tiers(target, kernel, source, call, timeout=300):
    """{tier: [result per case]} for every tier of kernel present on target.

    source defines the generator cases(); call is the source of a function `call(f, case)`
    returning a repr()-able result (exceptions are caught and returned as "Type: message").
    """
    code = (
        RNG
        + source
        + call
        + """
import fastpath
K = fastpath.KERNELS[{kernel!r}]
def guarded(f, case):
    try:
        return call(f, case)
    except Exception as e:
        return "{{}}: {{}}".format(type(e).__name__, e)
for t in fastpath.TIERS:
    if t in K:
        print("TIER", t)
        for c in cases():
            print(repr(guarded(K[t], c)))
""".format(kernel=kernel)
    )
    results = {}
    names = {"bytearray": bytearray, "array": __import__("array").array}
    for line in target.run(code, timeout=timeout).splitlines():
        if line.startswith("TIER "):
            tier = results[line.split()[1]] = []
        elif line.strip():
            tier.append(eval(line, names))
    return results


def assert_every_tier(results, expected):
    """Every tier gave the expected result for every case, and the portable rungs are there."""
    assert {"py", "opt", "native", "viper", "c"} <= set(results), sorted(results)
    for tier, got in results.items():
        assert len(got) == len(expected), "{}: {} results for {} cases".format(
            tier, len(got), len(expected))
        bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        assert not bad, "{}: case {} gave {!r}, the reference {!r}".format(
            tier, bad[0], got[bad[0]], expected[bad[0]])


def bad_calls(target, kernel, cases):
    """{tier: ["Type: message" per case]} for calls that must fail; cases are argument
    sources, e.g. "None" or "array('h'), array('h'), bytearray(4)"."""
    lines = "".join("    yield lambda: ({},)\n".format(c) for c in cases)
    source = "def cases():\n" + lines
    call = "def call(f, case):\n    f(*case())\n    return 'no exception'\n"
    return run_tiers(target, kernel, source, call)


def heap_locked(target, kernel, setup, args, tiers):
    """{tier: "ok" or the error} for each tier called once under micropython.heap_lock()."""
    code = """
import micropython, fastpath
from array import array
{setup}
K = fastpath.KERNELS[{kernel!r}]

def trial(f):
    # Locals only: storing a new global could grow the module's dict under the lock.
    f({args})  # first call unlocked: imports and caches are not the kernel's doing
    micropython.heap_lock()
    try:
        f({args})
        result = "ok"
    except MemoryError:
        result = "allocated"
    micropython.heap_unlock()
    return result

for t in {tiers!r}:
    if t in K:
        print(t, trial(K[t]))
""".format(setup=setup, kernel=kernel, args=args, tiers=tuple(tiers))
    return dict(line.split() for line in target.run(code).splitlines() if line.strip())
