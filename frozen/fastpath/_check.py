"""Argument checks shared by every Python tier, with the messages of docs/kernels.md.

Each check takes a kernel's arguments in order, raises the contract's exception for the first
bad one, and returns one int (a tuple would allocate). On MicroPython the buffer queries are
the C helpers `_fastpath.nbytes` and `_fastpath.typecode`, so a check that passes allocates
nothing. Without `_fastpath` (CPython, a stock MicroPython binary) the same two queries are
answered through memoryview, which allocates: development only.
"""

try:
    from micropython import const
except ImportError:  # CPython: only py and opt run; emitter decorators and viper casts are no-ops

    def const(x):
        return x

    class micropython:
        native = viper = asm_thumb = staticmethod(lambda f: f)

    uint = ptr = ptr8 = ptr16 = ptr32 = int


_TC_BYTEARRAY = const(1)  # MicroPython's buffer typecode of bytearray: plain bytes
_TC_B = const(0x42)  # ord("B")
_TC_b = const(0x62)  # ord("b")
_TC_h = const(0x68)  # ord("h")


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


def _data(data):
    # Raw byte length of data; str has a buffer in MicroPython but is not one here.
    if isinstance(data, str):
        raise TypeError("data must be a buffer")
    return nbytes(data)


def _q15(obj, name, writable):
    # Length in items of an array('h') (or memoryview of one).
    if isinstance(obj, str) or typecode(obj, writable) != _TC_h:
        raise TypeError(name + " must be array('h')")
    return nbytes(obj) >> 1


def _bytes(obj, writable):
    # True if obj is a buffer of bytes: typecode "B" or "b".
    if isinstance(obj, str):
        return False
    tc = typecode(obj, writable)
    return tc == _TC_B or tc == _TC_BYTEARRAY or tc == _TC_b


_CAST = hasattr(memoryview, "cast")  # CPython


def u8(dst):
    # dst as something that stores 0..255 into each byte. MicroPython's array("b") already
    # does (a store keeps the low 8 bits): dst itself. CPython's raises OverflowError: a
    # memoryview of dst cast to "B".
    if _CAST and typecode(dst) == _TC_b:
        return memoryview(dst).cast("B")
    return dst


def crc32(data, crc):
    # Checks crc32(data, crc); returns the byte length of data.
    n = _data(data)
    if not isinstance(crc, int) and not isinstance(crc, bool):  # MicroPython: bool is no int
        raise TypeError("crc must be an int")
    if crc < 0 or crc > 0xFFFFFFFF:
        raise ValueError("crc must be in range 0..0xFFFFFFFF")
    return n


def popcount(data):
    # Checks popcount(data); returns the byte length of data.
    return _data(data)


def fir_q15(x, h, y):
    # Checks fir_q15(x, h, y); returns n = len(x) - len(h) + 1, the number of outputs.
    nx = _q15(x, "x", False)
    nh = _q15(h, "h", False)
    ny = _q15(y, "y", True)
    if nh == 0:
        raise ValueError("h must not be empty")
    if nx < nh:
        raise ValueError("x must be at least as long as h")
    n = nx - nh + 1
    if ny < n:
        raise ValueError("y is too short")
    return n


def rgb565(src, dst):
    # Checks rgb565(src, dst); returns the number of pixels.
    if not _bytes(src, False):
        raise TypeError("src must be a byte buffer")
    if not _bytes(dst, True):
        raise TypeError("dst must be a writable byte buffer")
    ns = nbytes(src)
    if ns % 3:
        raise ValueError("src length must be a multiple of 3")
    if nbytes(dst) != ns // 3 * 2:
        raise ValueError("dst length must be 2/3 of src length")
    return ns // 3
