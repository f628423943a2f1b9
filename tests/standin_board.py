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


class _Bootloader(BaseException):
    """machine.bootloader() was called: the board leaves MicroPython."""


def _modules(state):
    machine = types.ModuleType("machine")

    def bootloader():
        raise _Bootloader

    machine.bootloader = bootloader
    machine.freq = lambda: (168_000_000, 168_000_000, 42_000_000, 84_000_000)
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

    def __init__(self, fd, state):
        self.fd = fd
        self.raw = False
        self.buf = b""
        self.mods = _modules(state)
        self.globals = self._fresh()
        self.running = None  # the thread running the last command
        self.pending = b""
        self.left = False  # machine.bootloader() ran

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
                    self.globals = self._fresh()
                    self.write(b"MPY: soft reboot\r\n" + BANNER + b">")
                    continue
                self.write(b"OK")
                code, self.buf = self.buf.decode(), b""
                self.running = threading.Thread(target=self._exec, args=(code,), daemon=True)
                self.running.start()
            else:
                self.buf += c

    def _exec(self, code):
        out, err = io.StringIO(), ""
        try:
            with redirect_stdout(out):
                exec(compile(code, "<stdin>", "exec"), self.globals)
        except _Bootloader:
            self.left = True
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


def serve(port, state):
    """One boot of MicroPython: answer on port until machine.bootloader()."""
    master, slave = os.openpty()
    tty.setraw(slave)
    _link(port, os.ttyname(slave))
    repl = Repl(master, state)
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
        (Path(state) / "board").write_text("dfu")
        os.close(master)
        os.close(slave)


def wait_for_app(state):
    while (Path(state) / "board").read_text().strip() != "app":
        time.sleep(0.1)
    time.sleep(0.5)  # the firmware starts and USB enumerates


def launch(state, port, after="python", firmware=None):
    """Start the stand-in as a process and wait for its port; the Popen."""
    import subprocess

    (Path(state) / "board").write_text("app")
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
    serve(args.port, args.state)
    wait_for_app(args.state)
    if args.after == "python":
        while True:
            serve(args.port, args.state)
            wait_for_app(args.state)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tools.targets import QemuTarget

    qemu = QemuTarget(args.firmware)  # QEMU dies with this process, however it ends
    qemu.start()
    _link(args.port, qemu.device)
    qemu.proc.wait()


if __name__ == "__main__":
    main()
