"""The peers (tools/peers.py, `./inv bench --peers`): their report code on the host, and, in
the full suite, the recorded counts of docs/peers.json against a fresh build and run.

The C program's counts are exact (every instruction of a window, counted by the QEMU plugin
under -icount shift=0), so they must repeat to the instruction; the ulab rows are Python calls
on the emulated board, held to the bench's 3% like docs/benchmarks.json. No speed goal is
checked here: the goals are reported in docs/peers.md.
"""

import json
import re
from array import array

import pytest

from tools import build as building
from tools import peers, settings

TEXT = """\
WINDOW - empty
TICKS 0
WINDOW - empty
TICKS 0
WINDOW crc32 c
TICKS 256
WINDOW crc32 c
TICKS 256
OUT crc32 c 685903338
WINDOW fir_q15 plain
TICKS 9
WINDOW fir_q15 plain
TICKS 9
OUT fir_q15 plain -1 2 32767
DONE
"""


def test_parse_program_pairs_windows_with_runs():
    runs, empty = peers.parse_program(TEXT, [3, 3, 10268, 10268, 400, 401])
    assert empty == {"counts": [3, 3], "ticks": [0, 0], "windows": [0, 1]}
    assert runs[("crc32", "c")] == {"counts": [10268, 10268], "ticks": [256, 256],
                                    "out": [685903338], "windows": [2, 3]}
    assert runs[("fir_q15", "plain")]["out"] == [-1, 2, 32767]
    assert runs[("fir_q15", "plain")]["counts"] == [400, 401]


def test_parse_program_rejects_missing_windows():
    with pytest.raises(peers.PeerError, match="6 windows announced, 6 timed, 5 counted"):
        peers.parse_program(TEXT, [3, 3, 10268, 10268, 400])


def test_exactness():
    assert peers.exactness([1, 2, 3], [1, 2, 3]) == {"outputs": 3, "differing": 0,
                                                    "max_error": 0}
    assert peers.exactness([0, 2, 5], [1, 2, 3]) == {"outputs": 3, "differing": 2,
                                                    "max_error": 2}
    assert peers.exactness([1], [1, 2])["differing"] == 2  # a short result differs everywhere


def test_q15_from_sums_rounds_and_saturates_as_the_contract():
    sums = [0, 0x3FFF, 0x4000, -0x4000, -0x4001, 2**40, -(2**40), 1.5e8]
    want = [0, 0, 1, 0, -1, 32767, -32768, 4578]  # 150,000,000 / 32768 = 4577.6
    assert peers.q15_from_sums(sums) == want


def test_workload_header_holds_the_workloads_bytes():
    text = peers.workload_header()
    for kernel in peers.C_KERNELS:
        args, units, _ = peers.workload(kernel)
        assert "#define WL_{}_UNITS ({})".format(kernel, units) in text
        for i, a in enumerate(args):
            if not isinstance(a, (bytes, bytearray, array)):
                continue
            m = re.search(r"wl_{}_{}\[(\d+)\] [^=]*= \{{([^}}]*)\}}".format(kernel, i), text)
            assert m, (kernel, i)
            assert [int(v) for v in m.group(2).split(",")] == list(a)


def test_reference_is_exact():
    import zlib

    (data,), _, _ = peers.workload("crc32")
    assert peers.reference("crc32") == [zlib.crc32(data)]
    assert peers.reference("popcount") == [sum(bin(b).count("1") for b in data)]
    assert peers.reference("fir_q15") == peers.q15_from_sums(peers.fir_sums())


def _rows():
    def row(kernel, name, kind, per_call, differing=0):
        return {"kernel": kernel, "name": name, "kind": kind, "per_call": per_call,
                "per_unit": per_call / 100, "unit": "byte", "c_faster": None,
                "exact": {"outputs": 9, "differing": differing, "max_error": differing},
                "version": ""}
    return [row("fir_q15", peers.RAW, "C", 100), row("fir_q15", "CMSIS-DSP.arm_fir_fast_q15",
                                                     "C", 100, differing=3),
            row("fir_q15", "CMSIS-DSP.arm_fir_q15", "C", 120),
            row("crc32", peers.RAW, "C", 50), row("crc32", "zlib.crc32", "C", 100),
            row("crc32", "plain", "C", 1000), row("fir_q15", "plain", "C", 200)]


def test_goals_report_met_and_unmet_with_figures():
    goals = {g: (m, ok) for g, m, ok in peers.goals(_rows())}
    fast = goals["fir_q15 c <= arm_fir_fast_q15's instructions, exact"]
    assert fast == ("1.00x (1.00 vs 1.00 per byte; ours exact)", True)
    assert goals["fir_q15 c <= 0.8x arm_fir_q15's"][1] is False
    assert goals["crc32 c <= 0.6x zlib crc32()'s"] == ("0.50x (0.50 vs 1.00 per byte)", True)
    assert goals["popcount c <= 0.5x the __builtin_popcount loop's"] == ("missing", False)
    assert goals["crc32 c >= 3x faster than the plain C loop"] == (
        "20.0x faster (0.50 vs 10.00 per byte)", True)
    assert goals["fir_q15 c >= 3x faster than the plain C loop"] == (
        "2.0x faster (1.00 vs 2.00 per byte)", False)
    rows = _rows()
    rows[0]["exact"]["differing"] = 1  # ours off: the exact goal is missed at any speed
    goals = {g: (m, ok) for g, m, ok in peers.goals(rows)}
    assert goals["fir_q15 c <= arm_fir_fast_q15's instructions, exact"] == (
        "1.00x (1.00 vs 1.00 per byte; ours NOT exact)", False)


def test_pins_name_tags_and_the_ulab_firmware_is_not_in_all():
    for pin in peers.PINS.values():
        assert pin.url.startswith("https://github.com/") and pin.ref[0].isdigit() or \
            pin.ref.startswith("v")
    assert "qemu-ulab" not in [f.name for f in building.firmwares("all")]
    assert building.PLATFORMS["qemu-ulab"].usermods["ulab"].startswith("lib/peers/")


def test_crosscheck_compares_the_raw_loops_own_counts():
    bench_rep = {"rows": [{"kernel": "crc32", "rung": "c", "per_call": 10240}]}
    raw = {"kernel": "crc32", "peer": "c", "per_call": 10265, "own": {"f": 10263}}
    same, = peers.crosscheck(bench_rep, [raw], {"crc32": {"f": 10263}})
    assert same["difference"] == -25 and same["same"]
    other, = peers.crosscheck(bench_rep, [raw], {"crc32": {"f": 10262}})
    assert not other["same"]
    assert "| crc32 | 10,240 | 10,265 | -25 | 10,263 (f 10,263) | 10,262 (f 10,262) | **no** |" \
        in peers.crosscheck_markdown({"crosscheck": [other]})


def test_the_recorded_doc_states_every_goal(layout):
    rep = _recorded(layout)
    text = (layout.root / "docs" / "peers.md").read_text()
    assert [g for g, _, _ in rep["goals"]] == [text for *_, text in peers.GOALS]
    for goal, measured, met in rep["goals"]:
        assert "| {} | {} | {} |".format(goal, measured, "yes" if met else "**no**") in text
    for c in rep["crosscheck"]:
        assert c["same"], c["kernel"]  # the C program's raw loop is the firmware's


# --- the full suite: a fresh build and run against docs/peers.json ----------------------------


def _recorded(layout):
    return json.loads((layout.root / "docs" / "peers.json").read_text())


@pytest.mark.full
def test_c_peers_count_as_recorded(layout, tmp_path):
    rep = _recorded(layout)
    rows = peers.measure_c(layout, tmp_path / "peers")
    now = {(r["kernel"], r["peer"]): r for r in rows}
    recorded = [r for r in rep["rows"] if r["kind"] == "C"]
    assert recorded and len(recorded) == len(now)
    for r in recorded:
        key = (r["kernel"], "c" if r["name"] == peers.RAW else r["name"])
        assert now[key]["per_call"] == r["per_call"], key  # exact, to the instruction
        assert now[key]["exact"] == r["exact"], key


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_ulab_peers_count_as_recorded(layout):
    firmwares = building.firmwares("qemu-ulab")
    building.fetch(layout, settings.DEFAULTS["micropython_url"], firmwares)
    building.build(layout, firmwares, 2)
    rep = _recorded(layout)
    rows, version = peers.measure_board(layout, building.firmware_path(layout, "qemu-ulab"), 3)
    assert version and version in rep["versions"]["micropython-ulab"]
    now = {(r["kernel"], r["peer"]): r for r in rows if r["per_call"] is not None}
    recorded = [r for r in rep["rows"] if r["name"].startswith("ulab")]
    assert recorded and len(recorded) == len(now)
    for r in recorded:
        got = now[(r["kernel"], r["name"])]
        assert abs(got["per_call"] - r["per_call"]) <= 0.03 * r["per_call"], r["name"]
        assert got["exact"] == r["exact"], r["name"]


@pytest.mark.full
def test_fetch_takes_only_the_pinned_paths_and_mends_a_damaged_tree(tmp_path):
    layout = settings.Layout("build", "lib/micropython", "v1.25.0", root=tmp_path)
    folder = peers.fetch(layout, ["zlib"])["zlib"]
    pin = peers.PINS["zlib"]
    files = sorted(p.name for p in folder.iterdir() if p.name != ".git")
    assert files == sorted(pin.paths)
    tag = building.git(["rev-parse", "refs/tags/{}^{{commit}}".format(pin.ref)], folder)
    assert building.git(["rev-parse", "HEAD"], folder).stdout == tag.stdout
    (folder / "crc32.c").unlink()
    peers.fetch(layout, ["zlib"])  # a path missing: fetched again
    assert (folder / "crc32.c").exists()
    assert not folder.with_name("zlib.partial").exists()
