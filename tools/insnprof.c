// insnprof: a QEMU TCG plugin that counts the guest instructions executed inside a window,
// per instruction address and per Python function. Built and driven by tools/profile.py.
//
//   qemu-system-arm ... -plugin insnprof.so,out=FILE,mark=ADDR,regions=FILE,bc=ADDR
//
// mark: a store to this address opens a window, the next load from it closes it (the CMSDK
//   timer's VALUE register: fastpath.timing.start() writes it back, ticks() reads it, so a
//   window is exactly what the bench times). At each close the plugin appends to out
//       window N TOTAL
//       PC KEY COUNT          (one line per instruction address and Python function)
//       end
//   and forgets the counts. Instructions outside windows are not counted.
// regions: "START SIZE" lines (hex), the frozen functions' fun_data arrays: native, viper and
//   asm code runs inside them, the VM reads bytecode from them.
// bc: the address of fun_bc_call, where every call of a bytecode function begins.
//
// KEY names the innermost Python function running: the start of its fun_data region; 0 for
// the frame that opened the window (the bench's measure()), 2 for C code it calls (the call
// of a function up to the function's own code; a C rung), 1 for a bytecode function that
// never read a byte of a frozen function (not frozen). It is tracked with a shadow call
// stack: a BL or BLX pushes its return address, reaching the return address on top pops it.
// A frame becomes a Python function's when code of a fun_data region runs in it (native
// code), or when fun_bc_call starts in it (its key is then the region of the first fun_data
// byte read: fun_bc_call reads the callee's bytecode prelude before anything else).
// The counts are exact: one callback before every instruction, and QEMU does not call it
// again when it re-executes an instruction that did I/O. The keys assume that calls return
// where they were called from, which a non-local exit (nlr_jump: a Python exception)
// breaks: tools/profile.py warns when one ran.
//
// The plugin API (QEMU 4.2 and later, API version 1) is declared below from QEMU's
// include/qemu/qemu-plugin.h, so that no QEMU headers are needed to build this file.

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// --- the QEMU plugin API, version 1 (the subset used here) -------------------------------

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

typedef struct {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
    uint64_t vaddr, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
    qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
    qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
    qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw,
    void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
    void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

// --- state ------------------------------------------------------------------------------

#define KEY_CALLER 0u   // the frame that opened the window
#define KEY_PENDING 1u  // a bytecode function whose bytecode was not read yet
#define KEY_CALLEE 2u   // C code called by the caller's frame: the call itself, a C rung
#define INLINE_KEYS 4   // (key, count) pairs kept in an instruction's record
#define MAX_DEPTH 4096
#define MAX_BUFFERED 64 // instructions of a pending frame counted once its key is known

typedef struct slot {
    uint32_t key;
    uint64_t count;
    struct slot *next; // more keys than INLINE_KEYS
} slot_t;

// One per guest instruction address, made when it is first translated (a retranslation
// finds it again), never freed.
typedef struct insn {
    uint32_t pc;
    uint32_t ret;    // the return address when the instruction is a call (BL, BLX), else 0
    uint32_t region; // the fun_data region the instruction lies in, else 0
    bool used;       // has a count in the open window (it is on the used list)
    struct insn *used_next;
    slot_t slots[INLINE_KEYS];
    struct insn *hash_next;
} insn_t;

typedef struct {
    uint32_t ret;
    uint32_t key;
} frame_t;

static FILE *out;
static uint32_t mark_addr = UINT32_MAX;
static uint32_t bc_entry = UINT32_MAX;
static uint32_t *regions; // start, size pairs, sorted by start
static size_t n_regions;

static bool window_open;
static unsigned windows;
static uint64_t total;
static insn_t *used;
static frame_t stack[MAX_DEPTH];
static int depth;   // frames on the stack; stack[0] is the caller's
static bool overflow;
// The frame whose bytecode function is not known yet (-1: none), and what ran since it began
// (in it and in the frames above it), counted once the function is known.
static int pending = -1;
static int n_buffered;
static insn_t *buffered[MAX_BUFFERED];

#define HASH_BITS 16
static insn_t *table[1u << HASH_BITS];

static uint32_t region_of(uint32_t addr) {
    // The start of the region holding addr, else 0 (binary search).
    size_t lo = 0, hi = n_regions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (regions[2 * mid] <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo && addr - regions[2 * (lo - 1)] < regions[2 * (lo - 1) + 1]) {
        return regions[2 * (lo - 1)];
    }
    return 0;
}

static void count(insn_t *in, uint32_t key) {
    // One execution of in under key.
    slot_t *s = NULL;
    for (int i = 0; i < INLINE_KEYS; i++) {
        if (in->slots[i].key == key || in->slots[i].count == 0) {
            s = &in->slots[i];
            break;
        }
    }
    if (s == NULL) {
        for (s = in->slots[INLINE_KEYS - 1].next; s && s->key != key; s = s->next) {
        }
        if (s == NULL) {
            s = calloc(1, sizeof(*s));
            s->key = key;
            s->next = in->slots[INLINE_KEYS - 1].next;
            in->slots[INLINE_KEYS - 1].next = s;
        }
    }
    s->key = key;
    s->count++;
    if (!in->used) {
        in->used = true;
        in->used_next = used;
        used = in;
    }
}

static void resolve(uint32_t key) {
    // The pending frame's function is key: it and the frames above it run under it now, and
    // what they ran so far is counted under it.
    for (int d = pending; d < depth; d++) {
        stack[d].key = key;
    }
    for (int i = 0; i < n_buffered; i++) {
        count(buffered[i], key);
    }
    n_buffered = 0;
    pending = -1;
}

static void open_window(void) {
    window_open = true;
    total = 0;
    depth = 1;
    overflow = false;
    pending = -1;
    n_buffered = 0;
    stack[0].ret = UINT32_MAX;
    stack[0].key = KEY_CALLER;
}

static void close_window(void) {
    // Write the window's counts and forget them.
    if (pending >= 0) {
        resolve(KEY_PENDING);
    }
    window_open = false;
    fprintf(out, "window %u %" PRIu64 "%s\n", windows++, total, overflow ? " overflow" : "");
    for (insn_t *in = used; in; in = in->used_next) {
        in->used = false;
        for (int i = 0; i < INLINE_KEYS; i++) {
            slot_t *s = &in->slots[i];
            if (s->count) {
                fprintf(out, "%" PRIx32 " %" PRIx32 " %" PRIu64 "\n", in->pc, s->key, s->count);
                s->count = 0;
            }
        }
        for (slot_t *s = in->slots[INLINE_KEYS - 1].next; s; s = s->next) {
            if (s->count) {
                fprintf(out, "%" PRIx32 " %" PRIx32 " %" PRIu64 "\n", in->pc, s->key, s->count);
                s->count = 0;
            }
        }
    }
    used = NULL;
    fprintf(out, "end\n");
    fflush(out);
}

// --- callbacks --------------------------------------------------------------------------

static void on_insn(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    insn_t *in = userdata;
    if (!window_open) {
        return;
    }
    total++;
    if (in->pc == stack[depth - 1].ret) { // returned from the call on top
        depth--;
        if (pending >= depth) { // its bytecode function never read a frozen byte
            resolve(KEY_PENDING);
        }
    }
    frame_t *top = &stack[depth - 1];
    if (depth > 1) {
        if (in->pc == bc_entry) { // a bytecode function's frame, named by its first read
            if (pending >= 0) {
                resolve(KEY_PENDING);
            }
            pending = depth - 1;
        } else if (in->region && in->region != top->key && pending < 0) {
            top->key = in->region; // native code entered: this frame is its function's
        }
    }
    if (pending >= 0 && n_buffered < MAX_BUFFERED) {
        buffered[n_buffered++] = in;
    } else {
        // Native code counts under its own function, even in the caller's frame.
        count(in, in->region ? in->region : pending >= 0 ? KEY_PENDING : top->key);
    }
    if (in->ret) {
        if (depth == MAX_DEPTH) {
            overflow = true; // the keys are unreliable from here; the counts are not
            return;
        }
        stack[depth].ret = in->ret;
        stack[depth].key = depth == 1 ? KEY_CALLEE : top->key;
        depth++;
    }
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *ud) {
    (void)vcpu;
    (void)ud;
    bool store = qemu_plugin_mem_is_store(info);
    if (vaddr == mark_addr) {
        if (store) {
            open_window();
        } else if (window_open) {
            close_window();
        }
        return;
    }
    if (window_open && !store && pending >= 0) {
        uint32_t r = region_of((uint32_t)vaddr);
        if (r) {
            resolve(r);
        }
    }
}

static insn_t *insn_at(uint32_t pc, const uint8_t *data, size_t size) {
    unsigned h = (pc >> 1) & ((1u << HASH_BITS) - 1);
    for (insn_t *in = table[h]; in; in = in->hash_next) {
        if (in->pc == pc) {
            return in;
        }
    }
    insn_t *in = calloc(1, sizeof(*in));
    in->pc = pc;
    in->region = region_of(pc);
    uint16_t hw1 = (uint16_t)(data[0] | data[1] << 8);
    if (size == 4) {
        uint16_t hw2 = (uint16_t)(data[2] | data[3] << 8);
        if ((hw1 & 0xF800) == 0xF000 && (hw2 & 0xD000) == 0xD000) { // BL <label>
            in->ret = pc + 4;
        }
    } else if ((hw1 & 0xFF87) == 0x4780) { // BLX <Rm>
        in->ret = pc + 2;
    }
    in->hash_next = table[h];
    table[h] = in;
    return in;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *qi = qemu_plugin_tb_get_insn(tb, i);
        insn_t *in = insn_at((uint32_t)qemu_plugin_insn_vaddr(qi), qemu_plugin_insn_data(qi),
            qemu_plugin_insn_size(qi));
        qemu_plugin_register_vcpu_insn_exec_cb(qi, on_insn, QEMU_PLUGIN_CB_NO_REGS, in);
        qemu_plugin_register_vcpu_mem_cb(qi, on_mem, QEMU_PLUGIN_CB_NO_REGS,
            QEMU_PLUGIN_MEM_RW, NULL);
    }
}

static void on_quit(qemu_plugin_id_t id, void *userdata) {
    (void)id;
    (void)userdata;
    if (window_open) {
        close_window();
    }
    fclose(out);
}

// --- installation -----------------------------------------------------------------------

static int fail(const char *what) {
    char text[256];
    snprintf(text, sizeof(text), "insnprof: %s\n", what);
    qemu_plugin_outs(text);
    return -1;
}

static int read_regions(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t cap = 0;
    unsigned start, size;
    while (fscanf(f, "%x %x", &start, &size) == 2) {
        if (n_regions == cap) {
            cap = cap ? 2 * cap : 256;
            regions = realloc(regions, 2 * cap * sizeof(*regions));
        }
        regions[2 * n_regions] = start;
        regions[2 * n_regions + 1] = size;
        n_regions++;
    }
    fclose(f);
    for (size_t i = 1; i < n_regions; i++) {
        if (regions[2 * i] < regions[2 * i - 2]) {
            return -1; // must be sorted
        }
    }
    return 0;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
    const qemu_info_t *info, int argc, char **argv) {
    if (info->version.min > 1) {
        return fail("this QEMU's plugin API is newer than version 1");
    }
    for (int i = 0; i < argc; i++) {
        char *value = strchr(argv[i], '=');
        if (value == NULL) {
            return fail("arguments are key=value");
        }
        *value++ = '\0';
        if (strcmp(argv[i], "out") == 0) {
            out = fopen(value, "w");
            if (out == NULL) {
                return fail("cannot write out=");
            }
        } else if (strcmp(argv[i], "mark") == 0) {
            mark_addr = (uint32_t)strtoul(value, NULL, 0);
        } else if (strcmp(argv[i], "bc") == 0) {
            bc_entry = (uint32_t)strtoul(value, NULL, 0);
        } else if (strcmp(argv[i], "regions") == 0) {
            if (read_regions(value)) {
                return fail("cannot read regions= (START SIZE lines in hex, sorted)");
            }
        } else {
            return fail("unknown argument; use out, mark, regions, bc");
        }
    }
    if (out == NULL || mark_addr == UINT32_MAX) {
        return fail("out= and mark= are required");
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_quit, NULL);
    return 0;
}
