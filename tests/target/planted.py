# A throwaway kernel with bugs planted in copies of its rung, for tests/test_boundary.py: the
# suite's generated boundary cases (ladder.py boundary()) must catch each bug, and pass the
# good copy.
#
# Adler-32 as zlib computes it (adler32_z): a = 1 + the bytes, b = the sum of the a's, both
# modulo BASE = 65521, (b << 16) | a. The byte loop is viper, in 32-bit registers on the
# emulator: zlib's NMAX = 5552 is the most bytes whose sums fit 32 bits before a reduction.
# make() builds the rung; its arguments plant one bug each:
# - nmax=65536: reduce every 64 KiB, not every 5552 bytes: the sums overflow 32 bits;
# - strict=False: `a > BASE` for `a >= BASE` where one byte is added: a reaches BASE exactly
#   and stays there;
# - step=-1: the block loop moves on by one byte too few: wrong only past a block.

from array import array

try:
    import micropython
except ImportError:  # CPython: the host makes the same cases from the declaration only
    from fastpath._cpython import micropython, ptr8, ptr32, uint

BASE = 65521
NMAX = 5552


@micropython.viper
def _sums(p: ptr8, i: int, n: int, s: ptr32):
    # s[0] += each byte of p[i:i + n], s[1] += each new s[0], in 32-bit words.
    a = uint(s[0])
    b = uint(s[1])
    end = i + n
    while i < end:
        a += uint(p[i])
        b += a
        i += 1
    s[0] = a
    s[1] = b


def make(nmax=NMAX, strict=True, step=0):
    def adler32(data, value=1):
        n = len(data)
        s = array("I", [value & 0xFFFF, (value >> 16) & 0xFFFF])
        if n == 1:  # zlib's one-byte path: reduce a, then add it to b
            a = s[0] + (data[0] & 0xFF)
            if a >= BASE if strict else a > BASE:
                a -= BASE
            b = s[1] + a
            if b >= BASE:
                b -= BASE
            return (b << 16) | a
        if n < 16:  # zlib's short path: sums, then one subtraction for a
            _sums(data, 0, n, s)
            a = s[0]
            if a >= BASE if strict else a > BASE:
                a -= BASE
            return (s[1] % BASE << 16) | a
        i = 0
        while n - i >= nmax:
            _sums(data, i, nmax, s)
            s[0] %= BASE
            s[1] %= BASE
            i += nmax + step
        if i < n:
            _sums(data, i, n - i, s)
            s[0] %= BASE
            s[1] %= BASE
        return (s[1] << 16) | s[0]

    return adler32


class Adler32:
    # The kernel's declaration, as a kernel module gives it (docs/adding-a-kernel.md).
    ARGS = (("data", "bytes"), ("value", "u32", 1))
    EDGE_SIZES = (16, NMAX)  # where the loop changes path
    # a = BASE - 0xFF: one more 0xFF byte brings a to BASE exactly, where it is reduced.
    EDGE_VALUES = {"value": (BASE - 0xFF, 0xFFF0FFF0)}

    @staticmethod
    def sample(r, n):
        return r.bytes(n), r.u32() if r.below(3) else 1


RUNGS = {"good": make(), "overflow": make(nmax=65536), "off_by_one": make(strict=False),
         "past_block": make(step=-1)}


def run_planted(sizes):
    # Each copy of the rung on the boundary cases: "RUNG name", then one outcome a case.
    for name in ("good", "overflow", "off_by_one", "past_block"):
        print("RUNG", name)
        for args, outputs, guards in boundary(Adler32, sizes):
            print(repr(outcome(RUNGS[name], args, outputs, guards)))
            del args[:]
