"""MicroPython's own test suite on our firmware (`./inv conformance`, tools/conformance/).

The task runs upstream's tests/run-tests.py on our builds and fails on any failure or skip
that neither upstream's own build (tools/conformance/upstream.json) nor our list
(tools/conformance/expected.py) accounts for. Here it runs as a user runs it, and its report
is checked, in the modes CI's time allows (CI_MODES, 4 to 9 minutes on 2 cores);
FASTPATH_CONFORMANCE=all runs every mode (6 to 15 minutes more). The host-only tests check
how results are read and judged, on made-up runs.
"""

import fnmatch
import json
import os
import subprocess
import sys

import pytest
from invoke_cli import run_task

from tools import settings
from tools.build import firmware_path
from tools.conformance import expectations, reports, results, runs, upstream
from tools.conformance.expectations import Expectation
from tools.settings import ROOT

# The session's MicroPython tree (tests/conftest.py passes its layout down as the settings).
MP = settings.Layout.from_settings(settings.load()).micropython
# The whole suite on each build; every upstream mode on unix, whose runs are short.
CI_MODES = {"unix": tuple(runs.UNIX_MODES), "unix-asan": ("default",),
            "qemu": ("default", "asmfp")}
ALL_MODES = {"unix": tuple(runs.UNIX_MODES), "unix-asan": tuple(runs.UNIX_MODES),
             "qemu": tuple(runs.QEMU_MODES)}
MODES = ALL_MODES if os.environ.get("FASTPATH_CONFORMANCE") == "all" else CI_MODES


def conformance(layout, target, timeout):
    modes = MODES[target]
    r = run_task("conformance", "--target", target, "--mode", ",".join(modes), timeout=timeout)
    assert r.returncode == 0, (r.stdout + r.stderr)[-20000:]
    report = json.loads((layout.build / "conformance" / "report.json").read_text())
    by_run = {(x["target"], x["mode"]): x for x in report["runs"]}
    assert set(by_run) == {(target, m) for m in modes}
    for x in by_run.values():
        assert x["unexpected"] == []
        # Every failure and skip is accounted for, each with its reason.
        assert len(x["accepted"]) == x["failed"] + x["skipped"]
        assert all(reason for _, _, reason in x["accepted"])
    return by_run


# --- the suite on our builds ----------------------------------------------------------------


@pytest.mark.full  # MicroPython's own suite
@pytest.mark.targets("unix")
def test_unix_every_mode(layout):
    by_run = conformance(layout, "unix", timeout=1800)
    flaky = [e for e in expectations.load_expected() if e.result == "flaky"]
    # As many pass as on upstream's own standard build, but for the tests our configuration
    # skips (btree, ssl, ffi off): each listed in expected.py. A failure is only
    # one listed as flaky (thread/stress_recurse.py), after its second run failed too.
    for (_, mode), x in by_run.items():
        listed_skips = [t for t, o, why in x["accepted"]
                        if o == "skip" and why != reports.UPSTREAM_SKIPS_TOO]
        for test in x["failed_tests"]:
            assert any(e.matches("unix", mode, test) for e in flaky), (mode, test)
        assert x["passed"] + len(listed_skips) >= x["upstream"]["passed"], mode


@pytest.mark.full  # MicroPython's own suite
@pytest.mark.targets("unix-asan")
def test_unix_asan_full_suite_no_report_from_our_code(layout):
    by_run = conformance(layout, "unix-asan", timeout=2400)
    expected = expectations.load_expected()
    for (_, mode), x in by_run.items():
        for test, found in x["sanitizer_reports"].items():
            for r in found:
                assert not r["ours"], (test, r)
                assert not r["location"].startswith("usermod"), (test, r)
        # Each failure is a sanitizer report its entry names (file:line, or the ASan kind).
        for test in x["failed_tests"]:
            entry = [e for e in expected if e.matches("unix-asan", mode, test)][0]
            found = x["sanitizer_reports"][test]
            assert entry.report in {r["location"] for r in found} | {
                r["what"] for r in found}


@pytest.mark.full  # MicroPython's own suite
@pytest.mark.targets("qemu")
def test_qemu_suite_and_the_fpu_tests(layout):
    by_run = conformance(layout, "qemu", timeout=3600)
    # Upstream's MPS2_AN385 passes all it performs (766, 766, 751); so does our board, and at
    # least as many.
    for (_, mode), x in by_run.items():
        assert x["failed"] == 0
        if mode != "asmfp":
            assert x["passed"] >= x["upstream"]["performed"] >= 751
    asmfp = by_run["qemu", "asmfp"]
    assert (asmfp["performed"], asmfp["passed"]) == (5, 5)
    assert sorted(asmfp["skipped_tests"]) == []


# --- the committed lists ----------------------------------------------------------------------


def test_expected_entries_name_real_tests_and_reasons():
    entries = expectations.load_expected()
    assert entries
    tests = {p.relative_to(MP / "tests").as_posix() for p in (MP / "tests").rglob("*.py")}
    for e in entries:
        assert any(fnmatch.fnmatchcase(t, e.pattern) for t in tests), e.pattern
        assert len(e.reason) > 20, e
        if e.report:  # a sanitizer finding: in MicroPython's tree, never ours
            if ":" in e.report:
                assert (MP / e.report.rsplit(":", 1)[0]).is_file(), e.report
            assert "fixed" in e.reason, e  # says which upstream release fixed it


def test_upstream_baseline_is_recorded_for_every_upstream_mode():
    base = upstream.load_upstream()
    assert base["micropython"].startswith("v1.25.0")
    assert set(base["runs"]["unix"]) == set(runs.UNIX_MODES)
    assert set(base["runs"]["qemu"]) == set(runs.QEMU_MODES) - {"asmfp"}
    for kind, modes in base["runs"].items():
        for mode, r in modes.items():
            assert r["performed"] == r["passed"] + r["failed"]
            assert r["skipped"] == len(r["skipped_tests"])
    # As the issue measured upstream's MPS2_AN385 at v1.25.0.
    qemu = base["runs"]["qemu"]
    assert [qemu[m]["passed"] for m in ("default", "via-mpy", "via-mpy-native")] == [
        766, 766, 751]


@pytest.mark.parametrize("entry, message", [
    (("unix", "*", "basics/x.py", "broken", "why"), "result must be 'fail', 'skip' or 'flaky'"),
    (("unix", "*", "basics/x.py", "skip", " "), "basics/x.py has no reason"),
    (("pybv11", "*", "basics/x.py", "skip", "why"), "unknown target 'pybv11'"),
    (("unix", "fast", "basics/x.py", "skip", "why"), "unknown mode 'fast'"),
    (("unix", "*", "basics/x.py", "fail", "why", "mpz.c"), "report must be file.c:line or"),
    (("unix", "*", "basics/x.py"), "want (targets, modes, test, result, reason[, report])"),
])
def test_bad_expected_entries_are_refused(tmp_path, entry, message):
    path = tmp_path / "expected.py"
    path.write_text("EXPECTED = [{!r}]\n".format(entry))
    with pytest.raises(ValueError) as e:
        expectations.load_expected(path)
    assert message in str(e.value)


# --- reading and judging results (made-up runs) -----------------------------------------------


def test_sanitizer_reports_are_placed_in_upstream_or_our_code():
    text = (
        "../../py/mpz.c:1555:13: runtime error: left shift of negative value -1\n"
        "    #0 0x55d1 in mpz_as_int_checked ../../py/mpz.c:1555\n"
        "{}/usermod/fastpath/crc32.c:40:9: runtime error: load of misaligned address\n"
        "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020\n"
        "    #0 0x7f01 in __interceptor_memcpy ../../../../src/libsanitizer/asan/x.inc:827\n"
        "    #1 0x55d2 in mp_seq_multiply ../../py/sequence.c:40\n"
    ).format(ROOT)
    found = results.sanitizer_reports(text, MP.resolve())
    assert [(s.tool, s.location, s.ours) for s in found] == [
        ("UBSan", "py/mpz.c:1555", False),
        ("UBSan", "{}/usermod/fastpath/crc32.c:40".format(ROOT), True),
        ("ASan", "py/sequence.c:40", False),
    ]
    assert found[0].what == "left shift of negative value -1"


def made_up_run(tmp_path, outcomes, outputs=()):
    run = results.Run("unix-asan", "default", (), tmp_path)
    run.outcomes = dict(outcomes)
    for test, (exp, out) in dict(outputs).items():
        base = tmp_path / test.replace("/", "_")
        if exp is not None:
            base.with_name(base.name + ".exp").write_text(exp)
        base.with_name(base.name + ".out").write_text(out)
    results.read_sanitizers(run, MP)
    return run


def test_classify_accepts_only_what_is_accounted_for(tmp_path):
    ubsan = "../../py/mpz.c:1555:13: runtime error: shift\nCRASH"
    run = made_up_run(tmp_path, {
        "basics/ok.py": "pass",
        "basics/upstream_skips.py": "skip",
        "extmod/listed_skip.py": "skip",
        "extmod/new_skip.py": "skip",
        "basics/listed_ubsan.py": "fail",
        "basics/wrong_place.py": "fail",
        "basics/plain_fail.py": "fail",
        "basics/now_passes.py": "pass",
    }, {
        "basics/listed_ubsan.py": ("1\n", ubsan),
        "basics/wrong_place.py": ("1\n", ubsan.replace("1555", "99")),
        "basics/plain_fail.py": ("one\ntwo\n", "one\nTWO\n"),
    })
    expected = [
        Expectation(("unix-asan",), ("*",), "extmod/listed_*.py", "skip", "module off"),
        Expectation(("unix-asan",), ("default",), "basics/listed_ubsan.py", "fail",
                    "UBSan in upstream, fixed in v1.26.0", "py/mpz.c:1555"),
        Expectation(("unix-asan",), ("*",), "basics/wrong_place.py", "fail",
                    "UBSan in upstream", "py/mpz.c:1555"),
        Expectation(("unix",), ("*",), "basics/plain_fail.py", "fail", "only on unix"),
        Expectation(("unix-asan",), ("*",), "basics/now_passes.py", "fail", "stale"),
    ]
    baseline = {"runs": {"unix": {"default": {
        "performed": 10, "passed": 10, "failed": 0, "skipped": 1,
        "skipped_tests": ["basics/upstream_skips.py"]}}}}
    reports.classify(run, expected, baseline)
    assert [(t, o) for t, o, _ in run.accepted] == [
        ("basics/listed_ubsan.py", "fail"),
        ("basics/upstream_skips.py", "skip"),
        ("extmod/listed_skip.py", "skip"),
    ]
    unexpected = {t: why for t, _, why in run.unexpected}
    assert sorted(unexpected) == ["basics/plain_fail.py", "basics/wrong_place.py",
                                  "extmod/new_skip.py"]
    assert "-two\n+TWO" in unexpected["basics/plain_fail.py"]  # the diff
    assert "sanitizer report at py/mpz.c:99" in unexpected["basics/wrong_place.py"]
    assert "upstream's own build runs it" in unexpected["extmod/new_skip.py"]
    assert run.stale == [("basics/now_passes.py", "fail", "pass")]
    assert run.upstream == {"performed": 10, "passed": 10, "failed": 0, "skipped": 1}


def test_a_sanitizer_report_in_our_code_is_never_accepted(tmp_path):
    out = "{}/usermod/fastpath/crc32.c:40:9: runtime error: x\nCRASH".format(ROOT)
    run = made_up_run(tmp_path, {"basics/a.py": "fail"}, {"basics/a.py": ("1\n", out)})
    everything = [Expectation(("unix-asan",), ("*",), "*", "fail", "anything")]
    reports.classify(run, everything, {})
    assert run.accepted == []
    assert "sanitizer report in our code" in run.unexpected[0][2]


def test_unknown_targets_and_modes_are_refused():
    with pytest.raises(ValueError, match="unknown target 'pybv11'"):
        runs.firmwares({"pybv11": "x"})
    fws = runs.firmwares({"unix": "m", "qemu": "f.elf"})
    assert [(f.name, m) for f, m in runs.plan(fws, "asmfp")] == [("qemu", "asmfp")]
    with pytest.raises(ValueError, match="unknown mode 'fast' for unix, qemu"):
        runs.plan(fws, "fast")
    with pytest.raises(ValueError) as e:
        runs.plan(runs.firmwares({"qemu": "f.elf"}), "thread")
    assert str(e.value) == ("conformance: unknown mode 'thread' for qemu; choose from default, "
                            "via-mpy, via-mpy-native, asmfp")


def test_task_refuses_a_target_it_cannot_test():
    r = run_task("conformance", "--target", "pybv11", timeout=120)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines()[-1] == (
        "conformance: unknown target 'pybv11'; choose from unix, unix-asan, qemu")


def test_wrapper_refuses_to_unskip_what_upstream_does_not_skip(tmp_path):
    fw = runs.TestedBuild("qemu", "qemu", tmp_path / "firmware.elf")
    cmd = runs._command(fw, "asmfp", MP, tmp_path, 1, sys.executable)
    i = cmd.index("--unskip")
    cmd[i + 1] = "qemu:basics/0prelim.py"
    r = subprocess.run(cmd, cwd=MP / "tests", capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip() == ("conformance: run-tests.py no longer skips basics/0prelim.py on "
                                "qemu; update tools/conformance/runs.py")


def test_a_flaky_entry_accepts_its_report_and_a_pass(tmp_path):
    overflow = ("==9==ERROR: AddressSanitizer: stack-overflow on address 0x7f\n"
                "    #0 0x7f in __interceptor_memset ../../../../src/libsanitizer/x.inc:799\n"
                "    #1 0x56 in mp_setup_code_state_helper ../../py/bc.c:148\nCRASH")
    run = made_up_run(tmp_path, {"thread/a.py": "fail", "thread/b.py": "pass"},
                      {"thread/a.py": ("done\n", overflow)})
    flaky = [Expectation(("unix-asan",), ("*",), "thread/*.py", "flaky",
                         "stack overflow, fixed in v1.27.0", "stack-overflow")]
    reports.classify(run, flaky, {})
    assert run.unexpected == [] and run.stale == []
    assert run.accepted == [("thread/a.py", "fail", "stack overflow, fixed in v1.27.0")]
    assert [(s.location, s.what) for s in run.sanitized["thread/a.py"]] == [
        ("py/bc.c:148", "stack-overflow")]


def test_what_runs_again_is_unexplained_or_listed_flaky(tmp_path):
    run = made_up_run(tmp_path, {"thread/a.py": "fail", "thread/b.py": "pass",
                                 "basics/x.py": "fail", "basics/listed.py": "fail",
                                 "extmod/new_skip.py": "skip"},
                      {"thread/a.py": ("done\n", "CRASH"), "basics/x.py": ("1\n", "2\n"),
                       "basics/listed.py": ("1\n", "2\n")})
    expected = [
        Expectation(("unix-asan",), ("*",), "thread/*.py", "flaky", "stack runs out"),
        Expectation(("unix-asan",), ("*",), "basics/listed.py", "fail", "always fails"),
    ]
    assert reports.to_run_again(run, expected, {}) == [
        "basics/x.py", "extmod/new_skip.py", "thread/a.py"]


@pytest.mark.full  # MicroPython's own suite
@pytest.mark.targets("unix-asan")
def test_a_second_run_keeps_the_first_runs_other_results(tmp_path, monkeypatch, layout):
    # Two tests on the ASan build, one of them run again: the other's UBSan report (in
    # MicroPython's own mpz.c) is still read from its output, and the result files of the one
    # run again are kept from its first run.
    asan = firmware_path(layout, "unix-asan")
    if not asan.exists():
        pytest.fail("no {}; run: ./inv build --target unix-asan".format(layout.rel(asan)))
    monkeypatch.setitem(runs.UNIX_MODES, "probe", ("basics/int_big_mod.py",
                                                    "basics/int_big_zeroone.py"))
    fw = runs.firmwares({"unix-asan": asan})[0]
    assert fw.env and fw.timeout == 60  # the sanitizers' options and timeout: its platform's
    run = runs.run_one(fw, "probe", layout.micropython, tmp_path, layout.mpy_cross,
                        jobs=1, echo=lambda s: None, retry=lambda r: ["basics/int_big_zeroone.py"])
    assert run.outcomes == {"basics/int_big_mod.py": "fail", "basics/int_big_zeroone.py": "fail"}
    assert run.flaky == []
    assert {t: [s.location for s in v] for t, v in run.sanitized.items()} == {
        "basics/int_big_mod.py": ["py/mpz.c:1555"], "basics/int_big_zeroone.py": ["py/mpz.c:1555"]}
    assert (tmp_path / "first-try" / "basics_int_big_zeroone.py.out").exists()
    assert (tmp_path / "basics_int_big_mod.py.out").exists()
