# What the emulated board freezes besides the fastpath package.
# The inline-assembler tiers, which only a Thumb target compiles.
package("fastpath_thumb", base_path="$(FASTPATH_DIR)/frozen/thumb")
# The board's boot: its filesystem at /flash (modules/_boot.py).
module("_boot.py", base_path="$(BOARD_DIR)/modules")
# What upstream's own qemu boards freeze (FROZEN_MANIFEST in ports/qemu/Makefile), so that
# MicroPython's test suite runs unchanged here (./inv conformance): unittest, and the modules
# the tests in tests/ports/qemu import.
require("unittest")
freeze(
    "$(MPY_DIR)/ports/qemu/test-frzmpy",
    ("frozen_asm_thumb.py", "frozen_const.py", "frozen_viper.py", "native_frozen_align.py"),
)
