"""The ladder on every core (tools/archbench.py): each arch's mip package benched on a stock
emulated board of its core, against the counts recorded in docs/architectures.json.

Every board runs under -icount shift=0, so its counts repeat exactly: a change of a few percent
is a change of the code (ours, upstream's or the toolchain's). When one is intended, regenerate
with `./inv bench --arch armv6m,armv7m,armv7emsp,rv32imc --docs` and commit docs/architectures.*.
"""

import json
import warnings

import pytest

from tools import archbench, bench, kernels
from tools.build import BuildError

ARCHES = ",".join(archbench.BOARDS)


@pytest.mark.full  # four emulators, four installs, every rung of every kernel: ~15 minutes
@pytest.mark.targets("qemu")
def test_every_cores_counts_match_the_recorded_ones(layout):
    from tools import build as building

    for board in dict.fromkeys(b for b, _ in archbench.BOARDS.values()):
        if not building.firmware_path(layout, board).exists():
            building.build(layout, [building.PLATFORMS[board]], 2)
    reps = archbench.run(layout, ARCHES, sorted(kernels.discover()), 3)
    declared = kernels.discover()
    for rep in reps:
        assert rep["unit"] == "instructions", rep["arch"]  # an exact clock on every board
        rungs = {r["rung"] for r in rep["rows"]}
        assert {"py", "opt", "native", "viper", "c"} <= rungs, (rep["arch"], rungs)
        # asm only where the Cortex-M4's DSP instructions run.
        assert ("asm" in rungs) == (rep["arch"] == "armv7emsp"), rep["arch"]
        # Stock firmware has MicroPython's map lookup cache (our board has it off: see
        # ports/qemu/mpconfigport.h), whose hits vary a little between passes: a rung that
        # allocates nothing measures within 0.5% (at most 280 instructions here), not exactly.
        for r in rep["rows"]:
            if r["rung"] in declared[r["kernel"]].no_alloc:
                assert r["median"] - r["min"] <= max(400, r["min"] // 200), (
                    rep["arch"], r["kernel"], r["rung"], r["min"], r["median"])
    baseline = json.loads((layout.root / "docs" / "architectures.json").read_text())
    problems, new = archbench.compare(baseline, {rep["arch"]: rep for rep in reps}, 0.03)
    if new:
        warnings.warn("kernels with no figures in docs/architectures.json: {}; record them "
                      "with ./inv bench --arch {} --docs".format(", ".join(new), ARCHES))
    assert not problems, "counts moved from docs/architectures.json (regenerate it with " \
        "./inv bench --arch {} --docs if intended):\n".format(ARCHES) + "\n".join(problems)


def _rep(arch, rows, rungs=("py", "opt", "viper", "c")):
    # A report as tools.bench.report() makes it, from (kernel, rung, count for 100 units).
    lines = [(k, t, 100, n, n, 1, "byte", "100 bytes") for k, t, n in rows]
    rep = bench.report("board/" + arch, "instructions", rungs, lines, 3)
    rep.update({"arch": arch, "core": "core", "counts": "instructions", "seconds": 12.0})
    return rep


def test_the_table_gives_each_core_its_column_and_gains():
    m0 = _rep("armv6m", [("k", "py", 20000), ("k", "opt", 10000), ("k", "viper", 500),
                         ("k", "c", 100)])
    m4 = _rep("armv7emsp", [("k", "py", 16000), ("k", "viper", 400), ("k", "asm", 200)],
              rungs=("py", "opt", "viper", "asm", "c"))
    text = archbench.table([m0, m4])
    lines = text.splitlines()
    assert lines[0] == "| kernel | rung | M0+ | M4 |"
    assert "| k | py (per byte) | 200.00 (py) | 160.00 (py) |" in lines
    # x py, then x the rung below on that core (M4 has no opt row: viper is over py there).
    assert "| k | viper | 5.00 (40x, 20.00x) | 4.00 (40x, 40.00x) |" in lines
    assert "| k | asm |  | 2.00 (80x, 2.00x) |" in lines  # a rung a core lacks: empty
    assert "| k | c | 1.00 (200x, 5.00x) |  |" in lines
    assert archbench.viper_goal([m0, m4]) == [("armv6m", "k", 40.0), ("armv7emsp", "k", 40.0)]
    assert "| armv6m | core | instructions | 1 | py opt viper c | 12 s |" in \
        archbench.summary([m0])


def test_the_comparison_names_the_arch_and_reports_new_kernels():
    base = {"arches": {"armv6m": _rep("armv6m", [("k", "py", 1000), ("k", "c", 10)])}}
    same = _rep("armv6m", [("k", "py", 1020), ("k", "c", 10), ("new", "py", 5)])
    assert archbench.compare(base, {"armv6m": same}) == ([], ["armv6m: new"])
    moved = _rep("armv6m", [("k", "py", 1000), ("k", "c", 11)])
    assert archbench.compare(base, {"armv6m": moved}) == (
        ["armv6m: k c: 11 now, 10 in the baseline (+10.0%)"], [])
    assert archbench.compare(base, {"rv32imc": moved}) == (
        ["rv32imc: no figures recorded"], [])


def test_unknown_arches_are_refused_in_one_line():
    assert archbench.arches("armv6m, rv32imc") == ["armv6m", "rv32imc"]
    with pytest.raises(BuildError, match="bench: unknown arch 'xtensa'; choose from: armv6m, "
                       "armv7m, armv7emsp, rv32imc"):
        archbench.arches("armv6m,xtensa")


def test_the_docs_keep_their_prose_around_the_generated_part(tmp_path):
    md = tmp_path / "architectures.md"
    md.write_text("# title\n\n{}\nold table\n{}\n\n## Why\nprose\n".format(
        archbench.BEGIN, archbench.END))
    rep = _rep("armv6m", [("k", "py", 1000), ("k", "c", 10)])
    pyboard = bench.report("qemu", "instructions", ("py", "c"),
                           [("k", "py", 100, 900, 900, 1, "byte", "100 bytes")], 5)
    archbench.write_docs([rep], tmp_path, pyboard)
    text = md.read_text()
    assert text.startswith("# title\n\n" + archbench.BEGIN + "\n")
    assert text.endswith(archbench.END + "\n\n## Why\nprose\n")
    assert "old table" not in text
    assert "| k | py (per byte) | 10.00 (py) | 9.00 (py) |" in text  # ours beside the M4's
    assert json.loads((tmp_path / "architectures.json").read_text())["arches"]["armv6m"]
    assert (tmp_path / "architectures.png").stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (("--arch", "xtensa"),
     "bench: unknown arch 'xtensa'; choose from: armv6m, armv7m, armv7emsp, rv32imc"),
    (("--arch", "armv6m", "--docs"), "--docs records every kernel on every arch: use --arch "
     "armv6m,armv7m,armv7emsp,rv32imc --docs alone"),
    (("--arch", "armv6m", "--target", "unix"),
     "--arch benches the stock emulated boards: use it without --target, --port and --peers"),
])
def test_bench_arch_failures_are_one_line(args, message):
    from invoke_cli import inv

    code, out = inv("bench", *args)
    assert code != 0
    assert out.strip().splitlines() == [message]
