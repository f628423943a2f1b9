// The plain C loops (plain.h): the obvious code for each kernel's contract, no tricks.
#include <string.h>

#include "plain.h"

uint32_t plain_crc32(uint32_t crc, const uint8_t *buf, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (crc & 1 ? 0xEDB88320u : 0);
        }
    }
    return ~crc;
}

static uint32_t crc_table[256];

void plain_crc32_table_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (c & 1 ? 0xEDB88320u : 0);
        }
        crc_table[n] = c;
    }
}

uint32_t plain_crc32_table(uint32_t crc, const uint8_t *buf, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc = crc_table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    }
    return ~crc;
}

size_t plain_fir_q15(const int16_t *x, size_t nx, const int16_t *h, size_t nh, int16_t *y) {
    size_t n = nx - nh + 1;
    for (size_t i = 0; i < n; i++) {
        int64_t acc = 0x4000;
        for (size_t k = 0; k < nh; k++) {
            acc += (int32_t)h[k] * x[i + k];
        }
        acc >>= 15;
        y[i] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc);
    }
    return n;
}

size_t plain_popcount(const uint8_t *buf, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        for (int k = 0; k < 8; k++) {
            n += (buf[i] >> k) & 1;
        }
    }
    return n;
}

size_t builtin_popcount(const uint8_t *buf, size_t len) {
    size_t n = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, buf + i, 4);
        n += __builtin_popcount(w);
    }
    for (; i < len; i++) {
        n += __builtin_popcount(buf[i]);
    }
    return n;
}

void plain_rgb565(const uint8_t *src, uint8_t *dst, size_t npix) {
    for (size_t i = 0; i < npix; i++) {
        uint16_t v = (uint16_t)((src[3 * i] >> 3) << 11 | (src[3 * i + 1] >> 2) << 5
            | src[3 * i + 2] >> 3);
        dst[2 * i] = (uint8_t)(v >> 8);
        dst[2 * i + 1] = (uint8_t)v;
    }
}
