"""The platform registry (tools/platforms.py): what it declares is what each platform is, and
nothing else in tools/ or tasks.py declares a platform fact of its own.

- Each test target's firmware reports the board name and the bench's unit its platform
  declares (fastpath.board.NAME, fastpath.timing.UNIT): the registry is checked against the
  package's own knowledge, on the running firmware.
- The registry is whole: a runner of each kind, a QEMU machine where QEMU runs it, an mpy
  arch the native modules know, a build folder of its own.
- A string that is a platform fact (a QEMU machine or command, a sanitizer's option variable)
  is a constant of the code only in the registry; setup's package table names the commands it
  installs, and must name every platform's.
"""

import ast

import pytest

from tools import build, natmod
from tools.platforms import OURS, PLATFORMS, SANITIZER_ENV, TARGETS, target
from tools.settings import ROOT

# Constants only the registry may hold: the QEMU commands and machines, and the sanitizers'
# option variables (prose that names one, in a message or a doc's template, is not a fact).
FACTS = {"qemu-system-arm", "qemu-system-riscv32", "mps2-an385", "mps2-an386", "virt",
         *SANITIZER_ENV}
# But setup's package table (tools/build.py APT_PACKAGES): the commands it installs.
SETUP = {("tools/build.py", "qemu-system-arm"), ("tools/build.py", "qemu-system-riscv32")}


def test_each_target_reports_its_platforms_board_and_unit(target):
    out = target.run("import fastpath\nfrom fastpath import timing\n"
                     "print(fastpath.board.NAME, timing.UNIT)\n")
    assert out.split() == [target.platform.board, target.platform.unit], out


def test_the_registry_is_whole():
    outs = [p.out for p in PLATFORMS.values()]
    assert len(set(outs)) == len(outs), "two platforms build into one folder"
    for name, p in PLATFORMS.items():
        assert p.runner in ("unix", "qemu", "board"), name
        assert (p.machine is not None) == (p.runner == "qemu"), name
        assert p.arch is None or p.arch in natmod.ARCHES, (name, p.arch)
        assert p.board and p.unit, name
        if p.target:
            assert p.fuzz and len(p.fuzz) == 2, name  # without and with --full
        if p.machine:
            assert p.machine[0] in build.APT_PACKAGES, (name, "./inv setup installs no QEMU")
    assert set(OURS) == {p.name for p in TARGETS.values()}  # "all" builds what the tests run
    assert list(TARGETS) == ["unix", "unix-asan", "qemu", "device"]
    with pytest.raises(ValueError, match="unknown target 'pico'; choose from: unix, "):
        target("pico")


def _code_strings(path):
    # Every string constant of a module that is not a docstring.
    tree = ast.parse(path.read_text(), str(path))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs]


def test_platform_facts_are_declared_only_in_the_registry():
    found = []
    for path in sorted([*(ROOT / "tools").rglob("*.py"), ROOT / "tasks.py"]):
        if path == ROOT / "tools" / "platforms.py":
            continue
        where = str(path.relative_to(ROOT))
        for line, text in _code_strings(path):
            if text in FACTS and (where, text) not in SETUP:
                found.append("{}:{}: {!r}".format(path.relative_to(ROOT), line, text))
    assert not found, "platform facts outside tools/platforms.py:\n" + "\n".join(found)
