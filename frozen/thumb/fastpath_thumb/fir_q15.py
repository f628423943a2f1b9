"""fir_q15's raw loop in inline Thumb-2 assembler, the loop of its asm rung: Q15 FIR filter
with the Cortex-M4's dual 16-bit multiply-accumulate into a 64-bit sum (SMLALD), so the sum is
exact. The rung, with its argument checks, is in frozen/fastpath/kernels/fir_q15.py."""

import micropython

# asm_thumb has no mnemonic for the DSP instructions used here; data(2, hw1, hw2) emits each
# one's 32-bit Thumb-2 encoding (ARMv7-M Architecture Reference Manual; each checked against
# arm-none-eabi-as):
#   SMLALD  RdLo, RdHi, Rn, Rm   FBC0|Rn, RdLo<<12 | RdHi<<8 | 0xC0 | Rm
#           RdHi:RdLo += Rn[15:0] * Rm[15:0] + Rn[31:16] * Rm[31:16], signed, 64 bits
#   SMLALBB RdLo, RdHi, Rn, Rm   FBC0|Rn, RdLo<<12 | RdHi<<8 | 0x80 | Rm
#           RdHi:RdLo += Rn[15:0] * Rm[15:0], signed, 64 bits
#   SSAT    Rd, #16, Rn, ASR #15 F320|Rn, 0x3000 | Rd<<8 | 0xC0 | 15: clamp to -32768..32767
#   LDR.W   Rt, [Rn, #imm12]     F8D0|Rn, Rt<<12 | imm12: any byte offset (16-bit LDR: x4 only)
#
# fir_q15(y, h, x, params): y[i] for the params[1] outputs of the params[0] taps of h over x.
# r0: y, the next output; r1: h (walked by the tap loops, reset after each output); r2: x at
# the current output (walked, then reset and stepped); r3: the loop count; r4: two taps of h
# (h[k], h[k+1] in one word); r5: x[i+k], x[i+k+1]; r6: x[i+k+1], x[i+k+2] (a halfword
# further, unaligned on every other output: the M4 loads it in one LDR); r7: outputs left;
# r8:r9, r10:r11: the 64-bit sums of outputs i and i+1 (lo:hi), saved and restored here since
# the entry code saves r4-r7 only; r12: nh; lr: 0x4000, the rounding term each sum starts from.
# Outputs go in pairs, each word of h feeding both sums: taps 8 at a time (4 words, 24
# instructions for 16 multiply-adds), then the remaining pairs of taps, then an odd last tap.
# Each sum s ends as sat16(s >> 15): when s fits in 32 bits (hi is lo's sign), SSAT of
# lo >> 15; otherwise it lies beyond +-2**31 and saturates by the sign of hi. An odd last
# output goes through the same steps alone, so no load reads past the end of x.
@micropython.asm_thumb
def fir_q15(r0, r1, r2, r3):
    push({r8, r9, r10, r11})
    ldr(r4, [r3, 0])
    mov(r12, r4)
    ldr(r7, [r3, 4])
    movw(r4, 0x4000)
    mov(lr, r4)
    cmp(r7, 2)
    blt(SINGLE)
    label(PAIR)
    mov(r8, lr)
    mov(r10, lr)
    mov(r4, 0)
    mov(r9, r4)
    mov(r11, r4)
    mov(r3, r12)
    lsr(r3, r3, 3)
    beq(PAIRS)
    label(EIGHT)
    ldr(r4, [r1, 0])
    ldr(r5, [r2, 0])
    data(2, 0xF8D2, 0x6002)  # ldr.w r6, [r2, #2]
    data(2, 0xFBC4, 0x89C5)  # smlald r8, r9, r4, r5
    data(2, 0xFBC4, 0xABC6)  # smlald r10, r11, r4, r6
    ldr(r4, [r1, 4])
    ldr(r5, [r2, 4])
    data(2, 0xF8D2, 0x6006)  # ldr.w r6, [r2, #6]
    data(2, 0xFBC4, 0x89C5)  # smlald r8, r9, r4, r5
    data(2, 0xFBC4, 0xABC6)  # smlald r10, r11, r4, r6
    ldr(r4, [r1, 8])
    ldr(r5, [r2, 8])
    data(2, 0xF8D2, 0x600A)  # ldr.w r6, [r2, #10]
    data(2, 0xFBC4, 0x89C5)  # smlald r8, r9, r4, r5
    data(2, 0xFBC4, 0xABC6)  # smlald r10, r11, r4, r6
    ldr(r4, [r1, 12])
    ldr(r5, [r2, 12])
    data(2, 0xF8D2, 0x600E)  # ldr.w r6, [r2, #14]
    data(2, 0xFBC4, 0x89C5)  # smlald r8, r9, r4, r5
    data(2, 0xFBC4, 0xABC6)  # smlald r10, r11, r4, r6
    add(r1, 16)
    add(r2, 16)
    sub(r3, 1)
    bne(EIGHT)
    label(PAIRS)
    mov(r3, r12)
    lsr(r3, r3, 1)
    mov(r4, 3)
    and_(r3, r4)
    beq(ODD)
    label(TWO)
    ldr(r4, [r1, 0])
    ldr(r5, [r2, 0])
    data(2, 0xF8D2, 0x6002)  # ldr.w r6, [r2, #2]
    data(2, 0xFBC4, 0x89C5)  # smlald r8, r9, r4, r5
    data(2, 0xFBC4, 0xABC6)  # smlald r10, r11, r4, r6
    add(r1, 4)
    add(r2, 4)
    sub(r3, 1)
    bne(TWO)
    label(ODD)
    mov(r3, r12)
    lsl(r3, r3, 31)
    beq(PAIR_SUMS)
    ldrh(r4, [r1, 0])
    ldrh(r5, [r2, 0])
    ldrh(r6, [r2, 2])
    data(2, 0xFBC4, 0x8985)  # smlalbb r8, r9, r4, r5
    data(2, 0xFBC4, 0xAB86)  # smlalbb r10, r11, r4, r6
    add(r1, 2)
    add(r2, 2)
    label(PAIR_SUMS)
    mov(r3, r12)  # back to h[0] and x[i], then on to x[i + 2]
    add(r3, r3, r3)
    sub(r1, r1, r3)
    sub(r2, r2, r3)
    add(r2, 4)
    mov(r4, r8)
    mov(r5, r9)
    asr(r6, r4, 31)
    cmp(r6, r5)
    bne(WIDE0)
    data(2, 0xF324, 0x36CF)  # ssat r6, #16, r4, asr #15
    label(STORE0)
    strh(r6, [r0, 0])
    mov(r4, r10)
    mov(r5, r11)
    asr(r6, r4, 31)
    cmp(r6, r5)
    bne(WIDE1)
    data(2, 0xF324, 0x36CF)  # ssat r6, #16, r4, asr #15
    label(STORE1)
    strh(r6, [r0, 2])
    add(r0, 4)
    sub(r7, 2)
    cmp(r7, 2)
    bge(PAIR)
    b(SINGLE)
    label(WIDE0)  # |sum| >= 2**31: 32767 if hi >= 0, else -32768
    asr(r6, r5, 31)
    movw(r4, 0x7FFF)
    eor(r6, r4)
    b(STORE0)
    label(WIDE1)
    asr(r6, r5, 31)
    movw(r4, 0x7FFF)
    eor(r6, r4)
    b(STORE1)
    label(SINGLE)
    cmp(r7, 0)
    beq(DONE)
    mov(r8, lr)
    mov(r4, 0)
    mov(r9, r4)
    mov(r3, r12)
    lsr(r3, r3, 1)
    beq(ODD_SINGLE)
    label(TWO_SINGLE)
    ldr(r4, [r1, 0])
    ldr(r5, [r2, 0])
    data(2, 0xFBC4, 0x89C5)  # smlald r8, r9, r4, r5
    add(r1, 4)
    add(r2, 4)
    sub(r3, 1)
    bne(TWO_SINGLE)
    label(ODD_SINGLE)
    mov(r3, r12)
    lsl(r3, r3, 31)
    beq(SUM_SINGLE)
    ldrh(r4, [r1, 0])
    ldrh(r5, [r2, 0])
    data(2, 0xFBC4, 0x8985)  # smlalbb r8, r9, r4, r5
    label(SUM_SINGLE)
    mov(r4, r8)
    mov(r5, r9)
    asr(r6, r4, 31)
    cmp(r6, r5)
    bne(WIDE_SINGLE)
    data(2, 0xF324, 0x36CF)  # ssat r6, #16, r4, asr #15
    label(STORE_SINGLE)
    strh(r6, [r0, 0])
    b(DONE)
    label(WIDE_SINGLE)
    asr(r6, r5, 31)
    movw(r4, 0x7FFF)
    eor(r6, r4)
    b(STORE_SINGLE)
    label(DONE)
    pop({r8, r9, r10, r11})
