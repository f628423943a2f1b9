"""The build plumbing behind tasks.py: the toolchain, fetching MicroPython, and make.

The firmwares we build (FIRMWARES) are build targets: which MicroPython port makes each, from
which of our folders, into which folder of the build directory. (What runs code on a board is
a runner, tools/targets.py.) Every function takes a settings.Layout: where the MicroPython tree
and the build folder are. Failures are BuildError, whose text is one line saying what to do.
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import identity, sources
from tools.util import elf_size, git, say


class BuildError(Exception):
    """A step of setup, fetch or build failed; str() says what to do next."""


class BuildRecipe:
    """How one firmware is built: which MicroPython port builds it, from which of our folders,
    into which folder of the build directory."""

    def __init__(self, name, port, out, submodules, artifacts, make_args, make_flags=(),
                 usermods=None, peers=(), stock=None, board=None, arch=None):
        self.name = name
        self.port = port  # folder under ports/ in the MicroPython tree
        self.out = out  # build/<out>/
        self.submodules = submodules
        self.artifacts = artifacts  # the main one last
        self.make_args = make_args  # *_DIR values are folders of this project
        self.make_flags = make_flags  # options of make itself; {root}: this project
        # User C modules: {name: folder of this project}, or None for usermod/ (ours alone).
        self.usermods = usermods
        self.peers = peers  # peers' sources it builds from (tools/peers.py PINS)
        # A firmware that is not ours, for the tests of the package on stock firmware
        # (tools/package.py): built without our C module and frozen package, with this frozen
        # manifest (a path of this project), or the port's own when it is "".
        self.stock = stock
        # What the firmware is to the package: fastpath.board.NAME there, and its mpy
        # architecture (None: the host's; the kernel index, tools/kernels.py, reads both).
        self.board = board
        self.arch = arch

    def args(self, root):
        """make_args with our folders made absolute for root."""
        return [(k, Path(root) / v if k.endswith("_DIR") else v)
                for k, v in self.make_args.items()]

    def flags(self, root):
        """make_flags for root."""
        return [f.format(root=root) for f in self.make_flags]

    def __repr__(self):
        return "BuildRecipe({!r})".format(self.name)


FIRMWARES = {
    f.name: f
    for f in (
        BuildRecipe(
            "pybv11", "stm32", "PYBV11",
            ("lib/stm32lib", "lib/libhydrogen", "lib/micropython-lib"),
            ("firmware.dfu", "firmware.hex", "firmware.elf"),
            {"BOARD_DIR": "boards/PYBV11"}, board="pyboard", arch="armv7emsp",
        ),
        BuildRecipe(
            "unix", "unix", "unix", ("lib/micropython-lib",), ("micropython",),
            {"VARIANT_DIR": "ports/unix"}, board="unix",
        ),
        BuildRecipe(
            "unix-asan", "unix", "unix-asan", ("lib/micropython-lib",), ("micropython",),
            {"VARIANT_DIR": "ports/unix-asan"}, board="unix",
        ),
        BuildRecipe(
            "qemu", "qemu", "qemu", ("lib/micropython-lib",), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            # MicroPython v1.24 knows no BOARD_DIR: it reads boards/$(BOARD).mk, which make
            # finds in this include folder (ports/qemu/boards/MPS2_AN386.mk).
            ("--include-dir={root}/ports/qemu",), board="qemu", arch="armv7emsp",
        ),
        # The emulated board with ulab beside our module: the peers' bench (tools/peers.py).
        BuildRecipe(
            "qemu-ulab", "qemu", "qemu-ulab", ("lib/micropython-lib",), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            ("--include-dir={root}/ports/qemu",),
            usermods={"fastpath": "usermod/fastpath", "ulab": "lib/peers/micropython-ulab/code"},
            peers=("micropython-ulab",), board="qemu", arch="armv7emsp",
        ),
        # Not ours: the stock firmwares the mip package and native modules are proved on.
        # Our emulated board (armv7emsp) with its filesystem but without _fastpath and the
        # frozen fastpath package.
        BuildRecipe(
            "qemu-stock", "qemu", "qemu-stock", (), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            ("--include-dir={root}/ports/qemu",),
            stock="ports/qemu/stock/manifest.py", board="qemu", arch="armv7emsp",
        ),
        # Upstream's unix standard variant (x64), unchanged: its frozen mip included (btree
        # and ssl off: their libraries are submodules we do not fetch).
        BuildRecipe(
            "unix-stock", "unix", "unix-stock", ("lib/micropython-lib",), ("micropython",),
            {"VARIANT": "standard", "MICROPY_PY_BTREE": "0", "MICROPY_PY_SSL": "0",
             "MICROPY_SSL_MBEDTLS": "0"},
            stock="", board="unix", arch="x64",
        ),
        # Upstream's qemu boards, unchanged: MPS2_AN385 (Cortex-M3, armv7m) and VIRT_RV32
        # (rv32imc). Neither has a filesystem: the tests mount one in RAM for mip.
        BuildRecipe("qemu-an385", "qemu", "qemu-an385", (), ("firmware.elf",),
                    {"BOARD": "MPS2_AN385"}, stock="", board="qemu", arch="armv7m"),
        # Debian's riscv64-unknown-elf GCC 12 has its rv32 libraries (libgcc, picolibc) as the
        # multilib rv32imac/ilp32, which -march=rv32imac_zicsr (the port's choice for GCC > 10)
        # does not select: the compiler and linker are given rv32imac, and the assembler,
        # which needs Zicsr named for the CSR instructions, rv32imac_zicsr.
        BuildRecipe("qemu-rv32", "qemu", "qemu-rv32", (), ("firmware.elf",),
                    {"BOARD": "VIRT_RV32", "RV32_ARCH": "rv32imac",
                     "AFLAGS": "-mabi=ilp32 -march=rv32imac_zicsr",
                     "CFLAGS_EXTRA": "-Wa,-march=rv32imac_zicsr"},
                    stock="", board="qemu-virt", arch="rv32imc"),
    )
}
# The firmwares "all" builds: ours (the peers' variants are built by ./inv bench --peers, the
# stock ones by the tests that use them, each also by name).
OURS = tuple(name for name, f in FIRMWARES.items() if f.stock is None and not f.peers)


# The firmware each test target runs (tools/targets.py's runners): a real board runs the
# Pyboard firmware, which the device tests check it against.
TARGET_FIRMWARE = {"unix": "unix", "unix-asan": "unix-asan", "qemu": "qemu", "device": "pybv11"}


def firmwares(names):
    """The BuildRecipe objects for "all" (every one but the peers' variants, which only
    `./inv bench --peers` builds) or a comma-separated list of names."""
    if names == "all":
        return [FIRMWARES[n] for n in OURS]
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in FIRMWARES]
    if unknown or not wanted:
        raise BuildError("unknown target '{}'; choose from: {}, all".format(
            unknown[0] if unknown else names, ", ".join(FIRMWARES)))
    return [FIRMWARES[n] for n in wanted]


def firmware_path(layout, name):
    """The main artifact of a firmware, e.g. build/unix/micropython."""
    f = FIRMWARES[name]
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
    r = subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", ref,
                        "--no-recurse-submodules", url, str(tmp)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
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
    if not t.usermods:
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
            identity.write_module(out, ident, t.board, t.arch, layout.root)
            args += [
                ("USER_C_MODULES", _usermods(t, layout, out)),
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
