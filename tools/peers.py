"""Host side of `./inv bench --peers`: what a user would use instead of fastpath, measured as
we are (same workload, same counter, same run), with how exact each one is.

Two kinds of peer:
- C peers on the emulated Cortex-M4 (tests/peers/: a bare-metal mps2-an386 program under
  qemu-system-arm -icount shift=0): our kernels' raw C loops (usermod/fastpath, the code of
  the `c` rung without its binding) beside CMSIS-DSP's arm_fir_q15 and arm_fir_fast_q15,
  zlib's crc32(), GCC's __builtin_popcount over words, and the plain C loop a programmer
  writes without tricks, all built with the flags of our C module (-O2, Cortex-M4F). Each
  call is counted exactly, instruction by instruction, by the QEMU plugin tools/insnprof.c,
  in a window that opens and closes at the CMSDK timer's VALUE register as the firmware's
  own clock does; an empty call's window is subtracted.
- MicroPython-ecosystem peers on the emulated board: ulab (built into the `qemu-ulab`
  firmware beside our module) on each kernel's workload, timed by fastpath.bench.measure as
  our rungs are (tests/peers/board_ulab.py runs there).

The versions are pinned in tools/sources.py, and nowhere else.
"""

import subprocess
from pathlib import Path

from tools.platforms import PLATFORMS
from tools.settings import ROOT
from tools.util import git
from tools.sources import PINS, PeerError, Pin, fetch, folder  # noqa: F401 (the peers' API)


def versions(layout):
    """{name: "ref (commit)"} of the fetched peers."""
    out = {}
    for name, pin in PINS.items():
        head = git(["rev-parse", "--short=10", "HEAD"], folder(layout, name)).stdout.strip()
        out[name] = "{} ({})".format(pin.ref, head) if head else pin.ref
    return out


# --- the C peers: workload, build, run --------------------------------------------------------

PEERS_SRC = ROOT / "tests" / "peers"
FROZEN = ROOT / "frozen"
# The kernels the C program (peers_m4.c) measures: every kernel with a c rung (toggle drives
# a pin and has none).
C_KERNELS = ("crc32", "fir_q15", "popcount", "rgb565")


def _package():
    # The frozen package as CPython imports it (only its py and opt rungs run there).
    import sys

    if str(FROZEN) not in sys.path:
        sys.path.insert(0, str(FROZEN))
    import fastpath

    return fastpath


def workload(kernel):
    """(args, units, module) of kernel's bench workload, computed by CPython from its own
    workload() and the shared seeded generator: the bytes the board benches on."""
    import importlib

    _package()
    module = importlib.import_module("fastpath.kernels." + kernel)
    args, units = module.workload()
    return args, units, module


def workload_header(kernels=C_KERNELS):
    """workload.h for the C program: each kernel's workload arguments as C arrays
    wl_<kernel>_<i> (bytes: uint8_t, array('h'): int16_t) with wl_<kernel>_<i>_len, and its
    units of work WL_<kernel>_UNITS."""
    from array import array

    lines = ["// Written by tools/peers.py from each kernel's workload(): do not edit.",
             "#include <stddef.h>", "#include <stdint.h>", ""]
    for kernel in kernels:
        args, units, _ = workload(kernel)
        lines.append("#define WL_{}_UNITS ({})".format(kernel, units))
        for i, a in enumerate(args):
            if isinstance(a, array) and a.typecode == "h":
                ctype, values = "int16_t", list(a)
            elif isinstance(a, (bytes, bytearray)):
                ctype, values = "uint8_t", list(a)
            else:
                continue  # a scalar argument: the program passes the kernel's default
            body = ",".join(str(v) for v in values)
            lines.append("static const {} wl_{}_{}[{}] __attribute__((aligned(4))) = {{{}}};"
                         .format(ctype, kernel, i, len(values), body))
            lines.append("static const size_t wl_{}_{}_len = {};".format(kernel, i, len(values)))
        lines.append("")
    return "\n".join(lines)


def build_program(layout, out, jobs=2):
    """tests/peers/ built into out/ (build/peers/): its peers.elf."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    header = out / "workload.h"
    text = workload_header()
    if not header.exists() or header.read_text() != text:
        header.write_text(text)
    log = out / "build.log"
    with open(log, "w") as f:
        r = subprocess.run(["make", "-C", str(PEERS_SRC), "-j{}".format(jobs),
                            "BUILD={}".format(out), "PEERS={}".format(layout.root / "lib" /
                                                                     "peers")],
                           stdout=f, stderr=subprocess.STDOUT)
    if r.returncode:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise PeerError("peers: the C program did not build ({}); full log: {}".format(
            " / ".join(tail), layout.rel(log)))
    return out / "peers.elf"


def run_program(elf, plugin, out, timeout=300):
    """Run the C program on mps2-an386 with the counting plugin: (printed text, [(window
    total, {(pc, key): count})])."""
    from tools import profile

    # The plugin's mark: the CMSDK timer's VALUE register, where the firmware's clock and the
    # program's windows open and close (fastpath/board.py).
    mark = profile.timer_address()
    windows = Path(out) / "windows.txt"
    # Our emulated board's machine (tools/platforms.py), its output through semihosting.
    cmd = [*PLATFORMS["qemu"].machine, "-nographic", "-monitor", "null",
           "-serial", "null", "-semihosting", "-icount", "shift=0",
           "-plugin", "{},out={},mark=0x{:x}".format(plugin, windows, mark), "-kernel", str(elf)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise PeerError("peers: qemu-system-arm is missing; run: ./inv setup")
    except subprocess.TimeoutExpired:
        raise PeerError("peers: the C program did not finish in {} s under QEMU".format(timeout))
    if r.returncode or "DONE" not in r.stdout:
        raise PeerError("peers: the C program failed under QEMU (exit {}): {}".format(
            r.returncode, (r.stdout + r.stderr).strip()[-300:]))
    return r.stdout, profile.read_windows(windows)


def parse_program(text, totals):
    """{(kernel, peer): {"counts": [...], "ticks": [...], "out": [ints]}} and the empty
    call's counts, from the program's output and the plugin's window totals (in order)."""
    runs = {}
    order = []
    ticks = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "WINDOW":
            order.append((parts[1], parts[2]))
        elif parts[0] == "TICKS":
            ticks.append(int(parts[1]))
        elif parts[0] == "OUT":
            runs.setdefault((parts[1], parts[2]), {})["out"] = [int(v) for v in parts[3:]]
    if not (len(order) == len(ticks) == len(totals)):
        raise PeerError("peers: {} windows announced, {} timed, {} counted by the plugin"
                        .format(len(order), len(ticks), len(totals)))
    for i, (key, total, tick) in enumerate(zip(order, totals, ticks)):
        run = runs.setdefault(key, {})
        run.setdefault("counts", []).append(total)
        run.setdefault("ticks", []).append(tick)
        run.setdefault("windows", []).append(i)
    empty = runs.pop(("-", "empty"))
    return runs, empty


def reference(kernel):
    """The exact results of kernel on its workload, in the form the peers print: the py rung
    (the ladder's reference, itself tested against zlib, NumPy and hand-checked vectors) run
    by CPython. crc32, popcount: [value]; fir_q15: the outputs; rgb565: each pixel's 16 bits."""
    args, units, module = workload(kernel)
    result = module.py(*args)
    if kernel == "fir_q15":
        return list(args[2][:result])
    if kernel == "rgb565":
        dst = args[1]
        return [dst[2 * i] << 8 | dst[2 * i + 1] for i in range(len(dst) // 2)]
    return [result]


def q15_from_sums(sums):
    """Outputs from exact or float sums, rounded and saturated as the contract says:
    sat16((s + 0x4000) >> 15)."""
    return [max(-32768, min(32767, (int(s) + 0x4000) >> 15)) for s in sums]


def exactness(got, want):
    """{"outputs", "differing", "max_error"}: how far results are from the exact ones (for a
    CRC, a differing value counts, its size means nothing: max_error is None)."""
    if len(got) != len(want):
        return {"outputs": len(want), "differing": len(want), "max_error": None}
    diffs = [abs(a - b) for a, b in zip(got, want) if a != b]
    return {"outputs": len(want), "differing": len(diffs), "max_error": max(diffs, default=0)}


def measure_c(layout, out, jobs=2):
    """The C program built, run and checked: rows of (kernel, peer) with exact counts."""
    fetch(layout, ["CMSIS-DSP", "CMSIS_6", "zlib"])
    from tools import profile

    elf = build_program(layout, out, jobs)
    try:
        plugin = profile.build_plugin(out)
    except profile.ProfileError as e:
        raise PeerError(str(e))
    text, windows = run_program(elf, plugin, out)
    runs, empty = parse_program(text, [total for total, _ in windows])
    ranges = symbol_ranges(elf)
    rows = []
    for (kernel, peer), run in runs.items():
        if len(set(run["counts"])) != 1:
            raise PeerError("peers: {} {} counted {} in its runs: not repeatable".format(
                kernel, peer, run["counts"]))
        _, units, _ = workload(kernel)
        count = run["counts"][0] - empty["counts"][0]
        want = reference(kernel)
        rows.append({
            "kernel": kernel, "peer": peer, "where": "C", "per_call": count,
            "units": units, "per_unit": count / units, "ticks": run["ticks"][0],
            "exact": exactness(run["out"], want),
        })
        if peer == "c":  # the instructions in the kernel's own functions, for crosscheck()
            own = functions(Path(out) / "fastpath_{}.o".format(kernel))
            rows[-1]["own"] = {f: n for f, n in executed(windows[run["windows"][0]][1],
                                                           ranges).items() if f in own}
    return rows


def symbol_ranges(elf, nm="arm-none-eabi-nm"):
    """[(start, end, name)] of the functions of an ELF file, sorted (Thumb bit cleared)."""
    r = subprocess.run([nm, "-S", "--defined-only", str(elf)], capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            start = int(parts[0], 16) & ~1
            out.append((start, start + int(parts[1], 16), parts[3]))
    return sorted(out)


def executed(counts, ranges):
    """{function: instructions} of one window's {(pc, key): count}."""
    import bisect

    starts = [s for s, _, _ in ranges]
    out = {}
    for (pc, _), n in counts.items():
        i = bisect.bisect_right(starts, pc) - 1
        name = ranges[i][2] if i >= 0 and pc < ranges[i][1] else "?"
        out[name] = out.get(name, 0) + n
    return out


def functions(obj, nm="arm-none-eabi-nm"):
    """The names of the functions an object file defines."""
    r = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True)
    return {parts[2] for parts in (line.split() for line in r.stdout.splitlines())
            if len(parts) == 3 and parts[1] in "tT"}


def firmware_own(layout, kernel, folder):
    """{function: instructions} of one call of kernel's c rung in the emulator's firmware,
    for the functions of the kernel's object but its binding (fastpath_NAME): its raw loop
    there, counted by tools/profile.py as `./inv profile --kernel NAME --rung c` does."""
    from tools import profile

    obj = layout.out("qemu") / "fastpath" / "{}.o".format(kernel)
    own = functions(obj) - {"fastpath_" + kernel}
    try:
        rep = profile.run(layout.out("qemu"), kernel, "c", folder)
    except profile.ProfileError as e:
        raise PeerError(str(e))
    return {name: n for name, _, n, _ in rep["functions"] if name in own}


def measure_board(layout, elf, repeat=5, timeout=600):
    """The ulab peers on the qemu-ulab firmware: rows, and ulab's version as it reports it.
    A row without a count (per_call None) only checks the results of a peer the bench times."""
    from tools.targets import QemuTarget, TargetError, TargetTimeout, from_literal

    code = (PEERS_SRC / "board_ulab.py").read_text() + "\nrun({})\n".format(int(repeat))
    target = QemuTarget(elf)
    try:
        text = target.run(code, timeout=timeout)
    except (TargetError, TargetTimeout) as e:
        last = (str(e).strip().splitlines() or ["no answer"])[-1]
        raise PeerError("peers: the qemu-ulab firmware failed: {}".format(last))
    finally:
        target.close()
    rows, outs, sums_out, version = [], {}, {}, None
    for line in text.splitlines():
        head, _, value = line.partition(" ")
        if head == "PEER":
            kernel, peer, units, lo, med, calls = from_literal(value)
            rows.append({"kernel": kernel, "peer": peer, "where": "MicroPython",
                         "per_call": lo / calls, "median": med / calls, "units": units,
                         "per_unit": lo / calls / units})
        elif head == "PEER_OUT":
            kernel, peer, sums = from_literal(value)
            sums_out[(kernel, peer)] = sums
            outs[(kernel, peer)] = q15_from_sums(sums) if kernel == "fir_q15" else sums
        elif head == "PEER_VERSION":
            version = from_literal(value)[1]
    timed = {(r["kernel"], r["peer"]) for r in rows}
    for kernel, peer in outs:
        if (kernel, peer) not in timed:  # timed by the bench: checked only
            rows.append({"kernel": kernel, "peer": peer, "where": "MicroPython",
                         "per_call": None})
    for row in rows:
        row["exact"] = exactness(outs[(row["kernel"], row["peer"])], reference(row["kernel"]))
        if row["kernel"] == "fir_q15":  # the float sums themselves, before the rounding
            row["exact"]["sum_error"] = max(abs(a - b) for a, b in zip(
                sums_out[(row["kernel"], row["peer"])], fir_sums()))
    return rows, version


def fir_sums():
    """fir_q15's exact sums on its workload, sum_k h[k] * x[i + k] (before the rounding)."""
    (x, h, _), _, _ = workload("fir_q15")
    return [sum(h[k] * x[i + k] for k in range(len(h))) for i in range(len(x) - len(h) + 1)]


# --- the report -------------------------------------------------------------------------------

# The goals against the peers: (kernel, peer, at most this many times the peer's count,
# whether ours must be exact too, the goal in words), for our raw C loop against C peers in
# the same program.
GOALS = (
    ("fir_q15", "CMSIS-DSP.arm_fir_fast_q15", 1.0, True,
     "fir_q15 c <= arm_fir_fast_q15's instructions, exact"),
    ("fir_q15", "CMSIS-DSP.arm_fir_q15", 0.8, False, "fir_q15 c <= 0.8x arm_fir_q15's"),
    ("crc32", "zlib.crc32", 0.6, False, "crc32 c <= 0.6x zlib crc32()'s"),
    ("popcount", "__builtin_popcount", 0.5, False,
     "popcount c <= 0.5x the __builtin_popcount loop's"),
) + tuple((k, "plain", 1 / 3, False, "{} c >= 3x faster than the plain C loop".format(k))
          for k in C_KERNELS)

RAW = "c (raw loop)"  # our kernel's C loop in the C program: the c rung without its binding

# Which fetched source each peer comes from (PINS), for its version.
SOURCES = {"CMSIS-DSP": "CMSIS-DSP", "zlib": "zlib", "ulab": "micropython-ulab"}


def _version(peer, versions):
    for prefix, name in SOURCES.items():
        if peer.startswith(prefix):
            return versions.get(name, "")
    if peer in ("plain", "plain.table", "__builtin_popcount", RAW):
        return "GCC -O2 (arm-none-eabi-gcc {})".format(_gcc_version())
    return ""


def _gcc_version():
    try:
        r = subprocess.run(["arm-none-eabi-gcc", "-dumpversion"], capture_output=True,
                           text=True)
        return r.stdout.strip()
    except FileNotFoundError:
        return "?"


def report(bench_rep, c_rows, board_rows, versions, ulab_version=None, firmware_own=None):
    """The peers report: per kernel, our rungs (from the bench run), MicroPython's and ulab's
    peers, our raw C loop and the C peers, each with its count per call and per unit, how
    many times our c is faster, how exact it is and its version; the goals; and the
    cross-check of the raw loop against the firmware's c rung."""
    if ulab_version:
        versions = dict(versions, **{"micropython-ulab": "{} (ulab.__version__ {})".format(
            versions.get("micropython-ulab", ""), ulab_version)})
    rows = []
    kernels = [k for k in dict.fromkeys(r["kernel"] for r in bench_rep["rows"])
               if k in C_KERNELS]
    for kernel in kernels:
        ours = [r for r in bench_rep["rows"] if r["kernel"] == kernel]
        unit = ours[0]["unit_of_work"]
        c_rung = next((r for r in ours if r["rung"] == "c"), None)
        raw = next((r for r in c_rows if r["kernel"] == kernel and r["peer"] == "c"), None)
        checked = {r["peer"]: r["exact"] for r in board_rows
                   if r["kernel"] == kernel and r["per_call"] is None}
        for r in ours:
            rows.append({
                "kernel": kernel, "name": r["rung"],
                "kind": "MicroPython peer" if r["peer"] else "rung", "per_call": r["per_call"],
                "per_unit": r["per_unit"], "unit": unit,
                "c_faster": r["per_call"] / c_rung["per_call"] if c_rung else None,
                "exact": checked.get(r["rung"]),
                "version": "MicroPython " + str(bench_rep.get("micropython"))
                if r["peer"] else "",
            })
        for r in board_rows:
            if r["kernel"] == kernel and r["per_call"] is not None:
                rows.append({
                    "kernel": kernel, "name": r["peer"], "kind": "MicroPython peer",
                    "per_call": r["per_call"], "per_unit": r["per_unit"], "unit": unit,
                    "c_faster": r["per_call"] / c_rung["per_call"] if c_rung else None,
                    "exact": r["exact"], "version": _version(r["peer"], versions),
                })
        for r in c_rows:
            if r["kernel"] != kernel:
                continue
            rows.append({
                "kernel": kernel, "name": RAW if r["peer"] == "c" else r["peer"],
                "kind": "C", "per_call": r["per_call"], "per_unit": r["per_unit"],
                "unit": unit, "c_faster": r["per_call"] / raw["per_call"] if raw else None,
                "exact": r["exact"], "version": _version(
                    RAW if r["peer"] == "c" else r["peer"], versions),
            })
    return {
        "firmware": bench_rep.get("firmware"),
        "micropython": bench_rep.get("micropython"),
        "versions": versions,
        "workloads": {k: bench_rep["workloads"][k] for k in kernels},
        "rows": rows,
        "goals": goals(rows),
        "crosscheck": crosscheck(bench_rep, c_rows, firmware_own),
    }


def _find(rows, kernel, name):
    return next((r for r in rows if r["kernel"] == kernel and r["name"] == name), None)


def goals(rows):
    """[(goal, measured, met)] for GOALS: our raw C loop against each C peer."""
    out = []
    for kernel, peer, ratio, need, text in GOALS:
        ours, theirs = _find(rows, kernel, RAW), _find(rows, kernel, peer)
        if not (ours and theirs):
            out.append((text, "missing", False))
            continue
        x = ours["per_call"] / theirs["per_call"]
        exact = ours["exact"]["differing"] == 0
        measured = "{} ({:.2f} vs {:.2f} per {}{})".format(
            "{:.1f}x faster".format(1 / x) if "faster" in text else "{:.2f}x".format(x),
            ours["per_unit"], theirs["per_unit"], ours["unit"],
            "; ours exact" if need and exact else "; ours NOT exact" if need else "")
        out.append((text, measured, x <= ratio and (exact or not need)))
    return out


def crosscheck(bench_rep, c_rows, firmware_own=None):
    """Per kernel: the firmware's c rung (bench: the Python call of the binding, minus an
    empty Python call) against the raw loop's call in the C program, and the difference; and
    the instructions the raw loop's own functions ran in each (firmware_own: {kernel:
    {function: count}} from the profiler), which are equal when both builds made the same
    code of it."""
    out = []
    for r in c_rows:
        if r["peer"] != "c":
            continue
        rung = next((b for b in bench_rep["rows"]
                     if b["kernel"] == r["kernel"] and b["rung"] == "c"), None)
        if rung:
            fw = (firmware_own or {}).get(r["kernel"])
            out.append({"kernel": r["kernel"], "firmware_c": rung["per_call"],
                        "raw": r["per_call"], "difference": rung["per_call"] - r["per_call"],
                        "raw_own": r.get("own"), "firmware_own": fw,
                        "same": fw is not None and fw == r.get("own")})
    return out


def _exact_text(e):
    if e is None:
        return "not checked"
    if e["differing"] == 0:
        return "exact" + (" (its float sums off by up to {:,})".format(e["sum_error"])
                          if e.get("sum_error") else "")
    return "{} of {} differ{}".format(
        e["differing"], e["outputs"],
        ", max error {:,}".format(e["max_error"]) if e["max_error"] is not None and
        e["outputs"] > 1 else "")


def markdown(rep):
    lines = ["| kernel | implementation | kind | instructions per call | per unit | c is x faster "
             "| results vs exact | version |",
             "| --- | --- | --- | ---: | ---: | ---: | --- | --- |"]
    for r in rep["rows"]:
        lines.append("| {} | {} | {} | {:,.0f} | {:.2f} per {} | {} | {} | {} |".format(
            r["kernel"], r["name"], r["kind"], r["per_call"], r["per_unit"], r["unit"],
            "{:.2f}x".format(r["c_faster"]) if r["c_faster"] else "",
            _exact_text(r["exact"]) if r["kind"] != "rung" else "exact (the suite)",
            r["version"]))
    return "\n".join(lines)


def goals_markdown(rep):
    lines = ["| goal | measured | met |", "| --- | --- | :---: |"]
    lines += ["| {} | {} | {} |".format(g, m, "yes" if ok else "**no**")
              for g, m, ok in rep["goals"]]
    return "\n".join(lines)


def crosscheck_markdown(rep):
    lines = ["| kernel | firmware's c rung (bench) | raw loop's call (C program) | difference "
             "| raw loop's own functions: C program | the same in the firmware | equal |",
             "| --- | ---: | ---: | ---: | ---: | ---: | :---: |"]
    for c in rep["crosscheck"]:
        own = ["{:,} ({})".format(sum(d.values()), ", ".join(
            "{} {:,}".format(f, n) for f, n in sorted(d.items()))) if d else "not profiled"
            for d in (c.get("raw_own"), c.get("firmware_own"))]
        lines.append("| {} | {:,.0f} | {:,} | {:+,.0f} | {} | {} | {} |".format(
            c["kernel"], c["firmware_c"], c["raw"], c["difference"], own[0], own[1],
            "yes" if c.get("same") else "**no**"))
    return "\n".join(lines)


def chart(rep, path):
    """Instructions per unit of work, log scale: one group of bars per kernel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kernels = list(rep["workloads"])
    fig, axes = plt.subplots(1, len(kernels), figsize=(12, 5.5), dpi=100)
    colours = {"rung": "tab:blue", "MicroPython peer": "tab:orange", "C": "tab:green"}
    for ax, kernel in zip(axes, kernels):
        rows = [r for r in rep["rows"] if r["kernel"] == kernel]
        ax.barh(range(len(rows)), [r["per_unit"] for r in rows],
                color=[colours[r["kind"]] if r["name"] != RAW else "tab:red" for r in rows])
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r["name"] for r in rows], fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlim(left=0.5)  # the same origin for every kernel: bar lengths compare
        ax.set_title("{} (per {})".format(kernel, rows[0]["unit"]), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("fastpath and its peers on the emulated Cortex-M4: instructions per unit, "
                 "log scale (blue: our rungs, red: our C loop, green: C peers, orange: "
                 "MicroPython peers)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(rep, folder, docs=None):
    """build/bench/peers.{json,md,png}; with docs, docs/peers.{md,json,png} too."""
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "peers.json", folder / "peers.md", folder / "peers.png"]
    paths[0].write_text(json.dumps(rep, indent=1) + "\n")
    paths[1].write_text(markdown(rep) + "\n\n" + goals_markdown(rep) + "\n")
    chart(rep, paths[2])
    if docs:
        docs = Path(docs)
        (docs / "peers.json").write_text(json.dumps(rep, indent=1) + "\n")
        chart(rep, docs / "peers.png")
        (docs / "peers.md").write_text(docs_text(rep))
        paths += [docs / "peers.md", docs / "peers.json", docs / "peers.png"]
    return paths


def docs_text(rep):
    versions = "".join("\n  - {}: `{}` {}".format(name, v, PINS[name].what)
                       for name, v in rep["versions"].items())
    workloads = "".join("\n  - {}: {}".format(k, w) for k, w in rep["workloads"].items())
    return DOCS_TEMPLATE.format(
        firmware=rep["firmware"], micropython=rep["micropython"], versions=versions,
        workloads=workloads, table=markdown(rep), goals=goals_markdown(rep),
        crosscheck=crosscheck_markdown(rep))


DOCS_TEMPLATE = """\
# Peers: what a user would use instead, measured beside our rungs

Regenerate with `./inv bench --peers --docs` (it rewrites this file, `peers.json` and
`peers.png`, with [benchmarks.md](benchmarks.md) from the same run). The suite checks the
recorded counts (tests/test_peers.py).

- Firmware: `{firmware}`; MicroPython `{micropython}`.
- Peers, each built from its pinned source (tools/peers.py `PINS`, fetched into
  `lib/peers/`):{versions}
- Workloads (each kernel's own, from its `workload()`, the same bytes everywhere):{workloads}

How each row is measured, on QEMU's `mps2-an386` (Cortex-M4F) under `-icount shift=0`:

- **rung** and **MicroPython peer** rows: called from Python on the emulated board, timed by
  `fastpath.bench.measure` (the CMSDK timer, 40 instructions a tick, an empty Python call
  subtracted). Our rungs come from the bench run of the same `./inv bench --peers`; ulab's
  rows from the `qemu-ulab` firmware (the same board with ulab built in beside our module,
  `build/qemu-ulab/`), on arrays made before the timing: the figure is `np.convolve` alone.
  "c is x faster" compares with our `c` rung, called the same way.
- **C** rows: one bare-metal program (`tests/peers/`) built with our C module's flags
  (`-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -O2`) holding our kernels' raw C loops
  (the `c` rung without its binding, "c (raw loop)"), the fetched peers and the plain C loops
  (`tests/peers/plain.c`: what a programmer writes without tricks). Each call is counted
  exactly, instruction by instruction, by the QEMU plugin `tools/insnprof.c` in a window
  opened and closed at the timer's VALUE register, as the firmware's clock does; the
  3 instructions of an empty call's window are subtracted. Each call runs twice and must
  count the same. "c is x faster" compares with our raw loop.
- CMSIS-DSP's FIRs are built as its own CMake build builds them by default
  (`ARM_MATH_LOOPUNROLL`, no `ARM_MATH_ROUNDING`); they filter a stream, so their state holds
  the first 31 samples and the block the other 225: exactly our 225 valid outputs, 7,200 taps.
  zlib's `crc32()` is its braided implementation as it configures itself for this target
  (`W` = 4-byte words, `N` = 5 braids). `__builtin_popcount` over words is a call of libgcc's
  `__popcountsi2` a word (the Cortex-M4 has no popcount instruction).
- Results: each row's outputs against the exact reference (the kernel's `py` rung under
  CPython, itself tested against zlib, NumPy and hand-checked vectors). ulab's `np.convolve`
  returns float sums ("full" mode, of which outputs 31..255 are ours): they are rounded and
  saturated as our contract says before the comparison.

![our rungs and the peers, per unit of work, log scale](peers.png)

{table}

## Goals against the peers

Our raw C loop against each C peer, in the same program on the same workload.

{goals}

## Cross-check: the C program's raw loop against the firmware's `c` rung

The firmware's `c` figure (docs/benchmarks.json) is a Python call of `_fastpath.NAME` minus
an empty Python call: the raw loop, plus the binding (argument parsing, buffer and typecode
checks, the result boxed as an int), minus what calling a bytecode function (the empty call)
costs more than calling a built-in one; the bench's 40-instruction tick rounds it. So the
two figures differ by a few tens of instructions either way. What must be equal is the raw
loop itself: the last columns count the instructions that ran in the functions of the
kernel's object file (its raw loop and helpers, not its binding) in one call, in the C
program (the plugin's window, by address) and inside the firmware (the profiler's count of
one call of the `c` rung, as `./inv profile --kernel NAME --rung c` shows). Equal counts
mean the two builds made the same code of the loop, and the C program's figure is our `c`
rung's loop.

{crosscheck}

## What the peers offer, and do not

- fir_q15: CMSIS-DSP's `arm_fir_q15` sums in 64 bits and truncates (`__SSAT(acc >> 15, 16)`,
  no rounding: its outputs one below ours where the discarded bits reach half an LSB);
  `arm_fir_fast_q15` sums in 32 bits (`__SMLAD`), which the workload's sums (up to about
  2**34) overflow, and wraps. ulab's `np.convolve` takes int16 arrays but computes in float
  (single precision on this board) into a float array of the "full" length (287 outputs for
  our 225); there is no integer or Q15 path, so the int16 row converts each sample as it
  reads it. Its float sums are off by a few hundred, too little to move a Q15 output here.
- crc32: ulab has no CRC; MicroPython's own `binascii.crc32` is the bench's peer row.
- popcount: ulab has no bit count; the row is a user's composition, a 256-entry table of
  counts looked up with `np.take` over the bytes (`np.frombuffer`, no copy) and summed.
- rgb565: ulab has no colour conversion; the row packs the three channels (strided views of
  the bytes converted to uint16) with masks and shifts and stores them byte-swapped.
  `framebuf` has an RGB565 format but no conversion from RGB888 (a user would call
  `FrameBuffer.pixel` once a pixel, slower than our `py` rung): no row.
- The C rows are calls from C, with no binding; our `c` rung, called from Python, also pays
  for its binding and the call (the cross-check shows how much), as would a C peer wrapped
  for Python.
"""
