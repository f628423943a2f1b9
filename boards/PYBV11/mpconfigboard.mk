# fastpath on the Pyboard v1.1: upstream PYBV11 by reference (MCU, linker scripts, flash
# layout), plus our frozen package and C module, which tasks.py passes as FROZEN_MANIFEST and
# USER_C_MODULES. Frozen native/viper/asm code is compiled for armv7emsp by the stm32 port.
include $(TOP)/ports/stm32/boards/PYBV11/mpconfigboard.mk

# Named in frozen/manifest.py: the port's usual frozen modules plus Thumb-only code.
MICROPY_MANIFEST_FASTPATH_PORT_MANIFEST = $(BOARD_DIR)/manifest.py
