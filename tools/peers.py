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
  our rungs are (tools/peers_board.py runs there).

The versions are pinned here, in PINS, and nowhere else; `fetch` clones each at its pin into
lib/peers/<name>/ (git-ignored, never committed), shallow, with only the paths the build uses.
"""

import json
import shutil
import subprocess
from pathlib import Path

from tools import build as building
from tools.settings import ROOT


class PeerError(Exception):
    """A step failed; str() is one line saying what to do next."""


class Pin:
    """One peer's source: upstream URL, pinned tag and the paths the build needs of it."""

    def __init__(self, name, url, ref, paths, what):
        self.name = name
        self.url = url
        self.ref = ref
        self.paths = paths
        self.what = what

    def __repr__(self):
        return "Pin({!r}, {!r})".format(self.name, self.ref)


PINS = {
    p.name: p
    for p in (
        Pin("CMSIS-DSP", "https://github.com/ARM-software/CMSIS-DSP", "v1.17.1",
            ("Include", "PrivateInclude", "Source/FilteringFunctions"),
            "arm_fir_q15, arm_fir_fast_q15"),
        Pin("CMSIS_6", "https://github.com/ARM-software/CMSIS_6", "v6.3.0",
            ("CMSIS/Core/Include",), "CMSIS-Core headers for CMSIS-DSP"),
        Pin("zlib", "https://github.com/madler/zlib", "v1.3.1",
            ("crc32.c", "crc32.h", "zutil.h", "zlib.h", "zconf.h"), "crc32()"),
        Pin("micropython-ulab", "https://github.com/v923z/micropython-ulab", "6.12",
            ("code",), "ulab.numpy, built into the qemu-ulab firmware"),
    )
}


def folder(layout, name):
    """lib/peers/<name>/: where a peer's pinned source is fetched to."""
    return layout.root / "lib" / "peers" / name


def _git(args, cwd):
    return building.git(args, cwd)


def fetch(layout, names=None):
    """Clone each peer (all of PINS, or names) at its pin into lib/peers/<name>/, shallow and
    sparse; a tree at another commit is fetched again. Idempotent."""
    if not shutil.which("git"):
        raise PeerError("peers: git is missing; run: ./inv setup")
    for name in names or PINS:
        pin = PINS[name]
        dest = folder(layout, name)
        if (dest / ".git").exists():
            want = _git(["rev-parse", "-q", "--verify", "refs/tags/{}^{{commit}}".format(
                pin.ref)], dest).stdout.strip()
            head = _git(["rev-parse", "HEAD"], dest).stdout.strip()
            missing = [p for p in pin.paths if not (dest / p).exists()]
            if want and want == head and not missing:
                continue
            building.say("peers", "{} is not at {}: fetching it again".format(
                layout.rel(dest), pin.ref))
            shutil.rmtree(dest)
        tmp = dest.with_name(dest.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        building.say("peers", "cloning {} at {}".format(pin.url, pin.ref))
        r = subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", pin.ref,
                            "--no-checkout", "--no-recurse-submodules", pin.url, str(tmp)],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode:
            err = (r.stderr.strip().splitlines() or ["no output"])[-1]
            raise PeerError("peers: could not clone {} at {} ({}); check the network, or "
                            "point git at a mirror with url.<dir>.insteadOf (see README)".format(
                                pin.url, pin.ref, err))
        # Only what the build uses: a sparse checkout of the pinned paths.
        for args in (["sparse-checkout", "init", "--no-cone"],
                     ["sparse-checkout", "set", "--no-cone", *("/" + p for p in pin.paths)],
                     ["checkout", "-q", pin.ref]):
            r = _git(args, tmp)
            if r.returncode:
                raise PeerError("peers: git {} failed in {}: {}".format(
                    args[0], layout.rel(tmp), r.stderr.strip()[-200:]))
        tmp.rename(dest)
    return {name: folder(layout, name) for name in names or PINS}


def versions(layout):
    """{name: "ref (commit)"} of the fetched peers."""
    out = {}
    for name, pin in PINS.items():
        head = _git(["rev-parse", "--short=10", "HEAD"], folder(layout, name)).stdout.strip()
        out[name] = "{} ({})".format(pin.ref, head) if head else pin.ref
    return out


# --- the C peers: workload, build, run --------------------------------------------------------

PEERS_SRC = ROOT / "tests" / "peers"
FROZEN = ROOT / "frozen"
# The kernels the C program measures: those with a c rung (toggle drives a pin: none).
C_KERNELS = ("crc32", "fir_q15", "popcount", "rgb565")
# The CMSDK timer's VALUE register: the plugin's mark, as in tools/profile.py.
MARK = 0x40000004


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
    module = importlib.import_module("fastpath." + kernel)
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
    """Run the C program on mps2-an386 with the counting plugin: (printed text, [window
    totals])."""
    from tools import profile

    windows = Path(out) / "windows.txt"
    cmd = ["qemu-system-arm", "-machine", "mps2-an386", "-nographic", "-monitor", "null",
           "-serial", "null", "-semihosting", "-icount", "shift=0",
           "-plugin", "{},out={},mark=0x{:x}".format(plugin, windows, MARK), "-kernel", str(elf)]
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
    return r.stdout, [total for total, _ in profile.read_windows(windows)]


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
    for key, total, tick in zip(order, totals, ticks):
        run = runs.setdefault(key, {})
        run.setdefault("counts", []).append(total)
        run.setdefault("ticks", []).append(tick)
    empty = runs.pop(("-", "empty"))
    return runs, empty
