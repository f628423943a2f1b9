"""./inv flash and ./inv bootloader, with a stand-in for dfu-util first on PATH.

The stand-in (tests/standin_dfu_util.py) plays the STM32's ROM bootloader over a simulated
flash: it writes the image's elements, reads them back, and on request writes one byte
wrong, drops off the bus mid-transfer, answers exit 74 on the leave request, or talks like
dfu-util 0.9. No real board is needed, and nothing here takes the `target` fixture: these run
once, on the host. What only a real Pyboard can confirm is listed in docs/flashing.md.
"""

import json
import os
import shlex
import sys
import textwrap
import threading

import pytest
from invoke_cli import run_task
import standin_board
import standin_host
from standin_dfu_util import elements

from tools import flash as flashing
from tools import kernels
from tools.settings import ROOT
from tools.targets import DeviceTarget, QemuTarget, TargetTimeout

STANDIN = ROOT / "tests" / "standin_dfu_util.py"
FLASH_BASE = 0x08000000

LISTING = {
    "none": "",
    "two": textwrap.dedent("""\
        Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash", serial="A"
        Found DFU: [0483:df11] ver=2200, devnum=9, cfg=1, intf=0, path="1-2", alt=0, name="@Internal Flash", serial="B"
        """),  # noqa: E501
    # Another DFU device (not a Pyboard) does not count.
    "other": 'Found DFU: [1209:db42] ver=0100, devnum=4, cfg=1, intf=0, path="1-3", alt=0\n',
}


class StandIn:
    """The dfu-util stand-in in its own directory, to put first on PATH, and its board."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "dfu"
        self.bin = self.dir / "bin"
        self.bin.mkdir(parents=True)
        exe = self.bin / "dfu-util"
        exe.write_text('#!/bin/sh\nexec "{}" "{}" --state "{}" "$@"\n'.format(
            sys.executable, STANDIN, self.dir))
        exe.chmod(0o755)
        self.state("dfu")

    def state(self, value=None):
        """The board: "dfu" (in DFU mode), "app" (running its firmware), "gone"."""
        path = self.dir / "board"
        if value is not None:
            path.write_text(value)
        return path.read_text().strip()

    def board(self, name):
        """What dfu-util -l shows instead of the board: none, two, other."""
        (self.dir / "listing").write_text(LISTING[name])

    def config(self, **settings):
        (self.dir / "config.json").write_text(json.dumps(settings))

    def calls(self):
        log = self.dir / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def flash(self, address, length):
        data = (self.dir / "flash.bin").read_bytes()
        return data[address - FLASH_BASE : address - FLASH_BASE + length]

    def env(self):
        return dict(os.environ, PATH="{}{}{}".format(self.bin, os.pathsep, os.environ["PATH"]))


@pytest.fixture
def standin(tmp_path):
    return StandIn(tmp_path)


@pytest.fixture(scope="module")
def built(pybv11_dfu):
    return pybv11_dfu


@pytest.fixture(scope="module")
def PYDFU(layout):
    path = layout.micropython / "tools" / "pydfu.py"
    if not path.exists():
        pytest.fail("no {}; run: ./inv fetch".format(layout.rel(path)))
    return path


@pytest.fixture(scope="module")
def image(built):
    """[(address, bytes)] of the built image, by the stand-in's own DfuSe parser."""
    return elements(built.read_bytes())


DOWNLOAD = ["-a", "0", "-d", "0483:df11", "-D"]
LIST = ["-l", "-d", "0483:df11"]  # only the Pyboard's bootloader


def upload_call(address, length, leave=False):
    span = "0x{:08x}:{}".format(address, length) + (":leave" if leave else "")
    return ["-a", "0", "-d", "0483:df11", "-s", span, "-U"]


def without_files(call):
    # Uploads go to fresh files in a temporary folder: compare the rest of the call.
    return call[:-1] if "-U" in call else call


def one_line(text):
    """The single message a failing task printed."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# --- the commands -----------------------------------------------------------------------


def test_dry_run_prints_every_command(standin, built, image):
    r = run_task("flash", "--dry-run", env=standin.env())
    assert r.returncode == 0, r.stderr
    commands = [shlex.split(line) for line in r.stdout.splitlines() if line.startswith("dfu-")]
    assert [without_files(c[1:]) for c in commands] == [DOWNLOAD + [str(built)]] + [
        upload_call(a, len(d)) for a, d in image
    ] + [upload_call(FLASH_BASE, 4, leave=True)]
    assert standin.calls() == []  # a dry run looks for no board


def test_dry_run_without_verify_is_makes_deploy(standin, built, tmp_path):
    copy = tmp_path / "my image.dfu"
    copy.write_bytes(built.read_bytes())
    r = run_task("flash", "--dfu", str(copy), "--dry-run", "--no-verify", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert shlex.join(["dfu-util", "-a", "0", "-d", "0483:df11", "-D", str(copy), "-s",
                       ":leave"]) in r.stdout.splitlines()


def test_command_builders():
    assert flashing.dfu_util_command("x.dfu") == [
        "dfu-util", "-a", "0", "-d", "0483:df11", "-D", "x.dfu", "-s", ":leave"
    ]
    assert flashing.dfu_util_command("x.dfu", leave=False) == [
        "dfu-util", "-a", "0", "-d", "0483:df11", "-D", "x.dfu"
    ]
    assert flashing.dfu_util_upload_command(0x08020000, 356840, "e.bin") == [
        "dfu-util", "-a", "0", "-d", "0483:df11", "-s", "0x08020000:356840", "-U", "e.bin"
    ]
    assert flashing.dfu_util_leave_command("l.bin") == [
        "dfu-util", "-a", "0", "-d", "0483:df11", "-s", "0x08000000:4:leave", "-U", "l.bin"
    ]
    assert flashing.pydfu_command("x.dfu", "/mp/tools/pydfu.py", python="py") == [
        "py", "/mp/tools/pydfu.py", "--vid", "0x0483", "--pid", "0xdf11", "-u", "x.dfu"
    ]


@pytest.mark.parametrize(
    "want, got, at",
    [(b"abc", b"abc", None), (b"abc", b"abd", 2), (b"abc", b"xbc", 0), (b"abc", b"ab", 2),
     (b"", b"", None)],
)
def test_first_difference(want, got, at):
    assert flashing.first_difference(want, got) == at


# --- a clean flash: written, read back, left --------------------------------------------


def test_flash_writes_verifies_and_leaves(standin, built, image):
    r = run_task("flash", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert [without_files(c) for c in standin.calls()] == [LIST, DOWNLOAD + [str(built)]] + [
        upload_call(a, len(d)) for a, d in image
    ] + [upload_call(FLASH_BASE, 4, leave=True)]
    for address, data in image:  # what the simulated flash holds is the image
        assert standin.flash(address, len(data)) == data
    assert standin.state() == "app"  # left DFU mode
    assert "Download done." in r.stdout  # dfu-util's own output reaches the user
    size = sum(len(d) for _, d in image)
    assert "flash: verified {} elements, {} bytes, byte for byte".format(len(image), size) \
        in r.stdout
    assert "left DFU mode" in r.stdout


def test_flash_without_verify_leaves_at_once(standin, built):
    r = run_task("flash", "--no-verify", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert standin.calls() == [LIST, DOWNLOAD + [str(built), "-s", ":leave"]]
    assert "not verified" in r.stdout and "remove the BOOT0 jumper" in r.stdout


# --- a corrupted write is caught, every time --------------------------------------------


def _positions(image):
    # First, second, a middle and the last byte of every element.
    for e, (_, data) in enumerate(image):
        for at in sorted({0, 1, len(data) // 2, len(data) - 1}):
            yield e, at


@pytest.mark.full  # waits out the stand-ins' timeouts, or runs the device suite
def test_corrupted_write_is_caught(tmp_path, built, image):
    for i, (e, at) in enumerate(_positions(image)):
        _corrupted_write_is_caught(StandIn(tmp_path / str(i)), image, e, at)


def _corrupted_write_is_caught(standin, image, e, at):
    standin.config(corrupt=[e, at])
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    address, data = image[e]
    wrote = data[at]
    assert one_line(r.stderr) == (
        "flash: verify failed: element {} at 0x{:08x} ({} bytes) differs from the image at "
        "offset 0x{:x} (address 0x{:08x}: wrote 0x{:02x}, read 0x{:02x}); the board stays in "
        "DFU mode (its ROM bootloader cannot be overwritten): run flash again".format(
            e, address, len(data), at, address + at, wrote, wrote ^ 0x10)
    )
    assert standin.state() == "dfu"  # not left: ready for the next attempt
    assert not any("leave" in " ".join(c) for c in standin.calls())

    # ... and flashing again mends it.
    standin.config()
    r = run_task("flash", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert standin.flash(address, len(data)) == data


# --- a failing download -----------------------------------------------------------------


def test_cut_mid_flash(standin, built, image):
    standin.config(cut=1)
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    assert "50%" in r.stdout  # the partial progress was shown
    message = one_line(r.stderr)
    assert message.startswith(
        "flash: dfu-util failed before the image was complete (exit 74; element 0 at "
        "0x08000000 ({} bytes) could not be read back: dfu-util: No DFU capable USB device "
        "available)".format(len(image[0][1])))
    assert message.endswith("the board stays in DFU mode (its ROM bootloader cannot be "
                            "overwritten): check the USB cable, then run flash again")


@pytest.mark.parametrize("version", ["0.11", "0.9"])
def test_error_only_while_leaving_is_a_good_flash(standin, built, version):
    # The ROM bootloader often drops off USB before answering the leave request: the
    # read-back has already proven the image, so this is a success with a note.
    standin.config(leave="error", version=version)
    r = run_task("flash", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stdout
    assert "the leave request ended with exit 74; the board may have started anyway" in r.stdout
    assert standin.state() == "app"


@pytest.mark.parametrize("version", ["0.11", "0.9"])
def test_unverified_error_while_leaving(standin, built, version):
    # Without a read-back, the output decides; dfu-util 0.9 prints "done parsing DfuSe file"
    # in lowercase, 0.10 and later "Done parsing DfuSe file".
    standin.config(leave="error", version=version)
    r = run_task("flash", "--no-verify", env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr).startswith(
        "flash: dfu-util wrote the whole image but failed as the board left DFU mode (exit 74)")
    assert "./inv repl --target device" in r.stderr


def test_dfu_util_09_flashes_and_verifies(standin, built):
    standin.config(version="0.9")
    r = run_task("flash", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert "done parsing DfuSe file" in r.stdout
    assert "verified" in r.stdout and standin.state() == "app"


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
    assert {tuple(c) for c in standin.calls()} == {tuple(LIST)}  # looked, never downloaded


def test_two_boards_in_dfu_mode(standin, built):
    standin.board("two")
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "flash: 2 boards in DFU mode (USB paths 1-1, 1-2); unplug all but one"
    )
    assert standin.calls() == [LIST]


@pytest.mark.parametrize("version, says", [
    ("0.11", "Cannot open DFU device 0483:df11 found on devnum 7 (LIBUSB_ERROR_ACCESS)"),
    ("0.9", "Cannot open DFU device 0483:df11"),  # no reason, and not listed
])
def test_board_the_user_may_not_open(standin, built, version, says):
    standin.config(version=version, denied=-1)
    r = run_task("flash", env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "flash: a board is in DFU mode but this user may not open it ({}); add the udev rule "
        "in docs/flashing.md, or run flash with sudo".format(says))
    assert standin.calls() and all(c == LIST for c in standin.calls())  # never downloaded


@pytest.mark.parametrize("version", ["0.11", "0.9"])
def test_another_dfu_device_the_user_may_not_open(standin, built, version):
    # A Bluetooth adapter's runtime DFU interface the user may not open is not the board.
    standin.config(version=version, other_denied=True)
    r = run_task("flash", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stdout and standin.state() == "app"


def test_access_is_transient_until_the_deadline(standin, built):
    # libusb lists a new device before udev has applied the rule's permissions: the first
    # polls are refused, then the board opens.
    standin.config(denied=3)
    flashing.wait_for_dfu("dfu-util", str(standin.bin / "dfu-util"), timeout=20, poll=0.1)
    assert len(standin.calls()) == 4
    standin.config(denied=-1)  # never: the refusal, once the time is up
    with pytest.raises(flashing.FlashError, match="may not open it"):
        flashing.wait_for_dfu("dfu-util", str(standin.bin / "dfu-util"), timeout=0.5, poll=0.1)


def test_plain_flash_waits_for_the_bootloader(standin, built):
    # ./inv bootloader && ./inv flash: the ROM bootloader enumerates 1-2 s after
    # machine.bootloader().
    import threading

    standin.state("gone")
    timer = threading.Timer(1.5, standin.state, ("dfu",))
    timer.start()
    try:
        r = run_task("flash", env=standin.env())
    finally:
        timer.cancel()
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stdout and standin.state() == "app"


# --- images that would wipe the board's filesystem -----------------------------------------


def _into_filesystem(data):
    # Element 1 moved from 0x08020000 to 0x08008000: inside sectors 1-4, /flash.
    at = 11 + 274 + 8 + int.from_bytes(data[11 + 274 + 4 : 11 + 274 + 8], "little")
    return _reseal(data[:at] + (0x08008000).to_bytes(4, "little") + data[at + 4 :])


def test_image_over_the_filesystem_needs_force(standin, built, tmp_path):
    bad = tmp_path / "foreign.dfu"
    bad.write_bytes(_into_filesystem(built.read_bytes()))
    for dry in ([], ["--dry-run"]):
        r = run_task("flash", "--dfu", str(bad), *dry, env=standin.env())
        assert r.returncode != 0
        assert one_line(r.stderr).startswith(
            "flash: {} would overwrite the board's filesystem: element 1 at 0x08008000-"
            .format(bad))
        assert "writes the filesystem's sectors 0x08004000-0x08020000" in r.stderr
        assert "flash --force writes it anyway" in r.stderr
    assert standin.calls() == []
    r = run_task("flash", "--dfu", str(bad), "--force", env=standin.env())
    assert r.returncode == 0, r.stderr
    assert "flash: warning: element 1 at 0x08008000-" in r.stdout
    assert "verified" in r.stdout


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
    # {end}: past the moved element, whose size is the build's (it differs between releases).
    "wrong-address": (_wrong_address, "element 0 at 0x08100000-{end} is outside the "
                                      "STM32F405 flash 0x08000000-0x08100000"),
    "wrong-vid-pid": (_wrong_usb_id, "wrong VID:PID 0483:1234"),
}


@pytest.mark.parametrize("dry_run", [False, True], ids=["flash", "dry-run"])
@pytest.mark.parametrize("name", CORRUPT)
def test_corrupt_file_is_never_sent(standin, built, tmp_path, name, dry_run):
    corrupt, reason = CORRUPT[name]
    data = built.read_bytes()
    size = int.from_bytes(data[11 + 274 + 4 : 11 + 274 + 8], "little")  # element 0's
    reason = reason.replace("{end}", "0x{:08x}".format(0x08100000 + size))
    bad = tmp_path / "bad.dfu"
    bad.write_bytes(corrupt(data))
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
    cmds = flashing.flash(built, pydfu=PYDFU, dry_run=True, echo=said.append)
    rw = [sys.executable, str(flashing.PYDFU_RW), "--pydfu", str(PYDFU), "--vid", "0x0483",
          "--pid", "0xdf11"]
    assert cmds[0] == rw + ["-D", str(built)]  # writes, stays in DFU mode
    assert [c[:-1] for c in cmds[1:-1]] == [
        rw + ["-s", "0x{:08x}:{}".format(a, len(d)), "-U"]
        for a, d in elements(built.read_bytes())
    ]
    assert cmds[-1] == rw + ["--leave"]
    assert said[-len(cmds):] == [shlex.join(c) for c in cmds]
    assert "dfu-util not found; using MicroPython's tools/pydfu.py" in said
    # Without the read-back, upstream pydfu exactly as the stm32 Makefile runs it.
    cmds = flashing.flash(built, pydfu=PYDFU, dry_run=True, verify_write=False,
                          echo=lambda s: None)
    assert cmds == [[sys.executable, str(PYDFU), "--vid", "0x0483", "--pid", "0xdf11", "-u",
                     str(built)]]


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


@pytest.fixture
def fake_usb(tmp_path, monkeypatch, no_dfu_util, PYDFU):
    """pydfu's pyusb replaced by tests/standin_pyusb: the ROM bootloader's DfuSe requests
    over a simulated flash, for every process this test starts."""
    state = tmp_path / "usb"
    state.mkdir()
    (state / "board").write_text("dfu")
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests" / "standin_pyusb"))
    monkeypatch.setenv("FASTPATH_DFU_STATE", str(state))
    return state


def test_pydfu_flash_reads_back_and_leaves(fake_usb, built, image, PYDFU):
    said = []
    flashing.flash(built, pydfu=PYDFU, echo=said.append)
    flash = (fake_usb / "flash.bin").read_bytes()
    for address, data in image:
        assert flash[address - FLASH_BASE : address - FLASH_BASE + len(data)] == data
    assert any(line.startswith("flash: verified 2 elements") for line in said)
    assert (fake_usb / "board").read_text() == "app"


def test_pydfu_board_the_user_may_not_open(fake_usb, built, monkeypatch, PYDFU):
    # pydfu -l prints the board, then dies opening it: USBError Errno 13, not "no board".
    monkeypatch.setenv("FASTPATH_DFU_DENIED", "1")
    with pytest.raises(flashing.FlashError) as e:
        flashing.flash(built, pydfu=PYDFU, echo=lambda s: None, dfu_wait=0.5)
    assert str(e.value) == (
        "flash: a board is in DFU mode but this user may not open it (pydfu: USBError: "
        "[Errno 13] Access denied (insufficient permissions)); add the udev rule in "
        "docs/flashing.md, or run flash with sudo")
    assert (fake_usb / "board").read_text() == "dfu"


def test_pydfu_corrupted_write_is_caught(fake_usb, built, image, monkeypatch, PYDFU):
    address, data = image[1]
    monkeypatch.setenv("FASTPATH_DFU_CORRUPT", hex(address + 0x2345))
    with pytest.raises(flashing.FlashError) as e:
        flashing.flash(built, pydfu=PYDFU, echo=lambda s: None)
    assert str(e.value).startswith(
        "flash: verify failed: element 1 at 0x{:08x} ({} bytes) differs from the image at "
        "offset 0x2345 (address 0x{:08x}: wrote 0x{:02x}, read 0x{:02x})".format(
            address, len(data), address + 0x2345, data[0x2345], data[0x2345] ^ 0x10))
    assert (fake_usb / "board").read_text() == "dfu"


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


# --- one command from a running board: ./inv flash --port P ------------------------------




class Board:
    """tests/standin_board.py: a Pyboard's serial port on a pty, playing one board with the
    dfu-util stand-in (machine.bootloader() puts it in DFU mode, leaving DFU mode boots it)."""

    def __init__(self, standin, tmp_path, after="python", firmware=None, **opts):
        self.port = str(tmp_path / "ttyACM0")
        self.standin = standin
        self.proc = standin_board.launch(standin.dir, self.port, after=after, firmware=firmware,
                                         **opts)

    def runs(self, build):
        """The fastpath.BUILD the firmware reports once it boots (None: a fastpath package
        without BUILD)."""
        (self.standin.dir / "identity.json").write_text(json.dumps(build))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def board(standin, tmp_path):
    b = Board(standin, tmp_path)
    yield b
    b.stop()


@pytest.fixture(scope="module")
def built_identity(built):
    path = built.with_name("firmware.json")
    if not path.exists():
        pytest.fail("no {}; run: ./inv build".format(path))
    return json.loads(path.read_text())


def test_one_command_from_a_running_board(standin, board, built, image, built_identity):
    board.runs(built_identity)
    r = run_task("flash", "--port", board.port, env=standin.env())
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "flash: asked the board on {} to enter DFU mode".format(board.port) in out
    assert "flash: verified {} elements".format(len(image)) in out
    assert "flash: the board on {} runs fastpath {}, MicroPython {}, board PYBV11, as " \
           "built".format(board.port, built_identity["fastpath"],
                          built_identity["micropython"]) in out
    calls = [without_files(c) for c in standin.calls() if c != LIST]
    assert calls == [DOWNLOAD + [str(built)]] + [upload_call(a, len(d)) for a, d in image] + [
        upload_call(FLASH_BASE, 4, leave=True)]
    for address, data in image:
        assert standin.flash(address, len(data)) == data
    assert standin.state() == "app"


def test_wrong_identity_after_reboot_is_one_error(standin, board, built, built_identity):
    other = dict(built_identity, fastpath="0123abc")
    board.runs(other)
    r = run_task("flash", "--port", board.port, env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "flash: the board on {p} runs fastpath 0123abc, MicroPython {mp}, board PYBV11 "
        "(fastpath 0123abc (expected {fp})), not the firmware just written (fastpath {fp}, "
        "MicroPython {mp}, board PYBV11); is another board on {p}? otherwise run flash "
        "again".format(p=board.port, fp=built_identity["fastpath"],
                       mp=built_identity["micropython"])
    )


def test_shadowed_identity_names_the_copy_in_flash(standin, board, built):
    board.runs(None)  # a fastpath package without BUILD: a copy deployed to /flash
    r = run_task("flash", "--port", board.port, env=standin.env())
    assert r.returncode != 0
    message = one_line(r.stderr)
    assert message.startswith("flash: the board on {} has a fastpath package without "
                              "fastpath.BUILD, not the firmware just written".format(board.port))
    assert "a fastpath package copied to the board's /flash hides the frozen one" in message


def test_corrupt_write_with_port_stops_in_dfu_mode(standin, board, built):
    standin.config(corrupt=[1, 7])
    r = run_task("flash", "--port", board.port, env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr).startswith("flash: verify failed: element 1 ")
    assert standin.state() == "dfu" and not os.path.exists(board.port)


def test_no_dfu_mode_after_bootloader_is_a_clear_timeout(standin, tmp_path):
    standin.board("none")  # machine.bootloader() ran, but no 0483:df11 shows up
    with pytest.raises(flashing.FlashError) as e:
        flashing.wait_for_dfu("dfu-util", str(standin.bin / "dfu-util"), timeout=1, poll=0.2)
    assert str(e.value) == (
        "flash: the board did not appear in DFU mode (0483:df11) within 1 s of "
        "machine.bootloader(); fit the BOOT0 jumper (connect 3V3 to BOOT0), press RST and run "
        "flash again (docs/flashing.md)"
    )


def test_board_that_does_not_come_back_is_a_clear_timeout(tmp_path):
    port = str(tmp_path / "ttyACM0")
    with pytest.raises(flashing.FlashError) as e:
        flashing.wait_for_port(port, timeout=1, poll=0.2)
    assert str(e.value) == (
        "flash: the firmware is written and verified, but no MicroPython answered on {p} "
        "within 1 s; remove the BOOT0 jumper if fitted, press RST, then check: ./inv repl "
        "--target device --port {p}".format(p=port)
    )


# --- what a Linux desktop does to the board ------------------------------------------------


def _refusal(what, host):
    mount = host.drive()
    return (
        "{w}: this computer has the board's drive mounted at /media/me/4A21-0000; resetting "
        "the board under it loses writes not yet flushed and can corrupt its filesystem: "
        "unmount it first (udisksctl unmount -b {d}, or eject it in the file manager), then "
        "run {w} again".format(w=what, d=mount.device))


@pytest.mark.parametrize("mounted", ["sdb1", "sdb"])  # a partition, or the whole disk
def test_no_reset_while_the_drive_is_mounted(standin, board, built, tmp_path, mounted):
    # machine.bootloader() resets the board under the host's mount: refused, board untouched.
    host = standin_host.host(tmp_path, mounted=mounted)
    with pytest.raises(flashing.FlashError) as e:
        flashing.enter_bootloader(board.port, host=host)
    assert str(e.value) == _refusal("bootloader", host)
    with pytest.raises(flashing.FlashError) as e:
        flashing.flash_board(board.port, built, host=host, echo=lambda s: None)
    assert str(e.value) == _refusal("flash", host)
    assert standin.state() == "app" and os.path.exists(board.port)  # still running
    assert standin.calls() == []


def test_board_comes_back_on_another_port(standin, tmp_path, built, built_identity,
                                         monkeypatch):
    # A program still holds ttyACM0: the rebooted board is ttyACM1; udev's by-id name finds it.
    monkeypatch.setenv("PATH", standin.env()["PATH"])
    host = standin_host.host(tmp_path)
    acm0, acm1 = str(tmp_path / "ttyACM0"), str(tmp_path / "ttyACM1")
    board = Board(standin, tmp_path, ports=[acm0, acm1], by_id=str(host.serial_by_id))
    board.runs(built_identity)
    said = []
    try:
        got, now = flashing.flash_board(acm0, built, expected=built_identity, host=host,
                                        port_timeout=15, echo=said.append)
    finally:
        board.stop()
    assert (got, now) == (built_identity, acm1)
    assert "flash: the board came back on {} (it was {})".format(acm1, acm0) in said


def test_modem_probe_in_the_raw_repl_is_asked_again(standin, tmp_path, built, built_identity,
                                                    monkeypatch):
    # ModemManager writes "AT\r" into the new port: the first answer is a SyntaxError, not
    # "no fastpath package".
    monkeypatch.setenv("PATH", standin.env()["PATH"])
    board = Board(standin, tmp_path, at_probe=True)
    board.runs(built_identity)
    try:
        got, now = flashing.flash_board(board.port, built, expected=built_identity,
                                        host=standin_host.host(tmp_path), port_timeout=15,
                                        echo=lambda s: None)
    finally:
        board.stop()
    assert (got, now) == (built_identity, board.port)


@pytest.mark.full  # waits out the stand-ins' timeouts, or runs the device suite
def test_no_hard_reset_under_a_mount(standin, tmp_path):
    # DeviceTarget's recovery: the REPL answers Ctrl-C but not a soft reset, so the next step
    # is machine.reset(); not while the drive is mounted.
    board = Board(standin, tmp_path, soft_reset=False)
    said = []
    host = standin_host.host(tmp_path, mounted="sdb1")
    t = DeviceTarget(board.port, reset_wait=1, say=said.append, host=host)
    try:
        with pytest.raises(TargetTimeout):
            t.recover()
        assert not (standin.dir / "resets").exists()
        assert said == [
            "device: the board on {} needs a hard reset, but this computer has its drive "
            "mounted at /media/me/4A21-0000, and a reset under a mount can corrupt its FAT: "
            "unmount it (udisksctl unmount -b {}), then press the board's RST button (waiting "
            "1 s)".format(board.port, host.drive().device)]
        (tmp_path / "unmounted").mkdir()
        t.host = standin_host.host(tmp_path / "unmounted")
        with pytest.raises(TargetTimeout):
            t.recover()
        assert (standin.dir / "resets").read_text() == "1"  # machine.reset() went out
    finally:
        t.close()
        board.stop()


def test_a_board_that_reset_itself_is_waited_for(standin, tmp_path):
    # After a HardFault the board resets itself (ports/stm32/stm32_it.c): its port goes and
    # comes back; nobody needs to press RST.
    said, boards = [], []
    t = DeviceTarget(str(tmp_path / "ttyACM0"), reset_wait=15, say=said.append)
    timer = threading.Timer(1.0, lambda: boards.append(Board(standin, tmp_path)))
    timer.start()
    try:
        t.recover()
        assert t.transport is not None
    finally:
        timer.join()
        t.close()
        for b in boards:
            b.stop()
    assert len(said) == 1 and "RST" not in said[0], said
    assert said[0].startswith("device: the board on {} went off USB".format(t.device))


def test_test_needs_a_port(standin, built):
    r = run_task("flash", "--test", env=standin.env())
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "flash: --test runs the suite on the board it flashed: give its --port too")
    assert standin.calls() == []


@pytest.mark.full  # waits out the stand-ins' timeouts, or runs the device suite
@pytest.mark.targets("qemu")
def test_one_command_to_a_tested_board(standin, tmp_path, built, qemu_firmware, layout):
    # After the reboot the board is the emulator (the stand-in links the port to a QEMU):
    # a real MicroPython for the device suite and bench. It reports the emulator build's
    # identity, so that is the firmware.json beside the image here.
    fw = tmp_path / "fw"
    fw.mkdir()
    (fw / "firmware.dfu").write_bytes(built.read_bytes())
    (fw / "firmware.json").write_bytes((qemu_firmware.parent / "firmware.json").read_bytes())
    board = Board(standin, tmp_path, after="qemu", firmware=qemu_firmware)
    report = layout.out("device") / "tests.xml"
    report.unlink(missing_ok=True)
    kernel = sorted(kernels.discover())[0]
    try:
        # A small slice of the suite: the whole of it is ./inv test --target qemu's job.
        env = dict(standin.env(), PYTEST_ADDOPTS="-k 'test_every_rung_equals_the_reference "
                   "and {}'".format(kernel))
        r = run_task("flash", "--dfu", str(fw / "firmware.dfu"), "--port", board.port,
                     "--test", env=env, timeout=1800)
    finally:
        board.stop()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "board qemu, as built" in r.stdout
    assert "[flash] device suite on {}".format(board.port) in r.stdout
    assert " passed" in r.stdout and " failed" not in r.stdout
    assert 'name="pytest"' in report.read_text() and "device" in report.read_text()
    rep = json.loads((layout.build / "bench" / "bench-device.json").read_text())
    assert rep["target"] == "device" and rep["build"]["board"] == "qemu"
    assert {r["kernel"] for r in rep["rows"]} == {
        k.name for k in kernels.discover().values() if k.runs_on("qemu")}
