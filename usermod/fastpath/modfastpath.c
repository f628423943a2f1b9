// _fastpath: the "c" rung of the fastpath kernels. Each kernel's C file (usermod/fastpath/
// NAME.c) holds its raw loop and its binding; this file holds what they share (binding.h),
// the module's two buffer queries for the Python rungs, and the module table, made from the
// kernel list that micropython.mk (or micropython.cmake) finds by wildcard.
// Built as a native .mpy (natmod.mk, MICROPY_ENABLE_DYNRUNTIME), it is the glue instead: linked
// with one kernel's file into the module _fastpath_NAME, or alone into the module _fastpath
// of the two buffer queries, for firmware that does not have ours.
#include "binding.h"

#if MICROPY_ENABLE_DYNRUNTIME
// The native module's name, from natmod.mk: FASTPATH_NATMOD_KERNEL (the kernel's function
// object) and FASTPATH_NATMOD_QSTR (its name), or neither for the module _fastpath itself.
#include "fastpath_natmod.h"

const mp_obj_type_t *fastpath_natmod_type[4];
const mp_obj_type_t *fastpath_natmod_tuple; // (bss in a native module cannot be static)

// What the compiler calls on its own (zeroed arrays, struct copies), from the firmware through
// its function table, as upstream's examples/natmod do: armv6m's runtime libraries have none.
void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}

void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}

// Whether type is native or derives from it at any depth, through every base of a class with
// several (dynruntime.h's own test looks one level up only: class J(I) with class I(int)
// would be refused).
static bool fastpath_is_subclass(const mp_obj_type_t *type, const mp_obj_type_t *native) {
    for (;;) {
        if (type == native) {
            return true;
        }
        const void *parent = MP_OBJ_TYPE_GET_SLOT_OR_NULL(type, parent);
        if (parent == NULL) {
            return false;
        }
        if (((const mp_obj_base_t *)parent)->type == fastpath_natmod_tuple) {
            const mp_obj_tuple_t *bases = parent;
            for (size_t i = 0; i + 1 < bases->len; ++i) {
                if (fastpath_is_subclass(MP_OBJ_TO_PTR(bases->items[i]), native)) {
                    return true;
                }
            }
            type = MP_OBJ_TO_PTR(bases->items[bases->len - 1]);
        } else {
            type = parent;
        }
    }
}

// mp_obj_cast_to_native_base as the firmware has it: obj itself, the native object inside an
// instance of a subclass, or MP_OBJ_NULL.
static mp_obj_t fastpath_native_base(mp_obj_t obj, const mp_obj_type_t *native) {
    const mp_obj_type_t *type = mp_obj_get_type(obj);
    if (type == native) {
        return obj;
    }
    if (!fastpath_is_subclass(type, native)) {
        return MP_OBJ_NULL;
    }
    return ((mp_obj_instance_t *)MP_OBJ_TO_PTR(obj))->subobj[0];
}
#else
#include "py/binary.h"
#include "py/objint.h"

#define fastpath_native_base(obj, native) mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(native))
#endif

// The buffer of obj with the given MP_BUFFER_ flags, or false if it has none. A str (or str
// subclass) counts as no buffer; bytearray's internal typecode is reported as 'B'.
static bool fastpath_get_buffer(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags) {
    if (fastpath_native_base(obj, &mp_type_str) != MP_OBJ_NULL
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
    mp_obj_t base = fastpath_native_base(obj, &mp_type_int);
    if (base == MP_OBJ_NULL) {
        mp_raise_TypeError(type_msg);
    }
    if (mp_obj_is_small_int(base)) {
        mp_int_t v = MP_OBJ_SMALL_INT_VALUE(base);
        if (v >= 0 && ((mp_uint_t)v >> 16 >> 16) == 0) {
            return (uint32_t)v;
        }
    } else {
        #if MICROPY_ENABLE_DYNRUNTIME
        // The firmware's long-int layout is not known when the module is built: compare as
        // Python does (0xFFFFFFFF is a long int on a 32-bit port: this allocates one, as the
        // result of a CRC of 2**30 or more does anyway), then take the low 32 bits.
        if (mp_binary_op(MP_BINARY_OP_LESS, base, MP_OBJ_NEW_SMALL_INT(0)) == mp_const_false
            && mp_binary_op(MP_BINARY_OP_MORE, base, mp_obj_new_int_from_uint(0xFFFFFFFF))
            == mp_const_false) {
            return (uint32_t)mp_obj_get_int_truncated(base);
        }
        #elif MICROPY_LONGINT_IMPL == MICROPY_LONGINT_IMPL_MPZ
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

#if !MICROPY_ENABLE_DYNRUNTIME || !defined(FASTPATH_NATMOD_KERNEL)
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
    FASTPATH_ARG_TABLE allowed_args[] = {
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
#endif

#if MICROPY_ENABLE_DYNRUNTIME
#ifdef FASTPATH_NATMOD_KERNEL
extern const mp_obj_fun_builtin_var_t FASTPATH_NATMOD_KERNEL;
#endif

// The native module's body, run when it is imported: the builtins the bindings use, then its
// one function (the kernel's, or nbytes and typecode) in its globals.
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    // A fresh module's globals hold none of these names: mp_load_global finds the builtins.
    fastpath_natmod_type[0] = MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_int));
    fastpath_natmod_type[1] = MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_str));
    fastpath_natmod_type[2] = MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_TypeError));
    fastpath_natmod_type[3] = MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_ValueError));
    fastpath_natmod_tuple = ((mp_obj_base_t *)MP_OBJ_TO_PTR(mp_const_empty_tuple))->type;
    #ifdef FASTPATH_NATMOD_KERNEL
    mp_store_global(FASTPATH_NATMOD_QSTR, MP_OBJ_FROM_PTR(&FASTPATH_NATMOD_KERNEL));
    #else
    mp_store_global(MP_QSTR_nbytes, MP_OBJ_FROM_PTR(&fastpath_nbytes_obj));
    mp_store_global(MP_QSTR_typecode, MP_OBJ_FROM_PTR(&fastpath_typecode_obj));
    #endif
    MP_DYNRUNTIME_INIT_EXIT
}

#else

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

#endif // MICROPY_ENABLE_DYNRUNTIME
