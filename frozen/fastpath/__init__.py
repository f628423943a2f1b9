"""fastpath: each kernel at every rung of MicroPython's "Maximising MicroPython speed" ladder.

    import fastpath
    fastpath.crc32(b"123456789")                 # the fastest rung this board has
    fastpath.KERNELS["crc32"]["viper"](data)     # one rung in particular
    fastpath.TIERS                               # rung names, in ladder order
    fastpath.BUILD                               # which firmware this is (None off-board)

Every rung of a kernel takes the same arguments and gives the same answer; docs/kernels.md
has the contracts. A rung this board cannot run is absent from KERNELS, not faked; so is a
kernel this board cannot run. TIERS is the public name of the rung order.

A kernel is a module of fastpath.kernels (docs/adding-a-kernel.md): its declaration and its
Python rungs, the asm rung's wrapper among them; its c rung is the function of its name in
the firmware's _fastpath module, else in a native module _fastpath_NAME. Nothing lists a
kernel by hand: each delivery carries fastpath/_index.py, written by the build
(tools/kernels.py, write_index), with the kernels its board runs and the rungs each has there,
beside the firmware's identity. Without the index (CPython running the package from source,
or a copy that lacks it) the package imports every module of fastpath.kernels to learn the
same: development only.

A kernel's module is imported when the kernel is first used (KERNELS[name], fastpath.name),
not by `import fastpath`: a board pays heap only for the kernels it runs. fastpath.name is
served on each access (by the module's __getattr__), never stored in the package: bind it
once (`crc32 = fastpath.crc32`) before a loop, as the speed guide advises for any lookup.
"""

from . import board, kernels  # kernels: imported here, so no kernel's first use pays for it

TIERS = ("py", "opt", "native", "mem", "viper", "asm", "c", "hw")

# The package-level function of a kernel is its first rung present in this order. hw is left
# out: a peripheral may cover only part of the contract (see KERNELS[...]["hw"].__doc__).
_FASTEST = ("c", "asm", "viper", "native", "opt", "py")

try:
    # Written by the build (tools/kernels.py): BUILD, this firmware's identity (None for a
    # delivery that is no firmware); NAMES, the kernels this board runs; RUNGS[i], the rungs
    # NAMES[i] has here.
    from ._index import BUILD, NAMES, RUNGS
except ImportError:
    BUILD = NAMES = RUNGS = None

try:
    import _fastpath
except ImportError:  # CPython, or a firmware without our C module
    _fastpath = None


def _load(name, rungs):
    # {rung: function} of kernel name, importing its module fastpath.kernels.<name>. rungs:
    # the index's, each of which must be there; None (no index): whichever this board has.
    __import__("fastpath.kernels." + name)
    module = getattr(kernels, name)
    found = {}
    for rung in rungs or (TIERS if board.COMPILED else ("py", "opt")):
        if rung == "c":
            # The firmware's built-in _fastpath.<name>, else <name> of the native module
            # _fastpath_<name>.
            f = getattr(_fastpath, name, None)
            if f is None:
                try:
                    f = getattr(__import__("_fastpath_" + name), name, None)
                except ImportError:
                    pass
        else:
            f = getattr(module, rung, None)
        if f is not None:
            found[rung] = f
        elif rungs:
            raise ImportError("fastpath: no {} rung of {}, which _index lists".format(rung, name))
    return found


class _Kernels:
    """fastpath.KERNELS: a mapping {kernel name: {rung: function}} (a dict has no order in
    MicroPython: walk the ladder with `for t in TIERS`). Each kernel is imported on first
    use."""

    def __init__(self, names, rungs):
        self._names = names
        self._index = rungs  # the index's RUNGS, or None
        self._rungs = {}

    def __getitem__(self, name):
        rungs = self._rungs.get(name)
        if rungs is None:
            if name not in self._names:
                raise KeyError(name)
            index = self._index
            rungs = _load(name, index[self._names.index(name)] if index else None)
            self._rungs[name] = rungs
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


if NAMES is None:

    def _folder():
        # Without an index: the modules of fastpath.kernels that this board runs, each
        # imported to read its BOARDS.
        import os

        path = kernels.__path__
        path = path if isinstance(path, str) else path[0]  # MicroPython, CPython
        names = []
        for f in sorted(os.listdir(path)):
            name, _, ext = f.partition(".")
            if ext in ("py", "mpy") and name[:1] != "_" and name not in names:
                __import__("fastpath.kernels." + name)
                if board.NAME in getattr(getattr(kernels, name), "BOARDS", (board.NAME,)):
                    names.append(name)
        return tuple(names)

    NAMES = _folder()
    del _folder

KERNELS = _Kernels(NAMES, RUNGS)


def __getattr__(name):
    # fastpath.<kernel>: the kernel's fastest rung, imported on first use. Else a module of
    # the package not imported yet (MicroPython's `from . import x` asks here first).
    if name in KERNELS:
        rungs = KERNELS[name]
        for t in _FASTEST:
            if t in rungs:
                return rungs[t]
    try:
        __import__("fastpath." + name)
    except ImportError:
        raise AttributeError(name)
    return globals()[name]
