# The emulated board as stock firmware (build target qemu-stock): what the board needs to be a
# board, its filesystem at /flash (modules/_boot.py), and none of fastpath: no frozen package,
# no asm rungs (and no _fastpath C module: its recipe, tools/platforms.py). The package and
# the kernels' native modules are installed onto it with mip (./inv install).
module("_boot.py", base_path="$(BOARD_DIR)/modules")
