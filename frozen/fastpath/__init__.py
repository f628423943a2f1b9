"""fastpath: each kernel at every rung of MicroPython's "Maximising MicroPython speed" ladder.

    import fastpath
    fastpath.crc32(b"123456789")                 # the fastest tier this board has
    fastpath.KERNELS["crc32"]["viper"](data)     # one rung in particular
    fastpath.TIERS                               # rung names, in ladder order
    fastpath.BUILD                               # which firmware this is (None off-board)

Every tier of a kernel takes the same arguments and gives the same answer; docs/kernels.md
has the contracts. A tier this board cannot run is absent from KERNELS, not faked; so is a
kernel this board cannot run.

A kernel is a module of this package that defines UNIT and its rungs (docs/adding-a-kernel.md);
its asm rung is the module of the same name in fastpath_thumb, its c rung the function of the
same name in _fastpath. Nothing else lists it: `./inv build` writes the names it found for
this board into fastpath/_build.py beside the firmware's identity, and without that module
(CPython, or the package copied to a board's filesystem) the package reads its own folder.

A kernel's modules are imported when it is first used (KERNELS[name], fastpath.name), not by
`import fastpath`: a board pays heap only for the kernels it runs.
"""

import sys

from . import board

TIERS = ("py", "opt", "native", "mem", "viper", "asm", "c", "hw")

# The package-level function of a kernel is its first tier present in this order. hw is left
# out: a peripheral may cover only part of the contract (see KERNELS[...]["hw"].__doc__).
_FASTEST = ("c", "asm", "viper", "native", "opt", "py")

# Modules of the package that are not kernels (besides the private _ ones).
_NOT_KERNELS = ("board", "bench", "timing")

try:
    # Written by ./inv build (tools/kernels.py): BUILD, and the NAMES of this board's kernels
    # with the ones of them that have an asm rung (THUMB).
    from ._build import BUILD, NAMES, THUMB
except ImportError:
    BUILD = NAMES = THUMB = None

try:
    import _fastpath
except ImportError:  # CPython, where only the Python tiers exist
    _fastpath = None


def _rungs(name):
    # {rung: function} of kernel name, importing its modules.
    __import__("fastpath." + name)
    module = sys.modules["fastpath." + name]
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
    # The c rung: the firmware's built-in _fastpath, else the kernel's native module
    # _fastpath_NAME (stock firmware: ./inv install), else none.
    f = getattr(_fastpath, name, None)
    if f is None and board.COMPILED:
        try:
            f = getattr(__import__("_fastpath_" + name), name)
        except ImportError:
            pass
    if f is not None:
        tiers["c"] = f
    return tiers


class _Kernels:
    """fastpath.KERNELS: a mapping {kernel name: {rung: function}} (a dict has no order in
    MicroPython: walk the ladder with `for t in TIERS`). Each kernel is imported on first use;
    the package-level function of its name then becomes its fastest rung."""

    def __init__(self, names):
        self._names = tuple(names)
        self._rungs = {}

    def __getitem__(self, name):
        rungs = self._rungs.get(name)
        if rungs is None:
            if name not in self._names:
                raise KeyError(name)
            rungs = self._rungs[name] = _rungs(name)
            for t in _FASTEST:
                if t in rungs:
                    globals()[name] = rungs[t]
                    break
        return rungs

    def get(self, name, default=None):
        return self[name] if name in self._names else default

    def __contains__(self, name):
        return name in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def keys(self):
        return self._names

    def values(self):
        return [self[n] for n in self._names]

    def items(self):
        return [(n, self[n]) for n in self._names]


def _is_kernel(module):
    # A kernel declares its unit of work and has a py rung (tools/kernels.py asks the same).
    return hasattr(module, "UNIT") and hasattr(module, "py")


def _folder():
    # The kernels in the package's folder that this board runs: its modules less the private
    # ones and _NOT_KERNELS, imported to read their UNIT and BOARDS.
    import os

    path = __path__ if isinstance(__path__, str) else __path__[0]  # MicroPython, CPython
    names = []
    for f in sorted(os.listdir(path)):
        name, _, ext = f.partition(".")
        if ext in ("py", "mpy") and name[:1] != "_" and name not in _NOT_KERNELS:
            if name not in names:
                __import__("fastpath." + name)
                module = sys.modules["fastpath." + name]
                if _is_kernel(module):
                    if board.NAME in getattr(module, "BOARDS", (board.NAME,)):
                        names.append(name)
                    else:
                        del globals()[name]  # a kernel this board cannot run: no name for it
    return names


KERNELS = _Kernels(NAMES if NAMES is not None else _folder())
if NAMES is None:
    for _name in KERNELS:  # imported already, by _folder(): their rungs now
        KERNELS[_name]
    del _name


def __getattr__(name):
    # fastpath.<kernel>: the kernel's fastest rung, imported on first use. Else a module of the
    # package not imported yet (MicroPython's `from . import x` asks here first), but not a
    # kernel this board cannot run.
    if name in KERNELS:
        KERNELS[name]
        return globals()[name]
    try:
        __import__("fastpath." + name)
    except ImportError:
        raise AttributeError(name)
    module = sys.modules["fastpath." + name]
    if name not in _NOT_KERNELS and _is_kernel(module):
        globals().pop(name, None)  # set by this import, or gone since an earlier one
        raise AttributeError(name)
    return module
