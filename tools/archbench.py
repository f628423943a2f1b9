"""Host side of `invoke bench --arch`: the ladder on every core, from the mip packages.

For each arch, its package (tools/package.py) is installed on a stock emulated board of that
core (BOARDS: upstream's firmware, or ours without fastpath) and fastpath.bench runs there as
on our firmware (tools/bench.py collects it): every rung of every kernel the package has,
counted in guest instructions under -icount shift=0. The MPS2 boards count with their CMSDK
timer (fastpath.timing, as on our firmware); QEMU's virt board with the core's instruction
counter minstret (fastpath_rv32). One report per arch, and a combined table, chart and JSON
(docs/architectures.*).
"""

import json
import time
from pathlib import Path

from tools import bench, package
from tools.build import BuildError, say
from tools.platforms import PLATFORMS
from tools.targets import from_literal

# arch: (the platform of the stock board it runs on, tools/platforms.py, and what its
# counts are). A platform with `ram` has no filesystem: the package goes into one in that RAM
# (tests/target/ramfs.py); qemu-stock has a filesystem of its own (/flash).
BOARDS = {
    "armv6m": ("qemu-an385", "Cortex-M0+ instructions (Thumb-1 code), executed by a Cortex-M3"),
    "armv7m": ("qemu-an385", "Cortex-M3 instructions"),
    "armv7emsp": ("qemu-stock", "Cortex-M4 instructions"),
    "rv32imc": ("qemu-rv32", "RISC-V instructions (RV32IMC code)"),
}
# The core each arch's figures stand for, in the tables.
CORE = {"armv6m": "M0+", "armv7m": "M3", "armv7emsp": "M4", "rv32imc": "RV32"}
RAMFS = Path("tests") / "target" / "ramfs.py"

MOUNT = """
_fs = RamFS({region!r})
vfs.mount(_fs, "/ram")
sys.path.append("/ram/lib")
"""
STATE = "print('RAMFS', repr((_fs.files, sorted(_fs.dirs), _fs.top)))\n"
RESTORE = "_fs.files, _fs.dirs, _fs.top = {!r}, set({!r}), {!r}\n"


def arches(names):
    """The archs of a comma-separated string, each one of BOARDS."""
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()]
    unknown = [n for n in wanted if n not in BOARDS]
    if unknown or not wanted:
        raise BuildError("bench: unknown arch '{}'; choose from: {}".format(
            ",".join(unknown) or names, ", ".join(BOARDS)))
    return wanted


class RamBoard:
    """An upstream qemu board with the package in a RAM filesystem (tests/target/ramfs.py),
    for tools.bench.collect(): its soft_reset() resets the interpreter and mounts the same
    files again (a soft reset unmounts them; their bytes stay where they are, in RAM the
    firmware does not use)."""

    def __init__(self, layout, board_target, name):
        from tools.build import firmware_path
        from tools.targets import runner

        self.name = name
        self.region = PLATFORMS[board_target].ram
        self.ramfs = (layout.root / RAMFS).read_text()
        self.target = runner(board_target, firmware_path(layout, board_target))
        self.target.start()
        self.state = None

    def _mount(self):
        code = self.ramfs + MOUNT.format(region=self.region)
        if self.state:
            code += RESTORE.format(*self.state)
        self.target.run(code)

    def install(self, package_json):
        from tools.targets import SerialTarget, _open_repl

        self._mount()
        SerialTarget.close(self.target)  # let mpremote have the pty; the emulator runs on
        package.mip_install(self.target.device, package_json, target="/ram/lib", resume=True)
        self.target.transport = _open_repl(self.target.device, soft_reset=False)
        out = self.target.run(STATE)
        self.state = from_literal(out.split("RAMFS ", 1)[1].splitlines()[0])

    def soft_reset(self):
        self.target.soft_reset()
        self._mount()

    def run(self, code, timeout=None):
        return self.target.run(code, timeout=timeout)

    def close(self):
        self.target.stop()


class FlashBoard:
    """Our emulated Cortex-M4 without fastpath (qemu-stock): the package in its /flash."""

    def __init__(self, layout, board_target, name):
        from tools.build import firmware_path
        from tools.targets import runner

        self.name = name
        self.target = runner(board_target, firmware_path(layout, board_target))
        self.target.start()

    def install(self, package_json):
        from tools.targets import SerialTarget

        SerialTarget.close(self.target)
        package.mip_install(self.target.device, package_json)

    def soft_reset(self):
        self.target.soft_reset()

    def run(self, code, timeout=None):
        return self.target.run(code, timeout=timeout)

    def close(self):
        self.target.stop()


def board(layout, arch):
    """The stock board of arch, booted, with arch's package installed."""
    target, _ = BOARDS[arch]
    cls = RamBoard if PLATFORMS[target].ram else FlashBoard
    b = cls(layout, target, "{}/{}".format(target, arch))
    try:
        b.install(package.package(layout, arch))
    except BaseException:
        b.close()
        raise
    return b


def collect(layout, arch, kernels, repeat, progress=None):
    """The bench report of arch's package on its stock board, with what ran it and how long
    the run took (install included)."""
    t0 = time.monotonic()
    b = board(layout, arch)
    try:
        names = [k for k in kernels if k in _present(b)]
        rep = bench.collect(b, names, repeat, layout, progress=progress)
    finally:
        b.close()
    target, counts = BOARDS[arch]
    rep.update({"arch": arch, "board": target, "core": PLATFORMS[target].core, "counts": counts,
                "seconds": round(time.monotonic() - t0, 1)})
    return rep


def _present(b):
    # The kernels the package has on this board (fastpath.KERNELS: toggle needs our pin).
    out = b.run("import fastpath\nprint(sorted(fastpath.KERNELS))")
    return from_literal(out.strip().splitlines()[-1])


# --- the combined report ------------------------------------------------------------------


def ladder(reps):
    """The rungs of every report, in ladder order."""
    order = list(dict.fromkeys(t for rep in reps for t in rep["rungs"]))
    return [t for t in order if any(r["rung"] == t for rep in reps for r in rep["rows"])]


def table(reps, pyboard=None):
    """One Markdown table: per kernel and rung, each core's count per unit of work, x py and
    x the rung below. pyboard: docs/benchmarks.json's report (our firmware on the emulated
    M4), put beside the armv7emsp package's."""
    cols = [(CORE.get(r.get("arch"), r.get("arch")), r) for r in reps]
    if pyboard:
        cols.append(("M4, our firmware", pyboard))
    head = "| kernel | rung | " + " | ".join(name for name, _ in cols) + " |"
    lines = [head, "| --- | --- | " + " | ".join("---:" for _ in cols) + " |"]
    kernels = list(dict.fromkeys(r["kernel"] for rep in reps for r in rep["rows"]))
    rungs = ladder(reps + ([pyboard] if pyboard else []))
    for kernel in kernels:
        unit = next(r["unit_of_work"] for rep in reps for r in rep["rows"]
                    if r["kernel"] == kernel)
        for rung in rungs:
            cells = []
            for _, rep in cols:
                r = bench._row(rep, kernel, rung)
                if not r or r["peer"]:
                    cells.append("")
                    continue
                cells.append("{:,.2f} ({}{})".format(
                    r["per_unit"],
                    "{:.0f}x".format(r["vs_py"]) if r["vs_py"] and rung != "py" else "py",
                    ", {:.2f}x".format(r["vs_prev"]) if r["vs_prev"] else ""))
            if any(cells):
                lines.append("| {} | {} | {} |".format(
                    kernel, "{} (per {})".format(rung, unit) if rung == "py" else rung,
                    " | ".join(cells)))
    return "\n".join(lines)


def summary(reps):
    """Per arch: its board, what a count is, how long the run took."""
    lines = ["| arch | board | a count is | kernels | rungs | bench time |",
             "| --- | --- | --- | ---: | --- | ---: |"]
    for rep in reps:
        lines.append("| {} | {} | {} | {} | {} | {:.0f} s |".format(
            rep["arch"], rep["core"], rep["counts"], len(bench._kernels(rep)),
            " ".join(ladder([rep])), rep["seconds"]))
    return "\n".join(lines)


def viper_goal(reps):
    """[(arch, kernel, viper x py)]: the ladder's 20x goal, per core."""
    out = []
    for rep in reps:
        for kernel in bench._kernels(rep):
            r = bench._row(rep, kernel, "viper")
            if r and r["vs_py"]:
                out.append((rep["arch"], kernel, r["vs_py"]))
    return out


def chart(reps, path, pyboard=None):
    """Per kernel, one panel: each rung's count per unit on each core (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [(CORE.get(r["arch"], r["arch"]), r) for r in reps]
    if pyboard:
        cols.append(("M4 ours", pyboard))
    kernels = list(dict.fromkeys(r["kernel"] for rep in reps for r in rep["rows"]))
    rungs = [t for t in ladder([rep for _, rep in cols])
             if any(bench._row(rep, k, t) for k in kernels for _, rep in cols)]
    fig, axes = plt.subplots(1, len(kernels), figsize=(4 * len(kernels), 4.6), dpi=100,
                             squeeze=False)
    width = 0.8 / len(cols)
    for ax, kernel in zip(axes[0], kernels):
        for i, (name, rep) in enumerate(cols):
            xs, ys = [], []
            for k, rung in enumerate(rungs):
                r = bench._row(rep, kernel, rung)
                if r:
                    xs.append(k + (i - (len(cols) - 1) / 2) * width)
                    ys.append(r["per_unit"])
            ax.bar(xs, ys, width, label=name)
        unit = next(r["unit_of_work"] for rep in reps for r in rep["rows"]
                    if r["kernel"] == kernel)
        ax.set_yscale("log")
        ax.set_xticks(range(len(rungs)))
        ax.set_xticklabels(rungs, fontsize="small")
        ax.set_title("{} (instructions per {})".format(kernel, unit), fontsize="medium")
        ax.grid(axis="y", which="major", alpha=0.3)
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(reps, folder):
    """build/bench/arch-<arch>.json per arch and architectures.md (the combined table)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for rep in reps:
        p = folder / "arch-{}.json".format(rep["arch"])
        p.write_text(json.dumps(rep, indent=1) + "\n")
        paths.append(p)
    p = folder / "architectures.md"
    p.write_text(summary(reps) + "\n\n" + table(reps) + "\n")
    return paths + [p]


def write_docs(reps, docs, pyboard):
    """docs/architectures.json (every arch's report) and .png, and the generated part of
    docs/architectures.md: the text between its GENERATED markers is replaced."""
    docs = Path(docs)
    (docs / "architectures.json").write_text(json.dumps(
        {"arches": {rep["arch"]: rep for rep in reps}}, indent=1) + "\n")
    chart(reps, docs / "architectures.png", pyboard)
    md = docs / "architectures.md"
    generated = "{}\n\n{}\n".format(summary(reps), table(reps, pyboard))
    text = md.read_text() if md.exists() else BEGIN + "\n" + END + "\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    md.write_text(head + BEGIN + "\n" + generated + END + tail)
    return [docs / "architectures.json", docs / "architectures.png", md]


BEGIN = "<!-- generated by ./inv bench --arch ... --docs: begin -->"
END = "<!-- generated: end -->"


def compare(baseline, current, tolerance=0.03):
    """(problems, new kernels) of each arch's report against docs/architectures.json, as
    tools.bench.compare checks docs/benchmarks.json: problems named with their arch."""
    problems, new = [], []
    for arch, rep in current.items():
        base = baseline["arches"].get(arch)
        if base is None:
            problems.append("{}: no figures recorded".format(arch))
            continue
        p, n = bench.compare(base, rep, tolerance)
        problems += ["{}: {}".format(arch, x) for x in p]
        new += ["{}: {}".format(arch, x) for x in n]
    return problems, new


def run(layout, names, kernels, repeat, progress=None):
    """Every arch of names benched in turn: [report]."""
    reps = []
    for arch in arches(names):
        say("bench", "{}: the package on {}".format(arch, PLATFORMS[BOARDS[arch][0]].core))
        reps.append(collect(layout, arch, kernels, repeat, progress))
    return reps
