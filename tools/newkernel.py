"""`./inv new-kernel NAME [--c]`: a working kernel from a template, in its own files.

The kernel it writes computes the sum of a byte buffer's bytes modulo 2**32, at every Python
rung (py, opt, native, viper) and, with --c, in C: right after the command, `./inv build
--target unix,qemu`, `./inv test -k NAME` and `./inv bench --kernel NAME` work, and the user
then edits the bodies. It creates files and edits none but docs/kernels.md, where it appends
the kernel's section (docs/adding-a-kernel.md walks through the rest).
"""

import keyword
from pathlib import Path

from tools import kernels
from tools.settings import ROOT


class KernelNameError(Exception):
    """The name cannot be a new kernel's; str() says why, in one line."""


def files(name, root=ROOT, with_c=False):
    """The files a kernel called name is made of, as the template writes them."""
    root = Path(root)
    out = [root / "frozen" / "fastpath" / "kernels" / (name + ".py"),
           root / "tests" / ("test_" + name + ".py")]
    if with_c:
        out.append(root / "usermod" / "fastpath" / (name + ".c"))
    return out


def check_name(name, root=ROOT):
    """KernelNameError unless name is free to be a new kernel's."""
    root = Path(root)
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise KernelNameError("new-kernel: '{}' is not a valid Python identifier; use letters, "
                              "digits and _, e.g. adler32".format(name))
    if name.startswith("_") or name in kernels.reserved(root) or name == "modfastpath":
        raise KernelNameError("new-kernel: '{}' is reserved for the package itself; choose "
                              "another name".format(name))
    taken = [p for p in files(name, root, with_c=True) if p.exists()]
    taken += [p for p in (root / "frozen" / "thumb" / "fastpath_thumb" / (name + ".py"),)
              if p.exists()]
    if name in kernels.discover(root) or taken:
        where = taken[0].relative_to(root) if taken else "frozen/fastpath/kernels"
        raise KernelNameError("new-kernel: '{}' is taken ({} exists); choose another "
                              "name".format(name, where))


def create(name, with_c=False, root=ROOT):
    """Write the kernel's files and its docs section; return the paths written."""
    root = Path(root)
    check_name(name, root)
    texts = [FROZEN, TEST] + ([C] if with_c else [])
    written = []
    for path, text in zip(files(name, root, with_c), texts):
        path.write_text(text.replace("NAME", name))
        written.append(path.relative_to(root))
    docs = root / "docs" / "kernels.md"
    docs.write_text(docs.read_text().rstrip("\n") + "\n\n" + DOCS.replace("NAME", name))
    written.append(docs.relative_to(root))
    return written


FROZEN = '''\
"""NAME(data) -> int: the sum of the bytes of a byte buffer, modulo 2**32.

Written by ./inv new-kernel from its template (docs/adding-a-kernel.md): edit the rungs'
bodies into your kernel, keeping them equal; tests/test_NAME.py holds the reference they are
all compared with, docs/kernels.md the contract.
"""

try:
    import micropython
except ImportError:  # CPython: only py and opt run
    from .._cpython import micropython, ptr8, uint

from .. import _args

# The kernel's declaration, read by the tests, the fuzzer and the bench (docs/adding-a-kernel.md).
ARGS = (("data", "bytes"),)
UNIT = "byte"
WORKLOAD = "4 KiB of pseudo-random bytes"
NO_ALLOC = ("viper", "c")  # for sums below 2**30, which stay small ints on a 32-bit board


def workload():
    # The bench's call: (arguments, units of work).
    from .._rng import Rng

    return (Rng(4).bytes(4096),), 4096


def sample(r, n):
    # Valid arguments of size n from the generator r, for the tests and the fuzzer.
    return (r.bytes(n),)


def py(data):
    # Reference tier: the obvious loop. & 0xFF reads a signed "b" item as its byte.
    _args.bytes_in(data, "data")
    total = 0
    for b in data:
        total += b & 0xFF
    return total % 4294967296


def opt(data):
    # The builtin sum() walks the buffer in C; only a signed buffer needs its items masked.
    _args.bytes_in(data, "data")
    if _args.typecode(data) == 0x62:  # ord("b")
        return sum(b & 0xFF for b in data) % 4294967296
    return sum(data) % 4294967296


@micropython.native
def native(data):
    # opt's loop, compiled by the native emitter.
    _args.bytes_in(data, "data")
    total = 0
    for b in data:
        total += b & 0xFF
    return total % 4294967296


# p: the bytes, n of them; s: the sum, a uint, so it wraps modulo 2**32 on the board.
@micropython.viper
def _viper(data, n: int) -> uint:
    p = ptr8(data)
    ones = uint(0xFFFFFFFF)  # >= 2**30: would be a Python object as a literal on the board
    s = uint(0)
    for i in range(n):
        s += p[i]
    return s & ones  # 64-bit unix: wrap as the board does


def viper(data):
    # Checked before the pointer walk: viper has no bounds checks.
    return _viper(data, _args.bytes_in(data, "data"))
'''

TEST = '''\
"""NAME's reference and its own tests; tests/test_kernels.py gives it the rest (every rung
against `reference` on every target, the contract's errors, no allocation, the fuzz)."""


def reference(data):
    # CPython's sum over the raw bytes, modulo 2**32.
    return sum(bytes(memoryview(data).cast("B"))) % 2**32


# Wrong values of the right kind, as (arguments, "Type: message"); the kinds' errors come from
# ARGS.
BAD = []


def test_reference_hand_checked():
    assert reference(b"") == 0
    assert reference(b"\\x01\\x02\\xff") == 258
    assert reference(bytes([255]) * 1000) == 255000
'''

C = '''\
// NAME(data) -> int: the sum of the bytes of a byte buffer, modulo 2**32.
// Written by ./inv new-kernel from its template (docs/adding-a-kernel.md): the raw loop is
// plain C (no MicroPython types: tests/c and tests/fuzz can build it on the host); the binding
// below checks the arguments with docs/kernels.md's messages and calls it.
#include "kernels.h"

// NAME(data): s = sum of buf[0:len], modulo 2**32.
uint32_t fastpath_NAME_raw(const uint8_t *buf, size_t len) {
    uint32_t s = 0;
    for (size_t i = 0; i < len; ++i) {
        s += buf[i];
    }
    return s;
}

#if FASTPATH_BINDING
#include "binding.h"

// NAME(data) -> int: the sum of the bytes of data, modulo 2**32.
static mp_obj_t fastpath_NAME(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t data;
    fastpath_arg_bytes(args[0], &data, MP_BUFFER_READ,
        MP_ERROR_TEXT("data must be a byte buffer"));
    return mp_obj_new_int_from_uint(fastpath_NAME_raw(data.buf, data.len));
}
FASTPATH_FUNCTION(NAME, 1, 1, fastpath_NAME);

#endif // FASTPATH_BINDING
'''

DOCS = '''\
### `NAME(data) -> int`
The sum of the bytes of a byte buffer, modulo 2**32 (written by `./inv new-kernel`: edit this
section along with the kernel).
- `data`: a buffer of bytes (typecode `'B'` or `'b'`: `bytes`, `bytearray`, `array('B')`, or a
  memoryview of those); a signed item counts as its byte. Otherwise
  `TypeError("data must be a byte buffer")`.
- Returns an int in `0..0xFFFFFFFF`.
'''
