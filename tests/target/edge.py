# Buffers cut from the very end of the GC heap, for the sanitizer build (unix-asan).
#
# The heap is one malloc'd block, so AddressSanitizer sees nothing that goes wrong inside it;
# a buffer that ends exactly where the heap ends is followed by the block's redzone, and
# reading or writing one byte past it is a heap-buffer-overflow report. ladder.py's vary()
# puts at most one buffer of a call there (EDGE.free), as an EdgeArena does below.

import gc

import uctypes


class EdgeArena:
    def __init__(self, blocks=2048):
        # An array('h') of about `blocks` GC blocks (32 bytes on 64-bit unix) whose items end
        # exactly where the GC heap ends. Allocation is first fit: fill the heap's free tail
        # up to its last `blocks` blocks, then the largest array that still fits goes there.
        from array import array

        gc.collect()
        reserve = bytearray(1 << 20)  # keeps room below the arena for the tests
        lo, hi = 0, gc.mem_free() // 32 + 1
        while hi - lo > 1:  # lo: the largest free run in blocks, the heap's tail
            mid = (lo + hi) // 2
            try:
                bytearray(32 * mid)
                lo = mid
            except MemoryError:
                hi = mid
            gc.collect()
        filler = bytearray(32 * (lo - blocks))
        k = blocks + 4
        while True:
            try:
                self.arena = array("h", range(16 * k))
                break
            except MemoryError:
                k -= 1
                gc.collect()
        del reserve, filler
        gc.collect()
        self.end = uctypes.addressof(self.arena) + 2 * len(self.arena)  # first byte past it
        self.free = True

    def reset(self):
        self.free = True

    def bytes_at_end(self, raw):
        # raw, as a bytearray view ending at the heap's last byte (at any byte alignment).
        self.free = False
        b = uctypes.bytearray_at(self.end - len(raw), len(raw))
        b[:] = raw
        return b

    def q15_at_end(self, raw):
        # raw, as a memoryview of int16 items ending at the heap's last byte.
        self.free = False
        n = len(raw) // 2
        v = memoryview(self.arena)[len(self.arena) - n:]
        memoryview(uctypes.bytearray_at(self.end - 2 * n, 2 * n))[:] = raw
        return v

