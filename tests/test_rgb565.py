"""rgb565: every tier packs RGB888 into big-endian RGB565 exactly as a per-pixel CPython
reference does, on edge cases and 200 seeded random images; compiled tiers allocate nothing;
bad arguments raise the same error in every tier."""

from kernelcheck import assert_every_tier, bad_calls, heap_locked, host_cases, run_tiers

CASES = """
EDGES = [
    b"",
    b"\\xff\\xff\\xff",                 # white -> 0xFFFF
    b"\\x00\\x00\\x00",                 # black -> 0x0000
    b"\\xf8\\x00\\x00\\x00\\xfc\\x00\\x00\\x00\\xf8",   # pure red, green, blue
    b"\\x07\\x03\\x07",                 # bits below the 5/6/5 cut vanish
    bytes(range(48)),
    memoryview(bytes(range(100)))[1:91],  # unaligned, 30 pixels
    array("B", range(30)),
    array("b", [-1, -128, 127] * 5),
]


def cases():
    yield from EDGES
    r = rng(0x5656)
    for i in range(200):
        data = randbytes(r, 3 * randlen(r, 100))
        yield memoryview(data)[3 * (next(r) % 2):] if i % 4 == 0 else data
"""

CALL = """
def call(f, src):
    dst = bytearray(len(src) // 3 * 2)
    r = f(src, dst)
    return (r, bytes(dst))
"""


def reference(src):
    raw = bytes(memoryview(src).cast("B"))
    out = bytearray()
    for i in range(0, len(raw), 3):
        r, g, b = raw[i], raw[i + 1], raw[i + 2]
        v = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
        out += v.to_bytes(2, "big")
    return (None, bytes(out))


def test_every_tier_packs_like_the_reference(target):
    expected = [reference(c) for c in host_cases(CASES)]
    assert expected[1][1] == b"\xff\xff" and expected[3][1] == b"\xf8\x00\x07\xe0\x00\x1f"
    results = run_tiers(target, "rgb565", CASES, CALL)
    assert_every_tier(results, expected)


def test_compiled_tiers_allocate_nothing(target):
    got = heap_locked(target, "rgb565", "src = bytearray(range(240)); dst = bytearray(160)",
                      "src, dst", ("native", "viper", "asm", "c"))
    assert got and set(got.values()) == {"ok"}, got


BAD = [
    ("None, bytearray(2)", "TypeError: src must be a byte buffer"),
    ("'abc', bytearray(2)", "TypeError: src must be a byte buffer"),
    ("[1, 2, 3], bytearray(2)", "TypeError: src must be a byte buffer"),
    ("array('h', [1, 2, 3]), bytearray(4)", "TypeError: src must be a byte buffer"),
    ("b'abc', None", "TypeError: dst must be a writable byte buffer"),
    ("b'abc', b'xy'", "TypeError: dst must be a writable byte buffer"),
    ("b'abc', memoryview(b'xy')", "TypeError: dst must be a writable byte buffer"),
    ("b'abc', array('H', [0])", "TypeError: dst must be a writable byte buffer"),
    ("b'abcd', bytearray(2)", "ValueError: src length must be a multiple of 3"),
    ("b'abc', bytearray(3)", "ValueError: dst length must be 2/3 of src length"),
    ("b'abcdef', bytearray(2)", "ValueError: dst length must be 2/3 of src length"),
]


def test_bad_arguments_same_error_every_tier(target):
    results = bad_calls(target, "rgb565", [args for args, _ in BAD])
    for tier, got in results.items():
        assert got == [err for _, err in BAD], tier


def test_refused_call_leaves_dst_untouched(target):
    out = target.run(
        "import fastpath\n"
        "for t in fastpath.TIERS:\n"
        "    f = fastpath.KERNELS['rgb565'].get(t)\n"
        "    if f:\n"
        "        dst = bytearray(b'\\x55' * 3)\n"
        "        try:\n"
        "            f(b'abcd', dst)\n"
        "        except ValueError:\n"
        "            pass\n"
        "        print(t, dst == bytearray(b'\\x55' * 3))\n"
    )
    assert all(line.split()[1] == "True" for line in out.splitlines()), out
