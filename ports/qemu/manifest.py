# What the emulated board freezes besides the fastpath package: the inline-assembler tiers,
# which only a Thumb target compiles.
package("fastpath_thumb", base_path="$(FASTPATH_DIR)/frozen/thumb")
