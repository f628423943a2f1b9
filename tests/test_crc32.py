"""crc32's reference and its own tests; tests/test_kernels.py gives it the rest (every rung
against `reference` on every target, the contract's errors, the fuzz).

The hw rung (the STM32F4 CRC unit) runs only on a Pyboard, where it must equal zlib for every
length and running crc. Without a board, the arithmetic it rests on is checked here against a
model of the unit written from the reference manual (RM0090, CRC calculation unit: polynomial
0x04C11DB7, 32-bit words MSB first, reset value 0xFFFFFFFF).
"""

import importlib
import random
import struct
import zlib

import pytest

from conftest import frozen_package
from tools.targets import from_literal


def reference(data, crc=0):
    # zlib over the raw bytes of any buffer.
    return zlib.crc32(bytes(memoryview(data).cast("B")), crc)


# Wrong values of the right kind (the kinds' errors come from ARGS).
BAD = [
    ((b"x", -1), "ValueError: crc must be in range 0..0xFFFFFFFF"),
    ((b"x", 0x100000000), "ValueError: crc must be in range 0..0xFFFFFFFF"),
    ((b"x", 2**100), "ValueError: crc must be in range 0..0xFFFFFFFF"),
    ((b"x", -(2**70)), "ValueError: crc must be in range 0..0xFFFFFFFF"),
]


def test_reference_gives_the_check_value():
    # The reference agrees with the published CRC-32 check values.
    assert reference(b"123456789") == 0xCBF43926
    assert reference(b"") == 0
    assert reference(b"The quick brown fox jumps over the lazy dog") == 0x414FA339


def test_running_crc_chains(target):
    out = target.run(
        "import fastpath\n"
        "for t in fastpath.TIERS:\n"
        "    f = fastpath.KERNELS['crc32'].get(t)\n"
        "    if f:\n"
        "        print(t, f(b'6789', f(b'12345')), f(b'123456789', crc=0),\n"
        "              f(crc=0, data=b'123456789'))\n"
    )
    lines = out.splitlines()
    assert len(lines) >= 5
    for line in lines:
        # Every rung takes its arguments by keyword too, data included (the C rung's binding
        # once demanded data positionally).
        rung, chained, keyword, keywords = line.split()
        assert int(chained) == int(keyword) == int(keywords) == 0xCBF43926, rung


# --- the hw rung ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module():
    frozen_package()
    return importlib.import_module("fastpath.kernels.crc32")


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


def table(module):
    # The CRC step of each byte (the module keeps it in flash, as bytes of 32-bit words).
    return struct.unpack("<256I", module.TABLE)


def hw_model(module, data, crc=0):
    # The hw rung's steps, with the model in place of the registers.
    unit = CrcUnit()
    if crc:
        unit.write(module._seed(crc))
    words = len(data) >> 2
    for i in range(words):
        unit.write(module._rbit32(int.from_bytes(data[4 * i:4 * i + 4], "little")))
    c = module._rbit32(unit.dr)
    t = table(module)
    for b in data[4 * words:]:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
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
def test_hw_arithmetic_matches_zlib_for_every_length_and_crc(module, n):
    rnd = random.Random(n)
    for crc in (0, 1, 0xFFFFFFFF, 0xCBF43926, rnd.getrandbits(32), rnd.getrandbits(32)):
        data = bytes(rnd.getrandbits(8) for _ in range(n))
        assert hw_model(module, data, crc) == zlib.crc32(data, crc), (n, crc)


def test_hw_arithmetic_matches_zlib_on_random_inputs(module):
    rnd = random.Random(2026)
    for _ in range(300):
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))
        crc = rnd.getrandbits(32) if rnd.random() < 0.7 else 0
        assert hw_model(module, data, crc) == zlib.crc32(data, crc)


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
def test_rbit_word_feeder_on_the_emulator(target, module):
    # The asm loop of the hw rung, pointed at a RAM word instead of the CRC unit's register:
    # every word it writes is the RBIT of the little-endian data word (any alignment), a call
    # writes nothing but that word, and the words it would feed drive the unit's model to zlib.
    # What only a Pyboard shows: the unit itself (test_pyboard_crc_unit_equals_zlib).
    data = bytes(range(7, 48))
    lines = target.run(FEEDER).splitlines()
    t = table(module)
    for off, line in enumerate(lines[:4]):
        got_off, rest = line.split(" ", 1)
        words_text, last, guard = rest.rsplit(" ", 2)
        words = from_literal(words_text)
        m = data[off:]
        want = [module._rbit32(int.from_bytes(m[4 * i:4 * i + 4], "little"))
                for i in range(len(m) // 4)]
        assert int(got_off) == off and words == want
        assert int(last) == want[-1] and int(guard) == 0x5A5A5A5A
        unit = CrcUnit()
        for w in words:
            unit.write(w)
        c = module._rbit32(unit.dr)
        for b in m[4 * len(words):]:
            c = t[(c ^ b) & 0xFF] ^ (c >> 8)
        assert c ^ 0xFFFFFFFF == zlib.crc32(m)
    assert lines[4] == "none 123 {}".format(0x5A5A5A5A)


def crc_step(i):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
    return c


def test_tables_in_flash_hold_the_crc_steps(module):
    # TABLE and its byte planes are bytes literals (flash, not heap): each entry the CRC step
    # of its byte.
    want = [crc_step(i) for i in range(256)]
    assert isinstance(module.TABLE, bytes) and len(module.TABLE) == 1024
    assert list(struct.unpack("<256I", module.TABLE)) == want
    planes = (module._T0, module._T1, module._T2, module._T3)
    for j, plane in enumerate(planes):
        assert isinstance(plane, bytes)
        assert list(plane) == [(v >> (8 * j)) & 0xFF for v in want], j


# --- the hw rung's clock enable, on a model of the Pyboard's registers -----------------------

RCC, AHB1ENR, CRCEN = 0x40023800, 0x30, 12  # RM0090: RCC base, AHB1ENR offset, its CRC bit
CRC_BASE, CRC_DR, CRC_CR = 0x40023000, 0x00, 0x08  # RM0090: the CRC unit


def bit_band(address, bit):
    # ARMv7-M bit-banding: each bit of the peripheral region 0x40000000-0x400FFFFF has a word
    # in 0x42000000-0x43FFFFFF; a store there sets or clears that one bit, atomically.
    return 0x42000000 + (address - 0x40000000) * 32 + bit * 4


class Registers:
    """machine.mem32 on a model of the registers the hw rung touches: RCC_AHB1ENR (and its
    bit-band alias) and the CRC unit, which ignores writes while its clock is off. Every
    access is logged as ("r"|"w", address)."""

    def __init__(self):
        self.ahb1enr = 0x00100000  # some other clock on (CCM RAM's)
        self.unit = CrcUnit()
        self.log = []

    def __getitem__(self, address):
        self.log.append(("r", address))
        if address == RCC + AHB1ENR:
            return self.ahb1enr
        if address == CRC_BASE + CRC_DR:
            return self.unit.dr
        raise AssertionError("read of 0x{:08x}".format(address))

    def __setitem__(self, address, value):
        self.log.append(("w", address))
        if address == RCC + AHB1ENR:
            self.ahb1enr = value
        elif 0x42000000 <= address < 0x44000000:
            word, bit = divmod((address - 0x42000000) // 4, 32)  # the n-th bit of the region
            assert 0x40000000 + 4 * word == RCC + AHB1ENR and value in (0, 1), hex(address)
            self.ahb1enr = (self.ahb1enr & ~(1 << bit)) | (value << bit)
        elif self.ahb1enr >> CRCEN & 1 == 0:
            pass  # the unit is not clocked: the write is lost
        elif address == CRC_BASE + CRC_CR:
            if value & 1:
                self.unit.reset()
        elif address == CRC_BASE + CRC_DR:
            self.unit.write(value)
        else:
            raise AssertionError("write of 0x{:08x}".format(address))


def test_hw_rung_enables_its_clock_once_by_one_atomic_store(monkeypatch):
    # An interrupt handler changes RCC_AHB1ENR too (ports/stm32/dma.c switches the DMA clocks
    # there), so a read-modify-write from Python can be undone in between: the rung must set
    # CRCEN by one store to its bit-band alias, once (at import), and never touch the
    # register itself; with the clock on, the unit's model gives zlib's answer.
    import sys
    import types
    import importlib.util

    frozen_package()
    board = importlib.import_module("fastpath.board")
    monkeypatch.setattr(board, "NAME", "pyboard")
    regs = Registers()
    machine = types.ModuleType("machine")
    machine.mem32 = regs
    stm = types.ModuleType("stm")
    stm.RCC, stm.RCC_AHB1ENR, stm.CRC, stm.CRC_DR, stm.CRC_CR = (
        RCC, AHB1ENR, CRC_BASE, CRC_DR, CRC_CR)
    thumb = types.ModuleType("fastpath_thumb.crc32")

    def hw_words(data, words, dr):  # the asm loop's effect (test_rbit_word_feeder_...)
        m = bytes(memoryview(data).cast("B"))
        for i in range(words):
            regs[dr] = rbit32(int.from_bytes(m[4 * i:4 * i + 4], "little"))

    thumb.hw_words = hw_words
    for name, mod in (("machine", machine), ("stm", stm), ("fastpath_thumb", types.ModuleType(
            "fastpath_thumb")), ("fastpath_thumb.crc32", thumb)):
        monkeypatch.setitem(sys.modules, name, mod)
    spec = importlib.util.spec_from_file_location(
        "fastpath.kernels._crc32_on_pyboard",
        importlib.import_module("fastpath.kernels.crc32").__file__)
    pyb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pyb)
    assert regs.log == [("w", bit_band(RCC + AHB1ENR, CRCEN))]
    assert regs.ahb1enr == 0x00100000 | 1 << CRCEN  # the other clock left alone

    t = struct.unpack("<256I", pyb.TABLE)

    def tail(c, _table, data, start, n):  # the viper tail, in Python
        m = bytes(memoryview(data).cast("B"))
        for i in range(start, n):
            c = t[(c ^ m[i]) & 0xFF] ^ (c >> 8)
        return c

    monkeypatch.setattr(pyb, "_tail", tail)
    rng = random.Random(24)
    del regs.log[:]
    for n in (0, 1, 3, 4, 5, 64, 67):
        data = bytes(rng.getrandbits(8) for _ in range(n))
        crc = rng.choice((0, 1, 0xFFFFFFFF, rng.getrandbits(32)))
        assert pyb.hw(data, crc) == zlib.crc32(data, crc)
    assert all(address >= CRC_BASE and address < CRC_BASE + 0x400 for _, address in regs.log)


def rbit32(v):
    return int("{:032b}".format(v)[::-1], 2)
