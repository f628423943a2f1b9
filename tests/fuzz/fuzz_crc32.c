// libFuzzer target for crc32 (usermod/fastpath/crc32.c) against tests/c/ref_crc32.h; what
// the targets share is in fuzz.h.
//
// An input: sel (1 byte), crc (4 bytes, little-endian), split (1 byte), then data.
// data starts sel >> 2 & 7 bytes past an 8-aligned address.
// Also checks crc32(data[split:], crc32(data[:split], crc)).
#include "fuzz.h"

#include "crc32.c"
#include "ref_crc32.h"

static void fuzz_crc32(unsigned sel, input_t in) {
    size_t off = sel >> 2 & 7;
    uint32_t crc = take(&in, 4);
    size_t split = take(&in, 1);
    uint8_t *b = block(off, in.len);
    uint8_t *data = b + off;
    memcpy(data, in.p, in.len);
    uint32_t want = ref_crc32(crc, in.p, in.len);
    uint32_t got = fastpath_crc32_raw(crc, data, in.len);
    if (got != want) {
        FAIL("crc32(len %zu, offset %zu, crc 0x%08x) = 0x%08x, want 0x%08x",
            in.len, off, (unsigned)crc, (unsigned)got, (unsigned)want);
    }
    if (split > in.len) {
        split = in.len;
    }
    got = fastpath_crc32_raw(fastpath_crc32_raw(crc, data, split), data + split, in.len - split);
    if (got != want) {
        FAIL("crc32 continued at %zu (len %zu, offset %zu) = 0x%08x, want 0x%08x",
            split, in.len, off, (unsigned)got, (unsigned)want);
    }
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input_t in = { data, size };
    unsigned sel = take(&in, 1);
    fuzz_crc32(sel, in);
    return 0;
}
