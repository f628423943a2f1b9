"""crc32(data, crc=0) -> int: CRC-32 exactly as zlib.crc32, at every rung of the ladder.

data is any buffer (its raw bytes), crc the running value; see docs/kernels.md.
"""

from array import array

try:
    import micropython
    from micropython import const
except ImportError:  # CPython: only py and opt run
    from ._cpython import const, micropython, ptr8, ptr32, uint

from . import _args, board

# The kernel's declaration, read by the tests, the fuzzer and the bench (docs/adding-a-kernel.md).
ARGS = (("data", "buffer"), ("crc", "u32", 0))
UNIT = "byte"
WORKLOAD = "4 KiB of pseudo-random bytes"
PEERS = ("binascii.crc32",)  # MicroPython's own, benchmarked beside the rungs
# Emulator instructions per byte, at most; (rung, "x", other, ratio): rung at least ratio times
# faster than other.
GOALS = (("c", 3.0), ("viper", 20.0), ("c", "x", "binascii.crc32", 2.5))
NO_ALLOC = ()  # a CRC of 2**30 or more is a long int on a 32-bit board: every rung allocates

_POLY = const(0xEDB88320)  # reflected CRC-32 polynomial


def workload():
    # The bench's call: (arguments, units of work).
    from ._rng import Rng

    return (Rng(4).bytes(4096),), 4096


def sample(r, n):
    # Valid arguments of size n from the generator r, for the tests and the fuzzer.
    return r.bytes(n), r.u32() if r.below(3) else 0


def _check_args(data, crc):
    # Checks the arguments; returns the byte length of data.
    n = _args.buffer(data, "data")
    _args.u32(crc, "crc")
    return n


def py(data, crc=0):
    # Reference tier: the textbook bit-at-a-time CRC over the raw bytes.
    _check_args(data, crc)
    crc ^= 0xFFFFFFFF
    for b in bytes(data):  # bytes() copies the raw bytes of any buffer, whatever its typecode
        crc ^= b
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ _POLY
            else:
                crc >>= 1
    return crc ^ 0xFFFFFFFF


def _table():
    t = array("I", range(256))
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t[i] = c
    return t


TABLE = _table()  # TABLE[i]: the CRC step of byte i; 1 KB, built once, shared with asm


def _raw(data):
    # data itself when its items are bytes (walked in place), else a copy of its raw bytes.
    return data if _args.byte_items(data) else bytes(data)


# opt and native: table driven, a byte a step, with the CRC kept as two 16-bit halves. On a
# 32-bit board small ints have 31 bits: a 32-bit CRC would be a long int, and every operation
# on it would allocate. A signed "b" item is negative; the & 0xFF after the xor still picks the
# right entry.
_LO = array("H", (v & 0xFFFF for v in TABLE))  # TABLE split in halves, built once
_HI = array("H", (v >> 16 for v in TABLE))


def opt(data, crc=0):
    _check_args(data, crc)
    tl = _LO
    th = _HI
    crc ^= 0xFFFFFFFF
    lo = crc & 0xFFFF
    hi = crc >> 16
    for b in _raw(data):
        i = (lo ^ b) & 0xFF
        lo = tl[i] ^ (lo >> 8) ^ ((hi & 0xFF) << 8)
        hi = th[i] ^ (hi >> 8)
    return ((hi << 16) | lo) ^ 0xFFFFFFFF


@micropython.native
def native(data, crc=0):
    # opt, compiled by the native emitter.
    _check_args(data, crc)
    tl = _LO
    th = _HI
    crc ^= 0xFFFFFFFF
    lo = crc & 0xFFFF
    hi = crc >> 16
    for b in _raw(data):
        i = (lo ^ b) & 0xFF
        lo = tl[i] ^ (lo >> 8) ^ ((hi & 0xFF) << 8)
        hi = th[i] ^ (hi >> 8)
    return ((hi << 16) | lo) ^ 0xFFFFFFFF


# c and t are the first two locals: the only ones the Thumb emitter keeps in registers (the
# rest live on the stack). p: raw bytes, n of them; bytes are stepped one at a time up to a word
# boundary, then w walks four aligned words a pass (little-endian: the low byte is the first),
# then the last n & 15 bytes. c is a uint so that c >> 8 is a logical shift on the 32-bit board;
# on 64-bit unix it never exceeds 32 bits, and ones masks the result for both. About 18.5 Thumb
# instructions a byte in the word loop (mpy-cross -march=armv7emsp, disassembled).
@micropython.viper
def _viper(c: uint, t: ptr32, data, n: int) -> uint:
    ones = uint(0xFFFFFFFF)  # >= 2**30: would be a Python object as a literal on the board
    p = ptr8(data)
    c ^= ones
    while n and (uint(p) & 3):
        c = uint(t[(c ^ p[0]) & 0xFF]) ^ (c >> 8)
        p = ptr8(uint(p) + 1)
        n -= 1
    w = ptr32(p)
    k = n >> 4
    while k:
        c ^= uint(w[0])
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c ^= uint(w[1])
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c ^= uint(w[2])
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c ^= uint(w[3])
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        c = uint(t[c & 0xFF]) ^ (c >> 8)
        w = ptr32(uint(w) + 16)
        k -= 1
    p = ptr8(w)
    n &= 15
    while n:
        c = uint(t[(c ^ p[0]) & 0xFF]) ^ (c >> 8)
        p = ptr8(uint(p) + 1)
        n -= 1
    return (c ^ ones) & ones


def viper(data, crc=0):
    # Checked before the pointer walk: viper has no bounds checks. int() passes a bool or an
    # int subclass as a plain int (viper converts only those to a uint in full).
    n = _check_args(data, crc)
    return _viper(int(crc), TABLE, data, n)


# hw: the STM32F4's CRC unit (Pyboard only). The unit computes the MSB-first CRC-32 of 32-bit
# words (polynomial 0x04C11DB7, reset to 0xFFFFFFFF, no final xor); zlib's CRC-32 is the same
# polynomial bit-reflected. Fed each little-endian word bit-reversed, the unit walks zlib's
# bytes in zlib's bit order, and its register is zlib's register bit-reversed. The unit cannot
# be loaded with a start value, so for a running crc one extra word takes it from reset to the
# state that crc stands for (_seed). The 0..3 tail bytes finish in software.
_CRC_POLY = const(0x04C11DB7)  # the unit's polynomial, MSB first


def _rbit32(v):
    # v with its 32 bits in reverse order.
    r = 0
    for _ in range(32):
        r = (r << 1) | (v & 1)
        v >>= 1
    return r


def _seed(crc):
    # The unit steps a word w as s' = F(s ^ w), with F (32 shifts of its LFSR) linear and
    # invertible. To reach the state T standing for zlib's crc from reset, feed
    # w = 0xFFFFFFFF ^ F^-1(T). Undoing a shift: a set low bit means the polynomial was xored in.
    s = _rbit32(crc ^ 0xFFFFFFFF)
    for _ in range(32):
        s = ((s ^ _CRC_POLY) >> 1) | 0x80000000 if s & 1 else s >> 1
    return s ^ 0xFFFFFFFF


# p: the raw bytes; reg: the unit's data register. Each word is assembled little-endian,
# bit-reversed by swapping ever smaller halves, and written to the unit.
@micropython.viper
def _hw_words(data, words: int, dr: uint):
    p = ptr8(data)
    reg = ptr32(dr)
    m1 = uint(0x55555555)  # >= 2**30: Python objects as literals on the board
    m2 = uint(0x33333333)
    m4 = uint(0x0F0F0F0F)
    m8 = uint(0x00FF00FF)
    i = 0
    while i < words:
        j = i << 2
        w = uint(p[j]) | (uint(p[j + 1]) << 8) | (uint(p[j + 2]) << 16) | (uint(p[j + 3]) << 24)
        w = ((w >> 1) & m1) | ((w & m1) << 1)
        w = ((w >> 2) & m2) | ((w & m2) << 2)
        w = ((w >> 4) & m4) | ((w & m4) << 4)
        w = ((w >> 8) & m8) | ((w & m8) << 8)
        reg[0] = (w >> 16) | (w << 16)
        i += 1


@micropython.viper
def _tail(c: uint, t: ptr32, data, start: int, n: int) -> uint:
    # zlib's register c stepped over bytes start..n-1 of data, a table lookup a byte.
    p = ptr8(data)
    i = start
    while i < n:
        c = uint(t[(c ^ p[i]) & 0xFF]) ^ (c >> 8)
        i += 1
    return c


if board.NAME == "pyboard":
    import machine
    import stm

    _CRC_DR = stm.CRC + stm.CRC_DR
    _CRC_CR = stm.CRC + stm.CRC_CR
    _RCC_AHB1ENR = stm.RCC + stm.RCC_AHB1ENR
    _CRCEN = const(1 << 12)  # RCC_AHB1ENR: CRC unit clock
    _CR_RESET = const(1)  # CRC_CR: reload 0xFFFFFFFF

    def hw(data, crc=0):
        """crc32 on the STM32F4 CRC peripheral: whole words in hardware; the running crc's
        seed word and the 0..3 tail bytes in software. Equal to zlib.crc32 for any data and
        any crc."""
        n = _check_args(data, crc)
        mem32 = machine.mem32
        mem32[_RCC_AHB1ENR] |= _CRCEN
        mem32[_CRC_CR] = _CR_RESET
        if crc:
            mem32[_CRC_DR] = _seed(crc)
        _hw_words(data, n >> 2, _CRC_DR)
        c = _rbit32(mem32[_CRC_DR])  # zlib's register
        return _tail(c, TABLE, data, n & ~3, n) ^ 0xFFFFFFFF
