"""The emulated board with mpremote, the real client: what a developer without a Pyboard does.

`./inv emulator` runs in the background as a person starts it, and each test drives the pty it
prints with the mpremote command line (pinned in requirements.txt): connect, exec, eval, run,
repl, fs ls/cp/cat/rm/mkdir, mount, df and soft-reset. The board's /flash is a littlefs RAM
disk its boot mounts (ports/qemu/modules/_boot.py); mount needs select on stdin and
sys.stdin.buffer (ports/qemu/mpconfigport.h, board.c).
"""

import os
import pty
import re
import signal
import subprocess
import sys
import time

import pytest
from invoke_cli import INVOKE, ROOT
from test_repl import read_until

from tools import kernels


pytestmark = pytest.mark.targets("qemu")

DISK_BYTES = 2048 * 512  # modules/_boot.py: 2048 blocks of 512 bytes


@pytest.fixture(scope="module")
def board(qemu_firmware):
    """The pty of a running `./inv emulator`, stopped with Ctrl-C at the end."""
    proc = subprocess.Popen(INVOKE + ["emulator"], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen = ""
        for line in proc.stdout:
            seen += line
            m = re.search(r"emulated board on (/dev/pts/\d+)", line)
            if m:
                break
        else:
            pytest.fail("./inv emulator printed no pty:\n" + seen)
        yield m.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def mpremote(board, *args, cwd=None, timeout=90):
    """Run `mpremote connect PTY ARGS...`; its stdout. A failure shows what it printed."""
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", board, *args], cwd=cwd,
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "mpremote {} failed ({}):\n{}{}".format(
        " ".join(args), r.returncode, r.stdout, r.stderr)
    return r.stdout


def test_connect_exec_eval(board):
    out = mpremote(board, "exec", "import sys; print(sys.platform, sys.implementation._machine)")
    assert out.strip() == "qemu mps2-an386 with Cortex-M4"
    assert mpremote(board, "eval", "sum(range(100))").strip() == "4950"


def test_run_a_local_script(board, tmp_path):
    script = tmp_path / "probe.py"
    # A local script that uses the frozen package: every kernel the emulator runs is there.
    script.write_text("import fastpath\nprint(' '.join(sorted(fastpath.KERNELS)))\n")
    expected = sorted(n for n, k in kernels.discover().items() if k.runs_on("qemu"))
    assert mpremote(board, "run", str(script)).split() == expected


def test_fs_cp_ls_cat_rm(board, tmp_path):
    blob = tmp_path / "fp_blob.bin"
    blob.write_bytes(bytes(range(256)) * 9)  # every byte value, not a multiple of a block
    mpremote(board, "fs", "cp", str(blob), ":fp_blob.bin")
    listing = mpremote(board, "fs", "ls", ":")
    assert re.search(r"^\s*2304 fp_blob\.bin$", listing, re.M), listing
    back = tmp_path / "back.bin"
    mpremote(board, "fs", "cp", ":fp_blob.bin", str(back))
    assert back.read_bytes() == blob.read_bytes()

    text = tmp_path / "fp_note.txt"
    text.write_text("line one\nline two\n")
    mpremote(board, "fs", "cp", str(text), ":fp_note.txt")
    assert mpremote(board, "fs", "cat", ":fp_note.txt").endswith("line one\nline two\n")

    mpremote(board, "fs", "rm", ":fp_blob.bin", "+", "fs", "rm", ":fp_note.txt")
    assert "fp_" not in mpremote(board, "fs", "ls", ":")


def test_a_module_in_flash_lib_imports(board, tmp_path):
    # As on a Pyboard: /flash and /flash/lib are on sys.path, and /flash is the working folder.
    mod = tmp_path / "fp_lib_mod.py"
    mod.write_text("def twice(x):\n    return 2 * x\n")
    mpremote(board, "fs", "mkdir", ":lib")
    try:
        mpremote(board, "fs", "cp", str(mod), ":lib/fp_lib_mod.py")
        out = mpremote(board, "exec", "import os, fp_lib_mod\n"
                                      "print(os.getcwd(), fp_lib_mod.twice(21))")
        assert out.split() == ["/flash", "42"]
    finally:
        mpremote(board, "fs", "rm", "-r", ":lib")


def test_files_last_over_soft_reset_and_globals_do_not(board, tmp_path):
    src = tmp_path / "fp_keep.py"
    src.write_text("KEPT = 'yes'\n")
    mpremote(board, "fs", "cp", str(src), ":fp_keep.py")
    try:
        out = mpremote(board, "exec", "fp_x = 1", "exec", "print('fp_x' in globals())",
                       "soft-reset", "exec", "import fp_keep\n"
                       "print('fp_x' in globals(), fp_keep.KEPT)")
        assert out.split() == ["True", "False", "yes"]
    finally:
        mpremote(board, "fs", "rm", ":fp_keep.py")


def test_mount_a_local_folder(board, tmp_path):
    # The board imports and reads from the host's folder, and writes back to it.
    (tmp_path / "fp_helper.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    (tmp_path / "fp_app.py").write_text(
        "import fp_helper\n"
        "with open('fp_data.txt') as f:\n"
        "    NAME = f.read().strip()\n"
        "with open('fp_out.txt', 'w') as f:\n"
        "    f.write(fp_helper.greet(NAME))\n"
        "print(fp_helper.greet(NAME))\n")
    (tmp_path / "fp_data.txt").write_text("mount\n")
    out = mpremote(board, "mount", str(tmp_path), "exec", "import fp_app")
    assert "hello mount" in out.splitlines()
    assert (tmp_path / "fp_out.txt").read_text() == "hello mount"


def test_df_shows_the_flash_disk(board):
    rows = {}
    for line in mpremote(board, "df").splitlines()[1:]:
        mount, size, used, avail, _ = line.split("\t")
        rows[mount] = (int(size), int(used), int(avail))
    size, used, avail = rows["flash"]
    assert size == DISK_BYTES
    assert used + avail == size and 0 < used < 16 * 512
    out = mpremote(board, "exec", "import os; s = os.statvfs('/flash'); print(s[0] * s[2], "
                                  "s[0] * s[3])")
    assert [int(x) for x in out.split()] == [size, avail]


def test_repl(board):
    pid, fd = pty.fork()
    if pid == 0:  # the child: mpremote on a terminal, as a person runs it
        os.execv(sys.executable, [sys.executable, "-m", "mpremote", "connect", board, "repl"])
    try:
        read_until(fd, b"Use Ctrl-]")
        for attempt in range(15):  # mpremote discards what is typed before raw mode
            os.write(fd, b"\r")
            try:
                read_until(fd, b">>> ", timeout=2)
                break
            except AssertionError:
                if attempt == 14:
                    raise
        os.write(fd, b"print(6 * 7, 'from', 'the', 'repl')\r")
        read_until(fd, b"42 from the repl")
        os.write(fd, b"\x1d")  # Ctrl-]: leave
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                os.read(fd, 4096)
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("mpremote repl did not end after Ctrl-]")
        assert os.waitstatus_to_exitcode(status) == 0
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    # The board still answers after the REPL session.
    assert mpremote(board, "eval", "1 + 1").strip() == "2"
