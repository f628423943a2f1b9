"""fir_q15(x, h, y) -> int: Q15 FIR filter, valid part, taps in correlation order.

y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15) for i < n = len(x) - len(h) + 1, the sum
exact; returns n. See docs/kernels.md. native and viper allocate nothing on the success path.
"""

import sys

try:
    import micropython
    from micropython import const
except ImportError:  # CPython: only py and opt run
    from .._cpython import const, micropython, ptr16, uint

from .. import _args, board

# The kernel's declaration, read by the tests, the fuzzer and the bench (docs/adding-a-kernel.md).
ARGS = (("x", "q15"), ("h", "q15"), ("y", "q15_out"))
UNIT = "tap"
WORKLOAD = "256 samples x 32 taps"
# The Cortex-M4's floor, emulator instructions per unit (docs/native-and-floors.md).
FLOOR = (0.75, "SMLALD: 2 MACs an instruction = 0.5 a tap; plus loads, each LDRD of 2 words "
         "feeding 4 outputs kept in registers: 0.25")
GOALS = (("c", 1.2), ("asm", 4.0), ("viper", 25.0))  # emulator instructions per tap, at most
NO_ALLOC = ("native", "viper", "asm", "c")
# Sizes where a rung changes path (the tests' boundary cases): with nx = n + 1 samples and
# now and then as many taps, C pairs outputs and takes taps by 4 (nh & 3 picks the loop),
# viper by 8.
EDGE_SIZES = (3, 4, 7, 8, 16)

_ROUND = const(0x4000)  # half of 2**15: rounds the >> 15 to nearest
_MAX = const(32767)
_MIN = const(-32768)

_WIDE = sys.maxsize > 0xFFFFFFFF  # 64-bit build: 63-bit small ints
_SMALL = const(0x3FFFFFFF - _ROUND)  # the largest |sum| that stays a small int with the round


def workload():
    # The bench's call: (arguments, units of work). Samples centred on zero, taps 0..32767.
    from array import array

    from .._rng import Rng

    x = Rng(1).halves(256)
    for i in range(len(x)):
        x[i] -= 16384
    h = Rng(2).halves(32)
    n = len(x) - len(h) + 1
    return (x, h, array("h", bytes(2 * n))), n * len(h)


def sample(r, n):
    # Valid arguments from the generator r, for the tests and the fuzzer: x of nx = n + 1
    # samples, as many taps now and then, else 1..48; y has room for 0..2 outputs more than
    # the nx - nh + 1 written.
    from .._rng import filled

    nx = n + 1
    nh = nx if r.below(10) == 0 else 1 + r.below(min(nx, 48))
    return r.q15(nx), r.q15(nh), filled("h", nx - nh + 1 + r.below(3), 0x1234)


def _check_args(x, h, y):
    # Checks the arguments; returns n = len(x) - len(h) + 1, the number of outputs.
    nx = _args.q15(x, "x")
    nh = _args.q15(h, "h")
    ny = _args.q15(y, "y", True)
    if nh == 0:
        raise ValueError("h must not be empty")
    if nx < nh:
        raise ValueError("x must be at least as long as h")
    n = nx - nh + 1
    if ny < n:
        raise ValueError("y is too short")
    return n


def py(x, h, y):
    # Reference rung: the formula, term by term.
    n = _check_args(x, h, y)
    for i in range(n):
        acc = 0
        for k in range(len(h)):
            acc += h[k] * x[i + k]
        v = (acc + 0x4000) >> 15
        if v > 32767:
            v = 32767
        elif v < -32768:
            v = -32768
        y[i] = v
    return n


def opt(x, h, y):
    # Iterate h instead of indexing it, the rounding term in the start value, constants folded
    # by const(). On a 32-bit board a large sum becomes a long int: exact, and it allocates,
    # which opt may (native may not: see _chunk).
    n = _check_args(x, h, y)
    for i in range(n):
        acc = _ROUND
        j = i
        for hk in h:
            acc += hk * x[j]
            j += 1
        acc >>= 15
        if acc > _MAX:
            acc = _MAX
        elif acc < _MIN:
            acc = _MIN
        y[i] = acc
    return n


# native on a 32-bit board, which must not allocate. Small ints have 31 bits there: a product
# or partial sum beyond 2**30 - 1 would become a long int, and allocate (64-bit builds have
# 63-bit small ints and never get there; opt may allocate, and simply lets the sum grow).
# _chunk returns 0 when sum(|h|) * max(|x|) <= _SMALL: the plain loop is safe. Else it returns
# k >= 1 with k * max(|h|) * max(|x|) < 2**30 (or 1 when both maxima are 32768: see
# _chunked_native); filters up to _SPLIT_TAPS long then go to _split_native, longer ones to
# _chunked_native, which adds up k taps at a time.
def _chunk(x, h):
    m = 0
    for v in x:
        if v > m:
            m = v
        elif -v > m:
            m = -v
    if m == 0:
        return 0
    limit = _SMALL // m
    g = 0  # sum(|h|), no longer summed once past limit: stays a small int
    mh = 0
    for v in h:
        if v < 0:
            v = -v
        if v > mh:
            mh = v
        if g <= limit:
            g += v
    if g <= limit:
        return 0
    k = 0x3FFFFFFF // m // mh
    return k if k else 1


# -h[t] * x[i + t] is a small int for all int16 values (h[t] * x[i + t] itself reaches 2**30
# for -32768 * -32768), and size of them add up to a small int (_chunk). Their total, -sum,
# is carried as c * 2**15 + r with 0 <= r < 2**15 (|c| <= len(h) * 2**15: a small int for
# len(h) < 32768, when h alone fills 64 KB); then (sum + 0x4000) >> 15 = ((0x4000 - r) >> 15) - c.
@micropython.native
def _chunked_native(x, h, y, n, size):
    nh = len(h)
    for i in range(n):
        c = 0
        r = 0
        k = 0
        while k < nh:
            e = k + size
            if e > nh:
                e = nh
            acc = 0
            for t in range(k, e):
                acc += -h[t] * x[i + t]
            k = e
            r += acc & 0x7FFF
            c += (acc >> 15) + (r >> 15)
            r &= 0x7FFF
        v = ((_ROUND - r) >> 15) - c
        if v > _MAX:
            v = _MAX
        elif v < _MIN:
            v = _MIN
        y[i] = v


# The usual filter on a 32-bit board when the plain sum could leave the small ints: fewer
# than 128 taps, h split into bytes, h = 256 * hh + hl. A = sum hh * x (|hh * x| <= 2**22) and
# B = sum hl * x (|hl * x| < 2**23) stay small ints, and
#   (256 * A + B + 0x4000) >> 15 = (A >> 7) + ((((A & 127) << 8) + B + 0x4000) >> 15)
# never forms the wide sum: two small multiply-adds a tap instead of long-int arithmetic.
# hh = v >> 8 and hl = v & 0xFF are taken from each tap v as the loop walks h (for ... in uses a
# stack iterator): no split copy of h to keep, so the module holds no buffer in RAM.
_SPLIT_TAPS = const(127)  # |B| < 127 * 255 * 32768 < 2**30


@micropython.native
def _split_native(x, h, y, n):
    for i in range(n):
        a = 0
        b = _ROUND
        j = i
        for v in h:
            w = x[j]
            a += (v >> 8) * w
            b += (v & 0xFF) * w
            j += 1
        v = (a >> 7) + ((((a & 127) << 8) + b) >> 15)
        if v > _MAX:
            v = _MAX
        elif v < _MIN:
            v = _MIN
        y[i] = v


@micropython.native
def native(x, h, y):
    # opt's loop under the native emitter when the sum cannot leave the small ints (always on
    # a 64-bit build); else one of the two allocation-free forms above.
    n = _check_args(x, h, y)
    size = 0 if _WIDE else _chunk(x, h)
    if size and len(h) <= _SPLIT_TAPS:
        _split_native(x, h, y, n)
        return n
    if size:
        _chunked_native(x, h, y, n, size)
        return n
    for i in range(n):
        acc = _ROUND
        j = i
        for hk in h:
            acc += hk * x[j]
            j += 1
        acc >>= 15
        if acc > _MAX:
            acc = _MAX
        elif acc < _MIN:
            acc = _MIN
        y[i] = acc
    return n


# lo, hi: the running sums, the first two arguments and so the first two locals, the only ones
# the Thumb emitter keeps in registers (r4, r5): the accumulations, done every tap, then cost no
# loads and stores (mpy-cross -march=armv7emsp, disassembled: 24 instructions a tap in the wide
# loop, 15 in the narrow one). The caller passes 0, 0. hq, xq: h and x as pointers (stack
# slots), walked from x[i] for output i, eight taps a pass so that every load has a constant
# offset, then the last nh & 7 taps (nh = len(h); uint() and ptr16() of a native value only
# re-type it, no code). ha, xa: where h and x start.
# Offset binary: ptr16 loads are unsigned, and v ^ 0x8000 = v + 32768 maps an int16 to 0..65535
# in one operation. With hb, xb the offset h, x and p = hb * xb (below 2**32):
#   S = sum h*x = sum p - 32768*X - 32768*H + nh * 2**30
# where H = sum hb (hs, once a call) and X = sum xb over the window (xs, slid along x).
# g = sum(|h|), counted only until it passes 65535, picks the sum (wide = 0 on 64-bit builds):
# - narrow: lo sums p. On a 32-bit board it wraps modulo 2**32, and so does the
#   rest of S + 0x4000; that is exact when |S + 0x4000| < 2**31, which holds when
#   g = sum(|h|) <= 65535 (|S + 0x4000| < 65535 * 32768 + 0x4000; the common case: a Q15
#   filter's gain is near 1). On 64-bit unix nothing wraps (lo < len(h) * 2**32): always exact.
# - wide (32-bit board, g > 65535): lo sums p modulo 2**32 and hi sums p >> 16. Then
#   lo - (hi << 16), modulo 2**32, is sum(p & 0xFFFF) < len(h) * 2**16 (exact for
#   len(h) < 65535), and
#   (S + 0x4000) >> 15 = 2*hi + nh*32768 - H - X + ((sum(p & 0xFFFF) + 0x4000) >> 15)
#   never forms the wide sum; every term is below 2**31 in magnitude for len(h) < 16384 (h alone
#   would then fill 32 KB of the board's RAM), so none of them wraps.
@micropython.viper
def _viper(lo: uint, hi: int, hq: ptr16, xq: ptr16, y, nh: int, n: int, wide: int):
    ha = uint(hq)
    xa = uint(xq)
    yp = ptr16(y)
    hs = 0
    xs = 0
    g = 0
    k = 0
    while k < nh:
        v = hq[k] ^ 0x8000
        hs += v
        v -= 0x8000
        if g <= 65535:
            g += v if v >= 0 else 0 - v
        xs += xq[k] ^ 0x8000
        k += 1
    if g <= 65535:
        wide = 0
    base = (nh << 15) - hs
    i = 0
    while i < n:
        hq = ptr16(ha)
        xq = ptr16(xa + 2 * i)
        lo = uint(0)
        k = nh >> 3
        if wide:
            hi = 0
            while k:
                lo = (p := uint((hq[0] ^ 0x8000) * (xq[0] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[1] ^ 0x8000) * (xq[1] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[2] ^ 0x8000) * (xq[2] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[3] ^ 0x8000) * (xq[3] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[4] ^ 0x8000) * (xq[4] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[5] ^ 0x8000) * (xq[5] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[6] ^ 0x8000) * (xq[6] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                lo = (p := uint((hq[7] ^ 0x8000) * (xq[7] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                hq = ptr16(uint(hq) + 16)
                xq = ptr16(uint(xq) + 16)
                k -= 1
            k = nh & 7
            while k:
                lo = (p := uint((hq[0] ^ 0x8000) * (xq[0] ^ 0x8000))) + lo
                hi = int(p >> 16) + hi
                hq = ptr16(uint(hq) + 2)
                xq = ptr16(uint(xq) + 2)
                k -= 1
            hi = 2 * hi + base - xs + int((lo - uint(hi << 16) + 0x4000) >> 15)
        else:
            while k:
                lo = uint((hq[0] ^ 0x8000) * (xq[0] ^ 0x8000)) + lo
                lo = uint((hq[1] ^ 0x8000) * (xq[1] ^ 0x8000)) + lo
                lo = uint((hq[2] ^ 0x8000) * (xq[2] ^ 0x8000)) + lo
                lo = uint((hq[3] ^ 0x8000) * (xq[3] ^ 0x8000)) + lo
                lo = uint((hq[4] ^ 0x8000) * (xq[4] ^ 0x8000)) + lo
                lo = uint((hq[5] ^ 0x8000) * (xq[5] ^ 0x8000)) + lo
                lo = uint((hq[6] ^ 0x8000) * (xq[6] ^ 0x8000)) + lo
                lo = uint((hq[7] ^ 0x8000) * (xq[7] ^ 0x8000)) + lo
                hq = ptr16(uint(hq) + 16)
                xq = ptr16(uint(xq) + 16)
                k -= 1
            k = nh & 7
            while k:
                lo = uint((hq[0] ^ 0x8000) * (xq[0] ^ 0x8000)) + lo
                hq = ptr16(uint(hq) + 2)
                xq = ptr16(uint(xq) + 2)
                k -= 1
            hi = (int(lo) + ((base - xs) << 15) + _ROUND) >> 15
        if hi > _MAX:
            hi = _MAX
        elif hi < _MIN:
            hi = _MIN
        yp[i] = hi
        i += 1
        if i < n:  # slide the window sum one sample along x: xq is at x[i - 1 + nh]
            xs += (xq[0] ^ 0x8000) - (ptr16(xa + 2 * i - 2)[0] ^ 0x8000)


def viper(x, h, y):
    # Checked before the pointer walk: viper has no bounds checks. wide = 0 on 64-bit builds:
    # always the narrow sum there; elsewhere _viper picks it from g (see above).
    n = _check_args(x, h, y)
    _viper(0, 0, h, x, y, len(h), n, 0 if _WIDE else 1)
    return n


if board.THUMB:
    from array import array

    # The raw loop in Thumb-2 assembler, with the M4's SMLALD (fastpath_thumb.fir_q15).
    from fastpath_thumb.fir_q15 import fir_q15 as _asm

    # nh and n, passed to _asm by address: asm_thumb takes at most four arguments (r0-r3) and
    # the kernel needs five values. Preallocated once (32 bytes of heap), so a call allocates
    # nothing; the asm rung is therefore not re-entrant: an interrupt handler must not call it.
    _ARGS = array("i", (0, 0))

    def asm(x, h, y):
        # Checked before the pointer walk: assembler has no bounds checks.
        n = _check_args(x, h, y)
        a = _ARGS
        a[0] = len(h)
        a[1] = n
        _asm(y, h, x, a)
        return n
