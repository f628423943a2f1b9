"""./inv flash and ./inv bootloader, with a recording stand-in for dfu-util first on PATH.

The stand-in logs its arguments and plays a board: in DFU mode or not, flashing that works,
or a cable pulled halfway. No real board is needed, and nothing here takes the `target`
fixture: these run once, on the host.
"""

import json
import os
import shlex
import stat
import sys
import textwrap

import pytest
from invoke_cli import run_task

from tools import flash as flashing
from tools.targets import QemuTarget

LISTING = {
    "board": textwrap.dedent("""\
        dfu-util 0.11
        Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=3, name="@Device Feature/0xFFFF0000/01*004 e", serial="3276337B3234"
        Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", serial="3276337B3234"
        """),  # noqa: E501
    "none": "dfu-util 0.11\n",
    "two": textwrap.dedent("""\
        Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash", serial="A"
        Found DFU: [0483:df11] ver=2200, devnum=9, cfg=1, intf=0, path="1-2", alt=0, name="@Internal Flash", serial="B"
        """),  # noqa: E501
    "denied": "dfu-util 0.11\n"
    "Cannot open DFU device 0483:df11 found on devnum 7 (LIBUSB_ERROR_ACCESS)\n",
    # Another DFU device (not a Pyboard) does not count.
    "other": 'Found DFU: [1209:db42] ver=0100, devnum=4, cfg=1, intf=0, path="1-3", alt=0\n',
}

STANDIN = """\
#!{python}
# Stand-in for dfu-util: records argv, plays the board described in ./board and ./download.
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "calls.jsonl"), "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
def read(name):
    with open(os.path.join(here, name)) as f:
        return f.read()
if "-l" in sys.argv:
    sys.stdout.write(read("listing"))
    sys.exit(0)
if "-D" in sys.argv:
    mode = read("download")
    print("Opening DFU capable USB device...")
    print("Downloading element to address = 0x08000000, size = 14912")
    print("Download\\t[=========================] 100%        14912 bytes")
    print("Downloading element to address = 0x08020000, size = 356840")
    if mode == "cut":
        print("Download\\t[==========               ]  40%       142336 bytes", flush=True)
        print("dfu-util: Error during download get_status", file=sys.stderr)
        sys.exit(74)
    print("Download\\t[=========================] 100%       356840 bytes")
    print("Done parsing DfuSe file")
    if mode == "leave-error":
        print("dfu-util: Error during download get_status", file=sys.stderr)
        sys.exit(74)
    print("Submitting leave request...")
    sys.exit(0)
sys.exit(64)
"""


class StandIn:
    """A dfu-util in its own directory, to put first on PATH."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "standin-bin"
        self.dir.mkdir()
        exe = self.dir / "dfu-util"
        exe.write_text(STANDIN.format(python=sys.executable))
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        self.board("board")
        self.download("ok")

    def board(self, name):
        (self.dir / "listing").write_text(LISTING[name])

    def download(self, mode):
        (self.dir / "download").write_text(mode)

    def calls(self):
        log = self.dir / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def env(self):
        return dict(os.environ, PATH="{}{}{}".format(self.dir, os.pathsep, os.environ["PATH"]))


@pytest.fixture
def standin(tmp_path):
    return StandIn(tmp_path)


@pytest.fixture(scope="module")
def built(layout):
    path = layout.out("PYBV11") / "firmware.dfu"
    if not path.exists():
        pytest.fail("no {}; run: ./inv build".format(layout.rel(path)))
    return path


@pytest.fixture(scope="module")
def PYDFU(layout):
    path = layout.micropython / "tools" / "pydfu.py"
    if not path.exists():
        pytest.fail("no {}; run: ./inv fetch".format(layout.rel(path)))
    return path



def flash_command(path):
    return "dfu-util -a 0 -d 0483:df11 -D {} -s :leave".format(path)


def one_line(text):
    """The single message a failing task printed."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# --- the command ------------------------------------------------------------------------


def test_dry_run_prints_the_exact_command(standin, built):
    r = run_task("flash", "--dry-run", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert flash_command(built) in r.stdout.splitlines()
    assert standin.calls() == []  # a dry run looks for no board


def test_dry_run_with_another_file(standin, built, tmp_path):
    copy = tmp_path / "my image.dfu"
    copy.write_bytes(built.read_bytes())
    r = run_task("flash", "--dfu", str(copy), "--dry-run", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert shlex.join(["dfu-util", "-a", "0", "-d", "0483:df11", "-D", str(copy), "-s",
                       ":leave"]) in r.stdout.splitlines()


def test_flash_lists_then_downloads(standin, built):
    r = run_task("flash", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert standin.calls() == [
        ["-l"],
        ["-a", "0", "-d", "0483:df11", "-D", str(built), "-s", ":leave"],
    ]
    assert "Submitting leave request" in r.stdout  # dfu-util's output reaches the user
    assert "remove the BOOT0 jumper" in r.stdout


def test_command_builders():
    assert flashing.dfu_util_command("x.dfu") == [
        "dfu-util", "-a", "0", "-d", "0483:df11", "-D", "x.dfu", "-s", ":leave"
    ]
    assert flashing.pydfu_command("x.dfu", "/mp/tools/pydfu.py", python="py") == [
        "py", "/mp/tools/pydfu.py", "--vid", "0x0483", "--pid", "0xdf11", "-u", "x.dfu"
    ]


# --- no board, or not exactly one -------------------------------------------------------


@pytest.mark.parametrize("listing", ["none", "other"])
def test_no_board_in_dfu_mode(standin, built, listing):
    standin.board(listing)
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    message = one_line(r.stderr)
    assert message.startswith("flash: no Pyboard in DFU mode")
    assert "connect 3V3 to BOOT0 and press RST" in message
    assert "machine.bootloader()" in message
    assert standin.calls() == [["-l"]]  # looked, never downloaded


def test_two_boards_in_dfu_mode(standin, built):
    standin.board("two")
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "flash: 2 boards in DFU mode (USB paths 1-1, 1-2); unplug all but one"
    )
    assert standin.calls() == [["-l"]]


def test_board_the_user_may_not_open(standin, built):
    standin.board("denied")
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    assert "LIBUSB_ERROR_ACCESS" in one_line(r.stderr)
    assert "udev rule" in r.stderr
    assert standin.calls() == [["-l"]]


# --- a failing download -----------------------------------------------------------------


def test_cut_mid_flash(standin, built):
    standin.download("cut")
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    assert "40%" in r.stdout  # the partial progress was shown
    message = one_line(r.stderr)
    assert message.startswith("flash: dfu-util failed before the image was complete (exit 74)")
    assert "the board stays in DFU mode" in message
    assert "run flash again" in message


def test_error_only_while_leaving(standin, built):
    standin.download("leave-error")
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    message = one_line(r.stderr)
    assert message.startswith("flash: dfu-util wrote the whole image but failed as the board "
                              "left DFU mode (exit 74)")
    assert "./inv repl --target device" in message


# --- files that must never be sent ------------------------------------------------------


def _flip_payload(data):
    data = bytearray(data)
    data[11 + 274 + 8 + 100] ^= 1
    return bytes(data)


def _reseal(data):
    from tools.dfuse import dfu_crc

    return data[:-4] + dfu_crc(data[:-4]).to_bytes(4, "little")


def _wrong_address(data):
    at = 11 + 274
    return _reseal(data[:at] + (0x08100000).to_bytes(4, "little") + data[at + 4 :])


def _wrong_usb_id(data):
    return _reseal(data[:-16] + bytes([0, 0, 0x34, 0x12, 0x83, 0x04]) + data[-10:])


CORRUPT = {
    "bad-crc": (_flip_payload, "suffix CRC mismatch"),
    "truncated": (lambda d: d[:-1000], "truncated: the prefix says"),
    "wrong-address": (_wrong_address, "element 0 at 0x08100000-0x08103a40 is outside the "
                                      "STM32F405 flash 0x08000000-0x08100000"),
    "wrong-vid-pid": (_wrong_usb_id, "wrong VID:PID 0483:1234"),
}


@pytest.mark.parametrize("dry_run", [False, True], ids=["flash", "dry-run"])
@pytest.mark.parametrize("name", CORRUPT)
def test_corrupt_file_is_never_sent(standin, built, tmp_path, name, dry_run):
    corrupt, reason = CORRUPT[name]
    bad = tmp_path / "bad.dfu"
    bad.write_bytes(corrupt(built.read_bytes()))
    dry = ["--dry-run"] if dry_run else []
    r = run_task("flash", "--dfu", str(bad), *dry, env=standin.env())
    assert r.returncode != 0
    message = one_line(r.stderr)
    assert message.startswith("flash: {} is not a valid Pyboard image: ".format(bad))
    assert reason in message
    assert "nothing was sent" in message
    assert "dfu-util" not in r.stdout  # no command printed
    assert not any("-D" in call for call in standin.calls())
    assert standin.calls() == []  # rejected before even looking for a board


def test_missing_file(standin, tmp_path):
    r = run_task("flash", "--dfu", str(tmp_path / "none.dfu"), env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr) == "flash: no file {}; check --dfu".format(tmp_path / "none.dfu")
    assert standin.calls() == []


# --- without dfu-util: MicroPython's pydfu ----------------------------------------------


@pytest.fixture
def no_dfu_util(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_pydfu_fallback_dry_run(no_dfu_util, built, PYDFU):
    said = []
    cmd = flashing.flash(built, pydfu=PYDFU, dry_run=True, echo=said.append)
    assert cmd == [sys.executable, str(PYDFU), "--vid", "0x0483", "--pid", "0xdf11", "-u",
                   str(built)]
    assert said[-1] == shlex.join(cmd)
    assert "dfu-util not found; using MicroPython's tools/pydfu.py" in said


def test_pydfu_finds_no_board(no_dfu_util, built, PYDFU):
    # Runs the real pydfu -l: this machine has no Pyboard in DFU mode (or no USB at all).
    with pytest.raises(flashing.FlashError) as e:
        flashing.flash(built, pydfu=PYDFU, echo=lambda s: None)
    message = str(e.value)
    assert message.startswith("flash: ")
    assert ("no Pyboard in DFU mode" in message and "BOOT0" in message) or (
        "pyusb" in message or "libusb" in message
    )


def test_neither_dfu_util_nor_pydfu(no_dfu_util, built, tmp_path):
    message = r"^flash: neither dfu-util nor MicroPython's tools/pydfu\.py is available; run: "
    with pytest.raises(flashing.FlashError, match=message + r"\./inv setup"):
        flashing.flash(built, pydfu=tmp_path / "pydfu.py", dry_run=True, echo=lambda s: None)


# --- bootloader -------------------------------------------------------------------------


def test_bootloader_without_a_board(tmp_path):
    r = run_task("bootloader", "--port", str(tmp_path / "ttyACM9"))
    assert r.returncode != 0
    assert one_line(r.stderr).startswith(
        "bootloader: no board at {}; connect the Pyboard".format(tmp_path / "ttyACM9")
    )


def test_bootloader_refuses_a_board_without_one(qemu_firmware):
    # The emulator is a MicroPython board with no machine.bootloader(): a clear refusal.
    qemu = QemuTarget(qemu_firmware)
    qemu.start()
    try:
        r = run_task("bootloader", "--port", qemu.device)
    finally:
        qemu.stop()
    assert r.returncode != 0
    assert "has no machine.bootloader(); it is not a Pyboard" in r.stderr
