"""ADC -> Q15 -> FIR, allocating nothing once it runs.

On a Pyboard: capture N samples from X19 with ADC.read_timed at 10 kHz into a preallocated
buffer, convert them in place to Q15, low-pass them with the fastest fir_q15 on this board,
and print min/max/mean of the result and what each stage cost. Run it with
`mpremote run examples/adc_filter.py` (connect a signal between X19 and GND, 0..3.3 V).

On the emulator and the unix build there is no ADC: the capture stage writes a synthetic
12-bit signal (a triangle wave plus pseudo-random noise) into the same buffer, so the rest of
the pipeline runs unchanged. The loop runs under micropython.heap_lock(): any allocation in
it would raise MemoryError.
"""

from array import array

import micropython

import fastpath
from fastpath import board, timing

N = 1024  # samples a block
TAPS = 32  # a 32-tap moving average: each tap 1/32 in Q15
RATE = 10_000  # Hz, Pyboard only

# Every buffer is made once, here. read_timed writes 16-bit items into any array; we give it
# an array('h') so the same memory can be converted in place and handed to fir_q15, which
# takes Q15 samples (typecode 'h'). 12-bit readings fit either way.
samples = array("h", bytes(2 * N))
taps = array("h", [32768 // TAPS] * TAPS)
out = array("h", bytes(2 * (N - TAPS + 1)))
costs = array("i", [0, 0, 0])  # ticks for capture, convert, filter
fir = fastpath.fir_q15

if board.NAME == "pyboard":
    import pyb

    adc = pyb.ADC(pyb.Pin("X19"))
    tim = pyb.Timer(6, freq=RATE)

    def capture(buf):
        adc.read_timed(buf, tim)

else:

    @micropython.viper
    def capture(buf):
        # A stand-in for the ADC: triangle wave (period 256 samples) plus noise from a
        # 32-bit LCG, clipped to 12 bits as a converter would.
        p = ptr16(buf)
        n = int(len(buf))
        a = uint(1103515245)  # literals of 2**30 and more are objects on a 32-bit board
        mask = uint(0x7FFFFFFF)
        x = uint(12345)
        for i in range(n):
            x = (x * a + 12345) & mask
            t = i & 255
            v = 1024 + (t if t < 128 else 255 - t) * 16 + int((x >> 16) & 255) - 128
            if v < 0:
                v = 0
            if v > 4095:
                v = 4095
            p[i] = v


@micropython.viper
def to_q15(buf):
    # 12-bit unsigned reading -> Q15: centre on mid-scale, scale by 16 (full scale -1..1).
    p = ptr16(buf)
    n = int(len(buf))
    for i in range(n):
        p[i] = (p[i] - 2048) << 4


@micropython.viper
def stats(buf) -> int:
    # Sum of an array('h'); its min and max go to extremes (returning a tuple would
    # allocate).
    p = ptr16(buf)
    n = int(len(buf))
    lo = 32767
    hi = -32768
    total = 0
    for i in range(n):
        v = p[i]
        if v & 0x8000:
            v -= 0x10000  # ptr16 loads are unsigned
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        total += v
    extremes[0] = lo
    extremes[1] = hi
    return total


extremes = array("i", [0, 0])


def block():
    # One block through the pipeline; the only work done under heap_lock. Each stage is timed
    # from its own start() (on the emulator start() masks interrupts until ticks()).
    t = timing.start()
    capture(samples)
    costs[0] = timing.ticks_diff(timing.ticks(), t) * timing.PER_TICK
    t = timing.start()
    to_q15(samples)
    costs[1] = timing.ticks_diff(timing.ticks(), t) * timing.PER_TICK
    t = timing.start()
    fir(samples, taps, out)
    costs[2] = timing.ticks_diff(timing.ticks(), t) * timing.PER_TICK


def main():
    block()  # warm-up: first calls fill the interpreter's caches
    micropython.heap_lock()
    try:
        block()
    finally:
        micropython.heap_unlock()
    total = stats(out)
    print("board:", board.NAME)
    print("capture: {} samples, {} {}".format(N, costs[0], timing.UNIT))
    print("convert: {} {}".format(costs[1], timing.UNIT))
    print("filter: {} outputs x {} taps, {} {}".format(len(out), TAPS, costs[2], timing.UNIT))
    print("out: min {} max {} mean {}".format(extremes[0], extremes[1], total // len(out)))


main()
