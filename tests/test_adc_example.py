"""examples/adc_filter.py runs on every target, and its numbers are right.

Off the Pyboard the example feeds a synthetic signal; the same signal is rebuilt here in
CPython and filtered with NumPy, so min/max/mean are checked exactly.
"""

import re

import numpy as np
import pytest

from tools.settings import ROOT

EXAMPLE = ROOT / "examples" / "adc_filter.py"


def synthetic_q15(n=1024):
    x = 12345
    out = []
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        t = i & 255
        v = 1024 + (t if t < 128 else 255 - t) * 16 + ((x >> 16) & 255) - 128
        out.append((min(max(v, 0), 4095) - 2048) << 4)
    return np.array(out, dtype=np.int64)


def reference():
    x = synthetic_q15()
    h = np.full(32, 32768 // 32, dtype=np.int64)
    acc = np.convolve(x, h[::-1], mode="valid")  # correlation: sum_k h[k] * x[i + k]
    y = np.clip((acc + 0x4000) >> 15, -32768, 32767)
    return int(y.min()), int(y.max()), int(y.sum()) // len(y), len(y)


def parse(out):
    fields = dict(re.findall(r"^(\w+): (.*)$", out, re.M))
    numbers = re.match(r"min (-?\d+) max (-?\d+) mean (-?\d+)", fields["out"]).groups()
    lo, hi, mean = map(int, numbers)
    costs = [int(re.search(r"(\d+) \w+$", fields[k]).group(1)) for k in ("capture", "convert",
                                                                         "filter")]
    outputs = int(re.match(r"(\d+) outputs", fields["filter"]).group(1))
    return fields["board"], (lo, hi, mean, outputs), costs


@pytest.mark.targets("unix", "qemu")
def test_example_filters_the_synthetic_signal_exactly(target):
    board, result, costs = parse(target.run(EXAMPLE.read_text()))
    assert board == target.platform.board
    assert result == reference()
    assert all(c >= 0 for c in costs)


@pytest.mark.targets("qemu")
def test_example_stage_costs_repeat_on_the_emulator(target):
    first = parse(target.run(EXAMPLE.read_text()))[2]
    second = parse(target.run(EXAMPLE.read_text()))[2]
    assert first == second
    assert all(c > 0 for c in first)


@pytest.mark.targets("device")
def test_example_runs_on_the_pyboard_adc(target):
    board, (lo, hi, mean, outputs), costs = parse(target.run(EXAMPLE.read_text(), timeout=30))
    assert board == "pyboard"
    assert outputs == 1024 - 32 + 1
    assert -32768 <= lo <= mean <= hi <= 32767
    assert all(c > 0 for c in costs)
