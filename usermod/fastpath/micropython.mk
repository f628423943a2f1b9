# _fastpath user C module, for the make-based ports (unix, stm32, qemu):
#   make USER_C_MODULES=/path/to/usermod ...
FASTPATH_MOD_DIR := $(USERMOD_DIR)

# The Python-facing wrappers, and the raw loops that never see an mp_obj_t.
FASTPATH_KERNELS := crc32.c fir_q15.c popcount.c rgb565.c
SRC_USERMOD_C += $(FASTPATH_MOD_DIR)/modfastpath.c
SRC_USERMOD_C += $(addprefix $(FASTPATH_MOD_DIR)/,$(FASTPATH_KERNELS))

CFLAGS_USERMOD += -I$(FASTPATH_MOD_DIR)

# Flags for our objects only ("private": not passed on to their prerequisites): warnings are
# errors, and the kernels get -O2 whatever the port's -Os, since their speed is the point.
FASTPATH_OBJ_DIR := $(BUILD)/$(patsubst $(USER_C_MODULES)/%,%,$(FASTPATH_MOD_DIR))
# The binding includes port headers (stm32's HAL among them) with unused parameters in inline
# functions: that one warning stays off for it, as the unix port does everywhere.
$(FASTPATH_OBJ_DIR)/modfastpath.o: private CFLAGS += -Wall -Wextra -Wno-unused-parameter -Werror
FASTPATH_KERNEL_OBJ := $(addprefix $(FASTPATH_OBJ_DIR)/,$(FASTPATH_KERNELS:.c=.o))
$(FASTPATH_KERNEL_OBJ): private CFLAGS += -O2 -Wall -Wextra -Werror
