"""Runners that execute MicroPython code on a target and hand back what it printed.

- UnixTarget runs build/unix/micropython as a subprocess.
- QemuTarget boots build/qemu/firmware.elf in qemu-system-arm (mps2-an386, -icount shift=0)
  with its UART on a pty, and drives that pty with mpremote's SerialTransport: the very path
  a real board takes.
- DeviceTarget drives a real Pyboard on a serial port with the same transport.

All share run(code) -> stdout and call(module, func, *args) -> value. An exception on the
target becomes TargetError carrying the target's traceback; a target that does not answer
within the timeout becomes TargetTimeout, and an emulator is then restarted.
"""

import ctypes
import os
import re
import signal
import subprocess
import tempfile
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project, above tools/
UNIX_BINARY = ROOT / "build" / "unix" / "micropython"
QEMU_FIRMWARE = ROOT / "build" / "qemu" / "firmware.elf"
QEMU_ARGS = (
    "qemu-system-arm",
    "-machine",
    "mps2-an386",
    "-nographic",
    "-monitor",
    "none",
    "-semihosting",
    # One guest instruction is one nanosecond of virtual time: timings count instructions.
    "-icount",
    "shift=0",
    "-serial",
    "pty",
)
# For the unix-asan build (ports/unix-asan): detect_leaks=0, since MicroPython's objects live in
# one GC heap block that LeakSanitizer cannot see into, and LeakSanitizer needs ptrace, which
# many CI containers forbid. (asan-use-after-return is compiled out: mpconfigvariant.mk.)
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}


class TargetError(Exception):
    """An exception raised on the target; .type and .value are parsed from its traceback."""

    def __init__(self, traceback):
        super().__init__(traceback)
        self.traceback = traceback
        last = traceback.strip().splitlines()[-1] if traceback.strip() else ""
        name, _, value = last.partition(": ")
        self.type = name.strip()
        self.value = value.strip()


class TargetTimeout(Exception):
    """The target did not finish within the timeout (it has been reset since)."""


def literal(value):
    """Python source for value that both CPython's eval and MicroPython understand."""
    if isinstance(value, array):
        return "array({!r}, {!r})".format(value.typecode, value.tolist())
    if isinstance(value, (list, tuple)):
        items = ", ".join(literal(v) for v in value)
        return "[{}]".format(items) if isinstance(value, list) else "({}{})".format(
            items, "," if len(value) == 1 else ""
        )
    return repr(value)


def from_literal(text):
    """Parse what the target printed with repr()."""
    return eval(text, {"__builtins__": {}, "array": array, "bytearray": bytearray})


class Target:
    name = "?"
    timeout = 60.0

    def run(self, code, timeout=None):
        raise NotImplementedError

    def call(self, module, func, *args, timeout=None):
        code = "from array import array\nimport {m}\nprint(repr({m}.{f}({a})))\n".format(
            m=module, f=func, a=", ".join(literal(a) for a in args)
        )
        out = self.run(code, timeout=timeout)
        return from_literal(out.strip().splitlines()[-1])

    def close(self):
        pass


class UnixTarget(Target):
    name = "unix"

    def __init__(self, binary=UNIX_BINARY, heapsize="4M", env=None):
        self.binary = Path(binary)
        self.heapsize = heapsize
        self.env = dict(os.environ, **env) if env else None  # e.g. sanitizer options

    def run(self, code, timeout=None):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(code)
        try:
            proc = subprocess.run(
                [str(self.binary), "-X", "heapsize=" + self.heapsize, f.name],
                capture_output=True,
                timeout=timeout or self.timeout,
                cwd=tempfile.gettempdir(),
                env=self.env,
            )
        except subprocess.TimeoutExpired:
            raise TargetTimeout("unix: no answer within {} s".format(timeout or self.timeout))
        finally:
            os.unlink(f.name)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        if proc.returncode < 0:
            raise TargetError(
                "{}\nunix: micropython died with signal {}".format(err, -proc.returncode)
            )
        if proc.returncode or "Traceback" in err:
            raise TargetError(err.replace(f.name, "<test>"))
        return out


class SerialTarget(Target):
    """A MicroPython REPL behind a serial device, driven through mpremote."""

    def __init__(self, device):
        self.device = device
        self.transport = None

    def connect(self):
        from mpremote.transport_serial import SerialTransport

        self.transport = SerialTransport(self.device, baudrate=115200)
        self.transport.enter_raw_repl(soft_reset=True)

    def run(self, code, timeout=None):
        from mpremote.transport import TransportError

        if self.transport is None:
            self.connect()
        try:
            out, err = self.transport.exec_raw(code, timeout=timeout or self.timeout)
        except (TransportError, OSError) as e:
            self.recover()
            raise TargetTimeout("{}: no answer ({}); target reset".format(self.name, e))
        if err:
            raise TargetError(err.decode(errors="replace"))
        return out.decode(errors="replace").replace("\r\n", "\n")

    def soft_reset(self):
        if self.transport is None:
            self.connect()
        else:
            self.transport.enter_raw_repl(soft_reset=True)

    def recover(self):
        self.close()

    def close(self):
        if self.transport is not None:
            try:
                self.transport.close()
            except OSError:
                pass
            self.transport = None


def _die_with_parent():
    # Runs in the child before exec: the kernel sends SIGKILL to QEMU when pytest goes away,
    # however it goes (Ctrl-C, a crash, kill -9), so no emulator outlives a test run.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setpgrp()


class QemuTarget(SerialTarget):
    name = "qemu"

    def __init__(self, firmware=QEMU_FIRMWARE, extra_args=()):
        super().__init__(None)
        self.firmware = Path(firmware)
        self.extra_args = tuple(extra_args)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            QEMU_ARGS + self.extra_args + ("-kernel", str(self.firmware)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        # QEMU names the pty it made: "char device redirected to /dev/pts/N (label serial0)".
        line = b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            m = re.search(rb"redirected to (/dev/pts/\d+)", line)
            if m:
                self.device = m.group(1).decode()
                break
            if not line and self.proc.poll() is not None:
                break
        else:
            line = b"(timed out)"
        if self.device is None:
            self.stop()
            raise RuntimeError("qemu did not start: " + line.decode(errors="replace"))

    def connect(self):
        if self.proc is None or self.proc.poll() is not None:
            self.device = None
            self.start()
        super().connect()

    def recover(self):
        self.stop()

    def stop(self):
        SerialTarget.close(self)
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
        self.device = None

    close = stop


class DeviceTarget(SerialTarget):
    name = "device"
