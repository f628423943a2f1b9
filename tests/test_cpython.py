"""The py and opt rungs are plain Python: under CPython they import and agree with CPython's
own tools, so a reader can try the ladder's first steps without a board."""

import importlib
import random
import sys
import zlib
from array import array
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "frozen"))
fastpath = importlib.import_module("fastpath")

RUNGS = ("py", "opt")


def test_only_the_python_rungs_exist_under_cpython():
    assert fastpath.board.NAME == "cpython"
    for kernel, tiers in fastpath.KERNELS.items():
        assert sorted(tiers) == sorted(RUNGS), kernel


@pytest.mark.parametrize("tier", RUNGS)
def test_rungs_agree_with_cpython(tier):
    rnd = random.Random(7)
    K = {name: t[tier] for name, t in fastpath.KERNELS.items()}
    for n in (0, 1, 3, 17, 64, 255):
        data = bytes(rnd.getrandbits(8) for _ in range(3 * n))
        crc = rnd.getrandbits(32)
        assert K["crc32"](data, crc) == zlib.crc32(data, crc)
        assert K["popcount"](data) == sum(bin(b).count("1") for b in data)
        dst = bytearray(2 * n)
        K["rgb565"](data, dst)
        want = b"".join((((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)).to_bytes(2, "big")
                        for r, g, b in zip(data[0::3], data[1::3], data[2::3]))
        assert bytes(dst) == want
        x = array("h", (rnd.randrange(-32768, 32768) for _ in range(n + 8)))
        h = array("h", (rnd.randrange(-32768, 32768) for _ in range(1 + n % 8)))
        y = array("h", bytes(2 * (len(x) - len(h) + 1)))
        K["fir_q15"](x, h, y)
        acc = np.convolve(np.array(x, np.int64), np.array(h, np.int64)[::-1], "valid")
        assert list(y) == list(np.clip((acc + 0x4000) >> 15, -32768, 32767))


@pytest.mark.parametrize("tier", RUNGS)
def test_same_errors_under_cpython(tier):
    K = {name: t[tier] for name, t in fastpath.KERNELS.items()}
    with pytest.raises(TypeError, match="data must be a buffer"):
        K["crc32"]("text")
    with pytest.raises(ValueError, match=r"crc must be in range 0\.\.0xFFFFFFFF"):
        K["crc32"](b"x", -1)
    with pytest.raises(TypeError, match=r"y must be array\('h'\)"):
        K["fir_q15"](array("h", [1, 2]), array("h", [1]), bytearray(4))
    with pytest.raises(ValueError, match="src length must be a multiple of 3"):
        K["rgb565"](b"abcd", bytearray(2))
