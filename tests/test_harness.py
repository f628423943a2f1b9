"""The harness itself: errors, hangs and clocks behave as the suite relies on."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ladder
from tools.targets import QemuTarget, TargetError, TargetTimeout

HERE = Path(__file__).resolve().parent


def test_run_returns_stdout(target):
    assert target.run("print(6 * 7)\nprint('x' * 3)").split() == ["42", "xxx"]


def test_call_round_trips_values(target):
    assert target.call("binascii", "hexlify", b"\x01\xfe") == b"01fe"
    assert target.call("builtins", "sorted", [3, 1, 2]) == [1, 2, 3]


def test_target_exception_carries_traceback(target):
    code = (
        "def inner():\n    raise ValueError('deep %d' % 7)\n\n"
        "def outer():\n    inner()\n\nouter()\n"
    )
    with pytest.raises(TargetError) as e:
        target.run(code)
    assert e.value.type == "ValueError"
    assert e.value.value == "deep 7"
    assert "Traceback" in e.value.traceback
    assert "in inner" in e.value.traceback and "in outer" in e.value.traceback


@pytest.mark.targets("unix", "unix-asan", "qemu")
def test_hung_target_times_out_then_recovers(target):
    t0 = time.monotonic()
    with pytest.raises(TargetTimeout):
        target.run("while True:\n    pass\n", timeout=2)
    assert time.monotonic() - t0 < 30
    # The next run gets a working target (for qemu: a restarted emulator).
    assert target.run("print(1 + 1)").strip() == "2"


@pytest.mark.targets("unix", "unix-asan", "qemu")
def test_frozen_package_and_c_module_import(target, layout):
    out = target.run("import fastpath, fastpath.timing, _fastpath\nprint(fastpath.BUILD)")
    # The firmware knows which build it is: the identity written beside it.
    folder = {"unix": "unix", "unix-asan": "unix-asan", "qemu": "qemu"}[target.name]
    identity = json.loads((layout.out(folder) / "firmware.json").read_text())
    assert eval(out) == identity
    assert identity["board"] == folder
    assert identity["micropython"] == layout.ref


@pytest.mark.targets("unix-asan")
def test_sanitizer_report_fails_the_run(target):
    # The whole chain, checked: reading one byte past the end of the heap (a malloc'd block,
    # as tests/target/edge.py places buffers for the kernel tests) is an AddressSanitizer
    # report, and that reaches the test as TargetError.
    code = ladder.program("edge", call="e = EdgeArena()\n"
                          "print(bytes(uctypes.bytearray_at(e.end - 3, 4)))")
    with pytest.raises(TargetError) as e:
        target.run(code)
    assert "heap-buffer-overflow" in e.value.traceback, e.value.traceback


MEASURE = """
import gc
from fastpath.timing import start, ticks, ticks_diff, PER_TICK
def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
def measure(n):
    gc.collect()  # a collection inside the measurement would be counted too
    t = start()
    work(n)
    return ticks_diff(ticks(), t) * PER_TICK
measure(10)  # warm-up, as a benchmark does: the first call fills the interpreter's caches
print([measure(n) for n in (10, 100, 1000)])
"""


@pytest.mark.targets("qemu")
def test_emulator_clock_is_deterministic(target):
    first = eval(target.run(MEASURE))
    second = eval(target.run(MEASURE))
    assert first == second
    # More work takes more instructions, roughly in proportion.
    assert 0 < first[0] < first[1] < first[2]
    assert 5 < first[2] / first[1] < 15


@pytest.mark.targets("qemu")
def test_emulator_clock_counts_instructions(qemu_firmware):
    # A second emulator with its own timebase agrees to the tick: the count is a property
    # of the code, not of this machine's load.
    other = QemuTarget(qemu_firmware)
    try:
        assert eval(other.run(MEASURE)) == eval(other.run(MEASURE))
    finally:
        other.close()


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path("/proc", entry, "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def _is_qemu(pid):
    try:
        return "qemu-system-arm" in Path("/proc", str(pid), "cmdline").read_text()
    except OSError:
        return False


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_killed_run_leaves_no_emulator(target, sig):
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "--target", "qemu", str(HERE / "data" / "hang.py")],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        qemu = []
        while time.monotonic() < deadline and not qemu:
            qemu = [p for p in _children(child.pid) if _is_qemu(p)]
            time.sleep(0.2)
        assert qemu, "child pytest never started an emulator"
        time.sleep(1)
        child.send_signal(sig)
        child.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_is_qemu(p) for p in qemu):
            time.sleep(0.1)
        assert not any(_is_qemu(p) for p in qemu), "emulator outlived its test run"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
