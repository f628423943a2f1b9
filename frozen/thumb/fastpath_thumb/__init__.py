"""Inline Thumb assembler rungs (Cortex-M targets only).

A module here named like a kernel of the fastpath package holds that kernel's `asm` rung: a
validating Python wrapper around an @micropython.asm_thumb function. fastpath registers it
from its name; nothing lists it. _irq (interrupts off and on, for fastpath.timing on the
emulator) is no kernel.
"""
