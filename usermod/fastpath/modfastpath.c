// _fastpath: the "c" tier of the fastpath kernels. Each kernel's C file (usermod/fastpath/
// NAME.c) holds its raw loop and its binding; this file holds what they share (binding.h),
// the module's two buffer queries for the Python rungs, and the module table, made from the
// kernel list that micropython.mk (or micropython.cmake) finds by wildcard.
#include "py/binary.h"
#include "py/objint.h"

#include "binding.h"

// The buffer of obj with the given MP_BUFFER_ flags, or false if it has none. A str (or str
// subclass) counts as no buffer; bytearray's internal typecode is reported as 'B'.
static bool fastpath_get_buffer(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags) {
    if (mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(&mp_type_str)) != MP_OBJ_NULL
        || !mp_get_buffer(obj, bufinfo, flags)) {
        return false;
    }
    if (bufinfo->typecode == BYTEARRAY_TYPECODE) {
        bufinfo->typecode = 'B';
    }
    return true;
}

void fastpath_arg_buffer(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_rom_error_text_t msg) {
    if (!fastpath_get_buffer(obj, bufinfo, MP_BUFFER_READ)) {
        mp_raise_TypeError(msg);
    }
}

void fastpath_arg_bytes(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags,
    mp_rom_error_text_t msg) {
    if (!fastpath_get_buffer(obj, bufinfo, flags)
        || (bufinfo->typecode != 'B' && bufinfo->typecode != 'b')) {
        mp_raise_TypeError(msg);
    }
}

size_t fastpath_arg_q15(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags,
    mp_rom_error_text_t msg) {
    if (!fastpath_get_buffer(obj, bufinfo, flags) || bufinfo->typecode != 'h') {
        mp_raise_TypeError(msg);
    }
    return bufinfo->len / sizeof(int16_t);
}

uint32_t fastpath_arg_u32(mp_obj_t obj, mp_rom_error_text_t type_msg,
    mp_rom_error_text_t range_msg) {
    if (mp_obj_is_bool(obj)) {
        return obj == mp_const_true;
    }
    mp_obj_t base = mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(&mp_type_int));
    if (base == MP_OBJ_NULL) {
        mp_raise_TypeError(type_msg);
    }
    if (mp_obj_is_small_int(base)) {
        mp_int_t v = MP_OBJ_SMALL_INT_VALUE(base);
        if (v >= 0 && ((mp_uint_t)v >> 16 >> 16) == 0) {
            return (uint32_t)v;
        }
    } else {
        #if MICROPY_LONGINT_IMPL == MICROPY_LONGINT_IMPL_MPZ
        mp_uint_t v;
        const mp_obj_int_t *big = MP_OBJ_TO_PTR(base);
        if (mpz_as_uint_checked(&big->mpz, &v) && (v >> 16 >> 16) == 0) {
            return (uint32_t)v;
        }
        #elif MICROPY_LONGINT_IMPL == MICROPY_LONGINT_IMPL_LONGLONG
        const mp_obj_int_t *big = MP_OBJ_TO_PTR(base);
        if (big->val >= 0 && big->val <= 0xFFFFFFFF) {
            return (uint32_t)big->val;
        }
        #endif
    }
    mp_raise_ValueError(range_msg);
}

// nbytes(obj) -> int: len(memoryview(obj)) * itemsize, the raw byte length of a buffer.
static mp_obj_t fastpath_nbytes(mp_obj_t obj) {
    mp_buffer_info_t data;
    fastpath_arg_buffer(obj, &data, MP_ERROR_TEXT("data must be a buffer"));
    return mp_obj_new_int_from_uint(data.len);
}
static MP_DEFINE_CONST_FUN_OBJ_1(fastpath_nbytes_obj, fastpath_nbytes);

// typecode(obj, writable=False) -> int or None: ord(memoryview(obj).format), or None if obj
// has no buffer (str counts as none), or none that is writable when writable is true.
static mp_obj_t fastpath_typecode(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_obj, ARG_writable };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_obj, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_writable, MP_ARG_BOOL, {.u_bool = false} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_buffer_info_t bufinfo;
    mp_uint_t flags = args[ARG_writable].u_bool ? MP_BUFFER_WRITE : MP_BUFFER_READ;
    if (!fastpath_get_buffer(args[ARG_obj].u_obj, &bufinfo, flags)) {
        return mp_const_none;
    }
    return MP_OBJ_NEW_SMALL_INT(bufinfo.typecode);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(fastpath_typecode_obj, 1, fastpath_typecode);

// The kernels' function objects (binding.h), one per name in the generated list.
#define FASTPATH_KERNEL(name) extern const mp_obj_fun_builtin_var_t fastpath_##name##_obj;
#include "fastpath_kernels.h"
#undef FASTPATH_KERNEL

static const mp_rom_map_elem_t fastpath_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__fastpath) },
    #define FASTPATH_KERNEL(name) { MP_ROM_QSTR(MP_QSTR_##name), MP_ROM_PTR(&fastpath_##name##_obj) },
    #include "fastpath_kernels.h"
    #undef FASTPATH_KERNEL
    { MP_ROM_QSTR(MP_QSTR_nbytes), MP_ROM_PTR(&fastpath_nbytes_obj) },
    { MP_ROM_QSTR(MP_QSTR_typecode), MP_ROM_PTR(&fastpath_typecode_obj) },
};
static MP_DEFINE_CONST_DICT(fastpath_module_globals, fastpath_module_globals_table);

const mp_obj_module_t fastpath_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&fastpath_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__fastpath, fastpath_user_cmodule);
