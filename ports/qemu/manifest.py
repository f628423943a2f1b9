# What the emulated board freezes besides the fastpath package.
# The inline-assembler rungs, which only a Thumb target compiles.
package("fastpath_thumb", base_path="$(FASTPATH_DIR)/frozen/thumb")
# The board's boot: its filesystem at /flash (modules/_boot.py).
module("_boot.py", base_path="$(BOARD_DIR)/modules")
# What upstream's own qemu boards freeze (FROZEN_MANIFEST in ports/qemu/Makefile), so that
# MicroPython's test suite runs unchanged here (./inv conformance): unittest, and the modules
# the tests in tests/ports/qemu import.
# Their Arm list, whichever of its modules this release has (v1.24 names frozen_asm_thumb.py
# frozen_asm.py); not frozen_asm_rv32.py, which only a RISC-V target compiles.
require("unittest")
for _name in ("frozen_asm_thumb.py", "frozen_asm.py", "frozen_const.py", "frozen_viper.py",
              "native_frozen_align.py"):
    try:
        module(_name, base_path="$(MPY_DIR)/ports/qemu/test-frzmpy")
    except Exception as e:  # makemanifest's ManifestFileError, for a file this release lacks
        if "Cannot stat" not in str(e):
            raise
