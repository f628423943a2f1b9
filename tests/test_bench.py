"""The bench on the emulator: its counts repeat exactly, and match the committed baseline.

The emulator counts instructions (-icount shift=0), so a change of a few percent is a real
change of the code, not noise. When a change is intended, regenerate the baseline with
`./inv bench --target qemu --docs` and commit docs/benchmarks.*. This checks no speed
target: those are goals, reported in docs/benchmarks.md.
"""

import json
import time
import warnings

import pytest

from tools import bench, kernels
from tools.targets import DeviceTarget, QemuTarget, TargetTimeout


@pytest.fixture(scope="module")
def fresh_bench(layout, qemu_firmware):
    """Every kernel benched on a freshly booted emulator, as ./inv bench --docs does it."""
    emulator = QemuTarget(qemu_firmware)
    try:
        return bench.collect(emulator, sorted(kernels.discover()), 3, layout)
    finally:
        emulator.close()


def _counts(rep):
    return {(r["kernel"], r["rung"]): (r["min"], r["median"]) for r in rep["rows"]}


@pytest.mark.full  # two more runs of the whole bench
@pytest.mark.targets("qemu")
def test_a_kernels_counts_depend_on_that_kernel_alone(layout, qemu_firmware, fresh_bench):
    # The same counts whether a kernel is benched first, last, alone or after the others, on
    # a fresh emulator or one that ran everything else: collect() resets the interpreter
    # before each kernel, and the bench's calls allocate nothing of their own.
    declared = kernels.discover()
    names = sorted(declared)
    emulator = QemuTarget(qemu_firmware)
    try:
        emulator.run("import fastpath.bench\nkeep = [bytearray(24) for _ in range(500)]")
        backwards = bench.collect(emulator, names[::-1], 3, layout)
        last = bench.collect(emulator, names[:1], 3, layout)
    finally:
        emulator.close()
    fresh = _counts(fresh_bench)
    assert _counts(backwards) == fresh
    assert _counts(last) == {k: v for k, v in fresh.items() if k[0] == names[0]}
    # min and median agree: every measurement of a rung that allocates nothing counts the
    # same instructions. One that allocates may have the garbage collector run inside a
    # measurement, at a point that depends on the heap it starts from (crc32 py, whose long
    # ints fill the heap every few hundred bytes: 57,354,320 and 57,354,520): a few ticks.
    for (kernel, rung), (lo, med) in fresh.items():
        if rung in declared[kernel].no_alloc:
            assert lo == med, (kernel, rung, lo, med)
        else:
            assert med - lo <= max(40, lo // 100000), (kernel, rung, lo, med)
    assert {k for k, _ in fresh} == set(names)  # every kernel has rows on the emulator
    # Each row carries its kernel's own unit of work, and the report its workloads.
    for r in fresh_bench["rows"]:
        assert r["unit_of_work"] == declared[r["kernel"]].unit
    assert fresh_bench["workloads"] == {k: d.workload for k, d in declared.items()}


@pytest.mark.targets("qemu")
def test_counts_match_the_committed_baseline(layout, fresh_bench):
    # A kernel that is new (no rows in the baseline yet) is reported, not a failure: record it
    # with ./inv bench --target qemu --docs.
    baseline = json.loads((layout.root / "docs" / "benchmarks.json").read_text())
    problems, new = bench.compare(baseline, fresh_bench, tolerance=0.03)
    if new:
        warnings.warn("kernels with no figures in docs/benchmarks.json: {}; record them with "
                      "./inv bench --target qemu --docs".format(", ".join(new)))
    assert not problems, "bench moved from docs/benchmarks.json (regenerate it with " \
        "./inv bench --target qemu --docs if intended):\n" + "\n".join(problems)


def _rows(kernel, *rungs_and_costs):
    return [{"kernel": kernel, "rung": t, "per_call": c} for t, c in rungs_and_costs]


def test_the_baseline_comparison_names_only_the_kernel_that_moved():
    baseline = {"rows": _rows("a", ("py", 1000), ("c", 10)) + _rows("b", ("py", 500))}
    same = {"rows": _rows("a", ("py", 1020), ("c", 10)) + _rows("b", ("py", 500))}
    assert bench.compare(baseline, same) == ([], [])
    # A kernel not in the baseline is new: listed, no problem; the others are compared.
    grown = {"rows": same["rows"] + _rows("new", ("py", 7), ("c", 1))}
    assert bench.compare(baseline, grown) == ([], ["new"])
    moved = {"rows": _rows("a", ("py", 1000), ("c", 11)) + _rows("b", ("py", 500))}
    assert bench.compare(baseline, moved) == (["a c: 11 now, 10 in the baseline (+10.0%)"], [])
    # A rung gone, or one added, to a kernel the baseline has is a change to record.
    changed = {"rows": _rows("a", ("py", 1000), ("asm", 50)) + _rows("b", ("py", 500))}
    assert bench.compare(baseline, changed) == (
        ["a c: missing", "a asm: not in the baseline"], [])
    # A run of some kernels only (./inv bench --kernel b) says nothing of the others.
    assert bench.compare(baseline, {"rows": _rows("b", ("py", 500))}) == ([], [])


@pytest.mark.firmware("qemu")
def test_costs_size_each_kernels_own_frozen_modules_and_c_rung(layout):
    # docs/benchmarks.md's costs table: every kernel's frozen module is in the build (its
    # kernels/ subpackage), with its asm rung's module where it has one, and its C object.
    declared = kernels.discover()
    rep = {"rows": [{"kernel": k, "rung": "py"} for k in sorted(declared)], "heap": {}}
    for row in bench.costs(rep, layout):
        k = declared[row["kernel"]]
        assert row["frozen"] > 1000, row
        assert row["asm"] == (k.asm_source is not None), row
        assert (row["c"] or 0) > 0 if k.c_source else row["c"] is None, row


def _cycles_report(cpu_hz):
    # A board's figures in cycles: a kernel that flips a pin 1000 times in 24,000 cycles.
    lines = [("flip", "py", 1000, 2_400_000, 2_400_000, 1, "toggle", "1000 toggles"),
             ("flip", "viper", 1000, 24_000, 24_000, 1, "toggle", "1000 toggles")]
    return bench.report("device", "cycles", ("py", "viper"), lines, 5, cpu_hz=cpu_hz)


def test_cycles_convert_at_the_clock_the_board_reported():
    # PYBV11 restores the last machine.freq() at every hard reset (from RTC backup register
    # BKP19R, kept over a power-off only with VBAT): 84 MHz is a board someone slowed down,
    # and its cycles are 84 MHz cycles, not 168 MHz ones.
    rep = _cycles_report(84_000_000)
    assert rep["cpu_hz"] == 84_000_000
    text = bench.markdown(rep)
    assert "Core clock: 84 MHz, as machine.freq() reported it." in text
    assert "24,000 (285.7 us = 3,500,000 toggles/s)" in text  # 24000 / 84e6 s; 84e6 / 24


def test_cycles_without_a_reported_clock_give_no_times():
    text = bench.markdown(_cycles_report(None))
    assert "Core clock: not reported, so no times are given." in text
    assert " us)" not in text and "toggles/s" not in text


@pytest.mark.targets("qemu")
def test_bench_records_the_board_identity_and_clock(target, layout):
    rep = bench.collect(target, sorted(kernels.discover())[:1], 1, layout)
    expected = json.loads((layout.out("qemu") / "firmware.json").read_text())
    assert rep["build"] == expected  # what the board said, not the host's checkout
    assert rep["firmware"] == expected["fastpath"]
    assert rep["cpu_hz"] is None  # the emulator has no clock to report: it counts instructions


def set_clock(target, hz, within=30.0):
    """machine.freq(hz) on a Pyboard, read back over a fresh connection. Reprogramming the
    PLL that also clocks USB can drop the link (docs/library/pyb.rst: "if you change the
    frequency while the USB is enabled then the USB may become unreliable"), and PYBV11 keeps
    the clock in RTC backup register BKP19R for every later hard reset
    (ports/stm32/powerctrl.c): so a dropped link is waited out, and the clock is checked, not
    assumed."""
    try:
        target.run("import machine\nmachine.freq({})".format(hz), timeout=10)
    except TargetTimeout:
        pass  # the link dropped: the target waits for the board and reconnects
    deadline = time.monotonic() + within
    while True:
        target.close()  # a fresh connection
        try:
            now = target.call("machine", "freq")[0]
            break
        except TargetTimeout:
            if time.monotonic() > deadline:
                raise
    assert now == hz, (
        "the board on {} runs at {} Hz, not {}, and keeps that over hard resets: run "
        "machine.freq(168000000) at its REPL (./inv repl --target device)".format(
            target.device, now, hz))


def test_clock_set_over_a_link_that_drops(tmp_path):
    # A stand-in Pyboard whose USB link drops when its clock changes (and comes back), and
    # which keeps the clock for later boots: set, checked, and put back, checked.
    import standin_board

    port = str(tmp_path / "ttyACM0")
    proc = standin_board.launch(tmp_path, port)
    t = DeviceTarget(port, reset_wait=15, say=lambda text: None)
    try:
        set_clock(t, 84_000_000)
        assert (tmp_path / "freq").read_text() == "84000000"  # its BKP19R
        set_clock(t, 168_000_000)
        assert (tmp_path / "freq").read_text() == "168000000"
    finally:
        t.close()
        proc.kill()
        proc.wait()


@pytest.mark.targets("device")
def test_device_bench_reads_the_clock_it_runs_at(target, layout):
    # Only a real board: set another clock, measure, and put 168 MHz back (it persists).
    try:
        set_clock(target, 84_000_000)
        names = [k for k, d in kernels.discover().items() if d.runs_on("pyboard")]
        rep = bench.collect(target, names[:1], 1, layout)
        assert rep["cpu_hz"] == 84_000_000
    finally:
        set_clock(target, 168_000_000)
