# The ulab peers, run on the qemu-ulab firmware by tools/peers.py (./inv bench --peers): ulab
# on each kernel's own workload, timed by fastpath.bench.measure exactly as our rungs are
# (minimum of `repeat` runs after a warm-up and a gc.collect(), the empty call subtracted).
# Prints PEER (kernel, peer, units, min, median, calls) and PEER_OUT (kernel, peer, results)
# for the host to put beside our rungs and to check against the kernel's reference.
# ulab offers nothing for crc32 (binascii.crc32 is MicroPython's own, in the bench already),
# popcount or rgb565: only fir_q15 has a ulab peer, np.convolve.

import gc
import sys

from ulab import numpy as np

import fastpath
from fastpath import bench


def _row(kernel, name, f, args, units, repeat, empty):
    lo, med, calls = bench.measure(f, args, repeat)
    print("PEER", repr((kernel, name, units, lo - empty, med - empty, calls)))


def fir_q15(repeat, empty):
    # np.convolve is a convolution ("full" mode, always a float result): with the taps
    # reversed, outputs nh - 1 .. nx - 1 of it are our valid correlation outputs before the
    # Q15 rounding. The arrays are made before timing: the figure is the convolution alone.
    fastpath.KERNELS["fir_q15"]  # imports the kernel's module
    (x, h, _), units = sys.modules["fastpath.fir_q15"].workload()
    taps = list(h)
    taps.reverse()
    for name, dtype in (("ulab.numpy.convolve(int16)", np.int16),
                        ("ulab.numpy.convolve(float)", np.float)):
        a = np.array(x, dtype=dtype)
        b = np.array(taps, dtype=dtype)
        gc.collect()
        _row("fir_q15", name, np.convolve, (a, b), units, repeat, empty)
        out = np.convolve(a, b)
        # Each sum as a float is a whole number: print it as an int, exactly.
        print("PEER_OUT", repr(("fir_q15", name, [int(out[i]) for i in range(len(h) - 1,
                                                                               len(x))])))


def run(repeat=5):
    empty = bench.measure(bench._nothing, (), repeat)[0]
    import ulab

    print("PEER_VERSION", repr(("ulab", ulab.__version__)))
    fir_q15(repeat, empty)
