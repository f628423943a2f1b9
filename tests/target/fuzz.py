# Argument fuzzing of every rung of every kernel (needs ladder.py and contract.py before it).
#
# Each round makes one call from a kernel's declaration: a valid sample in a random form
# (vary()), then, every other round, one thing made wrong: an argument replaced by a value of
# another kind, a buffer of another typecode, a buffer shortened or lengthened, or an argument
# too few or too many. Every rung gets the same call, built afresh from the same generator
# state, and must:
# - return, or raise TypeError or ValueError, nothing else;
# - agree with the py rung: the same result and output bytes, or the same exception and message;
# - leave its inputs and every guard item unchanged.
# A crash kills the process and a hang times out; either way the seed reproduces it.

TYPECODES = "bBhHiIlLqQfd"
try:
    array("q")
except ValueError:
    TYPECODES = "bBhHiIlLfd"


def junk(r):
    # Any value of the contract's junk lists but the big ints, which are valid counts (a kernel
    # told to loop 2**32 times would do so, rightly).
    kinds = sorted(JUNK)
    values = JUNK[kinds[r.below(len(kinds))]]
    value = values[r.below(len(values))][0]
    return None if isinstance(value, int) and value > 0xFFFF else value


def some_buffer(r, limit, huge):
    # A buffer of any typecode and length, its bytes random.
    code = TYPECODES[r.below(len(TYPECODES))]
    size = len(bytes(array(code, [0])))
    return array(code, r.bytes(r.length(limit, huge) * size))


def make(r, module, limit, huge):
    # (args, outputs, guards, arity changed) of one call.
    args = list(module.sample(r, r.length(limit, huge)))
    guards = []
    for i, spec in enumerate(module.ARGS[:len(args)]):
        args[i] = vary(r, spec[1], args[i], guards)
    arity = False
    if r.below(2):
        how = r.below(6)
        i = r.below(len(args))
        if how == 0:
            args[i] = junk(r)
        elif how == 1:
            args[i] = some_buffer(r, limit, huge)
        elif how == 2 and isinstance(args[i], (bytes, bytearray, array, memoryview)):
            n = len(args[i])
            args[i] = args[i][:n - 1 - r.below(min(3, n))] if n else args[i]
        elif how == 3 and isinstance(args[i], bytearray):
            args[i] = args[i] + bytearray(1 + r.below(3))
        elif how == 4:
            args.pop()
            arity = True
        else:
            args.append(junk(r))
            arity = True
    outputs = [i for i, spec in enumerate(module.ARGS) if spec[1].endswith("_out")]
    return args, [i for i in outputs if i < len(args)], guards, arity


def _snapshot(x):
    # The raw bytes of a buffer, to tell whether a call changed it (None for non-buffers).
    if isinstance(x, (str, int, float, list, tuple, dict)) or x is None:
        return None
    try:
        return bytes(x)
    except (TypeError, ValueError):
        return None


def _call(f, args, outputs, guards):
    try:
        ret = f(*args)
    except (TypeError, ValueError) as e:
        return (type(e).__name__, str(e))
    except Exception as e:
        return ("BAD " + type(e).__name__, str(e))
    return ("ok", ret, [_snapshot(args[i]) for i in outputs], all(g() for g in guards))


def fuzz(seed, rounds, names=None, limit=300, huge=0):
    # Prints CALLS (calls made), VALID (calls that returned) and FAILURES, then the failures.
    r = Rng(seed)
    names = names or sorted(fastpath.KERNELS)
    calls = valid = 0
    failures = []
    for n in range(rounds):
        name = names[n % len(names)]
        module = kernel_module(name)
        rungs = fastpath.KERNELS[name]
        state = r.x
        results = {}
        for rung in fastpath.TIERS:
            if rung not in rungs:
                continue
            c = Rng(state)
            args, outputs, guards, arity = make(c, module, limit, huge)
            before = [_snapshot(a) for i, a in enumerate(args) if i not in outputs]
            res = _call(rungs[rung], args, outputs, guards)
            after = [_snapshot(a) for i, a in enumerate(args) if i not in outputs]
            calls += 1
            valid += res[0] == "ok"
            results[rung] = res
            if before != after:
                failures.append((seed, n, name, rung, "changed an input"))
            if res[0].startswith("BAD") or res[0] == "ok" and not res[3]:
                failures.append((seed, n, name, rung, res))
        r.x = c.x  # past this round's draws
        ref = results.get("py")
        for rung, got in results.items():
            # A call with too few or too many arguments: the runtime's message names the
            # function, so only the exception's type must agree.
            if arity and got[0] == ref[0] == "TypeError":
                continue
            if got != ref:
                failures.append((seed, n, name, rung, "py gave {!r}, {} gave {!r}".format(
                    ref, rung, got)))
        if len(failures) > 20:
            break
    print("CALLS", calls)
    print("VALID", valid)
    print("FAILURES", len(failures))
    for f in failures[:20]:
        print("FAIL", repr(f))
