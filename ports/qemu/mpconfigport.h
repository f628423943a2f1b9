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

// The emulated board is the bench's instrument, so a kernel's counts must depend on that
// kernel alone. MicroPython's map lookup cache (py/map.c) remembers where a name was last
// found in a 128-byte table indexed by the name's qstr number; every kernel added to the
// firmware renumbers the qstrs after its own, so which lookups of another kernel hit the cache
// changed with it: adding one kernel moved the other kernels' Python rungs by up to 2%
// (fir_q15 asm 26,840 -> 26,240 instructions). Without the cache, lookups cost what the maps
// themselves cost: Python rungs count 0.1-8% more than on a Pyboard, which has the cache;
// C rungs are unaffected (docs/benchmarks.md).
#undef MICROPY_OPT_MAP_LOOKUP_CACHE
#define MICROPY_OPT_MAP_LOOKUP_CACHE (0)
