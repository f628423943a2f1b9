"""Python changes onto a running board in seconds, without rebuilding or reflashing firmware.

deploy() compiles .py files (or whole package folders) with the mpy-cross built from the
fetched MicroPython tree (so it is always the firmware's release), for the Pyboard's
Cortex-M4F (-march=armv7emsp), checks that the board runs the MicroPython version mpy-cross is
and loads the .mpy version it writes, and copies the .mpy files with mpremote into the board's
working directory: the first entry of sys.path, so a copied module is the one `import` finds,
ahead of a frozen module of the same name.

On a Pyboard that directory is /flash (or /sd), which the board also offers to this computer
as a USB drive: deploy refuses while that drive is mounted here (see check_two_writers). The
emulated board has /flash too: a littlefs RAM disk its boot mounts (ports/qemu/modules/
_boot.py), which keeps its files over soft resets and is empty in each new emulator.

Errors are DeployError, whose text is one line saying what failed and how to fix it.
"""

import os
import re
import subprocess
import tempfile
from pathlib import Path

from tools.platforms import PLATFORMS
from tools.targets import from_literal

# The arch of our boards' firmware, the Pyboard's and the emulated one's (tools/platforms.py):
# another board's .mpy check (mpy_mismatch) refuses what it cannot load.
ARCH = PLATFORMS["pybv11"].arch
# sys.implementation._mpy >> 10, and an .mpy header's third byte >> 2 (py/persistentcode.h).
_ARCHS = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
          "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc")
_ARM_THUMB = range(_ARCHS.index("armv6m"), _ARCHS.index("armv7emdp") + 1)

BOOT_FILES = ("boot.py", "main.py")


class DeployError(Exception):
    """Deploying cannot go ahead, or failed; str() is the message for the user."""


# --- two writers on one filesystem ----------------------------------------------------------
# A Pyboard enumerates as a serial port and, by default (pyb.usb_mode() == 'VCP+MSC'), as a
# USB drive of its /flash (or /sd), which desktops mount on their own. deploy writes that
# filesystem from the board's side; a host that has it mounted caches the FAT and writes it
# too, and the two corrupt it (micropython#1587, #1584). Eject the drive first, or keep the
# board off USB mass storage with pyb.usb_mode('VCP') in its boot.py.
# The drive is found by the board's USB identity (tools/usbhost.py).
TWO_WRITERS = (
    "eject the drive (or put pyb.usb_mode('VCP') in the board's boot.py and press RST), "
    "then deploy again"
)


def mounted_flash_drive(host=None):
    """Where this computer has a Pyboard's drive mounted (usbhost.Mount), or None."""
    from tools.usbhost import Host

    return (host or Host()).drive()


def check_two_writers(usb_mode, mount, port, echo=print):
    """Refuse to write the board's filesystem while this computer has it mounted too (mount,
    a usbhost.Mount); warn when the board offers it as a drive (usb_mode says MSC) but no
    mount can be seen."""
    if not usb_mode or "MSC" not in usb_mode:
        return
    if mount:
        raise DeployError(
            "deploy: the board on {} shows its filesystem as a USB drive, and this computer "
            "has it mounted at {}; deploy writes it from the board, and two writers corrupt "
            "the FAT: {}".format(port, mount.point, TWO_WRITERS)
        )
    echo("deploy: note: the board also offers its filesystem as a USB drive "
         "(pyb.usb_mode() is {!r}); if this computer mounts it, {}".format(usb_mode,
                                                                            TWO_WRITERS))


def mpy_cross_version(binary):
    """("1.25.0", 6, 3): the MicroPython release and .mpy version mpy-cross emits."""
    r = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    m = re.search(r"MicroPython v(\d+\.\d+\.\d+)\S*.*mpy v(\d+)\.(\d+)", r.stdout)
    if r.returncode or not m:
        raise DeployError(
            "deploy: cannot tell which version {} is ({}); rebuild it: ./inv build".format(
                binary, (r.stdout + r.stderr).strip() or r.returncode)
        )
    return m.group(1), int(m.group(2)), int(m.group(3))


def modules(paths):
    """[(source, destination, module name)] for .py files and package folders.

    A file x.py becomes x.mpy; a folder pkg/ becomes pkg/... with every .py under it."""
    if not paths:
        raise DeployError(
            "deploy: no files given; name .py files or package folders, e.g. "
            "./inv deploy --port PORT app.py"
        )
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            sources = sorted(p.rglob("*.py"))
            if not sources:
                raise DeployError("deploy: {} holds no .py files".format(p))
            for src in sources:
                rel = Path(p.name) / src.relative_to(p)
                found.append((src, rel.with_suffix(".mpy").as_posix(), _module_name(rel)))
        elif p.suffix == ".py" and p.is_file():
            if p.name in BOOT_FILES:
                raise DeployError(
                    "deploy: {} runs at boot only as source, not as .mpy; copy it as it is: "
                    "mpremote connect PORT cp {} :{}".format(p.name, p, p.name)
                )
            found.append((p, p.with_suffix(".mpy").name, p.stem))
        elif p.exists():
            raise DeployError("deploy: {} is not a .py file or a package folder".format(p))
        else:
            raise DeployError("deploy: {} does not exist".format(p))
    return found


def _module_name(rel):
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def compile_all(found, binary, outdir):
    """mpy-cross each source into outdir; [(mpy file, destination, module name)]."""
    compiled = []
    for src, dest, name in found:
        out = Path(outdir) / dest
        out.parent.mkdir(parents=True, exist_ok=True)
        # -s: tracebacks on the board name the file as the board sees it.
        cmd = [str(binary), "-march=" + ARCH, "-s", dest[:-4] + ".py", "-o", str(out), str(src)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            err = (r.stderr + r.stdout).strip().splitlines()
            raise DeployError(
                "deploy: mpy-cross cannot compile {}: {}; nothing was copied".format(
                    src, err[-1] if err else "exit {}".format(r.returncode)
                )
            )
        compiled.append((out, dest, name))
    return compiled


def _mpy_name(version, sub=None, arch=0):
    text = "v{}".format(version) if sub is None else "v{}.{}".format(version, sub)
    return text + (" ({})".format(_arch_name(arch)) if arch else "")


def _arch_name(arch):
    return _ARCHS[arch] if arch < len(_ARCHS) else "arch {}".format(arch)


def mpy_mismatch(header, board_mpy):
    """Why a board whose sys.implementation._mpy is board_mpy refuses this .mpy header, as
    py/persistentcode.c decides it; None when it loads."""
    version, flags = header[1], header[2]
    sub, arch = flags & 3, flags >> 2
    b_version, b_sub, b_arch = board_mpy & 0xFF, (board_mpy >> 8) & 3, board_mpy >> 10
    board = _mpy_name(b_version, b_sub, b_arch)
    mine = _mpy_name(version, sub if arch else None, arch)
    if header[:1] != b"M" or version != b_version or (arch and sub != b_sub):
        return ".mpy {}, but the board loads .mpy {}".format(mine, board)
    if arch:
        if b_arch == 0:
            return "native code for {}, but the board runs no native code".format(
                _arch_name(arch)
            )
        thumb = b_arch in _ARM_THUMB and arch in _ARM_THUMB and arch <= b_arch
        if not (thumb or arch == b_arch):
            return "native code for {}, but the board is {}".format(
                _arch_name(arch), _arch_name(b_arch)
            )
    return None


def check_versions(board, cross, compiled, port):
    """Refuse when the board's MicroPython release or .mpy version differs from mpy-cross's."""
    release = ".".join(map(str, board["version"]))
    if release != cross[0]:
        raise DeployError(
            "deploy: MicroPython version mismatch: the board on {} runs {}, mpy-cross and "
            "this firmware are {}; flash this firmware first (./inv flash)".format(
                port, release, cross[0]
            )
        )
    if not board["mpy"]:
        raise DeployError("deploy: the board on {} cannot import .mpy files".format(port))
    for mpy, dest, _ in compiled:
        why = mpy_mismatch(mpy.read_bytes()[:4], board["mpy"])
        if why:
            raise DeployError(
                "deploy: .mpy version mismatch: {} is {}; flash this firmware (./inv flash), or "
                "build for the board's release (--ref)".format(
                    dest, why
                )
            )


_USB_MODE = """\
try:
    import pyb
    print(repr(pyb.usb_mode()))
except (ImportError, AttributeError):
    print(None)
"""


def _board_info(transport):
    version, mpy, platform, cwd = transport.eval(
        "(tuple(__import__('sys').implementation.version[:3]), "
        "getattr(__import__('sys').implementation, '_mpy', 0), "
        "__import__('sys').platform, __import__('os').getcwd())"
    )
    usb = from_literal(transport.exec(_USB_MODE).decode())
    return {"version": version, "mpy": mpy, "platform": platform, "cwd": cwd, "usb": usb}


def _copy(transport, compiled, dest_dir, echo):
    from mpremote.transport import TransportExecError

    made = set()
    for mpy, dest, _ in compiled:
        target = "{}/{}".format(dest_dir, dest)
        parent = target.rsplit("/", 1)[0]
        if parent != dest_dir and parent not in made:
            path = dest_dir
            for part in dest.split("/")[:-1]:
                path += "/" + part
                if not transport.fs_isdir(path):
                    transport.fs_mkdir(path)
            made.add(parent)
        # A .py beside the .mpy wins the import (py/builtinimport.c): remove the old source.
        stale = target[:-4] + ".py"
        if transport.fs_exists(stale):
            transport.fs_rmfile(stale)
            echo("deploy: removed :{} (it would shadow the .mpy)".format(stale))
        try:
            transport.fs_writefile(target, mpy.read_bytes())
        except TransportExecError as e:
            why = e.error_output.strip().splitlines()[-1]
            if why.endswith(("28", "ENOSPC")):
                raise DeployError(
                    "deploy: no room for {} in {} on the board ({}, disk full); remove files "
                    "there, or deploy fewer".format(dest, dest_dir, why)
                ) from None
            raise DeployError(
                "deploy: copying {} to :{} failed: {}".format(dest, target, why)
            ) from None
        echo("deploy: {} -> :{} ({} bytes)".format(dest[:-4] + ".py", target,
                                                    mpy.stat().st_size))


def _forget(transport, compiled):
    # The next import must load the new files, not modules imported before this deploy.
    tops = sorted({name.split(".")[0] for _, _, name in compiled})
    transport.exec(
        "import sys\nfor _n in list(sys.modules):\n"
        " if _n.split('.')[0] in {!r}:\n  del sys.modules[_n]".format(tops)
    )


def deploy(port, paths, mpy_cross, run=None, firmware_version=None, echo=print):
    """Compile paths with mpy_cross (a path), check versions, copy the .mpy files to the board
    on port, and then execute run (Python source) there if given. Returns what run printed."""
    from mpremote.transport import TransportError, TransportExecError

    from tools.targets import open_serial

    binary = Path(mpy_cross)
    if not binary.exists():
        raise DeployError("deploy: no mpy-cross at {}; run: ./inv build (it builds mpy-cross "
                          "from the fetched MicroPython)".format(binary))
    cross = mpy_cross_version(binary)
    if firmware_version and cross[0] != firmware_version.lstrip("v").split("-")[0]:
        raise DeployError(
            "deploy: mpy-cross is {} but the firmware is MicroPython {}; run: ./inv build "
            "(it builds mpy-cross from the firmware's tree)".format(
                cross[0], firmware_version.lstrip("v")
            )
        )
    found = modules(paths)
    with tempfile.TemporaryDirectory(prefix="fastpath-deploy-") as tmp:
        compiled = compile_all(found, binary, tmp)
        if not os.path.exists(port):
            raise DeployError(
                "deploy: no board at {}; connect the Pyboard and pass its --port, or start "
                "the emulator (./inv emulator) and pass the pty it prints".format(port)
            )
        try:
            transport = open_serial(port)
        except TransportError:
            raise DeployError(
                "deploy: cannot open {}; is another program (a REPL) holding it?".format(port)
            ) from None
        try:
            # No soft reset: what runs on the board stays as it is; _forget() drops only the
            # modules this deploy replaces.
            transport.enter_raw_repl(soft_reset=False)
            board = _board_info(transport)
            check_versions(board, cross, compiled, port)
            check_two_writers(board["usb"], mounted_flash_drive(), port, echo=echo)
            dest_dir = board["cwd"].rstrip("/")
            _copy(transport, compiled, dest_dir, echo)
            _forget(transport, compiled)
            out = ""
            if run:
                data, err = transport.exec_raw(run, timeout=60)
                out = data.decode(errors="replace").replace("\r\n", "\n")
                if out:
                    echo(out.rstrip("\n"))
                if err:
                    err = err.decode(errors="replace").replace("\r\n", "\n").strip()
                    echo(err)
                    raise DeployError(
                        "deploy: copied, but --run failed on the board: {}".format(
                            err.splitlines()[-1]
                        )
                    )
            return out
        except TransportExecError as e:
            raise DeployError(
                "deploy: the board on {} raised {}; deploy again after fixing that".format(
                    port, e.error_output.strip().splitlines()[-1]
                )
            ) from None
        except TransportError as e:
            raise DeployError(
                "deploy: the board on {} stopped answering ({}); stop a running program "
                "with Ctrl-C in ./inv repl, then deploy again".format(
                    port, str(e).strip().splitlines()[-1] if str(e).strip() else "no reply"
                )
            ) from None
        except OSError as e:
            raise DeployError(
                "deploy: copying to the board on {} failed: {}; check its free space "
                "(os.statvfs) and deploy again".format(port, e)
            ) from None
        finally:
            try:
                if transport.in_raw_repl:
                    transport.serial.write(b"\r\x02")  # Ctrl-B: back to the friendly REPL
                transport.close()
            except OSError:
                pass


def deploy_to_emulator(paths, firmware, mpy_cross, run=None, **kwargs):
    """Boot the emulated board (firmware: its .elf), deploy to it, run, stop it: a one-shot
    check that a module compiles, copies, imports and runs on the Pyboard's CPU without a
    board."""
    from tools.targets import QemuTarget

    firmware = Path(firmware)
    if not firmware.exists():
        raise DeployError("deploy: no {}; run: ./inv build --target qemu".format(firmware))
    if run is None:
        names = sorted({name.split(".")[0] for _, _, name in modules(paths)})
        run = "".join("import {}\n".format(n) for n in names)
        run += "print('deploy: imported {}')\n".format(", ".join(names))
    qemu = QemuTarget(firmware)
    try:
        qemu.start()
    except RuntimeError as e:
        raise DeployError("deploy: {}; run: ./inv setup".format(e)) from None
    try:
        return deploy(qemu.device, paths, mpy_cross, run=run, **kwargs)
    finally:
        qemu.stop()
