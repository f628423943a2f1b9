"""The ladder measured on the board itself: fastpath.bench.run() times every tier present.

Each row is printed as one line `BENCH (kernel, tier, units, min, median, calls)` for the host
(tools/bench.py) to collect: min and median are in timing.UNIT for `calls` calls of the tier
on the fixed workload, after a warm-up call and a gc.collect() before every repeat, so a
collection never lands inside a measurement. The measurement's own cost (reading the clock,
calling through *args) is measured on a function that does nothing and subtracted; what a
tier costs to call (its argument checks) stays in its figure.
"""

import gc
from array import array

import fastpath

from . import board, timing

# Workload per kernel: (size, what one unit of work is). fir_q15: 256 samples, 32 taps.
WORKLOADS = {
    "crc32": (4096, "byte"),
    "fir_q15": (256, "tap"),
    "popcount": (4096, "byte"),
    "rgb565": (1024, "pixel"),
    "toggle": (1000, "toggle"),
}
TAPS = 32

# Peers measured beside our tiers: MicroPython's own implementation of the same kernel.
PEERS = {"crc32": ("binascii",)}

# On unix the clock ticks in microseconds: repeat cheap calls inside one measurement until
# it lasts at least this many ticks, so the resolution is well under 1%.
_MIN_TICKS = 20000


def _fill(buf, seed):
    # A fixed pseudo-random fill (32-bit LCG), the same on every target.
    x = seed
    for i in range(len(buf)):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        buf[i] = x >> 16


def workload(kernel):
    """(args, units): the arguments of one call and how many units of work it does."""
    size, _ = WORKLOADS[kernel]
    if kernel == "fir_q15":
        x = array("h", bytes(2 * size))
        h = array("h", bytes(2 * TAPS))
        _fill(x, 1)
        _fill(h, 2)
        for i in range(len(x)):
            x[i] -= 16384  # centre the samples on zero: _fill gives 0..32767
        n = size - TAPS + 1
        return (x, h, array("h", bytes(2 * n))), n * TAPS
    if kernel == "toggle":
        return (size,), size
    if kernel == "rgb565":
        src = bytearray(3 * size)
        _fill(src, 3)
        return (src, bytearray(2 * size)), size
    data = bytearray(size)
    _fill(data, 4)
    return (data,), size


def _peer(kernel, name):
    if (kernel, name) == ("crc32", "binascii"):
        try:
            import binascii

            return binascii.crc32
        except (ImportError, AttributeError):
            return None
    return None


def measure(f, args, repeat):
    """(min, median, calls) of f(*args) over repeat measurements, in timing.UNIT."""
    f(*args)  # warm-up: the first call fills the interpreter's caches
    calls = 1
    if timing.UNIT == "us":
        while True:
            t = timing.start()
            for _ in range(calls):
                f(*args)
            if timing.ticks_diff(timing.ticks(), t) >= _MIN_TICKS or calls >= 1 << 20:
                break
            calls *= 4
    counts = []
    for _ in range(repeat):
        gc.collect()
        if calls == 1:
            t = timing.start()
            f(*args)
            counts.append(timing.ticks_diff(timing.ticks(), t) * timing.PER_TICK)
        else:
            t = timing.start()
            for _ in range(calls):
                f(*args)
            counts.append(timing.ticks_diff(timing.ticks(), t) * timing.PER_TICK)
    counts.sort()
    return counts[0], counts[len(counts) // 2], calls


def _nothing(*args):
    pass


def run(kernels=None, repeat=5):
    """Print one BENCH line per kernel and tier (and peer), slowest rung first, after the
    unit, the core clock (None where there is no fixed one) and the firmware's identity."""
    print("BENCH_UNIT", repr(timing.UNIT))
    print("BENCH_CLOCK", repr(board.cpu_hz()))
    print("BENCH_BUILD", repr(fastpath.BUILD))
    lo0, med0, calls0 = measure(_nothing, (), repeat)
    for kernel in kernels or sorted(WORKLOADS):
        if kernel not in fastpath.KERNELS:
            continue  # e.g. toggle on unix: no pin
        args, units = workload(kernel)
        tiers = fastpath.KERNELS[kernel]
        rows = [(t, tiers[t]) for t in fastpath.TIERS if t in tiers]
        rows += [(p, _peer(kernel, p)) for p in PEERS.get(kernel, ()) if _peer(kernel, p)]
        for name, f in rows:
            lo, med, calls = measure(f, args, repeat)
            # The empty measurement, scaled to this row's calls; unix's clock, in us, is too
            # coarse to see it, so there it is left in.
            if timing.UNIT != "us":
                lo, med = lo - lo0 * calls // calls0, med - med0 * calls // calls0
            print("BENCH", repr((kernel, name, units, lo, med, calls)))
