// libFuzzer target for popcount (usermod/fastpath/popcount.c) against
// tests/c/ref_popcount.h; what the targets share is in fuzz.h.
//
// An input: sel (1 byte), then data, starting sel >> 2 & 15 bytes past a 16-aligned address.
#include "fuzz.h"

#include "popcount.c"
#include "ref_popcount.h"

static void fuzz_popcount(unsigned sel, input_t in) {
    size_t off = sel >> 2 & 15;
    uint8_t *b = block(off, in.len);
    memcpy(b + off, in.p, in.len);
    size_t want = ref_popcount(in.p, in.len);
    size_t got = fastpath_popcount_raw(b + off, in.len);
    if (got != want) {
        FAIL("popcount(len %zu, offset %zu) = %zu, want %zu", in.len, off, got, want);
    }
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input_t in = { data, size };
    unsigned sel = take(&in, 1);
    fuzz_popcount(sel, in);
    return 0;
}
