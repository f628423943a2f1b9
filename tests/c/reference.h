// Reference implementations of the kernel contracts (docs/kernels.md), written the simplest
// way: the host tests (tests/c) and the fuzzer (tests/fuzz) both check the kernels against them.
#ifndef FASTPATH_TESTS_REFERENCE_H
#define FASTPATH_TESTS_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

// Bit-at-a-time CRC-32 (zlib), no table.
static inline uint32_t ref_crc32(uint32_t crc, const uint8_t *buf, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= buf[i];
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ ((crc & 1) ? 0xEDB88320u : 0);
        }
    }
    return ~crc;
}

// Set bits, one at a time.
static inline size_t ref_popcount(const uint8_t *buf, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; ++i) {
        for (int k = 0; k < 8; ++k) {
            n += (buf[i] >> k) & 1;
        }
    }
    return n;
}

// RGB888 to big-endian RGB565, a pixel at a time.
static inline void ref_rgb565(const uint8_t *src, uint8_t *dst, size_t npix) {
    for (size_t i = 0; i < npix; ++i) {
        unsigned r = src[3 * i], g = src[3 * i + 1], b = src[3 * i + 2];
        unsigned v = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3);
        dst[2 * i] = (uint8_t)(v >> 8);
        dst[2 * i + 1] = (uint8_t)(v & 0xFF);
    }
}

#endif // FASTPATH_TESTS_REFERENCE_H
