"""Host side of `invoke bench`: run fastpath.bench on a target, then report.

The target prints what it measured (frozen/fastpath/bench.py): the unit of its counts, the
ladder's rungs, and one BENCH line per kernel and rung with the kernel's own unit of work and
workload. This module turns them into rows with per-unit costs and speed-ups, a Markdown
table, JSON and a PNG chart, and checks the figures against the goals: each kernel's own
(GOALS in its file, read by tools/kernels.py) and the ladder's (LADDER_GOALS, for every kernel).
"""

import json
from pathlib import Path

from tools import kernels as declared
from tools.targets import from_literal
from tools.util import elf_size, git_describe

# Goals for every kernel: (rung, other rung, at least this many times faster).
LADDER_GOALS = (("opt", "py", 1.0), ("native", "opt", 1.8), ("viper", "py", 20.0))


def collect(target, kernels, repeat, layout, progress=None):
    """Run the bench of each kernel on target (a tools.targets runner); the report dict."""
    lines = []
    unit = rungs = cpu_hz = build = None
    heap = {}
    for i, kernel in enumerate(kernels):
        if progress:
            progress("bench: {} ({}/{}) on {}".format(kernel, i + 1, len(kernels), target.name))
        # Each kernel on a freshly reset interpreter (unix: a new process each run anyway):
        # what its rungs cost then depends on the kernel alone, not on what the kernels
        # measured before it left on the heap.
        if hasattr(target, "soft_reset"):
            target.soft_reset()
        out = target.run(
            "import fastpath.bench\nfastpath.bench.run([{!r}], {})\n".format(kernel, repeat),
            timeout=600,
        )
        for line in out.splitlines():
            if line.startswith("BENCH_UNIT "):
                unit = from_literal(line.split(" ", 1)[1])
            elif line.startswith("BENCH_RUNGS "):
                rungs = from_literal(line.split(" ", 1)[1])
            elif line.startswith("BENCH_HEAP "):
                kernel, used = from_literal(line.split(" ", 1)[1])
                heap[kernel] = used
            elif line.startswith("BENCH_CLOCK "):
                cpu_hz = from_literal(line.split(" ", 1)[1])
            elif line.startswith("BENCH_BUILD "):
                build = from_literal(line.split(" ", 1)[1])
            elif line.startswith("BENCH "):
                lines.append(from_literal(line.split(" ", 1)[1]))
    rep = report(target.name, unit, rungs or (), lines, repeat, cpu_hz=cpu_hz, build=build)
    rep["heap"] = heap
    # What the board itself says it runs; the host's checkouts only when it cannot say.
    rep["firmware"] = build["fastpath"] if build else git_describe(layout.root, "--always",
                                                                  "--dirty")
    rep["micropython"] = (build["micropython"] if build
                          else git_describe(layout.micropython, "--tags"))
    return rep


def report(target_name, unit, rungs, lines, repeat, cpu_hz=None, build=None):
    """Rows with per-unit cost and speed-ups from the target's raw (kernel, rung, units, min,
    median, calls, unit of work, workload) tuples. Rows of one kernel come in ladder order,
    its peers (MicroPython's own implementations) after them. cpu_hz is the core clock the
    board reported while it ran (board.cpu_hz()), build its fastpath.BUILD: both are recorded
    with the results."""
    rows = []
    workloads = {}
    kernels = []
    for line in lines:
        if line[0] not in kernels:
            kernels.append(line[0])
    for kernel in kernels:
        prev = py = None
        for k, rung, units, lo, med, calls, unit_of_work, workload in lines:
            if k != kernel:
                continue
            workloads[kernel] = workload
            per_call = lo / calls
            row = {
                "kernel": kernel,
                "rung": rung,
                "units": units,
                "unit_of_work": unit_of_work,
                "min": lo,
                "median": med,
                "calls": calls,
                "per_call": per_call,
                "per_unit": per_call / units,
                "peer": rung not in rungs,
            }
            if rung == "py":
                py = per_call
            row["vs_py"] = py / per_call if py else None
            # Speed-up over the previous rung of our own ladder (peers are compared with c).
            row["vs_prev"] = prev / per_call if prev and not row["peer"] else None
            if not row["peer"]:
                prev = per_call
            rows.append(row)
    build = build if isinstance(build, dict) else None
    return {
        "target": target_name,
        "unit": unit,
        "rungs": list(rungs),
        "cpu_hz": cpu_hz,
        "build": build,
        "repeat": repeat,
        "workloads": workloads,
        "rows": rows,
    }


def _cost_heading(unit):
    return {
        "instructions": "instructions",
        "cycles": "cycles",
        "us": "ns",
    }.get(unit, unit)


def _per_call(row, unit):
    # The figure shown for one call: instructions or cycles as counted, unix in nanoseconds.
    return row["per_call"] * 1000 if unit == "us" else row["per_call"]


def markdown(rep):
    unit = rep["unit"]
    head = _cost_heading(unit)
    lines = []
    if unit == "cycles":
        hz = rep.get("cpu_hz")
        lines += ["Core clock: {}.".format(
            "{:g} MHz, as machine.freq() reported it".format(hz / 1e6) if hz
            else "not reported, so no times are given"), ""]
    lines += [
        "| kernel | rung | {} per call | median | {} per unit | x py | x previous rung |".format(
            head, head
        ),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rep["rows"]:
        scale = 1000 if unit == "us" else 1
        extra = ""
        hz = rep.get("cpu_hz")
        if unit == "cycles" and hz:  # at the clock the board reported, not an assumed one
            extra = " ({:.1f} us = {:,.0f} {}s/s)".format(
                r["per_call"] / hz * 1e6, hz / r["per_unit"], r["unit_of_work"])
        lines.append(
            "| {} | {} | {:,.0f}{} | {:,.0f} | {:.2f} per {} | {} | {} |".format(
                r["kernel"],
                r["rung"],
                _per_call(r, unit),
                extra,
                r["median"] / r["calls"] * scale,
                r["per_unit"] * scale,
                r["unit_of_work"],
                "{:.1f}x".format(r["vs_py"]) if r["vs_py"] else "",
                "{:.2f}x".format(r["vs_prev"]) if r["vs_prev"] else "",
            )
        )
    return "\n".join(lines)


def _row(rep, kernel, rung):
    for r in rep["rows"]:
        if r["kernel"] == kernel and r["rung"] == rung:
            return r
    return None


def goals(rep, kernels=None):
    """[(goal, measured, met)]: each kernel's GOALS and the LADDER_GOALS; emulator only."""
    out = []
    if rep["unit"] != "instructions":
        return out
    kernels = kernels if kernels is not None else declared.discover()
    for kernel in dict.fromkeys(r["kernel"] for r in rep["rows"]):
        k = kernels.get(kernel)
        for goal in k.goals if k else ():
            if len(goal) == 2:  # (rung, at most this many instructions a unit)
                r = _row(rep, kernel, goal[0])
                text = "{} {} <= {} instructions/{}".format(kernel, goal[0], goal[1], k.unit)
                out.append((text, "{:.2f}".format(r["per_unit"]) if r else "missing",
                            bool(r) and r["per_unit"] <= goal[1]))
            else:  # (rung, "x", other, at least this many times faster)
                out.append(_ratio(rep, kernel, goal[0], goal[2], goal[3]))
        for rung, other, ratio in LADDER_GOALS if not k or k.ladder_goals else ():
            if _row(rep, kernel, rung) and _row(rep, kernel, other):
                out.append(_ratio(rep, kernel, rung, other, ratio))
    return out


def _ratio(rep, kernel, rung, other, ratio):
    a, b = _row(rep, kernel, rung), _row(rep, kernel, other)
    text = "{} {} >= {}x over {}".format(kernel, rung, ratio, other)
    if not (a and b):
        return (text, "missing", False)
    x = b["per_call"] / a["per_call"]
    return (text, "{:.2f}x".format(x), x >= ratio if ratio > 1 else x > ratio)


def goals_markdown(rep):
    rows = goals(rep)
    if not rows:
        return ""
    lines = ["| goal | measured | met |", "| --- | ---: | :---: |"]
    lines += ["| {} | {} | {} |".format(g, m, "yes" if ok else "**no**") for g, m, ok in rows]
    return "\n".join(lines)


def _kernels(rep):
    # The kernels of a report, in the order measured.
    return list(dict.fromkeys(r["kernel"] for r in rep["rows"]))


def chart(rep, path):
    """A log-scale bar chart: one group per kernel, one bar per rung."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = {r["rung"] for r in rep["rows"]}
    # Ladder order, then the peers (MicroPython's own implementations).
    ladder = rep["rungs"]
    rungs = [t for t in ladder if t in present] + sorted(present - set(ladder))
    kernels = _kernels(rep)
    units = {r["kernel"]: r["unit_of_work"] for r in rep["rows"]}
    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=100)
    width = 0.8 / len(rungs)
    for i, rung in enumerate(rungs):
        xs, ys = [], []
        for k, kernel in enumerate(kernels):
            r = _row(rep, kernel, rung)
            if r:
                xs.append(k + (i - (len(rungs) - 1) / 2) * width)
                ys.append(r["per_unit"] * (1000 if rep["unit"] == "us" else 1))
        ax.bar(xs, ys, width, label=rung)
    ax.set_yscale("log")
    ax.set_xticks(range(len(kernels)))
    ax.set_xticklabels(["{}\n(per {})".format(k, units[k]) for k in kernels])
    ax.set_ylabel("{} per unit of work (log scale)".format(_cost_heading(rep["unit"])))
    ax.set_title("fastpath ladder on {} ({}, MicroPython {})".format(
        rep["target"], rep["firmware"], rep["micropython"]))
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.legend(ncol=len(rungs), fontsize="small", loc="upper center",
              bbox_to_anchor=(0.5, -0.14), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(rep, folder, json_path=None):
    """Write <folder>/bench-<target>.{json,md,png} (build/bench/); return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / "bench-{}".format(rep["target"])
    paths = [Path(json_path) if json_path else stem.with_suffix(".json"),
             stem.with_suffix(".md"), stem.with_suffix(".png")]
    paths[0].write_text(json.dumps(rep, indent=1) + "\n")
    paths[1].write_text(markdown(rep) + "\n")
    chart(rep, paths[2])
    return paths


def costs(rep, layout, folder="qemu"):
    """What each kernel of a report costs besides time: its heap at first use (from the
    board), the size of its frozen modules (.mpy: bytecode, native code, tables) and of its
    C rung (the object's text and data), from the build folder."""
    out = layout.out(folder)
    rows = []
    for kernel in _kernels(rep):
        mpy = [out / "frozen_mpy" / "fastpath" / "kernels" / (kernel + ".mpy"),
               out / "frozen_mpy" / "fastpath_thumb" / (kernel + ".mpy")]
        obj = out / "fastpath" / (kernel + ".o")
        size = elf_size(obj) if obj.exists() else None
        rows.append({
            "kernel": kernel,
            "heap": rep.get("heap", {}).get(kernel),
            "frozen": sum(p.stat().st_size for p in mpy if p.exists()),
            "asm": mpy[1].exists(),
            "c": size.flash if size else None,
        })
    return rows


def costs_markdown(rows):
    lines = ["| kernel | heap at first use | frozen code, tables (.mpy) | C rung (text, data) |",
             "| --- | ---: | ---: | ---: |"]
    for r in rows:
        lines.append("| {} | {} | {:,} bytes{} | {} |".format(
            r["kernel"], "{:,} bytes".format(r["heap"]) if r["heap"] is not None else "",
            r["frozen"], " (with its asm rung)" if r["asm"] else "",
            "{:,} bytes".format(r["c"]) if r["c"] else "none"))
    return "\n".join(lines)


def floors_markdown(rep, kernels=None):
    """Each kernel's floor on the Cortex-M4 (its FLOOR: instructions per unit of work at
    best, and why) and each rung's distance from it: per-unit cost / floor."""
    kernels = kernels if kernels is not None else declared.discover()
    ladder = [t for t in rep["rungs"] if any(r["rung"] == t for r in rep["rows"])]
    lines = ["| kernel | floor | why | " + " | ".join(ladder) + " |",
             "| --- | ---: | --- | " + " | ".join("---:" for _ in ladder) + " |"]
    for kernel in _kernels(rep):
        k = kernels.get(kernel)
        if not k or not k.floor:
            continue
        value, why = k.floor
        cells = []
        for t in ladder:
            r = _row(rep, kernel, t)
            cells.append("{:,.1f}x".format(r["per_unit"] / value) if r else "")
        lines.append("| {} | {} per {} | {} | {} |".format(kernel, value, k.unit, why,
                                                           " | ".join(cells)))
    return "\n".join(lines)


def write_docs(rep, docs, layout):
    """docs/benchmarks.{md,json,png}: the emulator's table, chart and regression baseline."""
    docs = Path(docs)
    chart(rep, docs / "benchmarks.png")
    (docs / "benchmarks.json").write_text(json.dumps(rep, indent=1) + "\n")
    workloads = "".join("\n  - {}: {}".format(k, w) for k, w in rep["workloads"].items())
    text = DOCS_TEMPLATE.format(
        firmware=rep["firmware"],
        micropython=rep["micropython"],
        repeat=rep["repeat"],
        workloads=workloads,
        table=markdown(rep),
        goals=goals_markdown(rep),
        costs=costs_markdown(costs(rep, layout)),
        floors=floors_markdown(rep),
    )
    (docs / "benchmarks.md").write_text(text)


def compare(baseline, current, tolerance=0.03):
    """(problems, new kernels) of a report against the baseline: the rows of the baseline's
    kernels whose cost moved more than tolerance or that went missing or appeared, and the
    kernels the baseline has no row of (a kernel just added: to be recorded, not a problem).
    Each kernel is measured on its own (collect()), so a row moves only with its kernel, the
    code every kernel shares, or the toolchain."""
    base = {(r["kernel"], r["rung"]): r["per_call"] for r in baseline["rows"]}
    now = {(r["kernel"], r["rung"]): r["per_call"] for r in current["rows"]}
    known = {k for k, _ in base}
    problems = []
    for key, was in sorted(base.items()):
        if key not in now:
            if any(k == key[0] for k, _ in now):  # a kernel not measured here has no rows
                problems.append("{} {}: missing".format(*key))
        elif abs(now[key] - was) > tolerance * was:
            problems.append("{} {}: {:.0f} now, {:.0f} in the baseline ({:+.1%})".format(
                key[0], key[1], now[key], was, now[key] / was - 1))
    for key in sorted(now):
        if key[0] in known and key not in base:
            problems.append("{} {}: not in the baseline".format(*key))
    new = sorted({k for k, _ in now} - known)
    return problems, new


DOCS_TEMPLATE = """\
# Benchmarks: the ladder on the emulated Cortex-M4

Regenerate with `./inv bench --target qemu --docs` (it rewrites this file,
`benchmarks.json` and `benchmarks.png`).

- Firmware: `{firmware}`; MicroPython `{micropython}`.
- Target: QEMU `mps2-an386` (Cortex-M4F) under `-icount shift=0`, so every figure is a count
  of guest instructions: exact and repeatable, the same on any host. Counts come from the
  CMSDK timer (25 MHz, one tick per 40 instructions) restarted at the start of each
  measurement; each is the minimum of {repeat} passes after a warm-up pass, each after a
  `gc.collect()`. A rung that allocates nothing counts the same in every pass (min = median).
- A kernel's figures depend on that kernel alone: each is measured on a freshly reset
  interpreter, with its arguments spelt out in the call (a call through `*args` builds its
  argument array on the heap, whose cost follows the heap's layout), and the emulated board is
  built without MicroPython's map lookup cache, whose hits depend on every name's qstr number,
  which each kernel added to the firmware shifts (`ports/qemu/mpconfigport.h`). So adding a
  kernel, or benching one alone, first or last, leaves every other kernel's counts as they
  are (`tests/test_bench.py`, `tests/test_new_kernel.py`). Without the cache, Python rungs
  count 0.1-8% more instructions than on a Pyboard, which has it; C rungs are unaffected.
- Workloads (each kernel's own, from its WORKLOAD):{workloads}

What these figures do not measure: time on a real board. QEMU counts instructions, not
cycles: it has no flash wait states, no pipeline stalls and no bus contention, and a
multiply-accumulate or a load counts the same as an add. Speed-ups between rungs carry over
to a Pyboard far better than absolute numbers do; `./inv bench --target device` measures
cycles there, and gives times and units of work per second at the clock the board reports
(`machine.freq()`).

![the ladder, per unit of work, log scale](benchmarks.png)

{table}

## Goals

Each kernel's own (its `GOALS`) and the ladder's (opt beats py, native 1.8x over opt, viper 20x
over py). Where one is not met, [native-and-floors.md](native-and-floors.md#goals-not-met-and-why)
says why, from measurement.

{goals}

## How far from the Cortex-M4's floor

Each kernel's floor (its `FLOOR`) is the fewest instructions a unit of work can take on a
Cortex-M4, reasoned from its instruction set; each rung's figure above divided by it says
how far that rung is from it. How the floors are reasoned, and why `native` gains little over
`opt` for some kernels (the runtime calls each operation makes are the same in both
emitters: native removes only the interpreter's dispatch), measured with `./inv profile`, is in
[native-and-floors.md](native-and-floors.md).

{floors}

## What each kernel costs besides time

On the emulated board (the Pyboard's figures are the same code for the same CPU). `import
fastpath` itself takes about 1.2 KB of heap (tests/test_memory.py holds it under 2 KB): a kernel
is imported on its first use, and then takes what the first column says (the first kernel
also pays for the shared argument checks, `fastpath/_args.py`). Frozen code and the bytes
tables in it live in flash, as does the C rung.

{costs}
"""
