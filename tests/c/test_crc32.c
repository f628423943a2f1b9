// Host tests of crc32 (usermod/fastpath/crc32.c): hand-checked vectors, then the raw loop
// against ref_crc32.h over many lengths and every alignment, every entry of its word tables,
// and a long buffer in uneven pieces. A program of its own with check.c (tests/c/Makefile).
#include "check.h"

#include "crc32.c"
#include "ref_crc32.h"

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
}

// ---- randomized comparisons against the reference -------------------------------------------

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

void run_tests(void) {
    test_vectors();
    test_crc32();
}
