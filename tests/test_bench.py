"""The bench on the emulator: its counts repeat exactly, and match the committed baseline.

The emulator counts instructions (-icount shift=0), so a change of a few percent is a real
change of the code, not noise. When a change is intended, regenerate the baseline with
`./inv bench --target qemu --docs` and commit docs/benchmarks.*. This checks no speed
target: those are goals, reported in docs/benchmarks.md.
"""

import json
from pathlib import Path

import pytest

from tools import bench
from tools.targets import QemuTarget

BASELINE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"


@pytest.mark.targets("qemu")
def test_two_runs_count_the_same():
    # As `./inv bench` does: each run on a freshly booted emulator. (Within one session the
    # rungs that allocate see the heap as earlier code left it, and may differ by a few
    # hundred instructions in millions.)
    counts = []
    for _ in range(2):
        emulator = QemuTarget()
        try:
            rep = bench.collect(emulator, ("crc32", "toggle"), repeat=2)
        finally:
            emulator.close()
        counts.append([(r["tier"], r["min"], r["median"]) for r in rep["rows"]])
    assert counts[0] == counts[1]
    assert len(counts[0]) >= 8  # six crc32 rungs + binascii + the toggle rungs


@pytest.mark.targets("qemu")
def test_counts_match_the_committed_baseline(target):
    baseline = json.loads(BASELINE.read_text())
    current = bench.collect(target, repeat=3)
    problems = bench.compare(baseline, current, tolerance=0.03)
    assert not problems, "bench moved from docs/benchmarks.json (regenerate it with " \
        "./inv bench --target qemu --docs if intended):\n" + "\n".join(problems)
    new = {(r["kernel"], r["tier"]) for r in current["rows"]} - {
        (r["kernel"], r["tier"]) for r in baseline["rows"]}
    assert not new, "rows missing from the baseline: {}".format(sorted(new))
