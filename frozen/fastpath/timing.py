"""One clock for benchmarks on every target.

ticks() counts in UNIT, and ticks_diff(end, start) handles wrap-around as time.ticks_diff.
Begin a measurement with start(), which is ticks() taken at a fixed phase of the clock where
the clock allows it:
- pyboard: CPU cycles (time.ticks_cpu, the DWT cycle counter), at the core clock that
  board.cpu_hz() reads: 168 MHz unless machine.freq() was changed, which persists across resets;
- qemu: ticks of the CMSDK timer at 25 MHz. Run under -icount shift=0 every guest
  instruction takes 1 ns of virtual time, so one tick is exactly 40 instructions; start()
  restarts the tick period, so a measurement repeats to the tick. From MicroPython v1.27
  the port has a 1 ms SysTick interrupt: start() masks interrupts (ticks() unmasks them once
  it has read the count), so none lands inside a measurement, and restarts SysTick's period,
  so the ones outside fall at the same instructions on every run too (each leaves an
  exception frame on the stack, which the garbage collector scans later). The price, on the
  emulator only: time.ticks_ms() stands still from start() to ticks() and loses the part of
  a millisecond counted before start(). Pair every start() with a ticks();
- qemu-virt (upstream's VIRT_RV32, with the rv32imc package): the core's instruction counter
  minstret (fastpath_rv32), which QEMU keeps from its icount: under -icount shift=0 exactly
  one per guest instruction. No interrupt is enabled on that board in v1.25;
- unix: microseconds (time.ticks_us).
"""

import micropython
from micropython import const

from . import board

_MASK = const(0x3FFFFFFF)  # 30 bits, as MicroPython's own ticks: always a small int



def _rv32_clock():
    # The rv32imc package's instruction counter (fastpath_rv32), absent from the .py package.
    try:
        import fastpath_rv32._clock  # noqa: F401
    except ImportError:
        return False
    return True


if board.NAME == "qemu":
    import machine
    from fastpath_thumb._irq import off as _irq_off
    from fastpath_thumb._irq import on as _irq_on

    UNIT = "instructions"
    PER_TICK = board.QEMU_INSTRUCTIONS_PER_TICK
    _VALUE = board.QEMU_TIMER0 + board.QEMU_TIMER_VALUE  # the count, read by ticks()
    _SYST_CVR = board.QEMU_SYST_CVR

    # Free-running: count down from 2**32 - 1 and reload there.
    machine.mem32[board.QEMU_TIMER0 + board.QEMU_TIMER_RELOAD] = 0xFFFFFFFF
    machine.mem32[board.QEMU_TIMER0 + board.QEMU_TIMER_VALUE] = 0xFFFFFFFF
    machine.mem32[board.QEMU_TIMER0 + board.QEMU_TIMER_CTRL] = 1  # enable

    @micropython.viper
    def ticks() -> int:
        # The timer counts down; flip it so ticks go up. Read through a pointer so the
        # measurement itself costs a few instructions and allocates nothing. Interrupts
        # masked by start() are enabled again only after the read.
        value = ptr32(_VALUE)
        v = value[0]
        _irq_on()
        return int((uint(0xFFFFFFFF) - v) & uint(_MASK))

    @micropython.viper
    def start() -> int:
        # Mask interrupts first; restart SysTick's period (any write clears its count; a
        # no-op where SysTick is off); then write the count back unchanged: QEMU restarts the
        # tick period at this instruction, so what follows is timed from the same phase on
        # every run, to the instruction, and no interrupt handler runs until ticks().
        _irq_off()
        systick = ptr32(_SYST_CVR)
        systick[0] = 0
        value = ptr32(_VALUE)
        v = value[0]
        value[0] = v
        return int((uint(0xFFFFFFFF) - v) & uint(_MASK))

    def ticks_diff(end, start):
        return ((end - start + 0x20000000) & _MASK) - 0x20000000

elif board.NAME == "qemu-virt" and _rv32_clock():
    from fastpath_rv32._clock import instret as start
    from fastpath_rv32._clock import instret as ticks

    UNIT = "instructions"
    PER_TICK = 1

    def ticks_diff(end, start):
        return ((end - start + 0x20000000) & _MASK) - 0x20000000

elif board.NAME == "pyboard":
    from time import ticks_cpu as start
    from time import ticks_cpu as ticks
    from time import ticks_diff

    UNIT = "cycles"
    PER_TICK = 1
else:
    from time import ticks_diff
    from time import ticks_us as start
    from time import ticks_us as ticks

    UNIT = "us"
    PER_TICK = 1


def timed_function(f):
    """Decorator from the speed guide: print how long each call of f took, in UNIT."""
    name = getattr(f, "__name__", "function")

    def timed(*args, **kwargs):
        t = start()
        try:
            result = f(*args, **kwargs)
        finally:
            delta = ticks_diff(ticks(), t) * PER_TICK  # ticks() unmasks interrupts, always
        print("{} took {} {}".format(name, delta, UNIT))
        return result

    return timed
