# _fastpath user C module, for the make-based ports (unix, stm32, qemu):
#   make USER_C_MODULES=/path/to/usermod ...
# Every .c file here but modfastpath.c is one kernel's c rung: its raw loop (plain C, tested on
# the host by tests/c and tests/fuzz) and, under FASTPATH_BINDING, its Python-facing wrapper.
# modfastpath.c puts each in the module under the file's name; nothing lists them.
FASTPATH_MOD_DIR := $(USERMOD_DIR)
FASTPATH_SRC := $(sort $(wildcard $(FASTPATH_MOD_DIR)/*.c))
FASTPATH_KERNELS := $(filter-out modfastpath,$(basename $(notdir $(FASTPATH_SRC))))
SRC_USERMOD_C += $(FASTPATH_SRC)

# The kernel names as X-macro lines for modfastpath.c's module table, in a header rewritten
# only when the list changes: a kernel added or removed then rebuilds the table (the header is
# a dependency of modfastpath.o) and its qstrs (a global dependency of the qstr pass).
FASTPATH_LIST_H := $(BUILD)/fastpath/fastpath_kernels.h
FASTPATH_LIST := $(foreach k,$(FASTPATH_KERNELS),FASTPATH_KERNEL($(k)))
ifneq ($(shell cat $(FASTPATH_LIST_H) 2>/dev/null),$(FASTPATH_LIST))
$(shell mkdir -p $(dir $(FASTPATH_LIST_H)) && echo '$(FASTPATH_LIST)' > $(FASTPATH_LIST_H))
endif
QSTR_GLOBAL_DEPENDENCIES += $(FASTPATH_LIST_H)

CFLAGS_USERMOD += -I$(FASTPATH_MOD_DIR) -I$(dir $(FASTPATH_LIST_H)) -DFASTPATH_BINDING=1

# Flags for our objects only ("private": not passed on to their prerequisites): warnings are
# errors, and the kernels get -O2 whatever the port's -Os, since their speed is the point.
# The bindings include port headers (stm32's HAL among them) with unused parameters in inline
# functions: that one warning stays off, as the unix port does everywhere.
FASTPATH_OBJ_DIR := $(BUILD)/$(patsubst $(USER_C_MODULES)/%,%,$(FASTPATH_MOD_DIR))
FASTPATH_OBJ := $(addprefix $(FASTPATH_OBJ_DIR)/,$(notdir $(FASTPATH_SRC:.c=.o)))
$(FASTPATH_OBJ): private CFLAGS += -Wall -Wextra -Wno-unused-parameter -Werror
$(filter-out %/modfastpath.o,$(FASTPATH_OBJ)): private CFLAGS += -O2
