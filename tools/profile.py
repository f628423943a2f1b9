"""Host side of `./inv profile`: where the instructions of one call of a rung go, on the emulator.

The emulated Cortex-M4 runs under `-icount shift=0` with tools/insnprof.c loaded as a QEMU TCG
plugin. On the board, fastpath.bench.once() times the empty call and then one call of the rung
on its kernel's workload, exactly as the bench times them; the plugin counts each instruction
executed inside each timed window (from timing.start()'s store to the timer to ticks()'s load),
by address and by the Python function running (a shadow call stack: see the plugin). Here the
addresses become firmware functions (firmware.elf's symbol table) or frozen Python functions
(the fun_data arrays of the build's frozen_content.c, where native, viper and asm code runs in
place from flash and the VM reads bytecode from), and those become categories.

How exact: every instruction of a window is counted once (QEMU calls the plugin before each
instruction it executes and not again when it re-executes one that did I/O), so the window's
count matches the board's own clock to its 40-instruction tick, and window minus empty window
matches the bench's figure for the rung to within a tick. The split by Python function assumes
calls return where they were called from; a Python exception (nlr_jump) breaks that, and the
report says so when one ran. Allocation-heavy rungs depend on the state of the heap, which
differs from one session to another by a few instructions in a million.
"""

import ast
import bisect
import collections
import re
import subprocess
import tempfile
from pathlib import Path

from tools.settings import ROOT
from tools.targets import QemuTarget, from_literal

PLUGIN_SOURCE = ROOT / "tools" / "insnprof.c"
FROZEN = ROOT / "frozen"

# The timer register fastpath.timing.start() writes and ticks() reads (frozen/fastpath/board.py:
# QEMU_TIMER0 + QEMU_TIMER_VALUE), read from board.py's source.
_BOARD = FROZEN / "fastpath" / "board.py"

# Python functions whose instructions are the measurement itself, not the rung's call: the
# clock. So is the frame the window opens in (the bench's measure(), key 0), but not the C code
# it calls (key 2): the call of the rung up to the rung's own code, or a C rung itself.
_MEASUREMENT_MODULES = ("fastpath.timing",)
# Python functions that check arguments: the contract module and each kernel's _check_args.
_CHECK_MODULES = ("fastpath._args",)
_CHECK_FUNCTIONS = ("_check_args",)

# Firmware functions by category, first match wins: (category, exact names, name prefixes).
CATEGORIES = (
    ("VM: bytecode dispatch", ("mp_execute_bytecode", "fun_bc_call"),
     ("mp_decode_uint", "mp_setup_code_state", "mp_bytecode_", "mp_obj_fun_bc")),
    ("calls and returns", ("mp_cstack_check", "mp_native_swap_globals", "bound_meth_call",
                           "mp_native_call_function_n_kw", "mp_obj_get_array"),
     ("mp_call_", "fun_builtin_", "fun_native_call", "fun_viper_call", "fun_asm_call",
      "mp_arg_", "nlr_", "mp_native_call")),
    ("binary and unary ops", ("mp_binary_op", "mp_unary_op", "mp_obj_equal_not_equal",
                              "mp_obj_is_true", "mp_obj_equal"),
     ("mp_small_int_", "mp_obj_int_binary_op", "mp_obj_int_unary_op", "mpz_", "mpn_",
      "int_binary_op", "bytes_binary_op", "array_binary_op")),
    ("subscripts and buffers", ("mp_obj_subscr", "mp_get_index", "mp_binary_get_size",
                                "mp_obj_len", "mp_obj_len_maybe", "mp_get_buffer",
                                "mp_get_buffer_raise", "mp_seq_get_fast_slice_indexes"),
     ("mp_binary_get_val", "mp_binary_set_val", "bytes_subscr", "array_subscr", "str_subscr",
      "list_subscr", "tuple_subscr", "bytearray_subscr", "array_get_buffer", "str_get_buffer",
      "bytes_get_buffer", "fastpath_get_buffer", "fastpath_nbytes", "fastpath_typecode",
      "array_len", "memoryview_", "mp_obj_tuple_get", "mp_obj_list_get")),
    ("iteration", ("mp_getiter", "mp_iternext", "mp_iternext_allow_raise", "type_get_iternext",
                   "mp_native_getiter", "mp_native_iternext"),
     ("array_it_", "str_it_", "bytes_it_", "range_", "mp_obj_new_range", "tuple_it_",
      "list_it_", "mp_obj_new_str_iterator", "mp_obj_new_bytes_iterator", "array_iterator",
      "bytearray_it", "mp_obj_tuple_getiter", "mp_obj_list_getiter")),
    ("int boxing", ("mp_native_from_obj", "mp_native_to_obj", "mp_obj_get_int",
                    "mp_obj_get_int_truncated", "mp_obj_get_int_maybe", "mp_obj_new_int"),
     ("mp_obj_new_int_from_", "mp_obj_int_get_", "mp_obj_int_from_")),
    ("type dispatch", ("mp_obj_get_type", "mp_obj_is_subclass", "mp_obj_is_subclass_fast",
                       "mp_obj_cast_to_native_base", "mp_obj_get_type_str"),
     ("mp_obj_is_instance",)),
    ("names and attributes", ("module_attr", "find_qstr", "mp_convert_member_lookup",
                              "mp_obj_class_lookup"),
     ("mp_load_", "mp_store_", "mp_map_", "qstr_", "mp_obj_dict_", "mp_obj_module_",
      "instance_", "type_attr", "mp_obj_class_")),
    ("allocation and GC", ("m_malloc", "m_free", "m_realloc", "m_malloc_maybe",
                           "m_realloc_maybe"),
     ("gc_", "m_malloc", "mp_obj_malloc")),
    ("interrupts", (), ("SysTick_", "PendSV_", "uart", "HardFault_", "Default_Handler")),
)
NATIVE = "native code (frozen native, viper, asm)"
OTHER = "other runtime"
CHECKS = "argument checks (Python)"
MEASUREMENT = "the bench's call and clock"


class ProfileError(Exception):
    """A one-line message saying what failed and what to do."""


# --- the plugin ---------------------------------------------------------------------------


def build_plugin(folder):
    """tools/insnprof.c built with the host's C compiler into folder (build/profile/); its
    path. Rebuilt when the source is newer."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "insnprof.so"
    if out.exists() and out.stat().st_mtime >= PLUGIN_SOURCE.stat().st_mtime:
        return out
    try:
        r = subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-Wall",
                            "-Wextra", "-Werror", "-o", str(out), str(PLUGIN_SOURCE)],
                           capture_output=True, text=True)
    except FileNotFoundError:
        raise ProfileError("profile: no C compiler (cc) to build the QEMU plugin; run: "
                           "./inv setup")
    if r.returncode:
        raise ProfileError("profile: the QEMU plugin did not build: {}".format(
            (r.stderr.strip().splitlines() or ["cc failed"])[0]))
    return out


def _board_constants(board=_BOARD):
    # {name: N} of fastpath/board.py's `NAME = const(N)` lines: the board's own facts.
    values = {}
    for node in ast.parse(Path(board).read_text()).body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and node.value.args):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value.args[0])
            except ValueError:
                pass
    return values


def timer_address(board=_BOARD):
    """QEMU_TIMER0 + QEMU_TIMER_VALUE from fastpath/board.py: the address a window opens and
    closes at."""
    values = _board_constants(board)
    return values["QEMU_TIMER0"] + values["QEMU_TIMER_VALUE"]


def tick(board=_BOARD):
    """Instructions per tick of the emulated board's clock (fastpath/board.py)."""
    return _board_constants(board)["QEMU_INSTRUCTIONS_PER_TICK"]


# --- the firmware's map ---------------------------------------------------------------------


class Frozen:
    """A frozen Python function: its qualified name and whether it runs as machine code."""

    def __init__(self, name, native):
        self.name = name
        self.native = native

    def __repr__(self):
        return "Frozen({!r}, native={})".format(self.name, self.native)


def _children(node):
    # The scopes directly inside node, in source order, as MicroPython's compiler makes them:
    # functions, classes, lambdas and comprehensions, not looking inside them.
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for d in child.decorator_list:
                yield from _children(d)
            yield child
        elif isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                                ast.GeneratorExp)):
            yield child
        else:
            yield from _children(child)


def _scope_name(node):
    return getattr(node, "name", None) or "<{}>".format(type(node).__name__.lower())


class CodeMap:
    """What runs where in a qemu build: firmware.elf's functions, and the frozen functions of
    frozen_content.c beside it (their fun_data arrays, named by module and function)."""

    def __init__(self, folder, nm="arm-none-eabi-nm", sources=FROZEN):
        folder = Path(folder)
        self.elf = folder / "firmware.elf"
        try:
            text = subprocess.run([nm, "-S", "-n", "--defined-only", str(self.elf)],
                                  capture_output=True, text=True, check=True).stdout
        except (FileNotFoundError, subprocess.CalledProcessError):
            raise ProfileError("profile: cannot read the symbols of {} with {}; run: "
                               "./inv build --target qemu".format(self.elf, nm))
        self.symbols = {}
        functions, data = [], {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) != 4:
                continue
            start, size, kind, name = int(parts[0], 16) & ~1, int(parts[1], 16), parts[2], parts[3]
            self.symbols.setdefault(name, start)
            if name.startswith("fun_data_"):
                data[name[len("fun_data_"):]] = (start, size)
            elif kind in "tTwW":
                functions.append((start, start + size, name))
        functions.sort()
        self._starts = [f[0] for f in functions]
        self._functions = functions
        self.entries = {f[0]: f[2] for f in functions}  # function start: name
        names = _frozen_names(folder / "frozen_content.c", Path(sources))
        self.frozen = {}  # start of a fun_data array: (end, Frozen)
        for scope, (start, size) in data.items():
            name, native = names.get(scope, (scope, False))
            self.frozen[start] = (start + size, Frozen(name, native))
        self._frozen_starts = sorted(self.frozen)

    def regions(self):
        """(start, size) of every frozen function's fun_data, sorted: the plugin's regions."""
        return [(s, self.frozen[s][0] - s) for s in self._frozen_starts]

    def frozen_at(self, addr):
        """The Frozen function whose fun_data holds addr, else None."""
        i = bisect.bisect_right(self._frozen_starts, addr) - 1
        if i >= 0:
            end, f = self.frozen[self._frozen_starts[i]]
            if addr < end:
                return f
        return None

    def function_at(self, pc):
        """The firmware function holding pc, or for frozen code its Frozen function."""
        f = self.frozen_at(pc)
        if f is not None:
            return f
        i = bisect.bisect_right(self._starts, pc) - 1
        if i >= 0 and pc < self._functions[i][1]:
            return self._functions[i][2]
        return "unknown code at 0x{:x}".format(pc)


def _frozen_names(path, sources):
    """{scope: (qualified name, is machine code)} for the functions of frozen_content.c.
    mpy-tool names a scope after its module and function; a viper or asm function has no name
    in the .mpy and is named after its file (…_dot_py, …_dot_py2): those are named here from
    the source, matching the parent's children array with the functions in source order."""
    try:
        text = Path(path).read_text()
    except OSError:
        raise ProfileError("profile: no {}; run: ./inv build --target qemu".format(path))
    files, kinds = {}, {}
    for m in re.finditer(r"^// frozen (bytecode|native code) for file (\S+), scope (\w+)$",
                         text, re.M):
        kinds[m.group(3)] = m.group(1) == "native code"
        files[m.group(3)] = m.group(2)
    children = {m.group(1): re.findall(r"&proto_fun_(\w+)", m.group(2)) for m in re.finditer(
        r"children_(\w+)\[\] = \{(.*?)\};", text, re.S)}
    names = {}
    for scope, file in files.items():
        module = file[:-3].replace("/", ".")
        prefix = file[:-3].replace("/", "_") + "_"
        short = scope[len(prefix):] if scope.startswith(prefix) else scope
        names[scope] = (module + "." + ("<module>" if short == "_lt_module_gt_" else short),
                        kinds[scope])
    # Name the anonymous ones from the source.
    for file in set(files.values()):
        source = next((p for p in sources.rglob(Path(file).name)
                       if p.as_posix().endswith("/" + file)), None)
        if source is None:
            continue
        module = file[:-3].replace("/", ".")
        root = file[:-3].replace("/", "_") + "__lt_module_gt_"
        tree = ast.parse(source.read_text())
        _name_children(root, tree, module, children, names)
    return names


def _name_children(scope, node, qualname, children, names):
    found = list(_children(node))
    mine = children.get(scope, [])
    if len(found) != len(mine):
        return  # the compiler saw other scopes than this walk: keep mpy-tool's names
    for child_scope, child in zip(mine, found):
        name = qualname + "." + _scope_name(child)
        if child_scope in names:
            names[child_scope] = (name, names[child_scope][1])
        _name_children(child_scope, child, name, children, names)


def category(name):
    """The category of a firmware function's name (or NATIVE for a Frozen function)."""
    if isinstance(name, Frozen):
        return NATIVE
    for cat, exact, prefixes in CATEGORIES:
        if name in exact or name.startswith(prefixes):
            return cat
    return OTHER


# --- running it ---------------------------------------------------------------------------


def read_windows(path):
    """[(total, {(pc, key): count})] from the plugin's output, in window order."""
    windows = []
    counts = None
    for line in Path(path).read_text().splitlines():
        if line.startswith("window "):
            total = int(line.split()[2])
            counts = {}
        elif line == "end":
            windows.append((total, counts))
        else:
            pc, key, n = line.split()
            counts[(int(pc, 16), int(key, 16))] = int(n)
    return windows


def run(firmware_folder, kernel, rung, folder, timeout=600):
    """Profile one call of rung on kernel's workload on the emulator: the report dict."""
    firmware = CodeMap(firmware_folder)
    folder = Path(folder)
    plugin = build_plugin(folder)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        regions = Path(tmp) / "regions.txt"
        regions.write_text("".join("{:x} {:x}\n".format(s, n) for s, n in firmware.regions()))
        out = Path(tmp) / "windows.txt"
        args = "{},out={},mark=0x{:x},regions={},bc=0x{:x}".format(
            plugin, out, timer_address(), regions, firmware.symbols["fun_bc_call"])
        target = QemuTarget(firmware.elf, extra_args=("-plugin", args))
        try:
            printed = target.run("import fastpath.bench\nfastpath.bench.once({!r}, {!r})\n"
                                 .format(kernel, rung), timeout=timeout)
        finally:
            target.close()  # QEMU exits: the plugin has written every window
        line = next((x for x in printed.splitlines() if x.startswith("PROFILE ")), None)
        if line is None:
            raise ProfileError("profile: the emulator printed no PROFILE line: {}".format(
                printed.strip()[-200:]))
        kernel, rung, units, empty, count, unit = from_literal(line.split(" ", 1)[1])
        windows = read_windows(out)
    # Each of once()'s two measurements times a warm-up pass, then the pass it keeps: the
    # empty call's kept window is the third from last, the rung's the last.
    if len(windows) < 4:
        raise ProfileError("profile: the plugin saw {} timed windows, not 4".format(
            len(windows)))
    (empty_total, empty_counts), (total, counts) = windows[-3], windows[-1]
    rep = attribute(firmware, counts, units)
    rep.update(kernel=kernel, rung=rung, units=units, unit=unit, window=total,
               empty_window=empty_total, guest={"empty": empty, "count": count,
                                                "bench": count - empty},
               empty_call=attribute(firmware, empty_counts, 1)["rung_total"])
    return rep


def _python_label(firmware, key):
    if key == 0:
        return "(the caller: fastpath.bench.measure)"
    if key == 1:
        return "(bytecode not from a frozen module)"
    if key == 2:
        return "(C code the caller calls: the call itself; a C rung)"
    f = firmware.frozen_at(key)
    return f.name if f else "unknown Python function at 0x{:x}".format(key)


def attribute(firmware, counts, units):
    """The tables of one window's {(pc, key): count}: instructions by firmware function, by
    Python function and by category, with the bench's own part (its caller's frame and the
    clock) apart from the rung's."""
    by_pc = collections.Counter()
    python = collections.Counter()
    functions = collections.Counter()
    calls = collections.Counter()  # executions of a firmware function's first instruction
    categories = collections.Counter()
    measurement = 0
    nlr_jumps = 0
    for (pc, key), n in counts.items():
        label = _python_label(firmware, key)
        python[label] += n
        where = firmware.function_at(pc)
        if where == "nlr_jump" and pc == firmware.symbols.get("nlr_jump"):
            nlr_jumps += n
        if key == 0 or label.startswith(tuple(m + "." for m in _MEASUREMENT_MODULES)):
            measurement += n
            continue
        name = where.name if isinstance(where, Frozen) else where
        functions[(name, category(where))] += n
        if firmware.entries.get(pc) == name:
            calls[name] += n
        module, _, function = label.rpartition(".")
        if module in _CHECK_MODULES or function in _CHECK_FUNCTIONS:
            categories[CHECKS] += n
        else:
            categories[category(where)] += n
        by_pc[pc] += n
    total = sum(counts.values())
    return {
        "total": total,
        "measurement": measurement,
        "rung_total": total - measurement,
        "nlr_jumps": nlr_jumps,
        # (name, category, instructions, calls): calls are entries at the function's first
        # instruction (None for frozen code, entered past its start); a loop back to the
        # first instruction would count too (none of the runtime's functions here has one).
        "functions": [(name, cat, n, None if cat == NATIVE else calls[name])
                      for (name, cat), n in functions.most_common()],
        "python": python.most_common(),
        "categories": categories.most_common(),
    }


# --- the report -----------------------------------------------------------------------------


def _row(label, n, total, units, extra=(), after=()):
    return "| {} |{} {:,} | {:.2f} | {:.1%} |{}".format(
        label, "".join(" {} |".format(e) for e in extra), n, n / units, n / total if total else 0,
        "".join(" {} |".format(e) for e in after))


def markdown(rep, top=25):
    """The report as text: the totals and how they agree with the bench, then the tables."""
    unit, units = rep["unit"], rep["units"]
    rung = rep["rung_total"]
    g = rep["guest"]
    lines = [
        "{} {} on the emulator: {:,} instructions a call by the bench's clock ({:.2f} per {})."
        .format(rep["kernel"], rep["rung"], g["bench"], g["bench"] / units, unit),
        "",
        "- Counted by the plugin: {:,} in the timed window, of which {:,} are the bench's "
        "own (its measure() frame and the clock) and {:,} the rung's: the call from "
        "f(*args) on, the rung's Python functions and all they run.".format(
            rep["window"], rep["measurement"], rung),
        "- The empty call's window: {:,}, of which {:,} besides the bench's own (calling a "
        "function that does nothing, looking up the clock); the bench subtracts it: "
        "{:,} - {:,} = {:,}. The bench's figure, {:,} (the board's clock, in ticks of 40: "
        "{:,} less {:,}), agrees with that to the tick.".format(
            rep["empty_window"], rep["empty_call"], rep["window"], rep["empty_window"],
            rep["window"] - rep["empty_window"], g["bench"], g["count"], g["empty"]),
    ]
    if rep["nlr_jumps"]:
        lines.append("- A Python exception was raised in the window ({} nlr_jump): the split by "
                     "Python function may be off after it; the counts are not.".format(
                         rep["nlr_jumps"]))
    lines += ["", "| category | instructions | per {} | share |".format(unit),
              "| --- | ---: | ---: | ---: |"]
    lines += [_row(c, n, rung, units) for c, n in rep["categories"]]
    lines += [_row("**the rung**", rung, rung, units),
              _row("less the empty call's", -rep["empty_call"], rung, units),
              _row("**the bench's figure**", rung - rep["empty_call"], rung, units), "",
              "| Python function (with all it calls) | instructions | per {} | share |".format(
                  unit), "| --- | ---: | ---: | ---: |"]
    lines += [_row(p, n, rep["window"], units) for p, n in rep["python"]]
    lines += [_row("**the timed window**", rep["window"], rep["window"], units), "",
              "| function | category | instructions | per {} | share | calls per {} |"
              .format(unit, unit), "| --- | --- | ---: | ---: | ---: | ---: |"]
    rows = rep["functions"]
    lines += [_row(name, n, rung, units, (cat,), (
        "" if calls is None else "{:.2f}".format(calls / units),))
        for name, cat, n, calls in rows[:top]]
    rest = rows[top:]
    if rest:
        lines.append(_row("{} other functions".format(len(rest)), sum(r[2] for r in rest),
                          rung, units, ("",), ("",)))
    lines.append(_row("**the rung**", rung, rung, units, ("",), ("",)))
    return "\n".join(lines)
