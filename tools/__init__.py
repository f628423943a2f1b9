"""Host-side tools behind tasks.py: the test harness's target runners (targets), the DfuSe
file validator (dfuse), flashing a Pyboard over USB DFU (flash) and copying compiled modules
onto a running board or the emulator (deploy). Tests import them directly."""
