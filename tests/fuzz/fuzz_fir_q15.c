// libFuzzer target for fir_q15 (usermod/fastpath/fir_q15.c) against tests/c/ref_fir_q15.h;
// what the targets share is in fuzz.h.
//
// An input: sel (1 byte), nh (2 bytes), offsets (1 byte: x, h, y each 0..3 int16 past an
// 8-aligned address), y_extra (1 byte: 0..7 more outputs' room in y, which must stay
// untouched), then data: int16 samples s, little-endian, h = s[:nh'] and x = s[nh':] with
// nh' = 1 + nh % (len(s) / 2).
// sel & 4: in place (y is x, as the contract allows).
// sel & 8: long filter, nh = 65534..65537 and nx = nh + 0..3 with h and x tiled from the
// samples (-32768 when there are none): the path for sums that may reach 2**46.
#include "fuzz.h"

#include "fir_q15.c"
#include "ref_fir_q15.h"

static void fuzz_fir_q15(unsigned sel, input_t in) {
    size_t nh_param = take(&in, 2);
    unsigned offs = take(&in, 1);
    size_t y_extra = take(&in, 1) & 7;
    int in_place = (sel & 4) != 0;
    size_t x_off = 2 * (offs & 3), h_off = 2 * (offs >> 2 & 3), y_off = 2 * (offs >> 4 & 3);
    // The samples, little-endian whatever the host.
    size_t ns = in.len / 2;
    int16_t *s = (int16_t *)(void *)block(0, ns * 2);
    for (size_t i = 0; i < ns; ++i) {
        s[i] = (int16_t)(uint16_t)(in.p[2 * i] | in.p[2 * i + 1] << 8);
    }
    size_t nh, nx;
    if (sel & 8) {
        nh = 65534 + (nh_param & 3);
        nx = nh + (nh_param >> 2 & 3);
    } else {
        if (ns < 2) {
            free(s);
            return;
        }
        nh = 1 + nh_param % (ns / 2);
        nx = ns - nh;
    }
    size_t n = nx - nh + 1;
    int16_t *x = (int16_t *)(void *)(block(x_off, 2 * nx) + x_off);
    int16_t *h = (int16_t *)(void *)(block(h_off, 2 * nh) + h_off);
    if (sel & 8) {
        // h tiled from the first half of the samples, x from the second half.
        size_t nhs = ns / 2, nxs = ns - ns / 2;
        for (size_t k = 0; k < nh; ++k) {
            h[k] = nhs ? s[k % nhs] : INT16_MIN;
        }
        for (size_t i = 0; i < nx; ++i) {
            x[i] = nxs ? s[nhs + i % nxs] : INT16_MIN;
        }
    } else {
        memcpy(h, s, 2 * nh);
        memcpy(x, s + nh, 2 * nx);
    }
    int16_t *want = (int16_t *)(void *)block(0, 2 * n);
    for (size_t i = 0; i < n; ++i) {
        want[i] = ref_fir_one(x + i, h, nh);
    }
    int16_t *y = x;
    size_t ny = nx;
    if (!in_place) {
        ny = n + y_extra;
        y = (int16_t *)(void *)(block(y_off, 2 * ny) + y_off);
        for (size_t i = 0; i < ny; ++i) {
            y[i] = (int16_t)(0x5A5A ^ i);
        }
    }
    size_t got = fastpath_fir_q15_raw(x, nx, h, nh, y);
    if (got != n) {
        FAIL("fir_q15(nx %zu, nh %zu) returned %zu, want %zu", nx, nh, got, n);
    }
    for (size_t i = 0; i < n; ++i) {
        if (y[i] != want[i]) {
            FAIL("fir_q15(nx %zu, nh %zu, offsets x %zu h %zu y %zu%s): y[%zu] = %d, want %d",
                nx, nh, x_off, h_off, y_off, in_place ? ", in place" : "", i, y[i], want[i]);
        }
    }
    if (!in_place) {
        for (size_t i = n; i < ny; ++i) {
            if (y[i] != (int16_t)(0x5A5A ^ i)) {
                FAIL("fir_q15(nx %zu, nh %zu): wrote y[%zu], past its %zu outputs", nx, nh, i, n);
            }
        }
        free((uint8_t *)y - y_off);
    }
    free(s);
    free(want);
    free((uint8_t *)x - x_off);
    free((uint8_t *)h - h_off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input_t in = { data, size };
    unsigned sel = take(&in, 1);
    fuzz_fir_q15(sel, in);
    return 0;
}
