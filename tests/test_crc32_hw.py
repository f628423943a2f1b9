"""The hw rung of crc32 (the STM32F4 CRC unit). On a Pyboard it must equal zlib for every
length and every running crc. Without a board, the arithmetic it rests on is checked here
against a model of the unit written from the reference manual (RM0090, CRC calculation
unit: polynomial 0x04C11DB7, 32-bit words MSB first, reset value 0xFFFFFFFF)."""

import importlib
import random
import struct
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "frozen"))
# CPython imports the package's py and opt rungs; the module, not the package's crc32().
crc32 = importlib.import_module("fastpath.crc32")
TABLE = struct.unpack("<256I", crc32.TABLE)  # the CRC step of each byte (flash: bytes)


class CrcUnit:
    """The STM32F4 CRC unit: write a word to DR, read the register back."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.dr = 0xFFFFFFFF

    def write(self, word):
        s = self.dr ^ word
        for _ in range(32):
            s = ((s << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if s & 0x80000000 else (s << 1) & 0xFFFFFFFF
        self.dr = s


def hw_model(data, crc=0):
    # The hw rung's steps, with the model in place of the registers.
    unit = CrcUnit()
    if crc:
        unit.write(crc32._seed(crc))
    words = len(data) >> 2
    for i in range(words):
        unit.write(crc32._rbit32(int.from_bytes(data[4 * i:4 * i + 4], "little")))
    c = crc32._rbit32(unit.dr)
    for b in data[4 * words:]:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def mpeg2_bytewise(data):
    # CRC-32/MPEG-2 a byte at a time, MSB first: the textbook form of the unit's CRC.
    s = 0xFFFFFFFF
    for b in data:
        s ^= b << 24
        for _ in range(8):
            s = ((s << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if s & 0x80000000 else (s << 1) & 0xFFFFFFFF
    return s


def test_unit_model_is_crc32_mpeg2():
    # The bytewise form gives the published check value of CRC-32/MPEG-2 ...
    assert mpeg2_bytewise(b"123456789") == 0x0376E6E7
    # ... and the word-wise model agrees with it on big-endian words, as RM0090 describes.
    rnd = random.Random(5)
    for n in (0, 4, 8, 64):
        data = bytes(rnd.getrandbits(8) for _ in range(n))
        unit = CrcUnit()
        for i in range(0, n, 4):
            unit.write(int.from_bytes(data[i:i + 4], "big"))
        assert unit.dr == mpeg2_bytewise(data)


@pytest.mark.parametrize("n", range(0, 13))
def test_every_length_and_crc_matches_zlib(n):
    rnd = random.Random(n)
    for crc in (0, 1, 0xFFFFFFFF, 0xCBF43926, rnd.getrandbits(32), rnd.getrandbits(32)):
        data = bytes(rnd.getrandbits(8) for _ in range(n))
        assert hw_model(data, crc) == zlib.crc32(data, crc), (n, crc)


def test_random_inputs_match_zlib():
    rnd = random.Random(2026)
    for _ in range(300):
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))
        crc = rnd.getrandbits(32) if rnd.random() < 0.7 else 0
        assert hw_model(data, crc) == zlib.crc32(data, crc)


@pytest.mark.targets("device")
def test_pyboard_crc_unit_equals_zlib(target):
    out = target.run(
        "import fastpath\n"
        "f = fastpath.KERNELS['crc32']['hw']\n"
        "data = bytes(range(256)) * 3\n"
        "for n in (0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 767, 768):\n"
        "    for crc in (0, 1, 0xFFFFFFFF, 0xCBF43926):\n"
        "        print(n, crc, f(memoryview(data)[:n], crc), f(memoryview(data)[1:n + 1], crc))\n"
    )
    data = bytes(range(256)) * 3
    for line in out.splitlines():
        n, crc, a, b = map(int, line.split())
        assert a == zlib.crc32(data[:n], crc)
        assert b == zlib.crc32(data[1:n + 1], crc)


@pytest.mark.targets("unix", "qemu")
def test_no_hw_rung_off_the_pyboard(target):
    assert target.run("import fastpath\nprint('hw' in fastpath.KERNELS['crc32'])").strip() \
        == "False"


FEEDER = """
from array import array
from fastpath_thumb.crc32 import hw_words
data = bytes(range(7, 48))
reg = array("I", [0, 0x5A5A5A5A])  # the "data register", then a guard word
for off in range(4):
    m = memoryview(data)[off:]
    words = []
    for i in range(len(m) // 4):
        hw_words(m[4 * i:], 1, reg)
        words.append(reg[0])
    hw_words(m, len(m) // 4, reg)
    print(off, words, reg[0], reg[1])
reg[0] = 123
hw_words(data, 0, reg)
print("none", reg[0], reg[1])
"""


@pytest.mark.targets("qemu")
def test_rbit_word_feeder_on_the_emulator(target):
    # The asm loop of the hw rung, pointed at a RAM word instead of the CRC unit's register:
    # every word it writes is the RBIT of the little-endian data word (any alignment), a call
    # writes nothing but that word, and the words it would feed drive the unit's model to zlib.
    # What only a Pyboard shows: the unit itself (test_pyboard_crc_unit_equals_zlib).
    data = bytes(range(7, 48))
    lines = target.run(FEEDER).splitlines()
    for off, line in enumerate(lines[:4]):
        got_off, rest = line.split(" ", 1)
        words_text, last, guard = rest.rsplit(" ", 2)
        words = eval(words_text)
        m = data[off:]
        want = [crc32._rbit32(int.from_bytes(m[4 * i:4 * i + 4], "little"))
                for i in range(len(m) // 4)]
        assert int(got_off) == off and words == want
        assert int(last) == want[-1] and int(guard) == 0x5A5A5A5A
        unit = CrcUnit()
        for w in words:
            unit.write(w)
        c = crc32._rbit32(unit.dr)
        for b in m[4 * len(words):]:
            c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
        assert c ^ 0xFFFFFFFF == zlib.crc32(m)
    assert lines[4] == "none 123 {}".format(0x5A5A5A5A)
