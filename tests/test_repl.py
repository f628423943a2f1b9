"""`./inv repl --target qemu`: a person's REPL on the emulated board, typed at a terminal."""

import os
import pty
import select
import sys
import time

import pytest

from invoke_cli import ROOT


def read_until(fd, text, timeout=30):
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError("no {!r} in {!r}".format(text, seen[-500:]))
        try:
            seen += os.read(fd, 4096)
        except OSError:  # the other side closed
            raise AssertionError("closed before {!r}: {!r}".format(text, seen[-500:]))
    return seen


@pytest.mark.targets("qemu")
def test_repl_on_the_emulator_answers_and_stops_qemu():
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal session running the task
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "tools.cli", "repl", "--target", "qemu"])
    try:
        read_until(fd, b"Use Ctrl-]")
        # mpremote puts the terminal in raw mode just after that line, discarding what was
        # typed before: press Enter until the board's prompt answers.
        for attempt in range(15):
            os.write(fd, b"\r")
            try:
                read_until(fd, b">>> ", timeout=2)
                break
            except AssertionError:
                if attempt == 14:
                    raise
        os.write(fd, b"import fastpath; print(fastpath.BUILD['board'] * 2)\r")
        assert b"qemuqemu" in read_until(fd, b"qemuqemu")
        os.write(fd, b"\x1d")  # Ctrl-]: leave the REPL
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                os.read(fd, 4096)  # keep the terminal drained
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("repl did not end after Ctrl-]")
        assert os.waitstatus_to_exitcode(status) == 0
        pid = 0
    finally:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
