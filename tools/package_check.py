# What `./inv install` runs on the board once the package is installed (tools/package.py):
# every rung of every kernel against its py rung, on the same seeded cases (fastpath._rng), so
# a rung that the board loads but runs wrongly (a native module built for another core, say)
# is caught before anyone relies on it.
#
# Prints "KERNEL name rung rung ..." (the rungs found, in ladder order) per kernel, and
# "DIFFERS name rung case" for each case a rung answers differently from py.

import fastpath
from fastpath._rng import Rng


def _outcomes(f, module, seed, count, limit):
    # What f gives on count cases of module.sample(): return value and output bytes, or the
    # exception's type and text.
    outputs = [i for i, spec in enumerate(module.ARGS) if spec[1].endswith("_out")]
    r = Rng(seed)
    got = []
    for _ in range(count):
        args = module.sample(r, r.length(limit))
        try:
            ret = f(*args)
            got.append((ret, [bytes(args[i]) for i in outputs]))
        except Exception as e:  # a wrong exception is an answer like any other
            got.append((type(e).__name__, str(e)))
    return got


def check(seed=2025, count=24, limit=80):
    for name in fastpath.KERNELS:
        rungs = fastpath.KERNELS[name]
        module = getattr(__import__("fastpath.kernels." + name).kernels, name)
        print("KERNEL", name, " ".join(t for t in fastpath.TIERS if t in rungs))
        want = _outcomes(rungs["py"], module, seed, count, limit)
        for rung in fastpath.TIERS:
            if rung in rungs and rung != "py":
                got = _outcomes(rungs[rung], module, seed, count, limit)
                for case in range(count):
                    if got[case] != want[case]:
                        print("DIFFERS", name, rung, case)
                        break
