"""Firmware identity: every build carries this project's commit, the MicroPython release and
the board, as fastpath.BUILD on the board and firmware.json beside the artifacts; the two
agree, and both say what git says about the trees they were built from.
"""

import json
import subprocess
import sys

import pytest

from tools import identity, kernels
from tools.platforms import OURS, PLATFORMS
from tools.settings import ROOT

# Each build folder, read only when this run builds it.
OUTS = [pytest.param(PLATFORMS[name].out, marks=pytest.mark.firmware(name), id=name)
        for name in OURS]


def git(cwd, *args):
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("out", OUTS)
def test_firmware_json_beside_the_artifacts(out, layout):
    path = layout.out(out) / "firmware.json"
    if not path.exists():
        pytest.fail("no {}; run: ./inv build --target all".format(layout.rel(path)))
    data = json.loads(path.read_text())
    assert data == {
        "fastpath": git(ROOT, "describe", "--always", "--dirty"),
        "micropython": git(layout.micropython, "describe", "--tags", "--always"),
        "board": out,
    }
    assert data["micropython"].startswith("v" + layout.release())
    # The frozen module says the same, and neither holds a path or a time.
    module = (layout.out(out) / identity.MODULE).read_text()
    recipe = next(p for p in PLATFORMS.values() if p.out == out)
    assert module == kernels.index_source(recipe.board, recipe.arch, build=data)
    for text in (module, path.read_text()):
        assert str(ROOT) not in text and str(layout.build) not in text


@pytest.mark.targets("unix", "unix-asan", "qemu")
def test_board_reports_what_firmware_json_says(target, layout):
    expected = json.loads((layout.out(target.platform.out) / "firmware.json").read_text())
    assert target.call("fastpath", "BUILD.copy") == expected


def test_cpython_has_no_build():
    code = "import sys; sys.path.insert(0, 'frozen'); import fastpath; print(fastpath.BUILD)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "None"


def test_written_only_when_changed(tmp_path):
    info = {"fastpath": "abc1234-dirty", "micropython": "v1.25.0", "board": "PYBV11"}
    assert identity.write_module(tmp_path, info, "pyboard", "armv7emsp") is True
    assert identity.write_json(tmp_path, info) is True
    module = tmp_path / identity.MODULE
    stamps = module.stat().st_mtime_ns, (tmp_path / "firmware.json").stat().st_mtime_ns
    # Same identity: nothing is touched, so make sees nothing new (a no-op rebuild).
    assert identity.write_module(tmp_path, dict(info), "pyboard", "armv7emsp") is False
    assert identity.write_json(tmp_path, dict(info)) is False
    assert (module.stat().st_mtime_ns, (tmp_path / "firmware.json").stat().st_mtime_ns) == stamps
    # A new commit rewrites both.
    assert identity.write_module(tmp_path, dict(info, fastpath="def5678"), "pyboard",
                                 "armv7emsp") is True
    assert "'def5678'" in module.read_text()
    ns = {}
    exec(module.read_text(), ns)
    assert ns["BUILD"] == dict(info, fastpath="def5678")


def test_read_json_refuses_what_is_not_an_identity(tmp_path):
    path = tmp_path / "firmware.json"
    assert identity.read_json(path) is None  # missing
    path.write_text("{not json")
    assert identity.read_json(path) is None
    path.write_text(json.dumps({"fastpath": "abc", "board": "PYBV11"}))  # a key missing
    assert identity.read_json(path) is None
    info = {"fastpath": "abc", "micropython": "v1.25.0", "board": "PYBV11"}
    path.write_text(json.dumps(info))
    assert identity.read_json(path) == info


def test_mismatch_names_each_field():
    want = {"fastpath": "abc", "micropython": "v1.25.0", "board": "PYBV11"}
    assert identity.mismatch(want, dict(want)) is None
    assert identity.mismatch(want, dict(want, fastpath="abc-dirty", board="qemu")) == (
        "fastpath abc-dirty (expected abc); board qemu (expected PYBV11)"
    )
    assert identity.mismatch(want, None) == "no fastpath.BUILD"
