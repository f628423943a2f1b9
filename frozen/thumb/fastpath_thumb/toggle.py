"""asm rung of toggle(n): one store to the bit set/reset register a toggle, in Thumb-2."""

import micropython

from fastpath import _args, board


# r0: toggle count, r1: set/reset register (board.OUT_BSRR), r2: the word the next edge
# stores, r3: set ^ reset word. Four instructions a toggle, no load.
@micropython.asm_thumb
def _asm(r0, r1, r2, r3):
    cmp(r0, 0)
    beq(DONE)
    label(LOOP)
    str(r2, [r1, 0])
    eor(r2, r3)
    sub(r0, 1)
    bne(LOOP)
    label(DONE)


def asm(n):
    _args.count(n, "n")
    board.out_pin()
    _asm(n, board.OUT_BSRR, board.out_first_word(), board.OUT_SET ^ board.OUT_RESET)
