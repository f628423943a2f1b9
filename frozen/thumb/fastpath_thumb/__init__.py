"""Inline Thumb assembler tiers (Cortex-M targets only).

Each module here holds `asm` for one kernel: a validating Python wrapper around an
@micropython.asm_thumb function. KERNELS names the kernels that have one.
"""

KERNELS = ("crc32", "fir_q15", "popcount", "rgb565", "toggle")
