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


def _cycles_report(cpu_hz):
    # A board's figures in cycles: toggle 1000 times in 24,000 cycles.
    lines = [("toggle", "py", 1000, 2_400_000, 2_400_000, 1),
             ("toggle", "viper", 1000, 24_000, 24_000, 1)]
    return bench.report("device", "cycles", lines, 5, cpu_hz=cpu_hz)


def test_cycles_convert_at_the_clock_the_board_reported():
    # PYBV11 restores the last machine.freq() at every reset: 84 MHz is a board someone
    # slowed down, and its cycles are 84 MHz cycles, not 168 MHz ones.
    rep = _cycles_report(84_000_000)
    assert rep["cpu_hz"] == 84_000_000
    text = bench.markdown(rep)
    assert "Core clock: 84 MHz, as machine.freq() reported it." in text
    assert "24,000 (285.7 us) = 3,500,000 toggles/s" in text  # 24000 / 84e6 s; 84e6 / 24


def test_cycles_without_a_reported_clock_give_no_times():
    text = bench.markdown(_cycles_report(None))
    assert "Core clock: not reported, so no times are given." in text
    assert " us)" not in text and "toggles/s" not in text


@pytest.mark.targets("qemu")
def test_bench_records_the_board_identity_and_clock(target):
    rep = bench.collect(target, ("popcount",), repeat=1)
    expected = json.loads((BASELINE.parent.parent / "build" / "qemu" / "firmware.json")
                          .read_text())
    assert rep["build"] == expected  # what the board said, not the host's checkout
    assert rep["firmware"] == expected["fastpath"]
    assert rep["cpu_hz"] is None  # the emulator has no clock to report: it counts instructions


@pytest.mark.targets("device")
def test_device_bench_reads_the_clock_it_runs_at(target):
    # Only a real board: set another clock, measure, and put 168 MHz back (it persists).
    try:
        target.run("import machine\nmachine.freq(84000000)")
        rep = bench.collect(target, ("toggle",), repeat=1)
        assert rep["cpu_hz"] == 84_000_000
    finally:
        target.run("import machine\nmachine.freq(168000000)")
