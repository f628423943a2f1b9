# fastpath on QEMU's mps2-an386: a Cortex-M4 with FPU, the Pyboard's core, so frozen code is
# compiled for armv7emsp exactly as on the Pyboard. Based on upstream's MPS2_AN385 board
# (Cortex-M3), whose linker script and UART driver serve the AN386 unchanged.
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an386

CFLAGS += -mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4"'

LDSCRIPT = mcu/arm/mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

# The port's startup code never enables the FPU (its boards are soft-float): wrap the first
# function it calls so CP10/CP11 are on before any float instruction runs.
SRC_C += $(BOARD_DIR)/fpu.c
LDFLAGS += -Wl,--wrap=uart_init

# What a board needs for mpremote: select on stdin and sys.stdin.buffer (for mount), which
# this folder's mpconfigport.h turns on (it comes first on the include path and includes the
# port's own), with stdin polling and a millisecond clock (board.c).
CFLAGS += -I$(BOARD_DIR)
# A build made before that header existed has its objects' dependencies on the port's: a new
# one here regenerates the qstrs and module table, and so every object.
QSTR_GLOBAL_DEPENDENCIES += $(BOARD_DIR)/mpconfigport.h
SRC_C += $(BOARD_DIR)/board.c
LDFLAGS += -Wl,--wrap=mp_hal_stdio_poll

# A filesystem at boot, as on a board: after each reset's mp_init() board.c runs the frozen
# modules/_boot.py, which mounts qemu.RAMDisk (ramdisk.c) at /flash, then boot.py and main.py.
SRC_C += $(BOARD_DIR)/ramdisk.c
LDFLAGS += -Wl,--wrap=mp_init

MPY_CROSS_FLAGS += -march=armv7emsp

# Named in frozen/manifest.py: the board's own frozen modules (manifest.py): Thumb-only code,
# the boot, and what upstream's qemu boards freeze for the test suite.
MICROPY_MANIFEST_FASTPATH_PORT_MANIFEST = $(BOARD_DIR)/manifest.py

# littlefs, for the RAM disk that modules/_boot.py mounts at /flash. Version 1, not 2: littlefs2
# stamps files with mp_hal_time_ns(), which this clockless port lacks, and its 64-bit division
# pulls in a libgcc unwind table (.ARM.exidx) that upstream's mps2.ld has no place for.
MICROPY_VFS_LFS1 = 1
