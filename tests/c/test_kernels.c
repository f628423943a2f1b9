// Host tests for the plain-C kernels of usermod/fastpath: hand-checked vectors, then every
// kernel against a simple reference written here, over many lengths and every alignment.
// Prints "N passed, M failed" last and exits non-zero on any failure.
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.c"
#include "fir_q15.c"
#include "popcount.c"
#include "rgb565.c"
#include "ref_crc32.h"
#include "ref_fir_q15.h"
#include "ref_popcount.h"
#include "ref_rgb565.h"

static unsigned long n_passed;
static unsigned long n_failed;

#define CHECK(cond, ...) record((cond), __FILE__, __LINE__, __VA_ARGS__)

#if defined(__GNUC__)
static void record(int ok, const char *file, int line, const char *fmt, ...)
__attribute__((format(printf, 4, 5)));
#endif

static void record(int ok, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        n_passed += 1;
        return;
    }
    n_failed += 1;
    if (n_failed <= 20) {
        va_list ap;
        va_start(ap, fmt);
        printf("FAIL %s:%d: ", file, line);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
}

// xorshift32: a fixed pseudo-random sequence, the same on every host.
static uint32_t rng_state = 0x12345678;

static uint32_t rng(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void fill_random(uint8_t *buf, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        buf[i] = (uint8_t)rng();
    }
}

#if defined(FASTPATH_TEST_MPU_GUARD)

// Bare metal on Cortex-M4 (make m4): no sanitizer, so the MPU stands in for one. Each copy is
// placed in one of two arenas so that it ends right before a 32-byte no-access MPU region
// whenever its alignment allows (for a quarter of the lengths, half of them for int16
// arrays): an access that starts past the end of the buffer is then a fault, which ends the
// run with a failure. (QEMU checks an unaligned access that straddles the end only at its
// first byte.) Two arenas, used in turn, because fir takes two buffers (x and h).
#define ARENA_SIZE 2048
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9C)
#define MPU_RASR (*(volatile uint32_t *)0xE000EDA0)

static struct {
    uint8_t data[ARENA_SIZE];
    uint8_t guard[32]; // no access
} arenas[2] __attribute__((aligned(32)));
static unsigned int next_arena;

static void guard_init(void) {
    for (uint32_t i = 0; i < 2; ++i) {
        MPU_RNR = i;
        MPU_RBAR = (uint32_t)(uintptr_t)arenas[i].guard;
        MPU_RASR = 1 << 28 | 0 << 24 | 4 << 1 | 1; // XN, no access, 2**(4 + 1) bytes, on
    }
    MPU_CTRL = 1 << 2 | 1; // the default memory map elsewhere, MPU on
    __asm__ volatile ("dsb\n isb" : : : "memory");
}

// buf[0:len] copied to an address that is offset mod 4 and ends at most 3 bytes before a
// guard (at the guard itself when len + offset is a multiple of 4); returns the copy minus
// offset, as the heap version below does.
static void *exact_copy(const void *buf, size_t len, size_t offset) {
    uint8_t *guard = arenas[next_arena].guard;
    next_arena ^= 1;
    if (len + 4 > ARENA_SIZE) {
        printf("exact_copy: %zu bytes do not fit in an arena\n", len);
        exit(2);
    }
    uintptr_t start = (uintptr_t)(guard - len);
    start -= (start - offset) & 3;
    memcpy((void *)start, buf, len);
    return (uint8_t *)start - offset;
}

static void release(void *block) {
    (void)block;
}

#else

static void guard_init(void) {
}

// A copy of buf[0:len] that ends exactly where a heap block ends and starts at the given
// offset from an aligned address, so that AddressSanitizer builds catch any read past the end.
static void *exact_copy(const void *buf, size_t len, size_t offset) {
    uint8_t *block = malloc(offset + len != 0 ? offset + len : 1);
    if (block == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    memcpy(block + offset, buf, len);
    return block;
}

static void release(void *block) {
    free(block);
}

#endif

// ---- hand-checked vectors ------------------------------------------------------------------

static void test_vectors(void) {
    const uint8_t *check = (const uint8_t *)"123456789";
    uint32_t c = fastpath_crc32_raw(0, check, 9);
    CHECK(c == 0xCBF43926u, "crc32('123456789') = 0x%08" PRIx32, c);
    CHECK(fastpath_crc32_raw(0, check, 0) == 0, "crc32('') != 0");
    CHECK(fastpath_crc32_raw(0, (const uint8_t *)"a", 1) == 0xE8B7BE43u, "crc32('a')");
    CHECK(fastpath_crc32_raw(0, (const uint8_t *)"The quick brown fox jumps over the lazy dog", 43)
        == 0x414FA339u, "crc32(quick brown fox)");
    CHECK(fastpath_crc32_raw(fastpath_crc32_raw(0, check, 5), check + 5, 4) == 0xCBF43926u,
        "crc32 running");
    CHECK(fastpath_crc32_raw(0xFFFFFFFFu, check, 9) == ref_crc32(0xFFFFFFFFu, check, 9),
        "crc32 from 0xFFFFFFFF");

    static const uint8_t ones[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK(fastpath_popcount_raw(ones, 9) == 72, "popcount(9 x 0xFF)");
    static const uint8_t mixed[] = {0x01, 0x80, 0x55, 0xAA, 0x0F, 0x00, 0x07};
    CHECK(fastpath_popcount_raw(mixed, 7) == 1 + 1 + 4 + 4 + 4 + 0 + 3, "popcount(mixed)");
    CHECK(fastpath_popcount_raw(mixed, 0) == 0, "popcount('')");

    static const uint8_t px[] = {
        255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0x12, 0x34, 0x56, 0, 0, 0, 7, 3, 7,
    };
    static const uint8_t want[] = {
        0xFF, 0xFF, 0xF8, 0x00, 0x07, 0xE0, 0x00, 0x1F, 0x11, 0xAA, 0x00, 0x00, 0x00, 0x00,
    };
    uint8_t out[sizeof(want) + 1];
    memset(out, 0xEE, sizeof(out));
    fastpath_rgb565_raw(px, out, 7);
    CHECK(memcmp(out, want, sizeof(want)) == 0 && out[sizeof(want)] == 0xEE, "rgb565 vectors");

    // FIR: rounding is floor((s + 0x4000) / 2**15).
    int16_t y[4];
    static const int16_t half[] = {16384};
    static const int16_t xs[] = {1, -1, -2, 3};
    CHECK(fastpath_fir_q15_raw(xs, 4, half, 1, y) == 4, "fir returns n");
    CHECK(y[0] == 1 && y[1] == 0 && y[2] == -1 && y[3] == 2, "fir rounding: %d %d %d %d",
        y[0], y[1], y[2], y[3]);
    // Saturation both ways; -32768 * -32768 * 2 = 2**31 needs more than 32 bits.
    static const int16_t hmax[] = {32767, 32767};
    static const int16_t hmin[] = {-32768, -32768};
    static const int16_t xmax[] = {32767, 32767, -32768, -32768};
    CHECK(fastpath_fir_q15_raw(xmax, 4, hmax, 2, y) == 3, "fir n");
    // y[1] = (32767 * (32767 - 32768) + 0x4000) >> 15 = -16383 >> 15 = -1 (floor).
    CHECK(y[0] == 32767 && y[1] == -1 && y[2] == -32768, "fir sat hmax: %d %d %d",
        y[0], y[1], y[2]);
    fastpath_fir_q15_raw(xmax, 4, hmin, 2, y);
    // y[1] = (-32768 * 32767 + 32768 * 32768 + 0x4000) >> 15 = 49152 >> 15 = 1.
    CHECK(y[0] == -32768 && y[1] == 1 && y[2] == 32767, "fir sat hmin: %d %d %d",
        y[0], y[1], y[2]);
    // Unity tap 0x7FFF: y = x * 32767 / 32768 rounded.
    static const int16_t unity[] = {32767};
    static const int16_t xu[] = {32767, -32768, 100, -100};
    fastpath_fir_q15_raw(xu, 4, unity, 1, y);
    CHECK(y[0] == 32766 && y[1] == -32767 && y[2] == 100 && y[3] == -100,
        "fir unity: %d %d %d %d", y[0], y[1], y[2], y[3]);
}

// ---- randomized comparisons against the references ------------------------------------------

#define MAXLEN 300

static void test_crc32(void) {
    static uint8_t buf[MAXLEN + 8];
    for (size_t align = 0; align < 8; ++align) {
        for (size_t len = 0; len <= MAXLEN; len += (len < 40 ? 1 : 7)) {
            fill_random(buf, sizeof(buf));
            uint32_t start = (len % 3 == 0) ? 0 : rng();
            uint8_t *block = exact_copy(buf + align, len, align);
            uint32_t got = fastpath_crc32_raw(start, block + align, len);
            release(block);
            uint32_t want = ref_crc32(start, buf + align, len);
            CHECK(got == want, "crc32 align %zu len %zu: %08" PRIx32 " != %08" PRIx32,
                align, len, got, want);
        }
    }
    // Every entry of the word tables (11, 11 and 10 bits of the register after the word):
    // from crc 0xFFFFFFFF the register is 0, so the first word w picks entries w & 0x7FF,
    // w >> 11 & 0x7FF and w >> 22. A 4-byte input takes the word tail, a 16-byte one the body.
    static uint32_t words[4]; // 16 aligned bytes, zero past the first word
    uint8_t *b = (uint8_t *)words;
    unsigned long bad = 0;
    for (uint32_t i = 0; i < 2048; ++i) {
        const uint32_t probes[3] = {i, i << 11, (i & 0x3FF) << 22};
        for (int t = 0; t < 3; ++t) {
            for (int k = 0; k < 4; ++k) {
                b[k] = (uint8_t)(probes[t] >> (8 * k)); // little-endian whatever the host
            }
            if (fastpath_crc32_raw(0xFFFFFFFFu, b, 4) != ref_crc32(0xFFFFFFFFu, b, 4)
                || fastpath_crc32_raw(0xFFFFFFFFu, b, 16) != ref_crc32(0xFFFFFFFFu, b, 16)) {
                bad += 1;
            }
        }
    }
    CHECK(bad == 0, "crc32 table entries: %lu wrong", bad);
    // A long buffer in uneven pieces gives the same CRC as in one go.
    static uint8_t big[5000];
    fill_random(big, sizeof(big));
    uint32_t whole = fastpath_crc32_raw(0, big, sizeof(big));
    CHECK(whole == ref_crc32(0, big, sizeof(big)), "crc32 5000 bytes");
    uint32_t c = 0;
    for (size_t off = 0, step = 1; off < sizeof(big); off += step, step = step * 3 % 97 + 1) {
        size_t n = off + step > sizeof(big) ? sizeof(big) - off : step;
        c = fastpath_crc32_raw(c, big + off, n);
    }
    CHECK(c == whole, "crc32 in pieces");
}

static void test_popcount(void) {
    static uint8_t buf[MAXLEN + 8];
    for (size_t align = 0; align < 8; ++align) {
        for (size_t len = 0; len <= MAXLEN; len += (len < 40 ? 1 : 5)) {
            fill_random(buf, sizeof(buf));
            if (len % 4 == 1) {
                memset(buf, 0xFF, sizeof(buf)); // all ones: the byte counters' worst case
            }
            uint8_t *block = exact_copy(buf + align, len, align);
            size_t got = fastpath_popcount_raw(block + align, len);
            release(block);
            size_t want = ref_popcount(buf + align, len);
            CHECK(got == want, "popcount align %zu len %zu: %zu != %zu", align, len, got, want);
        }
    }
    // Around the 32-byte blocks of the carry-save adders (up to 12 blocks, so every counter
    // carries), at every alignment, all ones and random.
    static uint8_t blocks[12 * 32 + 4 + 8];
    for (size_t align = 0; align < 8; ++align) {
        for (size_t nb = 1; nb <= 12; ++nb) {
            for (size_t extra = 0; extra < 8; ++extra) {
                size_t len = nb * 32 - 4 + extra;
                for (int ones = 0; ones < 2; ++ones) {
                    if (ones) {
                        memset(blocks, 0xFF, sizeof(blocks));
                    } else {
                        fill_random(blocks, sizeof(blocks));
                    }
                    uint8_t *block = exact_copy(blocks + align, len, align);
                    size_t got = fastpath_popcount_raw(block + align, len);
                    release(block);
                    size_t want = ref_popcount(blocks + align, len);
                    CHECK(got == want, "popcount blocks align %zu len %zu: %zu != %zu",
                        align, len, got, want);
                }
            }
        }
    }
    static uint8_t big[100003];
    memset(big, 0xFF, sizeof(big));
    CHECK(fastpath_popcount_raw(big, sizeof(big)) == 8 * sizeof(big), "popcount 100003 x 0xFF");
    CHECK(fastpath_popcount_raw(big + 1, sizeof(big) - 1) == 8 * (sizeof(big) - 1),
        "popcount 100002 x 0xFF");
    fill_random(big, sizeof(big));
    size_t want = ref_popcount(big + 3, sizeof(big) - 3);
    CHECK(fastpath_popcount_raw(big + 3, sizeof(big) - 3) == want, "popcount 100000 random");
}

static void test_rgb565(void) {
    static uint8_t src[3 * 120 + 8];
    static uint8_t got[2 * 120 + 16];
    static uint8_t want[2 * 120 + 16];
    for (size_t salign = 0; salign < 4; ++salign) {
        for (size_t dalign = 0; dalign < 4; ++dalign) {
            for (size_t npix = 0; npix <= 120; npix += (npix < 70 ? 1 : 9)) {
                fill_random(src, sizeof(src));
                memset(got, 0xA5, sizeof(got));
                memset(want, 0xA5, sizeof(want));
                uint8_t *block = exact_copy(src + salign, 3 * npix, salign);
                fastpath_rgb565_raw(block + salign, got + dalign, npix);
                release(block);
                ref_rgb565(src + salign, want + dalign, npix);
                CHECK(memcmp(got, want, sizeof(got)) == 0, "rgb565 src+%zu dst+%zu npix %zu",
                    salign, dalign, npix);
            }
        }
    }
}

// x and h start at element offsets 0 or 1 (so their 32-bit pair loads are aligned or not);
// y has guard elements on both sides that must stay untouched.
static void fir_case(const int16_t *x, size_t nx, const int16_t *h, size_t nh, const char *what) {
    static int16_t ybuf[MAXLEN + 4];
    size_t n = nx - nh + 1;
    for (size_t i = 0; i < n + 4; ++i) {
        ybuf[i] = 0x5A5A;
    }
    int16_t *y = ybuf + 1;
    // Heap copies of x and h at the same alignment mod 4, ending exactly at their last element.
    uint8_t *xblock = exact_copy(x, 2 * nx, (uintptr_t)x & 3);
    uint8_t *hblock = exact_copy(h, 2 * nh, (uintptr_t)h & 3);
    size_t got_n = fastpath_fir_q15_raw((const int16_t *)(xblock + ((uintptr_t)x & 3)), nx,
        (const int16_t *)(hblock + ((uintptr_t)h & 3)), nh, y);
    release(xblock);
    release(hblock);
    int ok = got_n == n && ybuf[0] == 0x5A5A && ybuf[n + 1] == 0x5A5A && ybuf[n + 2] == 0x5A5A;
    size_t bad = n;
    for (size_t i = 0; i < n && ok; ++i) {
        if (y[i] != ref_fir_one(x + i, h, nh)) {
            ok = 0;
            bad = i;
        }
    }
    CHECK(ok, "fir %s nx %zu nh %zu: first bad output %zu", what, nx, nh, bad);
}

static int16_t fir_sample(int kind) {
    switch (kind) {
        case 0:
            return (int16_t)rng(); // full range
        case 1:
            return (rng() & 1) ? 32767 : -32768; // extremes: saturating sums
        case 2:
            return -32768; // with h = -32768: every product is +2**30
        default:
            return (int16_t)((int32_t)(rng() % 201) - 100); // small: no saturation
    }
}

static void test_fir(void) {
    static int16_t xbuf[MAXLEN + 2];
    static int16_t hbuf[80 + 2];
    for (int kind = 0; kind < 4; ++kind) {
        for (size_t nh = 1; nh <= 40; ++nh) {
            for (size_t extra = 0; extra <= 37; extra += (extra < 9 ? 1 : 7)) {
                size_t nx = nh + extra;
                for (size_t i = 0; i < MAXLEN + 2; ++i) {
                    xbuf[i] = fir_sample(kind);
                }
                for (size_t i = 0; i < 82; ++i) {
                    hbuf[i] = fir_sample(kind);
                }
                for (size_t xo = 0; xo < 2; ++xo) {
                    for (size_t ho = 0; ho < 2; ++ho) {
                        fir_case(xbuf + xo, nx, hbuf + ho, nh, kind == 0 ? "random" :
                            kind == 1 ? "extremes" : kind == 2 ? "-32768" : "small");
                    }
                }
            }
        }
    }
    // In place (y is x), as the Python tiers allow: every output reads only x[i:], which the
    // outputs before it have not overwritten.
    for (size_t nh = 1; nh <= 20; ++nh) {
        for (size_t nx = nh; nx <= nh + 9; ++nx) {
            int16_t want[64];
            for (size_t i = 0; i < nx; ++i) {
                xbuf[i] = fir_sample(0);
            }
            for (size_t i = 0; i < nh; ++i) {
                hbuf[i] = fir_sample(0);
            }
            size_t n = nx - nh + 1;
            for (size_t i = 0; i < n; ++i) {
                want[i] = ref_fir_one(xbuf + i, hbuf, nh);
            }
            int16_t last = xbuf[nx - 1];
            fastpath_fir_q15_raw(xbuf, nx, hbuf, nh, xbuf);
            int ok = memcmp(xbuf, want, n * sizeof(int16_t)) == 0;
            CHECK(ok && (nh == 1 || xbuf[nx - 1] == last), "fir in place nx %zu nh %zu", nx, nh);
        }
    }
    // Long x, 80 taps.
    for (size_t i = 0; i < MAXLEN + 2; ++i) {
        xbuf[i] = fir_sample(0);
    }
    for (size_t i = 0; i < 82; ++i) {
        hbuf[i] = fir_sample(3);
    }
    fir_case(xbuf, MAXLEN, hbuf, 80, "long");
    fir_case(xbuf + 1, MAXLEN - 1, hbuf + 1, 79, "long");
}

// 65536 taps of -32768 times x = -32768: the sum is 2**46, beyond what fits in int32 after
// the shift, so this takes the general (wide) saturation path.
static void test_fir_wide(void) {
    enum { NH = 65536, NX = NH + 2 };
    static int16_t x[NX];
    static int16_t h[NH];
    int16_t y[5] = {0x5A5A, 0, 0, 0, 0x5A5A};
    for (size_t i = 0; i < NH; ++i) {
        h[i] = -32768;
    }
    for (size_t i = 0; i < NX; ++i) {
        x[i] = -32768;
    }
    x[NX - 1] = 32767; // the last output: 65535 * 2**30 - 32767 * 32768: saturates high
    x[0] = 1; // the first: 2**46 - 2**30 - 32768, still saturates high
    size_t n = fastpath_fir_q15_raw(x, NX, h, NH, y + 1);
    CHECK(n == 3 && y[1] == 32767 && y[2] == 32767 && y[3] == 32767 && y[0] == 0x5A5A
        && y[4] == 0x5A5A, "fir wide %d %d %d", y[1], y[2], y[3]);
    for (size_t i = 0; i < NX; ++i) {
        x[i] = 32767; // 65536 * -32768 * 32767 = -(2**46 - 2**31): saturates low
    }
    fastpath_fir_q15_raw(x, NX, h, NH, y + 1);
    CHECK(y[1] == -32768 && y[2] == -32768 && y[3] == -32768, "fir wide low");
    // Small values over many taps: no saturation, exact.
    for (size_t i = 0; i < NH; ++i) {
        h[i] = (int16_t)((i % 7) - 3);
    }
    for (size_t i = 0; i < NX; ++i) {
        x[i] = (int16_t)((i % 5) - 2);
    }
    fastpath_fir_q15_raw(x, NX, h, NH, y + 1);
    CHECK(y[1] == ref_fir_one(x, h, NH) && y[2] == ref_fir_one(x + 1, h, NH)
        && y[3] == ref_fir_one(x + 2, h, NH), "fir wide exact");
}

// The longest filters of the fast paths (65533..65535 taps: sums up to 65535 * 2**30, just
// under 2**46) for 1 to 8 outputs, so through the four-output loop, the pairs and the single
// output: every sum far outside int32, or leaving it and coming back, compared exactly.
static void test_fir_long(void) {
    enum { NH_MAX = 65535, NX_MAX = NH_MAX + 7 };
    static int16_t x[NX_MAX + 1];
    static int16_t h[NH_MAX + 1];
    static int16_t y[8 + 2];
    for (int pattern = 0; pattern < 4; ++pattern) {
        for (size_t nh = NH_MAX - 2; nh <= NH_MAX; ++nh) {
            for (size_t i = 0; i < NX_MAX + 1; ++i) {
                switch (pattern) {
                    case 0: // every product 2**30: saturates high
                        x[i] = -32768;
                        break;
                    case 1: // every product -32767 * 32768: saturates low
                        x[i] = 32767;
                        break;
                    case 2: // +2**30 then -32767 * 32768 for half the taps each: small sums
                        x[i] = i < nh / 2 ? -32768 : 32767;
                        break;
                    default: // a window of positive products then negative ones, random sizes
                        x[i] = (int16_t)(i % 1000 < 500 ? -32768 + (int)(rng() % 3)
                            : 32767 - (int)(rng() % 3));
                        break;
                }
            }
            for (size_t k = 0; k < NH_MAX + 1; ++k) {
                h[k] = (int16_t)(pattern < 3 ? -32768 : -32768 + (int)(rng() % 2));
            }
            for (size_t n = 1; n <= 8; ++n) {
                size_t nx = nh + n - 1;
                size_t ho = nh == NH_MAX - 1; // h at an odd element offset too
                for (size_t i = 0; i < n + 2; ++i) {
                    y[i] = 0x5A5A;
                }
                size_t got_n = fastpath_fir_q15_raw(x + (n & 1), nx, h + ho, nh, y + 1);
                int ok = got_n == n && y[0] == 0x5A5A && y[n + 1] == 0x5A5A;
                for (size_t i = 0; i < n && ok; ++i) {
                    ok = y[1 + i] == ref_fir_one(x + (n & 1) + i, h + ho, nh);
                }
                CHECK(ok, "fir long pattern %d nh %zu n %zu", pattern, nh, n);
            }
        }
    }
}

int main(void) {
    guard_init();
    test_vectors();
    test_crc32();
    test_popcount();
    test_rgb565();
    test_fir();
    test_fir_wide();
    test_fir_long();
    printf("%lu passed, %lu failed\n", n_passed, n_failed);
    return n_failed == 0 ? 0 : 1;
}
