"""`./inv new-kernel NAME [--c] [--args SPEC]`: a working kernel from a template, in its own files.

The kernel it writes computes the sum of a byte buffer's bytes modulo 2**32, at every Python
rung (py, opt, native, viper) and, with --c, in C: right after the command, `./inv build
--target unix,qemu`, `./inv test -k NAME` and `./inv bench --kernel NAME` work, and the user
then edits the bodies. It creates files and edits none but docs/kernels.md, where it appends
the kernel's section (docs/adding-a-kernel.md walks through the rest).

With --args ("data:buffer,value:u32=1": NAME:KIND[=DEFAULT] per argument, in order) it writes
the same kernel for that signature: the sum of the raw bytes of every buffer argument plus
every int argument, modulo 2**32, with the declaration, the checks, the C binding (keywords and
defaults through mp_arg_parse_all when any argument has a default or there are more than two),
the reference and the contract section of those arguments.
"""

import keyword
import re
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


def create(name, with_c=False, root=ROOT, args=None):
    """Write the kernel's files and its docs section; return the paths written. args: the
    --args text, or None for the template's own signature, (data)."""
    root = Path(root)
    check_name(name, root)
    if args is None:
        texts = [FROZEN, TEST] + ([C] if with_c else [])
        docs_text = DOCS
    else:
        spec = parse_args(args)
        texts = [frozen_for(spec), test_for(spec)] + ([c_for(spec)] if with_c else [])
        docs_text = docs_for(spec)
    written = []
    for path, text in zip(files(name, root, with_c), texts):
        path.write_text(text.replace("NAME", name))
        written.append(path.relative_to(root))
    docs = root / "docs" / "kernels.md"
    docs.write_text(docs.read_text().rstrip("\n") + "\n\n" + docs_text.replace("NAME", name))
    written.append(docs.relative_to(root))
    return written


# --- --args: the kernel for a given signature ----------------------------------------------

BUFFERS = ("buffer", "bytes", "q15")  # input kinds the template sums the raw bytes of
INTS = ("u32", "count")  # int kinds; a default is a literal in 0..0xFFFFFFFF
OUTPUTS = ("bytes_out", "q15_out")
# Names the generated code uses itself: its locals and the builtins it calls, the C binding's
# parameters, C's keywords.
TAKEN_NAMES = frozenset("""total b s ones p i n bytes int sum len range memoryview micropython
    uint ptr8 const py opt native viper ARGS UNIT WORKLOAD NO_ALLOC workload sample reference
    args pos_args kw_args n_args allowed_args auto break case char continue default do double
    else enum extern float for goto if inline long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while""".split())
MAX_ARGS = 4  # the suite's allocation test calls a rung with up to four arguments, unstarred


class Arg:
    """One argument of --args: name, kind, default (an int, or None) and its text."""

    def __init__(self, name, kind, default=None, text=None):
        self.name, self.kind, self.default, self.text = name, kind, default, text

    def __repr__(self):
        return "Arg({!r}, {!r}, {!r})".format(self.name, self.kind, self.default)


def _args_error(message):
    return KernelNameError("new-kernel: --args: " + message)


def parse_args(text):
    """The list of Arg that --args text declares; KernelNameError, in one line, if it cannot
    be a template's signature."""
    kinds = ", ".join(BUFFERS + INTS)
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or not all(items):
        raise _args_error("{!r} has an empty argument; write NAME:KIND[=DEFAULT] separated "
                          "by commas, e.g. data:buffer,value:u32=1".format(text))
    spec = []
    for item in items:
        m = re.fullmatch(r"([^:=\s]+)\s*:\s*([^=\s]+)\s*(?:=\s*(\S+))?", item)
        if not m:
            raise _args_error("'{}' is not NAME:KIND[=DEFAULT], e.g. data:buffer or "
                              "value:u32=1".format(item))
        name, kind, default = m.groups()
        if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii() \
                or name.startswith("_"):
            raise _args_error("'{}' is not a valid argument name; use letters, digits and _, "
                              "not starting with _".format(name))
        if name in TAKEN_NAMES:
            raise _args_error("'{}' is a name the template's code uses itself (Python or C); "
                              "choose another".format(name))
        if any(a.name == name for a in spec):
            raise _args_error("'{}' is named twice".format(name))
        if kind in OUTPUTS:
            raise _args_error("'{}:{}' is an output; the template's kernel returns its result "
                              "and takes inputs only ({}): add the output by hand "
                              "(docs/adding-a-kernel.md)".format(name, kind, kinds))
        if kind not in BUFFERS and kind not in INTS:
            raise _args_error("unknown kind '{}' for '{}'; the kinds are {} "
                              "(frozen/fastpath/_args.py)".format(kind, name, kinds))
        value = None
        if default is not None:
            if kind not in INTS:
                raise _args_error("'{}:{}={}': only int arguments (u32, count) take a "
                                  "default".format(name, kind, default))
            if not re.fullmatch(r"0|[1-9][0-9]*|0[xX][0-9a-fA-F]+", default) \
                    or int(default, 0) > 0xFFFFFFFF:
                raise _args_error("'{}:{}={}': the default must be an int literal in "
                                  "0..0xFFFFFFFF".format(name, kind, default))
            value = int(default, 0)
        elif spec and spec[-1].default is not None:
            raise _args_error("'{}' follows an argument with a default, so it needs one too "
                              "(as in Python)".format(name))
        spec.append(Arg(name, kind, value, default))
    names = {a.name for a in spec}
    for a in spec:
        if a.name.startswith("n_") and a.name[2:] in names:
            raise _args_error("'{}' is the name the template gives {}'s length; choose "
                              "another".format(a.name, a.name[2:]))
    if not any(a.kind in BUFFERS for a in spec):
        raise _args_error("needs a buffer argument (buffer, bytes or q15): the template's "
                          "kernel sums its bytes")
    if len(spec) > MAX_ARGS:
        raise _args_error("{} arguments; at most {} (the suite calls a rung with up to {})"
                          .format(len(spec), MAX_ARGS, MAX_ARGS))
    return spec


def _tuple(items):
    # Python source of a tuple of the source texts items.
    return "({},)".format(items[0]) if len(items) == 1 else "({})".format(", ".join(items))


def _wrap(text, prefix="", width=99):
    # text filled into lines of at most width characters, each starting with prefix.
    import textwrap

    return "\n".join(textwrap.wrap(text, width, initial_indent=prefix, subsequent_indent=prefix,
                                    break_on_hyphens=False))


def _signature(spec):
    return ", ".join(a.name if a.text is None else "{}={}".format(a.name, a.text) for a in spec)


def _call(spec):
    return ", ".join(a.name for a in spec)


def _what(spec):
    # The computation in words: "the sum of the raw bytes of data, plus value, modulo 2**32".
    bufs = [a for a in spec if a.kind in BUFFERS]
    ints = [a for a in spec if a.kind in INTS]
    words = "the sum of the raw bytes of " + " and ".join("`{}`".format(a.name) for a in bufs)
    for a in ints:
        words += ", plus `{}`".format(a.name) + (" (its low 32 bits)" if a.kind == "count"
                                                  else "")
    return words + ", modulo 2**32"


def _declare(spec):
    return _tuple(['("{}", "{}")'.format(a.name, a.kind) if a.text is None
                   else '("{}", "{}", {})'.format(a.name, a.kind, a.text) for a in spec])


def _sample_value(a, gen):
    # Python source of a valid value of a's kind from the generator gen, of size n.
    return {"buffer": "{}.bytes(n)", "bytes": "{}.bytes(n)", "q15": "{}.q15(n)",
            "u32": "{}.u32()", "count": "{}.below(1 << 16)"}[a.kind].format(gen)


def _sum_lines(spec, indent, builtin):
    # The body that adds every argument into total: loops (py, native) or sum() (opt).
    out = []
    for a in spec:
        if a.kind in INTS:
            out.append("total += {}".format(a.name))
        elif builtin and a.kind == "bytes":
            out += ["if _args.typecode({0}) == 0x62:  # ord(\"b\"): signed items, masked"
                    .format(a.name),
                    "    total += sum(b & 0xFF for b in {})".format(a.name),
                    "else:", "    total += sum({})".format(a.name)]
        elif builtin:
            out.append("total += sum(bytes({}))".format(a.name))
        elif a.kind == "bytes":
            out += ["for b in {}:".format(a.name), "    total += b & 0xFF"]
        else:
            out += ["for b in bytes({}):".format(a.name), "    total += b"]
    return "\n".join(" " * indent + line for line in out)


def _check_lines(spec):
    calls = {"buffer": '_args.buffer({0}, "{0}")', "bytes": '_args.bytes_in({0}, "{0}")',
             "q15": '_args.q15({0}, "{0}")', "u32": '_args.u32({0}, "{0}")',
             "count": '_args.count({0}, "{0}")'}
    return "\n".join("    " + calls[a.kind].format(a.name) for a in spec)


def frozen_for(spec):
    """frozen/fastpath/kernels/NAME.py for the signature spec (NAME left in)."""
    bufs = [a for a in spec if a.kind in BUFFERS]
    ints = [a for a in spec if a.kind in INTS]
    if ints:
        no_alloc = "()\n" + _wrap(
            "{} can take the result to 2**30 or more, a long int on a 32-bit board: every rung "
            "allocates (docs/adding-a-kernel.md).".format(" and ".join(a.name for a in ints)),
            "# ")
    else:
        no_alloc = ('("viper", "c")  # for sums below 2**30, which stay small ints on a 32-bit '
                    'board')
    work = _tuple([
        "r.bytes(4096)" if a.kind in ("buffer", "bytes") else "r.q15(2048)" if a.kind == "q15"
        else a.text if a.text is not None else "r.u32()" if a.kind == "u32"
        else "r.below(1 << 16)" for a in spec])
    workload = "4 KiB of pseudo-random bytes" + (
        " in each of " + ", ".join(a.name for a in bufs) if len(bufs) > 1 else "")
    terms = ["int({})".format(a.name) if a.kind == "u32" else "int({}) % 4294967296".format(
        a.name) for a in ints]
    if not terms:
        start = "0"
    elif len(terms) == 1 and ints[0].kind == "u32":
        start = terms[0]
    else:
        start = "({}) % 4294967296".format(" + ".join(terms))
    walks = "\n".join("    s = _viper({0}, _args.nbytes({0}), s)".format(a.name) for a in bufs)
    return FROZEN_ARGS.format(
        sig=_signature(spec), declare=_declare(spec),
        what=_wrap(_what(spec)[0].upper() + _what(spec)[1:].replace("`", "") + "."),
        workload=workload, no_alloc=no_alloc, work=work, units=4096 * len(bufs),
        sample=_tuple([_sample_value(a, "r") for a in spec]), call=_call(spec),
        checks=_check_lines(spec), py_sum=_sum_lines(spec, 4, False),
        opt_sum=_sum_lines(spec, 4, True), start=start, walks=walks)


FROZEN_ARGS = '''\
"""NAME({sig}) -> int.

{what}

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
ARGS = {declare}
UNIT = "byte"
WORKLOAD = "{workload}"
NO_ALLOC = {no_alloc}


def workload():
    # The bench's call: (arguments, units of work).
    from .._rng import Rng

    r = Rng(4)
    return {work}, {units}


def sample(r, n):
    # Valid arguments of size n from the generator r, for the tests and the fuzzer.
    return {sample}


def _check_args({call}):
    # The contract's checks, in the order of ARGS; raise its TypeError or ValueError.
{checks}


def py({sig}):
    # Reference rung: the obvious loops. bytes() copies any buffer's raw bytes; & 0xFF reads a
    # signed "b" item as its byte.
    _check_args({call})
    total = 0
{py_sum}
    return total % 4294967296


def opt({sig}):
    # The builtin sum() walks each buffer in C.
    _check_args({call})
    total = 0
{opt_sum}
    return total % 4294967296


@micropython.native
def native({sig}):
    # py's loops, compiled by the native emitter.
    _check_args({call})
    total = 0
{py_sum}
    return total % 4294967296


# p: the raw bytes of a buffer, n of them; s: the running sum, a uint, so it wraps modulo 2**32
# on the board.
@micropython.viper
def _viper(data, n: int, s: uint) -> uint:
    p = ptr8(data)
    ones = uint(0xFFFFFFFF)  # >= 2**30: would be a Python object as a literal on the board
    for i in range(n):
        s += p[i]
    return s & ones  # 64-bit unix: wrap as the board does


def viper({sig}):
    # Checked before the pointer walks: viper has no bounds checks. The ints are summed here,
    # in Python (a count may be a long int); each buffer in _viper.
    _check_args({call})
    s = {start}
{walks}
    return s
'''


def _c_check(a, obj):
    # The binding's lines that check argument a (the object expression obj) into a C local.
    text = "MP_ERROR_TEXT(\"{} {}\")".format
    if a.kind == "buffer":
        return ["mp_buffer_info_t {};".format(a.name),
                "fastpath_arg_buffer({}, &{},".format(obj, a.name),
                "    {});".format(text(a.name, "must be a buffer"))]
    if a.kind == "bytes":
        return ["mp_buffer_info_t {};".format(a.name),
                "fastpath_arg_bytes({}, &{}, MP_BUFFER_READ,".format(obj, a.name),
                "    {});".format(text(a.name, "must be a byte buffer"))]
    if a.kind == "q15":
        return ["mp_buffer_info_t {};".format(a.name),
                "fastpath_arg_q15({}, &{}, MP_BUFFER_READ,".format(obj, a.name),
                "    {});".format(text(a.name, "must be array('h')"))]
    if a.kind == "u32":
        return ["uint32_t {} = fastpath_arg_u32({},".format(a.name, obj),
                "    {},".format(text(a.name, "must be an int")),
                "    {});".format(text(a.name, "must be in range 0..0xFFFFFFFF"))]
    # count: an int >= 0 of any size (an int subclass too); the kernel takes its low 32 bits.
    return ["mp_obj_t {}_int = mp_obj_cast_to_native_base({},".format(a.name, obj),
            "    MP_OBJ_FROM_PTR(&mp_type_int));",
            "if ({}_int == MP_OBJ_NULL) {{".format(a.name),
            "    mp_raise_TypeError({});".format(text(a.name, "must be an int")),
            "}",
            "if (mp_obj_int_sign({}_int) < 0) {{".format(a.name),
            "    mp_raise_ValueError({});".format(text(a.name, "must be >= 0")),
            "}",
            "uint32_t {0} = (uint32_t)mp_obj_int_get_truncated({0}_int);  // its low 32 bits"
            .format(a.name)]


def c_for(spec):
    """usermod/fastpath/NAME.c for the signature spec (NAME left in)."""
    keywords = any(a.default is not None for a in spec) or len(spec) > 2
    body = []
    if keywords:
        body += ["enum {{ {} }};".format(", ".join("ARG_" + a.name for a in spec)),
                 "FASTPATH_ARG_TABLE allowed_args[] = {"]
        for a in spec:
            if a.default is None:
                body.append("    {{ MP_QSTR_{}, MP_ARG_REQUIRED | MP_ARG_OBJ, "
                            "{{.u_obj = MP_OBJ_NULL}} }},".format(a.name))
            elif a.default < 2**30:
                body.append("    {{ MP_QSTR_{}, MP_ARG_OBJ, {{.u_obj = MP_OBJ_NEW_SMALL_INT({})}} "
                            "}},".format(a.name, a.text))
            else:  # not a small int on a 32-bit port: absent is NULL, the default in C below
                body.append("    {{ MP_QSTR_{}, MP_ARG_OBJ, {{.u_obj = MP_OBJ_NULL}} }},"
                            .format(a.name))
        body += ["};",
                 "mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];",
                 "mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), "
                 "allowed_args, args);"]
    for i, a in enumerate(spec):
        obj = "args[ARG_{}].u_obj".format(a.name) if keywords else "args[{}]".format(i)
        lines = _c_check(a, obj)
        if keywords and a.default is not None and a.default >= 2**30:
            # The default, which MP_OBJ_NEW_SMALL_INT cannot hold on a 32-bit port.
            lines = ["uint32_t {} = {}u;".format(a.name, a.text),
                     "if ({} != MP_OBJ_NULL) {{".format(obj)] + \
                ["    " + line.replace("uint32_t {} =".format(a.name), "{} =".format(a.name))
                 for line in lines] + ["}"]
        body += lines
    body.append("uint32_t s = 0;")
    for a in spec:
        body.append("s += {};".format(a.name) if a.kind in INTS else
                    "s = fastpath_NAME_raw(s, {0}.buf, {0}.len);".format(a.name))
    body.append("return mp_obj_new_int_from_uint(s);")
    if keywords:
        head = ("static mp_obj_t fastpath_NAME(size_t n_args, const mp_obj_t *pos_args, "
                "mp_map_t *kw_args) {")
        # n_min 0: the function object would refuse a required argument given by keyword;
        # mp_arg_parse_all checks the required ones.
        tail = "FASTPATH_FUNCTION_KW(NAME, 0, fastpath_NAME);"
    else:
        head = "static mp_obj_t fastpath_NAME(size_t n_args, const mp_obj_t *args) {"
        tail = "FASTPATH_FUNCTION(NAME, {0}, {0}, fastpath_NAME);".format(len(spec))
    include = '#include "py/objint.h"\n' if any(a.kind == "count" for a in spec) else ""
    return C_ARGS.format(sig=_signature(spec),
                         what=_wrap(_what(spec).replace("`", "") + ".", "// "),
                         include=include, head=head, tail=tail,
                         body="\n".join("    " + line for line in body))


C_ARGS = '''\
// NAME({sig}) -> int:
{what}
// Written by ./inv new-kernel from its template (docs/adding-a-kernel.md): the raw loop is
// plain C (no MicroPython types: tests/c and tests/fuzz can build it on the host); the binding
// below checks the arguments with docs/kernels.md's messages and calls it.
#include "kernels.h"

// s + the sum of buf[0:len], modulo 2**32.
uint32_t fastpath_NAME_raw(uint32_t s, const uint8_t *buf, size_t len) {{
    for (size_t i = 0; i < len; ++i) {{
        s += buf[i];
    }}
    return s;
}}

#if FASTPATH_BINDING
#include "binding.h"
{include}
// NAME({sig}) -> int:
{what}
{head}
{body}
}}
{tail}

#endif // FASTPATH_BINDING
'''


def _example(a):
    # A value of a's kind for the hand-checked and keyword tests, as Python source, and the
    # sum it adds.
    return {"buffer": ("b'\\x01\\x02\\xff'", 258), "bytes": ("b'\\x01\\x02\\xff'", 258),
            "q15": ("array('h', [1, -1])", 511), "u32": ("0xFFFFFFFF", 0xFFFFFFFF),
            "count": ("2**32 + 5", 5)}[a.kind]


def test_for(spec):
    """tests/test_NAME.py for the signature spec (NAME left in)."""
    sums = ["total = 0"] + [
        "total += sum(bytes(memoryview({}).cast(\"B\")))".format(a.name) if a.kind in BUFFERS
        else "total += {}".format(a.name) for a in spec]
    values = [_example(a) for a in spec]
    q15 = any(a.kind == "q15" for a in spec)
    text = TEST_ARGS.format(
        sig=_signature(spec), sums="\n".join("    " + line for line in sums),
        imports="from array import array\n\n" if q15 else "",
        hand="reference({}) == {}".format(", ".join(v for v, _ in values),
                                          sum(n for _, n in values) % 2**32))
    if any(a.default is not None for a in spec):
        required = ", ".join(v for a, (v, _) in zip(spec, values) if a.default is None)
        keywords = ["{}={}".format(a.name, v) for a, (v, _) in zip(spec, values)]
        on_target = "".join('        "            {},\\n"\n'.format(k.replace("\\", "\\\\"))
                            for k in keywords)
        text += TEST_KEYWORDS.format(
            array='        "from array import array\\n"\n' if q15 else "",
            required=required, required_target=required.replace("\\", "\\\\"),
            keywords_target=on_target,
            keywords="".join("\n        {},".format(k) for k in keywords))
    return text


TEST_ARGS = '''\
"""NAME's reference and its own tests; tests/test_kernels.py gives it the rest (every rung
against `reference` on every target, the contract's errors, no allocation, the fuzz)."""

{imports}
def reference({sig}):
    # CPython's sum over the raw bytes of each buffer, plus the ints, modulo 2**32.
{sums}
    return total % 2**32


# Wrong values of the right kind, as (arguments, "Type: message"); the kinds' errors come from
# ARGS.
BAD = []


def test_reference_hand_checked():
    assert {hand}
'''

TEST_KEYWORDS = '''

def test_defaults_and_keywords(target):
    # Every rung fills in the defaults, and takes every argument by keyword.
    out = target.run(
        "import fastpath\\n"
{array}        "K = fastpath.KERNELS['NAME']\\n"
        "for t in fastpath.TIERS:\\n"
        "    if t in K:\\n"
        "        print(t, K[t]({required_target}), K[t](\\n"
{keywords_target}        "        ))\\n")
    want = "{{}} {{}}".format(reference({required}), reference({keywords}
    ))
    lines = out.splitlines()
    assert len(lines) >= 4, out  # py, opt, native, viper (and c)
    for line in lines:
        assert line.split(" ", 1)[1] == want, line
'''

KIND_DOCS = {
    "buffer": "any object with the buffer protocol (its raw bytes count); not `str`. Otherwise "
              "`TypeError(\"{0} must be a buffer\")`.",
    "bytes": "a buffer of bytes (typecode `'B'` or `'b'`: `bytes`, `bytearray`, `array('B')`, "
             "or a memoryview of those); a signed item counts as its byte. Otherwise "
             "`TypeError(\"{0} must be a byte buffer\")`.",
    "q15": "`array('h')` or a memoryview of one; its raw bytes count (two a sample). Otherwise "
           "`TypeError(\"{0} must be array('h')\")`.",
    "u32": "an int (a `bool` or an int subclass counts) in `0..0xFFFFFFFF`. Not an int: "
           "`TypeError(\"{0} must be an int\")`; outside the range: "
           "`ValueError(\"{0} must be in range 0..0xFFFFFFFF\")`.",
    "count": "an int `>= 0`, of any size (its low 32 bits count). Not an int: "
             "`TypeError(\"{0} must be an int\")`; negative: `ValueError(\"{0} must be >= 0\")`.",
}


def docs_for(spec):
    """The contract section of docs/kernels.md for the signature spec (NAME left in)."""
    lines = ["### `NAME({}) -> int`".format(_signature(spec)),
             _what(spec)[0].upper() + _what(spec)[1:] + " (written by `./inv new-kernel`: edit "
             "this section along with the kernel)."]
    for a in spec:
        default = "" if a.text is None else " (default `{}`)".format(a.text)
        lines.append("- `{}`{}: {}".format(a.name, default, KIND_DOCS[a.kind].format(a.name)))
    lines.append("- Returns an int in `0..0xFFFFFFFF`.")
    return "\n".join(lines) + "\n"


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
    # Reference rung: the obvious loop. & 0xFF reads a signed "b" item as its byte.
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
