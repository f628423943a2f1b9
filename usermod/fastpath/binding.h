// What a kernel's binding uses: the part of usermod/fastpath/NAME.c under FASTPATH_BINDING,
// which checks the Python arguments and calls the kernel's raw loop. The argument helpers
// raise the messages of docs/kernels.md (as the Python rungs do, frozen/fastpath/_args.py).
//
// One binding, two deliveries: built into the firmware (micropython.mk), and linked into a
// native .mpy module per kernel for stock firmware (natmod.mk, MICROPY_ENABLE_DYNRUNTIME).
// What differs between the two is here and in modfastpath.c, never in a kernel's file.
#ifndef MICROPY_INCLUDED_FASTPATH_BINDING_H
#define MICROPY_INCLUDED_FASTPATH_BINDING_H

#if MICROPY_ENABLE_DYNRUNTIME
#include "py/dynruntime.h"

// dynruntime.h finds int, str, TypeError and ValueError by name at each use, in the caller's
// globals (a caller's `TypeError = RuntimeError` would change what we raise): here they are
// the builtins, looked up once when the module is loaded (modfastpath.c's mpy_init).
extern const mp_obj_type_t *fastpath_natmod_type[4];
#undef mp_type_int
#define mp_type_int (*fastpath_natmod_type[0])
#undef mp_type_str
#define mp_type_str (*fastpath_natmod_type[1])
#undef mp_type_TypeError
#define mp_type_TypeError (*fastpath_natmod_type[2])
#undef mp_type_ValueError
#define mp_type_ValueError (*fastpath_natmod_type[3])
// A native module knows its qstrs only once loaded, so an argument table cannot be a static
// constant there: it is built on the stack at each call.
#define FASTPATH_ARG_TABLE const mp_arg_t
#else
#include "py/runtime.h"
// A keyword binding's mp_arg_t table: FASTPATH_ARG_TABLE allowed_args[] = { ... };
#define FASTPATH_ARG_TABLE static const mp_arg_t
#endif

// The function object of kernel NAME, which modfastpath.c puts in the _fastpath module as
// NAME: one object type (mp_obj_fun_builtin_var_t) for every kernel, so that the module table
// can declare them all without knowing each one's arity.
//   FASTPATH_FUNCTION(name, n_min, n_max, fun): fun(size_t n_args, const mp_obj_t *args)
//   FASTPATH_FUNCTION_KW(name, n_min, fun): fun(n_args, pos_args, kw_args), keywords too
#define FASTPATH_FUNCTION(name, n_min, n_max, fun) \
    MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(fastpath_##name##_obj, n_min, n_max, fun)
#define FASTPATH_FUNCTION_KW(name, n_min, fun) \
    MP_DEFINE_CONST_FUN_OBJ_KW(fastpath_##name##_obj, n_min, fun)

// Kind "buffer": any buffer for reading, else TypeError("<name> must be a buffer").
void fastpath_arg_buffer(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_rom_error_text_t msg);

// Kinds "bytes" and "bytes_out": a buffer of bytes, typecode 'B' (bytes, bytearray,
// array('B')) or 'b', writable if flags has MP_BUFFER_WRITE; else TypeError(msg).
void fastpath_arg_bytes(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags,
    mp_rom_error_text_t msg);

// Kinds "q15" and "q15_out": a buffer of typecode 'h' (writable if flags has
// MP_BUFFER_WRITE), else TypeError(msg). Returns its length in items.
size_t fastpath_arg_q15(mp_obj_t obj, mp_buffer_info_t *bufinfo, mp_uint_t flags,
    mp_rom_error_text_t msg);

// Kind "u32": any int (bool and int subclasses too) in 0..0xFFFFFFFF, else
// TypeError(type_msg) or ValueError(range_msg). Exact on 32-bit ports, where
// 0x40000000..0xFFFFFFFF are long ints, and on 64-bit ports.
uint32_t fastpath_arg_u32(mp_obj_t obj, mp_rom_error_text_t type_msg,
    mp_rom_error_text_t range_msg);

#endif // MICROPY_INCLUDED_FASTPATH_BINDING_H
