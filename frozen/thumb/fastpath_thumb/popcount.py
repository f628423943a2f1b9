"""popcount(data) -> int, the asm tier: SWAR bit count in inline Thumb assembler."""

import micropython

from fastpath import _args


# r0: p, the next byte; r1: n, bytes left; r2: s, the count; r3: the value being counted;
# r4: scratch; r5, r6, r7: the masks 0x55555555, 0x33333333, 0x0F0F0F0F; r1 holds the number
# of words during the word loop.
# COUNT adds popcount(r3) to r2 (SWAR: 2-, 4-, 8-bit partial sums, then the four bytes folded
# into the low 6 bits). Bytes one at a time up to a word boundary, then a word a pass (SWAR
# inline: 22 instructions), then the last bytes.
@micropython.asm_thumb
def _popcount(r0, r1) -> uint:
    movwt(r5, 0x55555555)
    movwt(r6, 0x33333333)
    movwt(r7, 0x0F0F0F0F)
    mov(r2, 0)
    b(HEAD)
    label(COUNT)
    lsr(r4, r3, 1)
    and_(r4, r5)
    sub(r3, r3, r4)
    lsr(r4, r3, 2)
    and_(r4, r6)
    and_(r3, r6)
    add(r3, r3, r4)
    lsr(r4, r3, 4)
    add(r3, r3, r4)
    and_(r3, r7)
    lsr(r4, r3, 8)
    add(r3, r3, r4)
    lsr(r4, r3, 16)
    add(r3, r3, r4)
    lsl(r3, r3, 26)
    lsr(r3, r3, 26)
    add(r2, r2, r3)
    bx(lr)
    label(HEAD)
    cmp(r1, 0)
    beq(DONE)
    mov(r4, 3)
    tst(r4, r0)
    beq(WORDS)
    ldrb(r3, [r0, 0])
    add(r0, 1)
    bl(COUNT)
    sub(r1, 1)
    b(HEAD)
    label(WORDS)
    mov(r4, 3)
    and_(r4, r1)
    push({r4})
    lsr(r1, r1, 2)
    beq(TAIL)
    label(WORD)
    ldr(r3, [r0, 0])
    add(r0, 4)
    lsr(r4, r3, 1)
    and_(r4, r5)
    sub(r3, r3, r4)
    lsr(r4, r3, 2)
    and_(r4, r6)
    and_(r3, r6)
    add(r3, r3, r4)
    lsr(r4, r3, 4)
    add(r3, r3, r4)
    and_(r3, r7)
    lsr(r4, r3, 8)
    add(r3, r3, r4)
    lsr(r4, r3, 16)
    add(r3, r3, r4)
    lsl(r3, r3, 26)
    lsr(r3, r3, 26)
    add(r2, r2, r3)
    sub(r1, 1)
    bne(WORD)
    label(TAIL)
    pop({r1})
    cmp(r1, 0)
    beq(DONE)
    label(BYTE)
    ldrb(r3, [r0, 0])
    add(r0, 1)
    bl(COUNT)
    sub(r1, 1)
    bne(BYTE)
    label(DONE)
    mov(r0, r2)


def asm(data):
    # Checked before the pointer walk: assembler has no bounds checks.
    return _popcount(data, _args.buffer(data, "data"))
