"""fastpath: each kernel at every rung of MicroPython's "Maximising MicroPython speed" ladder.

    import fastpath
    fastpath.crc32(b"123456789")                 # the fastest tier this board has
    fastpath.KERNELS["crc32"]["viper"](data)     # one rung in particular
    fastpath.TIERS                               # rung names, in ladder order
    fastpath.BUILD                               # which firmware this is

Every tier of a kernel takes the same arguments and gives the same answer; docs/kernels.md
has the contracts. A tier this board cannot run is absent from KERNELS, not faked.

A kernel is a module of this package that defines UNIT and its rungs (docs/adding-a-kernel.md);
its asm rung is the module of the same name in fastpath_thumb, its c rung the function of the
same name in _fastpath. Nothing else lists it: `./inv build` writes the names it found into
fastpath/_build.py beside the firmware's identity, and without that module (CPython, or the
package copied to a board's filesystem) the package reads its own folder.
"""

import sys

from . import board

TIERS = ("py", "opt", "native", "mem", "viper", "asm", "c", "hw")

# The package-level function of a kernel is its first tier present in this order. hw is left
# out: a peripheral may cover only part of the contract (see KERNELS[...]["hw"].__doc__).
_FASTEST = ("c", "asm", "viper", "native", "opt", "py")

# Modules of the package that are not kernels (besides the private _ ones).
_NOT_KERNELS = ("board", "bench", "timing")

KERNELS = {}

try:
    # Written by ./inv build (tools/kernels.py): BUILD, NAMES and THUMB.
    from ._build import BUILD, NAMES, THUMB
except ImportError:
    BUILD = NAMES = THUMB = None

try:
    import _fastpath
except ImportError:  # CPython, where only the Python tiers exist
    _fastpath = None


def _folder():
    # Kernel names from the package's folder: its modules, less the private and _NOT_KERNELS.
    import os

    path = __path__ if isinstance(__path__, str) else __path__[0]  # MicroPython, CPython
    names = []
    for f in os.listdir(path):
        name, _, ext = f.partition(".")
        if ext in ("py", "mpy") and name[:1] != "_" and name not in _NOT_KERNELS:
            if name not in names:
                names.append(name)
    names.sort()
    return names


def _register(name):
    __import__("fastpath." + name)
    module = sys.modules["fastpath." + name]
    if not hasattr(module, "UNIT"):
        return  # a helper module, not a kernel
    if board.NAME not in getattr(module, "BOARDS", (board.NAME,)):
        del globals()[name]  # a kernel this board cannot run (no pin, say): no name for it
        return
    tiers = {}
    for tier in TIERS if board.COMPILED else ("py", "opt"):
        f = getattr(module, tier, None)
        if f is not None:
            tiers[tier] = f
    if board.THUMB and (THUMB is None or name in THUMB):
        try:
            __import__("fastpath_thumb." + name)
            tiers["asm"] = sys.modules["fastpath_thumb." + name].asm
        except ImportError:
            if THUMB is not None:
                raise
    f = getattr(_fastpath, name, None)
    if f is not None:
        tiers["c"] = f
    # A dict has no order in MicroPython: walk the ladder with `for t in TIERS`.
    KERNELS[name] = tiers
    for t in _FASTEST:
        if t in tiers:
            globals()[name] = tiers[t]
            return


for _name in NAMES or _folder():
    _register(_name)
del _name
