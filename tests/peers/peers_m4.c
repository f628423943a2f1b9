// The C peers of our kernels on QEMU's mps2-an386 (Cortex-M4F), bare metal: each kernel's
// raw C loop (usermod/fastpath, the c rung without its binding) and its peers, on the
// kernel's bench workload (workload.h, written by tools/peers.py from the kernel's workload()).
// Each call runs in a window that opens with a store to the CMSDK timer's VALUE register and
// closes with a load of it, as fastpath.timing does in the firmware: the QEMU plugin
// tools/insnprof.c counts every instruction of a window (mark=0x40000004), the timer counts
// it in 40-instruction ticks (under -icount shift=0). The first window holds an empty call.
// Before each window: "WINDOW kernel peer"; after it "TICKS n", and after each peer's second
// window "OUT kernel peer v..." (its results, for tools/peers.py to check against the
// kernel's reference). Output and exit status go through semihosting.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arm_math.h"
#include "zlib.h"

#include "plain.h"
#include "workload.h"

// Our kernels' raw loops (usermod/fastpath/NAME.c, built without FASTPATH_BINDING).
uint32_t fastpath_crc32_raw(uint32_t crc, const uint8_t *buf, size_t len);
size_t fastpath_fir_q15_raw(const int16_t *x, size_t nx, const int16_t *h, size_t nh, int16_t *y);
size_t fastpath_popcount_raw(const uint8_t *buf, size_t len);
void fastpath_rgb565_raw(const uint8_t *src, uint8_t *dst, size_t npix);

#define TIMER0 ((volatile uint32_t *)0x40000000) // CTRL, VALUE, RELOAD
#define REPEAT (2)

static volatile uint32_t sink;

__attribute__((noinline)) static void empty(void) {
    __asm__ volatile ("");
}

#define MEASURE(kernel, peer, call) do { \
        printf("WINDOW %s %s\n", kernel, peer); \
        __asm__ volatile ("" : : : "memory"); \
        TIMER0[1] = 0xFFFFFFFFu; \
        call; \
        uint32_t t_ = 0xFFFFFFFFu - TIMER0[1]; \
        __asm__ volatile ("" : : : "memory"); \
        printf("TICKS %lu\n", (unsigned long)t_); \
} while (0)

static void out_words(const char *kernel, const char *peer, const uint32_t *v, size_t n) {
    printf("OUT %s %s", kernel, peer);
    for (size_t i = 0; i < n; i++) {
        printf(" %lu", (unsigned long)v[i]);
    }
    printf("\n");
}

static void out_q15(const char *kernel, const char *peer, const int16_t *v, size_t n) {
    printf("OUT %s %s", kernel, peer);
    for (size_t i = 0; i < n; i++) {
        printf(" %d", v[i]);
    }
    printf("\n");
}

// ---- crc32 ----------------------------------------------------------------------------------

#define CRC32(peer, f) do { \
        uint32_t r = 0; \
        for (int i = 0; i < REPEAT; i++) { \
            MEASURE("crc32", peer, r = f(0, wl_crc32_0, wl_crc32_0_len)); \
        } \
        out_words("crc32", peer, &r, 1); \
} while (0)

static void crc32_peers(void) {
    plain_crc32_table_init();
    CRC32("c", fastpath_crc32_raw);
    CRC32("zlib.crc32", crc32);
    CRC32("plain", plain_crc32);
    CRC32("plain.table", plain_crc32_table);
}

// ---- fir_q15 --------------------------------------------------------------------------------

#define NX (sizeof(wl_fir_q15_0) / sizeof(int16_t))
#define NH (sizeof(wl_fir_q15_1) / sizeof(int16_t))
#define NY (NX - NH + 1)

static int16_t y[NY];

#define FIR(peer, setup, call) do { \
        for (int i = 0; i < REPEAT; i++) { \
            memset(y, 0, sizeof(y)); \
            setup; \
            MEASURE("fir_q15", peer, call); \
        } \
        out_q15("fir_q15", peer, y, NY); \
} while (0)

// CMSIS's FIR is a stream filter, in convolution order with its coefficients stored time
// reversed: y[n] = sum_k pCoeffs[k] * s[n + k] over its state s (the numTaps - 1 samples
// before the block, then the block). With our taps as its coefficients and the first NH - 1
// samples as the state, a block of the other NX - NH + 1 samples gives exactly our valid
// outputs: the same workload, the same NY outputs and NY * NH taps.
static arm_fir_instance_q15 fir;
static q15_t state[NH + NY];

static void cmsis_start(void) {
    arm_fir_init_q15(&fir, NH, wl_fir_q15_1, state, NY);
    memcpy(state, wl_fir_q15_0, (NH - 1) * sizeof(q15_t));
}

static void fir_q15_peers(void) {
    FIR("c", , sink = fastpath_fir_q15_raw(wl_fir_q15_0, NX, wl_fir_q15_1, NH, y));
    FIR("CMSIS-DSP.arm_fir_q15", cmsis_start(),
        arm_fir_q15(&fir, wl_fir_q15_0 + NH - 1, y, NY));
    FIR("CMSIS-DSP.arm_fir_fast_q15", cmsis_start(),
        arm_fir_fast_q15(&fir, wl_fir_q15_0 + NH - 1, y, NY));
    FIR("plain", , sink = plain_fir_q15(wl_fir_q15_0, NX, wl_fir_q15_1, NH, y));
}

// ---- popcount -------------------------------------------------------------------------------

#define POPCOUNT(peer, f) do { \
        uint32_t r = 0; \
        for (int i = 0; i < REPEAT; i++) { \
            MEASURE("popcount", peer, r = f(wl_popcount_0, wl_popcount_0_len)); \
        } \
        out_words("popcount", peer, &r, 1); \
} while (0)

static void popcount_peers(void) {
    POPCOUNT("c", fastpath_popcount_raw);
    POPCOUNT("__builtin_popcount", builtin_popcount);
    POPCOUNT("plain", plain_popcount);
}

// ---- rgb565 ---------------------------------------------------------------------------------

#define NPIX (sizeof(wl_rgb565_0) / 3)

static uint8_t dst[2 * NPIX];
static uint32_t pixels[NPIX];

#define RGB565(peer, f) do { \
        for (int i = 0; i < REPEAT; i++) { \
            memset(dst, 0, sizeof(dst)); \
            MEASURE("rgb565", peer, f(wl_rgb565_0, dst, NPIX)); \
        } \
        for (size_t i = 0; i < NPIX; i++) { \
            pixels[i] = (uint32_t)dst[2 * i] << 8 | dst[2 * i + 1]; \
        } \
        out_words("rgb565", peer, pixels, NPIX); \
} while (0)

static void rgb565_peers(void) {
    RGB565("c", fastpath_rgb565_raw);
    RGB565("plain", plain_rgb565);
}

int main(void) {
    // The timer free-running from 2**32 - 1, as fastpath.timing sets it up.
    TIMER0[2] = 0xFFFFFFFFu;
    TIMER0[1] = 0xFFFFFFFFu;
    TIMER0[0] = 1;
    for (int i = 0; i < REPEAT; i++) {
        MEASURE("-", "empty", empty());
    }
    crc32_peers();
    fir_q15_peers();
    popcount_peers();
    rgb565_peers();
    printf("DONE\n");
    return 0;
}
