"""toggle(n) -> None: flip the board's free output pin n times, at every rung of the ladder.

The pin is X1 (PA0) on the Pyboard and LED0 of the FPGA I/O block on the emulator (see
board.py); the unix build has no pin and no toggle kernel. Each rung writes the pin's
register exactly once per toggle, so the tests count the writes. The viper and asm rungs
store to the bit set/reset register and never read it; mem keeps the guide's read-modify-write
of the output register (see board.py for why that matters on a Pyboard).
"""

try:
    import micropython
except ImportError:  # CPython: the package imports, but there is no pin to toggle
    from .._cpython import micropython, ptr32, uint

from .. import _args, board

# The kernel's declaration, read by the tests, the fuzzer and the bench (docs/adding-a-kernel.md).
ARGS = (("n", "count"),)
UNIT = "toggle"
# On the emulator the pin is LED0, and machine.Pin a Python stand-in (board.py): the py, opt
# and native rungs, which call it, cost more there than on a Pyboard, whose Pin is C.
WORKLOAD = "20000 toggles of the free output pin (X1; the emulator's LED0 through a Python Pin)"
# The Cortex-M4's floor, instructions per unit (docs/native-and-floors.md).
FLOOR = (1.0, "one STR an edge to the set/reset register, the loop unrolled")
BOARDS = ("pyboard", "qemu")  # the boards with a pin for it; absent elsewhere
# Emulator instructions per toggle: viper and asm at least 10x faster than py. The ladder's
# goals for data kernels (native 1.8x over opt...) do not apply: py, opt and native call the
# pin's value(), which their loop cannot speed up.
GOALS = (("viper", "x", "py", 10.0), ("asm", "x", "py", 10.0))
LADDER_GOALS = False
NO_ALLOC = ("viper", "asm")


def workload():
    # The bench's call: (arguments, units of work).
    return (20000,), 20000


def sample(r, n):
    # Valid arguments from the generator r: at most 100 toggles.
    return (min(n, 100),)


def state():
    # What a call changes besides its arguments, for the tests (tests/target/ladder.py): the
    # pin's level, 0 or 1.
    import machine

    return 1 if machine.mem32[board.OUT_REG] & board.OUT_MASK else 0


def py(n):
    # What a newcomer writes: read the pin, write back its opposite.
    _args.count(n, "n")
    pin = board.out_pin()
    for _ in range(n):
        pin.value(not pin.value())


def opt(n):
    # The guide's first step: cache the bound method, so the loop does no attribute lookups.
    _args.count(n, "n")
    value = board.out_pin().value
    for _ in range(n):
        value(not value())


@micropython.native
def _native(n, value):
    for _ in range(n):
        value(not value())


def native(n):
    # The same loop, compiled to machine code that still calls the pin's method.
    _args.count(n, "n")
    _native(n, board.out_pin().value)


def mem(n):
    # The guide's own line, `machine.mem16[stm.GPIOA + stm.GPIO_ODR] ^= BIT`: no Pin object,
    # one 16-bit read-modify-write a toggle. Kept as the guide writes it, to show its cost; it
    # rewrites the whole port, so on a Pyboard an interrupt that changes another GPIOA pin (an
    # LED) between the read and the write is undone. The viper and asm rungs store to BSRR.
    _args.count(n, "n")
    import machine

    board.out_pin()  # configures the pin as an output
    mem16 = machine.mem16
    reg = board.OUT_REG
    mask = board.OUT_MASK
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
    _args.count(n, "n")
    board.out_pin()
    _viper(n, board.OUT_BSRR, board.out_first_word(), board.OUT_SET ^ board.OUT_RESET)


if board.THUMB:
    # The raw loop in Thumb-2: four instructions a toggle (fastpath_thumb.toggle).
    from fastpath_thumb.toggle import toggle as _asm

    def asm(n):
        _args.count(n, "n")
        board.out_pin()
        _asm(n, board.OUT_BSRR, board.out_first_word(), board.OUT_SET ^ board.OUT_RESET)
