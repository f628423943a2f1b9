"""The bench on the emulator: its counts repeat exactly, and match the committed baseline.

The emulator counts instructions (-icount shift=0), so a change of a few percent is a real
change of the code, not noise. When a change is intended, regenerate the baseline with
`./inv bench --target qemu --docs` and commit docs/benchmarks.*. This checks no speed
target: those are goals, reported in docs/benchmarks.md.
"""

import json

import pytest

from tools import bench, kernels
from tools.targets import QemuTarget


@pytest.mark.targets("qemu")
def test_two_runs_count_the_same(layout, qemu_firmware):
    # As `./inv bench` does: each run on a freshly booted emulator. (Within one session the
    # rungs that allocate see the heap as earlier code left it, and may differ by a few
    # hundred instructions in millions.)
    counts = []
    declared = kernels.discover()
    names = list(declared)
    for _ in range(2):
        emulator = QemuTarget(qemu_firmware)
        try:
            rep = bench.collect(emulator, names, 2, layout)
        finally:
            emulator.close()
        counts.append([(r["kernel"], r["tier"], r["min"], r["median"]) for r in rep["rows"]])
    assert counts[0] == counts[1]
    assert {k for k, *_ in counts[0]} == set(names)  # every kernel has rows on the emulator
    # Each row carries its kernel's own unit of work, and the report its workloads.
    for r in rep["rows"]:
        assert r["unit_of_work"] == declared[r["kernel"]].unit
    assert rep["workloads"] == "; ".join(
        "{}: {}".format(k, d.workload) for k, d in declared.items())


@pytest.mark.targets("qemu")
def test_counts_match_the_committed_baseline(target, layout):
    baseline = json.loads((layout.root / "docs" / "benchmarks.json").read_text())
    current = bench.collect(target, list(kernels.discover()), 3, layout)
    problems = bench.compare(baseline, current, tolerance=0.03)
    assert not problems, "bench moved from docs/benchmarks.json (regenerate it with " \
        "./inv bench --target qemu --docs if intended):\n" + "\n".join(problems)
    new = {(r["kernel"], r["tier"]) for r in current["rows"]} - {
        (r["kernel"], r["tier"]) for r in baseline["rows"]}
    assert not new, "rows missing from the baseline: {}".format(sorted(new))
