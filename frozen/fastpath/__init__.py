"""fastpath: each kernel at every rung of MicroPython's "Maximising MicroPython speed" ladder.

    import fastpath
    fastpath.crc32(b"123456789")                 # the fastest tier this board has
    fastpath.KERNELS["crc32"]["viper"](data)     # one rung in particular
    fastpath.TIERS                               # rung names, in ladder order
    fastpath.BUILD                               # which firmware this is (None off-board)

Every tier of a kernel takes the same arguments and gives the same answer; docs/kernels.md
has the contracts. A tier this board cannot run is absent from KERNELS, not faked.
"""

from . import board, crc32, fir_q15, popcount, rgb565, toggle

try:
    # {"fastpath": commit, "micropython": release, "board": build}, frozen at build time.
    from ._build import BUILD
except ImportError:  # CPython, or the package copied without a build
    BUILD = None

TIERS = ("py", "opt", "native", "mem", "viper", "asm", "c", "hw")

# The package-level function of a kernel is its first tier present in this order. hw is left
# out: a peripheral may cover only part of the contract (see KERNELS[...]["hw"].__doc__).
_FASTEST = ("c", "asm", "viper", "native", "opt", "py")

KERNELS = {}


def _register(name, module):
    tiers = {}
    for tier in TIERS if board.COMPILED else ("py", "opt"):
        f = getattr(module, tier, None)
        if f is not None:
            tiers[tier] = f
    if board.THUMB:
        import fastpath_thumb

        if name in fastpath_thumb.KERNELS:
            tiers["asm"] = getattr(__import__("fastpath_thumb." + name), name).asm
    try:
        import _fastpath
    except ImportError:  # CPython, where only the Python tiers exist
        _fastpath = None
    if getattr(_fastpath, name, None):
        tiers["c"] = getattr(_fastpath, name)
    # A dict has no order in MicroPython: walk the ladder with `for t in TIERS`.
    KERNELS[name] = tiers
    for t in _FASTEST:
        if t in tiers:
            return tiers[t]


crc32 = _register("crc32", crc32)
fir_q15 = _register("fir_q15", fir_q15)
popcount = _register("popcount", popcount)
rgb565 = _register("rgb565", rgb565)
if board.TOGGLE:
    toggle = _register("toggle", toggle)
else:
    del toggle  # no pin on this board: no toggle kernel, not even a module to call
