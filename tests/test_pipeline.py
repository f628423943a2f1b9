"""The build pipeline: what tasks.py makes, what it puts in the firmware, how it fails.

These run once on the host, not per target. They use the firmware `./inv test` has just
built, and for fault paths a throwaway MicroPython clone in a temporary folder.
"""

import re
import shutil
import subprocess
import time

import pytest

from invoke_cli import ROOT, inv
from tools import kernels
from tools.build import firmware_path
from tools.platforms import PLATFORMS



def _elf_symbols(elf):
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return {line.split()[-1] for line in out.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize("out", [pytest.param("PYBV11", marks=pytest.mark.firmware("pybv11")),
                                 pytest.param("qemu", marks=pytest.mark.firmware("qemu"))])
def test_firmware_carries_c_module_and_frozen_package(out, layout):
    elf = layout.out(out) / "firmware.elf"
    symbols = _elf_symbols(elf)
    declared = kernels.discover()
    # The C module's object, and each C rung's binding and raw loop, are linked in.
    assert "fastpath_user_cmodule" in symbols
    for k in declared.values():
        if k.c_source:
            assert "fastpath_{}_obj".format(k.name) in symbols, k.name
            assert "fastpath_{}_raw".format(k.name) in symbols, k.name
    # The frozen module table names every module of the package (the build's kernel index
    # among them), and every asm rung.
    frozen = (layout.out(out) / "frozen_content.c").read_text()
    names = set(re.findall(r'"((?:fastpath|fastpath_thumb)/[a-z0-9_/]+\.py)\\0"', frozen))
    package = {p.relative_to(ROOT / "frozen").as_posix()
               for p in (ROOT / "frozen" / "fastpath").rglob("*.py")}
    assert package | {"fastpath/_index.py", "fastpath_thumb/__init__.py"} <= names
    for k in declared.values():
        if k.asm_source:
            assert "fastpath_thumb/{}.py".format(k.name) in names


MPY_ARCH = {2: "x64", 5: "armv7m", 7: "armv7emsp"}  # py/persistentcode.h MP_NATIVE_ARCH_*


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.firmware(n)) for n in ("pybv11", "qemu", "unix")])
def test_frozen_native_code_is_compiled_for_the_target_cpu(name, layout):
    # Byte 2 of a .mpy header holds the native architecture in its top six bits (0: none).
    # Every kernel's module has native rungs; unix's arch is the host's (this one's: x64).
    arch = PLATFORMS[name].arch or "x64"
    frozen = firmware_path(layout, name).parent / "frozen_mpy"
    archs = {}
    for mpy in frozen.rglob("*.mpy"):
        code = mpy.read_bytes()[2] >> 2
        if code:
            archs[mpy.relative_to(frozen).as_posix()] = MPY_ARCH.get(code, code)
    assert {"fastpath/kernels/{}.mpy".format(k) for k in kernels.discover()} <= set(archs)
    assert set(archs.values()) == {arch}, archs


def _ld_regions(path):
    # {name: (origin, length)} from the MEMORY block of a GNU ld script.
    units = {"K": 1024, "M": 1024 * 1024, "": 1}
    regions = {}
    for m in re.finditer(
        r"(\w+)\s*\([^)]*\)\s*:\s*ORIGIN\s*=\s*(0x[0-9a-fA-F]+),\s*LENGTH\s*=\s*(\d+)([KM]?)",
        path.read_text(),
    ):
        regions[m.group(1)] = (int(m.group(2), 16), int(m.group(3)) * units[m.group(4)])
    return regions


@pytest.mark.firmware("pybv11")
def test_pyboard_firmware_within_flash_budget(layout):
    regions = _ld_regions(layout.micropython / "ports" / "stm32" / "boards" / "stm32f405.ld")
    isr_used = (firmware_path(layout, "pybv11").parent / "firmware0.bin").stat().st_size
    text_used = (firmware_path(layout, "pybv11").parent / "firmware1.bin").stat().st_size
    isr_origin, isr_len = regions["FLASH_START"]
    text_origin, text_len = regions["FLASH_TEXT"]
    assert (isr_origin, text_origin) == (0x08000000, 0x08020000)
    print("flash: ISR {}/{} bytes, text {}/{} bytes ({:.0%})".format(
        isr_used, isr_len, text_used, text_len, text_used / text_len))
    assert isr_used <= isr_len
    assert text_used <= text_len


@pytest.mark.full  # make in every firmware's tree
@pytest.mark.firmware("pybv11", "unix", "unix-asan", "qemu")
def test_rebuild_with_nothing_changed_rebuilds_nothing(layout):
    t0 = time.monotonic()
    code, out = inv("build", "--target", "all")
    elapsed = time.monotonic() - t0
    assert code == 0, out
    for target in ("pybv11", "unix", "qemu"):
        log = (firmware_path(layout, target).parent / "build.log").read_text()
        compiled = [line for line in log.splitlines() if line.startswith(("CC ", "LINK "))]
        assert compiled == [], "{} rebuilt: {}".format(target, compiled[:5])
    assert elapsed < 60, "a no-op build took {:.0f} s".format(elapsed)


def test_fetch_twice_does_nothing():
    code, out = inv("fetch")
    assert code == 0, out
    assert "cloning" not in out and "submodule" not in out
    assert "ready" in out


def test_unknown_target_is_one_line_with_the_choices():
    code, out = inv("build", "--target", "esp32")
    assert code != 0
    assert out.strip() == ("unknown target 'esp32'; choose from: pybv11, unix, unix-asan, qemu, "
                           "qemu-ulab, qemu-noc, qemu-stock, unix-stock, qemu-an385, qemu-rv32, "
                           "all")


def test_missing_toolchain_names_the_fix(tmp_path):
    # A PATH with everything but the ARM compiler; setup may not install (not as root).
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("git", "make", "cc", "qemu-system-arm", "dfu-util", "clang", "unshare", "setpriv",
                 "prlimit", "sh", "uname", "riscv64-unknown-elf-gcc", "qemu-system-riscv32"):
        found = shutil.which(tool)
        if found:
            (bindir / tool).symlink_to(found)
    code, out = inv(
        "build", "--target", "pybv11", env={"PATH": str(bindir), "INVOKE_FASTPATH_INSTALL": ""}
    )
    assert code != 0
    assert out.strip() == (
        "setup: missing gcc-arm-none-eabi; run: sudo apt-get install -y gcc-arm-none-eabi"
    )


@pytest.fixture
def scratch_tree(tmp_path):
    """Settings that fetch into a temporary folder instead of lib/micropython."""
    return {"INVOKE_FASTPATH_MICROPYTHON_DIR": str(tmp_path / "micropython")}


def test_wrong_ref_is_one_clear_line(scratch_tree):
    code, out = inv("fetch", "--ref", "v0.0.0-no-such-tag", env=scratch_tree)
    assert code != 0
    assert "ref 'v0.0.0-no-such-tag' does not exist" in out
    assert "--ref" in out
    assert len(out.strip().splitlines()) <= 2  # the "cloning" stage line, then the error


def test_unreachable_source_is_one_clear_line(scratch_tree, tmp_path):
    env = dict(scratch_tree, INVOKE_FASTPATH_MICROPYTHON_URL=str(tmp_path / "nowhere"))
    code, out = inv("fetch", env=env)
    assert code != 0
    assert out.strip().splitlines()[-1].startswith("fetch: could not clone")
    assert "insteadOf" in out


def test_build_without_source_says_fetch(tmp_path):
    # Building straight from make-level: no tree, and fetching forbidden by a bad URL.
    env = {
        "INVOKE_FASTPATH_MICROPYTHON_DIR": str(tmp_path / "none"),
        "INVOKE_FASTPATH_MICROPYTHON_URL": str(tmp_path / "nowhere"),
    }
    code, out = inv("build", "--target", "unix", env=env)
    assert code != 0
    assert "fetch: could not clone" in out
