"""fastpath tasks: from a fresh machine to a flashable Pyboard image, and the same firmware
composition (our C module + our frozen package) for the unix port and an emulated Cortex-M4.

Run them through ./inv (it keeps the project's virtualenv up to date), e.g. ``./inv build``.
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from invoke import Collection, Exit, task

ROOT = Path(__file__).resolve().parent

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
}
# Files (glob patterns; not commands) whose package must be present too.
APT_FILES = {
    "/usr/lib/arm-none-eabi/newlib/libc.a": "libnewlib-arm-none-eabi",
    # libFuzzer and clang's sanitizer runtimes, which clang only recommends (the unversioned
    # package follows the distribution's default clang).
    "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a": "libclang-rt-dev",
}


class Target:
    """One build target: which MicroPython port builds it, from which of our directories."""

    def __init__(self, name, port, out, submodules, artifacts, make_args):
        self.name = name
        self.port = port  # directory under ports/ in the MicroPython tree
        self.out = out  # build/<out>/
        self.submodules = submodules
        self.artifacts = artifacts
        self.make_args = make_args

    def out_dir(self, c):
        """build/<out>/, or under fastpath.build_dir when that is set (as the tests do)."""
        return ROOT / c.fastpath.build_dir / self.out


TARGETS = {
    t.name: t
    for t in (
        Target(
            "pybv11",
            "stm32",
            "PYBV11",
            ("lib/stm32lib", "lib/libhydrogen", "lib/micropython-lib"),
            ("firmware.dfu", "firmware.hex", "firmware.elf"),
            {"BOARD_DIR": ROOT / "boards" / "PYBV11"},
        ),
        Target(
            "unix",
            "unix",
            "unix",
            ("lib/micropython-lib",),
            ("micropython",),
            {"VARIANT_DIR": ROOT / "ports" / "unix"},
        ),
        Target(
            "unix-asan",
            "unix",
            "unix-asan",
            ("lib/micropython-lib",),
            ("micropython",),
            {"VARIANT_DIR": ROOT / "ports" / "unix-asan"},
        ),
        Target(
            "qemu",
            "qemu",
            "qemu",
            ("lib/micropython-lib",),
            ("firmware.elf",),
            {"BOARD_DIR": ROOT / "ports" / "qemu", "BOARD": "MPS2_AN386"},
        ),
    )
}


def _mp_dir(c):
    return ROOT / c.fastpath.micropython_dir


def _rel(path):
    # Paths inside the project are shown relative to it, others in full.
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _say(stage, text):
    print(f"[{stage}] {text}", flush=True)


def _git(c, args, cwd=None, hide=True):
    cwd = cwd or ROOT
    return c.run(f"git -C {cwd} {args}", warn=True, hide=hide, in_stream=False)


def _missing_apt():
    missing = [pkg for cmd, pkg in APT_PACKAGES.items() if not shutil.which(cmd)]
    missing += [pkg for pattern, pkg in APT_FILES.items() if not glob.glob(pattern)]
    return sorted(set(missing))


def _missing_python():
    missing = []
    for module in ("invoke", "mpremote", "serial", "pytest", "numpy", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


@task
def setup(c):
    """Install (as root) or check the Debian toolchain, emulator and Python tools.

    Set fastpath.install to false (INVOKE_FASTPATH_INSTALL=0) to only check, even as root.
    """
    missing = _missing_apt()
    if missing:
        line = "apt-get install -y " + " ".join(missing)
        if os.geteuid() != 0 or not c.fastpath.install:
            raise Exit(f"setup: missing {', '.join(missing)}; run: sudo {line}")
        _say("setup", "installing " + " ".join(missing))
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        c.run("apt-get update -q", hide=True, env=env)
        r = c.run(line + " -q", hide=True, warn=True, env=env)
        if r.failed or _missing_apt():
            raise Exit(f"setup: '{line}' failed:\n{r.stderr.strip()[-800:]}")
    python = _missing_python()
    if python:
        raise Exit(
            f"setup: Python modules missing: {', '.join(python)}; run tasks through ./inv, "
            "or: pip install -r requirements.txt"
        )
    _say("setup", "toolchain, emulator, dfu-util and Python tools present")


def _needed_submodules(targets):
    subs = []
    for t in targets:
        subs += [s for s in t.submodules if s not in subs]
    return subs


def _clone(c, url, ref, dest):
    """Clone url at ref into dest via a temporary folder, so an interrupted clone never
    leaves a half-made tree where a finished one is expected."""
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        _say("fetch", f"removing unfinished clone {_rel(tmp)}")
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    _say("fetch", f"cloning {url} at {ref}")
    r = c.run(
        f"git clone -q --depth 1 --branch {ref} --no-recurse-submodules {url} {tmp}",
        warn=True,
        hide=True,
        in_stream=False,
    )
    if r.failed:
        err = r.stderr.strip()
        if "not found in upstream" in err or "Could not find remote branch" in err:
            raise Exit(
                f"fetch: ref '{ref}' does not exist at {url}; pass an existing tag to --ref"
            )
        raise Exit(
            f"fetch: could not clone {url} ({err.splitlines()[-1] if err else 'no output'}); "
            "check the network, or point git at a local mirror with url.<dir>.insteadOf "
            "(see README)"
        )
    tmp.rename(dest)


def _checkout_ref(c, mp, url, ref):
    """Move an existing tree to ref (fetching it first), unless it is there already."""
    want = _git(c, f"rev-parse -q --verify {ref}^{{commit}}", cwd=mp).stdout.strip()
    head = _git(c, "rev-parse HEAD", cwd=mp).stdout.strip()
    if want and want == head:
        return False
    _say("fetch", f"moving {_rel(mp)} to {ref}")
    r = _git(c, f"fetch -q --depth 1 origin tag {ref}", cwd=mp)
    if r.failed:
        raise Exit(f"fetch: could not fetch ref '{ref}' from {url}; check the ref and the network")
    r = _git(c, f"checkout -q --force --detach {ref}", cwd=mp)
    if r.failed:
        raise Exit(f"fetch: checkout of {ref} failed: {r.stderr.strip()}")
    return True


def _submodule_ok(c, mp, path):
    # `git submodule status` prefixes '-' (not initialised), '+' (wrong commit), 'U' (conflict).
    r = _git(c, f"submodule status -- {path}", cwd=mp)
    line = r.stdout.strip()
    return r.ok and line and line[0] not in "-+U" and (mp / path / ".git").exists()


def _init_submodule(c, mp, path):
    _say("fetch", f"submodule {path}")
    for args in (f"--depth 1 -- {path}", f"-- {path}"):
        r = _git(c, f"submodule update --init --force {args}", cwd=mp)
        if r.ok and _submodule_ok(c, mp, path):
            return
        # A clone cut short leaves a broken git dir behind: start that submodule afresh.
        _git(c, f"submodule deinit -q --force -- {path}", cwd=mp)
        shutil.rmtree(mp / ".git" / "modules" / path, ignore_errors=True)
        shutil.rmtree(mp / path, ignore_errors=True)
    raise Exit(
        f"fetch: submodule {path} failed: {r.stderr.strip().splitlines()[-1:]}; "
        "check the network or your url.<dir>.insteadOf mirror, then run fetch again"
    )


def _fetch(c, ref, targets):
    mp = _mp_dir(c)
    url = c.fastpath.micropython_url
    if not shutil.which("git"):
        raise Exit("fetch: git is missing; run: sudo apt-get install -y git")
    if not (mp / ".git").exists() or _git(c, "rev-parse HEAD", cwd=mp).failed:
        if mp.exists():
            _say("fetch", f"{_rel(mp)} is not a usable git tree; cloning afresh")
            shutil.rmtree(mp)
        _clone(c, url, ref, mp)
    else:
        _checkout_ref(c, mp, url, ref)
    # Put back anything deleted or changed in the fetched tree (we never edit it).
    if _git(c, "status --porcelain --untracked-files=no --ignore-submodules", cwd=mp).stdout:
        _say("fetch", "restoring modified files in the fetched tree")
        _git(c, "checkout -q --force HEAD", cwd=mp)
    for path in _needed_submodules(targets):
        if not _submodule_ok(c, mp, path):
            _init_submodule(c, mp, path)
        elif _git(c, "status --porcelain --untracked-files=no", cwd=mp / path).stdout:
            _say("fetch", f"restoring modified files in {path}")
            _git(c, "checkout -q --force HEAD", cwd=mp / path)
    _say("fetch", f"MicroPython {ref} ready in {_rel(mp)}")


def _targets(name):
    if name == "all":
        return list(TARGETS.values())
    names = [n.strip() for n in name.split(",")]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        raise Exit(f"unknown target '{unknown[0]}'; choose from: {', '.join(TARGETS)}, all")
    return [TARGETS[n] for n in names]


@task(
    help={
        "ref": "MicroPython tag to fetch (default: fastpath.micropython_ref, v1.25.0)",
        "target": "which targets' submodules to initialise: pybv11, unix, qemu or all",
    }
)
def fetch(c, ref=None, target="all"):
    """Clone MicroPython at the pinned tag and initialise only the submodules we build with."""
    _fetch(c, ref or c.fastpath.micropython_ref, _targets(target))


def _source_date_epoch(c):
    # Pin the build date to the MicroPython commit, so two builds of one commit are identical.
    r = _git(c, "log -1 --format=%ct", cwd=_mp_dir(c))
    return r.stdout.strip() if r.ok else "0"


def _make(c, stage, workdir, args, log, env):
    """Run make with its full output in log; on failure show the last lines and the log."""
    cmd = ["make", "-C", str(workdir), f"-j{c.fastpath.jobs}"] + [f"{k}={v}" for k, v in args]
    try:
        with open(log, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    except OSError as e:
        raise Exit(f"build: {stage}: cannot write {_rel(log)} ({e.strerror}); free some space "
                   "(./inv clean removes build/) and run build again")
    if proc.returncode:
        tail = Path(log).read_text(errors="replace").splitlines()[-25:]
        print("\n".join("    " + line for line in tail), file=sys.stderr)
        if any("No space left on device" in line for line in tail):
            raise Exit(f"build: {stage} failed: no space left on device for {_rel(log.parent)}; "
                       "free some space (./inv clean removes build/) and run build again")
        raise Exit(f"build: {stage} failed; full log: {_rel(log)}")


def _mpy_cross(c, env):
    mp = _mp_dir(c)
    out = ROOT / c.fastpath.build_dir / "mpy-cross"
    out.mkdir(parents=True, exist_ok=True)
    _say("mpy-cross", "building from the fetched tree")
    _make(c, "mpy-cross", mp / "mpy-cross", [("BUILD", out)], out / "build.log", env)
    return out / "mpy-cross"


def _size(elf):
    r = subprocess.run(
        ["arm-none-eabi-size" if elf.suffix == ".elf" else "size", str(elf)],
        capture_output=True,
        text=True,
    )
    if r.returncode:
        return ""
    text, data, bss = r.stdout.splitlines()[1].split()[:3]
    return f"text {text}, data {data}, bss {bss}"


def _build(c, targets):
    mp = _mp_dir(c)
    if not (mp / "py" / "mpconfig.h").exists():
        raise Exit("build: MicroPython source missing; run: ./inv fetch")
    # Reproducible builds: the date pinned to the MicroPython commit, and Python's string
    # hashing fixed, since upstream generators (make-pins.py) walk sets of names.
    env = dict(os.environ, SOURCE_DATE_EPOCH=_source_date_epoch(c), PYTHONHASHSEED="0")
    mpy_cross = _mpy_cross(c, env)
    for t in targets:
        out = t.out_dir(c)
        out.mkdir(parents=True, exist_ok=True)
        log = out / "build.log"
        log.write_text("")
        args = [
            ("BUILD", out),
            ("USER_C_MODULES", ROOT / "usermod"),
            ("FROZEN_MANIFEST", ROOT / "frozen" / "manifest.py"),
            ("MICROPY_MANIFEST_FASTPATH_DIR", ROOT),
            ("MICROPY_MPYCROSS", mpy_cross),
            ("MICROPY_MPYCROSS_DEPENDENCY", mpy_cross),
        ] + list(t.make_args.items())
        _say(t.name, f"make in ports/{t.port} (log: {_rel(log)})")
        _make(c, t.name, mp / "ports" / t.port, args, log, env)
        missing = [a for a in t.artifacts if not (out / a).exists()]
        if missing:
            raise Exit(f"build: {t.name} finished without {', '.join(missing)}; see {log}")
        main = out / t.artifacts[-1]
        _say(t.name, f"{_rel(main)}: {_size(main)}")
        for a in t.artifacts[:-1]:
            _say(t.name, _rel(out / a))


@task(
    help={
        "target": "pybv11 (default), unix, qemu, unix-asan (sanitizers), all, or a "
        "comma-separated list",
        "ref": "MicroPython tag (default v1.25.0)",
        "jobs": "parallel make jobs (default: this machine's cores)",
    }
)
def build(c, target="pybv11", ref=None, jobs=None):
    """Fetch what is missing, then build mpy-cross and the firmware into build/<target>/."""
    targets = _targets(target)
    if jobs:
        c.fastpath.jobs = int(jobs)
    setup(c)
    _fetch(c, ref or c.fastpath.micropython_ref, targets)
    _build(c, targets)


def _pytest(c, args):
    r = c.run(f"{sys.executable} -m pytest {args}", warn=True, pty=False, in_stream=False)
    if r.exited:
        raise Exit(f"test: pytest exited with {r.exited}", code=r.exited)


@task(
    help={
        "target": "comma-separated: unix, qemu, device (default: all three; device is "
        "skipped when no board is on --port)",
        "port": "serial port of a Pyboard for the device target (default /dev/ttyACM0)",
        "k": "only tests matching this pytest -k expression",
        "verbose": "list every test",
    }
)
def test(c, target="unix,qemu,device", port=None, k=None, verbose=False):
    """Build every target (incrementally), then run the test suite on unix, qemu, a board."""
    build(c, target="all")
    args = f"tests --target {target} --port {port or c.fastpath.port}"
    if k:
        args += f" -k '{k}'"
    _pytest(c, args + (" -v" if verbose else ""))


@task(
    help={
        "target": "comma-separated: unix, unix-asan, qemu (default: all three)",
        "mode": "comma-separated modes (default: all): default, thread, native, via-mpy, "
        "via-mpy-native; asmfp (qemu)",
        "record_upstream": "instead: build upstream's own unix and qemu firmware and record "
        "what the suite gives on them in tools/conformance_upstream.json",
    }
)
def conformance(c, target="unix,unix-asan,qemu", mode=None, record_upstream=False):
    """Run MicroPython's own test suite on our builds in upstream CI's modes; fail on any
    result that neither upstream's own build nor tools/conformance_expected.py accounts for."""
    from tools import conformance as check
    from tools.targets import QEMU_ARGS, SANITIZER_ENV

    out = ROOT / c.fastpath.build_dir
    try:
        runs = check.main({t.name: t.out_dir(c) / t.artifacts[-1] for t in _targets(target)},
                          _mp_dir(c), out / "conformance", out / "mpy-cross" / "mpy-cross",
                          mode, c.fastpath.jobs, record_upstream, lambda: build(c, target=target),
                          SANITIZER_ENV, QEMU_ARGS)
    except (ValueError, check.ConformanceError) as e:
        raise Exit(str(e))
    if any(r.unexpected for r in runs):
        raise Exit("conformance: unexpected results, listed above: fix them or, when our "
                   "configuration causes them, list each in tools/conformance_expected.py")


@task(
    help={
        "target": "qemu (default), device or unix",
        "port": "serial port of the board for --target device (default /dev/ttyACM0)",
    }
)
def repl(c, target="qemu", port=None):
    """Open a MicroPython REPL on the emulator, a board (mpremote) or the unix build."""
    # mpremote gets this terminal itself (not invoke's pty), so keys reach it as typed.
    mpremote = [sys.executable, "-m", "mpremote", "connect"]
    if target == "unix":
        binary = TARGETS["unix"].out_dir(c) / "micropython"
        if not binary.exists():
            raise Exit("no build/unix/micropython; run: ./inv build --target unix")
        os.execv(binary, [str(binary)])
    if target == "device":
        port = port or c.fastpath.port
        if not os.path.exists(port):
            raise Exit(f"repl: no board at {port}; connect the Pyboard or pass --port")
        subprocess.call(mpremote + [port, "repl"])
        return
    if target != "qemu":
        raise Exit(f"repl: unknown target '{target}'; choose qemu, device or unix")
    from tools.targets import QemuTarget

    elf = TARGETS["qemu"].out_dir(c) / "firmware.elf"
    if not elf.exists():
        raise Exit("no build/qemu/firmware.elf; run: ./inv build --target qemu")
    # QemuTarget's QEMU has its own process group (Ctrl-C in the REPL does not reach it) and
    # dies with this process.
    qemu = QemuTarget(firmware=elf)
    try:
        qemu.start()
        print(f"emulated board on {qemu.device}; Ctrl-] leaves the REPL and stops it")
        subprocess.call(mpremote + [qemu.device, "repl"])
    except RuntimeError as e:
        raise Exit(f"repl: {e}; run: ./inv setup")
    finally:
        qemu.stop()


def _runner(c, target, port):
    """A tools.targets runner for target, building its firmware first where we can."""
    from tools import targets

    if target in ("unix", "qemu"):
        build(c, target=target)
        return targets.UnixTarget() if target == "unix" else targets.QemuTarget()
    if target == "device":
        port = port or c.fastpath.port
        if not os.path.exists(port):
            raise Exit(f"no board at {port}; connect the Pyboard (running this firmware) or "
                       "pass --port")
        return targets.DeviceTarget(port)
    raise Exit(f"unknown target '{target}'; choose qemu, unix or device")


@task(
    help={
        "target": "qemu (default: exact instruction counts), unix (ns) or device (cycles)",
        "port": "serial port of the board for --target device (default /dev/ttyACM0)",
        "kernel": "only this kernel (crc32, fir_q15, popcount, rgb565)",
        "json": "also write the JSON report to this file",
        "repeat": "measurements per tier; min and median are kept (default 5)",
        "docs": "rewrite docs/benchmarks.md, .json and .png from this run (qemu only)",
    }
)
def bench(c, target="qemu", port=None, kernel=None, json=None, repeat=5, docs=False):
    """Time every tier of every kernel on a target: table, JSON and PNG in build/bench/."""
    from tools import bench as report

    kernels = report.KERNELS
    if kernel:
        if kernel not in kernels:
            raise Exit(f"unknown kernel '{kernel}'; choose from: {', '.join(kernels)}")
        kernels = (kernel,)
    if docs and (target != "qemu" or kernel):
        raise Exit("--docs records the emulator's full run: use it with --target qemu alone")
    runner = _runner(c, target, port)
    try:
        rep = report.collect(runner, kernels, int(repeat),
                             progress=lambda s: print(s, file=sys.stderr, flush=True))
    finally:
        runner.close()
    print(report.markdown(rep))
    goals = report.goals_markdown(rep)
    if goals:
        print("\n" + goals)
    for path in report.write(rep, json):
        _say("bench", f"wrote {path}")
    if docs:
        report.write_docs(rep)
        _say("bench", "wrote docs/benchmarks.md, docs/benchmarks.json, docs/benchmarks.png")


@task(
    help={
        "dfu": "the image to write (default: build/PYBV11/firmware.dfu)",
        "dry_run": "check the file and print the command, without looking for a board",
    }
)
def flash(c, dfu=None, dry_run=False):
    """Check a .dfu image, then write it to a Pyboard in DFU mode (dfu-util, else pydfu)."""
    from tools import flash as flashing

    path = Path(dfu) if dfu else TARGETS["pybv11"].out_dir(c) / "firmware.dfu"
    if not path.is_file():
        raise Exit(f"flash: no file {path}; check --dfu" if dfu else
                   f"flash: no {_rel(path)}; run: ./inv build")
    try:
        flashing.flash(path, pydfu=_mp_dir(c) / "tools" / "pydfu.py", dry_run=dry_run)
    except flashing.FlashError as e:
        raise Exit(str(e))


@task(help={"port": "serial port of the running Pyboard (default /dev/ttyACM0)"})
def bootloader(c, port=None):
    """Ask a running Pyboard to enter DFU mode (machine.bootloader()), ready for flash."""
    from tools import flash as flashing

    port = port or c.fastpath.port
    if not os.path.exists(port):
        raise Exit(f"bootloader: no board at {port}; connect the Pyboard and pass --port, or "
                   "enter DFU mode with the BOOT0 jumper (docs/flashing.md)")
    try:
        flashing.enter_bootloader(port)
    except flashing.FlashError as e:
        raise Exit(str(e))
    _say("bootloader", f"the board on {port} is entering DFU mode; now run: ./inv flash")


@task(
    positional=["files"],
    help={
        "files": ".py files and package folders, comma-separated (a folder keeps its "
        "package name)",
        "port": "serial port of the board, or the pty ./inv emulator prints "
        "(default /dev/ttyACM0)",
        "target": "device (default): the board on --port; qemu without --port: boot a fresh "
        "emulator, deploy, run, stop it",
        "run": "Python to execute after copying, e.g. 'import app; app.main()' (with "
        "--target qemu the default imports what was copied)",
    },
)
def deploy(c, files=None, port=None, target="device", run=None):
    """Compile modules with mpy-cross and copy the .mpy files to a running board: no reflash."""
    from tools import deploy as deploying

    if files and files.startswith("-"):  # invoke hands a flag after `deploy` to FILES
        raise Exit(f"deploy: '{files}' is not a file; for help run: ./inv --help deploy")
    paths = (files or "").replace(",", " ").split()
    if target not in ("device", "qemu"):
        raise Exit(f"deploy: unknown target '{target}'; choose device or qemu")
    try:
        if target == "qemu" and not port:
            deploying.deploy_to_emulator(paths, run=run,
                                         firmware_version=c.fastpath.micropython_ref)
        else:
            deploying.deploy(port or c.fastpath.port, paths, run=run,
                             firmware_version=c.fastpath.micropython_ref)
    except deploying.DeployError as e:
        raise Exit(str(e))


@task
def emulator(c):
    """Boot the emulated board and keep it running, printing its pty for deploy and repl."""
    from tools.targets import QEMU_FIRMWARE, QemuTarget

    if not QEMU_FIRMWARE.exists():
        raise Exit("emulator: no build/qemu/firmware.elf; run: ./inv build --target qemu")
    # QemuTarget's QEMU dies with this process, however it ends.
    qemu = QemuTarget()
    try:
        qemu.start()
    except RuntimeError as e:
        raise Exit(f"emulator: {e}; run: ./inv setup")
    pty = qemu.device
    _say("emulator", f"emulated board on {pty}; Ctrl-C stops it. In another shell:")
    print(f"    ./inv deploy --port {pty} app.py --run 'import app'", flush=True)
    print(f"    ./inv repl --target device --port {pty}", flush=True)
    print(f"    .venv/bin/mpremote connect {pty} mount . exec 'import app'", flush=True)
    try:
        for _ in qemu.proc.stdout:  # QEMU's own messages; the loop ends when QEMU does
            pass
        _say("emulator", f"QEMU exited with {qemu.proc.wait()}")
    except KeyboardInterrupt:
        pass
    finally:
        qemu.stop()


@task(help={"source": "also remove the fetched MicroPython tree"})
def clean(c, source=False):
    """Remove build outputs (and with --source the fetched MicroPython tree)."""
    build_dir = ROOT / c.fastpath.build_dir
    shutil.rmtree(build_dir, ignore_errors=True)
    _say("clean", f"removed {_rel(build_dir)}/")
    if source:
        mp = _mp_dir(c)
        shutil.rmtree(mp, ignore_errors=True)
        shutil.rmtree(mp.with_name(mp.name + ".partial"), ignore_errors=True)
        _say("clean", f"removed {_rel(mp)}")


ns = Collection(setup, fetch, build, test, conformance, bench, repl, flash, bootloader, deploy,
                emulator, clean)
ns.configure(
    {
        "fastpath": {
            "micropython_url": "https://github.com/micropython/micropython",
            "micropython_ref": "v1.25.0",
            "micropython_dir": "lib/micropython",
            "build_dir": "build",
            "jobs": os.cpu_count() or 2,
            "install": True,
            "port": "/dev/ttyACM0",
        },
    }
)
