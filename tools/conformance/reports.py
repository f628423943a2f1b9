"""Judging runs and reporting them: classify() sorts each failure and skip of a run into
accepted (expected.py lists it, or upstream's own build skips it too) and unexpected, and notes
entries that no longer hold; to_run_again() names what runs once more before it counts; the
table, the text of each problem, and report.json and report.md."""

import json
from pathlib import Path

from tools.conformance.expectations import EXPECTED_FILE
from tools.conformance.results import duration, failure_diff
from tools.conformance.runs import TARGET_KIND

UPSTREAM_SKIPS_TOO = "upstream's own build skips it too"


def classify(run, expected, upstream):
    """Sort each failure and skip of run into accepted (an expectation lists it, or upstream's
    own build skips it too) and unexpected; note expectations that no longer hold. A listed
    skip keeps its reason even where the recorded baseline skips it too: that baseline was
    built without btree and ssl, which upstream's CI builds have."""
    kind = TARGET_KIND[run.target]
    base = (upstream.get("runs", {}).get(kind, {}) or {}).get(run.mode)
    run.upstream = {k: base[k] for k in ("performed", "passed", "failed", "skipped")
                    if k in base} if base else None
    upstream_skips = set(base["skipped_tests"]) if base else set()
    run.unexpected, run.accepted, run.stale = [], [], []
    for test, outcome in sorted(run.outcomes.items()):
        entries = [e for e in expected if e.matches(run.target, run.mode, test)]
        if outcome == "pass":
            run.stale += [(test, e.result, "pass") for e in entries if e.result != "flaky"]
            continue
        reports = run.sanitized.get(test, [])
        ours = [r for r in reports if r.ours]
        listed = [e for e in entries if e.result == outcome
                  or (e.result == "flaky" and outcome == "fail")]
        run.stale += [(test, e.result, outcome) for e in entries if e not in listed]
        if ours:
            run.unexpected.append((test, outcome, "sanitizer report in our code: " + "; ".join(
                "{} {} ({})".format(r.tool, r.location, r.what) for r in ours)))
        elif not listed and outcome == "skip" and test in upstream_skips:
            run.accepted.append((test, outcome, UPSTREAM_SKIPS_TOO))
        elif not listed:
            run.unexpected.append((test, outcome, _why(run, test, outcome, reports)))
        else:  # listed: its reason, ahead of a baseline that lacked what the entry names
            e = listed[0]
            where = {r.location for r in reports} | {r.what for r in reports if r.tool == "ASan"}
            if reports and e.report not in where:
                run.unexpected.append((test, outcome, "sanitizer report at {}, but {} lists {}"
                                       .format(", ".join(sorted(where)), EXPECTED_FILE.name,
                                               e.report or "none")))
            elif e.report and e.report not in where:
                run.unexpected.append((test, outcome, "listed for a report at {}, but it "
                                       "failed without one".format(e.report)))
            else:
                run.accepted.append((test, outcome, e.reason))
    return run


def _why(run, test, outcome, reports):
    if outcome == "skip":
        return "skipped here, but upstream's own build runs it"
    text = ""
    if reports:
        text = "sanitizer report: " + "; ".join(
            "{} {} ({})".format(r.tool, r.location, r.what) for r in reports) + "\n"
    return text + failure_diff(run, test)


def to_run_again(run, expected, upstream):
    """The tests of a first run that run once more: what no entry explains (failures, and
    skips upstream's own build does not have: a feature check run-tests.py makes on a pty can
    miss its answer on a busy machine), and the failures of tests listed as flaky."""
    classify(run, expected, upstream)
    flaky = [t for t in run.tests("fail") if any(
        e.result == "flaky" and e.matches(run.target, run.mode, t) for e in expected)]
    return sorted({t for t, _, _ in run.unexpected} | set(flaky))


def table(runs, markdown=False):
    """Counts per target and mode, with upstream's own build's in the same mode."""
    head = ("target", "mode", "performed", "passed", "failed", "skipped", "upstream",
            "unexpected", "time")
    rows = []
    for r in runs:
        c = r.counts()
        up = "{}/{}".format(r.upstream["passed"], r.upstream["performed"]) if r.upstream else "-"
        rows.append((r.target, r.mode, c["performed"], c["passed"], c["failed"], c["skipped"],
                     up, len(r.unexpected), duration(r.seconds)))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join("{:<%d}" % w if i < 2 else "{:>%d}" % w for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [head] + rows)


def problems(runs):
    """Text blocks for each unexpected result (with its diff) and each stale expectation."""
    out = []
    for r in runs:
        for test, outcome, why in r.unexpected:
            out.append("UNEXPECTED {} {}: {} {}\n{}".format(
                r.target, r.mode, test, "failed" if outcome == "fail" else "skipped",
                "\n".join("    " + line for line in why.splitlines())))
        for test, listed, actual in r.stale:
            done = {"pass": "passed", "skip": "skipped", "fail": "failed"}[actual]
            out.append("note {} {}: {} is listed as {} in {} but {}: remove the entry".format(
                r.target, r.mode, test, listed, EXPECTED_FILE.name, done))
        for test, first in r.flaky:
            out.append("note {} {}: {} {} at first, then passed when run again{}".format(
                r.target, r.mode, test, "failed" if first == "fail" else "skipped",
                " (first output in {})".format(r.out_dir / "first-try") if first == "fail"
                else ""))
    return out


def write_report(runs, out_dir, upstream):
    """report.json and report.md in out_dir: counts, accepted and unexpected results, and the
    sanitizer reports, per target and mode."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"micropython": upstream.get("micropython"), "runs": []}
    md = ["# Conformance: MicroPython's test suite on our firmware", "", table(runs, True), ""]
    for r in runs:
        data["runs"].append({
            "target": r.target, "mode": r.mode, "args": list(r.args), "seconds": r.seconds,
            "platform": r.platform, **r.counts(), "upstream": r.upstream,
            "failed_tests": r.tests("fail"), "skipped_tests": r.tests("skip"),
            "accepted": r.accepted, "unexpected": r.unexpected, "stale": r.stale,
            "flaky": r.flaky,
            "sanitizer_reports": {t: [vars(s) for s in v] for t, v in r.sanitized.items()},
        })
        lines = ["- unexpected: {} {}".format(t, o) for t, o, _ in r.unexpected]
        lines += ["- {}: {} ({})".format(o, t, why) for t, o, why in r.accepted
                  if why != UPSTREAM_SKIPS_TOO]
        lines += ["- sanitizer: {}: {} {} ({})".format(t, s.tool, s.location, s.what)
                  for t, v in sorted(r.sanitized.items()) for s in v]
        lines += ["- flaky: {} ({} at first, passed when run again)".format(t, o)
                  for t, o in r.flaky]
        if lines:
            md += ["## {} {}".format(r.target, r.mode), ""] + lines + [""]
    (out_dir / "report.json").write_text(json.dumps(data, indent=1) + "\n")
    (out_dir / "report.md").write_text("\n".join(md))
    return out_dir / "report.json", out_dir / "report.md"
