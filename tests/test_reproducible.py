"""Reproducible firmware: a clean build of the same commit, in another folder, gives a
byte-identical firmware.dfu. tasks.py pins the build date (SOURCE_DATE_EPOCH) to the
MicroPython commit; nothing else may vary, not even the build folder's path."""

import pytest

from invoke_cli import inv
from tools.build import firmware_path
from tools.settings import Layout


@pytest.mark.full  # a second clean build
def test_clean_rebuild_is_byte_identical(tmp_path, layout):
    code, out = inv("build", "--target", "pybv11",
                    env={"INVOKE_FASTPATH_BUILD_DIR": str(tmp_path / "build")}, timeout=1800)
    assert code == 0, out[-3000:]
    other = Layout(tmp_path / "build", layout.micropython, layout.ref, layout.root)
    again = firmware_path(other, "pybv11").with_name("firmware.dfu").read_bytes()
    first = firmware_path(layout, "pybv11").with_name("firmware.dfu").read_bytes()
    assert len(again) == len(first)
    assert again == first, "firmware.dfu differs between two builds of the same tree"
