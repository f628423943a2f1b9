"""toggle's reference and its own tests; tests/test_kernels.py gives it the rest (the
contract's errors, no allocation, the fuzz, and its absence on unix).

Every rung flips the board's free output pin register exactly n times. On the emulator QEMU
traces every read and write of the FPGA I/O block, so the test counts the writes to LED0
rather than trusting the final state alone, and checks that the viper and asm rungs store set
and reset words without reading the register (a read-modify-write of the Pyboard's GPIOA would
undo what an interrupt did to its LEDs). On a Pyboard the pin is X1 (PA0), and those rungs
store to GPIOA's BSRR.
"""

import importlib
import re

import pytest

import ladder
from conftest import frozen_package
from tools.targets import QemuTarget, from_literal

RUNGS = ("py", "opt", "native", "mem", "viper", "asm")
frozen_package()
_board = importlib.import_module("fastpath.board")
LED0 = _board.QEMU_FPGAIO_LED0
BSRR_RUNGS = ("viper", "asm")  # one store to the set/reset register a toggle, no load
SET, RESET = 1 << 0, 1 << 16  # BSRR words for bit 0, as the emulator's board.OUT_SET, OUT_RESET


_level = [0]  # the reference's model of the pin


def reference(n):
    # A toggle returns None and flips the pin n times: the model pin ends flipped if n is odd.
    _level[0] ^= n & 1


def state():
    # The model pin's level, as toggle's state() reads the real one: the generic comparison
    # (tests/test_kernels.py) checks that each call of each rung flipped the pin as the model
    # did. The tests below also count the writes.
    return _level[0]


@pytest.fixture(scope="module")
def traced(tmp_path_factory, qemu_firmware):
    """An emulator that logs each write to its FPGA I/O registers."""
    log = tmp_path_factory.mktemp("qemu") / "fpgaio.log"
    q = QemuTarget(qemu_firmware, extra_args=(
        "-d", "trace:mps2_fpgaio_write,trace:mps2_fpgaio_read", "-D", str(log)))
    yield q, log
    q.close()


def led0_accesses(log):
    """[("read" or "write", value)] of every LED0 access so far, in order."""
    if not log.exists():
        return []
    found = re.findall(r"mps2_fpgaio_(read|write) .*offset 0x0 data 0x([0-9a-f]+)",
                       log.read_text())
    return [(kind, int(value, 16)) for kind, value in found]


def led0_writes(log):
    return sum(1 for kind, _ in led0_accesses(log) if kind == "write")


@pytest.mark.targets("qemu")
def test_the_generic_comparison_catches_a_rung_that_does_nothing(target):
    # tests/test_kernels.py compares each call's flip of the pin with the reference's model:
    # a stand-in rung that returns None without a store must fail it, and the viper rung, run
    # in the same program on the same cases, must pass.
    seed, count = 11, 30
    call = ("state = kernel_module('toggle').state\n"
            "for f in (lambda n: None, fastpath.KERNELS['toggle']['viper']):\n"
            "    print('RUNG')\n"
            "    for args, outputs, guards in cases('toggle', {}, {}):\n"
            "        print(repr(outcome(f, args, outputs, guards, state)))\n".format(seed, count))
    out = target.run(ladder.program("ladder", call=call))
    idle, viper = [[from_literal(line) for line in part.splitlines() if line.strip()]
                   for part in out.split("RUNG")[1:]]
    expected = ladder.expected_outcomes("toggle", seed, count)
    ladder.assert_rungs_agree({"viper": viper}, expected, "toggle")
    with pytest.raises(AssertionError, match="toggle idle: case"):
        ladder.assert_rungs_agree({"idle": idle}, expected, "toggle")


@pytest.mark.targets("qemu")
def test_emulator_has_every_register_rung(traced):
    q, _ = traced
    out = q.run("import fastpath\nprint(sorted(fastpath.KERNELS['toggle']))")
    assert from_literal(out) == sorted(RUNGS)


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("n", [0, 1, 2, 7, 100])
@pytest.mark.parametrize("rung", RUNGS)
def test_rung_writes_the_register_exactly_n_times(traced, rung, n):
    q, log = traced
    before = led0_writes(log)
    out = q.run(
        "import fastpath, machine\n"
        "b = machine.mem32[{led}] & 1\n"
        "fastpath.KERNELS['toggle'][{rung!r}]({n})\n"
        "print(b, machine.mem32[{led}] & 1)\n".format(led=LED0, rung=rung, n=n)
    )
    start, end = map(int, out.split())
    assert led0_writes(log) - before == n
    assert end == start ^ (n & 1)


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("start", [0, 1])
@pytest.mark.parametrize("n", [1, 2, 7, 100])
@pytest.mark.parametrize("rung", BSRR_RUNGS)
def test_bsrr_rung_stores_set_and_reset_words_and_never_reads(traced, rung, n, start):
    # The Pyboard's BSRR form on the emulator's LED0, which keeps bits 0..1 of each store.
    q, log = traced
    q.run("import machine\nmachine.mem32[{}] = {}".format(LED0, start))
    before = len(led0_accesses(log))
    q.run("import fastpath\nfastpath.KERNELS['toggle'][{!r}]({})".format(rung, n))
    accesses = led0_accesses(log)[before:]
    # One read of the level before the loop (which word comes first), then only stores,
    # alternating, starting with the one that flips the level the pin had.
    first = RESET if start else SET
    assert accesses == [("read", start)] + [
        ("write", first if i % 2 == 0 else first ^ SET ^ RESET) for i in range(n)
    ]


@pytest.mark.targets("qemu")
def test_mem_rung_is_the_guides_read_modify_write(traced):
    # Kept as the guide writes it: every toggle reads the register, then writes it.
    q, log = traced
    q.run("import machine\nmachine.mem32[{}] = 0".format(LED0))
    before = len(led0_accesses(log))
    q.run("import fastpath\nfastpath.KERNELS['toggle']['mem'](3)")
    kinds = [kind for kind, _ in led0_accesses(log)[before:]]
    assert kinds == ["read", "write"] * 3


@pytest.mark.targets("device")
@pytest.mark.parametrize("rung", RUNGS)
def test_pyboard_rung_toggles_x1(target, rung):
    out = target.run(
        "import fastpath, machine\n"
        "pin = machine.Pin('X1', machine.Pin.OUT)\n"
        "pin.value(0)\n"
        "f = fastpath.KERNELS['toggle'][{rung!r}]\n"
        "f(7)\n"
        "a = pin.value()\n"
        "f(10)\n"
        "print(a, pin.value())\n".format(rung=rung)
    )
    assert out.split() == ["1", "1"]


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("rung", RUNGS)
def test_wrong_n_is_refused_before_any_write(traced, rung):
    q, log = traced
    before = led0_writes(log)
    out = q.run(
        "import fastpath\n"
        "for n in (-1, 1.5, None, '3'):\n"
        "    try:\n"
        "        fastpath.KERNELS['toggle'][{rung!r}](n)\n"
        "    except (TypeError, ValueError) as e:\n"
        "        print(type(e).__name__)\n".format(rung=rung)
    )
    assert out.split() == ["ValueError", "TypeError", "TypeError", "TypeError"]
    assert led0_writes(log) == before
