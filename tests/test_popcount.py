"""popcount: every tier equals a CPython bit count on edge cases and 200 seeded random
inputs, allocates nothing in its compiled tiers, and refuses bad arguments alike."""

from kernelcheck import assert_every_tier, bad_calls, heap_locked, host_cases, run_tiers

CASES = '''
EDGES = [
    b"",
    b"\\x00",
    b"\\xff",
    b"\\x01\\x80",
    b"\\xff" * 63,
    bytes(range(256)),
    memoryview(b"\\xff\\x0f\\xf0\\xaa\\x55\\x01\\x02\\x04\\x08")[1:],   # unaligned
    memoryview(bytearray(b"\\xff" * 40))[3:38],
    array("H", [0xFFFF, 0x0101, 0]),          # raw bytes of a 16-bit array
    array("i", [-1, 0x7FFFFFFF]),
    array("b", [-1, -128]),
]


def cases():
    yield from EDGES
    r = rng(0x9090)
    for i in range(200):
        data = randbytes(r, randlen(r, 300))
        yield memoryview(data)[next(r) % 4:] if i % 4 == 0 else data
'''

CALL = "def call(f, data):\n    return f(data)\n"


def reference(data):
    return sum(bin(b).count("1") for b in bytes(memoryview(data).cast("B")))


def test_every_tier_counts_every_bit(target):
    expected = [reference(c) for c in host_cases(CASES)]
    assert expected[:4] == [0, 0, 8, 2]
    results = run_tiers(target, "popcount", CASES, CALL)
    assert_every_tier(results, expected)


def test_compiled_tiers_allocate_nothing(target):
    # (MicroPython's bytearray has no * operator.)
    setup = "data = bytearray(range(256)) + bytearray(range(256))"
    got = heap_locked(target, "popcount", setup, "data", ("native", "viper", "asm", "c"))
    assert got and set(got.values()) == {"ok"}, got


BAD = ["None", "7", "2.5", "'abc'", "[1]", "(1,)"]


def test_bad_arguments_same_error_every_tier(target):
    for tier, got in bad_calls(target, "popcount", BAD).items():
        assert got == ["TypeError: data must be a buffer"] * len(BAD), tier
