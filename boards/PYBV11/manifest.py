# What the Pyboard freezes besides the fastpath package: upstream PYBV11's set (asyncio, dht,
# onewire, pyb helpers) and the inline-assembler rungs, which only a Thumb target compiles.
include("$(PORT_DIR)/boards/PYBV10/manifest.py")
package("fastpath_thumb", base_path="$(FASTPATH_DIR)/frozen/thumb")
