// Population count: Harley-Seal carry-save adders over 32-byte blocks, SWAR for the rest.
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

// Each byte of the result holds the number of set bits (0..8) in that byte of v.
static inline uint32_t pop_bytes(uint32_t v, uint32_t m1, uint32_t m2, uint32_t m4) {
    v = pop_nibbles(v, m1, m2);
    return m4 & (v + (v >> 4));
}

// acc + the sum of the four bytes of v (USADA8 against zero on the DSP extension).
static inline size_t add_bytes(size_t acc, uint32_t v) {
    #if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    uint32_t r;
    __asm__ ("usada8 %0, %1, %2, %3" : "=r" (r) : "r" (v), "r" (0), "r" (acc));
    return r;
    #else
    v = (v & 0x00FF00FF) + ((v >> 8) & 0x00FF00FF);
    return acc + (v & 0xFFFF) + (v >> 16);
    #endif
}

// Carry-save adder: a + b + c = 2 * *carry + the returned sum, bit by bit.
static inline uint32_t csa(uint32_t *carry, uint32_t a, uint32_t b, uint32_t c) {
    uint32_t u = a ^ b;
    *carry = (a & b) | (u & c);
    return u ^ c;
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
    // Head: single bytes until buf is word-aligned (the body's paired loads need it).
    while (len != 0 && ((uintptr_t)buf & 3) != 0) {
        n = add_bytes(n, pop_bytes(*buf++, m1, m2, m4));
        len -= 1;
    }
    // Body: 32 bytes (8 words) per iteration through a tree of carry-save adders. The bits of
    // everything so far are held as ones + 2 * twos + 4 * fours + 8 * eights_n: only one word
    // per block, its eights, is counted by SWAR.
    const uint32_t *p = (const uint32_t *)(const void *)buf;
    const uint32_t *end = p + (len >> 5) * 8;
    uint32_t ones = 0, twos = 0, fours = 0;
    size_t eights_n = 0;
    #if defined(__ARM_FEATURE_DSP) && defined(__thumb2__) && defined(__GNUC__)
    // The same loop in Thumb-2 assembly: GCC spills here, and does not pair the loads.
    //   a, b: two words; u: scratch; ta: twos carry of the first pair; fa: fours carry
    //   CSA(s, x, y) -> c: u = s ^ x; x &= s; s = u ^ y; u &= y; c = x | u (5 instructions)
    if (p != end) {
        uint32_t a, b, u, ta, fa;
        __asm__ (
            "1:\n"
            "ldrd    %[a], %[b], [%[p]], #8\n"
            "eor     %[u], %[ones], %[a]\n" // CSA(ones, a, b) -> ta
            "and     %[a], %[a], %[ones]\n"
            "eor     %[ones], %[u], %[b]\n"
            "and     %[u], %[u], %[b]\n"
            "orr     %[ta], %[a], %[u]\n"
            "ldrd    %[a], %[b], [%[p]], #8\n"
            "eor     %[u], %[ones], %[a]\n" // CSA(ones, a, b) -> a
            "and     %[a], %[a], %[ones]\n"
            "eor     %[ones], %[u], %[b]\n"
            "and     %[u], %[u], %[b]\n"
            "orr     %[a], %[a], %[u]\n"
            "eor     %[u], %[twos], %[ta]\n" // CSA(twos, ta, a) -> fa
            "and     %[ta], %[ta], %[twos]\n"
            "eor     %[twos], %[u], %[a]\n"
            "and     %[u], %[u], %[a]\n"
            "orr     %[fa], %[ta], %[u]\n"
            "ldrd    %[a], %[b], [%[p]], #8\n"
            "eor     %[u], %[ones], %[a]\n" // CSA(ones, a, b) -> ta
            "and     %[a], %[a], %[ones]\n"
            "eor     %[ones], %[u], %[b]\n"
            "and     %[u], %[u], %[b]\n"
            "orr     %[ta], %[a], %[u]\n"
            "ldrd    %[a], %[b], [%[p]], #8\n"
            "eor     %[u], %[ones], %[a]\n" // CSA(ones, a, b) -> a
            "and     %[a], %[a], %[ones]\n"
            "eor     %[ones], %[u], %[b]\n"
            "and     %[u], %[u], %[b]\n"
            "orr     %[a], %[a], %[u]\n"
            "eor     %[u], %[twos], %[ta]\n" // CSA(twos, ta, a) -> ta
            "and     %[ta], %[ta], %[twos]\n"
            "eor     %[twos], %[u], %[a]\n"
            "and     %[u], %[u], %[a]\n"
            "orr     %[ta], %[ta], %[u]\n"
            "eor     %[u], %[fours], %[fa]\n" // CSA(fours, fa, ta) -> fa: the eights
            "and     %[fa], %[fa], %[fours]\n"
            "eor     %[fours], %[u], %[ta]\n"
            "and     %[u], %[u], %[ta]\n"
            "orr     %[fa], %[fa], %[u]\n"
            "and     %[u], %[m1], %[fa], lsr #1\n" // bytes of fa: their set bits (0..8)
            "sub     %[fa], %[fa], %[u]\n"
            "and     %[u], %[m2], %[fa], lsr #2\n"
            "and     %[fa], %[fa], %[m2]\n"
            "add     %[fa], %[fa], %[u]\n"
            "add     %[fa], %[fa], %[fa], lsr #4\n"
            "and     %[fa], %[fa], #0x0F0F0F0F\n"
            "usada8  %[n8], %[fa], %[zero], %[n8]\n" // eights_n += the sum of those bytes
            "cmp     %[p], %[end]\n"
            "bne     1b\n"
            : [p] "+&r" (p), [ones] "+&r" (ones), [twos] "+&r" (twos), [fours] "+&r" (fours),
            [n8] "+&r" (eights_n), [a] "=&r" (a), [b] "=&r" (b), [u] "=&r" (u), [ta] "=&r" (ta),
            [fa] "=&r" (fa)
            : [end] "r" (end), [zero] "r" (0), [m1] "r" (m1), [m2] "r" (m2)
            : "cc", "memory");
    }
    #else
    while (p != end) {
        uint32_t twos_a, twos_b, fours_a, fours_b, eights;
        ones = csa(&twos_a, ones, fastpath_load_le32(p), fastpath_load_le32(p + 1));
        ones = csa(&twos_b, ones, fastpath_load_le32(p + 2), fastpath_load_le32(p + 3));
        twos = csa(&fours_a, twos, twos_a, twos_b);
        ones = csa(&twos_a, ones, fastpath_load_le32(p + 4), fastpath_load_le32(p + 5));
        ones = csa(&twos_b, ones, fastpath_load_le32(p + 6), fastpath_load_le32(p + 7));
        twos = csa(&fours_b, twos, twos_a, twos_b);
        fours = csa(&eights, fours, fours_a, fours_b);
        eights_n = add_bytes(eights_n, pop_bytes(eights, m1, m2, m4));
        p += 8;
    }
    #endif
    n += 8 * eights_n;
    n = add_bytes(n, 4 * pop_bytes(fours, m1, m2, m4)); // bytes <= 32: no carries
    n = add_bytes(n, 2 * pop_bytes(twos, m1, m2, m4));
    n = add_bytes(n, pop_bytes(ones, m1, m2, m4));
    buf = (const uint8_t *)p;
    len &= 31;
    // Tail: up to 7 words, then up to 3 bytes.
    for (; len >= 4; len -= 4) {
        n = add_bytes(n, pop_bytes(fastpath_load_le32(buf), m1, m2, m4));
        buf += 4;
    }
    while (len != 0) {
        n = add_bytes(n, pop_bytes(*buf++, m1, m2, m4));
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
