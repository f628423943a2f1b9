"""Writing a checked .dfu image to a Pyboard over USB DFU, reading it back, and checking that
the board then runs it.

The STM32F405's ROM bootloader (USB id 0483:df11) does the writing; it lives in system
memory that no flash can overwrite, so an interrupted flash is mended by entering DFU mode
again and flashing again. We drive it with dfu-util, as MicroPython's own ``make deploy``
does, or, without dfu-util, with MicroPython's tools/pydfu.py (pyusb) through pydfu_rw.py.

Neither tool checks what landed in flash: dfu-util only warns about a bad suffix CRC and
never reads back, pydfu exits 0 even on a CRC error, and on the ROM bootloader the final
leave request often fails (dfu-util exit 74) after a good download. So flash() validates the
file first (tools/dfuse.py), writes without leaving DFU mode, reads every element back
(dfu-util -U with -s ADDR:LEN) and compares byte for byte, and only then leaves DFU mode.
A mismatch leaves the board in DFU mode, ready for the next attempt.

flash_board() is the whole path from a board running MicroPython on a serial port: into DFU
mode, flash and verify, back on its port, and its fastpath.BUILD compared with the
firmware.json written beside the image (tools/identity.py).

Everything raises FlashError with one line that says what failed and how to fix it.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools import dfuse, identity

DFU_ID = "{:04x}:{:04x}".format(*dfuse.PYBOARD_DFU_ID)  # "0483:df11"
_VID, _PID = ("0x{:04x}".format(n) for n in dfuse.PYBOARD_DFU_ID)  # pydfu's --vid, --pid
PYDFU_RW = Path(__file__).resolve().parent / "pydfu_rw.py"
# Where the ROM bootloader jumps when it leaves DFU mode: the start of the image.
LEAVE_ADDRESS = dfuse.STM32F405_FLASH[0]

ENTER_DFU = (
    "flash: no Pyboard in DFU mode ({}); enter it: connect 3V3 to BOOT0 and press RST "
    "(or run machine.bootloader() at its REPL: ./inv bootloader --port PORT), then run "
    "flash again"
)

NO_ACCESS = (
    "flash: a board is in DFU mode but this user may not open it ({}); add the udev rule in "
    "docs/flashing.md, or run flash with sudo"
)

# dfu-util -l prints one line per alternate setting of each device in DFU mode:
#   Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=0, ...
_FOUND = re.compile(r"^Found DFU: \[" + DFU_ID + r"\].*?path=\"([^\"]*)\"", re.I | re.M)
# ... and for a device it may not open, leaving it out of the list (any DFU-class device,
# e.g. a Bluetooth adapter's runtime DFU interface; only the Pyboard's line counts):
#   0.10+: dfu-util: Cannot open DFU device 0483:df11 found on devnum 7 (LIBUSB_ERROR_ACCESS)
#   0.9:   dfu-util: Cannot open DFU device 0483:df11
_DENIED = re.compile(r"Cannot open DFU device " + DFU_ID + r"\b[^\n]*", re.I)
# pydfu -l prints the device, then pyusb fails opening it for its layout string:
#   usb.core.USBError: [Errno 13] Access denied (insufficient permissions)
_PYUSB_DENIED = re.compile(r"USBError: \[Errno 13\][^\n]*")
# What dfu-util prints once every element of a DfuSe file is written: "Done parsing DfuSe
# file" since 0.10, "done parsing DfuSe file" in 0.9 and before. pydfu prints "Finished".
_WRITTEN = re.compile(rb"done parsing dfuse file|^finished", re.I | re.M)


class FlashError(Exception):
    """Flashing cannot go ahead, or failed; str() is the message for the user."""


class NoBoard(FlashError):
    """No Pyboard in DFU mode (yet: the ROM bootloader enumerates 1-2 s after
    machine.bootloader())."""


class NoAccess(FlashError):
    """A Pyboard is in DFU mode but this user may not open it (yet: libusb lists a new
    device before udev has applied the rule's permissions)."""


# --- the commands -----------------------------------------------------------------------


def dfu_util_command(dfu, tool="dfu-util", leave=True):
    """The command MicroPython's stm32 Makefile runs to flash a .dfu (RUN_DFU); without
    leave, the board stays in DFU mode for the read-back."""
    cmd = [tool, "-a", "0", "-d", DFU_ID, "-D", str(dfu)]
    return cmd + ["-s", ":leave"] if leave else cmd


def dfu_util_upload_command(address, length, out, tool="dfu-util", leave=False):
    """Read length bytes of internal flash (alt 0) from address into the new file out."""
    span = "0x{:08x}:{}".format(address, length) + (":leave" if leave else "")
    return [tool, "-a", "0", "-d", DFU_ID, "-s", span, "-U", str(out)]


def dfu_util_leave_command(out, tool="dfu-util"):
    """Leave DFU mode, starting the firmware. dfu-util 0.9 has no command-only mode (it wants
    -D or -U), so this reads the image's first word and leaves, which every version does."""
    return dfu_util_upload_command(LEAVE_ADDRESS, 4, out, tool=tool, leave=True)


def pydfu_command(dfu, pydfu, python=sys.executable):
    """The same through tools/pydfu.py, as the stm32 Makefile does with USE_PYDFU=1 (it
    leaves DFU mode at the end)."""
    return [python, str(pydfu), "--vid", _VID, "--pid", _PID, "-u", str(dfu)]


def _pydfu_rw(pydfu, python=sys.executable):
    return [python, str(PYDFU_RW), "--pydfu", str(pydfu), "--vid", _VID, "--pid", _PID]


class Tool:
    """The commands of one DFU tool: dfu-util, or pydfu through pydfu_rw.py."""

    def __init__(self, kind, path):
        self.kind = kind
        self.path = path

    def download(self, dfu, leave):
        if self.kind == "dfu-util":
            return dfu_util_command(dfu, tool="dfu-util", leave=leave)
        if leave:
            return pydfu_command(dfu, self.path)
        return _pydfu_rw(self.path) + ["-D", str(dfu)]

    def upload(self, address, length, out):
        if self.kind == "dfu-util":
            return dfu_util_upload_command(address, length, out)
        return _pydfu_rw(self.path) + ["-s", "0x{:08x}:{}".format(address, length), "-U",
                                       str(out)]

    def leave(self, out):
        if self.kind == "dfu-util":
            return dfu_util_leave_command(out)
        return _pydfu_rw(self.path) + ["--leave"]


def choose_tool(pydfu):
    """("dfu-util", path) when dfu-util is on PATH, else ("pydfu", path) from the fetched
    MicroPython tree; FlashError when there is neither."""
    tool = shutil.which("dfu-util")
    if tool:
        return "dfu-util", tool
    if pydfu and Path(pydfu).exists():
        return "pydfu", pydfu
    raise FlashError(
        "flash: neither dfu-util nor MicroPython's tools/pydfu.py is available; "
        "run: ./inv setup (installs dfu-util) or ./inv fetch"
    )


def _run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def find_board(kind, tool):
    """Look for a Pyboard in DFU mode; FlashError unless there is exactly one."""
    if kind == "dfu-util":
        r = _run([tool, "-l", "-d", DFU_ID])
        out = r.stdout + r.stderr
        paths = set(_FOUND.findall(out))
        denied = _DENIED.search(out)
        if denied and not paths:
            raise NoAccess(NO_ACCESS.format(denied.group(0).strip()))
        if len(paths) > 1:
            raise FlashError(
                "flash: {} boards in DFU mode (USB paths {}); unplug all but one".format(
                    len(paths), ", ".join(sorted(paths))
                )
            )
        if not paths:
            raise NoBoard(ENTER_DFU.format("dfu-util -l lists no " + DFU_ID))
        return
    r = _run([sys.executable, str(tool), "-l", "--vid", _VID, "--pid", _PID])
    out = r.stdout + r.stderr
    if "No module named 'usb'" in out:
        raise FlashError(
            "flash: pydfu needs pyusb; run tasks through ./inv (it installs requirements.txt), "
            "or install dfu-util: ./inv setup"
        )
    if "NoBackendError" in out:
        raise FlashError(
            "flash: pyusb found no USB library; run: sudo apt-get install -y libusb-1.0-0, "
            "or install dfu-util: ./inv setup"
        )
    denied = _PYUSB_DENIED.search(out)
    if denied and DFU_ID in out.lower():
        raise NoAccess(NO_ACCESS.format("pydfu: " + denied.group(0).strip()))
    if r.returncode or DFU_ID not in out.lower():
        raise NoBoard(ENTER_DFU.format("pydfu -l lists no " + DFU_ID))


def _stream(cmd):
    """Run cmd with its output going straight to the terminal (progress bars) and kept, to
    explain a failure; (exit status, output)."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    seen = bytearray()
    for chunk in iter(lambda: proc.stdout.read1(256), b""):
        seen += chunk
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    return proc.wait(), bytes(seen)


# --- read-back --------------------------------------------------------------------------


def first_difference(want, got):
    """The first offset where got differs from want (a short read differs where it ends),
    or None when they are equal."""
    if want == got:
        return None
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            return i
    return min(len(want), len(got))


def _elements(image):
    return [el for img in image.images for el in img.elements]


def read_back(tool, image, workdir):
    """Read every element of image back from the board; [(element, bytes or None, why)]."""
    results = []
    for i, el in enumerate(_elements(image)):
        out = Path(workdir) / "element{}.bin".format(i)
        r = _run(tool.upload(el.address, len(el.data), out))
        if r.returncode or not out.exists():
            lines = (r.stdout + r.stderr).strip().splitlines()
            results.append((el, None, lines[-1] if lines else "exit {}".format(r.returncode)))
        else:
            results.append((el, out.read_bytes(), None))
    return results


def verify(tool, image, workdir):
    """None when every element reads back as written, else the one-line reason."""
    for i, (el, data, why) in enumerate(read_back(tool, image, workdir)):
        name = "element {} at 0x{:08x} ({} bytes)".format(i, el.address, len(el.data))
        if data is None:
            return "{} could not be read back: {}".format(name, why)
        at = first_difference(el.data, data)
        if at is not None:
            if at >= len(data):
                return "{} read back only {} bytes".format(name, len(data))
            return "{} differs from the image at offset 0x{:x} (address 0x{:08x}: wrote " \
                   "0x{:02x}, read 0x{:02x})".format(name, at, el.address + at, el.data[at],
                                                    data[at])
    return None


# --- flash ------------------------------------------------------------------------------


def _load(dfu, echo, force=False):
    try:
        image = dfuse.read(dfu)
    except dfuse.DfuError as e:
        raise FlashError(
            "flash: {} is not a valid Pyboard image: {}; nothing was sent (rebuild it: "
            "./inv build)".format(dfu, e)
        ) from None
    clash = dfuse.filesystem_clash(image)
    if clash and not force:
        raise FlashError(
            "flash: {} would overwrite the board's filesystem: {}; nothing was sent (copy "
            "your files off the board first; then flash --force writes it anyway)".format(
                dfu, clash)
        )
    echo("{}: DfuSe image for {}, CRC ok".format(dfu, DFU_ID))
    if clash:
        echo("flash: warning: {}; --force: the board's /flash will be lost".format(clash))
    for line in dfuse.describe(image):
        echo("  " + line)
    return image


def flash(dfu, pydfu=None, dry_run=False, verify_write=True, echo=print, dfu_wait=5.0,
          force=False):
    """Validate dfu, then write it to the one Pyboard in DFU mode (waiting up to dfu_wait
    seconds for it: `./inv bootloader && ./inv flash`); with verify_write (the default) read
    every element back and compare before leaving DFU mode. force allows an image that
    writes the filesystem's sectors. Returns the commands run (or, with dry_run, printed
    instead of looking for a board)."""
    image = _load(dfu, echo, force)
    kind, path = choose_tool(pydfu)
    tool = Tool(kind, path)
    if kind == "pydfu":
        echo("dfu-util not found; using MicroPython's tools/pydfu.py")

    with tempfile.TemporaryDirectory(prefix="fastpath-flash-") as tmp:
        cmds = [tool.download(dfu, leave=not verify_write)]
        if verify_write:
            cmds += [tool.upload(el.address, len(el.data),
                                 Path(tmp) / "element{}.bin".format(i))
                     for i, el in enumerate(_elements(image))]
            cmds.append(tool.leave(Path(tmp) / "leave.bin"))
        if dry_run:
            for cmd in cmds:
                echo(shlex.join(cmd))
            return cmds

        wait_for_dfu(kind, path, timeout=dfu_wait, after_bootloader=False)
        echo("$ " + shlex.join(cmds[0]))
        code, seen = _stream(cmds[0])
        if not verify_write:
            _check_download(kind, code, seen)
            echo("flash: done (not verified); remove the BOOT0 jumper and press RST, then: "
                 "./inv repl --target device")
            return cmds

        # The read-back decides, whatever the download's exit status said.
        echo("flash: reading {} elements back to verify".format(len(_elements(image))))
        why = verify(tool, image, tmp)
        if why:
            if code:
                raise FlashError(
                    "flash: {} failed before the image was complete (exit {}; {}); the board "
                    "stays in DFU mode (its ROM bootloader cannot be overwritten): check the "
                    "USB cable, then run flash again".format(kind, code, why)
                )
            raise FlashError(
                "flash: verify failed: {}; the board stays in DFU mode (its ROM bootloader "
                "cannot be overwritten): run flash again".format(why)
            )
        size = sum(len(el.data) for el in _elements(image))
        echo("flash: verified {} elements, {} bytes, byte for byte{}".format(
            len(_elements(image)), size,
            " (the download itself ended with exit {})".format(code) if code else ""))
        r = _run(cmds[-1])
        if r.returncode:
            # The ROM bootloader often drops off USB before answering the leave request.
            echo("flash: the leave request ended with exit {}; the board may have started "
                 "anyway".format(r.returncode))
        else:
            echo("flash: left DFU mode; the new firmware is starting (with the BOOT0 jumper "
                 "fitted, remove it: the next reset would return to DFU mode)")
    return cmds


def _check_download(kind, code, seen):
    """Without a read-back, judge an unverified download by its exit status and output."""
    if not code:
        return
    if _WRITTEN.search(seen):
        raise FlashError(
            "flash: {} wrote the whole image but failed as the board left DFU mode "
            "(exit {}); press RST and check with ./inv repl --target device; if it does "
            "not start, enter DFU mode and run flash again".format(kind, code)
        )
    raise FlashError(
        "flash: {} failed before the image was complete (exit {}); the board stays in "
        "DFU mode (its ROM bootloader cannot be overwritten): check the USB cable, then "
        "run flash again".format(kind, code)
    )


# --- a running board: into DFU mode, and back ---------------------------------------------


def _serial(port):
    from mpremote.transport import TransportError

    from tools.targets import open_serial

    try:
        return open_serial(port)
    except (TransportError, OSError):
        return None


def check_drive(host, what):
    """FlashError while this computer has a Pyboard's drive mounted: machine.bootloader() and
    machine.reset() reset the board under the mount (ports/stm32/modmachine.c), losing the
    host's unflushed writes, and a damaged FAT survives a reflash (the image never touches
    the filesystem's sectors)."""
    from tools.usbhost import Host, unmount_command

    mount = (host or Host()).drive()
    if mount:
        raise FlashError(
            "{}: this computer has the board's drive mounted at {}; resetting the board "
            "under it loses writes not yet flushed and can corrupt its filesystem: unmount it "
            "first ({}, or eject it in the file manager), then run {} again".format(
                what, mount.point, unmount_command(mount), what)
        )


def enter_bootloader(port, host=None, what="bootloader"):
    """Ask the MicroPython board on port to enter its DFU bootloader (machine.bootloader()),
    unless this computer has its drive mounted (host: a usbhost.Host)."""
    from mpremote.transport import TransportError

    check_drive(host, what)
    transport = _serial(port)
    if transport is None:
        raise FlashError(
            "bootloader: cannot open {}; is the board connected (and the port not held by "
            "another program such as a REPL, or ModemManager for a few seconds after the "
            "board appears: see its udev rule in docs/flashing.md)?".format(port)
        )
    try:
        transport.enter_raw_repl(soft_reset=False)
        has = transport.eval("hasattr(__import__('machine'), 'bootloader')")
        if not has:
            platform = transport.eval("__import__('sys').platform")
            raise FlashError(
                "bootloader: the board on {} ({}) has no machine.bootloader(); it is not a "
                "Pyboard: use the BOOT0 jumper on a real board".format(port, platform)
            )
        # As `mpremote bootloader` does: the board drops off USB without answering.
        transport.exec_raw_no_follow(
            "import time, machine; time.sleep_ms(100); machine.bootloader()"
        )
    except TransportError:
        raise FlashError(
            "bootloader: no MicroPython REPL answered on {}; stop a running program with "
            "Ctrl-C in ./inv repl --target device, or use the BOOT0 jumper".format(port)
        ) from None
    finally:
        try:
            transport.close()
        except OSError:
            pass


def wait_for_dfu(kind, tool, timeout=10.0, poll=0.5, after_bootloader=True):
    """Wait until exactly one Pyboard is in DFU mode; FlashError after timeout seconds. No
    board and no access are both transient until then (udev sets a new device's permissions
    after libusb lists it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return find_board(kind, tool)
        except (NoBoard, NoAccess) as e:
            if time.monotonic() >= deadline:
                if isinstance(e, NoAccess) or not after_bootloader:
                    raise
                raise FlashError(
                    "flash: the board did not appear in DFU mode ({}) within {:g} s of "
                    "machine.bootloader(); fit the BOOT0 jumper (connect 3V3 to BOOT0), press "
                    "RST and run flash again (docs/flashing.md)".format(DFU_ID, timeout)
                ) from None
        time.sleep(poll)


def read_identity(port):
    """The fastpath.BUILD of the MicroPython board on port ({} when it has no fastpath
    package, None when it has one without BUILD); raises TransportError if none answers, or
    answers with anything but that (bytes a modem prober wrote into the raw REPL give a
    SyntaxError: ask again)."""
    from mpremote.transport import TransportError, TransportExecError

    transport = _serial(port)
    if transport is None:
        raise TransportError("cannot open " + port)
    try:
        transport.enter_raw_repl(soft_reset=False)
        try:
            return transport.eval("getattr(__import__('fastpath'), 'BUILD', None)")
        except TransportExecError as e:
            last = e.error_output.strip().splitlines()[-1:] or [""]
            if last[0].startswith("ImportError") and "fastpath" in last[0]:
                return {}  # no fastpath package at all: not this project's firmware
            raise TransportError("the board answered: " + last[0]) from None
    finally:
        try:
            if transport.in_raw_repl:
                transport.serial.write(b"\r\x02")  # Ctrl-B: back to the friendly REPL
            transport.close()
        except OSError:
            pass


def wait_for_port(port, timeout=30.0, poll=0.5, link=None, host=None):
    """Wait for the board's serial port to come back and answer; (its fastpath.BUILD, the
    port it answered on). link is the port's udev by-id name (usbhost.Host.port_link): the
    board may come back as another ttyACM while a program still holds the old one."""
    from mpremote.transport import TransportError

    from tools.usbhost import Host

    host = host or Host()
    deadline = time.monotonic() + timeout
    why = None
    while True:
        now = host.port_now(port, link)
        if os.path.exists(now):
            try:
                return read_identity(now), now
            except (TransportError, OSError) as e:
                why = str(e).strip()  # enumerated, but MicroPython is not answering yet
        if time.monotonic() >= deadline:
            raise FlashError(
                "flash: the firmware is written and verified, but no MicroPython answered on "
                "{} within {:g} s{}; remove the BOOT0 jumper if fitted, press RST, then check: "
                "./inv repl --target device --port {}".format(
                    now, timeout, " (last: {}; if ModemManager probes the port, add its udev "
                    "rule in docs/flashing.md)".format(why) if why else "", now)
            )
        time.sleep(poll)


def check_identity(port, expected, got):
    """FlashError unless the board's fastpath.BUILD (got) is the expected identity."""
    why = identity.mismatch(expected, got)
    if why is None:
        return
    if got == {}:
        what, hint = "has no fastpath package", "is another board on {}?".format(port)
    elif not isinstance(got, dict):
        what = "has a fastpath package without fastpath.BUILD"
        hint = ("a fastpath package copied to the board's /flash hides the frozen one: remove "
                "it (./inv repl --target device, then os.remove)")
    else:
        what = "runs {} ({})".format(identity.describe(got), why)
        hint = "is another board on {}? otherwise run flash again".format(port)
    raise FlashError("flash: the board on {} {}, not the firmware just written ({}); {}".format(
        port, what, identity.describe(expected), hint))


def flash_board(port, dfu, expected=None, pydfu=None, dfu_timeout=10.0, port_timeout=30.0,
                echo=print, host=None, force=False):
    """From a board running MicroPython on port to a verified, identified firmware: into DFU
    mode (machine.bootloader(); skipped when the board is in DFU mode already; refused while
    this computer has its drive mounted), flash and verify dfu, leave DFU mode, wait for the
    port (found again by its USB identity), compare fastpath.BUILD with expected (the
    firmware.json of the image; not compared when None). host is a usbhost.Host. Returns
    (the board's BUILD, the port it answers on now)."""
    from tools.usbhost import Host

    host = host or Host()
    # A bad image is refused before the board leaves MicroPython.
    _load(dfu, lambda s: None, force)
    kind, path = choose_tool(pydfu)
    link = None
    if os.path.exists(port):
        link = host.port_link(port)
        enter_bootloader(port, host=host, what="flash")
        echo("flash: asked the board on {} to enter DFU mode".format(port))
    else:
        echo("flash: nothing on {}; looking for a board already in DFU mode".format(port))
    wait_for_dfu(kind, path, timeout=dfu_timeout)
    flash(dfu, pydfu=pydfu, verify_write=True, echo=echo, force=force)
    echo("flash: waiting for the board on {}".format(port))
    got, now = wait_for_port(port, timeout=port_timeout, link=link, host=host)
    if now != port:
        echo("flash: the board came back on {} (it was {})".format(now, port))
    if expected is None:
        echo("flash: the board runs {}; no firmware.json beside {}, so not compared".format(
            identity.describe(got or None), dfu))
        return got, now
    check_identity(now, expected, got)
    echo("flash: the board on {} runs {}, as built".format(now, identity.describe(got)))
    return got, now
