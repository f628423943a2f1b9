"""The plain-C kernels of usermod/fastpath, outside MicroPython.

tests/c/test_<kernel>.c checks one kernel against hand-checked vectors and against its simple
reference loop (tests/c/ref_<kernel>.h), over many lengths and every alignment;
tests/c/Makefile builds each into a program of its own. For each kernel with such a file (its
name in the test ids, so -k selects it), the program runs on the host, then bare metal on
QEMU's Cortex-M4 (mps2-an386), which exercises the DSP and assembly paths that the host build
cannot. Every kernel with a C rung, with tests there or not, is compiled for Cortex-M4 and M3
with warnings as errors (make cross); a line `// cortex-m4 insn: MNEMONIC ...` in a kernel's
test file names instructions that its object for that CPU must contain.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.kernels import discover

C_TESTS = Path(__file__).resolve().parent / "c"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)
# The CPUs of `make cross`.
CPUS = ("cortex-m4", "cortex-m3")
# `// <cpu> insn: <mnemonic> ...` in a test file: instructions its kernel's object must hold.
INSN = re.compile(r"^//\s*(\S+)\s+insn:(.*)$", re.MULTILINE)

ARM_GCC_MISSING = (
    "arm-none-eabi-gcc not found: install the Arm bare-metal toolchain "
    "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
)
OBJDUMP_MISSING = (
    "arm-none-eabi-objdump not found, so no kernel's required instructions can be checked: "
    "install binutils-arm-none-eabi (apt-get install binutils-arm-none-eabi; "
    "gcc-arm-none-eabi, which ./inv setup installs, depends on it)"
)


def kernels_with_tests():
    """The kernels with host C tests: tests/c/test_<kernel>.c."""
    return sorted(p.stem.removeprefix("test_") for p in C_TESTS.glob("test_*.c"))


def with_c():
    """The kernels with a C rung, usermod/fastpath/<kernel>.c: make cross compiles each."""
    return sorted(k.name for k in discover().values() if k.c_source)


def required_insns(name):
    """{cpu: [mnemonic, ...]} from the `// <cpu> insn:` lines of name's test file."""
    path = C_TESTS / f"test_{name}.c"
    found = {}
    if path.exists():
        for cpu, insns in INSN.findall(path.read_text()):
            found.setdefault(cpu, []).extend(insns.split())
    return found


def make(*args, timeout=600):
    return subprocess.run(
        ["make", "-C", str(C_TESTS), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_all_passed(proc):
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    found = SUMMARY.findall(proc.stdout)
    assert found, output
    passed, failed = (int(v) for v in found[-1])
    assert failed == 0 and passed > 0, output


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """The build folder of tests/c for this module's tests."""
    return tmp_path_factory.mktemp("c")


def test_c_tests_are_named_after_kernels():
    # test_<kernel>.c and ref_<kernel>.h are named after a kernel with a C rung (a typo or a
    # renamed kernel would otherwise go untested without a word), and their insn lines name
    # a CPU that make cross builds for.
    kernels = set(with_c())
    files = [p.name for p in C_TESTS.glob("test_*.c")] + [p.name for p in C_TESTS.glob("ref_*.h")]
    stray = [f for f in files if f.split("_", 1)[1].rsplit(".", 1)[0] not in kernels]
    assert not stray, f"in tests/c, not named after a kernel with a C rung: {stray}"
    for name in kernels_with_tests():
        unknown = set(required_insns(name)) - set(CPUS)
        assert not unknown, f"tests/c/test_{name}.c: insn lines for unknown CPUs {unknown}"


@pytest.mark.parametrize("name", kernels_with_tests())
def test_on_host(build, name):
    if shutil.which("make") is None or shutil.which("cc") is None:
        pytest.fail("make or cc not found: install them (apt-get install build-essential)")
    assert_all_passed(make(f"test-{name}", f"BUILD={build}"))


@pytest.mark.parametrize("name", kernels_with_tests())
def test_on_host_with_tables_in_ram(build, name):
    # The layout a kernel takes where its const data is copied into RAM (a native module:
    # kernels.h's FASTPATH_TABLES_IN_RAM; crc32's small tables), through the same tests.
    cflags = "-O2 -std=c99 -Wall -Wextra -Werror -DFASTPATH_TABLES_IN_RAM=1"
    assert_all_passed(make(f"test-{name}", f"BUILD={build / 'ram'}", f"CFLAGS={cflags}"))


@pytest.fixture(scope="module")
def cross(build):
    """cross(cpu): `make -k cross` for cpu, run once: every kernel that compiles has its
    object, so that one kernel's error fails that kernel's test only."""
    done = {}

    def run(cpu):
        if shutil.which("arm-none-eabi-gcc") is None:
            pytest.fail(ARM_GCC_MISSING)
        if cpu not in done:
            done[cpu] = make("-k", "cross", f"CPU={cpu}", f"BUILD={build}")
        return done[cpu]

    return run


# Cortex-M4: the DSP extension (its instructions as each kernel's test file asks);
# Cortex-M3: no DSP, the plain C paths must build warning-free too.
@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("name", with_c())
def test_compiles_for_cortex_m(build, cross, name, cpu):
    proc = cross(cpu)
    obj = build / cpu / f"{name}.o"
    assert obj.exists(), f"usermod/fastpath/{name}.c does not compile for {cpu}:\n" + (
        proc.stdout + proc.stderr)[-4000:]
    insns = required_insns(name).get(cpu, [])
    objdump = shutil.which("arm-none-eabi-objdump")
    if insns and objdump is None:
        pytest.fail(OBJDUMP_MISSING)
    if insns:
        text = subprocess.run(
            [objdump, "-d", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        for insn in insns:
            assert re.search(rf"\s{re.escape(insn)}\s", text), (
                f"{name} for {cpu} does not use {insn}")


@pytest.mark.parametrize("name", kernels_with_tests())
def test_on_qemu_cortex_m4(build, name):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail(ARM_GCC_MISSING)
    if shutil.which("qemu-system-arm") is None:
        pytest.fail("qemu-system-arm not found: apt-get install qemu-system-arm")
    rdimon = subprocess.run(
        ["arm-none-eabi-gcc", "-print-file-name=librdimon.a"],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(rdimon).is_file():
        pytest.fail("newlib's librdimon not found: apt-get install libnewlib-arm-none-eabi")
    assert_all_passed(make(f"m4-{name}", f"BUILD={build}", timeout=300))
