// fastpath on the Pyboard v1.1: everything as upstream PYBV11, only the name differs.
#include "boards/PYBV11/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "PYBv1.1 fastpath"
