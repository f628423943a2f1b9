"""Argument fuzzing of every kernel tier, run inside MicroPython.

The program below (FUZZ) runs on the target. For each generated argument list it calls every
tier of a kernel with its own copy of any output buffer, and checks:
- each call returns or raises TypeError/ValueError, nothing else;
- every tier agrees with the py tier: the same result and output bytes, or the same
  exception type and message;
- no input buffer changed.
A crash kills the process (UnixTarget raises TargetError naming the signal) and a hang times
out; either way the seed reproduces it. Arguments mix None, ints (small, negative, 2**31,
2**64), floats, str, list, tuple, bytes, bytearray, memoryview slices at odd offsets,
read-only views, and arrays of every typecode, with lengths 0, 1, odd, around powers of two
and, now and then, huge.
"""

FUZZ = r'''
import fastpath
from array import array

TYPECODES = "bBhHiIlLqQfd"
try:
    array("q")
except ValueError:
    TYPECODES = "bBhHiIlLfd"


class Rng:
    def __init__(self, seed, huge):
        self.x = seed & 0x7FFFFFFF
        self.huge = huge

    def next(self):
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return self.x

    def below(self, n):
        return self.next() % n if n > 0 else 0

    def length(self):
        k = self.below(16)
        if k < 4:
            return k  # 0..3
        if k < 8:
            return max(0, (1 << self.below(10)) + self.below(3) - 1)
        if k < 15:
            return self.below(300)
        return 1000 + self.below(1000) if self.below(40) else self.huge  # rarely, huge


def byte_data(r, n):
    return bytearray(r.next() >> 23 for _ in range(n))


def an_array(r, code, n):
    a = array(code)
    for _ in range(n):
        v = r.next()
        if code in "fd":
            a.append((v - 0x40000000) / 1024)
        elif code == "b":
            a.append((v >> 8) % 256 - 128)
        elif code == "B":
            a.append((v >> 8) % 256)
        elif code == "h":
            a.append((v >> 8) % 65536 - 32768)
        elif code == "H":
            a.append((v >> 8) % 65536)
        elif code in "iIlLqQ":
            a.append((v >> 1) % 30000 - (15000 if code in "ilq" else 0))
    return a


def odd_view(r, buf):
    # A memoryview slice starting at an odd offset, sometimes shortened at the end too.
    n = len(buf)
    start = min(n, 1 + 2 * r.below(2))
    end = n - r.below(3) if n > start + 3 else n
    return memoryview(buf)[start:end]


def junk(r):
    k = r.below(12)
    return (None, 0, -1, 2 ** 31, 2 ** 64, 1.5, "abc", "", [1, 2, 3], (1, 2), {1: 2},
            object())[k]


def a_buffer(r, want=None):
    # A buffer of some kind; want names a typecode to favour.
    n = r.length()
    k = r.below(8)
    if want and k < 4:
        a = an_array(r, want, n)
        return odd_view(r, a) if k == 3 else a
    if k == 4:
        return bytes(byte_data(r, n))
    if k == 5:
        return odd_view(r, byte_data(r, n + 3))
    if k == 6:
        return an_array(r, TYPECODES[r.below(len(TYPECODES))], n)
    return byte_data(r, n)


def arg(r, want=None):
    return junk(r) if r.below(8) == 0 else a_buffer(r, want)


def args_for(r, kernel):
    if kernel == "crc32":
        data = arg(r)
        k = r.below(10)
        if k < 5:
            return (data,), None
        crc = (0, 1, 0xFFFFFFFF, r.next() * 2 + 1, -1, 2 ** 32, 1.0, None, "1", 2 ** 100)[k]
        return (data, crc & 0xFFFFFFFF if k == 3 else crc), None
    if kernel == "popcount":
        return (arg(r),), None
    if kernel == "fir_q15":
        if r.below(2):  # well-formed, so the kernels run: random lengths and values
            x = an_array(r, "h", 1 + r.length())
            h = an_array(r, "h", 1 + r.below(min(len(x), 64)))
            n = len(x) - len(h) + 1
            if r.below(4) == 0:
                x = odd_view(r, an_array(r, "h", len(x) + 4))
                n = max(0, len(x) - len(h) + 1)
            y = array("h", bytes(2 * (n + r.below(3))))
            return (x, h, y), 2
        x = arg(r, "h")
        h = arg(r, "h")
        try:
            n = len(x) - len(h) + 1
        except TypeError:
            n = 4
        m = max(0, n + r.below(3) - 1)
        k = r.below(6)
        y = (array("h", bytes(2 * m)) if k < 3 else
             memoryview(array("h", bytes(2 * m + 2)))[1:] if k == 3 else arg(r, "h"))
        return (x, h, y), 2
    if kernel == "rgb565":
        if r.below(2):  # well-formed
            n = r.length() // 3 * 3
            k = r.below(4)
            src = (byte_data(r, n) if k == 0 else bytes(byte_data(r, n)) if k == 1 else
                   an_array(r, "B", n) if k == 2 else odd_view(r, byte_data(r, n + 4)))
            n = len(src) // 3 * 3
            src = memoryview(src)[:n]
            return (src, bytearray(n // 3 * 2)), 1
        src = arg(r, "B")
        try:
            n = len(src) // 3 * 2
        except TypeError:
            n = 2
        k = r.below(8)
        dst = (bytearray(n) if k < 4 else bytes(n) if k == 4 else
               memoryview(bytearray(n + 1))[1:] if k == 5 else bytearray(n + 1) if k == 6
               else arg(r, "B"))
        return (src, dst), 1


def snapshot(x):
    # The raw bytes of a buffer, to tell whether a call changed it (None for non-buffers).
    if isinstance(x, (str, int, float, list, tuple, dict)) or x is None:
        return None
    try:
        return bytes(x) if isinstance(x, (bytes, bytearray)) else bytes(memoryview(x))
    except (TypeError, ValueError):
        return None


def fresh(x):
    # A copy of an output argument, so each tier writes into its own.
    if isinstance(x, bytearray):
        return bytearray(x)
    if isinstance(x, array):
        return x[:]
    return x  # bytes, junk, or a memoryview: every tier writes through the same view


def outcome(f, args):
    try:
        return ("ok", f(*args))
    except (TypeError, ValueError) as e:
        return (type(e).__name__, str(e))
    except Exception as e:
        return ("BAD " + type(e).__name__, str(e))


def fuzz(seed, rounds, kernels=None, huge=65537):
    # huge: the largest length tried, to suit the target's heap.
    r = Rng(seed, huge)
    calls = 0
    valid = 0  # calls that returned: the fuzz must reach the kernels, not only the checks
    failures = []
    names = kernels or sorted(fastpath.KERNELS)
    for i in range(rounds):
        kernel = names[i % len(names)]
        if kernel not in ("crc32", "fir_q15", "popcount", "rgb565"):
            continue
        args, out_index = args_for(r, kernel)
        before = [snapshot(a) for a in args]
        results = {}
        for tier in fastpath.TIERS:
            f = fastpath.KERNELS[kernel].get(tier)
            if f is None:
                continue
            call_args = list(args)
            if out_index is not None:
                call_args[out_index] = fresh(args[out_index])
            res = outcome(f, call_args)
            calls += 1
            valid += res[0] == "ok"
            written = snapshot(call_args[out_index]) if out_index is not None else None
            results[tier] = (res, written if res[0] == "ok" else None)
            for j, a in enumerate(args):
                if j != out_index and snapshot(a) != before[j]:
                    failures.append((seed, i, kernel, tier, "changed input {}".format(j)))
            if res[0].startswith("BAD"):
                failures.append((seed, i, kernel, tier, res))
        ref = results.get("py")
        for tier, got in results.items():
            if got != ref:
                failures.append((seed, i, kernel, tier, "py gave {!r}, {} gave {!r}".format(
                    ref, tier, got)))
        if len(failures) > 20:
            break
    print("CALLS", calls)
    print("VALID", valid)
    print("FAILURES", len(failures))
    for f in failures[:20]:
        print("FAIL", repr(f))
'''


def run(target, seed, rounds, kernels=None, huge=65537, timeout=900):
    """(calls, valid calls, failure lines) of one fuzz run on target."""
    out = target.run(
        FUZZ + "\nfuzz({}, {}, {!r}, {})\n".format(seed, rounds, kernels, huge),
        timeout=timeout,
    )
    calls = int(out.split("CALLS ", 1)[1].split()[0])
    valid = int(out.split("VALID ", 1)[1].split()[0])
    fails = [line for line in out.splitlines() if line.startswith("FAIL ")]
    return calls, valid, fails
