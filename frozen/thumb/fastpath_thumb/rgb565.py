"""rgb565's raw loop in inline Thumb assembler, the loop of its asm rung: RGB888 to big-endian
RGB565. The rung, with its argument checks, is in frozen/fastpath/kernels/rgb565.py."""

import micropython


# rgb565(src, dst, n): n pixels of src to dst.
# r0: s, the next src pixel (r, g, b); r1: d, the next dst pixel (2 bytes); r2: n, pixels
# left; r3: r, then the high byte; r4: g, then the low byte; r5: b and scratch;
# r6: 0xF8; r7: 0xE0. High byte (r & 0xF8) | (g >> 5), low byte ((g << 3) & 0xE0) | (b >> 3):
# 16 instructions a pixel.
@micropython.asm_thumb
def rgb565(r0, r1, r2):
    mov(r6, 0xF8)
    mov(r7, 0xE0)
    cmp(r2, 0)
    beq(DONE)
    label(PIXEL)
    ldrb(r3, [r0, 0])
    ldrb(r4, [r0, 1])
    and_(r3, r6)
    lsr(r5, r4, 5)
    orr(r3, r5)
    strb(r3, [r1, 0])
    lsl(r4, r4, 3)
    and_(r4, r7)
    ldrb(r5, [r0, 2])
    lsr(r5, r5, 3)
    orr(r4, r5)
    strb(r4, [r1, 1])
    add(r0, 3)
    add(r1, 2)
    sub(r2, 1)
    bne(PIXEL)
    label(DONE)
