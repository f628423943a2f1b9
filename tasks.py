"""fastpath tasks: from a fresh machine to a flashable Pyboard image, and the same firmware
composition (our C module + our frozen package) for the unix port and an emulated Cortex-M4.

Run them through ./inv (it keeps the project's virtualenv up to date), e.g. ``./inv build``.
Each task is a thin layer over tools/: the settings (tools/settings.py) are read here once,
turned into a Layout of paths, and passed down.
"""

import os
import subprocess
import sys
from functools import partial

from invoke import Collection, Exit, task

from tools import settings
from tools.build import BuildError
from tools.util import say


def _layout(c, ref=None):
    layout = settings.Layout.from_settings(c.fastpath)
    if ref:
        layout.ref = ref
    return layout


@task
def setup(c):
    """Install (as root) or check the Debian toolchain, emulator and Python tools.

    Set fastpath.install to false (INVOKE_FASTPATH_INSTALL=0) to only check, even as root.
    """
    from tools import build as building

    try:
        building.setup(c.fastpath.install)
    except BuildError as e:
        raise Exit(str(e))


@task(
    help={
        "ref": "MicroPython tag to fetch (default: fastpath.micropython_ref, v1.25.0)",
        "target": "which targets' submodules to initialise: pybv11, unix, unix-asan, qemu, "
        "all, or a comma-separated list",
    }
)
def fetch(c, ref=None, target="all"):
    """Clone MicroPython at the pinned tag and initialise only the submodules we build with."""
    from tools import build as building

    try:
        building.fetch(_layout(c, ref), c.fastpath.micropython_url, building.firmwares(target))
    except BuildError as e:
        raise Exit(str(e))


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
    from tools import build as building

    try:
        firmwares = building.firmwares(target)
        building.setup(c.fastpath.install)
        layout = _layout(c, ref)
        building.fetch(layout, c.fastpath.micropython_url, firmwares)
        building.build(layout, firmwares, int(jobs or c.fastpath.jobs))
    except BuildError as e:
        raise Exit(str(e))


@task(help={"arch": "comma-separated: x64, armv6m, armv7m, armv7emsp, rv32imc (default: all)",
            "jobs": "parallel make jobs (default: this machine's cores)"})
def natmod(c, arch="all", jobs=None):
    """Build the C kernels as native .mpy modules for stock firmware: build/natmod/<arch>/."""
    from tools import build as building
    from tools import natmod as natmods

    try:
        natmods.arches(arch)
        layout = _layout(c)
        if not layout.mpy_cross.exists():
            building.build(layout, [], int(jobs or c.fastpath.jobs))  # mpy-cross only
        natmods.build(layout, arch, int(jobs or c.fastpath.jobs))
    except BuildError as e:
        raise Exit(str(e))


@task(help={"arch": "x64, armv6m, armv7m, armv7emsp (default), rv32imc, a comma-separated list, "
            "or all; the .py package (build/package/py/) is written too",
            "jobs": "parallel make jobs (default: this machine's cores)"})
def package(c, arch="armv7emsp", jobs=None):
    """Write the mip package of fastpath for stock firmware: build/package/<arch>/package.json,
    the package compiled for arch, and the kernels' native modules."""
    from tools import natmod as natmods
    from tools import package as packaging

    layout = _layout(c)
    try:
        for a in natmods.arches(arch, "package"):
            _natmod_ready(c, layout, jobs)
            packaging.package(layout, a, int(jobs or c.fastpath.jobs))
        packaging.package(layout, packaging.PY)
    except BuildError as e:
        raise Exit(str(e))


def _natmod_ready(c, layout, jobs):
    # mpy-cross, built from the fetched tree, before the first native module or package.
    from tools import build as building

    if not layout.mpy_cross.exists():
        building.build(layout, [], int(jobs or c.fastpath.jobs))


@task(help={"port": "serial port of the board (a pty of ./inv emulator too)",
            "arch": "build for this arch rather than the board's (it is refused if the board "
            "cannot load it)",
            "jobs": "parallel make jobs (default: this machine's cores)"})
def install(c, port, arch=None, jobs=None):
    """Install fastpath on a board running stock MicroPython, through mip: the board's arch
    from sys.implementation._mpy, that package built (./inv package), `mpremote mip install`,
    then a check that every rung on the board equals py."""
    from tools import natmod as natmods
    from tools import package as packaging
    from tools.targets import SerialTarget, TargetError, TargetTimeout

    layout = _layout(c)
    try:
        info = packaging.board_info(port)
        board = packaging.package_arch(info["mpy"])
        if board is None:
            raise BuildError(
                "install: the board on {} needs {}, which fastpath does not build (it builds "
                "{}); install the .py package: ./inv package, then mpremote connect {} mip "
                "install build/package/py/package.json".format(
                    port, packaging.needs(info), ", ".join(natmods.ARCHES), port))
        say("install", "{} on {}: MicroPython {}, needs {}".format(
            info["machine"], port, ".".join(map(str, info["version"])),
            packaging.needs(info)))
        _natmod_ready(c, layout, jobs)
        path = packaging.package(layout, arch or board, int(jobs or c.fastpath.jobs))
        why = packaging.refusal(path, info, port)
        if why:
            raise BuildError(why)
        say("install", "mpremote mip install {}".format(layout.rel(path)))
        packaging.mip_install(port, path)
        target = SerialTarget(port)
        try:
            rungs = packaging.check(lambda code: target.run(code, timeout=600))
        except (TargetError, TargetTimeout) as e:
            raise BuildError("install: the check failed on the board: {}".format(
                (str(e).strip().splitlines() or ["no answer"])[-1]))
        finally:
            target.close()
    except BuildError as e:
        raise Exit(str(e))
    for kernel, names in rungs.items():
        say("install", "{}: {} equal py".format(kernel, " ".join(names)))


@task(
    help={
        "refs": "comma-separated MicroPython tags; default: the newest patch release of every "
        "minor release from v1.24 on; 'newest': the newest release only",
        "target": "firmwares to build for each release (default unix,qemu; pybv11 where the "
        "release's submodules can be fetched)",
        "tests": "run the kernel suite on each build (default; --no-tests skips it)",
        "bench": "run the bench on each emulator build (default; --no-bench skips it)",
        "docs": "also rewrite docs/compatibility.md, .json and .png from this run",
        "jobs": "parallel make jobs (default: this machine's cores)",
    }
)
def matrix(c, refs=None, target="unix,qemu", tests=True, bench=True, docs=False, jobs=None):
    """Build MicroPython releases side by side (lib/micropython-<ref>, build/<ref>/<target>/),
    run the kernel suite and the bench on each, and report in build/matrix/."""
    from tools import build as building
    from tools import matrix as matrixing

    base = _layout(c)
    url = c.fastpath.micropython_url
    try:
        building.setup(c.fastpath.install)
        if refs in (None, "newest"):
            tags = [tag for _, tag in matrixing.release_tags(url)]
            chosen = matrixing.default_refs(tags)
            chosen = chosen[-1:] if refs == "newest" else chosen
        else:
            chosen = [r.strip() for r in refs.split(",") if r.strip()]
        report = matrixing.run(base, chosen, target, url, int(jobs or c.fastpath.jobs),
                               tests=tests, bench=bench)
    except BuildError as e:
        raise Exit(str(e))
    print(matrixing.markdown(report))
    for path in matrixing.write(report, base.build / "matrix"):
        say("matrix", "wrote {}".format(base.rel(path)))
    if docs:
        from tools.util import git

        firmware = git(["describe", "--always", "--dirty"], base.root).stdout.strip()
        matrixing.write_docs(report, base.root / "docs", firmware)
        say("matrix", "wrote docs/compatibility.md, .json and .png")
    problems = matrixing.failures(report)
    if problems:
        raise Exit("matrix: " + "; ".join(problems), code=1)


@task(
    help={
        "target": "comma-separated: unix, unix-asan, qemu, device (default: all four; device "
        "is skipped when no board is on --port)",
        "port": "serial port of a Pyboard for the device target (default /dev/ttyACM0)",
        "k": "only tests matching this pytest -k expression, e.g. a kernel's name",
        "verbose": "list every test",
        "full": "also the slow tests: MicroPython's own suite in every mode, the newest "
        "release, the reproducible rebuild, new-kernel end to end, the peers, long fuzzing "
        "(what CI runs)",
    }
)
def test(c, target="unix,unix-asan,qemu,device", port=None, k=None, verbose=False, full=False):
    """Build the firmware of each target (incrementally), then run the test suite on them:
    the quick loop a kernel author works in, or with --full everything CI runs."""
    from tools.platforms import target as platform

    names = [n.strip() for n in target.split(",") if n.strip()] or [target]
    try:
        platforms = [platform(n) for n in names]
    except ValueError as e:
        raise Exit("test: {}".format(e))
    # Only the firmwares of the targets it runs (--full: every one, for the slow tests).
    build(c, target="all" if full else ",".join(dict.fromkeys(p.name for p in platforms)))
    args = ["--target", target, "--port", port or c.fastpath.port]
    if k:
        args += ["-k", k]
    if verbose:
        args.append("-v")
    if full:
        args.append("--full")
    _pytest(_layout(c), *args)


def _pytest(layout, *args):
    """The suite (tests/), on the firmware of layout, with more pytest arguments."""
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "tests", "--build-dir", str(layout.build),
         "--micropython-dir", str(layout.micropython), "--ref", layout.ref, *args],
        cwd=layout.root, stdin=subprocess.DEVNULL)
    if code:
        raise Exit("test: pytest exited with {}".format(code), code=code)


@task(
    help={
        "target": "comma-separated: unix, unix-asan, qemu (default: all three)",
        "mode": "comma-separated modes (default: all): default, thread, native, via-mpy, "
        "via-mpy-native; asmfp (qemu)",
        "record_upstream": "instead: build upstream's own unix and qemu firmware and record "
        "what the suite gives on them in tools/conformance/upstream.json",
    }
)
def conformance(c, target="unix,unix-asan,qemu", mode=None, record_upstream=False):
    """Run MicroPython's own test suite on our builds in upstream CI's modes; fail on any
    result that neither upstream's own build nor tools/conformance/expected.py accounts for."""
    from tools import build as building
    from tools import conformance as check

    layout = _layout(c)
    try:
        paths = {f.name: building.firmware_path(layout, f.name)
                 for f in building.firmwares(target)}
        runs = check.main(
            paths=paths, mp_dir=layout.micropython, out_dir=layout.build / "conformance",
            mpy_cross=layout.mpy_cross, modes=mode, jobs=c.fastpath.jobs,
            record=record_upstream, prepare=partial(build, c, target=target))
    except (ValueError, BuildError, check.ConformanceError) as e:
        raise Exit(str(e))
    if any(r.unexpected for r in runs):
        raise Exit("conformance: unexpected results, listed above: fix them or, when our "
                   "configuration causes them, list each in tools/conformance/expected.py")


def _runner(c, target, port, layout):
    """A tools.targets runner for target, building its firmware first where we can."""
    from tools import targets
    from tools.build import firmware_path
    from tools.platforms import target as platform

    try:
        p = platform(target)
    except ValueError as e:
        raise Exit(str(e))
    if p.runner != "board":
        build(c, target=p.name)
        return targets.runner(target, firmware_path(layout, p.name))
    port = port or c.fastpath.port
    if not os.path.exists(port):
        raise Exit("no board at {}; connect the Pyboard (running this firmware) or pass "
                   "--port".format(port))
    return targets.runner(target, port=port)


@task(
    help={
        "target": "qemu (default), device, unix or unix-asan",
        "port": "serial port of the board for --target device (default /dev/ttyACM0)",
    }
)
def repl(c, target="qemu", port=None):
    """Open a MicroPython REPL on the emulator, a board (mpremote) or the unix build."""
    from tools import targets
    from tools.build import firmware_path
    from tools.platforms import target as platform

    try:
        p = platform(target)
    except ValueError as e:
        raise Exit("repl: {}".format(e))
    layout = _layout(c)
    # mpremote gets this terminal itself (not invoke's pty), so keys reach it as typed.
    mpremote = [sys.executable, "-m", "mpremote", "connect"]
    if p.runner == "board":
        port = port or c.fastpath.port
        if not os.path.exists(port):
            raise Exit("repl: no board at {}; connect the Pyboard or pass --port".format(port))
        subprocess.call(mpremote + [port, "repl"])
        return
    binary = firmware_path(layout, p.name)
    if not binary.exists():
        raise Exit("no {}; run: ./inv build --target {}".format(layout.rel(binary), p.name))
    if p.runner == "unix":
        os.execve(binary, [str(binary)], dict(os.environ, **(p.env or {})))
    # QemuTarget's QEMU has its own process group (Ctrl-C in the REPL does not reach it) and
    # dies with this process.
    qemu = targets.runner(target, binary)
    try:
        qemu.start()
        print("emulated board on {}; Ctrl-] leaves the REPL and stops it".format(qemu.device))
        subprocess.call(mpremote + [qemu.device, "repl"])
    except RuntimeError as e:
        raise Exit("repl: {}; run: ./inv setup".format(e))
    finally:
        qemu.stop()


@task(
    help={
        "target": "qemu (default: exact instruction counts), unix or unix-asan (a us clock, "
        "shown in ns) or device (cycles)",
        "port": "serial port of the board for --target device (default /dev/ttyACM0)",
        "kernel": "only this kernel (one of fastpath.KERNELS)",
        "json": "also write the JSON report to this file",
        "repeat": "measurements per rung; min and median are kept (default 5)",
        "docs": "rewrite docs/benchmarks.md, .json and .png from this run (qemu only)",
        "arch": "instead, each arch's mip package on a stock emulated board of its core: "
                "armv6m,armv7m,armv7emsp,rv32imc (tools/archbench.py; with --docs: "
                "docs/architectures.*)",
        "peers": "also measure the peers (CMSIS-DSP, zlib, plain C, ulab: tools/peers.py) "
        "beside our rungs: table, JSON and PNG in build/bench/peers.*, with --docs docs/peers.*",
    }
)
def bench(c, target="qemu", port=None, kernel=None, json=None, repeat=5, docs=False,
          peers=False, arch=None):
    """Time every rung of every kernel on a target: table, JSON and PNG in build/bench/."""
    from tools import bench as report
    from tools import kernels

    layout = _layout(c)
    names = list(kernels.discover(layout.root))
    if kernel:
        if kernel not in names:
            raise Exit("unknown kernel '{}'; choose from: {}".format(kernel, ", ".join(names)))
        names = [kernel]
    if arch:
        from tools import archbench

        if docs and (kernel or "".join(sorted(arch.replace(" ", "").split(","))) !=
                     "".join(sorted(archbench.BOARDS))):
            raise Exit("--docs records every kernel on every arch: use --arch {} --docs "
                       "alone".format(",".join(archbench.BOARDS)))
        if peers or port or target != "qemu":
            raise Exit("--arch benches the stock emulated boards: use it without --target, "
                       "--port and --peers")
        return _bench_arches(c, layout, arch, names, int(repeat), docs)
    if docs and (target != "qemu" or kernel):
        raise Exit("--docs records the emulator's full run: use it with --target qemu alone")
    if peers and (target != "qemu" or kernel):
        raise Exit("--peers measures on the emulator, every kernel: use it with --target qemu "
                   "alone")
    if peers:
        # The peers' firmware (ulab beside our module) and sources, before the long run.
        from tools import build as building

        try:
            firmwares = building.firmwares("qemu,qemu-ulab")
            building.fetch(layout, c.fastpath.micropython_url, firmwares)
            building.build(layout, firmwares, int(c.fastpath.jobs))
        except building.BuildError as e:
            raise Exit(str(e))
    from tools.targets import TargetError, TargetTimeout

    runner = _runner(c, target, port, layout)
    try:
        rep = report.collect(runner, names, int(repeat), layout,
                             progress=lambda s: print(s, file=sys.stderr, flush=True))
    except (TargetError, TargetTimeout) as e:
        last = str(e).strip().splitlines()[-1:] or ["no answer"]
        raise Exit("bench: the {} target failed: {}; see the firmware's traceback with "
                   "./inv repl --target {}".format(target, last[0], target))
    finally:
        runner.close()
    print(report.markdown(rep))
    goals = report.goals_markdown(rep)
    if goals:
        print("\n" + goals)
    for path in report.write(rep, layout.build / "bench", json):
        say("bench", "wrote {}".format(layout.rel(path)))
    if docs:
        report.write_docs(rep, layout.root / "docs", layout)
        say("bench", "wrote docs/benchmarks.md, docs/benchmarks.json, docs/benchmarks.png")
    if peers:
        _bench_peers(c, layout, rep, int(repeat), docs)


def _bench_arches(c, layout, arch, names, repeat, docs):
    # bench --arch: each arch's package on its stock board (tools/archbench.py).
    from tools import archbench
    from tools import build as building
    from tools.targets import TargetError, TargetTimeout

    try:
        wanted = archbench.arches(arch)
        boards = dict.fromkeys(archbench.BOARDS[a][0] for a in wanted)
        missing = [b for b in boards if not building.firmware_path(layout, b).exists()]
        if missing:  # the stock boards, and mpy-cross with them
            build(c, target=",".join(missing))
        reps = archbench.run(layout, arch, names, repeat,
                             progress=lambda s: print(s, file=sys.stderr, flush=True))
    except building.BuildError as e:
        raise Exit(str(e))
    except (TargetError, TargetTimeout) as e:
        last = str(e).strip().splitlines()[-1:] or ["no answer"]
        raise Exit("bench: a stock board failed: {}".format(last[0]))
    print(archbench.summary(reps) + "\n\n" + archbench.table(reps))
    for path in archbench.write(reps, layout.build / "bench"):
        say("bench", "wrote {}".format(layout.rel(path)))
    if docs:
        import json as jsonlib

        pyboard = jsonlib.loads((layout.root / "docs" / "benchmarks.json").read_text())
        for path in archbench.write_docs(reps, layout.root / "docs", pyboard):
            say("bench", "wrote {}".format(layout.rel(path)))


def _bench_peers(c, layout, rep, repeat, docs):
    # The peers of `bench --peers`, measured after our rungs (rep) and reported beside them.
    from tools import peers as peering
    from tools.build import firmware_path

    try:
        say("peers", "C peers: building and running tests/peers on mps2-an386")
        c_rows = peering.measure_c(layout, layout.build / "peers", int(c.fastpath.jobs))
        say("peers", "ulab on the qemu-ulab firmware")
        board_rows, ulab = peering.measure_board(layout, firmware_path(layout, "qemu-ulab"),
                                                 repeat)
        say("peers", "the raw loops inside the firmware's c rung (the profiler)")
        own = {r["kernel"]: peering.firmware_own(layout, r["kernel"], layout.build / "profile")
               for r in c_rows if r["peer"] == "c"}
    except peering.PeerError as e:
        raise Exit(str(e))
    peers_rep = peering.report(rep, c_rows, board_rows, peering.versions(layout), ulab, own)
    print("\n" + peering.markdown(peers_rep) + "\n\n" + peering.goals_markdown(peers_rep))
    for path in peering.write(peers_rep, layout.build / "bench",
                              layout.root / "docs" if docs else None):
        say("peers", "wrote {}".format(layout.rel(path)))

@task(
    help={
        "kernel": "the kernel (one of fastpath.KERNELS)",
        "rung": "its rung: py, opt, native, viper, asm, c, ... (or a peer, e.g. binascii.crc32)",
        "target": "qemu (the only one: the emulator counts each instruction)",
        "top": "firmware functions listed before the rest are summed (default 25)",
        "json": "also write the report as JSON to this file",
    }
)
def profile(c, kernel, rung, target="qemu", top=25, json=None):
    """Where one call of a rung spends its instructions: by firmware function, Python
    function and category, on the kernel's bench workload in the emulator."""
    import json as jsonlib

    from tools import kernels
    from tools import profile as profiling
    from tools.build import firmware_path
    from tools.targets import TargetError, TargetTimeout

    layout = _layout(c)
    names = list(kernels.discover(layout.root))
    if kernel not in names:
        raise Exit("profile: unknown kernel '{}'; choose from: {}".format(
            kernel, ", ".join(names)))
    if target != "qemu":
        raise Exit("profile: only --target qemu counts instructions one by one")
    build(c, target="qemu")
    try:
        rep = profiling.run(firmware_path(layout, "qemu").parent, kernel, rung,
                            layout.build / "profile")
    except profiling.ProfileError as e:
        raise Exit(str(e))
    except (TargetError, TargetTimeout) as e:
        last = str(e).strip().splitlines()[-1:] or ["no answer"]
        raise Exit("profile: the emulator failed: {}; check the rung with ./inv repl".format(
            last[0]))
    print(profiling.markdown(rep, top=int(top)))
    if json:
        with open(json, "w") as f:
            jsonlib.dump(rep, f, indent=1)
        say("profile", "wrote {}".format(json))


@task(
    help={
        "dfu": "the image to write (default: build/PYBV11/firmware.dfu)",
        "dry_run": "check the file and print the commands, without looking for a board",
        "verify": "read every element back and compare before leaving DFU mode (default; "
        "--no-verify skips it)",
        "port": "serial port of a Pyboard running MicroPython: put it into DFU mode, flash, "
        "verify, wait for it to come back and check that it runs the firmware just built",
        "test": "with --port: then run the device test suite and the device bench on it",
        "force": "write an image even where it overwrites the board's filesystem (sectors "
        "1-4, 0x08004000-0x0801ffff): its files are lost",
    }
)
def flash(c, dfu=None, dry_run=False, verify=True, port=None, test=False, force=False):
    """Check a .dfu image, write it to a Pyboard in DFU mode and read it back (dfu-util, else
    pydfu); with --port, from a running board to a verified, identified (and --test: tested)
    firmware in one command."""
    from pathlib import Path

    from tools import flash as flashing
    from tools import identity
    from tools.platforms import PLATFORMS

    layout = _layout(c)
    path = Path(dfu) if dfu else layout.out(PLATFORMS["pybv11"].out) / "firmware.dfu"
    if not path.is_file():
        raise Exit("flash: no file {}; check --dfu".format(path) if dfu else
                   "flash: no {}; run: ./inv build".format(layout.rel(path)))
    if test and not port:
        raise Exit("flash: --test runs the suite on the board it flashed: give its --port too")
    if port and (dry_run or not verify):
        raise Exit("flash: --port checks the board end to end: drop --dry-run and --no-verify")
    pydfu = layout.micropython / "tools" / "pydfu.py"
    try:
        if not port:
            flashing.flash(path, pydfu=pydfu, dry_run=dry_run, verify_write=verify,
                           force=force)
            return
        # The identity the build wrote beside the image (tools/identity.py). The board may
        # come back on another port (another program holds the old one).
        _, port = flashing.flash_board(port, path, expected=identity.read_json(
            path.with_name(identity.JSON)), pydfu=pydfu, force=force)
    except flashing.FlashError as e:
        raise Exit(str(e))
    if test:
        out = layout.out("device")
        out.mkdir(parents=True, exist_ok=True)
        say("flash", "device suite on {} (report: {})".format(
            port, layout.rel(out / "tests.xml")))
        _pytest(layout, "--target", "device", "--port", port, "--target-tests-only",
                "--junitxml", str(out / "tests.xml"))
        bench(c, target="device", port=port)


@task(help={"port": "serial port of the running Pyboard (default /dev/ttyACM0)"})
def bootloader(c, port=None):
    """Ask a running Pyboard to enter DFU mode (machine.bootloader()), ready for flash."""
    from tools import flash as flashing

    port = port or c.fastpath.port
    if not os.path.exists(port):
        raise Exit("bootloader: no board at {}; connect the Pyboard and pass --port, or enter "
                   "DFU mode with the BOOT0 jumper (docs/flashing.md)".format(port))
    try:
        flashing.enter_bootloader(port)
    except flashing.FlashError as e:
        raise Exit(str(e))
    say("bootloader", "the board on {} is entering DFU mode; now run: ./inv flash".format(port))


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
    from tools.build import firmware_path

    if files and files.startswith("-"):  # invoke hands a flag after `deploy` to FILES
        raise Exit("deploy: '{}' is not a file; for help run: ./inv --help deploy".format(files))
    paths = (files or "").replace(",", " ").split()
    if target not in ("device", "qemu"):
        raise Exit("deploy: unknown target '{}'; choose device or qemu".format(target))
    layout = _layout(c)
    try:
        if target == "qemu" and not port:
            deploying.deploy_to_emulator(paths, firmware_path(layout, "qemu"), run=run,
                                         firmware_version=layout.release(),
                                         mpy_cross=layout.mpy_cross)
        else:
            deploying.deploy(port or c.fastpath.port, paths, run=run,
                             firmware_version=layout.release(), mpy_cross=layout.mpy_cross)
    except deploying.DeployError as e:
        raise Exit(str(e))


@task(help={"target": "qemu (default: our firmware), qemu-stock (the same board without "
            "fastpath: ./inv install's stock firmware) or another emulated platform "
            "(qemu-an385, qemu-rv32: upstream's boards)"})
def emulator(c, target="qemu"):
    """Boot the emulated board and keep it running, printing its pty for deploy and repl."""
    from tools import targets
    from tools.build import firmware_path
    from tools.platforms import PLATFORMS

    layout = _layout(c)
    emulated = [n for n, p in PLATFORMS.items() if p.runner == "qemu"]
    if target not in emulated:
        raise Exit("emulator: --target is one of {}".format(", ".join(emulated)))
    elf = firmware_path(layout, target)
    if not elf.exists():
        raise Exit("emulator: no {}; run: ./inv build --target {}".format(
            layout.rel(elf), target))
    # QemuTarget's QEMU dies with this process, however it ends.
    qemu = targets.runner(target, elf)
    try:
        qemu.start()
    except RuntimeError as e:
        raise Exit("emulator: {}; run: ./inv setup".format(e))
    pty = qemu.device
    say("emulator", "emulated board on {}; Ctrl-C stops it. In another shell:".format(pty))
    print("    ./inv deploy --port {} app.py --run 'import app'".format(pty), flush=True)
    print("    ./inv repl --target device --port {}".format(pty), flush=True)
    print("    .venv/bin/mpremote connect {} mount . exec 'import app'".format(pty), flush=True)
    try:
        for _ in qemu.proc.stdout:  # QEMU's own messages; the loop ends when QEMU does
            pass
        say("emulator", "QEMU exited with {}".format(qemu.proc.wait()))
    except KeyboardInterrupt:
        pass
    finally:
        qemu.stop()


@task(
    name="new-kernel",
    help={
        "name": "the kernel's name: a Python identifier, not yet taken",
        "c": "also write a C rung (usermod/fastpath/NAME.c: a plain-C loop and its binding)",
        "args": "the kernel's arguments, NAME:KIND[=DEFAULT] separated by commas, e.g. "
        "'data:buffer,value:u32=1'; kinds: buffer, bytes, q15, u32, count (default: data:bytes)",
    },
)
def new_kernel(ctx, name, c=False, args=None):
    """Write a working kernel from a template: its rungs, its reference and its docs."""
    from tools import newkernel

    try:
        for path in newkernel.create(name, with_c=c, args=args):
            say("new-kernel", "wrote {}".format(path))
    except newkernel.KernelNameError as e:
        raise Exit(str(e))
    say("new-kernel", "next: ./inv build --target unix,qemu && ./inv test -k {} && "
         "./inv bench --kernel {}".format(name, name))


@task(help={"source": "also remove the fetched MicroPython tree"})
def clean(c, source=False):
    """Remove build outputs (and with --source the fetched MicroPython tree)."""
    import shutil

    layout = _layout(c)
    shutil.rmtree(layout.build, ignore_errors=True)
    say("clean", "removed {}/".format(layout.rel(layout.build)))
    if source:
        mp = layout.micropython
        shutil.rmtree(mp, ignore_errors=True)
        shutil.rmtree(mp.with_name(mp.name + ".partial"), ignore_errors=True)
        say("clean", "removed {}".format(layout.rel(mp)))


ns = Collection(setup, fetch, build, natmod, package, install, matrix, test, conformance, bench,
                profile, repl, flash, bootloader, deploy, emulator, new_kernel, clean)
ns.configure({"fastpath": settings.DEFAULTS})
