"""./inv deploy: mpy-cross from the fetched tree, version checks, and .mpy files copied with
mpremote onto the emulator (its /flash, a littlefs RAM disk) or a real board, then imported
and run there.

The board tests take `target` for qemu and device; on qemu each boots its own emulator, as
`./inv emulator` does, so deploy reaches it through its pty like a real board's port.
"""

import re
import sys
import textwrap

import pytest
import standin_host
from invoke_cli import run_task

from tools import deploy as deploying
from tools.settings import ROOT
from tools.platforms import TARGETS
from tools.targets import QemuTarget, SerialTarget, _open_repl, from_literal
from tools.usbhost import Host, Mount, unmount_command

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


def fake_mpy_cross(real, tmp_path, release, mpy="6.3", header=6):
    path = tmp_path / "fake-mpy-cross"
    path.write_text(FAKE_MPY_CROSS.format(python=sys.executable, release=release, mpy=mpy,
                                          real=str(real), header=header))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def mpy_cross(layout):
    if not layout.mpy_cross.exists():
        pytest.fail("no {}; run: ./inv build".format(layout.rel(layout.mpy_cross)))
    return layout.mpy_cross


@pytest.fixture
def release(layout):
    """The firmware's release, as sys.implementation.version gives it: "1.25.0"."""
    return layout.release()


# Lists every entry under a folder on the board: [(path, is_dir)], [] when it is absent.
_LIST = """\
def _fp_walk(d):
    import os
    out = []
    for e in os.ilistdir(d):
        p = d.rstrip('/') + '/' + e[0]
        out.append((p, e[1] == 0x4000))
        if e[1] == 0x4000:
            out += _fp_walk(p)
    return out
try:
    print(repr(_fp_walk({root!r})))
except OSError:
    print([])
del _fp_walk
"""


def _board(port, code):
    t = _open_repl(port, soft_reset=False)  # the board as the test left it
    try:
        return t.exec(code).decode()
    finally:
        t.close()


def _entries(port, root):
    return from_literal(_board(port, _LIST.format(root=root)))


@pytest.fixture(scope="module")
def _emulator(request):
    """One emulator for the module: like a Pyboard's, its /flash keeps what each test copies,
    so a file one test leaves behind is there for the next."""
    qemu = QemuTarget(request.getfixturevalue("qemu_firmware"))
    qemu.start()
    yield qemu
    qemu.stop()


@pytest.fixture
def port(target, request):
    """The serial port of a board deploy can reach (the module's emulator, or the device),
    left as it was found: whatever a test copies there is removed afterwards, and the folder
    deploy writes must then list exactly what it listed before the test."""
    if target.platform.runner == "qemu":
        device = request.getfixturevalue("_emulator").device
    else:
        target.close()  # deploy opens the port itself
        device = target.device
    root = from_literal(_board(device, "print(repr(__import__('os').getcwd()))"))
    before = _entries(device, root)
    yield device
    after = _entries(device, root)
    new = [e for e in after if e not in before]
    # Deepest first: files and folders inside a folder go before it.
    for path, is_dir in sorted(new, key=lambda e: -e[0].count("/")):
        _board(device, "import os\nos.{}({!r})".format("rmdir" if is_dir else "remove", path))
    assert _entries(device, root) == before, "the test left files on the board"


# --- host only: compiling and the version rules -----------------------------------------


def test_mpy_cross_is_the_firmware_release(mpy_cross, release):
    assert deploying.mpy_cross_version(mpy_cross)[0] == release


def test_compile_for_the_pyboard_cpu(tmp_path, mpy_cross):
    src = module(tmp_path / "src" / "fast.py", """\
        @micropython.viper
        def add(a: int, b: int) -> int:
            return a + b
        """)
    plain = module(tmp_path / "src" / "plain.py", "X = 1\n")
    found = deploying.modules([src, plain])
    compiled = deploying.compile_all(found, mpy_cross, tmp_path / "out")
    headers = {dest: mpy.read_bytes()[:4] for mpy, dest, _ in compiled}
    # b"M", the .mpy version; viper code is armv7emsp (7) in the top six bits of byte 2.
    assert headers["fast.mpy"][:1] == b"M" and headers["fast.mpy"][2] >> 2 == 7
    assert headers["plain.mpy"][:1] == b"M" and headers["plain.mpy"][2] == 0  # bytecode only


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


def test_no_board_at_port(tmp_path, mpy_cross):
    src = module(tmp_path / "m.py", "X = 1\n")
    r = run_task("deploy", "--port", str(tmp_path / "ttyACM9"), str(src))
    assert r.returncode != 0
    assert one_line(r.stderr).startswith(
        "deploy: no board at {}; connect the Pyboard".format(tmp_path / "ttyACM9")
    )


def test_syntax_error_copies_nothing(tmp_path, mpy_cross):
    src = module(tmp_path / "broken.py", "def f(:\n")
    r = run_task("deploy", "--port", str(tmp_path / "unused"), str(src))
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "deploy: mpy-cross cannot compile {}: SyntaxError: invalid syntax; nothing was "
        "copied".format(src)
    )


# --- on the emulator (or a board): copy, import, run ------------------------------------


def drive_in_the_way(target, host=None):
    """Why deploy would refuse on this target whatever the test does (the reason to skip it):
    after ./inv flash --port --test the desktop mounts the rebooted board's drive."""
    mount = (host or Host()).drive() if target.platform.runner == "board" else None
    if mount is None:
        return None
    return ("this computer has the board's drive mounted at {}, and deploy refuses to be a "
            "second writer: unmount it ({}) to run this test".format(mount.point,
                                                                   unmount_command(mount)))


@pytest.fixture
def one_writer(target):
    why = drive_in_the_way(target)
    if why:
        pytest.skip(why)


def test_device_deploy_tests_skip_while_the_drive_is_mounted(tmp_path):
    device, qemu = SerialTarget("/dev/ttyACM0"), SerialTarget("/dev/pts/3")
    device.platform, qemu.platform = TARGETS["device"], TARGETS["qemu"]
    mounted = standin_host.host(tmp_path, mounted="sdb1")
    assert drive_in_the_way(device, mounted) == (
        "this computer has the board's drive mounted at /media/me/4A21-0000, and deploy "
        "refuses to be a second writer: unmount it (udisksctl unmount -b {}) to run this "
        "test".format(tmp_path / "dev" / "sdb1"))
    assert drive_in_the_way(qemu, mounted) is None
    (tmp_path / "clear").mkdir()
    assert drive_in_the_way(device, standin_host.host(tmp_path / "clear")) is None


@pytest.mark.targets("qemu", "device")
def test_deploy_copy_import_run(target, port, one_writer, tmp_path, layout):
    elf = layout.out("qemu") / "firmware.elf"
    firmware = elf.stat().st_mtime_ns if elf.exists() else None
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
        assert elf.stat().st_mtime_ns == firmware


@pytest.mark.targets("qemu", "device")
def test_deploy_run_failure_is_one_message(target, port, one_writer, tmp_path):
    src = module(tmp_path / "fp_deploy_raises.py", "def f():\n    raise ValueError('boom')\n")
    r = run_task("deploy", "--port", port, str(src), "--run", "import fp_deploy_raises\n"
            "fp_deploy_raises.f()")
    assert r.returncode != 0
    assert one_line(r.stderr) == (
        "deploy: copied, but --run failed on the board: ValueError: boom"
    )
    assert "Traceback" in r.stdout  # the board's traceback is shown above it


def _nothing_copied(port):
    return from_literal(_board(port, "print([f for f in __import__('os').listdir() "
                             "if f.startswith('fp_')])")) == []


@pytest.mark.targets("qemu", "device")
def test_refuses_another_release(target, port, tmp_path, mpy_cross, release):
    src = module(tmp_path / "fp_deploy_release.py", "X = 1\n")
    fake = fake_mpy_cross(mpy_cross, tmp_path, release="1.2.3", mpy="6.3")
    with pytest.raises(deploying.DeployError) as e:
        deploying.deploy(port, [src], fake, echo=lambda s: None)
    assert str(e.value).startswith(
        "deploy: MicroPython version mismatch: the board on {} runs {}, mpy-cross and "
        "this firmware are 1.2.3".format(port, release)
    )
    assert _nothing_copied(port)


@pytest.mark.targets("qemu", "device")
def test_refuses_another_mpy_version(target, port, tmp_path, mpy_cross, release):
    src = module(tmp_path / "fp_deploy_mpy.py", "X = 1\n")
    fake = fake_mpy_cross(mpy_cross, tmp_path, release=release, header=5)  # writes .mpy v5
    with pytest.raises(deploying.DeployError) as e:
        deploying.deploy(port, [src], fake, echo=lambda s: None)
    assert str(e.value).startswith(
        "deploy: .mpy version mismatch: fp_deploy_mpy.mpy is .mpy v5, but the board loads "
        ".mpy v6."
    )
    assert _nothing_copied(port)


def test_firmware_release_mismatch_is_refused(tmp_path, mpy_cross, release):
    src = module(tmp_path / "m.py", "X = 1\n")
    with pytest.raises(deploying.DeployError, match=r"^deploy: mpy-cross is {} but the "
                       r"firmware is MicroPython 0\.1\.0".format(re.escape(release))):
        deploying.deploy(str(tmp_path / "port"), [src], mpy_cross, firmware_version="v0.1.0")


# --- one command: boot the emulator, deploy, run ----------------------------------------


def test_deploy_target_qemu_one_shot(tmp_path, qemu_firmware):
    src = module(tmp_path / "fp_oneshot.py", "print('fp_oneshot runs on', "
                                             "__import__('sys').implementation._machine)\n")
    r = run_task("deploy", "--target", "qemu", str(src))
    assert r.returncode == 0, r.stderr
    assert "fp_oneshot runs on mps2-an386 with Cortex-M4" in r.stdout
    assert r.stdout.splitlines()[-1] == "deploy: imported fp_oneshot"


def test_full_disk_is_one_message(tmp_path, qemu_firmware, mpy_cross):
    # About 50 KiB of string constants, onto an emulator whose /flash (1 MiB) a file fills
    # but for 8 KiB.
    strings = ", ".join(repr("x" * 200 + str(i)) for i in range(250))
    src = module(tmp_path / "fp_big.py", "DATA = ({})\n".format(strings))
    qemu = QemuTarget(qemu_firmware)
    try:
        qemu.run("import os\n"
                 "chunk = bytearray(4096)\n"
                 "with open('fp_fill', 'wb') as f:\n"
                 "    while os.statvfs('/flash')[3] * 512 > 12288:\n"
                 "        f.write(chunk)\n")
        SerialTarget.close(qemu)  # free the pty for deploy; the emulator keeps running
        with pytest.raises(deploying.DeployError) as e:
            deploying.deploy(qemu.device, [src], mpy_cross, echo=lambda s: None)
    finally:
        qemu.stop()
    assert str(e.value) == (
        "deploy: no room for fp_big.mpy in /flash on the board (OSError: 28, disk full); "
        "remove files there, or deploy fewer"
    )


# --- two writers on one filesystem: the board's flash mounted on this computer ---------------


def _mounts(tmp_path, *lines):
    path = tmp_path / "mounts"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _host(tmp_path, mounts="none", by_label="none", volumes="none"):
    return Host(mounts=tmp_path / mounts, disk_by_id=tmp_path / "none",
                by_label=tmp_path / by_label, volumes=tmp_path / volumes)


def test_flash_drive_found_by_mount_point(tmp_path):
    _mounts(tmp_path, "/dev/sda2 / ext4 rw 0 0", "/dev/sdb1 /media/me/PYBFLASH vfat rw,nosuid 0 0")
    assert _host(tmp_path, mounts="mounts").drive() == ("/dev/sdb1", "/media/me/PYBFLASH")


def test_flash_drive_found_by_label(tmp_path):
    # Mounted somewhere with another name: udev's by-label link still names it.
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "sdc1").write_text("")
    labels = tmp_path / "by-label"
    labels.mkdir()
    (labels / "PYBFLASH").symlink_to(dev / "sdc1")
    _mounts(tmp_path, "{} /mnt/my\\040board vfat rw 0 0".format(dev / "sdc1"))
    found = _host(tmp_path, mounts="mounts", by_label="by-label").drive()
    assert found == (str(dev / "sdc1"), "/mnt/my board")


@pytest.mark.parametrize("mounted", ["sdb1", "sdb"])
def test_drive_found_by_usb_identity(tmp_path, mounted):
    # No label to go by (a /flash made with VfsFat.mkfs, or the SD card the board offers
    # instead): udev's by-id name, from MicroPython's SCSI inquiry strings, finds it.
    host = standin_host.host(tmp_path, mounted=mounted, point="/media/me/NO NAME",
                             other=["/dev/sdc1 /media/me/USBSTICK vfat rw 0 0"])
    assert host.drive() == Mount(str(tmp_path / "dev" / mounted), "/media/me/NO NAME")
    (tmp_path / "unmounted").mkdir()
    assert standin_host.host(tmp_path / "unmounted", other=[
        "/dev/sdc1 /media/me/USBSTICK vfat rw 0 0"]).drive() is None  # only another stick


def test_flash_drive_found_on_macos(tmp_path):
    (tmp_path / "Volumes" / "PYBFLASH").mkdir(parents=True)
    assert _host(tmp_path, volumes="Volumes").drive() == (
        None, str(tmp_path / "Volumes" / "PYBFLASH"))


def test_no_flash_drive_mounted(tmp_path):
    _mounts(tmp_path, "/dev/sdb1 /media/me/USBSTICK vfat rw 0 0")
    assert _host(tmp_path, mounts="mounts").drive() is None


def test_two_writers_are_refused():
    with pytest.raises(deploying.DeployError) as e:
        deploying.check_two_writers("VCP+MSC", Mount("/dev/sdb1", "/media/me/PYBFLASH"),
                                    "/dev/ttyACM0")
    assert str(e.value) == (
        "deploy: the board on /dev/ttyACM0 shows its filesystem as a USB drive, and this "
        "computer has it mounted at /media/me/PYBFLASH; deploy writes it from the board, and "
        "two writers corrupt the FAT: eject the drive (or put pyb.usb_mode('VCP') in the "
        "board's boot.py and press RST), then deploy again"
    )


def test_one_writer_goes_ahead():
    said = []
    mount = Mount("/dev/sdb1", "/media/me/PYBFLASH")
    deploying.check_two_writers("VCP", mount, "P", echo=said.append)
    deploying.check_two_writers(None, mount, "P", echo=said.append)  # emulator
    assert said == []
    deploying.check_two_writers("VCP+MSC", None, "P", echo=said.append)  # cannot see a mount
    assert said == ["deploy: note: the board also offers its filesystem as a USB drive "
                    "(pyb.usb_mode() is 'VCP+MSC'); if this computer mounts it, eject the "
                    "drive (or put pyb.usb_mode('VCP') in the board's boot.py and press RST), "
                    "then deploy again"]


@pytest.mark.targets("qemu")
def test_deploy_refuses_while_the_drive_is_mounted(target, port, tmp_path, monkeypatch,
                                                    mpy_cross):
    # The emulator has no USB: it plays a Pyboard in VCP+MSC mode whose drive is mounted.
    real = deploying._board_info
    monkeypatch.setattr(deploying, "_board_info", lambda t: dict(real(t), usb="VCP+MSC"))
    monkeypatch.setattr(deploying, "mounted_flash_drive",
                        lambda: Mount("/dev/sdb1", "/media/me/PYBFLASH"))
    src = module(tmp_path / "fp_deploy_two.py", "X = 1\n")
    with pytest.raises(deploying.DeployError, match="has it mounted at /media/me/PYBFLASH"):
        deploying.deploy(port, [src], mpy_cross, echo=lambda s: None)
    assert _nothing_copied(port)
