"""The ladder measured on the board itself: fastpath.bench.run() times every rung present.

It prints `BENCH_UNIT` (what a count is) and `BENCH_RUNGS` (the ladder), `BENCH_HEAP` (the
heap a kernel's first use took: 0 if it was loaded already), then one line
`BENCH (kernel, rung, units, min, median, calls, unit, workload)` per kernel and rung for the
host (tools/bench.py) to collect: min and median are in timing.UNIT for `calls` calls of the
rung on the kernel's own workload (its workload(), UNIT and WORKLOAD), after a warm-up pass
and a gc.collect() before every pass, so a collection never lands inside a measurement. The
measurement's own cost (reading the clock, the loop, a call with the kernel's arguments) is
measured on a function that does nothing and subtracted; what a rung costs to call (its
argument checks) stays in its figure. A kernel's PEERS (MicroPython's own implementations of
it, "module.function") are timed beside its rungs.

A figure belongs to its kernel alone: the host resets the interpreter before each kernel
(tools/bench.py), and nothing here allocates between the clock's two readings.
"""

import gc

import fastpath

from . import board, timing

# On unix the clock ticks in microseconds: repeat cheap calls inside one measurement until
# it lasts at least this many ticks, so the resolution is well under 1%.
_MIN_TICKS = 20000


def _peer(name):
    # The function "module.function", or None where this firmware lacks it.
    module, _, function = name.partition(".")
    try:
        return getattr(__import__(module), function)
    except (ImportError, AttributeError):
        return None


def measure(f, args, repeat):
    """(min, median, calls) of f(*args) over repeat measurements, in timing.UNIT."""
    # f is called with its arguments spelt out, inside this function: a call through *args
    # builds its argument array on the heap, and a call of a helper may build its frame
    # there, and what an allocation costs depends on how the heap is laid out.
    n = len(args)
    if n > 4:
        raise ValueError("the bench calls a kernel with at most 4 arguments")
    a, b, c, d = tuple(args) + (None,) * (4 - n)
    calls = 1
    if timing.UNIT == "us":
        f(*args)
        while True:
            t = timing.start()
            for _ in range(calls):
                f(*args)
            if timing.ticks_diff(timing.ticks(), t) >= _MIN_TICKS or calls >= 1 << 20:
                break
            calls *= 4
    counts = [0] * repeat  # made before: a list that grew would move the heap between passes
    # The first pass is the warm-up (it fills the interpreter's caches) and is not kept, so
    # that every kept measurement follows the very same code: the bookkeeping of the pass
    # before. (A warm-up call before the loop left the lookup cache warmer for the first
    # measurement than for the others: 520 instructions fewer on every Python rung.)
    for i in range(repeat + 1):
        gc.collect()
        # ticks() in a finally: on the emulator start() masks interrupts until it runs.
        t = timing.start()
        try:
            for _ in range(calls):
                if n == 2:
                    f(a, b)
                elif n == 1:
                    f(a)
                elif n == 3:
                    f(a, b, c)
                elif n == 4:
                    f(a, b, c, d)
                else:
                    f()
        finally:
            end = timing.ticks()
        if i:
            counts[i - 1] = timing.ticks_diff(end, t) * timing.PER_TICK
    counts.sort()
    return counts[0], counts[len(counts) // 2], calls


def _nothing(a=None, b=None, c=None, d=None):
    # The empty call, measured with a kernel's own arguments: what the measurement itself
    # costs (the clock, the loop, the call), subtracted from the kernel's figures.
    pass


def run(kernels=None, repeat=5):
    """Print one BENCH line per kernel and rung (and peer), slowest rung first, after the
    unit, the core clock (None where there is no fixed one) and the firmware's identity."""
    print("BENCH_UNIT", repr(timing.UNIT))
    print("BENCH_RUNGS", repr(fastpath.TIERS))
    print("BENCH_CLOCK", repr(board.cpu_hz()))
    print("BENCH_BUILD", repr(fastpath.BUILD))
    for kernel in kernels or sorted(fastpath.KERNELS):
        if kernel not in fastpath.KERNELS:
            continue  # e.g. a kernel that needs a pin, on unix
        gc.collect()
        heap = gc.mem_alloc()
        rungs = fastpath.KERNELS[kernel]  # imports the kernel, on its first use
        gc.collect()
        print("BENCH_HEAP", repr((kernel, gc.mem_alloc() - heap)))
        module = getattr(fastpath.kernels, kernel)
        args, units = module.workload()
        lo0, med0, calls0 = measure(_nothing, args, repeat)
        rows = [(t, rungs[t]) for t in fastpath.TIERS if t in rungs]
        rows += [(p, _peer(p)) for p in getattr(module, "PEERS", ()) if _peer(p)]
        for name, f in rows:
            lo, med, calls = measure(f, args, repeat)
            # The empty measurement, scaled to this row's calls; unix's clock, in us, is too
            # coarse to see it, so there it is left in.
            if timing.UNIT != "us":
                lo, med = lo - lo0 * calls // calls0, med - med0 * calls // calls0
            row = (kernel, name, units, lo, med, calls, module.UNIT, module.WORKLOAD)
            print("BENCH", repr(row))


def once(kernel, rung):
    """One measurement of the empty call, then one of kernel's rung (or peer) on its workload,
    each taken as run() takes it. The host's profiler (tools/profile.py) counts inside the
    emulator what runs in each, and checks its counts against the figures printed here:
    `PROFILE (kernel, rung, units, empty, count, unit)`, empty and count in timing.UNIT; the
    bench's figure for the rung is count - empty."""
    rungs = fastpath.KERNELS[kernel]
    module = getattr(fastpath.kernels, kernel)
    args, units = module.workload()
    f = rungs.get(rung) or (_peer(rung) if rung in getattr(module, "PEERS", ()) else None)
    if f is None:
        raise ValueError("{} has no rung {} on this board".format(kernel, rung))
    empty = measure(_nothing, args, 1)[0]
    count = measure(f, args, 1)[0]
    print("PROFILE", repr((kernel, rung, units, empty, count, module.UNIT)))
