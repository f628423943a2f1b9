// What the kernels' raw loops share: plain C99 + stdint, no MicroPython types, so the loops
// build and are tested on the host (tests/c, tests/fuzz) as well as in the firmware.
// Every kernel is exact for any length (including 0) and any alignment of its byte buffers
// (int16 buffers at their natural 2-byte alignment, as MicroPython's arrays always are).
#ifndef MICROPY_INCLUDED_FASTPATH_KERNELS_H
#define MICROPY_INCLUDED_FASTPATH_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// 1 when the kernel's const data is copied into RAM rather than read from flash: a native .mpy
// module (natmod.mk sets it), whose code and data a Cortex-M port loads into its heap. A kernel
// with large tables then uses a smaller layout, slower per unit but light on the heap.
#ifndef FASTPATH_TABLES_IN_RAM
#define FASTPATH_TABLES_IN_RAM (0)
#endif

// Helpers for the kernels: 32-bit loads/stores at any alignment (memcpy becomes one LDR/STR
// on Cortex-M3/M4, which allow unaligned word access), with little-endian byte order.
static inline uint32_t fastpath_load_le32(const void *p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
    #endif
    return v;
}

static inline void fastpath_store_le32(void *p, uint32_t v) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
    #endif
    memcpy(p, &v, sizeof(v));
}

#endif // MICROPY_INCLUDED_FASTPATH_KERNELS_H
