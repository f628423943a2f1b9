"""toggle's raw loop in Thumb-2, the loop of its asm rung: one store to the bit set/reset
register a toggle. The rung, with its argument checks, is in frozen/fastpath/kernels/toggle.py."""

import micropython


# toggle(n, reg, word, flip): n stores to reg, word and then word ^ flip alternately.
# r0: toggle count, r1: set/reset register (board.OUT_BSRR), r2: the word the next edge
# stores, r3: set ^ reset word. Four instructions a toggle, no load.
@micropython.asm_thumb
def toggle(r0, r1, r2, r3):
    cmp(r0, 0)
    beq(DONE)
    label(LOOP)
    str(r2, [r1, 0])
    eor(r2, r3)
    sub(r0, 1)
    bne(LOOP)
    label(DONE)

