"""fir_q15: every tier equals a NumPy FIR with exact 64-bit sums, Q15 rounding and
saturation, on edge cases and 200 seeded random filters; compiled tiers allocate nothing;
bad arguments raise the same error in every tier."""

import numpy as np

from kernelcheck import assert_every_tier, bad_calls, heap_locked, host_cases, run_tiers

CASES = """
def q15(r, n):
    # Random Q15 samples; one in four is an extreme, where saturation and overflow live.
    out = array("h")
    for _ in range(n):
        v = next(r)
        out.append((-32768, 32767, -1, 0)[v & 3] if v & 0x30 == 0 else ((v >> 8) & 0xFFFF) - 32768)
    return out


EDGES = [
    (array("h", [1000]), array("h", [16384]), 0),                  # one tap, one output
    (array("h", [32767] * 40), array("h", [32767] * 40), 0),       # saturates high
    (array("h", [-32768] * 64), array("h", [-32768] * 64), 0),     # 2**36 sum: 32-bit overflow
    (array("h", [-32768] * 64), array("h", [32767] * 64), 2),      # saturates low, y longer
    (array("h", [3, -5, 7, -9, 11]), array("h", [16384, -16384]), 1),
    (array("h", [1, 1, 1]), array("h", [1]), 0),                   # rounding: (1 + 0x4000) >> 15
    (array("h", [16384] * 3), array("h", [1]), 0),                 # 0.5 LSB rounds up
    (array("h", [-16384] * 3), array("h", [1]), 0),                # -0.5 LSB rounds up to 0
]


def cases():
    yield from EDGES
    r = rng(0xF1F1)
    for i in range(200):
        nx = 1 + next(r) % 80
        nh = 1 + next(r) % nx if i % 10 else nx
        yield (q15(r, nx), q15(r, nh), next(r) % 3)
"""

CALL = """
def call(f, case):
    x, h, extra = case
    y = array("h", [0x1234] * (len(x) - len(h) + 1 + extra))
    n = f(x, h, y)
    return (n, list(y))
"""


def reference(case):
    x, h, extra = case
    x = np.array(x, dtype=np.int64)
    h = np.array(h, dtype=np.int64)
    acc = np.convolve(x, h[::-1], mode="valid")  # sum_k h[k] * x[i + k], exact in int64
    y = np.clip((acc + 0x4000) >> 15, -32768, 32767)
    return (len(y), [int(v) for v in y] + [0x1234] * extra)


def test_reference_hand_checked():
    # The NumPy reference against values worked out by hand.
    assert reference(([1000], [16384], 0)) == (1, [500])
    assert reference(([1, 1, 1], [1], 0)) == (3, [0, 0, 0])
    assert reference(([16384], [1], 0)) == (1, [1])
    assert reference(([-16384], [1], 0)) == (1, [0])
    assert reference(([32767] * 2, [32767] * 2, 0)) == (1, [32767])
    assert reference(([3, -5, 7], [16384, -16384], 1)) == (2, [4, -6, 0x1234])


def test_every_tier_equals_numpy(target):
    expected = [reference(c) for c in host_cases(CASES)]
    results = run_tiers(target, "fir_q15", CASES, CALL)
    assert_every_tier(results, expected)


def test_memoryview_of_q15_arrays(target):
    out = target.run(
        "import fastpath\nfrom array import array\n"
        "x = array('h', range(0, 3000, 100)); h = array('h', [8192, 8192, 8192])\n"
        "for t in fastpath.TIERS:\n"
        "    f = fastpath.KERNELS['fir_q15'].get(t)\n"
        "    if f:\n"
        "        y = array('h', [0] * 10)\n"
        "        print(t, f(memoryview(x)[3:15], memoryview(h), memoryview(y)[:10]), list(y))\n"
    )
    xs = list(range(300, 1500, 100))
    want = [(sum(8192 * v for v in xs[i:i + 3]) + 0x4000) >> 15 for i in range(10)]
    for line in out.splitlines():
        tier, rest = line.split(" ", 1)
        assert rest == "10 " + str(want), tier


def test_compiled_tiers_allocate_nothing(target):
    got = heap_locked(
        target, "fir_q15",
        "x = array('h', range(-128, 128)); h = array('h', [1000] * 32); "
        "y = array('h', [0] * 225)",
        "x, h, y", ("native", "viper", "asm", "c"))
    assert got and set(got.values()) == {"ok"}, got


H = "array('h', [1, 2])"
BAD = [
    ("None, {h}, array('h', [0])".format(h=H), "TypeError: x must be array('h')"),
    ("[1, 2, 3], {h}, array('h', [0])".format(h=H), "TypeError: x must be array('h')"),
    ("array('H', [1, 2]), {h}, array('h', [0])".format(h=H), "TypeError: x must be array('h')"),
    ("bytearray(4), {h}, array('h', [0])".format(h=H), "TypeError: x must be array('h')"),
    ("array('h', [1, 2]), (1, 2), array('h', [0])", "TypeError: h must be array('h')"),
    ("array('h', [1, 2]), array('i', [1]), array('h', [0])", "TypeError: h must be array('h')"),
    ("array('h', [1, 2]), {h}, bytearray(2)".format(h=H), "TypeError: y must be array('h')"),
    ("array('h', [1, 2]), {h}, 'ab'".format(h=H), "TypeError: y must be array('h')"),
    ("array('h', [1, 2]), array('h'), array('h', [0])", "ValueError: h must not be empty"),
    ("array('h', [1]), {h}, array('h', [0])".format(h=H),
     "ValueError: x must be at least as long as h"),
    ("array('h', [1, 2, 3]), {h}, array('h', [0])".format(h=H), "ValueError: y is too short"),
]


def test_bad_arguments_same_error_every_tier(target):
    results = bad_calls(target, "fir_q15", [args for args, _ in BAD])
    for tier, got in results.items():
        assert got == [err for _, err in BAD], tier
