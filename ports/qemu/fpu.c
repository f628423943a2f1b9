// Enable the Cortex-M4 FPU before the qemu port's startup reaches main().
#include <stdint.h>

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88)

void __real_uart_init(void);
void __wrap_uart_init(void);

// Linked in place of uart_init() (-Wl,--wrap=uart_init), which _start() calls first.
void __wrap_uart_init(void) {
    // Full access to coprocessors 10 and 11 (the FPU); the barriers make it take effect
    // before the next instruction, as the ARMv7-M manual requires.
    SCB_CPACR |= 0xfu << 20;
    __asm volatile ("dsb\n\tisb" ::: "memory");
    __real_uart_init();
}
