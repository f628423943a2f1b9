"""toggle(n): every rung flips the board's pin register exactly n times.

On the emulator QEMU traces every write to the FPGA I/O block, so the test counts the writes
to LED0 rather than trusting the final state alone. On a Pyboard the pin is X1 (PA0).
"""

import re

import pytest

from tools.targets import QemuTarget

RUNGS = ("py", "opt", "native", "mem", "viper", "asm")
LED0 = 0x40028000


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """An emulator that logs each write to its FPGA I/O registers."""
    log = tmp_path_factory.mktemp("qemu") / "fpgaio.log"
    q = QemuTarget(extra_args=("-d", "trace:mps2_fpgaio_write", "-D", str(log)))
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


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("tier", RUNGS)
@pytest.mark.parametrize(
    "arg, exc, message",
    [
        ("-1", "ValueError", "n must be >= 0"),
        ("1.5", "TypeError", "n must be an int"),
        ("None", "TypeError", "n must be an int"),
        ("'3'", "TypeError", "n must be an int"),
    ],
)
def test_bad_n_is_refused_before_any_write(traced, tier, arg, exc, message):
    q, log = traced
    before = led0_writes(log)
    out = q.run(
        "import fastpath\n"
        "try:\n"
        "    fastpath.KERNELS['toggle'][{tier!r}]({arg})\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n".format(tier=tier, arg=arg)
    )
    assert out.strip() == "{} {}".format(exc, message)
    assert led0_writes(log) == before


@pytest.mark.targets("unix")
def test_unix_has_no_toggle_and_says_so(target):
    out = target.run("import fastpath\nprint('toggle' in fastpath.KERNELS, "
                     "hasattr(fastpath, 'toggle'))")
    assert out.split() == ["False", "False"]


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
