"""crc32's raw loops in inline Thumb assembler: crc32(), table-driven CRC-32, the loop of the
asm rung; hw_words(), the word feeder of the Pyboard's hw rung. The rungs, with their argument
checks, are in frozen/fastpath/kernels/crc32.py."""

import micropython


# crc32(p, n, crc, table) -> uint: the CRC-32 of the n bytes at p, from a running crc.
# r0: p, the next byte; r1: n, bytes left; r2: c, the running CRC, inverted; r3: the table.
# r4: scratch (the index, then the table entry); r5: words left.
# One step: c = TABLE[(c ^ byte) & 0xFF] ^ (c >> 8); lsl 24 then lsr 22 turns the low byte
# into its table offset (index * 4). Bytes one at a time up to a word boundary, then a word
# a pass (little-endian: xor it in, then four steps: 27 instructions), then the last n & 3.
@micropython.asm_thumb
def crc32(r0, r1, r2, r3) -> uint:
    mvn(r2, r2)
    label(HEAD)
    cmp(r1, 0)
    beq(DONE)
    mov(r4, 3)
    tst(r4, r0)
    beq(WORDS)
    ldrb(r4, [r0, 0])
    add(r0, 1)
    eor(r4, r2)
    lsl(r4, r4, 24)
    lsr(r4, r4, 22)
    add(r4, r4, r3)
    ldr(r4, [r4, 0])
    lsr(r2, r2, 8)
    eor(r2, r4)
    sub(r1, 1)
    b(HEAD)
    label(WORDS)
    lsr(r5, r1, 2)
    beq(TAIL)
    label(WORD)
    ldr(r4, [r0, 0])
    add(r0, 4)
    eor(r2, r4)
    lsl(r4, r2, 24)
    lsr(r4, r4, 22)
    add(r4, r4, r3)
    ldr(r4, [r4, 0])
    lsr(r2, r2, 8)
    eor(r2, r4)
    lsl(r4, r2, 24)
    lsr(r4, r4, 22)
    add(r4, r4, r3)
    ldr(r4, [r4, 0])
    lsr(r2, r2, 8)
    eor(r2, r4)
    lsl(r4, r2, 24)
    lsr(r4, r4, 22)
    add(r4, r4, r3)
    ldr(r4, [r4, 0])
    lsr(r2, r2, 8)
    eor(r2, r4)
    lsl(r4, r2, 24)
    lsr(r4, r4, 22)
    add(r4, r4, r3)
    ldr(r4, [r4, 0])
    lsr(r2, r2, 8)
    eor(r2, r4)
    sub(r5, 1)
    bne(WORD)
    label(TAIL)
    mov(r4, 3)
    and_(r1, r4)
    beq(DONE)
    label(BYTE)
    ldrb(r4, [r0, 0])
    add(r0, 1)
    eor(r4, r2)
    lsl(r4, r4, 24)
    lsr(r4, r4, 22)
    add(r4, r4, r3)
    ldr(r4, [r4, 0])
    lsr(r2, r2, 8)
    eor(r2, r4)
    sub(r1, 1)
    bne(BYTE)
    label(DONE)
    mvn(r0, r2)


# hw_words(data, words, dr): the hw rung's inner loop (Pyboard only; see hw in
# frozen/fastpath/kernels/crc32.py). Each little-endian word of data, bit-reversed, is written
# to the word at address dr, the CRC unit's data register: the unit then walks zlib's bits in
# zlib's order. r0: p, the next word (any alignment: the M4 loads unaligned words); r1: words left;
# r2: dr; r3: the word. RBIT (ARMv7-M, T1 encoding FA90|Rm, F0A0 | Rd<<8 | Rm) is asm_thumb's
# rbit(); 6 instructions a word. Pointed at a RAM word instead of the register, the emulator
# tests it (tests/test_crc32.py, test_rbit_word_feeder_on_the_emulator).
@micropython.asm_thumb
def hw_words(r0, r1, r2):
    cmp(r1, 0)
    beq(DONE)
    label(WORD)
    ldr(r3, [r0, 0])
    rbit(r3, r3)
    str(r3, [r2, 0])
    add(r0, 4)
    sub(r1, 1)
    bne(WORD)
    label(DONE)
