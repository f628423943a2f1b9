// _fastpath: the "c" tier of the fastpath kernels. Thin wrappers: check the arguments with the
// messages of docs/kernels.md, then call the raw loops of kernels.h. Nothing here allocates on
// the success path, except crc32's and popcount's return values of 2**30 and more.
#include "py/binary.h"
#include "py/objint.h"
#include "py/runtime.h"

#include "kernels.h"

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

// Any buffer for reading, else TypeError("data must be a buffer").
static void fastpath_get_data(mp_obj_t obj, mp_buffer_info_t *bufinfo) {
    if (!fastpath_get_buffer(obj, bufinfo, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("data must be a buffer"));
    }
}

// A buffer of typecode 'h' (writable if flags has MP_BUFFER_WRITE), else TypeError(msg).
// Returns its length in elements.
static size_t fastpath_get_int16(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags,
    mp_rom_error_text_t msg) {
    if (!fastpath_get_buffer(obj, bufinfo, flags) || bufinfo->typecode != 'h') {
        mp_raise_TypeError(msg);
    }
    return bufinfo->len / sizeof(int16_t);
}

// A buffer of bytes: typecode 'B' (bytes, bytearray, array('B')) or 'b', else TypeError(msg).
static void fastpath_get_bytes(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags,
    mp_rom_error_text_t msg) {
    if (!fastpath_get_buffer(obj, bufinfo, flags)
        || (bufinfo->typecode != 'B' && bufinfo->typecode != 'b')) {
        mp_raise_TypeError(msg);
    }
}

// The crc argument as uint32: any int (bool and int subclasses too) in 0..0xFFFFFFFF. Exact on
// 32-bit ports, where 0x40000000..0xFFFFFFFF are long ints, and on 64-bit ports.
static uint32_t fastpath_get_crc(mp_obj_t obj) {
    if (mp_obj_is_bool(obj)) {
        return obj == mp_const_true;
    }
    mp_obj_t base = mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(&mp_type_int));
    if (base == MP_OBJ_NULL) {
        mp_raise_TypeError(MP_ERROR_TEXT("crc must be an int"));
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
    mp_raise_ValueError(MP_ERROR_TEXT("crc must be in range 0..0xFFFFFFFF"));
}

// crc32(data, crc=0) -> int: zlib.crc32(data, crc), over the raw bytes of any buffer.
static mp_obj_t fastpath_crc32(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_data, ARG_crc };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_data, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_crc, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(0)} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_buffer_info_t data;
    fastpath_get_data(args[ARG_data].u_obj, &data);
    uint32_t crc = fastpath_get_crc(args[ARG_crc].u_obj);
    return mp_obj_new_int_from_uint(fastpath_crc32_raw(crc, data.buf, data.len));
}
static MP_DEFINE_CONST_FUN_OBJ_KW(fastpath_crc32_obj, 1, fastpath_crc32);

// fir_q15(x, h, y) -> int: y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15) for
// i < n = len(x) - len(h) + 1; returns n. Exact int64 sums, saturated once at the end.
static mp_obj_t fastpath_fir_q15(mp_obj_t x_in, mp_obj_t h_in, mp_obj_t y_in) {
    mp_buffer_info_t x, h, y;
    size_t nx = fastpath_get_int16(x_in, &x, MP_BUFFER_READ,
        MP_ERROR_TEXT("x must be array('h')"));
    size_t nh = fastpath_get_int16(h_in, &h, MP_BUFFER_READ,
        MP_ERROR_TEXT("h must be array('h')"));
    size_t ny = fastpath_get_int16(y_in, &y, MP_BUFFER_WRITE,
        MP_ERROR_TEXT("y must be array('h')"));
    if (nh == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("h must not be empty"));
    }
    if (nx < nh) {
        mp_raise_ValueError(MP_ERROR_TEXT("x must be at least as long as h"));
    }
    if (ny < nx - nh + 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("y is too short"));
    }
    size_t n = fastpath_fir_q15_raw(x.buf, nx, h.buf, nh, y.buf);
    return MP_OBJ_NEW_SMALL_INT(n);
}
static MP_DEFINE_CONST_FUN_OBJ_3(fastpath_fir_q15_obj, fastpath_fir_q15);

// popcount(data) -> int: the number of set bits in the raw bytes of data.
static mp_obj_t fastpath_popcount(mp_obj_t data_in) {
    mp_buffer_info_t data;
    fastpath_get_data(data_in, &data);
    return mp_obj_new_int_from_uint(fastpath_popcount_raw(data.buf, data.len));
}
static MP_DEFINE_CONST_FUN_OBJ_1(fastpath_popcount_obj, fastpath_popcount);

// rgb565(src, dst) -> None: v = (r & 0xF8) << 8 | (g & 0xFC) << 3 | b >> 3 for each pixel r, g, b
// of src; dst[2i] = v >> 8, dst[2i + 1] = v & 0xFF.
static mp_obj_t fastpath_rgb565(mp_obj_t src_in, mp_obj_t dst_in) {
    mp_buffer_info_t src, dst;
    fastpath_get_bytes(src_in, &src, MP_BUFFER_READ, MP_ERROR_TEXT("src must be a byte buffer"));
    fastpath_get_bytes(dst_in, &dst, MP_BUFFER_WRITE,
        MP_ERROR_TEXT("dst must be a writable byte buffer"));
    if (src.len % 3 != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("src length must be a multiple of 3"));
    }
    if (dst.len != src.len / 3 * 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("dst length must be 2/3 of src length"));
    }
    fastpath_rgb565_raw(src.buf, dst.buf, src.len / 3);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(fastpath_rgb565_obj, fastpath_rgb565);

// nbytes(obj) -> int: len(memoryview(obj)) * itemsize, the raw byte length of a buffer.
static mp_obj_t fastpath_nbytes(mp_obj_t obj) {
    mp_buffer_info_t data;
    fastpath_get_data(obj, &data);
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

static const mp_rom_map_elem_t fastpath_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__fastpath) },
    { MP_ROM_QSTR(MP_QSTR_crc32), MP_ROM_PTR(&fastpath_crc32_obj) },
    { MP_ROM_QSTR(MP_QSTR_fir_q15), MP_ROM_PTR(&fastpath_fir_q15_obj) },
    { MP_ROM_QSTR(MP_QSTR_popcount), MP_ROM_PTR(&fastpath_popcount_obj) },
    { MP_ROM_QSTR(MP_QSTR_rgb565), MP_ROM_PTR(&fastpath_rgb565_obj) },
    { MP_ROM_QSTR(MP_QSTR_nbytes), MP_ROM_PTR(&fastpath_nbytes_obj) },
    { MP_ROM_QSTR(MP_QSTR_typecode), MP_ROM_PTR(&fastpath_typecode_obj) },
};
static MP_DEFINE_CONST_DICT(fastpath_module_globals, fastpath_module_globals_table);

const mp_obj_module_t fastpath_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&fastpath_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__fastpath, fastpath_user_cmodule);
