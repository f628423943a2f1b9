"""The argument contract of the kernels: the kinds of argument, their checks and messages.

A kernel declares its arguments once, in ARGS: one (name, kind) or (name, kind, default) per
positional argument. Its Python rungs check them through the functions here, which raise the
messages of docs/kernels.md (the C bindings raise the same); the tests and the fuzzer read
ARGS to make good and bad arguments. The kinds:

    buffer     any object with the buffer protocol (its raw bytes); not str
    bytes      a buffer of bytes: typecode "B" or "b" (bytes, bytearray, array("B"), ...)
    bytes_out  the same, writable
    q15        array("h") or a memoryview of one
    q15_out    the same, writable
    u32        an int (bool and int subclasses count) in 0..0xFFFFFFFF
    count      an int >= 0

Each check returns one int (a tuple would allocate): a buffer's length in its items. On
MicroPython the buffer queries are the C helpers `_fastpath.nbytes` and `_fastpath.typecode`,
so a check that passes allocates nothing. Without `_fastpath` (CPython, a stock MicroPython
binary) they are answered through memoryview, which allocates: development only.
"""

try:
    from micropython import const
except ImportError:
    from ._cpython import const

_TC_BYTEARRAY = const(1)  # MicroPython's buffer typecode of bytearray: plain bytes
_TC_B = const(0x42)  # ord("B")
_TC_b = const(0x62)  # ord("b")
_TC_h = const(0x68)  # ord("h")
_TC_f = const(0x66)  # ord("f")
_TC_d = const(0x64)  # ord("d")


try:
    from _fastpath import nbytes, typecode
except ImportError:

    def _view(obj):
        # A memoryview of obj, or None when obj has no (contiguous) buffer.
        try:
            m = memoryview(obj)
        except TypeError:
            return None
        if not getattr(m, "contiguous", True):
            return None
        return m

    def nbytes(obj):
        # Raw byte length of a buffer, as _fastpath.nbytes.
        m = None if isinstance(obj, str) else _view(obj)
        if m is None:
            raise TypeError("data must be a buffer")
        n = getattr(m, "nbytes", None)  # CPython
        if n is None:  # MicroPython: no itemsize attribute; measure one item
            n = len(m)
            if n:
                n *= len(bytes(m[:1]))
        return n

    try:
        from array import array

        # Empty arrays to compare against: MicroPython's array == array raises
        # NotImplementedError unless both typecodes are the same letter up to case, and
        # array < array also raises when both are signed. That reveals a memoryview's typecode.
        _PROBES = [array(c) for c in "bhilq"]
    except ValueError:
        _PROBES = [array(c) for c in "bhil"]  # no 64-bit typecodes on this build

    def _letter(m):
        # Typecode of memoryview m as a small int.
        f = getattr(m, "format", None)  # CPython: "h", "<h", "@h", "B", ...
        if f is not None:
            if len(f) == 2 and f[0] in "@=<":
                f = f[1]
            return ord(f) if len(f) == 1 else 0
        for probe in _PROBES:
            try:
                m == probe  # noqa: B015 (evaluated for the exception only)
            except NotImplementedError:
                continue
            code = ord(repr(probe)[7])
            try:
                m < probe  # noqa: B015
            except NotImplementedError:
                return code  # both signed
            return code - 0x20  # upper case: unsigned
        return ord("f") if len(m) and len(bytes(m[:1])) == 4 else ord("d")

    def typecode(obj, writable=False):
        # The buffer's typecode as a small int (None without a suitable buffer), as
        # _fastpath.typecode.
        m = _view(obj)
        if m is None:
            return None
        if writable:
            try:
                m[0:0] = m[0:0]  # raises TypeError on a read-only buffer, a no-op otherwise
            except TypeError:
                return None
        return _letter(m)


def buffer(obj, name):
    # Kind "buffer": returns the raw byte length. (str has a buffer in MicroPython; not here.)
    if isinstance(obj, str):
        raise TypeError(name + " must be a buffer")
    try:
        return nbytes(obj)
    except TypeError:
        raise TypeError(name + " must be a buffer")


def byte_items(obj, writable=False):
    # True if obj is a buffer of bytes (typecode "B" or "b"), writable if asked.
    if isinstance(obj, str):
        return False
    tc = typecode(obj, writable)
    return tc == _TC_B or tc == _TC_BYTEARRAY or tc == _TC_b


def float_items(obj):
    # True if obj is a buffer of floats or doubles.
    tc = typecode(obj)
    return tc == _TC_f or tc == _TC_d


def bytes_in(obj, name):
    # Kind "bytes": returns the length in bytes.
    if not byte_items(obj):
        raise TypeError(name + " must be a byte buffer")
    return nbytes(obj)


def bytes_out(obj, name):
    # Kind "bytes_out": returns the length in bytes.
    if not byte_items(obj, True):
        raise TypeError(name + " must be a writable byte buffer")
    return nbytes(obj)


def q15(obj, name, writable=False):
    # Kinds "q15" and (writable) "q15_out": returns the length in items.
    if isinstance(obj, str) or typecode(obj, writable) != _TC_h:
        raise TypeError(name + " must be array('h')")
    return nbytes(obj) >> 1


def u32(obj, name):
    # Kind "u32". MicroPython's bool is no int subclass: it is let through by name.
    if not isinstance(obj, int) and not isinstance(obj, bool):
        raise TypeError(name + " must be an int")
    if obj < 0 or obj > 0xFFFFFFFF:
        raise ValueError(name + " must be in range 0..0xFFFFFFFF")
    return obj


def count(obj, name):
    # Kind "count".
    if not isinstance(obj, int):
        raise TypeError(name + " must be an int")
    if obj < 0:
        raise ValueError(name + " must be >= 0")
    return obj


_CAST = hasattr(memoryview, "cast")  # CPython


def u8(dst):
    # dst as something that stores 0..255 into each byte. MicroPython's array("b") already
    # does (a store keeps the low 8 bits): dst itself. CPython's raises OverflowError: a
    # memoryview of dst cast to "B".
    if _CAST and typecode(dst) == _TC_b:
        return memoryview(dst).cast("B")
    return dst
