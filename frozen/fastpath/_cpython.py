"""Stand-ins that let CPython import the package: only the py and opt rungs run there.

const() returns its argument; the emitter decorators return the function unchanged, and the
viper casts are int, so the native, viper and asm rungs can be defined, never run (the package
registers only py and opt under CPython).
"""


def const(x):
    return x


class micropython:
    native = viper = asm_thumb = staticmethod(lambda f: f)


uint = ptr = ptr8 = ptr16 = ptr32 = int
