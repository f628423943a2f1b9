"""toggle's reference and its own tests; tests/test_kernels.py gives it the rest (the
contract's errors, no allocation, the fuzz, and its absence on unix).

Every rung flips the board's free output pin register exactly n times. On the emulator QEMU
traces every write to the FPGA I/O block, so the test counts the writes to LED0 rather than
trusting the final state alone. On a Pyboard the pin is X1 (PA0).
"""

import importlib
import re

import pytest

from conftest import frozen_package
from tools.targets import QemuTarget

RUNGS = ("py", "opt", "native", "mem", "viper", "asm")
frozen_package()
LED0 = importlib.import_module("fastpath.board").QEMU_FPGAIO_LED0


def reference(n):
    # A toggle leaves nothing to compare but the pin, which the tests below count.
    return None


@pytest.fixture(scope="module")
def traced(tmp_path_factory, qemu_firmware):
    """An emulator that logs each write to its FPGA I/O registers."""
    log = tmp_path_factory.mktemp("qemu") / "fpgaio.log"
    q = QemuTarget(qemu_firmware, extra_args=("-d", "trace:mps2_fpgaio_write", "-D", str(log)))
    yield q, log
    q.close()


def led0_writes(log):
    if not log.exists():
        return 0
    return len(re.findall(r"mps2_fpgaio_write .*offset 0x0 ", log.read_text()))


@pytest.mark.targets("qemu")
def test_emulator_has_every_register_rung(traced):
    q, _ = traced
    out = q.run("import fastpath\nprint(sorted(fastpath.KERNELS['toggle']))")
    assert eval(out) == sorted(RUNGS)


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("n", [0, 1, 2, 7, 100])
@pytest.mark.parametrize("tier", RUNGS)
def test_rung_writes_the_register_exactly_n_times(traced, tier, n):
    q, log = traced
    before = led0_writes(log)
    out = q.run(
        "import fastpath, machine\n"
        "b = machine.mem32[{led}] & 1\n"
        "fastpath.KERNELS['toggle'][{tier!r}]({n})\n"
        "print(b, machine.mem32[{led}] & 1)\n".format(led=LED0, tier=tier, n=n)
    )
    start, end = map(int, out.split())
    assert led0_writes(log) - before == n
    assert end == start ^ (n & 1)


@pytest.mark.targets("device")
@pytest.mark.parametrize("tier", RUNGS)
def test_pyboard_rung_toggles_x1(target, tier):
    out = target.run(
        "import fastpath, machine\n"
        "pin = machine.Pin('X1', machine.Pin.OUT)\n"
        "pin.value(0)\n"
        "f = fastpath.KERNELS['toggle'][{tier!r}]\n"
        "f(7)\n"
        "a = pin.value()\n"
        "f(10)\n"
        "print(a, pin.value())\n".format(tier=tier)
    )
    assert out.split() == ["1", "1"]


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("tier", RUNGS)
def test_wrong_n_is_refused_before_any_write(traced, tier):
    q, log = traced
    before = led0_writes(log)
    out = q.run(
        "import fastpath\n"
        "for n in (-1, 1.5, None, '3'):\n"
        "    try:\n"
        "        fastpath.KERNELS['toggle'][{tier!r}](n)\n"
        "    except (TypeError, ValueError) as e:\n"
        "        print(type(e).__name__)\n".format(tier=tier)
    )
    assert out.split() == ["ValueError", "TypeError", "TypeError", "TypeError"]
    assert led0_writes(log) == before
