"""The C kernels as native .mpy modules, for MicroPython firmware that is not ours.

Each kernel's C file (usermod/fastpath/NAME.c) builds into the module _fastpath_NAME, with
modfastpath.c as the glue; modfastpath.c alone builds into the module _fastpath (nbytes and
typecode, the buffer queries of frozen/fastpath/_args.py). They are linked by MicroPython's
own py/dynruntime.mk and tools/mpy_ld.py, through usermod/fastpath/natmod.mk, into
build/natmod/<arch>/<module>.mpy. The kernels are found as the firmware finds them
(micropython.mk): every .c file of usermod/fastpath but modfastpath.c.
"""

import os
import shutil
import sys
from pathlib import Path

from tools.build import BuildError, _make, say

# The architectures we build for, with the C compiler each needs (py/dynruntime.mk's CROSS)
# and the boards that run it.
ARCHES = {
    "x64": ("gcc", "the unix port on a PC"),
    "armv6m": ("arm-none-eabi-gcc", "RP2040 (Raspberry Pi Pico), Cortex-M0+"),
    "armv7m": ("arm-none-eabi-gcc", "Cortex-M3 (QEMU's MPS2_AN385)"),
    "armv7emsp": ("arm-none-eabi-gcc", "Pyboard, Cortex-M4F and M33 (STM32F4, RP2350, ...)"),
    "rv32imc": ("riscv64-unknown-elf-gcc", "ESP32-C3/C6, QEMU's VIRT_RV32"),
}
MAKEFILE = Path("usermod") / "fastpath" / "natmod.mk"


def arches(names, task="natmod"):
    """The list of arch names in a comma-separated string ("all": every one)."""
    if names in (None, "", "all"):
        return list(ARCHES)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in ARCHES]
    if unknown or not wanted:
        raise BuildError("{}: unknown arch '{}'; choose from: {}".format(
            task, unknown[0] if unknown else names, ", ".join(ARCHES)))
    return wanted


def kernels(root):
    """The kernels with a C rung, as micropython.mk finds them."""
    folder = Path(root) / "usermod" / "fastpath"
    return sorted(p.stem for p in folder.glob("*.c") if p.stem != "modfastpath")


def module_name(kernel):
    """The native module of kernel (None: the module of the buffer queries)."""
    return "_fastpath_" + kernel if kernel else "_fastpath"


def out_dir(layout, arch):
    return layout.build / "natmod" / arch


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def build(layout, names, jobs):
    """Build every native module for each arch of names; {arch: [paths of the .mpy]}."""
    mp = layout.micropython
    if not (mp / "py" / "dynruntime.mk").exists():
        raise BuildError("natmod: MicroPython source missing; run: ./inv fetch")
    if not layout.mpy_cross.exists():
        raise BuildError("natmod: no {}; run: ./inv build --target unix".format(
            layout.rel(layout.mpy_cross)))
    try:
        import elftools  # noqa: F401 (mpy_ld.py's ELF reader)
    except ImportError:
        raise BuildError("natmod: pyelftools missing; run tasks through ./inv, or: pip install "
                         "-r requirements.txt")
    built = {}
    for arch in arches(names):
        cc = ARCHES[arch][0]
        if not shutil.which(cc):
            raise BuildError("natmod: {} missing for {}; run: ./inv setup".format(cc, arch))
        out = out_dir(layout, arch)
        out.mkdir(parents=True, exist_ok=True)
        log = out / "build.log"
        log.write_text("")
        say("natmod", "{} (log: {})".format(arch, layout.rel(log)))
        paths = []
        for kernel in [None] + kernels(layout.root):
            mod = module_name(kernel)
            work = out / "obj" / mod
            # dynruntime.mk's rules name their Makefile: one per module, in its own folder.
            _write_if_changed(work / "Makefile", "".join(
                "{} = {}\n".format(k, v) for k, v in (
                    ("MPY_DIR", mp),
                    ("ARCH", arch),
                    ("FASTPATH_DIR", layout.root / "usermod" / "fastpath"),
                    ("KERNEL", kernel or ""),
                )) + "include $(FASTPATH_DIR)/natmod.mk\n")
            # On make's command line, so dynruntime.mk's own defaults do not replace them.
            args = [("PYTHON", sys.executable), ("MPY_CROSS", layout.mpy_cross)]
            env = dict(os.environ, PYTHONHASHSEED="0")
            _make("natmod " + mod, work, args, log, env, jobs, layout)
            target = out / (mod + ".mpy")
            shutil.copyfile(work / (mod + ".mpy"), target)
            paths.append(target)
        say("natmod", "{}: {}".format(arch, ", ".join(
            "{} {} bytes".format(p.stem, p.stat().st_size) for p in paths)))
        built[arch] = paths
    return built
