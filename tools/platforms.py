"""Every platform, declared once: the one registry the build, the runners, the bench and the
tests read. A platform added later is one entry of PLATFORMS.

A platform is a firmware (its build recipe: which MicroPython port builds it, from which of our
folders, into build/<out>/) and what goes with it:
- runner: what executes code on it: "unix" (the binary as a subprocess, with env), "qemu" (a
  QEMU machine, `machine`, with its UART on a pty) or "board" (a real board on a serial port);
- target: its name as a test and bench target (`./inv test --target`), if it is one;
- board and arch: what it is to the package: fastpath.board.NAME there (the terms of a kernel's
  BOARDS) and its mpy architecture (None: the host's);
- core and unit: the core that runs it, and what the bench's counts are on it;
- budgets: what the tests may spend on it (FUZZ rounds and sizes, the heap `import fastpath`
  may take, the seconds one test of MicroPython's suite may take) and, for upstream boards
  without a filesystem, the RAM a test may mount one in.

Names. A platform is named as its build target everywhere (`./inv build --target NAME`). The
Pyboard keeps two more names that users already rely on, both declared here only:
- "device", its test, bench and repl target (`--target device`, build/device/ reports): the
  runner is whichever board is on --port;
- "pyboard", its fastpath.board.NAME, the name kernels declare in BOARDS.
"""

from pathlib import Path

# What every QEMU machine here runs with: the UART on a pty (which QEMU names on its stdout),
# semihosting, and one guest instruction per nanosecond of virtual time, so that timings
# count instructions (-icount shift=0).
QEMU_OPTIONS = ("-nographic", "-monitor", "none", "-semihosting", "-icount", "shift=0",
                "-serial", "pty")
MPS2_AN386 = ("qemu-system-arm", "-machine", "mps2-an386")
MPS2_AN385 = ("qemu-system-arm", "-machine", "mps2-an385")
VIRT_RV32 = ("qemu-system-riscv32", "-machine", "virt", "-bios", "none")

# For the sanitizer build (ports/unix-asan): detect_leaks=0, since MicroPython's objects live in
# one GC heap block that LeakSanitizer cannot see into, and LeakSanitizer needs ptrace, which
# many CI containers forbid. (asan-use-after-return is compiled out: mpconfigvariant.mk.)
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}


class Platform:
    """One platform: its build recipe (the first arguments) and everything else the project
    knows of it (see above)."""

    def __init__(self, name, port, out, submodules, artifacts, make_args, make_flags=(),
                 usermods=None, peers=(), stock=None, *, board, arch=None, runner="qemu",
                 machine=None, env=None, target=None, core=None, unit=None, fuzz=None,
                 import_heap=None, suite_timeout=None, ram=None):
        self.name = name
        # The recipe.
        self.port = port  # folder under ports/ in the MicroPython tree
        self.out = out  # build/<out>/
        self.submodules = submodules
        self.artifacts = artifacts  # the main one last
        self.make_args = make_args  # *_DIR values are folders of this project
        self.make_flags = make_flags  # options of make itself; {root}: this project
        # User C modules: {name: folder of this project}, None for usermod/ (ours alone), or
        # {} for none: our frozen package without _fastpath, as on stock firmware.
        self.usermods = usermods
        self.peers = peers  # peers' sources it builds from (tools/sources.py PINS)
        # A firmware that is not ours, for the tests of the package on stock firmware
        # (tools/package.py): built without our C module and frozen package, with this frozen
        # manifest (a path of this project), or the port's own when it is "".
        self.stock = stock
        # What it is to the package, and what runs it.
        self.board = board
        self.arch = arch
        self.runner = runner
        self.machine = machine  # runner "qemu": the QEMU command and machine
        self.env = env  # runner "unix": more environment (the sanitizers' options)
        self.target = target
        self.core = core
        self.unit = unit
        # Budgets. Argument-fuzz rounds (each one call of every rung) and the largest buffer,
        # without and with --full (tests/test_kernels.py).
        self.fuzz = fuzz
        self.import_heap = import_heap  # bytes (tests/test_memory.py)
        self.suite_timeout = suite_timeout  # seconds a test of MicroPython's suite may take
        self.ram = ram  # (address, size): RAM the firmware leaves unused (tests/target/ramfs.py)

    @property
    def c_module(self):
        """Whether the firmware has our C module _fastpath (the c rungs, and _args' buffer
        queries in C)."""
        return self.usermods is None or "fastpath" in self.usermods

    def args(self, root):
        """make_args with our folders made absolute for root."""
        return [(k, Path(root) / v if k.endswith("_DIR") else v)
                for k, v in self.make_args.items()]

    def flags(self, root):
        """make_flags for root."""
        return [f.format(root=root) for f in self.make_flags]

    @property
    def qemu_args(self):
        """The QEMU command line that boots this platform's firmware (without -kernel)."""
        return self.machine + QEMU_OPTIONS if self.machine else None

    @property
    def sanitized(self):
        """Whether its runs are under the sanitizers (ASan/UBSan): heap-edge buffers apply."""
        return bool(self.env)

    def __repr__(self):
        return "Platform({!r})".format(self.name)


PLATFORMS = {
    p.name: p
    for p in (
        Platform(
            "pybv11", "stm32", "PYBV11",
            ("lib/stm32lib", "lib/libhydrogen", "lib/micropython-lib"),
            ("firmware.dfu", "firmware.hex", "firmware.elf"),
            {"BOARD_DIR": "boards/PYBV11"},
            board="pyboard", arch="armv7emsp", runner="board", target="device",
            core="Cortex-M4F (STM32F405, 168 MHz)", unit="cycles",
            fuzz=((100, 2049), (200, 2049)),
        ),
        # unix has 64-bit words: twice the emulator's import budget for the same objects. Its
        # arch is the host's (None: the index gives it no asm rung); unix-stock's, below, is
        # the native modules' it installs (x64).
        Platform(
            "unix", "unix", "unix", ("lib/micropython-lib",), ("micropython",),
            {"VARIANT_DIR": "ports/unix"},
            board="unix", runner="unix", target="unix", unit="us",
            fuzz=((1000, 65537), (10000, 65537)), import_heap=4096, suite_timeout=30,
        ),
        Platform(
            "unix-asan", "unix", "unix-asan", ("lib/micropython-lib",), ("micropython",),
            {"VARIANT_DIR": "ports/unix-asan"},
            board="unix", runner="unix", env=SANITIZER_ENV, target="unix-asan", unit="us",
            fuzz=((600, 65537), (5000, 65537)), suite_timeout=60,
        ),
        # A Pyboard-sized heap and 32-bit viper ints, like the board: its fuzz sizes are the
        # board's. The import budget's goal is 2 KB (a Pyboard has about 100 KB of heap).
        Platform(
            "qemu", "qemu", "qemu", ("lib/micropython-lib",), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            # MicroPython v1.24 knows no BOARD_DIR: it reads boards/$(BOARD).mk, which make
            # finds in this include folder (ports/qemu/boards/MPS2_AN386.mk).
            ("--include-dir={root}/ports/qemu",),
            board="qemu", arch="armv7emsp", machine=MPS2_AN386, target="qemu",
            core="Cortex-M4F (MPS2_AN386)", unit="instructions",
            fuzz=((150, 2049), (1000, 2049)), import_heap=2048, suite_timeout=30,
        ),
        # The emulated board with ulab beside our module: the peers' bench (tools/peers.py).
        Platform(
            "qemu-ulab", "qemu", "qemu-ulab", ("lib/micropython-lib",), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            ("--include-dir={root}/ports/qemu",),
            usermods={"fastpath": "usermod/fastpath", "ulab": "lib/peers/micropython-ulab/code"},
            peers=("micropython-ulab",),
            board="qemu", arch="armv7emsp", machine=MPS2_AN386,
            core="Cortex-M4F (MPS2_AN386)", unit="instructions",
        ),
        # The emulated board with our frozen package but without our C module, as a stock
        # install without native modules runs it: no c rungs, and _args' buffer queries in
        # Python (tests/test_no_c_module.py).
        Platform(
            "qemu-noc", "qemu", "qemu-noc", ("lib/micropython-lib",), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            ("--include-dir={root}/ports/qemu",),
            usermods={},
            board="qemu", arch="armv7emsp", machine=MPS2_AN386,
            core="Cortex-M4F (MPS2_AN386)", unit="instructions",
        ),
        # Not ours: the stock firmwares the mip package and native modules are proved on.
        # Our emulated board (armv7emsp) with its filesystem but without _fastpath and the
        # frozen fastpath package.
        Platform(
            "qemu-stock", "qemu", "qemu-stock", (), ("firmware.elf",),
            {"BOARD_DIR": "ports/qemu", "BOARD": "MPS2_AN386"},
            ("--include-dir={root}/ports/qemu",),
            stock="ports/qemu/stock/manifest.py",
            board="qemu", arch="armv7emsp", machine=MPS2_AN386,
            core="Cortex-M4F (MPS2_AN386)", unit="instructions",
            # With the mip package installed: its modules' code is loaded into the heap.
            import_heap=10 * 1024,
        ),
        # Upstream's unix standard variant (x64), unchanged: its frozen mip included (btree
        # and ssl off: their libraries are submodules we do not fetch).
        Platform(
            "unix-stock", "unix", "unix-stock", ("lib/micropython-lib",), ("micropython",),
            {"VARIANT": "standard", "MICROPY_PY_BTREE": "0", "MICROPY_PY_SSL": "0",
             "MICROPY_SSL_MBEDTLS": "0"},
            stock="",
            board="unix", arch="x64", runner="unix", unit="us",
        ),
        # Upstream's qemu boards, unchanged: MPS2_AN385 (Cortex-M3, armv7m) and VIRT_RV32
        # (rv32imc). Neither has a filesystem: the tests mount one in RAM the firmware leaves
        # unused, as a flash filesystem would (a heap of 140 KB cannot hold the package's 40 KB
        # of files and what is loaded from them). MPS2: SSRAM 2 and 3 at 0x20000000 (upstream's
        # mps2.ld uses the first bank only, as our ports/qemu/ramdisk.c says); QEMU's virt
        # machine: 128 MB from 0x80000000, of which the firmware uses the first 6.1 MB.
        Platform(
            "qemu-an385", "qemu", "qemu-an385", (), ("firmware.elf",), {"BOARD": "MPS2_AN385"},
            stock="",
            board="qemu", arch="armv7m", machine=MPS2_AN385, core="Cortex-M3 (MPS2_AN385)",
            unit="instructions", ram=(0x20000000, 0x100000),
        ),
        # Debian's riscv64-unknown-elf GCC 12 has its rv32 libraries (libgcc, picolibc) as the
        # multilib rv32imac/ilp32, which -march=rv32imac_zicsr (the port's choice for GCC > 10)
        # does not select: the compiler and linker are given rv32imac, and the assembler,
        # which needs Zicsr named for the CSR instructions, rv32imac_zicsr.
        Platform(
            "qemu-rv32", "qemu", "qemu-rv32", (), ("firmware.elf",),
            {"BOARD": "VIRT_RV32", "RV32_ARCH": "rv32imac",
             "AFLAGS": "-mabi=ilp32 -march=rv32imac_zicsr",
             "CFLAGS_EXTRA": "-Wa,-march=rv32imac_zicsr"},
            stock="",
            board="qemu-virt", arch="rv32imc", machine=VIRT_RV32, core="RV32IMAC (virt)",
            unit="instructions", ram=(0x84000000, 0x100000),
        ),
    )
}

# The firmwares "all" builds: ours (the peers' variants are built by ./inv bench --peers, the
# stock ones and the one without our C module by the tests that use them, each also by name).
OURS = tuple(name for name, p in PLATFORMS.items()
             if p.stock is None and not p.peers and p.c_module)
# The test and bench targets (./inv test --target), by their name, in the order they run:
# hosts first, then the emulator, then a board.
TARGETS = {p.target: p for p in sorted(PLATFORMS.values(), key=lambda p: (
    ("unix", "qemu", "board").index(p.runner))) if p.target}


def target(name):
    """The platform of test target name (unix, unix-asan, qemu, device), or ValueError."""
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError("unknown target '{}'; choose from: {}".format(
            name, ", ".join(TARGETS))) from None
