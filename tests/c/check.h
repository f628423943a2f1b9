// The harness the host C tests share. Each kernel's tests are a program of their own:
// test_<kernel>.c includes the kernel's source and its reference (ref_<kernel>.h) and defines
// run_tests(); check.c holds main(), which runs them and prints "N passed, M failed" last,
// exiting non-zero on any failure. tests/c/Makefile builds one program per test_*.c, for the
// host and for the Cortex-M4 of QEMU's mps2-an386.
#ifndef FASTPATH_TESTS_CHECK_H
#define FASTPATH_TESTS_CHECK_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// What each test program defines: all of its checks, run once by main().
void run_tests(void);

// CHECK(cond, printf format, ...): counts a pass, or counts a failure and prints the message
// (the first 20 failures only) with the file and line.
#define CHECK(cond, ...) record((cond), __FILE__, __LINE__, __VA_ARGS__)

#if defined(__GNUC__)
void record(int ok, const char *file, int line, const char *fmt, ...)
__attribute__((format(printf, 4, 5)));
#else
void record(int ok, const char *file, int line, const char *fmt, ...);
#endif

// xorshift32: a fixed pseudo-random sequence, the same on every host, from the same seed in
// every program.
uint32_t rng(void);
void fill_random(uint8_t *buf, size_t len);

// A copy of buf[0:len] placed so that reading past its end is caught: at the given offset
// from an aligned address, ending exactly where a heap block ends (AddressSanitizer builds),
// or on bare metal right before a no-access MPU region when its alignment allows. Returns the
// copy minus offset (the copy is at the result + offset); give the result to release().
// Two copies can be live at a time.
void *exact_copy(const void *buf, size_t len, size_t offset);
void release(void *block);

#endif // FASTPATH_TESTS_CHECK_H
