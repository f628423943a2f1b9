"""crc32: every tier equals zlib.crc32 on edge cases and 200 seeded random inputs, on every
target; bad arguments raise the same exception with the same message in every tier."""

import zlib

import pytest

from kernelcheck import assert_every_tier, bad_calls, host_cases, run_tiers

CASES = '''
EDGES = [
    (b"", 0),
    (b"123456789", 0),            # the CRC-32 check value 0xCBF43926
    (b"a", 0),
    (bytearray(b"abc"), 0xFFFFFFFF),
    (b"\\x00" * 33, 0),
    (b"\\xff" * 64, 0x12345678),
    (memoryview(b"0123456789abcdef")[1:], 0),    # unaligned start
    (memoryview(b"0123456789abcdef")[3:14], 7),  # unaligned, odd length
    (array("B", range(256)), 0),
    (array("b", [-1, -128, 127, 0]), 0),
    (array("H", [0x0102, 0xFFFF, 0]), 0),         # raw bytes of a 16-bit array
    (array("i", [-1, 0x12345678]), 1),
]

def cases():
    yield from EDGES
    r = rng(0xC0C0)
    for i in range(200):
        data = randbytes(r, randlen(r, 300))
        crc = next(r) * 2 + (next(r) & 1) if i % 3 else 0
        off = next(r) % 4
        yield (memoryview(data)[off:] if i % 5 == 0 else data, crc & 0xFFFFFFFF)
'''

CALL = '''
def call(f, case):
    data, crc = case
    return f(data) if crc == 0 else f(data, crc)
'''


def reference(case):
    data, crc = case
    return zlib.crc32(bytes(memoryview(data).cast("B")), crc)


def test_check_value():
    # The independent reference agrees with the published CRC-32 check value.
    assert zlib.crc32(b"123456789") == 0xCBF43926


def test_every_tier_equals_zlib(target):
    expected = [reference(c) for c in host_cases(CASES)]
    results = run_tiers(target, "crc32", CASES, CALL)
    assert_every_tier(results, expected)


def test_running_crc_chains(target):
    out = target.run(
        "import fastpath\n"
        "for t in fastpath.TIERS:\n"
        "    f = fastpath.KERNELS['crc32'].get(t)\n"
        "    if f:\n"
        "        print(t, f(b'6789', f(b'12345')))\n"
    )
    for line in out.splitlines():
        tier, value = line.split()
        assert int(value) == 0xCBF43926, tier


BAD = [
    ("None", "TypeError: data must be a buffer"),
    ("12", "TypeError: data must be a buffer"),
    ("1.5", "TypeError: data must be a buffer"),
    ("'text'", "TypeError: data must be a buffer"),
    ("[1, 2]", "TypeError: data must be a buffer"),
    ("(1, 2)", "TypeError: data must be a buffer"),
    ("b'x', None", "TypeError: crc must be an int"),
    ("b'x', 1.0", "TypeError: crc must be an int"),
    ("b'x', '1'", "TypeError: crc must be an int"),
    ("b'x', -1", "ValueError: crc must be in range 0..0xFFFFFFFF"),
    ("b'x', 0x100000000", "ValueError: crc must be in range 0..0xFFFFFFFF"),
    ("b'x', 2**100", "ValueError: crc must be in range 0..0xFFFFFFFF"),
]


def test_bad_arguments_same_error_every_tier(target):
    results = bad_calls(target, "crc32", [args for args, _ in BAD])
    expected = [err for _, err in BAD]
    for tier, got in results.items():
        assert got == expected, tier


@pytest.mark.targets("unix", "qemu")
def test_fastest_tier_is_the_package_function(target):
    out = target.run("import fastpath\nprint(fastpath.crc32 is fastpath.KERNELS['crc32']['c'])")
    assert out.strip() == "True"
