// Minimal start-up for running the kernel tests bare-metal on QEMU's mps2-an386 (Cortex-M4F):
// the vector table, then .data/.bss set-up, the FPU switched on (newlib's hard-float build may
// use it), and main() with its exit status passed to QEMU through semihosting (newlib rdimon).
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
extern void initialise_monitor_handles(void);

// No C++ constructors or destructors here: newlib's exit() only needs the symbols.
void _init(void) {
}

void _fini(void) {
}

void Reset_Handler(void) {
    for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    // CPACR: full access to coprocessors 10 and 11 (the FPU).
    *(volatile uint32_t *)0xE000ED88 |= 0xF << 20;
    __asm__ volatile ("dsb\n isb");
    initialise_monitor_handles();
    exit(main());
}

// A fault ends the run with a failure status (SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown).
void Fault_Handler(void) {
    register uint32_t op __asm__ ("r0") = 0x18;
    register uint32_t reason __asm__ ("r1") = 0x20023;
    __asm__ volatile ("bkpt 0xab" : : "r" (op), "r" (reason) : "memory");
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used))
static const void *const vectors[16] = {
    &_estack,
    Reset_Handler,
    Fault_Handler, // NMI
    Fault_Handler, // HardFault
    Fault_Handler, // MemManage
    Fault_Handler, // BusFault
    Fault_Handler, // UsageFault
};
