"""The kernel index (tools/kernels.py: index_source, write_index), what every delivery of the
package carries: the kernels a board runs and each one's rungs there, read on the host from
the kernel files alone."""

import pytest

from tools import kernels


def index(*args, **kwargs):
    ns = {}
    exec(kernels.index_source(*args, **kwargs), ns)
    return ns["BUILD"], dict(zip(ns["NAMES"], ns["RUNGS"]))


def test_each_board_gets_its_kernels_and_rungs():
    _, qemu = index("qemu", "armv7emsp")
    assert qemu["crc32"] == ("py", "opt", "native", "viper", "asm", "c")
    assert qemu["toggle"] == ("py", "opt", "native", "mem", "viper", "asm")
    _, pyboard = index("pyboard", "armv7emsp")
    assert pyboard["crc32"][-1] == "hw"  # defined under `if board.NAME == "pyboard"`
    _, unix = index("unix", None)
    assert "toggle" not in unix  # BOARDS
    assert all("asm" not in r and "hw" not in r for r in unix.values())
    _, cpython = index("cpython", None)
    assert set(cpython.values()) == {("py", "opt")}
    # A delivery without the C rungs (stock firmware, no native modules) lists none.
    _, bare = index("qemu", "armv7emsp", c=False)
    assert all("c" not in r for r in bare.values())
    # Only the Cortex-M4's Thumb-2 runs the asm rungs.
    _, m0 = index("qemu", "armv6m")
    assert all("asm" not in r for r in m0.values())


def test_the_firmware_identity_rides_along(tmp_path):
    info = {"fastpath": "abc1234", "micropython": "v1.25.0", "board": "qemu"}
    assert index("qemu", "armv7emsp", build=info)[0] == info
    assert index("qemu", "armv7emsp")[0] is None
    path = tmp_path / "fastpath" / "_index.py"
    assert kernels.write_index(path, "qemu", "armv7emsp", build=info) is True
    assert kernels.write_index(path, "qemu", "armv7emsp", build=info) is False  # unchanged


def test_a_rung_under_a_condition_the_host_cannot_read_is_refused(tmp_path):
    (tmp_path / "frozen" / "fastpath" / "kernels").mkdir(parents=True)
    (tmp_path / "frozen" / "fastpath" / "__init__.py").write_text(
        'TIERS = ("py", "opt", "native", "mem", "viper", "asm", "c", "hw")\n')
    (tmp_path / "frozen" / "fastpath" / "kernels" / "k.py").write_text(
        'UNIT = "byte"\n\n\ndef py(x):\n    pass\n\n\nif fast():\n    def viper(x):\n'
        '        pass\n')
    with pytest.raises(ValueError, match=r"k.py:8: a rung is defined under `if fast\(\)`"):
        kernels.index_source("qemu", "armv7emsp", root=tmp_path)
    # And a module of fastpath.kernels that is no kernel is an error, not skipped.
    (tmp_path / "frozen" / "fastpath" / "kernels" / "k.py").write_text("X = 1\n")
    with pytest.raises(ValueError, match="must declare UNIT and define a py rung"):
        kernels.discover(tmp_path)
