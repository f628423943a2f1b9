"""fir_q15(x, h, y) -> int: Q15 FIR filter, valid part, taps in correlation order.

y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15) for i < n = len(x) - len(h) + 1, the sum
exact; returns n. See docs/kernels.md. native and viper allocate nothing on the success path.
"""

import sys

try:
    import micropython
    from micropython import const
except ImportError:  # CPython: only py and opt run
    from ._check import const, micropython, ptr16

from . import _check

_ROUND = const(0x4000)  # half of 2**15: rounds the >> 15 to nearest
_MAX = const(32767)
_MIN = const(-32768)

_WIDE = sys.maxsize > 0xFFFFFFFF  # 64-bit build: 63-bit small ints
_SMALL = const(0x3FFFFFFF - _ROUND)  # the largest |sum| that stays a small int with the round


def py(x, h, y):
    # Reference tier: the formula, term by term.
    n = _check.fir_q15(x, h, y)
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


# opt and native on a 32-bit board. Small ints have 31 bits there: a product or partial sum
# beyond 2**30 - 1 would become a long int, and allocate (64-bit builds have 63-bit small ints
# and never get there). _chunk picks how many taps one partial sum may take:
# - all of them when sum(|h|) * max(|x|) <= _SMALL: opt's plain loop (the usual case);
# - else k with k * max(|h|) * max(|x|) <= _SMALL: _chunked adds up k taps at a time;
# - else 0 (a single product may reach 2**30: h and x both near full scale): _exact.
def _chunk(x, h):
    m = 0
    for v in x:
        if v > m:
            m = v
        elif -v > m:
            m = -v
    if m == 0:
        return len(h)
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
        return len(h)
    return limit // mh


def _chunked(x, h, y, n, size):
    # Partial sums of at most size taps; their total is carried as c * 2**15 + r with
    # 0 <= r < 2**15 (r starts at the rounding term), so (sum + 0x4000) >> 15 is c.
    nh = len(h)
    for i in range(n):
        c = 0
        r = _ROUND
        k = 0
        while k < nh:
            e = k + size
            if e > nh:
                e = nh
            acc = 0
            for t in range(k, e):
                acc += h[t] * x[i + t]
            k = e
            r += acc & 0x7FFF
            c += (acc >> 15) + (r >> 15)
            r &= 0x7FFF
        if c > _MAX:
            c = _MAX
        elif c < _MIN:
            c = _MIN
        y[i] = c


def _exact(x, h, y, n):
    # p = -h[k] * x[j] lies in -2**30..2**30 - 1 for all int16 values (h[k] * x[j] itself
    # reaches 2**30). The sum of the p, -S, is split at bit 15: hi sums p >> 15 (|.| <= 2**15
    # each), lo sums p & 0x7FFF (< 2**15 each), lo carried into hi every 16383 taps: lo stays
    # below 2**29, hi below len(h) * 2**15. Then (S + 0x4000) >> 15 = ((0x4000 - lo) >> 15) - hi.
    nh = len(h)
    for i in range(n):
        hi = 0
        lo = 0
        k = 0
        while k < nh:
            e = k + 16383
            if e > nh:
                e = nh
            for t in range(k, e):
                p = -h[t] * x[i + t]
                hi += p >> 15
                lo += p & 0x7FFF
            k = e
            hi += lo >> 15
            lo &= 0x7FFF
        v = ((_ROUND - lo) >> 15) - hi
        if v > _MAX:
            v = _MAX
        elif v < _MIN:
            v = _MIN
        y[i] = v


def opt(x, h, y):
    # Iterate h instead of indexing it, the rounding term in the start value, constants folded
    # by const(); on a 32-bit board, partial sums kept to small ints (see _chunk).
    n = _check.fir_q15(x, h, y)
    size = len(h) if _WIDE else _chunk(x, h)
    if size < len(h):
        if size:
            _chunked(x, h, y, n, size)
        else:
            _exact(x, h, y, n)
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


@micropython.native
def native(x, h, y):
    # opt under the native emitter (the rarer chunked paths stay bytecode).
    n = _check.fir_q15(x, h, y)
    size = len(h) if _WIDE else _chunk(x, h)
    if size < len(h):
        if size:
            _chunked(x, h, y, n, size)
        else:
            _exact(x, h, y, n)
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


# hq, xq (the first two locals: the ones the Thumb emitter keeps in registers) walk h and x
# from x[i] for output i, four taps a pass so that every load has a constant offset; then the
# last len(h) & 3 taps.
# Offset binary: ptr16 loads are unsigned, and v ^ 0x8000 = v + 32768 maps an int16 to 0..65535
# in one operation. With hb, xb for h, x:
#   S = sum h*x = sum hb*xb - 32768*X - 32768*H + nh * 2**30
# where H = sum hb (once a call) and X = sum xb over the window (slid along x).
# Overflow: the terms are unsigned products below 2**32, the sum is not bounded by 32 bits.
# - g = sum(|h|), stopping past 65535. If g <= 65535, |S + 0x4000| < 65535 * 32768 + 0x4000
#   < 2**31: S + 0x4000 computed modulo 2**32 (32-bit wrap-around on the board) is exact.
#   The common case: a Q15 filter's gain is near 1.
# - Otherwise each product p is split at bit 15: hi sums p >> 15 (with -X - H + nh * 32768
#   folded in), lo sums p & 0x7FFF (starting at the rounding term 0x4000), lo carried into hi
#   every 32764 taps so lo cannot overflow. (S + 0x4000) >> 15 = hi + (lo >> 15), and that
#   result is at most len(h) * 32768 + 1 in magnitude: below 2**31, so hi may wrap modulo
#   2**32 on the way and still end exact, for len(h) < 65535 (h alone would then fill 128 KB
#   of the board's RAM). On 64-bit unix nothing wraps. (hi = term + hi rather than hi += term:
#   the viper emitter then spills less; 38 rather than 42 Thumb instructions a tap.)
@micropython.viper
def _viper(hq: ptr16, xq: ptr16, y, nh: int, n: int):
    ha = uint(hq)
    xa = uint(xq)
    yp = ptr16(y)
    hs = 0
    xs = 0
    g = 0
    for k in range(nh):
        v = hq[k] ^ 0x8000
        hs += v
        v -= 0x8000
        if g <= 65535:
            g += v if v >= 0 else 0 - v
        xs += xq[k] ^ 0x8000
    for i in range(n):
        hq = ptr16(ha)
        xq = ptr16(xa + 2 * i)
        if g <= 65535:
            acc = _ROUND + (nh << 30) - (hs << 15) - (xs << 15)
            k = nh >> 2
            while k:
                acc += (
                    (hq[0] ^ 0x8000) * (xq[0] ^ 0x8000)
                    + (hq[1] ^ 0x8000) * (xq[1] ^ 0x8000)
                    + (hq[2] ^ 0x8000) * (xq[2] ^ 0x8000)
                    + (hq[3] ^ 0x8000) * (xq[3] ^ 0x8000)
                )
                hq = ptr16(uint(hq) + 8)
                xq = ptr16(uint(xq) + 8)
                k -= 1
            k = nh & 3
            while k:
                acc += (hq[0] ^ 0x8000) * (xq[0] ^ 0x8000)
                hq = ptr16(uint(hq) + 2)
                xq = ptr16(uint(xq) + 2)
                k -= 1
            acc >>= 15
        else:
            hi = (nh << 15) - hs - xs
            lo = _ROUND
            left = nh
            while left:
                k = left if left < 32764 else 32764
                left -= k
                while k >= 4:
                    p = uint((hq[0] ^ 0x8000) * (xq[0] ^ 0x8000))
                    hi = int(p >> 15) + hi
                    lo = int(p & 0x7FFF) + lo
                    p = uint((hq[1] ^ 0x8000) * (xq[1] ^ 0x8000))
                    hi = int(p >> 15) + hi
                    lo = int(p & 0x7FFF) + lo
                    p = uint((hq[2] ^ 0x8000) * (xq[2] ^ 0x8000))
                    hi = int(p >> 15) + hi
                    lo = int(p & 0x7FFF) + lo
                    p = uint((hq[3] ^ 0x8000) * (xq[3] ^ 0x8000))
                    hi = int(p >> 15) + hi
                    lo = int(p & 0x7FFF) + lo
                    hq = ptr16(uint(hq) + 8)
                    xq = ptr16(uint(xq) + 8)
                    k -= 4
                while k:
                    p = uint((hq[0] ^ 0x8000) * (xq[0] ^ 0x8000))
                    hi = int(p >> 15) + hi
                    lo = int(p & 0x7FFF) + lo
                    hq = ptr16(uint(hq) + 2)
                    xq = ptr16(uint(xq) + 2)
                    k -= 1
                hi += lo >> 15
                lo &= 0x7FFF
            acc = hi + (lo >> 15)
        if acc > _MAX:
            acc = _MAX
        elif acc < _MIN:
            acc = _MIN
        yp[i] = acc
        if i + 1 < n:  # slide the window sum one sample along x
            xq = ptr16(xa + 2 * i)
            xs += (xq[nh] ^ 0x8000) - (xq[0] ^ 0x8000)


def viper(x, h, y):
    # Checked before the pointer walk: viper has no bounds checks.
    n = _check.fir_q15(x, h, y)
    _viper(h, x, y, len(h), n)
    return n
