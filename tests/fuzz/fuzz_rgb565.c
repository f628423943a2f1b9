// libFuzzer target for rgb565 (usermod/fastpath/rgb565.c) against tests/c/ref_rgb565.h;
// what the targets share is in fuzz.h.
//
// An input: sel (1 byte), then data, len(data) / 3 pixels (the rest ignored); src starts
// sel >> 2 & 7 and dst sel >> 5 & 7 bytes past an 8-aligned address.
#include "fuzz.h"

#include "rgb565.c"
#include "ref_rgb565.h"

static void fuzz_rgb565(unsigned sel, input_t in) {
    size_t src_off = sel >> 2 & 7;
    size_t dst_off = sel >> 5 & 7;
    size_t npix = in.len / 3;
    uint8_t *sb = block(src_off, 3 * npix);
    uint8_t *db = block(dst_off, 2 * npix);
    uint8_t *want = block(0, 2 * npix);
    memcpy(sb + src_off, in.p, 3 * npix);
    ref_rgb565(in.p, want, npix);
    fastpath_rgb565_raw(sb + src_off, db + dst_off, npix);
    if (memcmp(db + dst_off, want, 2 * npix) != 0) {
        FAIL("rgb565(npix %zu, src offset %zu, dst offset %zu): wrong output",
            npix, src_off, dst_off);
    }
    free(sb);
    free(db);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input_t in = { data, size };
    unsigned sel = take(&in, 1);
    fuzz_rgb565(sel, in);
    return 0;
}
