# The argument contract as a test oracle: for each kind of argument (fastpath/_args.py), values
# that are not of it and the exception each must raise, as docs/kernels.md states them ("{}"
# is the argument's name). bad_calls() makes a kernel's valid sample wrong in one argument at a
# time and prints what every rung raised; the host compares that with these expectations.

from array import array

import fastpath
from fastpath._rng import Rng

_TYPE_BUFFER = ("TypeError", "{} must be a buffer")
_TYPE_BYTES = ("TypeError", "{} must be a byte buffer")
_TYPE_BYTES_OUT = ("TypeError", "{} must be a writable byte buffer")
_TYPE_Q15 = ("TypeError", "{} must be array('h')")
_TYPE_INT = ("TypeError", "{} must be an int")
_RANGE_U32 = ("ValueError", "{} must be in range 0..0xFFFFFFFF")

JUNK = {
    "buffer": [(None, _TYPE_BUFFER), (12, _TYPE_BUFFER), (1.5, _TYPE_BUFFER),
               ("text", _TYPE_BUFFER), ([1, 2], _TYPE_BUFFER), ((1, 2), _TYPE_BUFFER)],
    "bytes": [(None, _TYPE_BYTES), ("abc", _TYPE_BYTES), ([1, 2, 3], _TYPE_BYTES),
              (array("h", [1, 2, 3]), _TYPE_BYTES), (array("i", [1, 2, 3]), _TYPE_BYTES)],
    "bytes_out": [(None, _TYPE_BYTES_OUT), (b"xy", _TYPE_BYTES_OUT), ("ab", _TYPE_BYTES_OUT),
                  (memoryview(b"xy"), _TYPE_BYTES_OUT), (array("H", [0]), _TYPE_BYTES_OUT),
                  ([0, 0], _TYPE_BYTES_OUT)],
    "q15": [(None, _TYPE_Q15), ([1, 2, 3], _TYPE_Q15), (array("H", [1, 2]), _TYPE_Q15),
            (bytearray(4), _TYPE_Q15), ((1, 2), _TYPE_Q15), (array("i", [1]), _TYPE_Q15)],
    "q15_out": [(None, _TYPE_Q15), (bytearray(2), _TYPE_Q15), ("ab", _TYPE_Q15),
                (array("H", [0]), _TYPE_Q15), ([0, 0], _TYPE_Q15)],
    "u32": [(None, _TYPE_INT), (1.0, _TYPE_INT), ("1", _TYPE_INT), (-1, _RANGE_U32),
            (1 << 32, _RANGE_U32), (1 << 100, _RANGE_U32)],
    "count": [(None, _TYPE_INT), (1.5, _TYPE_INT), ("3", _TYPE_INT),
              (-1, ("ValueError", "{} must be >= 0"))],
}


def bad_calls(name, seed=1):
    # (position, junk index, args) for every argument of kernel name and every junk value of
    # its kind, the other arguments valid.
    module = getattr(__import__("fastpath.kernels." + name).kernels, name)
    good = list(module.sample(Rng(seed), 8))
    for i, spec in enumerate(module.ARGS):
        for j, (value, _) in enumerate(JUNK[spec[1]]):
            args = good[:]
            while len(args) <= i:
                args.append(spec[2])  # a default, so that position i exists
            args[i] = value
            yield i, j, args


def expected(name, seed=1):
    # "Type: message" for each of bad_calls(name), in order.
    module = getattr(__import__("fastpath.kernels." + name).kernels, name)
    out = []
    for i, j, _ in bad_calls(name, seed):
        spec = module.ARGS[i]
        exc, message = JUNK[spec[1]][j][1]
        out.append("{}: {}".format(exc, message.format(spec[0])))
    return out


def raised(f, args):
    # "Type: message" of what f(*args) raised, or "no exception".
    try:
        f(*args)
    except Exception as e:
        return "{}: {}".format(type(e).__name__, e)
    return "no exception"


def run_bad(name, seed=1, extra=()):
    # Every rung on every bad call (and on each argument tuple of extra), one line each:
    # repr((rung, outcome, outputs unchanged)).
    module = getattr(__import__("fastpath.kernels." + name).kernels, name)
    outs = [i for i, spec in enumerate(module.ARGS) if spec[1].endswith("_out")]
    rungs = fastpath.KERNELS[name]
    calls = [args for _, _, args in bad_calls(name, seed)] + [list(a) for a in extra]
    for rung in fastpath.TIERS:
        if rung in rungs:
            for args in calls:
                args = [a[:] if isinstance(a, (bytearray, array)) else a for a in args]
                before = [_raw(args[i]) if i < len(args) else None for i in outs]
                what = raised(rungs[rung], args)
                after = [_raw(args[i]) if i < len(args) else None for i in outs]
                print(repr((rung, what, before == after)))


def _raw(obj):
    try:
        return bytes(obj)
    except Exception:
        return None
