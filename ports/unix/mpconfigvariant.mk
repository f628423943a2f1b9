# fastpath unix variant: the standard variant plus our C module and frozen package.
# Features that would need more submodules or system libraries are off: none of our tests
# needs btree (berkeley-db), ssl (mbedtls) or ffi (libffi).
MICROPY_PY_BTREE = 0
MICROPY_PY_SSL = 0
MICROPY_SSL_MBEDTLS = 0
MICROPY_PY_FFI = 0

# Frozen native and viper code must be compiled for the host CPU.
MPY_CROSS_FLAGS += -march=x64

# Named in frozen/manifest.py: the standard variant's frozen modules (asyncio).
MICROPY_MANIFEST_FASTPATH_PORT_MANIFEST = $(TOP)/ports/unix/variants/standard/manifest.py
