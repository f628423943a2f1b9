// What the emulated board adds to upstream's qemu port at run time: stdin polling (for
// select, so `mpremote mount` works), a millisecond clock (select's timeouts), and a board's
// boot sequence: _boot.py (frozen: mounts the RAM disk at /flash), then boot.py and main.py.
// Each replaces or follows a port function through the linker (-Wl,--wrap, mpconfigboard.mk).
#include <stdint.h>

#include "py/mphal.h"
#include "py/runtime.h"
#include "py/stream.h"
#include "shared/runtime/pyexec.h"

// CMSDK APB UART0 of the mps2-an386 (as ports/qemu/uart.c): STATE bit 1 is RX buffer full.
#define UART0_STATE (*(volatile uint32_t *)0x40004004)
#define UART_STATE_RXFULL (1u << 1)
// FPGA I/O block: CLK100HZ counts up at 100 Hz of the machine's (virtual) time.
#define FPGAIO_CLK100HZ (*(volatile uint32_t *)0x40028014)

uintptr_t __wrap_mp_hal_stdio_poll(uintptr_t poll_flags);
void __real_mp_init(void);
void __wrap_mp_init(void);

// In place of the port's mp_hal_stdio_poll, which always answers "nothing to read" (as
// upstream's own does from v1.27, with its uart_rx_any()).
uintptr_t __wrap_mp_hal_stdio_poll(uintptr_t poll_flags) {
    uintptr_t ret = 0;
    if ((poll_flags & MP_STREAM_POLL_RD) && (UART0_STATE & UART_STATE_RXFULL)) {
        ret |= MP_STREAM_POLL_RD;
    }
    if (poll_flags & MP_STREAM_POLL_WR) {
        ret |= MP_STREAM_POLL_WR;  // uart_tx_strn() waits for room itself
    }
    return ret;
}

// The port has no clock of its own before v1.27 (weak: from v1.27 its SysTick one is used). No
// interrupt drives this one, so it leaves the instruction counts of `-icount shift=0`
// (fastpath.timing) unchanged; its resolution is 10 ms. The product wraps modulo 2**32, as
// unsigned tick arithmetic expects.
MP_WEAK mp_uint_t mp_hal_ticks_ms(void) {
    return FPGAIO_CLK100HZ * 10u;
}

// After each (hard or soft) reset's mp_init(), before the REPL: as ports/rp2/main.c does.
void __wrap_mp_init(void) {
    __real_mp_init();
    pyexec_frozen_module("_boot.py", false);
    int ret = pyexec_file_if_exists("boot.py");
    if (pyexec_mode_kind == PYEXEC_MODE_FRIENDLY_REPL && ret != 0 && !(ret & PYEXEC_FORCED_EXIT)) {
        pyexec_file_if_exists("main.py");
    }
}
