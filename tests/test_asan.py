"""Every tier of every kernel under AddressSanitizer and UndefinedBehaviorSanitizer.

build/unix-asan/micropython is the unix firmware (same C module, same frozen package) built
from ports/unix-asan with ASan and UBSan (./inv build --target unix-asan). Any report there
ends the process with a non-zero status and the report on stderr: UnixTarget raises that as
TargetError, and the test fails showing the report.

For each kernel, one seeded MicroPython script runs every tier in fastpath.KERNELS on the same
1000 valid calls (lengths 0..300, memoryview slices at odd offsets, y as x for the c tier) and
checks each tier against the py tier; another makes bad calls (wrong kinds, read-only
outputs, wrong typecodes, wrong lengths, wrong arity), each of which must raise TypeError or
ValueError, of the same type as the py tier's. The kernel tests' own functions
(test_crc32.py, ...) and the argument fuzz of test_fuzz_args.py (argfuzz.py, with a seed of
its own) run on the ASan build too.

ASan sees C code: MicroPython's runtime, the _fastpath wrappers and their raw loops. But the
GC heap is one malloc'd block, and a kernel overrunning a buffer inside it stays inside that
block, where ASan sees nothing. So some buffers of every batch are cut from the very end of
the heap, where one byte more is the block's redzone (a report), and the others are slices
with guard bytes around them that must come back unchanged (which also covers the native and
viper tiers: machine code that ASan does not instrument).
"""

import importlib
import inspect
from pathlib import Path

import pytest

import argfuzz
from tools.targets import SANITIZER_ENV, TargetError, UnixTarget

ROOT = Path(__file__).resolve().parent.parent
ASAN_BINARY = ROOT / "build" / "unix-asan" / "micropython"
KERNELS = ("crc32", "fir_q15", "popcount", "rgb565")
SEED = 20250
VALID_CALLS = 1000  # per kernel; each one runs on every tier
# The suite's kernel tests: each of their test functions that takes only a target runs here
# too, on the ASan build.
KERNEL_TESTS = tuple("test_" + k for k in KERNELS)
# The argument fuzz of test_fuzz_args.py (tests/argfuzz.py), as many calls as there (100,000),
# with a seed of its own.
ARGFUZZ_SEED = 20251126
ARGFUZZ_ROUNDS = 20000


COMMON = r"""
import gc
import uctypes
from array import array
import fastpath

K = fastpath.KERNELS[KERNEL]
TIERS = [t for t in fastpath.TIERS if t in K]
FAILS = []


def edge_arena(blocks):
    # An array('h') of about `blocks` GC blocks (32 bytes on 64-bit unix) whose items end
    # exactly where the GC heap ends. The heap is one malloc'd block, so ASan sees nothing that
    # goes wrong inside it; a buffer cut from the end of this arena is followed by the block's
    # redzone, and reading or writing one byte past it is a heap-buffer-overflow report.
    # Allocation is first fit: fill the heap's free tail up to its last `blocks` blocks, then
    # the largest array that still fits goes there, and ends at the heap's end.
    gc.collect()
    reserve = bytearray(1 << 20)  # keeps room below the arena for the tests
    lo, hi = 0, gc.mem_free() // 32 + 1
    while hi - lo > 1:  # lo: the largest free run in blocks, the heap's tail
        mid = (lo + hi) // 2
        try:
            bytearray(32 * mid)
            lo = mid
        except MemoryError:
            hi = mid
        gc.collect()
    filler = bytearray(32 * (lo - blocks))
    k = blocks + 4
    while True:
        try:
            arena = array("h", range(16 * k))
            break
        except MemoryError:
            k -= 1
            gc.collect()
    reserve = filler = None
    gc.collect()
    return arena


ARENA = edge_arena(2048)
END = uctypes.addressof(ARENA) + 2 * len(ARENA)  # the first byte past the heap

_x = SEED


def rnd(n):
    # 31-bit LCG (glibc's constants), reduced to 0..n-1.
    global _x
    _x = (_x * 1103515245 + 12345) & 0x7FFFFFFF
    return (_x >> 8) % n


def rlen(limit):
    # Lengths that matter most often: 0..4, around powers of two, then anything up to limit.
    p = rnd(4)
    if p == 0:
        return rnd(5)
    if p == 1:
        return min(limit, max(0, (1 << rnd(9)) + rnd(3) - 1))
    return rnd(limit + 1)


def rbytes(n):
    return bytearray(rnd(256) for _ in range(n))


def rq15(n):
    # int16 values, a quarter of them at the extremes, where sums saturate.
    a = array("h", bytes(2 * n))
    for i in range(n):
        a[i] = (-32768, 32767, 0, -1)[rnd(4)] if rnd(4) == 0 else rnd(65536) - 32768
    return a


G = 7  # guard items on each side of a slice: an odd offset from the backing buffer's start


class Slice:
    # items as a memoryview of a larger buffer of the same typecode at an odd offset, with
    # guard items around it that no kernel may change (a check that also covers the native
    # and viper tiers, which ASan does not see).
    def __init__(self, typecode, items):
        n = len(items)
        self.backing = array(typecode, [0x5A] * G)
        self.backing.extend(items)
        self.backing.extend(array(typecode, [0x5A] * G))
        self.view = memoryview(self.backing)[G:G + n]
        self.n = n

    def guards_ok(self):
        b = self.backing
        return all(b[i] == 0x5A for i in range(G)) and all(
            b[G + self.n + i] == 0x5A for i in range(G))


def byte_buffer(raw, form, writable):
    # raw (a bytearray) as one of the byte buffers a kernel takes: (object, guard check).
    if form == 1:
        return array("B", raw), None
    if form == 2:
        return array("b", raw), None
    if form == 3:
        s = Slice("B", raw)
        return s.view, s.guards_ok
    if form == 4:  # at the end of the heap, at any byte alignment
        b = uctypes.bytearray_at(END - len(raw), len(raw))
        b[:] = raw
        return b, None
    if form == 5 and not writable:
        return bytes(raw), None
    if form == 6 and not writable:
        return memoryview(bytes(G) + raw)[G:], None  # read-only, odd offset
    return bytearray(raw), None


def q15_buffer(items, form):
    # items (an array('h')) as an array('h') or a memoryview of one: (object, guard check).
    if form == 1:
        s = Slice("h", items)
        return s.view, s.guards_ok
    if form == 2:  # at the end of the heap
        v = memoryview(ARENA)[len(ARENA) - len(items):]
        v[:] = items
        return v, None
    return array("h", items), None


def contents(obj):
    return None if obj is None else bytes(obj)


def report():
    for f in FAILS[:20]:
        print("FAIL", f)
    print("DONE", len(FAILS))
"""

VALID = r"""
def case():
    # One valid call as a recipe: build() makes fresh arguments, the same every time, and
    # returns (args, output buffer or None, guard checks). At most one buffer of a call can
    # be at the end of the heap.
    if KERNEL in ("crc32", "popcount"):
        form = rnd(10)
        n = rlen(300)
        raw = rbytes(n)
        crc = (0, 0xFFFFFFFF, rnd(1 << 16) << 16 | rnd(1 << 16))[rnd(3)]
        with_crc = KERNEL == "crc32" and rnd(2)

        def build():
            if form == 7:
                data = array("h", raw[: n & ~1])
            elif form == 8:
                data = array("i", raw[: n & ~3])
            elif form == 9:
                data = q15_buffer(array("h", raw[: n & ~1]), 2)[0]
            else:
                data = byte_buffer(raw, form, False)[0]
            return ((data, crc) if with_crc else (data,)), None, ()
        return build, ""

    if KERNEL == "fir_q15":
        nx = 1 + rlen(299)
        nh = nx - rnd(min(nx, 3)) if rnd(8) == 0 else 1 + rnd(min(nx, 48))
        n = nx - nh + 1
        x, h = rq15(nx), rq15(nh)
        edge = rnd(4)  # 0: none, 1: x, 2: h, 3: y at the end of the heap
        xf, hf, yf = (2 if edge == i else rnd(2) for i in (1, 2, 3))
        extra = 0 if edge == 3 else rnd(3)
        in_place = rnd(4) == 0 and edge != 3

        def build():
            xo, xg = q15_buffer(x, xf)
            ho, hg = q15_buffer(h, hf)
            if in_place:
                return (xo, ho, xo), xo, (xg, hg)
            yo, yg = q15_buffer(array("h", [0x2A] * (n + extra)), yf)
            return (xo, ho, yo), yo, (xg, hg, yg)
        return build, "in place" if in_place else ""

    npix = rlen(100)
    raw = rbytes(3 * npix)
    sf, df = rnd(7), rnd(5)
    if sf == 4 and df == 4:
        df = 0

    def build():
        so, sg = byte_buffer(raw, sf, False)
        do, dg = byte_buffer(bytearray(b"\x2a" * (2 * npix)), df, True)
        return (so, do), do, (sg, dg)
    return build, ""


valid = 0
for c in range(N):
    build, note = case()
    args, out, _ = build()
    if note == "in place":
        args = (array("h", args[0]), args[1], args[2])
    want = (K["py"](*args), contents(out))
    for t in TIERS:
        if note == "in place" and t != "c":
            continue  # y is x: the C contract (kernels.h) allows it, the Python tiers' not
        args, out, guards = build()
        try:
            got = (K[t](*args), contents(out))
        except Exception as e:
            got = "{}: {}".format(type(e).__name__, e)
        if got != want:
            FAILS.append("{} {} case {} {}: got {!r}, want {!r}".format(
                KERNEL, t, c, note, got, want))
        if not all(g() for g in guards if g):
            FAILS.append("{} {} case {}: wrote outside its slice".format(KERNEL, t, c))
        valid += 1
    if c % 16 == 0:
        gc.collect()
print("VALID", valid)
report()
"""

# Bad calls, as argument sources per kernel (py tier's exception type is the reference).
BAD = {
    "crc32": [
        "", "b'', 0, 0", "None", "1", "1.5", "'abc'", "[1, 2]", "(1, 2)", "{}",
        "b'1', None", "b'1', 1.5", "b'1', '1'", "b'1', -1", "b'1', 1 << 32", "b'1', 1 << 70",
        "b'1', -(1 << 70)", "bytearray(3), b'1'",
    ],
    "popcount": ["", "b'', b''", "None", "0", "1.5", "'abc'", "[1, 2]", "(1, 2)", "{}"],
    "fir_q15": [
        "", "array('h', [1]), array('h', [1])",
        "array('h', [1, 2]), array('h', [1]), array('h', [0]), 1",
        "None, array('h', [1]), array('h', [0])",
        "array('h', [1]), None, array('h', [0])",
        "array('h', [1]), array('h', [1]), None",
        "1, array('h', [1]), array('h', [0])",
        "array('h', [1]), 1.5, array('h', [0])",
        "array('h', [1]), array('h', [1]), 7",
        "'ab', array('h', [1]), array('h', [0])",
        "[1, 2], array('h', [1]), array('h', [0, 0])",
        "array('h', [1, 2]), (1,), array('h', [0, 0])",
        "array('h', [1, 2]), array('h', [1]), [0, 0]",
        "array('h', [1, 2]), array('h', [1]), bytes(4)",
        "array('h', [1, 2]), array('h', [1]), bytearray(4)",
        "array('h', [1, 2]), array('h', [1]), array('H', [0, 0])",
        "array('H', [1, 2]), array('h', [1]), array('h', [0, 0])",
        "array('h', [1, 2]), array('i', [1]), array('h', [0, 0])",
        "array('b', [1, 2]), array('h', [1]), array('h', [0, 0])",
        "bytearray(4), array('h', [1]), array('h', [0, 0])",
        "array('h', [1, 2]), array('h'), array('h', [0, 0])",
        "array('h'), array('h'), array('h', [0])",
        "array('h', [1]), array('h', [1, 2]), array('h', [0, 0])",
        "array('h', range(9)), array('h', [1, 2, 3]), array('h', [0] * 6)",
        "array('h', range(9)), array('h', [1, 2, 3]), array('h')",
        (
            "memoryview(array('h', range(9)))[1:], array('h', [1]), "
            "memoryview(array('h', [0] * 9))[2:]"
        ),
    ],
    "rgb565": [
        "", "b'', bytearray(), 0", "None, bytearray(2)", "b'abc', None", "1, bytearray(2)",
        "b'abc', 1.5", "'abc', bytearray(2)", "[1, 2, 3], bytearray(2)", "(1, 2, 3), bytearray(2)",
        "b'abc', bytes(2)", "b'abc', 'ab'", "b'abc', [0, 0]", "b'abc', memoryview(b'ab')",
        "array('h', [1, 2, 3]), bytearray(2)", "array('i', [1, 2, 3]), bytearray(2)",
        "b'abc', array('h', [0])", "b'abc', array('H', [0])",
        "b'abcd', bytearray(2)", "b'ab', bytearray(0)", "b'abc', bytearray(3)",
        "b'abc', bytearray(1)", "b'abcdef', bytearray(2)", "b'', bytearray(2)",
        "memoryview(b'abcdefg')[1:], bytearray(3)",
    ],
}

BAD_RUN = r"""
bad = 0
for c, src in enumerate(CASES):
    seen = {}
    for t in TIERS:
        try:
            K[t](*eval("(" + src + ",)" if src else "()"))
            seen[t] = None
        except Exception as e:
            seen[t] = type(e).__name__
        bad += 1
    arity = c < 2  # the first two cases call with the wrong number of arguments
    for t in TIERS:
        if seen[t] not in ("TypeError", "ValueError"):
            FAILS.append("{} {} ({}): raised {}".format(KERNEL, t, src, seen[t]))
        elif not arity and seen[t] != seen["py"]:
            FAILS.append("{} {} ({}): raised {}, py raised {}".format(
                KERNEL, t, src, seen[t], seen["py"]))
    if c % 8 == 0:
        gc.collect()
print("BAD", bad)
report()
"""


@pytest.fixture(scope="module")
def asan():
    """A runner for build/unix-asan/micropython, with the sanitizers' options set."""
    if not ASAN_BINARY.exists():
        pytest.fail(f"no {ASAN_BINARY}; run: ./inv build --target unix-asan")
    return UnixTarget(binary=ASAN_BINARY, env=SANITIZER_ENV)


def failed(e):
    pytest.fail("build/unix-asan/micropython failed (a sanitizer report ends the process with "
                "the report on stderr):\n" + e.traceback, pytrace=False)


def run_checked(asan, code, label):
    """Run code on the ASan build; return (count printed under label, FAIL lines)."""
    try:
        out = asan.run(code, timeout=120)
    except TargetError as e:
        failed(e)
    lines = out.splitlines()
    assert lines and lines[-1].startswith("DONE"), out[-2000:]
    count = [int(line.split()[1]) for line in lines if line.startswith(label + " ")]
    fails = [line for line in lines if line.startswith("FAIL ")]
    return count[0], fails


def script(kernel, body, **values):
    head = f"KERNEL = {kernel!r}\nSEED = {SEED + KERNELS.index(kernel)}\n"
    head += "".join(f"{k} = {v!r}\n" for k, v in values.items())
    return head + COMMON + body


@pytest.mark.parametrize("kernel", KERNELS)
def test_valid_calls_under_asan(asan, kernel):
    count, fails = run_checked(asan, script(kernel, VALID, N=VALID_CALLS), "VALID")
    assert not fails, "\n".join(fails)
    assert count >= VALID_CALLS * 4  # at least py, opt and c, usually native and viper too


@pytest.mark.parametrize("kernel", KERNELS)
def test_bad_calls_under_asan(asan, kernel):
    count, fails = run_checked(asan, script(kernel, BAD_RUN, CASES=BAD[kernel]), "BAD")
    assert not fails, "\n".join(fails)
    assert count >= len(BAD[kernel]) * 3


def kernel_tests():
    found = []
    for name in KERNEL_TESTS:
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            found.append(pytest.param(e, id=name))
            continue
        for fname, f in vars(module).items():
            takes_target = callable(f) and list(inspect.signature(f).parameters) == ["target"]
            if fname.startswith("test_") and takes_target:
                found.append(pytest.param(f, id=f"{name}.{fname}"))
    return found


@pytest.mark.parametrize("test", kernel_tests())
def test_kernel_test_under_asan(asan, test):
    if isinstance(test, ImportError):
        pytest.fail(f"cannot import the kernel test: {test}", pytrace=False)
    try:
        test(asan)
    except TargetError as e:
        failed(e)


def test_argument_fuzz_under_asan(asan):
    try:
        calls, valid, fails = argfuzz.run(asan, ARGFUZZ_SEED, ARGFUZZ_ROUNDS, timeout=300)
    except TargetError as e:
        failed(e)
    print(f"argument fuzz on unix-asan: {calls} calls, {valid} returned")
    assert not fails, "\n".join(fails)
    assert calls >= 4 * ARGFUZZ_ROUNDS
    assert valid >= calls // 4


def test_sanitizer_report_fails_the_run(asan):
    # The whole chain, checked: a C kernel reading one byte past a buffer at the end of the
    # heap (as every valid-call batch places some) is an ASan report, and that reaches the
    # test as TargetError. popcount's 4 bytes here are 3 bytes of buffer and 1 of redzone.
    code = script("popcount", "import _fastpath\n"
                  "print(_fastpath.popcount(uctypes.bytearray_at(END - 3, 4)))\nreport()\n")
    with pytest.raises(TargetError) as e:
        asan.run(code)
    assert "heap-buffer-overflow" in e.value.traceback, e.value.traceback
    assert "fastpath_popcount_raw" in e.value.traceback, e.value.traceback
