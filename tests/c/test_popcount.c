// Host tests of popcount (usermod/fastpath/popcount.c): hand-checked vectors, then the raw loop
// against ref_popcount.h over many lengths and every alignment, around the 32-byte blocks of
// its carry-save adders, and over 100003 bytes. A program of its own with check.c
// (tests/c/Makefile).
#include "check.h"

#include "popcount.c"
#include "ref_popcount.h"

// ---- hand-checked vectors ------------------------------------------------------------------

static void test_vectors(void) {
    static const uint8_t ones[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK(fastpath_popcount_raw(ones, 9) == 72, "popcount(9 x 0xFF)");
    static const uint8_t mixed[] = {0x01, 0x80, 0x55, 0xAA, 0x0F, 0x00, 0x07};
    CHECK(fastpath_popcount_raw(mixed, 7) == 1 + 1 + 4 + 4 + 4 + 0 + 3, "popcount(mixed)");
    CHECK(fastpath_popcount_raw(mixed, 0) == 0, "popcount('')");
}

// ---- randomized comparisons against the reference -------------------------------------------

#define MAXLEN 300

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

void run_tests(void) {
    test_vectors();
    test_popcount();
}
