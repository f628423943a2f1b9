"""The instruction counter of a RISC-V core (minstret), what fastpath.timing counts with on
QEMU's virt board (upstream's VIRT_RV32), whose firmware runs in machine mode.

Under -icount shift=0 QEMU's minstret is its instruction count (target/riscv/csr.c reads it
from icount): exact, with no tick to wait for. Only in the rv32imc package (tools/package.py):
the inline RISC-V assembler (@micropython.asm_rv32, MicroPython v1.25) is compiled by mpy-cross.
"""

import micropython


# csrr a0, minstret (csrrs a0, minstret, zero), kept to 30 bits as MicroPython's ticks are, so
# the call returns a small int and never allocates.
@micropython.asm_rv32
def instret():
    csrrs(a0, zero, 0xB02)
    slli(a0, a0, 2)
    srli(a0, a0, 2)
