"""Runners that execute MicroPython code on a target and hand back what it printed.

- UnixTarget runs a unix build (build/unix/micropython, or the sanitizer build) as a
  subprocess.
- QemuTarget boots an emulated board's firmware (build/qemu/firmware.elf, or another
  platform's) in QEMU (its platform's machine, under -icount shift=0) with its UART on a pty,
  and drives that pty with mpremote's SerialTransport: the very path a real board takes.
- DeviceTarget drives a real Pyboard on a serial port with the same transport.

Each is given its binary or port; where those are is the caller's knowledge (a Layout).

All share run(code) -> stdout and call(module, func, *args) -> value. An exception on the
target becomes TargetError carrying the target's traceback; a target that does not answer
within the timeout becomes TargetTimeout, and an emulator is then restarted.
"""

import ast
import os
import re
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

from tools.platforms import PLATFORMS, TARGETS

# What UnixTarget runs, with the test's file as its argument: the traceback of an uncaught
# exception on stderr and exit status 1, on every release (tools/unix_main.py).
UNIX_MAIN = Path(__file__).resolve().parent / "unix_main.py"

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
    """What a target printed with repr(), as a value: the one parser of target output. Python
    literals (ast.literal_eval), plus the calls MicroPython's repr() prints for arrays and
    bytearrays, array('h', [1, 2]) and bytearray(b'..'), of literals. Nothing is evaluated:
    anything else is a ValueError naming the text."""
    try:
        return _value(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError, TypeError) as e:
        raise ValueError("not a value a target prints: {!r} ({})".format(text, e))


_CALLS = {"array": array, "bytearray": bytearray}


def _value(node):
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in _CALLS) or node.keywords:
            raise ValueError("a call other than array() or bytearray()")
        return _CALLS[node.func.id](*map(_value, node.args))
    if isinstance(node, ast.Tuple):
        return tuple(map(_value, node.elts))
    if isinstance(node, ast.List):
        return list(map(_value, node.elts))
    if isinstance(node, ast.Set):
        return set(map(_value, node.elts))
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values)}
    return ast.literal_eval(node)


class Target:
    name = "?"
    timeout = 60.0
    platform = None  # its tools.platforms.Platform, when runner() made it

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

    def __init__(self, binary, heapsize="4M", env=None, name=None):
        self.binary = Path(binary)
        self.name = name or self.name
        self.heapsize = heapsize
        self.env = dict(os.environ, **env) if env else None  # e.g. sanitizer options

    def run(self, code, timeout=None):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(code)
        try:
            proc = subprocess.run(
                [str(self.binary), "-X", "heapsize=" + self.heapsize, str(UNIX_MAIN), f.name],
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
        if proc.returncode:  # unix_main.py: the traceback is on stderr on every release
            raise TargetError(err.replace(str(UNIX_MAIN), UNIX_MAIN.name))
        return out


class SerialTarget(Target):
    """A MicroPython REPL behind a serial device, driven through mpremote."""

    def __init__(self, device):
        self.device = device
        self.transport = None

    def connect(self):
        self.transport = _open_repl(self.device)

    def run(self, code, timeout=None):
        from mpremote.transport import TransportError

        try:
            if self.transport is None:
                self.connect()
            out, err = self.transport.exec_raw(code, timeout=timeout or self.timeout)
        except (TransportError, OSError) as e:
            why = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
            self.recover()  # raises TargetTimeout itself when the target cannot be reset
            raise TargetTimeout("{}: no answer ({}); target reset".format(self.name, why))
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


def open_serial(device):
    """mpremote's SerialTransport on device (a board's port, or the emulator's pty): the one
    place a serial port is opened. Raises TransportError or OSError (EBUSY while another
    program, such as ModemManager probing a new port, holds it)."""
    from mpremote.transport_serial import SerialTransport

    return SerialTransport(device, baudrate=115200)


def _open_repl(device, soft_reset=True, timeout=10):
    """A SerialTransport on device in its raw REPL, or TransportError/OSError; never a
    half-open transport (the port is closed again when the REPL does not answer)."""
    transport = open_serial(device)
    try:
        transport.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout)
    except BaseException:
        try:
            transport.close()
        except OSError:
            pass
        raise
    return transport


# util-linux's setpriv sets PR_SET_PDEATHSIG and then execs the command, which keeps it: none
# of our code runs in the child between fork and exec.
DIE_WITH_PARENT = ("setpriv", "--pdeathsig", "KILL", "--")


def launch(cmd, **popen):
    """subprocess.Popen(cmd, **popen) as a child the kernel kills (SIGKILL) when the thread that
    started it ends, however it ends (Ctrl-C, a crash, kill -9), so no emulator outlives a test
    run; in a session of its own, so a Ctrl-C at the terminal reaches only us."""
    return subprocess.Popen(DIE_WITH_PARENT + tuple(cmd), start_new_session=True, **popen)


class QemuTarget(SerialTarget):
    name = "qemu"

    def __init__(self, firmware, extra_args=(), qemu_args=None):
        super().__init__(None)
        self.firmware = Path(firmware)
        self.extra_args = tuple(extra_args)
        # Another machine's (a Platform's qemu_args), or our emulated board's.
        self.qemu_args = tuple(qemu_args or PLATFORMS["qemu"].qemu_args)
        self.proc = None

    def start(self):
        try:
            self.proc = launch(
                self.qemu_args + self.extra_args + ("-kernel", str(self.firmware)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except OSError as e:  # no setpriv (setpriv itself says where QEMU is missing)
            raise RuntimeError("qemu did not start: cannot run {} ({})".format(
                e.filename, e.strerror)) from None
        # QEMU names the pty it made: "char device redirected to /dev/pts/N (label serial0)".
        said = b""  # its last line, for the error where it does not start
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            said = line.strip() or said
            m = re.search(rb"redirected to (/dev/pts/\d+)", line)
            if m:
                self.device = m.group(1).decode()
                break
            if not line and self.proc.poll() is not None:
                break
        else:
            said = b"(timed out)"
        if self.device is None:
            self.stop()
            raise RuntimeError("qemu did not start: " + said.decode(errors="replace"))

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
    """A real board. After a timeout it is reset for real before the next run: Ctrl-C and a
    soft reset when MicroPython answers, else (code in viper, asm or C never sees Ctrl-C) a
    wait of up to reset_wait seconds for the board to come back: by itself after a HardFault
    (ports/stm32/stm32_it.c resets the MCU), from machine.reset() when its REPL answers Ctrl-C
    but not a soft reset, or from its RST button. A hard reset is never made while this
    computer has the board's drive mounted (host, a usbhost.Host): it would lose the host's
    unflushed writes and can leave a damaged FAT."""

    name = "device"

    def __init__(self, device, reset_wait=60.0, say=None, host=None):
        super().__init__(device)
        self.reset_wait = reset_wait
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self.host = host

    def recover(self):
        from mpremote.transport import TransportError

        from tools.usbhost import Host, unmount_command

        self.close()
        if not os.path.exists(self.device):
            # Off USB: it reset itself (a HardFault does) and is enumerating again.
            self.say("{}: the board on {} went off USB (it resets itself after a crash); "
                     "waiting {:g} s for it to come back".format(
                         self.name, self.device, self.reset_wait))
            self._wait_for_board()
            return
        try:  # soft: Ctrl-C, then Ctrl-D in the raw REPL
            self.transport = _open_repl(self.device, soft_reset=True, timeout=3)
            return
        except (TransportError, OSError):
            pass
        try:  # the REPL answers Ctrl-C, but no soft reset: machine.reset()
            transport = _open_repl(self.device, soft_reset=False, timeout=3)
        except (TransportError, OSError):
            self.say("{}: the board on {} does not answer Ctrl-C (code in viper, asm or C "
                     "never sees it); press its RST button (waiting {:g} s)".format(
                         self.name, self.device, self.reset_wait))
        else:
            mount = (self.host or Host()).drive()
            try:
                if mount:
                    self.say("{}: the board on {} needs a hard reset, but this computer has "
                             "its drive mounted at {}, and a reset under a mount can corrupt "
                             "its FAT: unmount it ({}), then press the board's RST button "
                             "(waiting {:g} s)".format(self.name, self.device, mount.point,
                                                       unmount_command(mount),
                                                       self.reset_wait))
                else:
                    transport.exec_raw_no_follow("import machine\nmachine.reset()")
            except (TransportError, OSError):
                pass
            finally:
                try:
                    transport.close()
                except OSError:
                    pass
        self._wait_for_board()

    def _wait_for_board(self):
        # The board re-enumerates after a hard reset: its port goes and comes back.
        from mpremote.transport import TransportError

        deadline = time.monotonic() + self.reset_wait
        while time.monotonic() < deadline:
            if os.path.exists(self.device):
                try:
                    self.transport = _open_repl(self.device, soft_reset=True, timeout=3)
                    return
                except (TransportError, OSError):
                    pass
            time.sleep(0.5)
        raise TargetTimeout(
            "{}: the board on {} did not answer after a timeout, and no reset brought it back "
            "within {:g} s; press its RST button, then run again".format(
                self.name, self.device, self.reset_wait))


def runner(name, firmware=None, port=None):
    """The runner of a platform (tools/platforms.py), by its name or its test target's name:
    the one place that makes a runner of a platform's declaration. firmware: its built
    firmware (unix, qemu runners); port: the board's serial port (a board)."""
    p = TARGETS.get(name) or PLATFORMS.get(name)
    if p is None:
        raise ValueError("unknown target '{}'; choose from: {}".format(
            name, ", ".join(dict.fromkeys([*TARGETS, *PLATFORMS]))))
    if p.runner == "unix":
        t = UnixTarget(firmware, env=p.env, name=p.target or p.name)
    elif p.runner == "qemu":
        t = QemuTarget(firmware, qemu_args=p.qemu_args)
        t.name = p.target or p.name
    else:
        t = DeviceTarget(port)
    t.platform = p
    return t
