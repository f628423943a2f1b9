# The ulab peers, run on the qemu-ulab firmware by tools/peers.py (./inv bench --peers): ulab
# on each kernel's own workload, timed by fastpath.bench.measure exactly as our rungs are
# (minimum of `repeat` runs after a warm-up and a gc.collect(), the empty call subtracted).
# Prints PEER (kernel, peer, units, min, median, calls) and PEER_OUT (kernel, peer, results)
# for the host to put beside our rungs and to check against the kernel's reference (a
# PEER_OUT alone: a peer the bench times, checked here).
# ulab has no CRC (binascii.crc32 is MicroPython's own, in the bench already) and no
# popcount or colour conversion: for those two, the composition of ulab functions a user
# would write (a table lookup and a sum; masks, shifts and a byte swap).

import gc

from ulab import numpy as np

from fastpath import bench


def _row(kernel, name, f, args, units, repeat, empty):
    lo, med, calls = bench.measure(f, args, repeat)
    print("PEER", repr((kernel, name, units, lo - empty, med - empty, calls)))


def fir_q15(repeat, empty):
    # np.convolve is a convolution ("full" mode, always a float result): with the taps
    # reversed, outputs nh - 1 .. nx - 1 of it are our valid correlation outputs before the
    # Q15 rounding. The arrays are made before timing: the figure is the convolution alone.
    (x, h, _), units = _kernel("fir_q15").workload()
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


def _kernel(name):
    # The kernel's module: its workload.
    return getattr(__import__("fastpath.kernels." + name).kernels, name)


# The number of set bits of each byte value, made once as a user would.
_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def ulab_popcount(data):
    # The bytes as a uint8 array (no copy), each looked up in the table, summed.
    return int(np.sum(np.take(_BITS, np.frombuffer(data, dtype=np.uint8))))


def popcount(repeat, empty):
    (data,), units = _kernel("popcount").workload()
    name = "ulab (take from a table, sum)"
    _row("popcount", name, ulab_popcount, (data,), units, repeat, empty)
    print("PEER_OUT", repr(("popcount", name, [ulab_popcount(data)])))


def ulab_rgb565(src, dst):
    # Each channel as a uint16 array (strided views of the bytes, converted), packed with
    # masks and shifts, then stored big-endian.
    a = np.frombuffer(src, dtype=np.uint8)
    r = np.array(a[0::3], dtype=np.uint16)
    g = np.array(a[1::3], dtype=np.uint16)
    b = np.array(a[2::3], dtype=np.uint16)
    v = np.left_shift(r & 0xF8, 8) | np.left_shift(g & 0xFC, 3) | np.right_shift(b, 3)
    dst[:] = v.byteswap().tobytes()


def rgb565(repeat, empty):
    (src, dst), units = _kernel("rgb565").workload()
    name = "ulab (masks, shifts, byteswap)"
    _row("rgb565", name, ulab_rgb565, (src, dst), units, repeat, empty)
    ulab_rgb565(src, dst)
    print("PEER_OUT", repr(("rgb565", name, [dst[2 * i] << 8 | dst[2 * i + 1]
                                             for i in range(len(dst) // 2)])))


def crc32():
    # MicroPython's own binascii.crc32 is timed by the bench (the kernel's PEERS): here only
    # its result, for the host to check.
    import binascii

    (data,), _ = _kernel("crc32").workload()
    print("PEER_OUT", repr(("crc32", "binascii.crc32", [binascii.crc32(data)])))


def run(repeat=5):
    empty = bench.measure(bench._nothing, (), repeat)[0]
    import ulab

    print("PEER_VERSION", repr(("ulab", ulab.__version__)))
    crc32()
    fir_q15(repeat, empty)
    popcount(repeat, empty)
    rgb565(repeat, empty)
