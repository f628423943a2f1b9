// The harness of the host C tests (check.h): the pass/fail count, the pseudo-random sequence,
// the guarded copies, and main(), which runs the program's tests and prints
// "N passed, M failed" last, exiting non-zero on any failure.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static unsigned long n_passed;
static unsigned long n_failed;

void record(int ok, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        n_passed += 1;
        return;
    }
    n_failed += 1;
    if (n_failed <= 20) {
        va_list ap;
        va_start(ap, fmt);
        printf("FAIL %s:%d: ", file, line);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
}

static uint32_t rng_state = 0x12345678;

uint32_t rng(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

void fill_random(uint8_t *buf, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        buf[i] = (uint8_t)rng();
    }
}

#if defined(FASTPATH_TEST_MPU_GUARD)

// Bare metal on Cortex-M4 (make m4): no sanitizer, so the MPU stands in for one. Each copy is
// placed in one of two arenas so that it ends right before a 32-byte no-access MPU region
// whenever its alignment allows (for a quarter of the lengths, half of them for int16
// arrays): an access that starts past the end of the buffer is then a fault, which ends the
// run with a failure. (QEMU checks an unaligned access that straddles the end only at its
// first byte.) Two arenas, used in turn, for kernels that take two input buffers.
#define ARENA_SIZE 2048
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9C)
#define MPU_RASR (*(volatile uint32_t *)0xE000EDA0)

static struct {
    uint8_t data[ARENA_SIZE];
    uint8_t guard[32]; // no access
} arenas[2] __attribute__((aligned(32)));
static unsigned int next_arena;

static void guard_init(void) {
    for (uint32_t i = 0; i < 2; ++i) {
        MPU_RNR = i;
        MPU_RBAR = (uint32_t)(uintptr_t)arenas[i].guard;
        MPU_RASR = 1 << 28 | 0 << 24 | 4 << 1 | 1; // XN, no access, 2**(4 + 1) bytes, on
    }
    MPU_CTRL = 1 << 2 | 1; // the default memory map elsewhere, MPU on
    __asm__ volatile ("dsb\n isb" : : : "memory");
}

// buf[0:len] copied to an address that is offset mod 4 and ends at most 3 bytes before a
// guard (at the guard itself when len + offset is a multiple of 4); returns the copy minus
// offset, as the heap version below does.
void *exact_copy(const void *buf, size_t len, size_t offset) {
    uint8_t *guard = arenas[next_arena].guard;
    next_arena ^= 1;
    if (len + 4 > ARENA_SIZE) {
        printf("exact_copy: %zu bytes do not fit in an arena\n", len);
        exit(2);
    }
    uintptr_t start = (uintptr_t)(guard - len);
    start -= (start - offset) & 3;
    memcpy((void *)start, buf, len);
    return (uint8_t *)start - offset;
}

void release(void *block) {
    (void)block;
}

#else

static void guard_init(void) {
}

// A copy of buf[0:len] that ends exactly where a heap block ends and starts at the given
// offset from an aligned address, so that AddressSanitizer builds catch any read past the end.
void *exact_copy(const void *buf, size_t len, size_t offset) {
    uint8_t *block = malloc(offset + len != 0 ? offset + len : 1);
    if (block == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    memcpy(block + offset, buf, len);
    return block;
}

void release(void *block) {
    free(block);
}

#endif

int main(void) {
    guard_init();
    run_tests();
    printf("%lu passed, %lu failed\n", n_passed, n_failed);
    return n_failed == 0 ? 0 : 1;
}
