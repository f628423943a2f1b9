# Every rung of a kernel over the same seeded cases: the program the tests send to a target.
#
# It runs unchanged on MicroPython (the target) and on CPython (the host, which imports it to
# make the very same cases and compute their references): nothing but a kernel's name and a
# seed crosses the wire. A case is a kernel's sample() at a length from the shared generator
# (fastpath._rng), each buffer then put in another form its kind allows (another typecode of
# the same bytes, a memoryview slice at an odd offset) inside a backing buffer with guard
# items around it that no rung may change. With EDGE set (the sanitizer build) some buffers
# are cut from the very end of the GC heap instead, where one byte more is a sanitizer report.
#
# Prints one line per rung ("RUNG name") and one repr()'d result per case under it:
# (return value, raw bytes of each output, guards intact) or ("TypeError", message).

import fastpath
from fastpath._rng import Rng

GUARD = 7  # guard items on each side of a slice: an odd offset into the backing buffer
EDGE = None  # set by the sender: an EdgeArena on the sanitizer build


def kernel_module(name):
    # fastpath.kernels.<name>: the kernel's declaration and Python rungs (on any board,
    # whether it runs there or not: the host makes a kernel's cases under CPython).
    return getattr(__import__("fastpath.kernels." + name).kernels, name)


def _array(typecode, n):
    from array import array

    return array(typecode, bytes(n * (2 if typecode in "hH" else 4 if typecode in "iI" else 1)))


class Slice:
    # items (a buffer) copied into the middle of a larger buffer of the given typecode, with
    # guard items around it; view is the memoryview of the copy.
    def __init__(self, typecode, items):
        raw = bytes(items)
        size = 2 if typecode in "hH" else 4 if typecode in "iI" else 1
        n = len(raw) // size
        self.backing = _array(typecode, n + 2 * GUARD)
        for i in range(GUARD):
            self.backing[i] = 0x5A
            self.backing[GUARD + n + i] = 0x5A
        self.view = memoryview(self.backing)[GUARD:GUARD + n]
        memoryview(self.backing)[GUARD:GUARD + n] = _raw_as(typecode, raw)
        self.n = n

    def ok(self):
        b = self.backing
        for i in range(GUARD):
            if b[i] != 0x5A or b[GUARD + self.n + i] != 0x5A:
                return False
        return True


def _raw_as(typecode, raw):
    # raw bytes as an array of typecode (the same bytes, other items).
    from array import array

    return array(typecode, raw)


def vary(r, kind, obj, guards):
    # obj in another form its kind allows, chosen by r, with the same raw bytes (and so the
    # same answer). A guarded slice appends its check to guards.
    from array import array

    if kind not in ("buffer", "bytes", "bytes_out", "q15", "q15_out"):
        return obj  # numbers: as they are
    raw = bytes(obj)
    pick = r.below(8)
    if kind in ("buffer", "bytes", "bytes_out"):
        if EDGE is not None and pick == 7 and EDGE.free:
            return EDGE.bytes_at_end(raw)
        if pick < 3:
            s = Slice("Bb"[pick & 1], raw)
            guards.append(s.ok)
            return s.view
        if pick == 3:
            return array("b", raw)
        if pick == 4:
            return array("B", raw)
        if kind == "buffer" and pick == 5 and len(raw) % 2 == 0:
            return array("H", raw)
        if kind == "buffer" and pick == 6 and len(raw) % 4 == 0:
            return array("i", raw)
        if kind == "bytes" and pick == 5:
            return raw
        return bytearray(raw)
    if kind in ("q15", "q15_out"):
        if EDGE is not None and pick == 7 and EDGE.free:
            return EDGE.q15_at_end(raw)
        if pick < 4:
            s = Slice("h", raw)
            guards.append(s.ok)
            return s.view
    return array("h", raw)


def cases(name, seed, count, limit=300):
    # (args, outputs, guards) for count cases of kernel name; args is a list.
    module = kernel_module(name)
    r = Rng(seed)
    for _ in range(count):
        if EDGE is not None:
            EDGE.reset()
        args = list(module.sample(r, r.length(limit)))
        guards = []
        for i, spec in enumerate(module.ARGS[:len(args)]):
            args[i] = vary(r, spec[1], args[i], guards)
        outputs = [i for i, spec in enumerate(module.ARGS) if spec[1].endswith("_out")]
        yield args, outputs, guards


def outcome(f, args, outputs, guards, state=None):
    # What a call did, as a value both sides can compare. With state (a kernel's state(): what
    # its calls change besides their arguments, an int), also the bits of it the call flipped.
    before = state() if state else 0
    try:
        ret = f(*args)
    except Exception as e:  # a wrong exception is a result like any other
        return (type(e).__name__, str(e))
    done = (ret, [bytes(args[i]) for i in outputs], all(g() for g in guards))
    return done + (state() ^ before,) if state else done


def run(name, seed, count, limit=300):
    # Every rung of kernel name on the same cases, built afresh for each rung.
    rungs = fastpath.KERNELS[name]
    state = getattr(kernel_module(name), "state", None)
    for tier in fastpath.TIERS:
        if tier in rungs:
            print("RUNG", tier)
            for args, outputs, guards in cases(name, seed, count, limit):
                print(repr(outcome(rungs[tier], args, outputs, guards, state)))
