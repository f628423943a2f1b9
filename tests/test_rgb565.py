"""rgb565's reference and its own tests; tests/test_kernels.py gives it the rest (every rung
against `reference` on every target, the contract's errors, no allocation, the fuzz)."""


def reference(src, dst):
    # Per pixel with CPython's int.to_bytes, written into dst.
    raw = bytes(memoryview(src).cast("B"))
    out = bytearray()
    for i in range(0, len(raw), 3):
        r, g, b = raw[i], raw[i + 1], raw[i + 2]
        v = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
        out += v.to_bytes(2, "big")
    memoryview(dst).cast("B")[:] = out
    return None


# Wrong values of the right kind (the kinds' errors come from ARGS).
BAD = [
    ((b"abcd", bytearray(2)), "ValueError: src length must be a multiple of 3"),
    ((b"ab", bytearray(0)), "ValueError: src length must be a multiple of 3"),
    ((b"abc", bytearray(3)), "ValueError: dst length must be 2/3 of src length"),
    ((b"abc", bytearray(1)), "ValueError: dst length must be 2/3 of src length"),
    ((b"abcdef", bytearray(2)), "ValueError: dst length must be 2/3 of src length"),
    ((b"", bytearray(2)), "ValueError: dst length must be 2/3 of src length"),
]


def test_reference_hand_checked():
    def run(src):
        dst = bytearray(len(src) // 3 * 2)
        reference(src, dst)
        return bytes(dst)

    assert run(b"") == b""
    assert run(b"\xff\xff\xff") == b"\xff\xff"  # white
    assert run(b"\x00\x00\x00") == b"\x00\x00"  # black
    assert run(b"\xf8\x00\x00\x00\xfc\x00\x00\x00\xf8") == b"\xf8\x00\x07\xe0\x00\x1f"  # r, g, b
    assert run(b"\x07\x03\x07") == b"\x00\x00"  # bits below the 5/6/5 cut vanish
    assert run(b"\x12\x34\x56") == b"\x11\xaa"
