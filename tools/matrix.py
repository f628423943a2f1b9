"""`./inv matrix`: MicroPython releases side by side, each fetched, built, tested and benched.

Each release gets its own tree (<micropython_dir>-<ref>, e.g. lib/micropython-v1.28.0) and its
own build folder (<build_dir>/<ref>/<target>/), so a release built once is neither fetched nor
rebuilt again, and the pinned release's lib/micropython and build/ are left alone. For each
release and target the report says whether it built, its firmware's size, and what the kernel
suite gave there (every kernel's tests, the harness and deploy: tests/test_kernels.py,
tests/test_<kernel>.py, test_harness.py, test_deploy.py); on the emulator it also runs the bench,
whose exact counts show how the native and viper emitters' code changed from release to
release. A release that fails to fetch or build is reported, not fatal for the others.
"""

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tools import bench as benching
from tools import build as building
from tools import kernels as declared
from tools.platforms import TARGETS
from tools.settings import Layout
from tools.util import elf_size, git

FIRST = (1, 24, 0)  # ports/qemu exists from v1.24.0


def release_tags(url):
    """[(version tuple, tag)] of the releases at url from FIRST on, oldest first (git
    ls-remote: no clone needed)."""
    r = git(["ls-remote", "--tags", url], None)
    if r.returncode:
        raise building.BuildError("matrix: cannot list the releases at {} ({}); check the "
                                  "network or your url.<dir>.insteadOf mirror".format(
                                      url, (r.stderr.strip().splitlines() or ["no output"])[-1]))
    return pick(line.split("refs/tags/", 1)[-1] for line in r.stdout.splitlines())


def pick(tags):
    """The release tags (vX.Y.Z, no previews) from FIRST on, as sorted [(version, tag)]."""
    found = set()
    for tag in tags:
        m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", tag.strip())
        if m and tuple(map(int, m.groups())) >= FIRST:
            found.add((tuple(map(int, m.groups())), tag.strip()))
    return sorted(found)


def default_refs(tags):
    """The newest patch release of every minor release from v1.24 on: what the matrix builds
    when no --refs are given (v1.24.1, v1.25.0, v1.26.1, ...)."""
    newest = {}
    for version, tag in pick(tags):
        newest[version[:2]] = tag
    return [newest[k] for k in sorted(newest)]


def layout_for(base, ref):
    """Where release ref lives, beside base (the settings' layout)."""
    return Layout(base.build / ref, "{}-{}".format(base.micropython, ref), ref, base.root)


def suite_files(root):
    """The kernel suite: every kernel's own tests, the generic ones, the harness and deploy."""
    tests = Path(root) / "tests"
    files = [tests / "test_kernels.py", tests / "test_harness.py", tests / "test_deploy.py"]
    files += [tests / (k.test_module + ".py") for k in declared.discover(root).values()]
    return [str(f) for f in files if f.exists()]


def count_by_target(junit, targets):
    """{target: {"passed", "failed", "skipped"}} from a JUnit XML file; a test belongs to the
    target named among its parameters (host-only tests to "host")."""
    counts = {t: {"passed": 0, "failed": 0, "skipped": 0} for t in list(targets) + ["host"]}
    for case in ET.parse(junit).getroot().iter("testcase"):
        params = re.search(r"\[(.*)\]$", case.get("name", ""))
        owner = "host"
        if params:
            owner = next((t for t in sorted(targets, key=len, reverse=True)
                          if re.search(r"(^|-){}($|-)".format(re.escape(t)), params.group(1))),
                         "host")
        kids = {child.tag for child in case}
        outcome = "failed" if kids & {"failure", "error"} else \
            "skipped" if "skipped" in kids else "passed"
        counts[owner][outcome] += 1
    return counts


def run_suite(layout, targets, junit, extra=()):
    """Run the kernel suite on layout's firmware for the runnable targets; the pytest exit
    code (counts come from junit)."""
    cmd = [sys.executable, "-m", "pytest", *suite_files(layout.root), "-q", "-p",
           "no:cacheprovider", "--target", ",".join(targets), "--build-dir", str(layout.build),
           "--micropython-dir", str(layout.micropython), "--ref", layout.ref,
           "--junitxml", str(junit), *extra]
    return subprocess.call(cmd, cwd=layout.root, stdin=subprocess.DEVNULL)


def run(base, refs, targets, url, jobs, tests=True, bench=True, repeat=3, echo=print):
    """Fetch, build, test and bench each release of refs; the report dict."""
    from tools.targets import QemuTarget, TargetError, TargetTimeout

    firmwares = building.firmwares(targets)
    report = {"targets": [f.name for f in firmwares], "releases": []}
    for ref in refs:
        layout = layout_for(base, ref)
        entry = {"ref": ref, "built": {}, "size": {}, "tests": {}, "bench": None,
                 "release": None}
        report["releases"].append(entry)
        echo("[matrix] {}: {} -> {}/".format(ref, layout.rel(layout.micropython),
                                             layout.rel(layout.build)))
        # The tree once, then each target's submodules: one that cannot be fetched (the
        # Pyboard's, for a release that pins a newer one than the mirror has) costs only the
        # targets that need it.
        fetched = []
        for group in [[]] + [[f] for f in firmwares]:
            try:
                building.fetch(layout, url, group)
                fetched += group
            except building.BuildError as e:
                echo(str(e))
                for f in group or firmwares:
                    entry["built"][f.name] = "not fetched: " + _public(str(e))
                if not group:
                    break
        if not fetched:
            continue
        entry["release"] = layout.release()
        for f in fetched:
            try:
                building.build(layout, [f], jobs)
            except building.BuildError as e:
                entry["built"][f.name] = _public(str(e))
                continue
            entry["built"][f.name] = "yes"
            size = elf_size(building.firmware_path(layout, f.name))
            entry["size"][f.name] = size.flash if size else None  # text + data: its flash
        # The targets the suite can run here: every one but a real board's.
        runnable = [n for n, p in TARGETS.items()
                    if p.runner != "board" and entry["built"].get(p.name) == "yes"]
        if tests and runnable:
            junit = layout.build / "matrix-tests.xml"
            junit.unlink(missing_ok=True)
            started = time.monotonic()
            code = run_suite(layout, runnable, junit)
            entry["tests_seconds"] = round(time.monotonic() - started)
            if junit.exists():
                entry["tests"] = count_by_target(junit, runnable)
            else:
                entry["tests"] = {"error": "pytest exited with {} and no report".format(code)}
        if bench and entry["built"].get("qemu") == "yes":
            runner = QemuTarget(building.firmware_path(layout, "qemu"))
            try:
                rep = benching.collect(runner, list(declared.discover(layout.root)), repeat,
                                       layout)
                entry["bench"] = {"{} {}".format(r["kernel"], r["rung"]): r["per_unit"]
                                  for r in rep["rows"]}
                entry["units"] = {r["kernel"]: r["unit_of_work"] for r in rep["rows"]}
            except (TargetError, TargetTimeout) as e:
                entry["bench"] = {"error": str(e).strip().splitlines()[-1:]}
            finally:
                runner.close()
    return report


def failures(report):
    """One line per release and target that did not build, or failed a test."""
    lines = []
    for e in report["releases"]:
        for target, built in e["built"].items():
            if built != "yes":
                lines.append("{} {}: {}".format(e["ref"], target, built))
        for target, c in e["tests"].items():
            if target == "error":
                lines.append("{}: {}".format(e["ref"], c))
            elif c["failed"]:
                lines.append("{} {}: {} tests failed".format(e["ref"], target, c["failed"]))
    return lines


def markdown(report):
    """The two tables: release x target, then each rung's counts across releases."""
    targets = report["targets"]
    lines = ["| release | " + " | ".join(targets) + " |",
             "| --- | " + " | ".join("---" for _ in targets) + " |"]
    for e in report["releases"]:
        cells = []
        for t in targets:
            built = e["built"].get(t, "")
            if built != "yes":
                cells.append("not built" + (": " + _short(built) if built else ""))
                continue
            cell = "built, {:,} bytes".format(e["size"][t]) if e["size"].get(t) else "built"
            c = e["tests"].get(t)
            if c:
                cell += "; {} passed, {} failed".format(c["passed"], c["failed"])
                if c["skipped"]:
                    cell += ", {} skipped".format(c["skipped"])
            cells.append(cell)
        lines.append("| {} | {} |".format(e["ref"], " | ".join(cells)))
    host = [e for e in report["releases"] if e["tests"].get("host")]
    if host:
        lines += ["", "Host-side tests of the same runs (deploy's compiling and version rules): " +
                  ", ".join("{} {} passed, {} failed".format(
                      e["ref"], e["tests"]["host"]["passed"], e["tests"]["host"]["failed"])
                      for e in host) + "."]
    benched = [e for e in report["releases"] if e.get("bench") and "error" not in e["bench"]]
    if benched:
        rows = list(dict.fromkeys(k for e in benched for k in e["bench"]))
        units = {}
        for e in benched:
            units.update(e.get("units", {}))
        lines += ["", "Emulator instructions per unit of work (`-icount shift=0`: exact):", "",
                  "| kernel | rung | unit | " + " | ".join(e["ref"] for e in benched) + " |",
                  "| --- | --- | --- | " + " | ".join("---:" for _ in benched) + " |"]
        for key in rows:
            kernel, rung = key.split(" ", 1)
            values = [e["bench"].get(key) for e in benched]
            first = next((v for v in values if v), None)
            cells = []
            for v in values:
                if v is None:
                    cells.append("")
                elif first and v != first:
                    cells.append("{:,.2f} ({:+.0%})".format(v, v / first - 1))
                else:
                    cells.append("{:,.2f}".format(v))
            lines.append("| {} | {} | {} | {} |".format(kernel, rung, units.get(kernel, ""),
                                                         " | ".join(cells)))
    return "\n".join(lines)


def _public(message):
    """An error as the report keeps it: git's words may name a local path (a mirror that
    url.<dir>.insteadOf points at), which a committed report must not."""
    return re.sub(r"""(?<![\w:/.])(?:file://)?/[^\s'":\]]+""", "<local path>", message)


def _short(text):
    return text.strip().splitlines()[-1][:120] if text.strip() else ""


def chart(report, path):
    """One panel per kernel: each rung's instructions per unit across releases (log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    benched = [e for e in report["releases"] if e.get("bench") and "error" not in e["bench"]]
    if not benched:
        return False
    kernels = list(dict.fromkeys(k.split(" ")[0] for e in benched for k in e["bench"]))
    refs = [e["ref"] for e in benched]
    cols = min(3, len(kernels))
    rows = (len(kernels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), dpi=100,
                             squeeze=False)
    # One colour per rung in every panel, so asm is the same line for each kernel.
    rungs = list(dict.fromkeys(k.split(" ", 1)[1] for e in benched for k in e["bench"]))
    colour = {r: "C{}".format(i % 10) for i, r in enumerate(rungs)}
    for ax, kernel in zip(axes.flat, kernels):
        keys = list(dict.fromkeys(k for e in benched for k in e["bench"]
                                  if k.split(" ")[0] == kernel))
        for key in keys:
            rung = key.split(" ", 1)[1]
            ax.plot(refs, [e["bench"].get(key) for e in benched], marker="o", label=rung,
                    color=colour[rung])
        ax.set_yscale("log")
        ax.set_title(kernel, fontsize="medium")
        ax.tick_params(axis="x", labelrotation=45, labelsize="small")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize="x-small", ncol=2)
    for ax in list(axes.flat)[len(kernels):]:
        ax.axis("off")
    fig.suptitle("Emulator instructions per unit of work, by MicroPython release")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def write(report, folder):
    """build/matrix/matrix.{json,md,png}; the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "matrix.json", folder / "matrix.md"]
    paths[0].write_text(json.dumps(report, indent=1) + "\n")
    paths[1].write_text(markdown(report) + "\n")
    if chart(report, folder / "matrix.png"):
        paths.append(folder / "matrix.png")
    return paths


def write_docs(report, docs, firmware):
    """docs/compatibility.{md,json,png} from a matrix run."""
    docs = Path(docs)
    (docs / "compatibility.json").write_text(json.dumps(report, indent=1) + "\n")
    has_chart = chart(report, docs / "compatibility.png")
    (docs / "compatibility.md").write_text(DOCS_TEMPLATE.format(
        firmware=firmware,
        refs=", ".join(e["ref"] for e in report["releases"]),
        chart="![each rung across releases](compatibility.png)\n" if has_chart else "",
        tables=markdown(report)))


DOCS_TEMPLATE = """\
# Compatibility: MicroPython releases side by side

Regenerate with `./inv matrix --docs` (it rewrites this file, `compatibility.json` and
`compatibility.png`). Firmware `{firmware}`; releases {refs}.

Each release is fetched into its own tree and built into `build/<ref>/<target>/`; the kernel
suite (every kernel's tests on every rung, the harness and deploy) runs on each build, and the
bench on the emulator. Its counts are instructions (QEMU `-icount shift=0`): the same code
gives the same count, so a change between two releases is a change of the code MicroPython
generates or runs (the native and viper emitters, the runtime's helpers), not noise. The
Pyboard builds only where a release's submodules can be fetched (see the README).

{chart}
{tables}
"""
