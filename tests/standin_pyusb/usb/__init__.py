"""A stand-in for pyusb that plays the STM32F405's ROM DFU bootloader (DfuSe, ST AN3156)
over a simulated flash, for MicroPython's tools/pydfu.py and tools/pydfu_rw.py without a
board. Put tests/standin_pyusb first on PYTHONPATH; the state (the same folder layout as
tests/standin_dfu_util.py: board, flash.bin) is the folder in $FASTPATH_DFU_STATE, so
separate processes see one board. $FASTPATH_DFU_CORRUPT="ADDRESS" programs that byte wrong;
$FASTPATH_DFU_DENIED=1 lists the board but refuses to open it (no udev rule).
"""
