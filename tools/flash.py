"""Writing a checked .dfu image to a Pyboard over USB DFU.

The STM32F405's ROM bootloader (USB id 0483:df11) does the writing; it lives in system
memory that no flash can overwrite, so an interrupted flash is mended by entering DFU mode
again and flashing again. We drive it with dfu-util, exactly as MicroPython's own
``make deploy`` does, or, without dfu-util, with MicroPython's tools/pydfu.py (pyusb).

flash() raises FlashError with one line that says what failed and how to fix it.
"""

import re
import shlex
import shutil
import subprocess
import sys

from tools import dfuse

DFU_ID = "{:04x}:{:04x}".format(*dfuse.PYBOARD_DFU_ID)  # "0483:df11"
_VID, _PID = ("0x{:04x}".format(n) for n in dfuse.PYBOARD_DFU_ID)  # pydfu's --vid, --pid

ENTER_DFU = (
    "flash: no Pyboard in DFU mode ({}); enter it: connect 3V3 to BOOT0 and press RST "
    "(or run machine.bootloader() at its REPL: ./inv bootloader --port PORT), then run "
    "flash again"
)

# dfu-util -l prints one line per alternate setting of each device in DFU mode:
#   Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=0, ...
_FOUND = re.compile(r"^Found DFU: \[" + DFU_ID + r"\].*?path=\"([^\"]*)\"", re.I | re.M)


class FlashError(Exception):
    """Flashing cannot go ahead, or failed; str() is the message for the user."""


def dfu_util_command(dfu, tool="dfu-util"):
    """The command MicroPython's stm32 Makefile runs to flash a .dfu (RUN_DFU)."""
    return [tool, "-a", "0", "-d", DFU_ID, "-D", str(dfu), "-s", ":leave"]


def pydfu_command(dfu, pydfu, python=sys.executable):
    """The same through tools/pydfu.py, as the stm32 Makefile does with USE_PYDFU=1."""
    return [python, str(pydfu), "--vid", _VID, "--pid", _PID, "-u", str(dfu)]


def choose_tool(pydfu):
    """("dfu-util", path) when dfu-util is on PATH, else ("pydfu", path) from the fetched
    MicroPython tree; FlashError when there is neither."""
    tool = shutil.which("dfu-util")
    if tool:
        return "dfu-util", tool
    if pydfu and pydfu.exists():
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
        r = _run([tool, "-l"])
        out = r.stdout + r.stderr
        paths = set(_FOUND.findall(out))
        if "LIBUSB_ERROR_ACCESS" in out:
            raise FlashError(
                "flash: a board is in DFU mode but this user may not open it (LIBUSB_ERROR_"
                "ACCESS); add the udev rule in docs/flashing.md, or run flash with sudo"
            )
        if len(paths) > 1:
            raise FlashError(
                "flash: {} boards in DFU mode (USB paths {}); unplug all but one".format(
                    len(paths), ", ".join(sorted(paths))
                )
            )
        if not paths:
            raise FlashError(ENTER_DFU.format("dfu-util -l lists no " + DFU_ID))
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
    if r.returncode or DFU_ID not in out.lower():
        raise FlashError(ENTER_DFU.format("pydfu -l lists no " + DFU_ID))


def flash(dfu, pydfu=None, dry_run=False, echo=print):
    """Validate dfu, then write it to the one Pyboard in DFU mode. Returns the command.

    With dry_run, print the command instead of looking for a board and running it."""
    try:
        image = dfuse.read(dfu)
    except dfuse.DfuError as e:
        raise FlashError(
            "flash: {} is not a valid Pyboard image: {}; nothing was sent (rebuild it: "
            "./inv build)".format(dfu, e)
        ) from None
    echo("{}: DfuSe image for {}, CRC ok".format(dfu, DFU_ID))
    for line in dfuse.describe(image):
        echo("  " + line)

    kind, tool = choose_tool(pydfu)
    if kind == "dfu-util":
        cmd = dfu_util_command(dfu, tool="dfu-util")
    else:
        echo("dfu-util not found; using MicroPython's tools/pydfu.py")
        cmd = pydfu_command(dfu, tool)
    if dry_run:
        echo(shlex.join(cmd))
        return cmd

    find_board(kind, tool)
    echo("$ " + shlex.join(cmd))
    # Output goes straight to the terminal (progress bars), and is also kept to explain
    # a failure.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    seen = bytearray()
    for chunk in iter(lambda: proc.stdout.read1(256), b""):
        seen += chunk
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    code = proc.wait()
    if code:
        written = b"Done parsing DfuSe file" in seen or b"Finished" in seen
        if written:
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
    echo("flash: done; remove the BOOT0 jumper and press RST, then: ./inv repl --target device")
    return cmd


def enter_bootloader(port):
    """Ask the MicroPython board on port to enter its DFU bootloader (machine.bootloader())."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    try:
        transport = SerialTransport(port, baudrate=115200)
    except TransportError:
        raise FlashError(
            "bootloader: cannot open {}; is the board connected (and the port not held by "
            "another program such as a REPL)?".format(port)
        ) from None
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
