"""rgb565(src, dst) -> None: RGB888 pixels to big-endian RGB565.

v = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3); dst[2i] = v >> 8, dst[2i+1] = v & 0xFF.
See docs/kernels.md. native and viper allocate nothing on the success path.
"""

try:
    import micropython
except ImportError:  # CPython: only py and opt run
    from .._cpython import micropython, ptr8, uint

from .. import _args, board

# The kernel's declaration, read by the tests, the fuzzer and the bench (docs/adding-a-kernel.md).
ARGS = (("src", "bytes"), ("dst", "bytes_out"))
UNIT = "pixel"
WORKLOAD = "1024 pixels"
# The Cortex-M4's floor, emulator instructions per unit (docs/native-and-floors.md).
FLOOR = (4.0, "2 pixels an instruction in halfword lanes: 3 PKHBT gathers, ~4 masks/shifts/"
         "merges, 1 REV16 a pair; 12 bytes in, 8 out a 4 pixels by LDM/STM")
GOALS = (("c", 4.5), ("viper", 30.0))  # emulator instructions per pixel, at most
NO_ALLOC = ("native", "viper", "asm", "c")
# Sizes where a rung changes path (the tests' boundary cases): viper takes 4 pixels a
# pass, C 4-pixel quads and 12 pixels an LDM, 48 a loop pass.
EDGE_SIZES = (4, 12, 48, 96)


def workload():
    # The bench's call: (arguments, units of work).
    from .._rng import Rng

    return (Rng(3).bytes(3 * 1024), bytearray(2 * 1024)), 1024


def sample(r, n):
    # Valid arguments of n pixels from the generator r, for the tests and the fuzzer: dst an
    # array("B") made at its size, every byte 0x2A.
    from .._rng import filled

    return r.bytes(3 * n), filled("B", 2 * n, 0x2A)


def _check_args(src, dst):
    # Checks the arguments; returns the number of pixels.
    ns = _args.bytes_in(src, "src")
    nd = _args.bytes_out(dst, "dst")
    if ns % 3:
        raise ValueError("src length must be a multiple of 3")
    if nd != ns // 3 * 2:
        raise ValueError("dst length must be 2/3 of src length")
    return ns // 3


def py(src, dst):
    # Reference rung: the formula, one pixel at a time. & 0xFF reads a signed "b" src as bytes.
    n = _check_args(src, dst)
    dst = _args.u8(dst)
    for i in range(n):
        r = src[3 * i] & 0xFF
        g = src[3 * i + 1] & 0xFF
        b = src[3 * i + 2] & 0xFF
        v = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
        dst[2 * i] = v >> 8
        dst[2 * i + 1] = v & 0xFF


# opt: each output byte straight from its inputs, no 16-bit intermediate:
# high byte = (r & 0xF8) | (g >> 5), low byte = ((g << 3) & 0xE0) | (b >> 3);
# running indices instead of multiplications.
def opt(src, dst):
    n = _check_args(src, dst)
    dst = _args.u8(dst)
    j = 0
    for i in range(0, 2 * n, 2):
        g = src[j + 1] & 0xFF
        dst[i] = (src[j] & 0xF8) | (g >> 5)
        dst[i + 1] = ((g << 3) & 0xE0) | ((src[j + 2] & 0xFF) >> 3)
        j += 3


@micropython.native
def native(src, dst):
    # opt, compiled by the native emitter.
    n = _check_args(src, dst)
    dst = _args.u8(dst)
    j = 0
    for i in range(0, 2 * n, 2):
        g = src[j + 1] & 0xFF
        dst[i] = (src[j] & 0xF8) | (g >> 5)
        dst[i + 1] = ((g << 3) & 0xE0) | ((src[j + 2] & 0xFF) >> 3)
        j += 3


# s: src, 3 bytes a pixel; d: dst, 2 bytes a pixel; n pixels. s and d are arguments, converted
# to pointers by the call, and so the first two locals: the ones the Thumb emitter keeps in
# registers. Both step forward so every load and store has a constant offset (one Thumb
# instruction each; uint() and ptr8() of a native value only re-type it, no code). ptr8 loads
# are unsigned, whatever the src typecode; a ptr8 store keeps the low 8 bits.
# Four pixels a pass, each written as one halfword v = hi | lo << 8 (little-endian: hi is the
# first byte, as the contract wants; every target here is little-endian, and the Cortex-M4
# and x86-64 store a halfword at any address):
#   v = (r & 0xF8) | ((b & 0xF8) << 5) | (((g * 0x10001) >> 5) & 0xE007)
# where g * 0x10001 >> 5 puts g >> 5 in bits 0..2 and g << 11 (bits 2..4 of g in 13..15).
# Eight operations a pixel where the byte formula takes seven and two stores; the pass saves
# the per-pixel pointer steps and loop test. The last n & 3 pixels go one at a time, as bytes.
@micropython.viper
def _viper(s: ptr8, d: ptr8, n: int):
    k = n >> 2
    while k:
        w = ptr16(d)
        w[0] = (s[0] & 0xF8) | ((s[2] & 0xF8) << 5) | (((s[1] * 0x10001) >> 5) & 0xE007)
        w[1] = (s[3] & 0xF8) | ((s[5] & 0xF8) << 5) | (((s[4] * 0x10001) >> 5) & 0xE007)
        w[2] = (s[6] & 0xF8) | ((s[8] & 0xF8) << 5) | (((s[7] * 0x10001) >> 5) & 0xE007)
        w[3] = (s[9] & 0xF8) | ((s[11] & 0xF8) << 5) | (((s[10] * 0x10001) >> 5) & 0xE007)
        s = ptr8(uint(s) + 12)
        d = ptr8(uint(d) + 8)
        k -= 1
    n &= 3
    while n:
        g = s[1]
        d[0] = (s[0] & 0xF8) | (g >> 5)
        d[1] = ((g << 3) & 0xE0) | (s[2] >> 3)
        s = ptr8(uint(s) + 3)
        d = ptr8(uint(d) + 2)
        n -= 1


def viper(src, dst):
    # Checked before the pointer walk: viper has no bounds checks.
    _viper(src, dst, _check_args(src, dst))


if board.THUMB:
    # The raw loop in Thumb assembler: the byte formula, a pixel a pass (fastpath_thumb.rgb565).
    from fastpath_thumb.rgb565 import rgb565 as _asm

    def asm(src, dst):
        # Checked before the pointer walk: assembler has no bounds checks.
        _asm(src, dst, _check_args(src, dst))
