"""fir_q15's reference and its own tests; tests/test_kernels.py gives it the rest (every rung
against `reference` on every target, the contract's errors, no allocation, the fuzz)."""

import numpy as np

def reference(x, h, y):
    # NumPy with exact 64-bit sums, Q15 rounding and saturation, written into y.
    xs = np.frombuffer(bytes(x), dtype="<i2").astype(np.int64)
    hs = np.frombuffer(bytes(h), dtype="<i2").astype(np.int64)
    acc = np.convolve(xs, hs[::-1], mode="valid")  # sum_k h[k] * x[i + k], exact in int64
    out = np.clip((acc + 0x4000) >> 15, -32768, 32767)
    for i, v in enumerate(out):
        y[i] = int(v)
    return len(out)


# Wrong values of the right kind (the kinds' errors come from ARGS), as (typecode, items).
BAD = [
    ((("h", [1, 2]), ("h", []), ("h", [0, 0])), "ValueError: h must not be empty"),
    ((("h", []), ("h", []), ("h", [0])), "ValueError: h must not be empty"),
    ((("h", [1]), ("h", [1, 2]), ("h", [0, 0])), "ValueError: x must be at least as long as h"),
    ((("h", range(9)), ("h", [1, 2, 3]), ("h", [0] * 6)), "ValueError: y is too short"),
    ((("h", range(9)), ("h", [1, 2, 3]), ("h", [])), "ValueError: y is too short"),
]


def _arrays(args):
    from array import array

    return tuple(array(code, values) for code, values in args)


BAD = [(_arrays(args), message) for args, message in BAD]


def test_reference_hand_checked():
    # The NumPy reference against values worked out by hand.
    from array import array

    def run(x, h, extra=0):
        y = array("h", [0x1234] * (len(x) - len(h) + 1 + extra))
        return reference(array("h", x), array("h", h), y), list(y)

    assert run([1000], [16384]) == (1, [500])
    assert run([1, 1, 1], [1]) == (3, [0, 0, 0])  # rounding: (1 + 0x4000) >> 15
    assert run([16384], [1]) == (1, [1])  # 0.5 LSB rounds up
    assert run([-16384], [1]) == (1, [0])  # -0.5 LSB rounds up to 0
    assert run([32767] * 2, [32767] * 2) == (1, [32767])  # saturates high
    assert run([-32768] * 2, [32767] * 2) == (1, [-32768])  # saturates low
    assert run([-32768] * 64, [-32768] * 64) == (1, [32767])  # a 2**36 sum: past 32 bits
    assert run([3, -5, 7], [16384, -16384], 1) == (2, [4, -6, 0x1234])  # y longer: untouched


def test_in_place_is_the_c_rungs_promise(target):
    # kernels.h: y may be x for the C rung (each output reads only x[i:], not yet written).
    out = target.run(
        "import fastpath\nfrom array import array\n"
        "f = fastpath.KERNELS['fir_q15'].get('c')\n"
        "x = array('h', [(i * 7919) % 65536 - 32768 for i in range(40)])\n"
        "h = array('h', [3000, -2000, 1000, 500, -250])\n"
        "y = array('h', [0] * 36)\n"
        "f(x, h, y)\n"
        "f(x, h, x)\n"
        "print(list(x[:36]) == list(y))\n")
    assert out.strip() == "True"
