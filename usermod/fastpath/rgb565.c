// RGB888 to big-endian RGB565, four pixels (12 bytes in, 8 bytes out) at a time.
#include "kernels.h"

// Halfword packing and byte swapping: one PKHBT/PKHTB/REV16 each on Cortex-M4 (DSP), and the
// same arithmetic in plain C elsewhere.
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
static inline uint32_t pack_lo_hi(uint32_t lo, uint32_t hi) { // lo[15:0] | hi[31:16]
    uint32_t r;
    __asm__ ("pkhbt %0, %1, %2" : "=r" (r) : "r" (lo), "r" (hi));
    return r;
}
static inline uint32_t pack_lo_lo(uint32_t lo, uint32_t hi) { // lo[15:0] | hi[15:0] << 16
    uint32_t r;
    __asm__ ("pkhbt %0, %1, %2, lsl #16" : "=r" (r) : "r" (lo), "r" (hi));
    return r;
}
static inline uint32_t pack_hi_hi(uint32_t lo, uint32_t hi) { // lo[31:16] >> 16 | hi[31:16]
    uint32_t r;
    __asm__ ("pkhtb %0, %1, %2, asr #16" : "=r" (r) : "r" (hi), "r" (lo));
    return r;
}
#else
static inline uint32_t pack_lo_hi(uint32_t lo, uint32_t hi) {
    return (lo & 0xFFFF) | (hi & 0xFFFF0000);
}
static inline uint32_t pack_lo_lo(uint32_t lo, uint32_t hi) {
    return (lo & 0xFFFF) | (hi << 16);
}
static inline uint32_t pack_hi_hi(uint32_t lo, uint32_t hi) {
    return (lo >> 16) | (hi & 0xFFFF0000);
}
#endif

static inline uint32_t ror32(uint32_t v, unsigned int n) {
    return (v >> n) | (v << (32 - n));
}

// Swap the bytes of each halfword (REV16 from ARMv6 on; GCC 12 does not spot the C idiom).
static inline uint32_t rev16(uint32_t v) {
    #if defined(__GNUC__) && defined(__ARM_ARCH) && __ARM_ARCH >= 6
    __asm__ ("rev16 %0, %1" : "=r" (v) : "r" (v));
    return v;
    #else
    return ((v >> 8) & 0x00FF00FF) | ((v & 0x00FF00FF) << 8);
    #endif
}

// One pixel: src[0:3] = r, g, b to dst[0:2] = v >> 8, v & 0xFF.
static inline void rgb565_pixel(const uint8_t *src, uint8_t *dst) {
    uint32_t r = src[0], g = src[1], b = src[2];
    dst[0] = (uint8_t)((r & 0xF8) | (g >> 5));
    dst[1] = (uint8_t)(((g << 3) & 0xE0) | (b >> 3));
}

#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__) && defined(__GNUC__)
#define RGB565_ASM (1)
// Four pixels in Thumb-2 assembly, the same arithmetic as the C loop below: the 12 bytes in
// w0, w1, w2 become the 8 bytes out in w0, w1, with s for scratch and the mask 0x07E007E0 (no
// Thumb-2 immediate) in mg: 17 instructions. The other masks are immediates. Each gather
// overwrites a word its successors no longer read, so a quad needs one scratch register
// beyond its three words, and three quads fit in r4-r12 with lr for scratch.
#define RGB565_QUAD(w0, w1, w2, s, mg) \
    "pkhbt   " s ", " w0 ", " w1 "\n" /* R0 G0 R2 G2 */ \
    "pkhbt   " w1 ", " w1 ", " w2 "\n" /* G1 B1 G3 B3 */ \
    "pkhbt   " w2 ", " w2 ", " w0 "\n" /* B2 R3 B0 R1 */ \
    "and     " w0 ", " s ", #0x00F800F8\n" \
    "and     " s ", " mg ", " s ", lsr #5\n" \
    "orr     " s ", " s ", " w0 ", ror #24\n" \
    "and     " w0 ", " w2 ", #0x00F800F8\n" \
    "orr     " s ", " s ", " w0 ", ror #19\n" /* v0 | v2 << 16 */ \
    "and     " w0 ", " w2 ", #0xF800F800\n" \
    "and     " w2 ", " mg ", " w1 ", lsl #3\n" \
    "orr     " w2 ", " w2 ", " w0 ", ror #16\n" \
    "and     " w0 ", " w1 ", #0xF800F800\n" \
    "orr     " w2 ", " w2 ", " w0 ", ror #11\n" /* v1 | v3 << 16 */ \
    "pkhbt   " w0 ", " s ", " w2 ", lsl #16\n" \
    "pkhtb   " w1 ", " w2 ", " s ", asr #16\n" \
    "rev16   " w0 ", " w0 "\n" /* v0 v1, big-endian */ \
    "rev16   " w1 ", " w1 "\n" /* v2 v3 */

// Four pixels from %[src] (word-aligned) to %[dst] (any alignment) for the inline assembly
// below, with its operands: an LDM of 3 words, and two STRs.
#define RGB565_STORE_QUAD \
    "ldm     %[src]!, {%[w0], %[w1], %[w2]}\n" \
    RGB565_QUAD("%[w0]", "%[w1]", "%[w2]", "%[s]", "%[mg]") \
    "str     %[w1], [%[dst], #4]\n" \
    "str     %[w0], [%[dst]], #8\n"

// Twelve pixels, src and dst word-aligned: an LDM of 9 words into r4-r12, three quads (lr for
// scratch, the mask in r3) and an STM of the 6 words out: 53 instructions.
#define RGB565_GROUP \
    "ldm     r0!, {r4-r12}\n" \
    RGB565_QUAD("r4", "r5", "r6", "lr", "r3") \
    RGB565_QUAD("r7", "r8", "r9", "lr", "r3") \
    RGB565_QUAD("r10", "r11", "r12", "lr", "r3") \
    "stm     r1!, {r4, r5, r7, r8, r10, r11}\n"

// src and dst word-aligned, from src to end = src + 36k (k >= 1): four groups (48 pixels) per
// iteration up to end48 (src + 144 * (k / 4)), then one per iteration: 4.46 instructions a
// pixel in the first loop. Naked: it uses r4-r12 and lr and saves what it must itself; end
// waits on the stack, pushed with them, while r3 holds the mask.
#define RGB565_ASM_ARG __attribute__((unused))
__attribute__((naked, noinline))
static void rgb565_aligned(const uint8_t *src RGB565_ASM_ARG, uint8_t *dst RGB565_ASM_ARG,
    const uint8_t *end48 RGB565_ASM_ARG, const uint8_t *end RGB565_ASM_ARG) {
    __asm__ volatile (
        "push    {r3-r11, lr}\n"
        "movw    r3, #0x07E0\n"
        "movt    r3, #0x07E0\n"
        "cmp     r0, r2\n"
        "beq     2f\n"
        "1:\n"
        RGB565_GROUP
        RGB565_GROUP
        RGB565_GROUP
        RGB565_GROUP
        "cmp     r0, r2\n"
        "bne     1b\n"
        "2:\n"
        "ldr     r2, [sp]\n"
        "cmp     r0, r2\n"
        "beq     4f\n"
        "3:\n"
        RGB565_GROUP
        "cmp     r0, r2\n"
        "bne     3b\n"
        "4:\n"
        "pop     {r3-r11, pc}\n"
        );
}

#else
#define RGB565_ASM (0)
#endif

// rgb565(src, dst): v = (r & 0xF8) << 8 | (g & 0xFC) << 3 | b >> 3; dst[2i:2i+2] = v big-endian.
void fastpath_rgb565_raw(const uint8_t *src, uint8_t *dst, size_t npix) {
    #if RGB565_ASM
    // Head: single pixels until src is word-aligned (for the LDMs), at most 3.
    for (; npix != 0 && ((uintptr_t)src & 3) != 0; npix -= 1) {
        rgb565_pixel(src, dst);
        src += 3;
        dst += 2;
    }
    // Body: with dst word-aligned too, groups of 12 pixels by 9-word LDMs and 6-word STMs;
    // else 16 pixels per iteration, 3-word LDMs and two STRs for each 4 pixels.
    if (((uintptr_t)dst & 3) == 0 && npix >= 12) {
        size_t groups = npix / 12;
        const uint8_t *end = src + groups * 36;
        rgb565_aligned(src, dst, src + (groups & ~(size_t)3) * 36, end);
        src = end;
        dst += groups * 24;
        npix -= groups * 12;
    } else if (npix >= 16) {
        const uint8_t *end = src + (npix & ~(size_t)15) * 3;
        register uint32_t w0 __asm__ ("r4"); // LDM wants its registers in ascending order
        register uint32_t w1 __asm__ ("r5");
        register uint32_t w2 __asm__ ("r6");
        uint32_t s, mg = 0x07E007E0;
        __asm__ volatile (
            "1:\n"
            RGB565_STORE_QUAD
            RGB565_STORE_QUAD
            RGB565_STORE_QUAD
            RGB565_STORE_QUAD
            "cmp     %[src], %[end]\n"
            "bne     1b\n"
            : [src] "+&r" (src), [dst] "+&r" (dst), [w0] "=&r" (w0), [w1] "=&r" (w1),
            [w2] "=&r" (w2), [s] "=&r" (s)
            : [end] "r" (end), [mg] "r" (mg)
            : "cc", "memory");
        npix &= 15;
    }
    #endif
    // 0x07E007E0 is no Thumb-2 immediate: keep it in a register for AND with a shifted operand.
    uint32_t mg = 0x07E007E0;
    #if defined(__GNUC__) && defined(__thumb2__)
    __asm__ ("" : "+r" (mg));
    #endif
    const uint8_t *end = src + (npix & ~(size_t)3) * 3;
    while (src != end) {
        // Bytes in: w0 = R0 G0 B0 R1, w1 = G1 B1 R2 G2, w2 = B2 R3 G3 B3 (little-endian words).
        uint32_t w0 = fastpath_load_le32(src);
        uint32_t w1 = fastpath_load_le32(src + 4);
        uint32_t w2 = fastpath_load_le32(src + 8);
        uint32_t rg = pack_lo_hi(w0, w1); // R0 G0 R2 G2
        uint32_t gb = pack_lo_hi(w1, w2); // G1 B1 G3 B3
        uint32_t br = pack_lo_hi(w2, w0); // B2 R3 B0 R1
        // Two pixels per word, one in each halfword: v02 = v0 | v2 << 16, v13 = v1 | v3 << 16.
        // The masked fields never wrap, so each shift can be a rotation: one AND with an
        // immediate, then one ORR with a rotated operand.
        uint32_t v02 = ror32(rg & 0x00F800F8, 24) | (mg & (rg >> 5)) | ror32(br & 0x00F800F8, 19);
        uint32_t v13 = ror32(br & 0xF800F800, 16) | (mg & (gb << 3)) | ror32(gb & 0xF800F800, 11);
        fastpath_store_le32(dst, rev16(pack_lo_lo(v02, v13))); // v0 v1
        fastpath_store_le32(dst + 4, rev16(pack_hi_hi(v02, v13))); // v2 v3
        src += 12;
        dst += 8;
    }
    // Tail: up to 3 pixels.
    for (npix &= 3; npix != 0; npix -= 1) {
        rgb565_pixel(src, dst);
        src += 3;
        dst += 2;
    }
}

#if FASTPATH_BINDING
#include "binding.h"

// rgb565(src, dst) -> None: v = (r & 0xF8) << 8 | (g & 0xFC) << 3 | b >> 3 for each pixel r, g, b
// of src; dst[2i] = v >> 8, dst[2i + 1] = v & 0xFF.
static mp_obj_t fastpath_rgb565(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t src, dst;
    fastpath_arg_bytes(args[0], &src, MP_BUFFER_READ, MP_ERROR_TEXT("src must be a byte buffer"));
    fastpath_arg_bytes(args[1], &dst, MP_BUFFER_WRITE,
        MP_ERROR_TEXT("dst must be a writable byte buffer"));
    if (src.len % 3 != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("src length must be a multiple of 3"));
    }
    if (dst.len != src.len / 3 * 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("dst length must be 2/3 of src length"));
    }
    fastpath_rgb565_raw(src.buf, dst.buf, src.len / 3);
    return mp_const_none;
}
FASTPATH_FUNCTION(rgb565, 2, 2, fastpath_rgb565);

#endif // FASTPATH_BINDING
