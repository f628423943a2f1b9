"""toggle(n) -> None: flip the board's toggle pin n times, at every rung of the ladder.

The pin is X1 (PA0) on the Pyboard and LED0 of the FPGA I/O block on the emulator (see
board.py); the unix build has no pin and no toggle kernel. Each rung writes the pin's
register exactly once per toggle, so the tests count the writes. The viper and asm rungs
store to the bit set/reset register and never read it; mem keeps the guide's read-modify-write
of the output register (see board.py for why that matters on a Pyboard).
"""

try:
    import micropython
except ImportError:  # CPython: the package imports, but there is no pin to toggle
    from ._check import micropython, ptr32, uint

from . import board


def _check(n):
    # Every rung validates n before touching a register.
    if not isinstance(n, int):
        raise TypeError("n must be an int")
    if n < 0:
        raise ValueError("n must be >= 0")


def py(n):
    # What a newcomer writes: read the pin, write back its opposite.
    _check(n)
    pin = board.toggle_pin()
    for _ in range(n):
        pin.value(not pin.value())


def opt(n):
    # The guide's first step: cache the bound method, so the loop does no attribute lookups.
    _check(n)
    value = board.toggle_pin().value
    for _ in range(n):
        value(not value())


@micropython.native
def _native(n, value):
    for _ in range(n):
        value(not value())


def native(n):
    # The same loop, compiled to machine code that still calls the pin's method.
    _check(n)
    _native(n, board.toggle_pin().value)


def mem(n):
    # The guide's own line, `machine.mem16[stm.GPIOA + stm.GPIO_ODR] ^= BIT`: no Pin object,
    # one 16-bit read-modify-write a toggle. Kept as the guide writes it, to show its cost; it
    # rewrites the whole port, so on a Pyboard an interrupt that changes another GPIOA pin (an
    # LED) between the read and the write is undone. The viper and asm rungs store to BSRR.
    _check(n)
    import machine

    board.toggle_pin()  # configures the pin as an output
    mem16 = machine.mem16
    reg = board.TOGGLE_REG
    mask = board.TOGGLE_MASK
    for _ in range(n):
        mem16[reg] ^= mask


@micropython.viper
def _viper(n: int, reg: uint, word: uint, flip: uint):
    # reg: the set/reset register; word: what the next edge stores (set or reset);
    # flip: set ^ reset, turning one into the other. One store a toggle, no load.
    out = ptr32(reg)
    for _ in range(n):
        out[0] = word
        word ^= flip


def viper(n):
    _check(n)
    board.toggle_pin()
    _viper(n, board.TOGGLE_BSRR, board.toggle_first_word(),
           board.TOGGLE_SET ^ board.TOGGLE_RESET)
