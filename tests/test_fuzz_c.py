"""libFuzzer on the plain-C kernels of usermod/fastpath, under AddressSanitizer and UBSan.

tests/fuzz/fuzz_kernels.c drives every kernel of kernels.h with inputs that libFuzzer mutates
(lengths, alignments, parameters, y as x for fir_q15) and checks every answer against a
simple reference loop; every buffer is a heap block of its own, so one byte read or written
past either end is an ASan report. tests/fuzz/Makefile builds it with clang.

Here it is built, every input in tests/fuzz/regressions/ and tests/fuzz/corpus/ is replayed
(each must pass), then it fuzzes for FUZZ_TIME seconds from a fixed seed (set
FASTPATH_FUZZ_TIME for a longer run). An input that fails is copied into
tests/fuzz/regressions/ and the test fails naming it: fix the kernel and keep the file, so
that every later run replays it.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent / "fuzz"
REGRESSIONS = FUZZ / "regressions"
FUZZ_TIME = int(os.environ.get("FASTPATH_FUZZ_TIME", "20"))
FUZZ_SEED = 1
PACKAGES = "clang libclang-rt-dev"
MISSING = (
    "clang with libFuzzer and the sanitizer runtimes not found: apt-get install "
    + PACKAGES
    + " (./inv setup installs them)"
)
# libFuzzer names what it keeps by what went wrong: crash-, leak-, timeout-, oom-<sha1>.
ARTIFACT = re.compile(r"^(crash|leak|timeout|oom)-[0-9a-f]+$")


def inputs():
    files = []
    for folder in (REGRESSIONS, FUZZ / "corpus"):
        if folder.is_dir():
            files += sorted(
                p for p in folder.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.name != "README.md"
            )
    return files


def make(*args, timeout=300):
    return subprocess.run(
        ["make", "-C", str(FUZZ), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    """Build tests/fuzz into a temporary folder; return (build folder, fuzzer binary)."""
    if shutil.which("clang") is None:
        pytest.fail(MISSING, pytrace=False)
    build = tmp_path_factory.mktemp("fuzz")
    proc = make(f"BUILD={build}")
    if proc.returncode:
        output = proc.stdout + proc.stderr
        if "libclang_rt" in output or "cannot find" in output:
            pytest.fail(MISSING + "\n" + output[-2000:], pytrace=False)
        pytest.fail("tests/fuzz did not build:\n" + output[-4000:], pytrace=False)
    return build, build / "fuzz_kernels"


@pytest.mark.parametrize("path", inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_replay(fuzzer, path):
    _, binary = fuzzer
    proc = subprocess.run(
        [str(binary), str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, f"{path.relative_to(FUZZ.parent.parent)} fails:\n" + (
        proc.stderr[-4000:]
    )


def test_fuzz(fuzzer):
    build, _ = fuzzer
    proc = make(
        "fuzz",
        f"BUILD={build}",
        f"FUZZ_TIME={FUZZ_TIME}",
        f"FUZZ_SEED={FUZZ_SEED}",
        timeout=FUZZ_TIME + 120,
    )
    found = sorted(p for p in build.iterdir() if ARTIFACT.match(p.name))
    if proc.returncode or found:
        kept = []
        REGRESSIONS.mkdir(exist_ok=True)
        for p in found:
            shutil.copy(p, REGRESSIONS / p.name)
            kept.append(str((REGRESSIONS / p.name).relative_to(FUZZ.parent.parent)))
        pytest.fail(
            "fuzzing failed (seed {}); the input is kept as {} (replay: {} {}):\n{}".format(
                FUZZ_SEED,
                ", ".join(kept) or "nothing (no artifact written)",
                build / "fuzz_kernels",
                kept[0] if kept else "",
                proc.stderr[-6000:],
            ),
            pytrace=False,
        )
    runs = re.search(r"stat::number_of_executed_units: (\d+)", proc.stderr)
    assert runs, proc.stderr[-2000:]
    print(f"fuzz_kernels: {runs.group(1)} inputs in {FUZZ_TIME} s, seed {FUZZ_SEED}")
    assert int(runs.group(1)) >= 1000, proc.stderr[-2000:]
