// The peers of our C kernels that are not fetched: what a C programmer writes without tricks,
// built at -O2 with our C module's flags (plain.c), and GCC's __builtin_popcount over words.
#ifndef FASTPATH_PEERS_PLAIN_H
#define FASTPATH_PEERS_PLAIN_H

#include <stddef.h>
#include <stdint.h>

// crc32(data, crc=0), bit at a time (reflected polynomial 0xEDB88320).
uint32_t plain_crc32(uint32_t crc, const uint8_t *buf, size_t len);
// The same, a byte at a time through a 256-word table (Sarwate): plain_crc32_table_init()
// fills the table once.
void plain_crc32_table_init(void);
uint32_t plain_crc32_table(uint32_t crc, const uint8_t *buf, size_t len);
// y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15), the sum in int64; returns n.
size_t plain_fir_q15(const int16_t *x, size_t nx, const int16_t *h, size_t nh, int16_t *y);
// The number of set bits, each bit of each byte tested.
size_t plain_popcount(const uint8_t *buf, size_t len);
// The same, __builtin_popcount over 32-bit words (then the bytes left over).
size_t builtin_popcount(const uint8_t *buf, size_t len);
// RGB888 to big-endian RGB565, a pixel at a time.
void plain_rgb565(const uint8_t *src, uint8_t *dst, size_t npix);

#endif
