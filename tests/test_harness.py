"""The harness itself: errors, hangs and clocks behave as the suite relies on."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ladder
from tools.targets import QemuTarget, TargetError, TargetTimeout, from_literal

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
def test_frozen_package_and_c_module_import(target):
    out = target.run("import fastpath, fastpath.timing, _fastpath\nprint('ok')")
    assert out.strip() == "ok"


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
    first = from_literal(target.run(MEASURE))
    second = from_literal(target.run(MEASURE))
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
        assert from_literal(other.run(MEASURE)) == from_literal(other.run(MEASURE))
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


# --- a real board's recovery, played by the emulator behind a port link ------------------
# DeviceTarget knows nothing of QEMU: it opens a path, as it opens /dev/ttyACM0. The link
# plays udev's name for the board; "pressing RST" boots a fresh emulator behind it.

VIPER_HANG = (  # a loop that never checks for Ctrl-C, as viper, asm and C code do not
    "@micropython.viper\ndef spin():\n    while True:\n        pass\n\nspin()\n"
)


class EmulatedBoard:
    def __init__(self, tmp_path, firmware):
        self.port = str(tmp_path / "ttyACM0")
        self.firmware = firmware
        self.qemu = None
        self.boot()

    def boot(self):
        if self.qemu:
            self.qemu.stop()
        self.qemu = QemuTarget(self.firmware)
        self.qemu.start()
        link = Path(self.port + ".new")
        link.symlink_to(self.qemu.device)
        link.replace(self.port)

    def press_rst_after(self, seconds):
        """Boot a fresh emulator behind the link after seconds, from a thread that lives on:
        QEMU is killed when the thread that started it ends (PR_SET_PDEATHSIG)."""
        import threading

        self.done = threading.Event()
        self.booted = threading.Event()

        def rst():
            time.sleep(seconds)
            self.boot()
            self.booted.set()
            self.done.wait()

        threading.Thread(target=rst, daemon=True).start()
        return self.booted

    def stop(self):
        if getattr(self, "done", None):
            self.done.set()
        self.qemu.stop()


@pytest.fixture
def emulated_board(tmp_path, qemu_firmware):
    board = EmulatedBoard(tmp_path, qemu_firmware)
    yield board
    board.stop()


def test_device_timeout_in_python_is_ctrl_c_and_a_soft_reset(tmp_path):
    # The emulator's UART never sees Ctrl-C while code runs, a Pyboard's USB does: the
    # board stand-in (tests/standin_board.py) plays that, running Python that Ctrl-C stops.
    import standin_board

    from tools.targets import DeviceTarget

    port = str(tmp_path / "ttyACM0")
    proc = standin_board.launch(tmp_path, port)
    said = []
    device = DeviceTarget(port, reset_wait=20, say=said.append)
    try:
        device.run("left_over = 1")
        with pytest.raises(TargetTimeout, match=r"^device: no answer .*; target reset$"):
            device.run("while True:\n    pass\n", timeout=2)
        # Ctrl-C stopped the loop and a soft reset cleared the board's state.
        assert device.run("print('left_over' in globals())").strip() == "False"
        assert said == []  # nobody had to press RST
    finally:
        device.close()
        proc.kill()
        proc.wait()


@pytest.mark.full  # waits out a board's reset timeouts
@pytest.mark.targets("qemu")
def test_device_timeout_that_ignores_ctrl_c_waits_for_rst(emulated_board):
    from tools.targets import DeviceTarget

    said = []
    device = DeviceTarget(emulated_board.port, reset_wait=60, say=said.append)
    try:
        assert device.run("print(1)").strip() == "1"
        booted = emulated_board.press_rst_after(12)  # after Ctrl-C has been tried
        with pytest.raises(TargetTimeout, match=r"^device: no answer .*; target reset$"):
            device.run(VIPER_HANG, timeout=2)
        assert booted.is_set()
        assert said == ["device: the board on {} does not answer Ctrl-C (code in viper, asm "
                        "or C never sees it); press its RST button (waiting 60 s)".format(
                            emulated_board.port)]
        assert device.run("print(6 * 7)").strip() == "42"  # the board after its reset
    finally:
        device.close()


@pytest.mark.full  # waits out a board's reset timeouts
@pytest.mark.targets("qemu")
def test_device_that_never_comes_back_is_a_wrapped_timeout(emulated_board):
    from tools.targets import DeviceTarget

    device = DeviceTarget(emulated_board.port, reset_wait=3, say=lambda s: None)
    try:
        with pytest.raises(TargetTimeout, match=r"no reset brought it back within 3 s; press "
                                                r"its RST button, then run again$"):
            device.run(VIPER_HANG, timeout=2)
        assert device.transport is None  # no half-open transport is kept
        # The next run fails the same clear way: not an mpremote TransportError.
        with pytest.raises(TargetTimeout):
            device.run("print(1)", timeout=2)
    finally:
        device.close()


def test_target_output_is_parsed_never_evaluated():
    # from_literal, the one parser of what a target prints: its repr()s, arrays and
    # bytearrays included, come back as values; anything else is refused, not run.
    from array import array

    text = "(1, -2, 'a', b'\\x00', [array('h', [1, -2]), bytearray(b'xy')], {'k': None}, True)"
    assert from_literal(text) == (1, -2, "a", b"\x00", [array("h", [1, -2]), bytearray(b"xy")],
                                  {"k": None}, True)
    for bad in ("__import__('os').system('true')", "open('x')", "array", "1 +", "x.y"):
        with pytest.raises(ValueError, match="not a value a target prints"):
            from_literal(bad)
