// CRC-32 (zlib, reflected polynomial 0xEDB88320) a 32-bit word at a time, with three lookups
// per word in tables of 11, 11 and 10 bits (2048 + 2048 + 1024 words: 20 KiB of const data).
#include "kernels.h"

// Let f(v) advance the CRC register v through 32 zero bits. Then a little-endian word w moves
// the register from c to f(c ^ w), and f is linear over GF(2): f(v) is the XOR of f(1 << b)
// over the set bits b of v. So f(v) = T0[v & 0x7FF] ^ T1[(v >> 11) & 0x7FF] ^ T2[v >> 22]
// with T0[i] = f(i), T1[i] = f(i << 11), T2[i] = f(i << 22), and the tables are built below
// by the preprocessor from the 32 values f(1 << b), b = 0..31.
// A single byte x moves c to (c >> 8) ^ f((c ^ x) << 24 & 0xFF000000) = ... ^ T2[(c ^ x) << 2
// & 0x3FC]: the bytewise table is T2's every fourth entry.
#define CRC32_BIT(i, b, k) (((i) >> (b) & 1) ? (uint32_t)(k) : 0)
#define CRC32_T0(i) ( \
    CRC32_BIT(i, 0, 0xb8bc6765) ^ CRC32_BIT(i, 1, 0xaa09c88b) ^ \
    CRC32_BIT(i, 2, 0x8f629757) ^ CRC32_BIT(i, 3, 0xc5b428ef) ^ \
    CRC32_BIT(i, 4, 0x5019579f) ^ CRC32_BIT(i, 5, 0xa032af3e) ^ \
    CRC32_BIT(i, 6, 0x9b14583d) ^ CRC32_BIT(i, 7, 0xed59b63b) ^ \
    CRC32_BIT(i, 8, 0x01c26a37) ^ CRC32_BIT(i, 9, 0x0384d46e) ^ \
    CRC32_BIT(i, 10, 0x0709a8dc))
#define CRC32_T1(i) ( \
    CRC32_BIT(i, 0, 0x0e1351b8) ^ CRC32_BIT(i, 1, 0x1c26a370) ^ \
    CRC32_BIT(i, 2, 0x384d46e0) ^ CRC32_BIT(i, 3, 0x709a8dc0) ^ \
    CRC32_BIT(i, 4, 0xe1351b80) ^ CRC32_BIT(i, 5, 0x191b3141) ^ \
    CRC32_BIT(i, 6, 0x32366282) ^ CRC32_BIT(i, 7, 0x646cc504) ^ \
    CRC32_BIT(i, 8, 0xc8d98a08) ^ CRC32_BIT(i, 9, 0x4ac21251) ^ \
    CRC32_BIT(i, 10, 0x958424a2))
#define CRC32_T2(i) ( \
    CRC32_BIT(i, 0, 0xf0794f05) ^ CRC32_BIT(i, 1, 0x3b83984b) ^ \
    CRC32_BIT(i, 2, 0x77073096) ^ CRC32_BIT(i, 3, 0xee0e612c) ^ \
    CRC32_BIT(i, 4, 0x076dc419) ^ CRC32_BIT(i, 5, 0x0edb8832) ^ \
    CRC32_BIT(i, 6, 0x1db71064) ^ CRC32_BIT(i, 7, 0x3b6e20c8) ^ \
    CRC32_BIT(i, 8, 0x76dc4190) ^ CRC32_BIT(i, 9, 0xedb88320))

// E(i), E(i + 1), ..., E(i + n - 1).
#define CRC32_X2(E, i) E(i), E((i) + 1)
#define CRC32_X4(E, i) CRC32_X2(E, i), CRC32_X2(E, (i) + 2)
#define CRC32_X8(E, i) CRC32_X4(E, i), CRC32_X4(E, (i) + 4)
#define CRC32_X16(E, i) CRC32_X8(E, i), CRC32_X8(E, (i) + 8)
#define CRC32_X32(E, i) CRC32_X16(E, i), CRC32_X16(E, (i) + 16)
#define CRC32_X64(E, i) CRC32_X32(E, i), CRC32_X32(E, (i) + 32)
#define CRC32_X128(E, i) CRC32_X64(E, i), CRC32_X64(E, (i) + 64)
#define CRC32_X256(E, i) CRC32_X128(E, i), CRC32_X128(E, (i) + 128)
#define CRC32_X512(E, i) CRC32_X256(E, i), CRC32_X256(E, (i) + 256)
#define CRC32_X1024(E, i) CRC32_X512(E, i), CRC32_X512(E, (i) + 512)
#define CRC32_X2048(E, i) CRC32_X1024(E, i), CRC32_X1024(E, (i) + 1024)

#if FASTPATH_TABLES_IN_RAM
// Where the tables would be copied into RAM (a native .mpy module), 20 KiB is too much: two
// tables of 256 words (2 KiB) instead, a halfword at a time. A halfword x moves c to
// (c >> 16) ^ f((c ^ x) << 16 & 0xFFFF0000), and f of that is H0[low byte] ^ H1[high byte]
// with H0[b] = f(b << 16) = T1[b << 5 & 0x7FF] ^ T2[b >> 6] and H1[b] = f(b << 24) = T2[b << 2],
// the bytewise table. About 4.5 instructions a byte on a Cortex-M4 where the word tables take
// 2.5 (docs/stock-firmware.md).
#define CRC32_H0(b) (CRC32_T1(((b) << 5) & 0x7FF) ^ CRC32_T2((b) >> 6))
#define CRC32_H1(b) CRC32_T2((b) << 2)
static const uint32_t fastpath_crc32_h0[256] = { CRC32_X256(CRC32_H0, 0) };
static const uint32_t fastpath_crc32_h1[256] = { CRC32_X256(CRC32_H1, 0) };

uint32_t fastpath_crc32_raw(uint32_t crc, const uint8_t *buf, size_t len) {
    const uint32_t *h0 = fastpath_crc32_h0;
    const uint32_t *h1 = fastpath_crc32_h1;
    uint32_t c = ~crc;
    // Head: single bytes until buf is word-aligned.
    while (len != 0 && ((uintptr_t)buf & 3) != 0) {
        c = (c >> 8) ^ h1[(c ^ *buf++) & 0xFF];
        len -= 1;
    }
    // Body: a word a time, as two halfwords.
    for (; len >= 4; len -= 4) {
        uint32_t v = c ^ fastpath_load_le32(buf);
        c = (v >> 16) ^ h0[v & 0xFF] ^ h1[(v >> 8) & 0xFF];
        c = (c >> 16) ^ h0[c & 0xFF] ^ h1[(c >> 8) & 0xFF];
        buf += 4;
    }
    while (len != 0) {
        c = (c >> 8) ^ h1[(c ^ *buf++) & 0xFF];
        len -= 1;
    }
    return ~c;
}

#else
static const uint32_t fastpath_crc32_t0[2048] = { CRC32_X2048(CRC32_T0, 0) };
static const uint32_t fastpath_crc32_t1[2048] = { CRC32_X2048(CRC32_T1, 0) };
static const uint32_t fastpath_crc32_t2[1024] = { CRC32_X1024(CRC32_T2, 0) };

#if defined(__thumb2__) && defined(__GNUC__)
#define CRC32_ASM (1)
// Thumb-2 assembly for one aligned word w (a register) folded into %[c] with T0, T1, T2 in
// %[t0], %[t1], %[t2]: 3 field extracts, 3 loads and 3 XORs. Uses %[x], %[y]; clobbers w.
#define CRC32_WORD(w) \
    "eor     " w ", " w ", %[c]\n" \
    "ubfx    %[x], " w ", #0, #11\n" \
    "ubfx    %[y], " w ", #11, #11\n" \
    "lsr     " w ", " w ", #22\n" \
    "ldr     %[x], [%[t0], %[x], lsl #2]\n" \
    "ldr     %[y], [%[t1], %[y], lsl #2]\n" \
    "ldr     " w ", [%[t2], " w ", lsl #2]\n" \
    "eor     %[c], %[x], %[y]\n" \
    "eor     %[c], %[c], " w "\n"
#else
#define CRC32_ASM (0)
#endif

// crc32(data, crc=0): c = ~crc; for each byte b: c = T[(c ^ b) & 0xff] ^ c >> 8; return ~c,
// where T[n] is the CRC register after n and 8 zero bits; here a word at a time where it can.
uint32_t fastpath_crc32_raw(uint32_t crc, const uint8_t *buf, size_t len) {
    const uint32_t *t0 = fastpath_crc32_t0;
    const uint32_t *t1 = fastpath_crc32_t1;
    const uint32_t *t2 = fastpath_crc32_t2;
    #if defined(__GNUC__) && defined(__thumb2__)
    // One base register per table, so that each lookup is one LDR [base, index, LSL #2].
    __asm__ ("" : "+r" (t1), "+r" (t2));
    #endif
    uint32_t c = ~crc;
    // Head: single bytes until buf is word-aligned (the body's paired loads need it).
    while (len != 0 && ((uintptr_t)buf & 3) != 0) {
        c = (c >> 8) ^ t2[((c ^ *buf++) & 0xFF) << 2];
        len -= 1;
    }
    // Body: 16 aligned bytes per iteration, a word at a time.
    const uint32_t *p = (const uint32_t *)(const void *)buf;
    const uint32_t *end = p + (len >> 4) * 4;
    #if CRC32_ASM
    // In Thumb-2 assembly: two LDRDs and four CRC32_WORDs, 40 instructions per 16 bytes (GCC
    // gives 23 per 8 bytes: no LDRD, and a separate pointer increment).
    if (p != end) {
        uint32_t a, b, x, y;
        __asm__ (
            "1:\n"
            "ldrd    %[a], %[b], [%[p]], #8\n"
            CRC32_WORD("%[a]")
            CRC32_WORD("%[b]")
            "ldrd    %[a], %[b], [%[p]], #8\n"
            CRC32_WORD("%[a]")
            CRC32_WORD("%[b]")
            "cmp     %[p], %[end]\n"
            "bne     1b\n"
            : [p] "+&r" (p), [c] "+&r" (c), [a] "=&r" (a), [b] "=&r" (b), [x] "=&r" (x),
            [y] "=&r" (y)
            : [end] "r" (end), [t0] "r" (t0), [t1] "r" (t1), [t2] "r" (t2)
            : "cc", "memory");
    }
    #else
    while (p != end) {
        for (int k = 0; k < 4; ++k) {
            uint32_t v = c ^ fastpath_load_le32(p + k);
            c = t0[v & 0x7FF] ^ t1[(v >> 11) & 0x7FF] ^ t2[v >> 22];
        }
        p += 4;
    }
    #endif
    buf = (const uint8_t *)p;
    len &= 15;
    // Tail: up to 3 words, then up to 3 bytes.
    for (; len >= 4; len -= 4) {
        uint32_t v = c ^ fastpath_load_le32(buf);
        c = t0[v & 0x7FF] ^ t1[(v >> 11) & 0x7FF] ^ t2[v >> 22];
        buf += 4;
    }
    while (len != 0) {
        c = (c >> 8) ^ t2[((c ^ *buf++) & 0xFF) << 2];
        len -= 1;
    }
    return ~c;
}

#endif // FASTPATH_TABLES_IN_RAM

#if FASTPATH_BINDING
#include "binding.h"

// crc32(data, crc=0) -> int: zlib.crc32(data, crc), over the raw bytes of any buffer.
static mp_obj_t fastpath_crc32(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_data, ARG_crc };
    FASTPATH_ARG_TABLE allowed_args[] = {
        { MP_QSTR_data, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_crc, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(0)} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_buffer_info_t data;
    fastpath_arg_buffer(args[ARG_data].u_obj, &data, MP_ERROR_TEXT("data must be a buffer"));
    uint32_t crc = fastpath_arg_u32(args[ARG_crc].u_obj, MP_ERROR_TEXT("crc must be an int"),
        MP_ERROR_TEXT("crc must be in range 0..0xFFFFFFFF"));
    return mp_obj_new_int_from_uint(fastpath_crc32_raw(crc, data.buf, data.len));
}
FASTPATH_FUNCTION_KW(crc32, 0, fastpath_crc32);

#endif // FASTPATH_BINDING
