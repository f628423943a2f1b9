// Host tests of rgb565 (usermod/fastpath/rgb565.c): hand-checked vectors, then the raw loop
// against ref_rgb565.h for every alignment of source and destination and many pixel counts,
// the bytes around the output untouched. A program of its own with check.c (tests/c/Makefile).
// The Cortex-M4 build must use the DSP extension's halfword packing and byte reversal
// (tests/test_host_c.py reads the line below):
// cortex-m4 insn: pkhbt rev16
#include "check.h"

#include "rgb565.c"
#include "ref_rgb565.h"

// ---- hand-checked vectors ------------------------------------------------------------------

static void test_vectors(void) {
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
}

// ---- randomized comparisons against the reference -------------------------------------------

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

void run_tests(void) {
    test_vectors();
    test_rgb565();
}
