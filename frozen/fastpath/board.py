"""What this board has, decided once at import: the one place that knows the hardware.

NAME is "pyboard" (STM32F405, 168 MHz unless machine.freq() changed it), "qemu" (QEMU's
mps2-an386, a Cortex-M4, or another MPS2 board), "unix", or "cpython" when the package is
imported by CPython (only the py and opt rungs run there); on stock firmware elsewhere, the
port's sys.platform ("rp2", "esp32", ...; "qemu-virt" for QEMU's RISC-V board), with no
register or peripheral rungs.
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
elif sys.platform == "qemu" and sys.implementation._machine.startswith("mps2"):
    NAME = "qemu"  # our emulated board, or upstream's MPS2 boards: the same peripherals
elif sys.platform in ("linux", "darwin", "freebsd", "win32"):
    NAME = "unix"
elif sys.platform == "qemu":
    NAME = "qemu-" + sys.implementation._machine.split()[0]  # upstream's VIRT_RV32: qemu-virt
else:
    NAME = sys.platform  # stock firmware elsewhere (rp2, esp32, ...): no register rungs

# The asm rungs (fastpath_thumb) run here: our Cortex-M4 boards, not an MPS2 board of another
# core (a Cortex-M3 faults on their DSP instructions): sys.implementation._mpy's arch is
# armv7emsp (7) or armv7emdp (8) there, armv7em (6) on a Cortex-M3.
THUMB = NAME in ("pyboard", "qemu") and (getattr(sys.implementation, "_mpy", 0) >> 10) & 15 in (
    7, 8)
COMPILED = NAME != "cpython"  # native and viper code runs

# QEMU mps2-an386 peripherals (Arm AN386 application note; QEMU hw/arm/mps2.c).
# CMSDK APB timer 0, clocked at 25 MHz: under -icount shift=0 one tick is 40 instructions.
QEMU_TIMER0 = const(0x40000000)
QEMU_TIMER_CTRL = const(0x00)
QEMU_TIMER_VALUE = const(0x04)
QEMU_TIMER_RELOAD = const(0x08)
QEMU_TIMER_HZ = const(25_000_000)
QEMU_INSTRUCTIONS_PER_TICK = const(40)
# SysTick's current value register (ARMv7-M): from MicroPython v1.27 the qemu port counts its
# milliseconds with SysTick interrupts (the port's mcu/arm/ticks.c); before, SysTick is off.
QEMU_SYST_CVR = const(0xE000E018)
# FPGA I/O block: LED0 register, two user LEDs in bits 0..1.
QEMU_FPGAIO_LED0 = const(0x40028000)


# The board's free output pin. OUT_REG and OUT_MASK: the register that holds the pin's level
# and its bit, which the tests read back and a mem rung rewrites as the speed guide does.
# OUT_BSRR, OUT_SET, OUT_RESET: where a rung that drives the pin stores one word per edge,
# never reading the register: on the Pyboard X1 = PA0's bit set/reset register, as
# mp_hal_pin_write does (ports/stm32/mphalport.h). A store to BSRR changes only the pins whose
# bits are set in it, so it cannot undo what an interrupt did to another pin of GPIOA in the
# meantime (the LEDs on PA13-PA15), as a read-modify-write of ODR can.
# The emulator has no BSRR: its LED0 register keeps bits 0..1 of what is stored, so the set
# word (1) lights LED0 and the reset word (1 << 16) clears it. The same stores, one per edge
# and no read (tests/test_toggle.py counts both), but each one rewrites LED1 (bit 1), which
# nothing uses: not atomic in the Pyboard's sense, and it need not be.
if NAME == "pyboard":
    import stm

    OUT_REG = stm.GPIOA + stm.GPIO_ODR
    OUT_MASK = 1 << 0  # PA0
    OUT_BSRR = stm.GPIOA + stm.GPIO_BSRR
    OUT_SET = OUT_MASK  # BSRR bits 0..15 set pins
    OUT_RESET = OUT_MASK << 16  # bits 16..31 reset them
elif NAME == "qemu":
    OUT_REG = QEMU_FPGAIO_LED0
    OUT_MASK = 1 << 0  # LED0
    OUT_BSRR = QEMU_FPGAIO_LED0
    OUT_SET = OUT_MASK
    OUT_RESET = OUT_MASK << 16
else:
    OUT_REG = OUT_MASK = OUT_BSRR = OUT_SET = OUT_RESET = None


if OUT_REG is not None:
    from machine import mem32 as _mem32


def out_first_word():
    """The word the next edge of the pin stores in OUT_BSRR: reset while the pin is high, else
    set. Read once, before a loop of stores."""
    return OUT_RESET if _mem32[OUT_REG] & OUT_MASK else OUT_SET


def cpu_hz():
    """The core clock in Hz now, as the board reports it, or None where it has no fixed one.

    A Pyboard does not always run at 168 MHz: PYBV11 restores the last machine.freq() at
    every hard reset (MICROPY_HW_CLK_LAST_FREQ keeps it in RTC backup register BKP19R, which a
    power-off clears unless VBAT is powered), so cycle counts are converted with this, read
    at the time of the measurement. The core and its cycle counter run on HCLK, freq()[1]."""
    if NAME == "pyboard":
        import machine

        return machine.freq()[1]
    return None


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
