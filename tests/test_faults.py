"""Fault paths of the tasks: each ends in one clear message, and running the same command
again recovers. They work on a MicroPython tree of their own (cloned from the project's
fetched copy, so no network is needed) and never touch lib/ or build/."""

import shutil
import subprocess
import sys

import pytest

from invoke_cli import inv
from tools.settings import ROOT



@pytest.fixture
def tree(tmp_path, layout):
    """(path, env): settings that fetch into tmp_path/micropython from the project's copy."""
    path = tmp_path / "micropython"
    env = {
        "INVOKE_FASTPATH_MICROPYTHON_DIR": str(path),
        "INVOKE_FASTPATH_MICROPYTHON_URL": str(layout.micropython),
        "INVOKE_FASTPATH_BUILD_DIR": str(tmp_path / "build"),
    }
    return path, env


def fetch(env):
    code, out = inv("fetch", "--target", "unix", env=env)
    assert code == 0, out
    return out


def test_clone_cut_short_is_redone(tree):
    path, env = tree
    # What a clone killed half-way leaves: a partial folder, and no tree.
    partial = path.with_name(path.name + ".partial")
    (partial / ".git").mkdir(parents=True)
    (partial / "py").mkdir()
    (partial / "py" / "obj.c").write_text("half a file")
    out = fetch(env)
    assert "removing unfinished clone" in out
    assert not partial.exists()
    assert (path / "py" / "mpconfig.h").exists()


def test_submodule_clone_cut_short_is_redone(tree):
    path, env = tree
    fetch(env)
    sub = path / "lib" / "micropython-lib"
    # A submodule clone killed half-way: a broken git dir, an empty checkout.
    subprocess.run(["git", "-C", str(path), "submodule", "deinit", "-q", "-f", "--",
                    "lib/micropython-lib"], check=True)
    modules = path / ".git" / "modules" / "lib" / "micropython-lib"
    shutil.rmtree(modules)
    modules.mkdir(parents=True)
    (modules / "HEAD").write_text("garbage\n")
    out = fetch(env)
    assert "submodule lib/micropython-lib" in out
    assert (sub / "README.md").exists()


def test_deleted_and_edited_files_are_restored(tree):
    path, env = tree
    fetch(env)
    obj = path / "py" / "obj.c"
    text = obj.read_text()
    obj.unlink()
    (path / "py" / "mpconfig.h").write_text("broken\n")
    (path / "lib" / "micropython-lib" / "README.md").unlink()
    out = fetch(env)
    assert "restoring modified files in the fetched tree" in out
    assert "restoring modified files in lib/micropython-lib" in out
    assert obj.read_text() == text
    assert "MICROPY_" in (path / "py" / "mpconfig.h").read_text()
    assert (path / "lib" / "micropython-lib" / "README.md").exists()


def test_tree_without_git_is_cloned_afresh(tree):
    path, env = tree
    fetch(env)
    shutil.rmtree(path / ".git")
    out = fetch(env)
    assert "not a usable git tree; cloning afresh" in out
    assert (path / ".git").exists()


@pytest.mark.full  # a build on a disk made full, then again
def test_build_on_a_full_disk_says_so_then_recovers(tree, tmp_path):
    # A 3 MB tmpfs as the build folder, in a user and mount namespace of our own (no root
    # needed): make runs out of space, the task says so; with room again, the same command
    # builds.
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is needed to simulate a full disk")
    path, env = tree
    fetch(env)
    build = tmp_path / "build"
    build.mkdir()
    script = (
        'mount -t tmpfs -o size=3m tmpfs "$BUILD_DIR" || exit 99\n'
        '"$PY" -m tools.cli build --target unix; echo "EXIT $?"\n'
        'mount -o remount,size=400m "$BUILD_DIR"\n'
        '"$PY" -m tools.cli build --target unix; echo "EXIT $?"\n'
    )
    proc = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=ROOT,
        env=dict(__import__("os").environ, **env, BUILD_DIR=str(build), PY=sys.executable,
                 INVOKE_FASTPATH_INSTALL=""),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode != 99, "could not mount a tmpfs: " + proc.stderr
    out = proc.stdout + proc.stderr
    first, second = out.split("EXIT ", 2)[1:3]
    assert not first.startswith("0"), out
    assert "no space left on device" in out
    assert "free some space" in out
    assert second.startswith("0"), out[-3000:]
