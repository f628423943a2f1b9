// The reference for crc32 (docs/kernels.md), written the simplest way: test_crc32.c and
// tests/fuzz/fuzz_crc32.c check the kernel against it.
#ifndef FASTPATH_TESTS_REF_CRC32_H
#define FASTPATH_TESTS_REF_CRC32_H

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

#endif // FASTPATH_TESTS_REF_CRC32_H
