// The emulated board's configuration: upstream's qemu port configuration, plus what mpremote
// needs of a board: select.poll on stdin and sys.stdin.buffer/sys.stdout.buffer (`mpremote
// mount`). Upstream's qemu port turns both on (with the time module) from v1.27.
// mpconfigboard.mk puts this folder first on the include path, so py/mpconfig.h's
// `#include <mpconfigport.h>` finds this file, which includes the port's own.
#include "ports/qemu/mpconfigport.h"

#undef MICROPY_PY_SELECT
#define MICROPY_PY_SELECT           (1)
#undef MICROPY_PY_SYS_STDIO_BUFFER
#define MICROPY_PY_SYS_STDIO_BUFFER (1)
