"""libFuzzer on the plain-C kernels of usermod/fastpath, under AddressSanitizer and UBSan.

tests/fuzz/fuzz_<kernel>.c drives one kernel's raw loop with inputs that libFuzzer mutates
(lengths, alignments, parameters, outputs written in place) and checks every answer against
the kernel's reference in tests/c/ref_<kernel>.h; every buffer is a heap block of its own, so one
byte read or written past either end is an ASan report. tests/fuzz/Makefile builds a target per
fuzz_*.c with clang.

For each kernel with a target (its name in the test ids, so -k selects it), the target is
built, every input in tests/fuzz/regressions/<kernel>/ and tests/fuzz/corpus/<kernel>/ is
replayed (each must pass), then it fuzzes for FUZZ_TIME seconds from a fixed seed (set
FASTPATH_FUZZ_TIME for a longer run). An input that fails is copied into
tests/fuzz/regressions/<kernel>/ and the test fails naming it: fix the kernel and keep the
file, so that every later run replays it.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.kernels import discover

FUZZ = Path(__file__).resolve().parent / "fuzz"
REGRESSIONS = FUZZ / "regressions"
CORPUS = FUZZ / "corpus"
FUZZ_TIME = int(os.environ.get("FASTPATH_FUZZ_TIME", "8"))  # seconds per kernel
FUZZ_SEED = 1
PACKAGES = "clang libclang-rt-dev"
MISSING = (
    "clang with libFuzzer and the sanitizer runtimes not found: apt-get install "
    + PACKAGES
    + " (./inv setup installs them)"
)
# libFuzzer names what it keeps by what went wrong: crash-, leak-, timeout-, oom-<sha1>.
ARTIFACT = re.compile(r"^(crash|leak|timeout|oom)-[0-9a-f]+$")


def fuzzed():
    """The kernels with a libFuzzer target: tests/fuzz/fuzz_<kernel>.c."""
    return sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.c"))


def inputs():
    """(kernel, file) for every input to replay: its regressions, then its corpus."""
    found = []
    for name in fuzzed():
        for folder in (REGRESSIONS / name, CORPUS / name):
            if folder.is_dir():
                found += [
                    (name, p) for p in sorted(folder.iterdir())
                    if p.is_file() and not p.name.startswith(".")
                ]
    return found


def make(*args, timeout=300):
    return subprocess.run(
        ["make", "-C", str(FUZZ), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """The build folder of tests/fuzz for this module's tests."""
    if shutil.which("clang") is None:
        pytest.fail(MISSING, pytrace=False)
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def fuzzer(build):
    """fuzzer(name): the path of kernel name's fuzzer, built on first use."""
    built = {}

    def binary(name):
        if name not in built:
            proc = make(f"BUILD={build}", f"{build}/fuzz_{name}")
            if proc.returncode:
                output = proc.stdout + proc.stderr
                if "libclang_rt" in output or "cannot find" in output:
                    pytest.fail(MISSING + "\n" + output[-2000:], pytrace=False)
                pytest.fail(f"tests/fuzz/fuzz_{name}.c did not build:\n" + output[-4000:],
                            pytrace=False)
            built[name] = build / f"fuzz_{name}"
        return built[name]

    return binary


def test_fuzz_files_are_named_after_kernels():
    # fuzz_<kernel>.c, corpus/<kernel>/ and regressions/<kernel>/ are named after a kernel
    # with a C rung: a typo or a renamed kernel would otherwise go unfuzzed without a word.
    with_c = {k.name for k in discover().values() if k.c_source}
    named = {f"fuzz_{name}.c": name for name in fuzzed()}
    for folder in (CORPUS, REGRESSIONS):
        named.update({str(p.relative_to(FUZZ)): p.name for p in folder.iterdir() if p.is_dir()})
    stray = sorted(path for path, name in named.items() if name not in with_c)
    assert not stray, f"in tests/fuzz, not named after a kernel with a C rung: {stray}"
    # A corpus folder is replayed by its kernel's target: a folder without one is dead.
    dead = sorted(str(p.relative_to(FUZZ)) for folder in (CORPUS, REGRESSIONS)
                  for p in folder.iterdir() if p.is_dir() and p.name not in fuzzed())
    assert not dead, f"inputs without a fuzz_<kernel>.c to replay them: {dead}"
    # An input outside a kernel's folder (the layout before a target per kernel) is never run.
    loose = sorted(str(p.relative_to(FUZZ)) for folder in (CORPUS, REGRESSIONS)
                   for p in folder.iterdir() if p.is_file() and p.name != "README.md")
    assert not loose, f"inputs outside a <kernel>/ folder, never replayed: {loose}"


@pytest.mark.parametrize(
    ("name", "path"), inputs(), ids=[f"{n}:{p.parent.parent.name}/{p.name}" for n, p in inputs()]
)
def test_replay(fuzzer, name, path):
    binary = fuzzer(name)
    proc = subprocess.run(
        [str(binary), str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, f"{path.relative_to(FUZZ.parent.parent)} fails:\n" + (
        proc.stderr[-4000:]
    )


@pytest.mark.full  # libFuzzer, a long run per kernel
@pytest.mark.parametrize("name", fuzzed())
def test_fuzz(build, fuzzer, name):
    binary = fuzzer(name)
    proc = make(
        f"fuzz-{name}",
        f"BUILD={build}",
        f"FUZZ_TIME={FUZZ_TIME}",
        f"FUZZ_SEED={FUZZ_SEED}",
        timeout=FUZZ_TIME + 120,
    )
    artifacts = build / "artifacts" / name
    found = sorted(p for p in artifacts.glob("*") if ARTIFACT.match(p.name))
    if proc.returncode or found:
        kept = []
        (REGRESSIONS / name).mkdir(parents=True, exist_ok=True)
        for p in found:
            shutil.copy(p, REGRESSIONS / name / p.name)
            kept.append(str((REGRESSIONS / name / p.name).relative_to(FUZZ.parent.parent)))
        pytest.fail(
            "fuzzing {} failed (seed {}); the input is kept as {} (replay: {} {}):\n{}".format(
                name,
                FUZZ_SEED,
                ", ".join(kept) or "nothing (no artifact written)",
                binary,
                kept[0] if kept else "",
                proc.stderr[-6000:],
            ),
            pytrace=False,
        )
    runs = re.search(r"stat::number_of_executed_units: (\d+)", proc.stderr)
    assert runs, proc.stderr[-2000:]
    print(f"fuzz_{name}: {runs.group(1)} inputs in {FUZZ_TIME} s, seed {FUZZ_SEED}")
    assert int(runs.group(1)) >= 1000, proc.stderr[-2000:]
