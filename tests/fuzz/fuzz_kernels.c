// libFuzzer target for the plain-C kernels of usermod/fastpath (kernels.h), built with
// AddressSanitizer and UndefinedBehaviorSanitizer (tests/fuzz/Makefile). Every call is checked
// against a simple reference loop (tests/c/ref_*.h); a wrong answer is a __builtin_trap(),
// which libFuzzer reports as a crash like any sanitizer report.
//
// An input is a selector byte, then parameter bytes, then data (bytes past the end read as 0):
//   sel & 3 == 0  crc32:    crc (4 bytes, little-endian), split (1 byte); data.
//                           data starts sel >> 2 & 7 bytes past an 8-aligned address.
//                           Also checks crc32(data[split:], crc32(data[:split], crc)).
//   sel & 3 == 1  fir_q15:  nh (2 bytes), offsets (1 byte: x, h, y each 0..3 int16 past an
//                           8-aligned address), y_extra (1 byte: 0..7 more outputs' room in y,
//                           which must stay untouched); data: int16 samples, little-endian,
//                           h = s[:nh'] and x = s[nh':] with nh' = 1 + nh % (len(s) / 2).
//                           sel & 4: in place (y is x, as the contract allows).
//                           sel & 8: long filter, nh = 65534..65537 and nx = nh + 0..3 with h
//                           and x tiled from the samples (-32768 when there are none): the
//                           path for sums that may reach 2**46.
//   sel & 3 == 2  popcount: data, starting sel >> 2 & 15 bytes past a 16-aligned address.
//   sel & 3 == 3  rgb565:   data, len(data) / 3 pixels (the rest ignored); src starts
//                           sel >> 2 & 7 and dst sel >> 5 & 7 bytes past an 8-aligned address.
// Every buffer is a heap block of its own that ends exactly where the kernel's view of it
// ends, so reading or writing one element past either end is an AddressSanitizer report.
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

#define FAIL(...) do { \
        fprintf(stderr, "fuzz_kernels: " __VA_ARGS__); \
        fputc('\n', stderr); \
        __builtin_trap(); \
} while (0)

// The input as a stream: take(&in, n) is the next n bytes as a little-endian integer.
typedef struct {
    const uint8_t *p;
    size_t len;
} input_t;

static uint32_t take(input_t *in, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        if (in->len != 0) {
            v |= (uint32_t)*in->p++ << (8 * i);
            in->len -= 1;
        }
    }
    return v;
}

// A block of offset + len bytes; the caller's buffer is block + offset (malloc's blocks are
// 16-aligned, so offset sets the buffer's alignment).
static uint8_t *block(size_t offset, size_t len) {
    uint8_t *b = malloc(offset + len + (offset + len == 0));
    if (b == NULL) {
        FAIL("out of memory");
    }
    return b;
}

// ---- one kernel each -------------------------------------------------------------------------

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
    switch (sel & 3) {
        case 0:
            fuzz_crc32(sel, in);
            break;
        case 1:
            fuzz_fir_q15(sel, in);
            break;
        case 2:
            fuzz_popcount(sel, in);
            break;
        default:
            fuzz_rgb565(sel, in);
            break;
    }
    return 0;
}
