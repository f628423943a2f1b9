"""The build plumbing behind tasks.py: the toolchain, fetching MicroPython, and make.

What each firmware is built from, and into which folder of the build directory, is its
platform's recipe (tools/platforms.py). Every function takes a settings.Layout: where the
MicroPython tree and the build folder are. Failures are BuildError, whose text is one line
saying what to do.
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import identity, sources
from tools.platforms import OURS, PLATFORMS
from tools.util import elf_size, git, say


class BuildError(Exception):
    """A step of setup, fetch or build failed; str() says what to do next."""


def firmwares(names):
    """The platforms (tools/platforms.py) to build for "all" (ours: not the peers' or the
    stock ones, which what uses them builds) or a comma-separated list of names."""
    if names == "all":
        return [PLATFORMS[n] for n in OURS]
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in PLATFORMS]
    if unknown or not wanted:
        raise BuildError("unknown target '{}'; choose from: {}, all".format(
            unknown[0] if unknown else names, ", ".join(PLATFORMS)))
    return [PLATFORMS[n] for n in wanted]


def firmware_path(layout, name):
    """The main artifact of a firmware, e.g. build/unix/micropython."""
    f = PLATFORMS[name]
    return layout.out(f.out) / f.artifacts[-1]


# --- the toolchain -------------------------------------------------------------------------

# Debian packages the build, the emulator and flashing need, by the command each provides.
APT_PACKAGES = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
    "dfu-util": "dfu-util",
    "cc": "gcc",
    "make": "make",
    "git": "git",
    "clang": "clang",  # libFuzzer for the C kernels (tests/fuzz)
    "unshare": "util-linux",  # a full disk, simulated in a namespace (tests/test_faults.py)
    "setpriv": "util-linux",  # QEMU killed with the process that started it (tools/targets.py)
    "prlimit": "util-linux",  # upstream CI's open-file limit (tools/conformance/runs.py)
    # The native modules for RISC-V boards (./inv natmod --arch rv32imc), as upstream's CI.
    "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf",
    "qemu-system-riscv32": "qemu-system-misc",  # upstream's VIRT_RV32 board (test_stock.py)
}
# Files (glob patterns; not commands) whose package must be present too.
APT_FILES = {
    "/usr/lib/arm-none-eabi/newlib/libc.a": "libnewlib-arm-none-eabi",
    # libFuzzer and clang's sanitizer runtimes, which clang only recommends (the unversioned
    # package follows the distribution's default clang).
    "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a": "libclang-rt-dev",
    # The C library mpy_ld.py links rv32imc modules against (py/dynruntime.mk).
    "/usr/lib/picolibc/riscv64-unknown-elf/lib/libc.a": "picolibc-riscv64-unknown-elf",
}
PYTHON_MODULES = ("invoke", "mpremote", "serial", "pytest", "numpy", "matplotlib")


def missing_apt():
    missing = [pkg for cmd, pkg in APT_PACKAGES.items() if not shutil.which(cmd)]
    missing += [pkg for pattern, pkg in APT_FILES.items() if not glob.glob(pattern)]
    return sorted(set(missing))


def missing_python():
    missing = []
    for module in PYTHON_MODULES:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


def setup(install):
    """Install (as root, when install is true) or check the Debian packages and Python tools."""
    missing = missing_apt()
    if missing:
        line = "apt-get install -y " + " ".join(missing)
        if os.geteuid() != 0 or not install:
            raise BuildError("setup: missing {}; run: sudo {}".format(", ".join(missing), line))
        say("setup", "installing " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
        r = subprocess.run(line.split() + ["-q"], capture_output=True, text=True, env=env)
        if r.returncode or missing_apt():
            raise BuildError("setup: '{}' failed:\n{}".format(line, r.stderr.strip()[-800:]))
    python = missing_python()
    if python:
        raise BuildError(
            "setup: Python modules missing: {}; run tasks through ./inv, or: pip install -r "
            "requirements.txt".format(", ".join(python)))
    say("setup", "toolchain, emulator, dfu-util and Python tools present")


# --- fetching MicroPython ------------------------------------------------------------------


def _clone(url, ref, dest, layout):
    """Clone url at ref into dest via a temporary folder, so an interrupted clone never
    leaves a half-made tree where a finished one is expected."""
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        say("fetch", "removing unfinished clone {}".format(layout.rel(tmp)))
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    say("fetch", "cloning {} at {}".format(url, ref))
    r = git(["clone", "-q", "--depth", "1", "--branch", ref, "--no-recurse-submodules", url,
             str(tmp)], None)
    if r.returncode:
        err = r.stderr.strip()
        if "not found in upstream" in err or "Could not find remote branch" in err:
            raise BuildError("fetch: ref '{}' does not exist at {}; pass an existing tag to "
                             "--ref".format(ref, url))
        raise BuildError(
            "fetch: could not clone {} ({}); check the network, or point git at a local mirror "
            "with url.<dir>.insteadOf (see README)".format(
                url, err.splitlines()[-1] if err else "no output"))
    tmp.rename(dest)


def _checkout_ref(mp, url, ref, layout):
    """Move an existing tree to ref (fetching it first), unless it is there already."""
    want = git(["rev-parse", "-q", "--verify", ref + "^{commit}"], mp).stdout.strip()
    head = git(["rev-parse", "HEAD"], mp).stdout.strip()
    if want and want == head:
        return
    say("fetch", "moving {} to {}".format(layout.rel(mp), ref))
    if git(["fetch", "-q", "--depth", "1", "origin", "tag", ref], mp).returncode:
        raise BuildError("fetch: could not fetch ref '{}' from {}; check the ref and the "
                         "network".format(ref, url))
    r = git(["checkout", "-q", "--force", "--detach", ref], mp)
    if r.returncode:
        raise BuildError("fetch: checkout of {} failed: {}".format(ref, r.stderr.strip()))


def _submodule_ok(mp, path):
    # `git submodule status` prefixes '-' (not initialised), '+' (wrong commit), 'U' (conflict).
    r = git(["submodule", "status", "--", path], mp)
    line = r.stdout.strip()
    return r.returncode == 0 and line and line[0] not in "-+U" and (mp / path / ".git").exists()


def _init_submodule(mp, path):
    say("fetch", "submodule {}".format(path))
    for args in (["--depth", "1", "--", path], ["--", path]):
        r = git(["submodule", "update", "--init", "--force"] + args, mp)
        if r.returncode == 0 and _submodule_ok(mp, path):
            return
        # A clone cut short leaves a broken git dir behind: start that submodule afresh.
        git(["submodule", "deinit", "-q", "--force", "--", path], mp)
        shutil.rmtree(mp / ".git" / "modules" / path, ignore_errors=True)
        shutil.rmtree(mp / path, ignore_errors=True)
    raise BuildError(
        "fetch: submodule {} failed: {}; check the network or your url.<dir>.insteadOf mirror, "
        "then run fetch again".format(path, r.stderr.strip().splitlines()[-1:]))


def fetch(layout, url, targets):
    """Clone (or move) layout.micropython to layout.ref, restore anything changed in it, and
    initialise the submodules the targets need."""
    mp = layout.micropython
    if not shutil.which("git"):
        raise BuildError("fetch: git is missing; run: sudo apt-get install -y git")
    if not (mp / ".git").exists() or git(["rev-parse", "HEAD"], mp).returncode:
        if mp.exists():
            say("fetch", "{} is not a usable git tree; cloning afresh".format(layout.rel(mp)))
            shutil.rmtree(mp)
        _clone(url, layout.ref, mp, layout)
    else:
        _checkout_ref(mp, url, layout.ref, layout)
    # Put back anything deleted or changed in the fetched tree (we never edit it).
    if git(["status", "--porcelain", "--untracked-files=no", "--ignore-submodules"], mp).stdout:
        say("fetch", "restoring modified files in the fetched tree")
        git(["checkout", "-q", "--force", "HEAD"], mp)
    subs = []
    for t in targets:
        subs += [s for s in t.submodules if s not in subs]
    for path in subs:
        if not _submodule_ok(mp, path):
            _init_submodule(mp, path)
        elif git(["status", "--porcelain", "--untracked-files=no"], mp / path).stdout:
            say("fetch", "restoring modified files in {}".format(path))
            git(["checkout", "-q", "--force", "HEAD"], mp / path)
    say("fetch", "MicroPython {} ready in {}".format(layout.ref, layout.rel(mp)))
    peers = [p for t in targets for p in t.peers]
    if peers:
        try:
            sources.fetch(layout, list(dict.fromkeys(peers)))
        except sources.PeerError as e:
            raise BuildError(str(e))


def _usermods(t, layout, out):
    """The USER_C_MODULES folder of t: usermod/, or for a firmware with more modules than
    ours, out/usermod/ holding a link to each module's folder (make reads one folder)."""
    if t.usermods is None:
        return layout.root / "usermod"
    folder = out / "usermod"
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in t.usermods.items():
        link, src = folder / name, layout.root / src
        if not src.is_dir():
            raise BuildError("build: {} needs {}; run: ./inv fetch --target {}".format(
                t.name, layout.rel(src), t.name))
        if link.is_symlink() and Path(os.readlink(link)) != src:
            link.unlink()
        if not link.is_symlink():
            link.symlink_to(src, target_is_directory=True)
    return folder


# --- make ----------------------------------------------------------------------------------


def _make(stage, workdir, args, log, env, jobs, layout, flags=()):
    """Run make with its full output in log; on failure show the last lines and the log."""
    cmd = ["make", "-C", str(workdir), "-j{}".format(jobs), *flags]
    cmd += ["{}={}".format(k, v) for k, v in args]
    try:
        with open(log, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    except OSError as e:
        raise BuildError("build: {}: cannot write {} ({}); free some space (./inv clean removes "
                         "build/) and run build again".format(stage, layout.rel(log), e.strerror))
    if proc.returncode:
        tail = Path(log).read_text(errors="replace").splitlines()[-25:]
        print("\n".join("    " + line for line in tail), file=sys.stderr)
        if any("No space left on device" in line for line in tail):
            raise BuildError("build: {} failed: no space left on device for {}; free some space "
                             "(./inv clean removes build/) and run build again".format(
                                 stage, layout.rel(log.parent)))
        raise BuildError("build: {} failed; full log: {}".format(stage, layout.rel(log)))


def build(layout, targets, jobs):
    """Build mpy-cross, then each firmware of targets into its folder of layout.build."""
    mp = layout.micropython
    if not (mp / "py" / "mpconfig.h").exists():
        raise BuildError("build: MicroPython source missing; run: ./inv fetch")
    # Reproducible builds: the date pinned to the MicroPython commit, and Python's string
    # hashing fixed, since upstream generators (make-pins.py) walk sets of names.
    epoch = git(["log", "-1", "--format=%ct"], mp)
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch.stdout.strip() or "0", PYTHONHASHSEED="0")
    out = layout.mpy_cross.parent
    out.mkdir(parents=True, exist_ok=True)
    say("mpy-cross", "building from the fetched tree")
    _make("mpy-cross", mp / "mpy-cross", [("BUILD", out)], out / "build.log", env, jobs, layout)
    for t in targets:
        out = layout.out(t.out)
        out.mkdir(parents=True, exist_ok=True)
        log = out / "build.log"
        log.write_text("")
        # Which firmware this is (tools/identity.py), frozen as fastpath.BUILD beside the
        # kernels found for this board (tools/kernels.py); written only when it changes.
        ident = identity.build_info(layout.root, layout.micropython, t.out)
        args = [
            ("BUILD", out),
            ("MICROPY_MPYCROSS", layout.mpy_cross),
            ("MICROPY_MPYCROSS_DEPENDENCY", layout.mpy_cross),
        ]
        if t.stock is None:
            identity.write_module(out, ident, t.board, t.arch, layout.root, c=t.c_module)
            if t.usermods != {}:
                args.append(("USER_C_MODULES", _usermods(t, layout, out)))
            args += [
                ("FROZEN_MANIFEST", layout.root / "frozen" / "manifest.py"),
                ("MICROPY_MANIFEST_FASTPATH_DIR", layout.root),
                ("MICROPY_MANIFEST_FASTPATH_GEN_DIR", out / "gen"),
            ]
        elif t.stock:
            args.append(("FROZEN_MANIFEST", layout.root / t.stock))
        args += t.args(layout.root)
        say(t.name, "make in ports/{} (log: {})".format(t.port, layout.rel(log)))
        _make(t.name, mp / "ports" / t.port, args, log, env, jobs, layout, t.flags(layout.root))
        missing = [a for a in t.artifacts if not (out / a).exists()]
        if missing:
            raise BuildError("build: {} finished without {}; see {}".format(
                t.name, ", ".join(missing), layout.rel(log)))
        identity.write_json(out, ident)
        main = out / t.artifacts[-1]
        say(t.name, "{}: {}".format(layout.rel(main), elf_size(main) or ""))
        for a in t.artifacts[:-1]:
            say(t.name, layout.rel(out / a))
