"""Host-side tools behind tasks.py, kept here so tests can import them: the target runners
of the test harness (targets), benchmark reports (bench), the DfuSe file validator (dfuse),
flashing a Pyboard over USB DFU (flash) and copying compiled modules onto a running board or
the emulator (deploy)."""
