"""asm rung of toggle(n): the register loop in Thumb-2, four instructions a toggle."""

import micropython

from fastpath import _args, board


# r0: toggle count, r1: register address, r2: bit mask, r3: scratch.
@micropython.asm_thumb
def _asm(r0, r1, r2):
    cmp(r0, 0)
    beq(DONE)
    label(LOOP)
    ldr(r3, [r1, 0])
    eor(r3, r2)
    str(r3, [r1, 0])
    sub(r0, 1)
    bne(LOOP)
    label(DONE)


def asm(n):
    _args.count(n, "n")
    board.out_pin()
    _asm(n, board.OUT_REG, board.OUT_MASK)
