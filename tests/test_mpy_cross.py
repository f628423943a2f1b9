"""Every frozen, example and target-side test module compiles with the mpy-cross built from
the fetched MicroPython tree, for each CPU it is meant for: a viper or asm error is caught
without a board, and the code the suite sends to targets is real, compilable MicroPython."""

import re
import subprocess

import pytest

from tools.settings import ROOT

PORTABLE = sorted((ROOT / "frozen" / "fastpath").rglob("*.py"))
THUMB_ONLY = sorted((ROOT / "frozen" / "thumb").rglob("*.py"))
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TARGET_CODE = sorted((ROOT / "tests" / "target").glob("*.py"))


@pytest.fixture(scope="session")
def mpy_cross(layout):
    if not layout.mpy_cross.exists():
        pytest.fail("no {}; run: ./inv build".format(layout.rel(layout.mpy_cross)),
                    pytrace=False)
    return layout.mpy_cross


def compile_mpy(mpy_cross, path, arch, tmp_path):
    out = tmp_path / (path.stem + ".mpy")
    proc = subprocess.run(
        [str(mpy_cross), "-march=" + arch, "-o", str(out), str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_mpy_cross_is_the_firmware_release(mpy_cross, layout):
    version = subprocess.run([str(mpy_cross), "--version"], capture_output=True, text=True)
    m = re.search(r"MicroPython v(\d+\.\d+\.\d+)", version.stdout)
    assert m and m.group(1) == layout.release(), version.stdout


@pytest.mark.parametrize("path", PORTABLE + THUMB_ONLY + EXAMPLES + TARGET_CODE,
                         ids=ids(PORTABLE + THUMB_ONLY + EXAMPLES + TARGET_CODE))
def test_compiles_for_the_pyboard(mpy_cross, path, tmp_path):
    mpy = compile_mpy(mpy_cross, path, "armv7emsp", tmp_path)
    assert mpy[:1] == b"M"


@pytest.mark.parametrize("path", PORTABLE + EXAMPLES + TARGET_CODE,
                         ids=ids(PORTABLE + EXAMPLES + TARGET_CODE))
def test_portable_modules_compile_for_unix(mpy_cross, path, tmp_path):
    compile_mpy(mpy_cross, path, "x64", tmp_path)


THUMB_KERNELS = [p for p in THUMB_ONLY if p.name != "__init__.py"]


@pytest.mark.parametrize("path", THUMB_KERNELS, ids=ids(THUMB_KERNELS))
def test_thumb_only_modules_really_need_thumb(mpy_cross, path, tmp_path):
    # The reason they live apart: inline Thumb assembler has no x64 emitter. (A module here
    # without asm would belong in frozen/fastpath.)
    if "asm_thumb" not in path.read_text():
        pytest.fail("{} has no asm_thumb code".format(path.name))
    proc = subprocess.run([str(mpy_cross), "-march=x64", "-o", str(tmp_path / "x.mpy"),
                           str(path)], capture_output=True, text=True)
    assert proc.returncode != 0
