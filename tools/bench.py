"""Host side of `invoke bench`: run fastpath.bench on a target, then report.

The target prints one BENCH line per kernel and tier (frozen/fastpath/bench.py); this module
turns them into rows with per-unit costs and speed-ups, a Markdown table, JSON and a PNG chart,
and checks the figures against the goals we set ourselves (GOALS).
"""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
DOCS = ROOT / "docs"
KERNELS = ("crc32", "fir_q15", "popcount", "rgb565", "toggle")
UNIT_OF_WORK = {"crc32": "byte", "fir_q15": "tap", "popcount": "byte", "rgb565": "pixel",
                "toggle": "toggle"}
LADDER = ("py", "opt", "native", "mem", "viper", "asm", "c", "hw")


def _git(*args, cwd=ROOT):
    r = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "unknown"


def collect(target, kernels=KERNELS, repeat=5, progress=None):
    """Run the bench on target (a tools.targets runner); return the report dict."""
    lines = []
    unit = cpu_hz = build = None
    for i, kernel in enumerate(kernels):
        if progress:
            progress("bench: {} ({}/{}) on {}".format(kernel, i + 1, len(kernels), target.name))
        out = target.run(
            "import fastpath.bench\nfastpath.bench.run([{!r}], {})\n".format(kernel, repeat),
            timeout=600,
        )
        for line in out.splitlines():
            if line.startswith("BENCH_UNIT "):
                unit = eval(line.split(" ", 1)[1])
            elif line.startswith("BENCH_CLOCK "):
                cpu_hz = eval(line.split(" ", 1)[1])
            elif line.startswith("BENCH_BUILD "):
                build = eval(line.split(" ", 1)[1])
            elif line.startswith("BENCH "):
                lines.append(eval(line.split(" ", 1)[1]))
    return report(target.name, unit, lines, repeat, cpu_hz=cpu_hz, build=build)


def report(target_name, unit, lines, repeat, cpu_hz=None, build=None):
    """Rows with per-unit cost and speed-ups from the raw (kernel, tier, units, min, median,
    calls) tuples of the target. cpu_hz is the core clock the board reported while it ran
    (board.cpu_hz()), build its fastpath.BUILD: both are recorded with the results."""
    rows = []
    for kernel in KERNELS:
        prev = py = None
        for k, tier, units, lo, med, calls in lines:
            if k != kernel:
                continue
            per_call = lo / calls
            row = {
                "kernel": kernel,
                "tier": tier,
                "units": units,
                "unit_of_work": UNIT_OF_WORK[kernel],
                "min": lo,
                "median": med,
                "calls": calls,
                "per_call": per_call,
                "per_unit": per_call / units,
            }
            if tier == "py":
                py = per_call
            row["vs_py"] = py / per_call if py else None
            # Speed-up over the previous rung of our own ladder (peers are compared with c).
            row["vs_prev"] = prev / per_call if prev and tier in LADDER else None
            if tier in LADDER:
                prev = per_call
            rows.append(row)
    build = build if isinstance(build, dict) else None
    return {
        "target": target_name,
        "unit": unit,
        "cpu_hz": cpu_hz,
        # What the board itself says it runs; the host's checkout only when it cannot say.
        "firmware": build["fastpath"] if build else _git("describe", "--always", "--dirty"),
        "micropython": build["micropython"] if build else _git(
            "describe", "--tags", cwd=ROOT / "lib" / "micropython"),
        "build": build,
        "repeat": repeat,
        "workloads": "crc32 over 4 KiB; fir_q15 on 256 samples x 32 taps; popcount over "
        "4 KiB; rgb565 over 1024 pixels; toggle 1000 times (boards only)",
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
        "| kernel | tier | {} per call | median | {} per unit | x py | x previous rung |".format(
            head, head
        ),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rep["rows"]:
        scale = 1000 if unit == "us" else 1
        extra = ""
        hz = rep.get("cpu_hz")
        if unit == "cycles" and hz:  # at the clock the board reported, not an assumed one
            extra = " ({:.1f} us)".format(r["per_call"] / hz * 1e6)
            if r["kernel"] == "toggle":
                extra += " = {:,.0f} toggles/s".format(hz / r["per_unit"])
        lines.append(
            "| {} | {} | {:,.0f}{} | {:,.0f} | {:.2f} per {} | {} | {} |".format(
                r["kernel"],
                r["tier"],
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


def _row(rep, kernel, tier):
    for r in rep["rows"]:
        if r["kernel"] == kernel and r["tier"] == tier:
            return r
    return None


def goals(rep):
    """[(goal, measured, met)] for the goals in the benchmark issue; emulator only."""
    out = []
    if rep["unit"] != "instructions":
        return out

    def per_unit(kernel, tier):
        r = _row(rep, kernel, tier)
        return r["per_unit"] if r else None

    def check(text, value, limit, fmt="{:.2f}"):
        out.append((text, "missing" if value is None else fmt.format(value),
                    value is not None and value <= limit))

    check("crc32 c <= 5 instructions/byte", per_unit("crc32", "c"), 5)
    c, peer = _row(rep, "crc32", "c"), _row(rep, "crc32", "binascii")
    if c and peer:
        ratio = peer["per_call"] / c["per_call"]
        out.append(("crc32 c >= 2.5x faster than binascii.crc32", "{:.2f}x".format(ratio),
                    ratio >= 2.5))
    check("crc32 viper <= 20 instructions/byte", per_unit("crc32", "viper"), 20)
    check("fir_q15 c <= 2.5 instructions/tap", per_unit("fir_q15", "c"), 2.5)
    check("popcount c <= 3 instructions/byte", per_unit("popcount", "c"), 3)
    check("rgb565 c <= 8 instructions/pixel", per_unit("rgb565", "c"), 8)
    for kernel in ("crc32", "fir_q15", "popcount", "rgb565"):  # the data kernels; toggle below
        py, opt = _row(rep, kernel, "py"), _row(rep, kernel, "opt")
        native, viper = _row(rep, kernel, "native"), _row(rep, kernel, "viper")
        if opt and native:
            x = opt["per_call"] / native["per_call"]
            out.append(("{} native >= 1.8x over opt (the code it decorates)".format(kernel),
                        "{:.2f}x".format(x), x >= 1.8))
        if py and viper:
            x = py["per_call"] / viper["per_call"]
            out.append(("{} viper >= 20x over py".format(kernel), "{:.1f}x".format(x), x >= 20))
        if py and opt:
            x = py["per_call"] / opt["per_call"]
            out.append(("{} opt faster than py".format(kernel), "{:.2f}x".format(x), x > 1))
    py = _row(rep, "toggle", "py")
    for tier in ("viper", "asm"):
        r = _row(rep, "toggle", tier)
        if py and r:
            x = py["per_call"] / r["per_call"]
            out.append(("toggle {} >= 10x over py".format(tier), "{:.1f}x".format(x), x >= 10))
    return out


def goals_markdown(rep):
    rows = goals(rep)
    if not rows:
        return ""
    lines = ["| goal | measured | met |", "| --- | ---: | :---: |"]
    lines += ["| {} | {} | {} |".format(g, m, "yes" if ok else "**no**") for g, m, ok in rows]
    return "\n".join(lines)


def chart(rep, path):
    """A log-scale bar chart: one group per kernel, one bar per tier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = {r["tier"] for r in rep["rows"]}
    # Ladder order, then the peers (MicroPython's own implementations).
    tiers = [t for t in LADDER if t in present] + sorted(present - set(LADDER))
    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=100)
    width = 0.8 / len(tiers)
    for i, tier in enumerate(tiers):
        xs, ys = [], []
        for k, kernel in enumerate(KERNELS):
            r = _row(rep, kernel, tier)
            if r:
                xs.append(k + (i - (len(tiers) - 1) / 2) * width)
                ys.append(r["per_unit"] * (1000 if rep["unit"] == "us" else 1))
        ax.bar(xs, ys, width, label=tier)
    ax.set_yscale("log")
    ax.set_xticks(range(len(KERNELS)))
    ax.set_xticklabels(["{}\n(per {})".format(k, UNIT_OF_WORK[k]) for k in KERNELS])
    ax.set_ylabel("{} per unit of work (log scale)".format(_cost_heading(rep["unit"])))
    ax.set_title("fastpath ladder on {} ({}, MicroPython {})".format(
        rep["target"], rep["firmware"], rep["micropython"]))
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.legend(ncol=len(tiers), fontsize="small", loc="upper center",
              bbox_to_anchor=(0.5, -0.14), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(rep, json_path=None):
    """Write build/bench/bench-<target>.{json,md,png}; return their paths."""
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / "bench-{}".format(rep["target"])
    paths = [Path(json_path) if json_path else stem.with_suffix(".json"),
             stem.with_suffix(".md"), stem.with_suffix(".png")]
    paths[0].write_text(json.dumps(rep, indent=1) + "\n")
    paths[1].write_text(markdown(rep) + "\n")
    chart(rep, paths[2])
    return paths


def write_docs(rep):
    """docs/benchmarks.{md,json,png}: the emulator's table, chart and regression baseline."""
    chart(rep, DOCS / "benchmarks.png")
    (DOCS / "benchmarks.json").write_text(json.dumps(rep, indent=1) + "\n")
    text = DOCS_TEMPLATE.format(
        firmware=rep["firmware"],
        micropython=rep["micropython"],
        repeat=rep["repeat"],
        workloads=rep["workloads"],
        table=markdown(rep),
        goals=goals_markdown(rep),
    )
    (DOCS / "benchmarks.md").write_text(text)


def compare(baseline, current, tolerance=0.03):
    """Rows whose cost moved more than tolerance from the baseline, and rows gone missing."""
    base = {(r["kernel"], r["tier"]): r["per_call"] for r in baseline["rows"]}
    now = {(r["kernel"], r["tier"]): r["per_call"] for r in current["rows"]}
    problems = []
    for key, was in sorted(base.items()):
        if key not in now:
            problems.append("{} {}: missing".format(*key))
        elif abs(now[key] - was) > tolerance * was:
            problems.append("{} {}: {:.0f} now, {:.0f} in the baseline ({:+.1%})".format(
                key[0], key[1], now[key], was, now[key] / was - 1))
    return problems


DOCS_TEMPLATE = """\
# Benchmarks: the ladder on the emulated Cortex-M4

Regenerate with `./inv bench --target qemu --docs` (it rewrites this file,
`benchmarks.json` and `benchmarks.png`).

- Firmware: `{firmware}`; MicroPython `{micropython}`.
- Target: QEMU `mps2-an386` (Cortex-M4F) under `-icount shift=0`, so every figure is a count
  of guest instructions: exact and repeatable, the same on any host. Counts come from the
  CMSDK timer (25 MHz, one tick per 40 instructions) restarted at the start of each
  measurement; each is the minimum of {repeat} runs after a warm-up call and a `gc.collect()`.
- Workloads: {workloads}.

What these figures do not measure: time on a real board. QEMU counts instructions, not
cycles: it has no flash wait states, no pipeline stalls and no bus contention, and a
multiply-accumulate or a load counts the same as an add. Speed-ups between rungs carry over
to a Pyboard far better than absolute numbers do; `./inv bench --target device` measures
cycles there, and gives times and toggles per second at the clock the board reports
(`machine.freq()`). On the emulator the toggle rungs drive LED0 of the FPGA I/O block; its
py, opt and native rungs call a Python stand-in for `machine.Pin` (the qemu port has none),
so they cost more than on a Pyboard, whose Pin is C. Its viper and asm rungs store the
Pyboard's set and reset words to LED0, which keeps their low bits: the same stores, no read.

![the ladder, per unit of work, log scale](benchmarks.png)

{table}

## Goals

{goals}
"""
