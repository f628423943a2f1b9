"""What this board has, decided once at import: the one place that knows the hardware.

NAME is "pyboard" (STM32F405 at 168 MHz), "qemu" (QEMU's mps2-an386, a Cortex-M4) or
"unix". Kernels that touch registers ask this module, never sys.platform themselves.
"""

import sys

from micropython import const

if sys.platform == "pyboard":
    NAME = "pyboard"
elif sys.platform == "qemu":
    NAME = "qemu"
else:
    NAME = "unix"

THUMB = NAME != "unix"  # inline Thumb assembler (asm tiers) is frozen in

# QEMU mps2-an386 peripherals (Arm AN386 application note; QEMU hw/arm/mps2.c).
# CMSDK APB timer 0, clocked at 25 MHz: under -icount shift=0 one tick is 40 instructions.
QEMU_TIMER0 = const(0x40000000)
QEMU_TIMER_CTRL = const(0x00)
QEMU_TIMER_VALUE = const(0x04)
QEMU_TIMER_RELOAD = const(0x08)
QEMU_TIMER_HZ = const(25_000_000)
QEMU_INSTRUCTIONS_PER_TICK = const(40)
# FPGA I/O block: LED0 register, two user LEDs in bits 0..1.
QEMU_FPGAIO_LED0 = const(0x40028000)
