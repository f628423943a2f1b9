"""`./inv new-kernel`: a kernel from the template works at once, everywhere, in its own files.

The full check works as a user would, on a copy of this project in a temporary folder (the
fetched MicroPython tree is shared, read-only): new-kernel, then build for unix and the
emulator, then the suite's tests of the new kernel, then its bench. Afterwards nothing but
the kernel's own files and the docs name it.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from invoke_cli import ROOT, inv
from tools import bench as bench_report
from tools import kernels
from tools.targets import QemuTarget

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


@pytest.mark.full  # builds two firmwares, runs the suite and the bench
def test_a_new_kernel_is_built_tested_and_benched(tmp_path, layout, qemu_firmware):
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
    # it, and test_stock.py, which makes one of the same name in a copy of its own, aside).
    named = subprocess.run(["grep", "-rlw", NAME, "--exclude-dir=__pycache__",
                            "--exclude-dir=.pytest_cache", "--exclude=test_new_kernel.py",
                            "--exclude=test_stock.py", "."],
                           cwd=project, capture_output=True, text=True).stdout.split()
    assert sorted(named) == sorted(["./" + str(p) for p in made] + ["./docs/kernels.md"])

    # The baseline test reports the new kernel and passes; ./inv bench --docs records it (the
    # last step of docs/adding-a-kernel.md's quick way), and the test passes again.
    def baseline():
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--target", "qemu",
             "tests/test_bench.py::test_counts_match_the_committed_baseline",
             "--build-dir", str(tmp_path / "build"), "--micropython-dir", str(layout.micropython),
             "--ref", layout.ref], cwd=project, capture_output=True, text=True, timeout=1800,
            stdin=subprocess.DEVNULL)

    before_docs = baseline()
    assert before_docs.returncode == 0, before_docs.stdout[-4000:]
    assert "no figures in docs/benchmarks.json: demo;" in before_docs.stdout
    task("bench", "--target", "qemu", "--docs")
    after_docs = baseline()
    assert after_docs.returncode == 0, after_docs.stdout[-4000:]
    assert "no figures" not in after_docs.stdout

    # Every other kernel counts what it counts on this firmware, which lacks the new kernel:
    # to the instruction for a rung that allocates nothing, within 0.05% for one that may
    # have the garbage collector run inside its measurement (test_bench.py).
    recorded = json.loads((project / "docs" / "benchmarks.json").read_text())
    emulator = QemuTarget(qemu_firmware)
    try:
        ours = bench_report.collect(emulator, sorted(kernels.discover()), 5, layout)
    finally:
        emulator.close()
    declared = kernels.discover()
    theirs = {(r["kernel"], r["rung"]): r["min"] for r in recorded["rows"]}
    for r in ours["rows"]:
        was, now = r["min"], theirs[(r["kernel"], r["rung"])]
        if r["rung"] in declared[r["kernel"]].no_alloc or r["rung"] == "c":
            assert now == was, (r["kernel"], r["rung"], was, now)
        else:
            assert abs(now - was) <= was // 2000, (r["kernel"], r["rung"], was, now)


# --- new-kernel --args: the template for a given signature ----------------------------------

from tools import newkernel  # noqa: E402 (beside the tests that use it)


@pytest.mark.parametrize("spec, message", [
    ("data:buffer,dst:bytes_out", "'dst:bytes_out' is an output; the template's kernel returns "
     "its result and takes inputs only (buffer, bytes, q15, u32, count): add the output by hand "
     "(docs/adding-a-kernel.md)"),
    ("data:buffer,value:u16", "unknown kind 'u16' for 'value'; the kinds are buffer, bytes, "
     "q15, u32, count (frozen/fastpath/_args.py)"),
    ("data:buffer,value:u32=-1", "'value:u32=-1': the default must be an int literal in "
     "0..0xFFFFFFFF"),
    ("data:buffer,value:u32=0x100000000", "'value:u32=0x100000000': the default must be an int "
     "literal in 0..0xFFFFFFFF"),
    ("data:buffer,value:u32=one", "'value:u32=one': the default must be an int literal in "
     "0..0xFFFFFFFF"),
    ("data:buffer=1", "'data:buffer=1': only int arguments (u32, count) take a default"),
    ("data:buffer,data:bytes", "'data' is named twice"),
    ("data:buffer,value:u32=1,n2:count", "'n2' follows an argument with a default, so it needs "
     "one too (as in Python)"),
    ("data", "'data' is not NAME:KIND[=DEFAULT], e.g. data:buffer or value:u32=1"),
    ("data:buffer,,x:u32", "'data:buffer,,x:u32' has an empty argument; write "
     "NAME:KIND[=DEFAULT] separated by commas, e.g. data:buffer,value:u32=1"),
    ("9x:buffer", "'9x' is not a valid argument name; use letters, digits and _, not starting "
     "with _"),
    ("total:buffer", "'total' is a name the template's code uses itself (Python or C); choose "
     "another"),
    ("data:buffer,n_data:u32", "'n_data' is the name the template gives data's length; choose "
     "another"),
    ("value:u32", "needs a buffer argument (buffer, bytes or q15): the template's kernel sums "
     "its bytes"),
    ("a:buffer,b2:buffer,c2:buffer,d2:buffer,e2:buffer", "5 arguments; at most 4 (the suite "
     "calls a rung with up to 4)"),
])
def test_args_errors_are_one_line(spec, message):
    with pytest.raises(newkernel.KernelNameError) as e:
        newkernel.parse_args(spec)
    assert str(e.value) == "new-kernel: --args: " + message


def test_args_error_through_the_task_writes_nothing():
    before = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                            capture_output=True, text=True).stdout
    code, out = inv("new-kernel", "fresh_kernel", "--c", "--args", "data:buffer,v:u32=x")
    assert code != 0
    assert out.strip() == ("new-kernel: --args: 'v:u32=x': the default must be an int literal "
                           "in 0..0xFFFFFFFF")
    assert subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                          capture_output=True, text=True).stdout == before


def test_args_are_parsed_in_order():
    spec = newkernel.parse_args(" data : buffer , value:u32=0xFFFFFFFF,reps:count=3")
    assert [(a.name, a.kind, a.default, a.text) for a in spec] == [
        ("data", "buffer", None, None), ("value", "u32", 0xFFFFFFFF, "0xFFFFFFFF"),
        ("reps", "count", 3, "3")]


SIGNATURES = ["data:buffer,value:u32=1", "data:bytes", "src:bytes,taps:q15",
              "data:buffer,key:q15,value:u32=0xFFFFFFFF,reps:count=3", "x:q15,seed:u32,n2:count"]


def _load(name, path, package=None):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("signature", SIGNATURES)
def test_args_kernel_is_lint_clean_and_its_python_rungs_equal_its_reference(tmp_path,
                                                                              signature):
    # On the host: the written files pass ruff, the generated test's hand-checked reference
    # holds, and py and opt (under CPython) equal the reference on the kernel's own samples,
    # defaults left out too, and raise the contract's messages.
    from conftest import frozen_package

    for folder in ("tests", "usermod/fastpath", "docs"):
        (tmp_path / folder).mkdir(parents=True)
    # The package as it is (new-kernel refuses the names its modules take).
    shutil.copytree(ROOT / "frozen" / "fastpath", tmp_path / "frozen" / "fastpath",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "docs" / "kernels.md", tmp_path / "docs" / "kernels.md")
    name = "argskernel"
    written = newkernel.create(name, with_c=True, root=tmp_path, args=signature)
    assert sorted(map(str, written)) == sorted([
        "frozen/fastpath/kernels/argskernel.py", "tests/test_argskernel.py",
        "usermod/fastpath/argskernel.c", "docs/kernels.md"])
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--config",
                           str(ROOT / "pyproject.toml"), "frozen", "tests"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    c = (tmp_path / "usermod" / "fastpath" / "argskernel.c").read_text()
    assert max(len(line) for line in c.splitlines()) <= 99
    spec = newkernel.parse_args(signature)
    docs = (tmp_path / "docs" / "kernels.md").read_text()
    assert "### `argskernel({}) -> int`".format(newkernel._signature(spec)) in docs

    frozen_package()
    import fastpath.kernels  # noqa: F401 (the package the module's relative imports need)
    from fastpath._rng import Rng

    module = _load("fastpath.kernels." + name,
                   tmp_path / "frozen" / "fastpath" / "kernels" / (name + ".py"))
    tests = _load("test_" + name, tmp_path / "tests" / ("test_" + name + ".py"))
    tests.test_reference_hand_checked()
    assert module.ARGS == tuple((a.name, a.kind) if a.default is None
                                else (a.name, a.kind, a.default) for a in spec)
    required = sum(a.default is None for a in spec)
    r = Rng(5)
    for n in (0, 1, 3, 64, 300):
        args = module.sample(r, n)
        for rung in (module.py, module.opt):
            assert rung(*args) == tests.reference(*args), (rung.__name__, n)
            assert rung(*args[:required]) == tests.reference(*args[:required])
    (args, units) = module.workload()
    assert module.py(*args) == tests.reference(*args)
    for a, good in zip(spec, module.sample(r, 4)):
        if a.kind in ("u32", "count"):
            with pytest.raises(ValueError, match="^{} must be".format(a.name)):
                module.py(*[(-1 if b is a else v) for b, v in zip(spec, module.sample(r, 4))])
        with pytest.raises(TypeError, match="^{} must be".format(a.name)):
            module.opt(*[(None if b is a else v) for b, v in zip(spec, module.sample(r, 4))])


@pytest.mark.full
def test_a_kernel_with_args_is_built_and_passes_its_tests(tmp_path, layout):
    # As a user: new-kernel with --args and --c, then the build for unix and the emulator, then
    # every test of the kernel there (tests/test_kernels.py's and its own, keywords included).
    project = tmp_path / "project"
    _copy_project(project)
    name = "sumargs"
    env = dict(os.environ, INVOKE_FASTPATH_MICROPYTHON_DIR=str(layout.micropython),
               INVOKE_FASTPATH_BUILD_DIR=str(tmp_path / "build"), INVOKE_FASTPATH_INSTALL="")

    def task(*args):
        proc = subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=1800,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        return proc.stdout

    task("new-kernel", name, "--c", "--args", "data:buffer,value:u32=1")
    c = (project / "usermod" / "fastpath" / (name + ".c")).read_text()
    assert "mp_arg_parse_all" in c and "FASTPATH_FUNCTION_KW({}, 0,".format(name) in c
    assert "### `{}(data, value=1) -> int`".format(name) in \
        (project / "docs" / "kernels.md").read_text()
    task("build", "--target", "unix,qemu")
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_kernels.py", "tests/test_{}.py".format(name),
         "-v", "-k", name, "--target", "unix,qemu", "--build-dir", str(tmp_path / "build"),
         "--micropython-dir", str(layout.micropython), "--ref", layout.ref,
         "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert tests.returncode == 0, tests.stdout[-4000:]
    for test in ("test_every_rung_equals_the_reference[{}-qemu]",
                 "test_wrong_arguments_raise_the_contracts_errors[{}-qemu]",
                 "test_argument_fuzz[{}-unix]",
                 "test_defaults_and_keywords[qemu]", "test_defaults_and_keywords[unix]"):
        assert test.format(name) + " PASSED" in tests.stdout, test
