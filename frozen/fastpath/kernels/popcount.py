"""popcount(data) -> int: the number of set bits in the raw bytes of a buffer.

See docs/kernels.md. native and viper allocate nothing on the success path (see opt for the
one exception in native).
"""

try:
    import micropython
except ImportError:  # CPython: only py and opt run
    from .._cpython import micropython, ptr8, ptr32, uint

from .. import _args, board

# The kernel's declaration, read by the tests, the fuzzer and the bench (docs/adding-a-kernel.md).
ARGS = (("data", "buffer"),)
UNIT = "byte"
WORKLOAD = "4 KiB of pseudo-random bytes"
# The Cortex-M4's floor, emulator instructions per unit (docs/native-and-floors.md).
FLOOR = (1.4, "no popcount instruction: Harley-Seal carry-save adders (5 logic ops each, ~4.7 "
         "a word), a SWAR count per 16 words, LDM loads: ~5.5 a word")
GOALS = (("c", 1.75),)  # emulator instructions per byte, at most
NO_ALLOC = ("native", "viper", "asm", "c")
# Sizes where a rung changes path (the tests' boundary cases): C takes 32-byte blocks of
# carry-save adders, viper and asm words, after an aligning head.
EDGE_SIZES = (3, 4, 32, 64)


def workload():
    # The bench's call: (arguments, units of work).
    from .._rng import Rng

    return (Rng(4).bytes(4096),), 4096


def sample(r, n):
    # Valid arguments of size n from the generator r, for the tests and the fuzzer.
    return (r.bytes(n),)


def py(data):
    # Reference rung: test each bit of each raw byte.
    _args.buffer(data, "data")
    n = 0
    for b in bytes(data):  # bytes() copies the raw bytes of any buffer, whatever its typecode
        for i in range(8):
            if b & (1 << i):
                n += 1
    return n


# _POP[b]: the set bits in byte b, bin(b).count("1"). A bytes literal: a frozen module keeps
# it in flash, where every rung reads it in place (no heap at import).
_POP = (
    b"\x00\x01\x01\x02\x01\x02\x02\x03\x01\x02\x02\x03\x02\x03\x03\x04\x01\x02\x02\x03\x02\x03\x03"
    b"\x04\x02\x03\x03\x04\x03\x04\x04\x05\x01\x02\x02\x03\x02\x03\x03\x04\x02\x03\x03\x04\x03\x04"
    b"\x04\x05\x02\x03\x03\x04\x03\x04\x04\x05\x03\x04\x04\x05\x04\x05\x05\x06\x01\x02\x02\x03\x02"
    b"\x03\x03\x04\x02\x03\x03\x04\x03\x04\x04\x05\x02\x03\x03\x04\x03\x04\x04\x05\x03\x04\x04\x05"
    b"\x04\x05\x05\x06\x02\x03\x03\x04\x03\x04\x04\x05\x03\x04\x04\x05\x04\x05\x05\x06\x03\x04\x04"
    b"\x05\x04\x05\x05\x06\x04\x05\x05\x06\x05\x06\x06\x07\x01\x02\x02\x03\x02\x03\x03\x04\x02\x03"
    b"\x03\x04\x03\x04\x04\x05\x02\x03\x03\x04\x03\x04\x04\x05\x03\x04\x04\x05\x04\x05\x05\x06\x02"
    b"\x03\x03\x04\x03\x04\x04\x05\x03\x04\x04\x05\x04\x05\x05\x06\x03\x04\x04\x05\x04\x05\x05\x06"
    b"\x04\x05\x05\x06\x05\x06\x06\x07\x02\x03\x03\x04\x03\x04\x04\x05\x03\x04\x04\x05\x04\x05\x05"
    b"\x06\x03\x04\x04\x05\x04\x05\x05\x06\x04\x05\x05\x06\x05\x06\x06\x07\x03\x04\x04\x05\x04\x05"
    b"\x05\x06\x04\x05\x05\x06\x05\x06\x06\x07\x04\x05\x05\x06\x05\x06\x06\x07\x05\x06\x06\x07\x06"
    b"\x07\x07\x08"
)


# opt and native walk the buffer in place, one table lookup a byte:
# - byte items (bytes, bytearray, "B", "b"): directly; a negative "b" item indexes _POP from
#   the end, and _POP[-1] is _POP[255];
# - wider integer items, a byte of the item at a time; a negative item v of k bytes has
#   8 * k - popcount(~v) bits set, and ~v >= 0. No allocation while the items are small ints
#   (always on 64-bit builds; on 32-bit boards, items within +-2**30);
# - float items: a copy of their raw bytes (the one case that allocates).
def opt(data):
    nb = _args.buffer(data, "data")
    t = _POP
    n = 0
    if _args.byte_items(data):
        for b in data:
            n += t[b]
    elif _args.float_items(data):
        for b in bytes(data):
            n += t[b]
    elif nb:
        bits = nb // len(data) * 8
        for v in data:
            if v < 0:
                n += bits
                v = ~v
                while v:
                    n -= t[v & 0xFF]
                    v >>= 8
            else:
                while v:
                    n += t[v & 0xFF]
                    v >>= 8
    return n


@micropython.native
def native(data):
    # opt, compiled by the native emitter.
    nb = _args.buffer(data, "data")
    t = _POP
    n = 0
    if _args.byte_items(data):
        for b in data:
            n += t[b]
    elif _args.float_items(data):
        for b in bytes(data):
            n += t[b]
    elif nb:
        bits = nb // len(data) * 8
        for v in data:
            if v < 0:
                n += bits
                v = ~v
                while v:
                    n -= t[v & 0xFF]
                    v >>= 8
            else:
                while v:
                    n += t[v & 0xFF]
                    v >>= 8
    return n


# p: the raw bytes, n of them; t: _POP; s: the count. Bytes up to a word boundary and after
# the last whole word go through t; words in between are counted in place (SWAR: 2-, 4-, then
# 8-bit partial sums, then one multiply adds the four bytes into the top byte). Words are
# loaded zero-extended and v is a uint, so >> is a logical shift on the board and on 64-bit
# unix alike; the final & 0xFF drops what a 64-bit multiply leaves above bit 31.
@micropython.viper
def _viper(data, n: int) -> int:
    p = ptr8(data)
    t = ptr8(_POP)
    m1 = uint(0x55555555)  # >= 2**30: would be a Python object as a literal on the board
    s = 0
    while n and (uint(p) & 3):
        s += t[p[0]]
        p = ptr8(uint(p) + 1)
        n -= 1
    w = ptr32(p)
    k = n >> 2
    while k:
        v = uint(w[0])
        v -= (v >> 1) & m1
        v = (v & 0x33333333) + ((v >> 2) & 0x33333333)
        v = (v + (v >> 4)) & 0x0F0F0F0F
        s += int(((v * 0x01010101) >> 24) & 0xFF)
        w = ptr32(uint(w) + 4)
        k -= 1
    p = ptr8(w)
    n &= 3
    while n:
        s += t[p[0]]
        p = ptr8(uint(p) + 1)
        n -= 1
    return s


def viper(data):
    # Checked before the pointer walk: viper has no bounds checks.
    return _viper(data, _args.buffer(data, "data"))


if board.THUMB:
    # The raw loop in Thumb assembler: SWAR a word at a time (fastpath_thumb.popcount).
    from fastpath_thumb.popcount import popcount as _asm

    def asm(data):
        # Checked before the pointer walk: assembler has no bounds checks.
        return _asm(data, _args.buffer(data, "data"))
