# The contract "allocates nothing": each rung a kernel names in NO_ALLOC, called on one of its
# samples under micropython.heap_lock(), where any allocation raises MemoryError.

import micropython

import fastpath
from fastpath._rng import Rng


def call(f, a):
    # f(*a) without the star: a call with *args builds its argument array on the heap.
    n = len(a)
    if n == 1:
        return f(a[0])
    if n == 2:
        return f(a[0], a[1])
    if n == 3:
        return f(a[0], a[1], a[2])
    return f(a[0], a[1], a[2], a[3])


def trial(f, args):
    # Locals only: storing a new global could grow the module's dict under the lock.
    call(f, args)  # first call unlocked: imports and caches are not the kernel's doing
    micropython.heap_lock()
    try:
        call(f, args)
        result = "ok"
    except MemoryError:
        result = "allocated"
    micropython.heap_unlock()
    return result


def run_heaplock(name, seed=1, n=64):
    # Prints "rung ok" or "rung allocated" for each rung of NO_ALLOC this board has.
    module = getattr(__import__("fastpath.kernels." + name).kernels, name)
    rungs = fastpath.KERNELS[name]
    for rung in module.NO_ALLOC:
        if rung in rungs:
            print(rung, trial(rungs[rung], list(module.sample(Rng(seed), n))))
