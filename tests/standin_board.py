"""A stand-in for a Pyboard on its USB serial port, for ./inv flash --port without a board.

    python tests/standin_board.py --state DIR --port PATH [--after qemu --firmware ELF]

It makes a pty and links PATH to it, as udev names a board's /dev/ttyACM0, and answers there
with MicroPython's raw REPL, the protocol mpremote speaks. The code it receives runs in
CPython, with small stand-ins for the modules a board has (machine, time, fastpath), which is
enough for what the flash tasks send: machine.bootloader() and fastpath.BUILD. Ctrl-C
interrupts Python code that runs, as on a board (the emulator's UART never sees it).

It shares DIR with tests/standin_dfu_util.py, so the two play one board:
- machine.bootloader() takes PATH away (the board drops off USB) and writes "dfu" to
  DIR/board: the dfu-util stand-in now lists the board in DFU mode;
- when the dfu-util stand-in leaves DFU mode it writes "app"; the board boots again and PATH
  comes back, now answering with the identity in DIR/identity.json (the fastpath.BUILD of
  the firmware it "runs"; the JSON null for a fastpath package without BUILD, no file for
  no fastpath package at all). With --after qemu the rebooted board is the emulator instead:
  PATH then links to a QEMU running ELF, a real MicroPython to run the device suite on.

What a Linux desktop does to a board, on request (DIR/serial.json, written by launch()):
- "ports": [PATH, ACM1, ...]: each boot after the first takes the next name, as the kernel
  gives a re-enumerated board ttyACM1 while a program still holds ttyACM0;
- "by_id": a folder where each boot links the board's udev name
  (usb-MicroPython_..._<serial>-if01) to its current port, as /dev/serial/by-id;
- "at_probe": after each reboot, the first command the raw REPL receives has ModemManager's
  "AT\r" probe written into it (MicroPython's CDC interface declares AT commands): a
  SyntaxError on the board;
- "soft_reset": false: the REPL answers Ctrl-C but not a soft reset (Ctrl-D).
machine.reset() reboots it (and counts in DIR/resets); machine.freq(hz) keeps hz for every
later boot (RTC backup register BKP19R on PYBV11) and drops the USB link, which comes back
after a moment, as reprogramming the PLL that clocks USB can do (docs/library/pyb.rst).
"""

import argparse
import ctypes
import io
import json
import os
import select
import sys
import threading
import time
import traceback
import tty
import types
from contextlib import redirect_stdout
from pathlib import Path

BANNER = b"raw REPL; CTRL-B to exit\r\n"
BY_ID = "usb-MicroPython_Pyboard_Virtual_Comm_Port_in_FS_Mode_3276337B3234-if01"


class _Bootloader(BaseException):
    """machine.bootloader() was called: the board leaves MicroPython."""


class _Reset(BaseException):
    """The board drops off USB and boots again (machine.reset(), a USB link lost)."""


def options(state):
    path = Path(state) / "serial.json"
    found = {"ports": [], "by_id": None, "at_probe": False, "soft_reset": True}
    if path.exists():
        found.update(json.loads(path.read_text()))
    return found


def _modules(state):
    machine = types.ModuleType("machine")
    clock = Path(state) / "freq"

    def bootloader():
        raise _Bootloader

    def reset():
        resets = Path(state) / "resets"
        resets.write_text(str(int(resets.read_text()) + 1 if resets.exists() else 1))
        raise _Reset

    def freq(hz=None):
        if hz is None:
            hz = int(clock.read_text()) if clock.exists() else 168_000_000
            return (hz, hz, hz // 4, hz // 2)
        clock.write_text(str(hz))
        raise _Reset

    machine.bootloader = bootloader
    machine.reset = reset
    machine.freq = freq
    utime = types.ModuleType("time")
    utime.sleep_ms = lambda ms: time.sleep(ms / 1000)
    usys = types.ModuleType("sys")
    usys.platform = "pyboard"
    usys.implementation = types.SimpleNamespace(name="micropython", version=(1, 25, 0, ""))
    mods = {"machine": machine, "time": utime, "sys": usys}
    path = Path(state) / "identity.json"
    if path.exists():
        fastpath = types.ModuleType("fastpath")
        build = json.loads(path.read_text())
        if build is not None:
            fastpath.BUILD = build
        mods["fastpath"] = fastpath
    return mods


class Repl:
    """MicroPython's raw REPL over a pty master, running what it is sent in CPython, in a
    thread: as on a board, Ctrl-C interrupts running code (KeyboardInterrupt), and other
    bytes wait until it is done."""

    def __init__(self, fd, state, at_probe=False, soft_reset=True):
        self.fd = fd
        self.at_probe = at_probe
        self.soft_reset = soft_reset
        self.raw = False
        self.buf = b""
        self.mods = _modules(state)
        self.globals = self._fresh()
        self.running = None  # the thread running the last command
        self.pending = b""
        self.left = None  # "dfu" after machine.bootloader(), "reset" after a reset

    def _fresh(self):
        real_import = __import__
        mods = self.mods

        def _import(name, *args, **kwargs):
            if name in mods:
                return mods[name]
            if name == "fastpath":
                raise ImportError("no module named 'fastpath'")
            return real_import(name, *args, **kwargs)

        builtins = dict(__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__))
        builtins["__import__"] = _import
        return {"__builtins__": builtins, "__name__": "__main__"}

    def write(self, data):
        os.write(self.fd, data)

    def busy(self):
        """True while a command runs; when it has ended, handle what arrived meanwhile."""
        if self.running is None:
            return False
        if self.running.is_alive():
            return True
        self.running = None
        pending, self.pending = self.pending, b""
        self.feed(pending)
        return self.running is not None

    def feed(self, data):
        """Handle bytes from the host."""
        for i, b in enumerate(data):
            c = bytes([b])
            if self.running is not None:
                if c == b"\x03":
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(self.running.ident), ctypes.py_object(KeyboardInterrupt))
                else:
                    self.pending += c
                continue
            if not self.raw:
                if c == b"\x01":
                    self.raw, self.buf = True, b""
                    self.write(BANNER + b">")
                continue
            if c == b"\x01":
                if self.buf == b"\x05A":  # raw-paste request: not supported, as on old boards
                    self.write(b"R\x00")
                else:
                    self.write(BANNER + b">")
                self.buf = b""
            elif c == b"\x02":
                self.raw, self.buf = False, b""
                self.write(b"\r\nMicroPython stand-in\r\n>>> ")
            elif c == b"\x03":
                self.buf = b""
            elif c == b"\x04":
                if not self.buf:
                    if not self.soft_reset:
                        continue
                    self.globals = self._fresh()
                    self.write(b"MPY: soft reboot\r\n" + BANNER + b">")
                    continue
                self.write(b"OK")
                code, self.buf = self.buf.decode(), b""
                if self.at_probe:  # "AT\r" lands inside the command: a SyntaxError
                    self.at_probe = False
                    i = code.find("(") + 1
                    code = code[:i] + "AT\r" + code[i:]
                self.running = threading.Thread(target=self._exec, args=(code,), daemon=True)
                self.running.start()
                # A board runs a short command (machine.reset()) in microseconds, before the
                # host's next Ctrl-C can reach it; CPython takes milliseconds: let it finish.
                self.running.join(0.05)
            else:
                self.buf += c

    def _exec(self, code):
        out, err = io.StringIO(), ""
        try:
            with redirect_stdout(out):
                exec(compile(code, "<stdin>", "exec"), self.globals)
        except _Bootloader:
            self.left = "dfu"
            return
        except _Reset:
            self.left = "reset"
            return
        except BaseException as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            err = 'Traceback (most recent call last):\n  File "<stdin>", line {}, in ' \
                  '<module>\n{}: {}\n'.format(tb.lineno, type(e).__name__, e)
        crlf = out.getvalue().replace("\n", "\r\n").encode()
        self.write(crlf + b"\x04" + err.replace("\n", "\r\n").encode() + b"\x04>")


def _link(port, target):
    tmp = Path(str(port) + ".new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    tmp.replace(port)  # atomic: the port appears whole


def serve(port, state, boot=0):
    """One boot of MicroPython: answer on port until machine.bootloader() ("dfu") or a reset
    ("reset"); which of the two."""
    opts = options(state)
    if opts["ports"]:
        port = opts["ports"][min(boot, len(opts["ports"]) - 1)]
    master, slave = os.openpty()
    tty.setraw(slave)
    _link(port, os.ttyname(slave))
    by_id = Path(opts["by_id"]) / BY_ID if opts["by_id"] else None
    if by_id:
        _link(by_id, port)
    repl = Repl(master, state, at_probe=opts["at_probe"] and boot > 0,
                soft_reset=opts["soft_reset"])
    try:
        while not repl.left:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                repl.feed(data)
            repl.busy()
    finally:
        Path(port).unlink(missing_ok=True)  # off the bus first, then the bootloader
        if by_id:
            by_id.unlink(missing_ok=True)
        if repl.left != "reset":
            (Path(state) / "board").write_text("dfu")
        os.close(master)
        os.close(slave)
    return repl.left


def wait_for_app(state):
    while (Path(state) / "board").read_text().strip() != "app":
        time.sleep(0.1)
    time.sleep(0.5)  # the firmware starts and USB enumerates


def launch(state, port, after="python", firmware=None, **opts):
    """Start the stand-in as a process and wait for its port; the Popen. opts go to
    DIR/serial.json (see above): ports, by_id, at_probe, soft_reset."""
    import subprocess

    (Path(state) / "board").write_text("app")
    if opts:
        (Path(state) / "serial.json").write_text(json.dumps(opts, default=str))
    cmd = [sys.executable, __file__, "--state", str(state), "--port", str(port), "--after",
           after] + (["--firmware", str(firmware)] if firmware else [])
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the board stand-in made no port at {}".format(port))
        time.sleep(0.05)
    return proc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--after", choices=("python", "qemu"), default="python")
    parser.add_argument("--firmware")
    args = parser.parse_args()
    (Path(args.state) / "board").write_text("app")
    boot = 0
    while True:
        left = serve(args.port, args.state, boot)
        boot += 1
        if left == "reset":
            time.sleep(0.3)  # the board boots and enumerates again
            continue
        wait_for_app(args.state)
        if args.after != "python":
            break
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tools.targets import QemuTarget

    qemu = QemuTarget(args.firmware)  # QEMU dies with this process, however it ends
    qemu.start()
    _link(args.port, qemu.device)
    qemu.proc.wait()


if __name__ == "__main__":
    main()
