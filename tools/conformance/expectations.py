"""What our configuration may fail or skip: the entries of expected.py (EXPECTED), each with
its targets, modes, test pattern, result and reason, loaded and checked here. Judging a run
against them is reports.py's job; upstream's own results are upstream.py's."""

import fnmatch
import re
import runpy
from dataclasses import dataclass
from pathlib import Path

from tools.conformance.runs import QEMU_MODES, TARGETS, UNIX_MODES

EXPECTED_FILE = Path(__file__).resolve().with_name("expected.py")


@dataclass
class Expectation:
    targets: tuple
    modes: tuple  # ("*",) for every mode
    pattern: str  # a test path, or an fnmatch pattern of them
    result: str  # "fail", "skip", or "flaky" (fails at times: no note when it passes)
    reason: str
    report: str = ""  # for a sanitizer failure: the report's file:line in MicroPython's tree,
    # or the ASan kind of report (stack-overflow) where the line depends on the run

    def matches(self, target, mode, test):
        return (
            target in self.targets
            and (self.modes == ("*",) or mode in self.modes)
            and fnmatch.fnmatchcase(test, self.pattern)
        )


def _names(text, allowed, what, where):
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names == ("*",):
        return allowed if what == "target" else names
    bad = [n for n in names if n not in allowed]
    if not names or bad:
        raise ValueError("{}: unknown {} {!r}; choose from {} or *".format(
            where, what, bad[0] if bad else text, ", ".join(allowed)))
    return names


def load_expected(path=EXPECTED_FILE):
    """The EXPECTED entries of path, checked: [Expectation]. Bad entries are ValueError."""
    path = Path(path)
    entries = runpy.run_path(str(path)).get("EXPECTED")
    if not isinstance(entries, list):
        raise ValueError("{}: no EXPECTED = [...] list".format(path))
    all_modes = tuple(dict.fromkeys(list(UNIX_MODES) + list(QEMU_MODES)))
    out = []
    for i, entry in enumerate(entries):
        where = "{} entry {}".format(path.name, i + 1)
        if not isinstance(entry, tuple) or len(entry) not in (5, 6) or not all(
            isinstance(x, str) for x in entry
        ):
            raise ValueError("{}: want (targets, modes, test, result, reason[, report]), all "
                             "strings; got {!r}".format(where, entry))
        targets, modes, pattern, result, reason = entry[:5]
        report = entry[5] if len(entry) == 6 else ""
        if result not in ("fail", "skip", "flaky"):
            raise ValueError("{}: result must be 'fail', 'skip' or 'flaky', not {!r}".format(
                where, result))
        if not reason.strip():
            raise ValueError("{}: {} has no reason".format(where, pattern))
        if report and not re.fullmatch(r"[\w./-]+\.[ch]:\d+|[a-z][a-z-]+", report):
            raise ValueError("{}: report must be file.c:line or an ASan kind, not {!r}".format(
                where, report))
        out.append(Expectation(_names(targets, TARGETS, "target", where),
                               _names(modes, all_modes, "mode", where), pattern, result,
                               reason.strip(), report))
    return out
