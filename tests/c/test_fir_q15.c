// Host tests of fir_q15 (usermod/fastpath/fir_q15.c): hand-checked rounding and saturation,
// then the raw loop against ref_fir_q15.h for many filter and input lengths, alignments and
// kinds of samples, in place, and the longest filters, whose sums leave 32 bits. A program of
// its own with check.c (tests/c/Makefile).
// The Cortex-M4 build must use the DSP extension's dual multiply-accumulate
// (tests/test_host_c.py reads the line below):
// cortex-m4 insn: smlald
#include "check.h"

#include "fir_q15.c"
#include "ref_fir_q15.h"

// ---- hand-checked vectors ------------------------------------------------------------------

static void test_vectors(void) {
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

// ---- randomized comparisons against the reference -------------------------------------------

#define MAXLEN 300

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
    // In place (y is x), as the Python rungs allow: every output reads only x[i:], which the
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

void run_tests(void) {
    test_vectors();
    test_fir();
    test_fir_wide();
    test_fir_long();
}
