# fastpath on the Pyboard v1.1: upstream PYBV11 by reference (MCU, linker scripts, flash
# layout), plus our frozen package and C module, which tasks.py passes as FROZEN_MANIFEST and
# USER_C_MODULES. Frozen native/viper/asm code is compiled for armv7emsp by the stm32 port.
include $(TOP)/ports/stm32/boards/PYBV11/mpconfigboard.mk

# Named in frozen/manifest.py: the port's usual frozen modules plus Thumb-only code.
MICROPY_MANIFEST_FASTPATH_PORT_MANIFEST = $(BOARD_DIR)/manifest.py

# Upstream compiles frozen native code for plain armv7m on every F4; the F405 has the DSP
# instructions and a single-precision FPU, so let the emitters use them. override: stm32.mk
# assigns this variable after this file is read.
override MPY_CROSS_MCU_ARCH_f4 = armv7emsp

# The pins are upstream PYBV11's. The stm32 Makefile hands make-pins.py $(BOARD_PINS) (the
# same name from v1.22 to v1.28), but its pattern rule also wants $(BOARD_DIR)/pins.csv as a
# prerequisite: this rule stands that name in for upstream's file (an intermediate that is
# never written), so pins are regenerated when upstream's file changes, and only then.
override BOARD_PINS = $(TOP)/ports/stm32/boards/PYBV11/pins.csv
.SECONDARY: $(BOARD_DIR)/pins.csv
$(BOARD_DIR)/%.csv: $(TOP)/ports/stm32/boards/PYBV11/%.csv
	@:
