# Read only by MicroPython v1.24's qemu Makefile, which knows no BOARD_DIR: it includes
# boards/$(BOARD).mk from the port's folder, and then from each make --include-dir;
# tools/platforms.py passes this file's parent's parent (ports/qemu) as one. It reads the board
# as v1.25 and later do, and adds what v1.25 gave the port and `./inv deploy` needs: importing
# .mpy and .py files from a filesystem (ports/qemu/mpconfigport.h there, v1.25.0).
include $(BOARD_DIR)/mpconfigboard.mk

CFLAGS += -DMICROPY_PERSISTENT_CODE_LOAD=1 -DMICROPY_READER_VFS=1
# v1.24's main.c defines a stand-in mp_lexer_new_from_file (always ENOENT), which would
# clash with py/lexer.c's real one once MICROPY_READER_VFS is on: rename it out of the way.
$(BUILD)/main.o: private CFLAGS += -Dmp_lexer_new_from_file=fastpath_unused_lexer_new_from_file
