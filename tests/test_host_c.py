"""The plain-C kernels of usermod/fastpath, outside MicroPython.

tests/c/test_kernels.c checks every kernel against hand-checked vectors and against simple
reference loops, over many lengths and every alignment; tests/c/Makefile builds it. Here it runs
on the host, then (when the tools are there) the kernels are compiled for Cortex-M4 and M3 with
warnings as errors, and the same test program runs bare metal on QEMU's Cortex-M4 (mps2-an386),
which exercises the DSP and assembly paths that the host build cannot.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

C_TESTS = Path(__file__).resolve().parent / "c"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)

ARM_GCC_MISSING = (
    "arm-none-eabi-gcc not found: install the Arm bare-metal toolchain "
    "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
)


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


def test_kernels_on_host(tmp_path):
    if shutil.which("make") is None or shutil.which("cc") is None:
        pytest.fail("make or cc not found: install them (apt-get install build-essential)")
    assert_all_passed(make(f"BUILD={tmp_path}"))


@pytest.mark.parametrize(
    ("cpu", "dsp_insns"),
    [
        # DSP extension: SMLALD in fir_q15, PKHBT and REV16 in rgb565.
        ("cortex-m4", {"fir_q15": "smlald", "rgb565": "pkhbt"}),
        # No DSP: the plain C paths must build warning-free too.
        ("cortex-m3", {}),
    ],
)
def test_kernels_compile_for_cortex_m(tmp_path, cpu, dsp_insns):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail(ARM_GCC_MISSING)
    proc = make("cross", f"CPU={cpu}", f"BUILD={tmp_path}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    objdump = shutil.which("arm-none-eabi-objdump")
    for kernel, insn in dsp_insns.items():
        obj = tmp_path / cpu / f"{kernel}.o"
        assert obj.exists()
        if objdump is not None:
            text = subprocess.run(
                [objdump, "-d", str(obj)], capture_output=True, text=True, check=True
            ).stdout
            assert insn in text, f"{kernel} for {cpu} does not use {insn}"


def test_kernels_on_qemu_cortex_m4(tmp_path):
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
    assert_all_passed(make("m4", f"BUILD={tmp_path}", timeout=300))
