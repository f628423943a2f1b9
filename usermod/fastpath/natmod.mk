# The kernels as native .mpy modules, for firmware that does not have _fastpath built in:
# MicroPython's py/dynruntime.mk, given one module to build. tools/natmod.py (./inv natmod)
# writes a Makefile in the module's build folder that sets
#   MPY_DIR        the MicroPython tree (its py/dynruntime.mk and tools/mpy_ld.py)
#   ARCH           x64, armv6m, armv7m, armv7emsp, rv32imc, ...
#   FASTPATH_DIR   this folder
#   KERNEL         the kernel NAME (module _fastpath_NAME, from NAME.c), or empty for the
#                  module _fastpath itself (nbytes and typecode)
# and includes this file. The sources are the firmware's: NAME.c and modfastpath.c (the glue,
# with MICROPY_ENABLE_DYNRUNTIME); nothing here is kernel-specific.
vpath %.c $(FASTPATH_DIR)

MOD = _fastpath$(if $(KERNEL),_$(KERNEL))
# fastpath_natmod.h names the module's function for modfastpath.c, with its qstr written out:
# mpy_ld.py finds the qstrs a module needs by reading its sources' text (SRC), not the
# preprocessor's output.
NATMOD_H = fastpath_natmod.h
SRC = $(if $(KERNEL),$(KERNEL).c) modfastpath.c $(NATMOD_H)

# As in the firmware (micropython.mk): our warnings are errors, the kernels' loops get -O2,
# and the bindings know the kernels' const data is copied into RAM here (kernels.h).
CFLAGS_EXTRA += -I$(FASTPATH_DIR) -O2 -Wextra -Wno-unused-parameter
CFLAGS_EXTRA += -DFASTPATH_BINDING=1 -DFASTPATH_TABLES_IN_RAM=1
# libgcc and libc for what the compiler calls on its own: memcpy, memset, and 64-bit
# arithmetic on armv6m and rv32imc.
LINK_RUNTIME = 1

include $(MPY_DIR)/py/dynruntime.mk

# dynruntime.mk's objects depend on their source only: our headers too.
$(SRC_O): $(FASTPATH_DIR)/binding.h $(FASTPATH_DIR)/kernels.h

$(NATMOD_H): Makefile
	$(Q)printf '%s\n' \
	    '// Written by usermod/fastpath/natmod.mk for the module $(MOD); do not edit.' \
	    $(if $(KERNEL),'#define FASTPATH_NATMOD_KERNEL fastpath_$(KERNEL)_obj' \
	    '#define FASTPATH_NATMOD_QSTR MP_QSTR_$(KERNEL)') > $@
