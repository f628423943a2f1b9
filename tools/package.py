"""fastpath for firmware that is not ours: a mip package per arch, and its install on a board.

package() writes build/package/<arch>/: the fastpath package compiled with mpy-cross
-march=<arch> (the asm rungs, fastpath_thumb, only where they run: kernels.ASM_ARCHS), the
native modules of tools/natmod.py (_fastpath and _fastpath_NAME), and a package.json that
`mpremote mip install` (or the board's own mip, from a URL) reads, as micropython-lib's
packages do. build/package/py/ is the same package as .py sources, for any port (no c rung
there, and the argument checks fall back to memoryview, which allocates).

install() reads the board's arch from sys.implementation._mpy, builds that package, installs
it with `mpremote mip install`, and runs check(): every rung of every kernel on the board
equals its py rung. Errors are BuildError, whose text is one line saying what to do.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tools import deploy, kernels, natmod
from tools.build import BuildError, say
from tools.kernels import package_index_source

PY = "py"  # the arch-free package's folder
# Files of frozen/fastpath that a board never imports.
HOST_ONLY = ("_cpython.py",)
# Arches whose package carries a clock module for fastpath.timing besides the asm rungs.
THUMB = ("armv6m", "armv7m")
RV32 = ("rv32imc",)
# What the check sends to the board (tests/target/ladder.py's cases, smaller).
CHECK = Path(__file__).resolve().parent / "package_check.py"


def out_dir(layout, arch):
    return layout.build / "package" / arch


def _sources(root, arch):
    """[(source .py, destination without extension)] of the package for arch: fastpath and its
    kernels subpackage, and (armv7em) fastpath_thumb; the other Thumb arches its interrupt
    mask (_irq) only, rv32imc fastpath_rv32 (the instruction counter)."""
    root = Path(root)
    package = root / "frozen" / "fastpath"
    found = [(p, p.relative_to(package.parent).with_suffix("").as_posix())
             for p in sorted(package.glob("*.py")) + sorted((package / "kernels").glob("*.py"))
             if p.name not in HOST_ONLY]
    thumb = root / "frozen" / "thumb" / "fastpath_thumb"
    if arch in kernels.ASM_ARCHS:
        found += [(p, "fastpath_thumb/" + p.stem) for p in sorted(thumb.glob("*.py"))]
    elif arch in THUMB:  # no asm rung, but the interrupt mask fastpath.timing uses on MPS2
        found += [(thumb / n, "fastpath_thumb/" + n[:-3]) for n in ("__init__.py", "_irq.py")
                  if (thumb / n).exists()]
    if arch in RV32:  # the instruction counter fastpath.timing reads on QEMU's virt board
        rv32 = root / "frozen" / "rv32" / "fastpath_rv32"
        found += [(p, "fastpath_rv32/" + p.stem) for p in sorted(rv32.glob("*.py"))]
    return found


def _mpy_cross(mpy_cross, source, dest, name, arch):
    r = subprocess.run([str(mpy_cross), "-march=" + arch, "-s", name, "-o", str(dest),
                        str(source)], capture_output=True, text=True)
    if r.returncode:
        raise BuildError("package: mpy-cross -march={} failed on {}: {}".format(
            arch, name, (r.stderr.strip().splitlines() or ["no output"])[-1]))


def version(layout):
    """The package's version: the project's git describe."""
    from tools.util import git

    return git(["describe", "--always", "--dirty"], layout.root).stdout.strip() or "0"


def package(layout, arch, jobs=2):
    """Write build/package/<arch>/ (arch PY: .py sources only); returns its package.json."""
    if arch != PY and arch not in natmod.ARCHES:
        raise BuildError("package: unknown arch '{}'; choose from: {}, {}".format(
            arch, ", ".join(natmod.ARCHES), PY))
    out = out_dir(layout, arch)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    urls = []
    for source, dest in _sources(layout.root, arch):
        if arch == PY:
            target = dest + ".py"
            (out / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out / target)
        else:
            target = dest + ".mpy"
            (out / target).parent.mkdir(parents=True, exist_ok=True)
            _mpy_cross(layout.mpy_cross, source, out / target, dest + ".py", arch)
        urls.append([target, target])
    # The package's kernel index (tools/kernels.py): the kernels each board of the arch runs,
    # and their rungs there, chosen on the board; the c rungs where the native modules are.
    index = out / "fastpath" / "_index.py"
    index.write_text(package_index_source(None if arch == PY else arch, c=arch != PY,
                                          root=layout.root))
    if arch == PY:
        urls.append(["fastpath/_index.py", "fastpath/_index.py"])
    else:
        _mpy_cross(layout.mpy_cross, index, index.with_suffix(".mpy"), "fastpath/_index.py",
                   arch)
        index.unlink()
        urls.append(["fastpath/_index.mpy", "fastpath/_index.mpy"])
    if arch != PY:
        for path in natmod.build(layout, arch, jobs)[arch]:
            shutil.copyfile(path, out / path.name)
            urls.append([path.name, path.name])
    manifest = {"urls": urls, "version": version(layout)}
    path = out / "package.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    say("package", "{}: {} files, {} bytes (install: mpremote mip install {})".format(
        layout.rel(out), len(urls), sum((out / u[0]).stat().st_size for u in urls),
        layout.rel(path)))
    return path


# --- on a board -----------------------------------------------------------------------------


def board_info(port):
    """{"version", "mpy", "platform", "machine"} of the board on port, through mpremote."""
    from mpremote.transport import TransportError

    from tools.targets import _open_repl

    try:
        t = _open_repl(port)
    except (TransportError, OSError) as e:
        raise BuildError("install: no MicroPython REPL on {} ({}); check the port".format(
            port, (str(e).strip().splitlines() or [type(e).__name__])[-1]))
    try:
        version, mpy, platform, machine = t.eval(
            "(tuple(__import__('sys').implementation.version[:3]), "
            "getattr(__import__('sys').implementation, '_mpy', 0), "
            "__import__('sys').platform, __import__('sys').implementation._machine)")
    finally:
        t.close()
    return {"version": version, "mpy": mpy, "platform": platform, "machine": machine}


# The package a board of each arch takes, where that is not the arch's own. MicroPython calls
# every Thumb-2 core without an FPU armv7em (a Cortex-M3 too: py/persistentcode.h), and loads
# any Thumb arch up to its own: such a board takes armv7m, a Cortex-M7 (armv7emdp) armv7emsp.
PACKAGE_FOR = {"armv7em": "armv7m", "armv7emdp": "armv7emsp"}


def board_arch(mpy):
    """The arch name of a board's sys.implementation._mpy, or None (no native code)."""
    arch = mpy >> 10
    return deploy._ARCHS[arch] if 0 < arch < len(deploy._ARCHS) else None


def package_arch(mpy):
    """The package (an arch of natmod.ARCHES) for a board's sys.implementation._mpy, or
    None when we build none that it loads."""
    arch = board_arch(mpy)
    arch = PACKAGE_FOR.get(arch, arch)
    return arch if arch in natmod.ARCHES else None


def needs(info):
    """'armv7em (.mpy v6.3; the armv7m package)': what a board needs, in words."""
    mpy = info["mpy"]
    arch, ours = board_arch(mpy), package_arch(mpy)
    return "{} (.mpy v{}.{}{})".format(
        arch or "no native code", mpy & 0xFF, (mpy >> 8) & 3,
        "; the {} package".format(ours) if ours and ours != arch else "")


def refusal(package_json, info, port):
    """One line saying why the board refuses this package, or None when it loads it all."""
    folder = Path(package_json).parent
    for dest, _ in json.loads(Path(package_json).read_text())["urls"]:
        if dest.endswith(".mpy"):
            why = deploy.mpy_mismatch((folder / dest).read_bytes()[:4], info["mpy"])
            if why:
                return ("install: {} cannot load {}: {}; the board on {} needs {}: run ./inv "
                        "install --port {}".format(info["machine"], dest, why, port,
                                                   needs(info), port))
    return None


def mip_install(port, source, target=None, resume=False):
    """`mpremote connect port [resume] mip install [--target target] source` (a package.json
    path or URL; resume: no soft reset first); returns its output, or raises BuildError."""
    cmd = [sys.executable, "-m", "mpremote", "connect", port] + (["resume"] if resume else [])
    cmd += ["mip", "install"]
    if target:
        cmd += ["--target", target]
    r = subprocess.run(cmd + [str(source)], capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise BuildError("install: mpremote mip install {} failed: {}".format(
            source, (r.stdout + r.stderr).strip().splitlines()[-1:]))
    return r.stdout


def check(run):
    """Every rung of every kernel equals py on the board (run(code) -> stdout):
    {kernel: [rungs]}, or BuildError naming the first rung that differs."""
    out = run(CHECK.read_text() + "\ncheck()\n")
    rungs = {}
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["KERNEL"]:
            rungs[words[1]] = words[2:]
        elif words[:1] == ["DIFFERS"]:
            raise BuildError("install: on the board, {} {} differs from py on case {}; report "
                             "it with ./inv repl".format(words[1], words[2], words[3]))
    if not rungs:
        raise BuildError("install: the check found no kernel on the board: {}".format(
            out.strip()[-200:]))
    return rungs
