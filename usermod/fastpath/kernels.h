// Raw loops behind the _fastpath module: plain C99 + stdint, no MicroPython types, so they
// build and are tested on the host (tests/c) as well as in the firmware.
// Every kernel is exact for any length (including 0) and any alignment of its byte buffers
// (int16 buffers at their natural 2-byte alignment, as MicroPython's arrays always are).
#ifndef MICROPY_INCLUDED_FASTPATH_KERNELS_H
#define MICROPY_INCLUDED_FASTPATH_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

// crc32(data, crc=0): zlib.crc32 of buf[0:len] continued from crc (pass 0 to start).
uint32_t fastpath_crc32_raw(uint32_t crc, const uint8_t *buf, size_t len);

// fir_q15(x, h, y): y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15), 0 <= i < nx - nh + 1;
// needs 1 <= nh <= nx and room for nx - nh + 1 outputs in y (y may be x: in place); returns
// nx - nh + 1.
size_t fastpath_fir_q15_raw(const int16_t *x, size_t nx, const int16_t *h, size_t nh, int16_t *y);

// popcount(data): sum of the set bits of buf[0:len].
size_t fastpath_popcount_raw(const uint8_t *buf, size_t len);

// rgb565(src, dst): v = (r & 0xF8) << 8 | (g & 0xFC) << 3 | b >> 3 for src[3i:3i+3] = r, g, b;
// dst[2i] = v >> 8, dst[2i + 1] = v & 0xFF, for 0 <= i < npix.
void fastpath_rgb565_raw(const uint8_t *src, uint8_t *dst, size_t npix);

#endif // MICROPY_INCLUDED_FASTPATH_KERNELS_H
