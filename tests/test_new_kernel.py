"""`./inv new-kernel`: a kernel from the template works at once, everywhere, in its own files.

The full check works as a user would, on a copy of this project in a temporary folder (the
fetched MicroPython tree is shared, read-only): new-kernel, then build for unix and the
emulator, then the suite's tests of the new kernel, then its bench. Afterwards nothing but
the kernel's own files and the docs name it.
"""

import os
import shutil
import subprocess
import sys

import pytest

from invoke_cli import ROOT, inv
from tools import kernels

NAME = "demo"


TAKEN = sorted(kernels.discover())[0]  # any kernel the project has


@pytest.mark.parametrize("name, message", [
    (TAKEN, "new-kernel: '{0}' is taken (frozen/fastpath/kernels/{0}.py exists); choose another "
            "name".format(TAKEN)),
    ("9lives", "new-kernel: '9lives' is not a valid Python identifier; use letters, digits and "
               "_, e.g. adler32"),
    ("for", "new-kernel: 'for' is not a valid Python identifier; use letters, digits and _, "
            "e.g. adler32"),
    ("bench", "new-kernel: 'bench' is reserved for the package itself; choose another name"),
    ("_x", "new-kernel: '_x' is reserved for the package itself; choose another name"),
    ("pipeline", "new-kernel: 'pipeline' is taken (tests/test_pipeline.py exists); choose "
                 "another name"),
])
def test_refused_names_are_one_line(name, message):
    code, out = inv("new-kernel", name)
    assert code != 0
    assert out.strip() == message


def _copy_project(dest):
    # The project as a clone of it would have it, with this working tree's changes.
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def test_a_new_kernel_is_built_tested_and_benched(tmp_path, layout):
    project = tmp_path / "project"
    _copy_project(project)
    env = dict(os.environ, INVOKE_FASTPATH_MICROPYTHON_DIR=str(layout.micropython),
               INVOKE_FASTPATH_BUILD_DIR=str(tmp_path / "build"), INVOKE_FASTPATH_INSTALL="")

    def task(*args, timeout=1800):
        proc = subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        return proc.stdout

    before = {p.relative_to(project) for p in project.rglob("*") if p.is_file()}
    task("new-kernel", NAME, "--c")
    made = {p.relative_to(project) for p in project.rglob("*") if p.is_file()} - before
    assert {str(p) for p in made} == {"frozen/fastpath/kernels/demo.py", "tests/test_demo.py",
                                      "usermod/fastpath/demo.c"}
    assert "### `demo(data) -> int`" in (project / "docs" / "kernels.md").read_text()

    task("build", "--target", "unix,qemu")
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-k", NAME, "--target", "unix,qemu",
         "--build-dir", str(tmp_path / "build"), "--micropython-dir", str(layout.micropython),
         "--ref", layout.ref, "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert tests.returncode == 0, tests.stdout[-4000:]
    # Every generic test ran for it: ladder, contract, no allocation, fuzz, fastest, CPython.
    for test in ("test_every_rung_equals_the_reference[demo-unix]",
                 "test_every_rung_equals_the_reference[demo-qemu]",
                 "test_argument_fuzz[demo-qemu]",
                 "test_rungs_agree_with_the_reference[demo]"):
        assert test in subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "--collect-only", "-q", "-k", NAME,
             "--target", "unix,qemu", "-p", "no:cacheprovider"],
            cwd=project, capture_output=True, text=True).stdout, test
    bench = task("bench", "--kernel", NAME, "--target", "qemu", "--repeat", "1")
    rows = [line for line in bench.splitlines() if line.startswith("| demo |")]
    assert [row.split("|")[2].strip() for row in rows] == ["py", "opt", "native", "viper", "c"]

    # No list elsewhere names the kernel: only its files and the docs (this test, which made
    # it, aside).
    named = subprocess.run(["grep", "-rlw", NAME, "--exclude-dir=__pycache__",
                            "--exclude-dir=.pytest_cache", "--exclude=test_new_kernel.py", "."],
                           cwd=project, capture_output=True, text=True).stdout.split()
    assert sorted(named) == sorted(["./" + str(p) for p in made] + ["./docs/kernels.md"])
