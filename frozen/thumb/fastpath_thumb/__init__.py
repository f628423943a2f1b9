"""Inline Thumb assembler (Cortex-M targets only): raw @micropython.asm_thumb functions.

A module here named like a kernel holds the raw loop of that kernel's asm rung, a function of
the kernel's name that trusts its arguments (pointers and counts); the rung itself, which
checks them first, is `asm` in the kernel's own module (fastpath.kernels.NAME), beside its
other rungs. Nothing here imports fastpath: the package imports these, never the reverse.
_irq (interrupts off and on, for fastpath.timing on the emulator) is no kernel.
"""
