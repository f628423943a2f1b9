// Population count by SWAR (SIMD within a register) on 32-bit words, 16 bytes per iteration.
#include "kernels.h"

// The SWAR masks. On Thumb-2 they are pinned in registers so that "mask & (v >> k)" is one
// AND with a shifted operand (GCC would otherwise shift and then AND with an immediate).
#if defined(__GNUC__) && defined(__thumb2__)
#define PIN_REG(x) __asm__ ("" : "+r" (x))
#else
#define PIN_REG(x) (void)(x)
#endif

// Each 4-bit field of the result holds the number of set bits (0..4) in that field of v.
static inline uint32_t pop_nibbles(uint32_t v, uint32_t m1, uint32_t m2) {
    v -= m1 & (v >> 1);
    return (v & m2) + (m2 & (v >> 2));
}

// Each byte of the result holds the number of set bits (0..16) in that byte of a and of b.
static inline uint32_t pop_bytes2(uint32_t a, uint32_t b, uint32_t m1, uint32_t m2, uint32_t m4) {
    uint32_t s = pop_nibbles(a, m1, m2) + pop_nibbles(b, m1, m2); // nibbles <= 8: no carries
    return (s & m4) + (m4 & (s >> 4));
}

// Sum of the four bytes of v.
static inline size_t sum_bytes(uint32_t v) {
    v = (v & 0x00FF00FF) + ((v >> 8) & 0x00FF00FF);
    return (v & 0xFFFF) + (v >> 16);
}

// popcount(data): n = sum over the bytes b of buf[0:len] of the number of 1 bits in b.
size_t fastpath_popcount_raw(const uint8_t *buf, size_t len) {
    uint32_t m1 = 0x55555555;
    uint32_t m2 = 0x33333333;
    uint32_t m4 = 0x0F0F0F0F;
    PIN_REG(m1);
    PIN_REG(m2);
    PIN_REG(m4);
    size_t n = 0;
    // Head: single bytes until buf is word-aligned.
    while (len != 0 && ((uintptr_t)buf & 3) != 0) {
        n += sum_bytes(pop_bytes2(*buf++, 0, m1, m2, m4));
        len -= 1;
    }
    // Body: 16 bytes per iteration into four byte-wide counters (+<= 32 each per iteration),
    // widened into n after at most 7 iterations (7 * 32 = 224 <= 255).
    const uint8_t *end = buf + (len & ~(size_t)15);
    while (buf != end) {
        size_t chunk = (size_t)(end - buf);
        if (chunk > 7 * 16) {
            chunk = 7 * 16;
        }
        const uint8_t *chunk_end = buf + chunk;
        uint32_t acc = 0;
        do {
            uint32_t w0 = fastpath_load_le32(buf);
            uint32_t w1 = fastpath_load_le32(buf + 4);
            uint32_t w2 = fastpath_load_le32(buf + 8);
            uint32_t w3 = fastpath_load_le32(buf + 12);
            acc += pop_bytes2(w0, w1, m1, m2, m4);
            acc += pop_bytes2(w2, w3, m1, m2, m4);
            buf += 16;
        } while (buf != chunk_end);
        n += sum_bytes(acc);
    }
    len &= 15;
    // Tail: up to 3 words, then up to 3 bytes.
    for (; len >= 4; len -= 4) {
        n += sum_bytes(pop_bytes2(fastpath_load_le32(buf), 0, m1, m2, m4));
        buf += 4;
    }
    while (len != 0) {
        n += sum_bytes(pop_bytes2(*buf++, 0, m1, m2, m4));
        len -= 1;
    }
    return n;
}

#if FASTPATH_BINDING
#include "binding.h"

// popcount(data) -> int: the number of set bits in the raw bytes of data.
static mp_obj_t fastpath_popcount(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t data;
    fastpath_arg_buffer(args[0], &data, MP_ERROR_TEXT("data must be a buffer"));
    return mp_obj_new_int_from_uint(fastpath_popcount_raw(data.buf, data.len));
}
FASTPATH_FUNCTION(popcount, 1, 1, fastpath_popcount);

#endif // FASTPATH_BINDING
