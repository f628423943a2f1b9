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

import gc

import fastpath
from fastpath._rng import Rng

GUARD = 7  # guard items on each side of a slice: an odd offset into the backing buffer
EDGE = None  # set by the sender: an EdgeArena on the sanitizer build


def kernel_module(name):
    # fastpath.kernels.<name>: the kernel's declaration and Python rungs (on any board,
    # whether it runs there or not: the host makes a kernel's cases under CPython); or name
    # itself, a declaration of another kind (tests/target/planted.py).
    if not isinstance(name, str):
        return name
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


# The boundary cases: the sizes and values where 32-bit code breaks, from a kernel's
# declaration. Sizes n of sample(r, n): 0, 1, 2, each of the kernel's EDGE_SIZES (where a loop
# changes path) with its neighbours, and the long sizes the host asks for (64 KiB of input,
# and about the largest the target's heap holds: long_sizes()). Each crossed with every input
# buffer as sampled, all 0x00 and all 0xFF (q15 also all 0x7FFF and all 0x8000, where sums
# overflow), and each u32 argument over U32_EDGES, each count over 0 and 1, both with the
# kernel's own EDGE_VALUES for that argument (where a reduction happens, the largest allowed).
U32_EDGES = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
FILLS = {"buffer": (0x00, 0xFF), "bytes": (0x00, 0xFF), "q15": (0, -1, 0x7FFF, -0x8000)}
# An output of more bytes than this is printed as its length and CRC-32 (digest()).
PRINTED = 256


def _inputs(module):
    # [(position, kind)] of the buffers a kernel reads.
    return [(i, a[1]) for i, a in enumerate(module.ARGS) if a[1] in FILLS]


def _values(module):
    # [(position, values)] of the int arguments: their edges and the kernel's own.
    own = getattr(module, "EDGE_VALUES", {})
    out = []
    for i, a in enumerate(module.ARGS):
        edges = U32_EDGES if a[1] == "u32" else (0, 1) if a[1] == "count" else None
        if edges is not None:
            out.append((i, edges + tuple(own.get(a[0], ()))))
    return out


def nbytes(obj):
    # The size of a buffer in bytes, without copying it.
    m = memoryview(obj)
    return len(m) * len(bytes(m[:1]))


def _filled(obj, value):
    # obj with every item set to value: in place (no second buffer of its size), by doubling
    # copies; a read-only obj (bytes) as a bytearray of its size.
    try:
        m = memoryview(obj)
        if len(m):
            m[0] = value
    except TypeError:
        return bytearray(bytes([value]) * len(obj))
    k, n = 1, len(m)
    while k < n:
        c = min(k, n - k)
        m[k:k + c] = m[0:c]
        k += c
    return obj


def _largest():
    # About the largest bytearray the heap can hand out now, in bytes.
    gc.collect()
    lo, hi = 0, gc.mem_free() + 1
    while hi - lo > 256:
        mid = (lo + hi) // 2
        try:
            bytearray(mid)  # made and dropped: the collection below frees it
            lo = mid
        except MemoryError:
            hi = mid
        gc.collect()
    return lo


def long_sizes(name):
    # The long sizes n for kernel name on this target: the first with at least 64 KiB of
    # input, then about the largest whose buffers the heap holds at once with room for a rung
    # to copy its input (py reads any buffer through a copy of its bytes): a third of the free
    # heap, and half its largest free piece; at most 4x the first. Only those the heap allows;
    # none for a kernel that reads no buffer.
    module = kernel_module(name)
    if not _inputs(module):
        return []
    if isinstance(name, str):
        fastpath.KERNELS[name]  # its rungs loaded first: they stay where they are
    args = module.sample(Rng(1), 64)
    size_in = sum(nbytes(args[i]) for i, _ in _inputs(module) if i < len(args))
    sizes = [nbytes(a) for a in args if not isinstance(a, int)]
    args = None
    largest = _largest()
    first = (65536 * 64 + size_in - 1) // size_in
    most = min(4 * first, gc.mem_free() // 3 * 64 // sum(sizes),
               largest // 2 * 64 // max(sizes))
    return [n for n in (first, most) if n <= most]


def boundary(name, sizes, short=True):
    # (args, outputs, guards) of the boundary cases of kernel name (see above); sizes: the
    # long ones, whose buffers are passed as made (no copy in another form: the heap holds
    # one of each); short: also the others.
    module = kernel_module(name)
    inputs = _inputs(module)
    values = _values(module)
    outputs = [i for i, spec in enumerate(module.ARGS) if spec[1].endswith("_out")]
    ns = {0, 1, 2}
    for e in getattr(module, "EDGE_SIZES", ()):
        ns |= {e - 1, e, e + 1}
    fills = max([len(FILLS[k]) for _, k in inputs] + [0])
    combos = max([len(v) for _, v in values] + [1])
    for n in (sorted(ns) if short else []) + list(sizes):
        long = n in sizes
        # 0: as sampled. A long size: as sampled with the values' first edges, and with the
        # kind's last fill (all 0xFF, all -0x8000) and the values' last edges (2**32-1).
        for f in (0, fills) if long and fills else range(fills + 1):
            for j in ((combos - 1) * (f > 0),) if long else range(combos):
                r = Rng(1 + n * 131 + f * 17 + j)  # not 0: see _rng.py
                if EDGE is not None:
                    EDGE.reset()
                args = list(module.sample(r, n))
                for i, kind in inputs:
                    if f and i < len(args):
                        args[i] = _filled(args[i], FILLS[kind][(f - 1) % len(FILLS[kind])])
                for i, vs in values:
                    while len(args) <= i:
                        args.append(module.ARGS[len(args)][2])
                    args[i] = vs[j % len(vs)]
                guards = []
                if not long:
                    for i, spec in enumerate(module.ARGS[:len(args)]):
                        args[i] = vary(r, spec[1], args[i], guards)
                yield args, outputs, guards
                args = guards = None
                if long:
                    gc.collect()  # the heap holds one long case at a time (see run())


def digest(buf):
    # (length, CRC-32) of a buffer's bytes: what a long output prints instead of them.
    try:
        from binascii import crc32
    except ImportError:
        crc32 = None
    if crc32 is None:  # a port without it: zlib's CRC-32 in Python, over a copy
        c = 0xFFFFFFFF
        for b in bytes(buf):
            c ^= b
            for _ in range(8):
                c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
        return (len(bytes(buf)), c ^ 0xFFFFFFFF)
    return (nbytes(buf), crc32(buf) & 0xFFFFFFFF)


def outcome(f, args, outputs, guards, state=None):
    # What a call did, as a value both sides can compare. With state (a kernel's state(): what
    # its calls change besides their arguments, an int), also the bits of it the call flipped.
    before = state() if state else 0
    try:
        ret = f(*args)
    except Exception as e:  # a wrong exception is a result like any other
        return (type(e).__name__, str(e))
    out = []
    for i in outputs:
        b = args[i]
        out.append(bytes(b) if nbytes(b) <= PRINTED else digest(b))
    done = (ret, out, all(g() for g in guards))
    return done + (state() ^ before,) if state else done


def run(name, seed, count, limit=300, sizes=None, short=True, skip=()):
    # Every rung of kernel name (but those in skip) on the same cases, built afresh for each
    # rung: count seeded cases, or with sizes the boundary cases (short: also the short ones).
    rungs = fastpath.KERNELS[name]
    state = getattr(kernel_module(name), "state", None)
    for rung in fastpath.TIERS:
        if rung in rungs and rung not in skip:
            print("RUNG", rung)
            made = cases(name, seed, count, limit) if sizes is None else \
                boundary(name, sizes, short)
            for args, outputs, guards in made:
                print(repr(outcome(rungs[rung], args, outputs, guards, state)))
                # Emptied, not only dropped: the generator's stack may still hold the list,
                # and the next long case needs the room of this one's buffers.
                del args[:]
