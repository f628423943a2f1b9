"""Host-side tools behind tasks.py, kept here so tests can import them. One module a job:

- settings: the project's settings, read once and passed down (Layout: where things are)
- util: the helpers every tool uses (a stage's line of output, git, an ELF file's size)
- cli: the command line of ./inv (invoke's own, on tasks.py)
- platforms: every platform, declared once: its build recipe, runner, board, arch, budgets
- build: the toolchain, fetching MicroPython, make (the firmwares of the platforms)
- identity: which firmware a build is (firmware.json, fastpath.BUILD)
- kernels: each kernel's declaration, read from its file; the package's kernel index
- newkernel: `./inv new-kernel`, a kernel from a template
- targets: runners that execute code on a target (unix, the emulator, a board)
- unix_main: what the unix runner executes on the unix port
- bench: `./inv bench`, the ladder timed on a target and reported
- peers: `./inv bench --peers`, what a user would use instead, measured as we are
- archbench: `./inv bench --arch`, the ladder on stock boards of each core, with their packages
- sources: the pinned upstream sources besides MicroPython (the peers, ulab), and their fetch
- profile: `./inv profile`, where one rung's instructions go on the emulator (its QEMU plugin:
  insnprof.c)
- matrix: `./inv matrix`, several MicroPython releases side by side
- conformance: `./inv conformance`, MicroPython's own test suite on our firmware; a package of
  one module a job (runs, wrapper, results, expectations, upstream, reports: its docstring
  says which does what), with expected.py (what our configuration may fail) and upstream.json
  (what upstream's own builds give)
- dfuse: DfuSe (.dfu) files, checked before anything is sent to a board
- flash: writing a .dfu to a Pyboard over USB DFU and checking it, with pydfu_rw (MicroPython's
  pydfu plus a read-back)
- deploy: compiled modules copied onto a running board or the emulator
- natmod: `./inv natmod`, the C kernels as native .mpy modules for stock firmware
- package: `./inv package` and `./inv install`, the mip package per arch, and its install, with
  package_check (what the install runs on the board)
- usbhost: what the host sees of a board on USB: its drive, its serial port
"""
