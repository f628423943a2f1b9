"""Interrupts off and on (PRIMASK): what fastpath.timing needs so that no interrupt lands
inside a measurement on the emulator.

From MicroPython v1.27 the qemu port runs SysTick at 1 kHz (the port's mcu/arm/ticks.c, at
priority 0, which BASEPRI cannot mask), and its handler's instructions would be counted in
whichever measurement it lands in. With PRIMASK set the tick stays pending and is taken when
interrupts are enabled again, after the measurement. The port has no machine.disable_irq().
"""

import micropython


# cpsid/cpsie i: mask/unmask every configurable-priority exception. r0 = 0 so the call
# returns a small int, never allocating.
@micropython.asm_thumb
def off():
    cpsid(i)
    mov(r0, 0)


@micropython.asm_thumb
def on():
    cpsie(i)
    mov(r0, 0)
