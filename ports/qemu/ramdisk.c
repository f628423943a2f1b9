// qemu.RAMDisk(): the block device of the emulated board's /flash (modules/_boot.py mounts it).
//
// It is RAM the firmware does not otherwise use: QEMU's second SSRAM bank (mps2-an386: ZBT
// SSRAM 2 and 3, 4 MiB at 0x20000000; mps2.ld places everything in the first). So it costs no
// heap and no .bss, and only a new emulator clears it: files last over soft resets, as on a
// board's flash. The methods are C, as rp2.Flash's are: littlefs calls them without
// allocating, so they work with the heap locked too (a file's finaliser flushing it).
#include <string.h>

#include "py/runtime.h"
#include "extmod/vfs.h"

#define RAMDISK_BASE (0x20000000)
#define RAMDISK_BLOCK_SIZE (512)
#define RAMDISK_BLOCKS (2048) // 1 MiB
#define RAMDISK_BYTES (RAMDISK_BLOCK_SIZE * RAMDISK_BLOCKS)

typedef struct _qemu_ramdisk_obj_t {
    mp_obj_base_t base;
} qemu_ramdisk_obj_t;

static const qemu_ramdisk_obj_t qemu_ramdisk_obj;

// The address of len bytes at byte off of block n, which must lie on the disk.
static uint8_t *qemu_ramdisk_addr(mp_obj_t n_in, mp_obj_t off_in, size_t len) {
    mp_int_t n = mp_obj_get_int(n_in);
    mp_int_t off = off_in == MP_OBJ_NULL ? 0 : mp_obj_get_int(off_in);
    if (n < 0 || n > RAMDISK_BLOCKS || off < 0 || off > RAMDISK_BYTES || len > RAMDISK_BYTES
        || (size_t)n * RAMDISK_BLOCK_SIZE + off + len > RAMDISK_BYTES) {
        mp_raise_ValueError(MP_ERROR_TEXT("outside the disk"));
    }
    return (uint8_t *)RAMDISK_BASE + n * RAMDISK_BLOCK_SIZE + off;
}

static mp_obj_t qemu_ramdisk_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 0, false);
    return MP_OBJ_FROM_PTR(&qemu_ramdisk_obj);
}

// RAMDisk.readblocks(n, buf[, off]): buf from block n (at byte off of it).
static mp_obj_t qemu_ramdisk_readblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(args[2], &bufinfo, MP_BUFFER_WRITE);
    memcpy(bufinfo.buf, qemu_ramdisk_addr(args[1], n_args == 4 ? args[3] : MP_OBJ_NULL, bufinfo.len), bufinfo.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(qemu_ramdisk_readblocks_obj, 3, 4, qemu_ramdisk_readblocks);

// RAMDisk.writeblocks(n, buf[, off]): buf to block n (at byte off of it); RAM needs no erase.
static mp_obj_t qemu_ramdisk_writeblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(args[2], &bufinfo, MP_BUFFER_READ);
    memcpy(qemu_ramdisk_addr(args[1], n_args == 4 ? args[3] : MP_OBJ_NULL, bufinfo.len), bufinfo.buf, bufinfo.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(qemu_ramdisk_writeblocks_obj, 3, 4, qemu_ramdisk_writeblocks);

// RAMDisk.ioctl(op, arg): the block count and size; init, deinit, sync and erase do nothing.
static mp_obj_t qemu_ramdisk_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
            return MP_OBJ_NEW_SMALL_INT(RAMDISK_BLOCKS);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(RAMDISK_BLOCK_SIZE);
        case MP_BLOCKDEV_IOCTL_INIT:
        case MP_BLOCKDEV_IOCTL_DEINIT:
        case MP_BLOCKDEV_IOCTL_SYNC:
        case MP_BLOCKDEV_IOCTL_BLOCK_ERASE:
            return MP_OBJ_NEW_SMALL_INT(0);
        default:
            return mp_const_none;
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(qemu_ramdisk_ioctl_obj, qemu_ramdisk_ioctl);

static const mp_rom_map_elem_t qemu_ramdisk_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&qemu_ramdisk_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&qemu_ramdisk_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&qemu_ramdisk_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(qemu_ramdisk_locals_dict, qemu_ramdisk_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    qemu_ramdisk_type,
    MP_QSTR_RAMDisk,
    MP_TYPE_FLAG_NONE,
    make_new, qemu_ramdisk_make_new,
    locals_dict, &qemu_ramdisk_locals_dict
    );

static const qemu_ramdisk_obj_t qemu_ramdisk_obj = {{&qemu_ramdisk_type}};

static const mp_rom_map_elem_t qemu_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_qemu) },
    { MP_ROM_QSTR(MP_QSTR_RAMDisk), MP_ROM_PTR(&qemu_ramdisk_type) },
};
static MP_DEFINE_CONST_DICT(qemu_module_globals, qemu_module_globals_table);

const mp_obj_module_t qemu_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&qemu_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_qemu, qemu_module);
