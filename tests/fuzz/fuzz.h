// What the libFuzzer targets of tests/fuzz share. Each fuzz_<kernel>.c is a target of its own
// for one kernel's raw loop (usermod/fastpath/<kernel>.c), built with AddressSanitizer and
// UndefinedBehaviorSanitizer (tests/fuzz/Makefile), checking every call against the kernel's
// reference in tests/c/ref_<kernel>.h; a wrong answer is FAIL(), a __builtin_trap() that
// libFuzzer reports as a crash like any sanitizer report.
//
// Every input starts with a selector byte, then the target's parameter bytes, then data; bytes
// taken past the end read as 0. Its format is at the top of each target. The selector's two
// low bits are not used: they chose the kernel when one target fuzzed them all, and the
// corpus keeps them.
// Every buffer is a heap block of its own (block()) that ends exactly where the kernel's view
// of it ends, so reading or writing one element past either end is an AddressSanitizer report.
#ifndef FASTPATH_TESTS_FUZZ_H
#define FASTPATH_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// FAIL(printf format, ...): the message, after the file that fails, then a crash.
#define FAIL(...) do { \
        fprintf(stderr, __FILE__ ": " __VA_ARGS__); \
        fputc('\n', stderr); \
        __builtin_trap(); \
} while (0)

// The input as a stream: take(&in, n) is the next n bytes as a little-endian integer.
typedef struct {
    const uint8_t *p;
    size_t len;
} input_t;

static inline uint32_t take(input_t *in, size_t n) {
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
static inline uint8_t *block(size_t offset, size_t len) {
    uint8_t *b = malloc(offset + len + (offset + len == 0));
    if (b == NULL) {
        FAIL("out of memory");
    }
    return b;
}

#endif // FASTPATH_TESTS_FUZZ_H
