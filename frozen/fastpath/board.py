"""What this board has, decided once at import: the one place that knows the hardware.

NAME is "pyboard" (STM32F405 at 168 MHz), "qemu" (QEMU's mps2-an386, a Cortex-M4), "unix",
or "cpython" when the package is imported by CPython (only the py and opt rungs run there).
Kernels that touch registers ask this module, never sys.platform themselves.
"""

import sys

try:
    from micropython import const
except ImportError:  # CPython runs the py and opt rungs too

    def const(x):
        return x


if sys.implementation.name != "micropython":
    NAME = "cpython"
elif sys.platform == "pyboard":
    NAME = "pyboard"
elif sys.platform == "qemu":
    NAME = "qemu"
else:
    NAME = "unix"

THUMB = NAME in ("pyboard", "qemu")  # inline Thumb assembler (asm tiers) is frozen in
COMPILED = NAME != "cpython"  # native and viper code runs

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


# The board's free output pin, as (register address, bit mask): the register that kernels
# driving a pin write below their `py` rung, and that the tests read back. On the Pyboard it
# is X1 = PA0's output data register, named by the stm module; on the emulator LED0 of the
# FPGA I/O block.
if NAME == "pyboard":
    import stm

    OUT_REG = stm.GPIOA + stm.GPIO_ODR
    OUT_MASK = 1 << 0  # PA0
elif NAME == "qemu":
    OUT_REG = QEMU_FPGAIO_LED0
    OUT_MASK = 1 << 0  # LED0
else:
    OUT_REG = OUT_MASK = None

_pin = None


def out_pin():
    """The free output pin as an object with value(), made an output on first use."""
    global _pin
    if _pin is None:
        if NAME == "pyboard":
            import machine

            _pin = machine.Pin("X1", machine.Pin.OUT)
        elif NAME == "qemu":
            _pin = _Led()
        else:
            raise OSError("this board has no free output pin")
    return _pin


class _Led:
    # LED0 of the emulator's FPGA I/O block with a Pin's value() method, so code written for
    # a Pyboard's Pin runs unchanged. It is Python where a Pyboard's Pin is C: calls of
    # value() cost more here than on a board.
    def __init__(self):
        import machine

        self.mem32 = machine.mem32

    def value(self, v=None):
        if v is None:
            return self.mem32[QEMU_FPGAIO_LED0] & 1
        self.mem32[QEMU_FPGAIO_LED0] = 1 if v else 0  # LED1 (bit 1) is left off
