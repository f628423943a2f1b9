"""The one seeded generator of test data, lengths and benchmark workloads.

A 31-bit linear congruential generator with glibc's constants: MicroPython and CPython give
the same stream for a seed, so a seed names the same data on every board and on the host
(the host computes its references from it). Numbers above 2**30 are long ints on a 32-bit
board: it allocates, and is not for timed code.
"""

from array import array


def filled(typecode, n, value):
    # An array of n items of typecode ("h", "B", ...) all equal to value, made at its size (a
    # heap holds one nearly its size): MicroPython fills it from a range without a second
    # buffer, keeping each item's low bits; CPython, which checks the range, from zero bytes.
    # Then doubling copies of the first item.
    try:
        a = array(typecode, range(n))
    except OverflowError:
        a = array(typecode, bytes(n * len(bytes(array(typecode, [0])))))
    m = memoryview(a)
    if n:
        m[0] = value
    k = 1
    while k < n:
        c = min(k, n - k)
        m[k:k + c] = m[0:c]
        k += c
    return a


class Rng:
    # Seed 0 is a stream like any other, but its first step multiplies 0 by a long int (the
    # multiplier is one in frozen code, compiled for 31-bit small ints): on MicroPython v1.25
    # a long int result of 0 is undefined behaviour in py/mpz.c (fixed in v1.26), which the
    # sanitizer build stops at. Callers pick other seeds.
    def __init__(self, seed):
        self.x = seed & 0x7FFFFFFF

    def next(self):
        # The next 31-bit number of the stream.
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return self.x

    def below(self, n):
        # 0 <= v < n (0 when n <= 0).
        return self.next() % n if n > 0 else 0

    def u32(self):
        # Any 32-bit value, both ends included.
        return (self.next() << 1 | self.next() & 1) & 0xFFFFFFFF

    def bytes(self, n):
        # n pseudo-random bytes (bits 16..23 of each number: the LCG's low bits are weak), in
        # a bytearray made at its size: no growing, so a heap holds one nearly its size.
        b = bytearray(n)
        for i in range(n):
            b[i] = (self.next() >> 16) & 0xFF
        return b

    def halves(self, n):
        # n values 0..32767 in an array('h').
        a = filled("h", n, 0)
        for i in range(n):
            a[i] = self.next() >> 16
        return a

    def q15(self, n):
        # n Q15 samples in an array('h'); one in four is an extreme (-32768, 32767, -1 or 0),
        # where saturation and overflow live.
        a = filled("h", n, 0)
        for i in range(n):
            v = self.next()
            a[i] = (-32768, 32767, -1, 0)[v & 3] if v & 0x30 == 0 else ((v >> 8) & 0xFFFF) - 32768
        return a

    def length(self, limit, huge=0):
        # A length in 0..limit, favouring those that break kernels: 0..4, and 2**k - 1, 2**k,
        # 2**k + 1 up to 256. With huge, now and then that length instead (a big buffer).
        pick = self.below(16)
        if pick < 4:
            return min(limit, self.below(5))
        if pick < 8:
            return min(limit, max(0, (1 << self.below(9)) + self.below(3) - 1))
        if pick == 15 and huge and self.below(16) == 0:
            return huge
        return self.below(limit + 1)
