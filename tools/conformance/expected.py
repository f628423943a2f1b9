# Failures and skips of MicroPython's test suite that our configuration causes and upstream's
# own build does not have: ./inv conformance (tools/conformance/) accepts these and nothing
# else, besides the skips upstream's own build has too (upstream.json).
#
# One entry per cause: (targets, modes, test, result, reason[, report])
# - targets: comma-separated unix, unix-asan, qemu, or "*"
# - modes: comma-separated run modes (default, thread, native, via-mpy, via-mpy-native,
#   asmfp), or "*"
# - test: a path under tests/ as run-tests.py names it, or an fnmatch pattern of them
# - result: "skip" or "fail"
# - report: for a sanitizer failure, the file:line in MicroPython's tree that the report must
#   name (a report anywhere else, and any report in our code, is never accepted)
#
# The unix runs compare with upstream's ports/unix standard variant, which upstream's CI builds
# with btree (lib/berkeley-db-1.xx), ssl (lib/mbedtls) and ffi (libffi, and the ffi_lib.so
# its CI compiles into tests/ports/unix/). ports/unix turns those three off: none of our
# code needs them, and fetch does not clone those submodules. Their tests skip here.

_UNIX = "unix,unix-asan"
_EXTMOD_MODES = "default,native"  # the runs that include extmod/ and ports/unix/

_SSL = "needs the ssl/tls module (mbedtls), off in ports/unix (MICROPY_PY_SSL=0): upstream's " \
    "standard build has it"
_SSL_HASH = "needs hashlib md5/sha1 or cryptolib, which the unix port enables only with ssl " \
    "(variants/mpconfigvariant_common.h), off in ports/unix"

EXPECTED = [
    (_UNIX, _EXTMOD_MODES, "extmod/btree*.py", "skip",
     "needs the btree module (lib/berkeley-db-1.xx), off in ports/unix (MICROPY_PY_BTREE=0): "
     "upstream's standard build has it"),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_basic.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_cadata.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_ioctl.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_keycert.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_keycert_pkcs8.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_noleak.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_sslcontext.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/ssl_sslcontext_verify_mode*.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/tls_*.py", "skip", _SSL),
    (_UNIX, _EXTMOD_MODES, "extmod/hashlib_md5.py", "skip", _SSL_HASH),
    (_UNIX, _EXTMOD_MODES, "extmod/hashlib_sha1.py", "skip", _SSL_HASH),
    (_UNIX, _EXTMOD_MODES, "extmod/cryptolib_aes128_cbc.py", "skip", _SSL_HASH),
    (_UNIX, _EXTMOD_MODES, "extmod/cryptolib_aes128_ecb*.py", "skip", _SSL_HASH),
    (_UNIX, _EXTMOD_MODES, "extmod/cryptolib_aes256_*.py", "skip", _SSL_HASH),
    (_UNIX, _EXTMOD_MODES, "ports/unix/ffi_*.py", "skip",
     "needs the ffi module (libffi), off in ports/unix (MICROPY_PY_FFI=0): upstream's standard "
     "build has it, and its CI compiles ffi_lib.so (tests/ports/unix/) for the ffi_int tests"),
]

# UndefinedBehaviorSanitizer reports inside MicroPython v1.25.0's own code (unix-asan aborts at
# the first report). Upstream fixed each in v1.26.0, the release whose CI first ran the unix
# port under UBSan.
_MPZ = "UBSan: applying non-zero offset to null pointer (`d--` past a zero mpz's NULL digits) " \
    "in mpz_as_int_checked; fixed in v1.26.0 by 0ef5ede3823e ('py/mpz: Avoid undefined " \
    "behavior decrementing NULL.')"
EXPECTED += [
    ("unix-asan", "*", "basics/int_big_mod.py", "fail", _MPZ, "py/mpz.c:1555"),
    ("unix-asan", "*", "basics/int_big_pow.py", "fail", _MPZ, "py/mpz.c:1555"),
    ("unix-asan", "*", "basics/int_big_zeroone.py", "fail", _MPZ, "py/mpz.c:1555"),
    ("unix-asan", "*", "float/float_struct_e.py", "fail",
     "UBSan: left shift of 32768 by 16 places cannot be represented in type 'int' "
     "(mp_decode_half_float, struct 'e'); fixed in v1.26.0 by 2c8ccd3ee894 ('py: Fix "
     "undefined left shift operations.')", "py/binary.c:199"),
    ("unix-asan", "*", "extmod/vfs_lfs_error.py", "fail",
     "UBSan: signed integer overflow 1073741824 + 1073741824 in lfs2_file_rawseek (a seek "
     "past 2**31); fixed in v1.26.0 by 9287a1e6eaa9 ('lib/littlefs: Update LittleFS to "
     "v2.10.2.')", "lib/littlefs/lfs2.c:3638"),
]

# thread/stress_recurse.py recurses in a thread until RuntimeError. At times the thread's C
# stack (64 KiB, ports/unix/mpthreadport.c) runs out first: it crashed in one of our six plain
# unix runs, in one of three of upstream's own standard build (its "flaky" entry in
# upstream.json), and failed under ASan in one of four; each passed when run again. Upstream's
# run-tests.py ignores its failures from v1.28.0 (flaky_tests_to_ignore, 43199278eb52: "stack
# overflow under emulation"), and sizes thread stacks up under sanitizers from v1.27.0.
# "flaky": accepted when it fails, no note when it passes.
EXPECTED += [
    ("unix", "thread", "thread/stress_recurse.py", "flaky",
     "crashes at times, the thread's C stack running out before the recursion limit; not "
     "fixed upstream: its run-tests.py ignores the test's failures from v1.28.0 "
     "(43199278eb52, 'tests/run-tests.py: Ignore known-flaky test failures.')"),
    ("unix-asan", "thread", "thread/stress_recurse.py", "flaky",
     "ASan: stack-overflow in a thread (64 KiB stack, ports/unix/mpthreadport.c) before the "
     "recursion limit; fixed for sanitizer builds in v1.27.0 by d8672f4cde83 ('unix: Increase "
     "stack sizes if running with sanitizers.')", "stack-overflow"),
]
