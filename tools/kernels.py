"""The kernels, as their own files declare them: the host's one way of knowing them.

A kernel is a module frozen/fastpath/kernels/NAME.py: its declaration and its Python rungs,
with the validating wrapper of its asm rung, whose raw loop is
frozen/thumb/fastpath_thumb/NAME.py; its C rung is usermod/fastpath/NAME.c, its host reference
and tests tests/test_NAME.py. Its declaration (ARGS, UNIT, WORKLOAD, GOALS, NO_ALLOC, BOARDS,
PEERS, FLOOR, EDGE_SIZES, EDGE_VALUES) and which rungs it defines on which board are read here
from the source, without importing it, so the host needs no MicroPython.

index_source() and write_index() make fastpath/_index.py, the one kernel index every delivery
of the package carries (`./inv build` freezes one into each firmware): the kernels a board
runs, the rungs each has there, and the firmware's identity where there is one. The package
reads only that (frozen/fastpath/__init__.py).
"""

import ast
from pathlib import Path

from tools.settings import ROOT

# Names a kernel declares, with their defaults.
DECLARED = {
    "ARGS": (),
    "UNIT": None,
    "WORKLOAD": "",
    "GOALS": (),
    "NO_ALLOC": (),
    "BOARDS": None,  # None: every board
    "PEERS": (),
    # (instructions per unit, "why"): the Cortex-M4's floor for the unit of work, reasoned
    # from its instruction set (docs/native-and-floors.md); None: not worked out.
    "FLOOR": None,
    "LADDER_GOALS": True,  # the bench's goals for every kernel apply (tools/bench.py)
    # Boundary cases of its own (tests/target/ladder.py boundary()): sizes n of sample(r, n)
    # where a loop changes path, and {argument: values} where a reduction happens, or the
    # largest value allowed.
    "EDGE_SIZES": (),
    "EDGE_VALUES": {},
}
# The mpy architectures whose firmware runs the asm rungs (frozen/thumb/fastpath_thumb):
# Thumb-2 with the DSP extension of the Cortex-M4 (SMLALD, PKHBT, SSAT, emitted with data()),
# which a Cortex-M3 faults on, and a Cortex-M3 reports armv7em (as fastpath/board.py's THUMB
# says); armv6m assembles no RBIT, PUSH of high registers or MOVW at all.
ASM_ARCHS = ("armv7emsp", "armv7emdp")

class Kernel:
    """One kernel: its name, its files and its declaration."""

    def __init__(self, name, declared, root=ROOT, defines=None):
        self.name = name
        self.root = Path(root)
        for key, default in DECLARED.items():
            setattr(self, key.lower(), declared.get(key, default))
        # {rung: [conditions]}: where its module defines each rung, one list of (test, truth)
        # pairs per definition, each test an `if` over fastpath.board around it.
        self.defines = defines or {}

    @property
    def source(self):
        return self.root / "frozen" / "fastpath" / "kernels" / (self.name + ".py")

    @property
    def asm_source(self):
        path = self.root / "frozen" / "thumb" / "fastpath_thumb" / (self.name + ".py")
        return path if path.exists() else None

    @property
    def c_source(self):
        path = self.root / "usermod" / "fastpath" / (self.name + ".c")
        return path if path.exists() else None

    @property
    def test_module(self):
        """The name of its host file in tests/ (importable with tests/ on sys.path)."""
        return "test_" + self.name

    def runs_on(self, board):
        """Whether this kernel exists on board ("pyboard", "qemu", "unix", "cpython")."""
        return self.boards is None or board in self.boards

    def rungs(self, board, arch, c=True):
        """The rungs this kernel has on board (fastpath.board.NAME's terms) of mpy
        architecture arch (None: the host's, no asm), in ladder order; c: whether the
        delivery carries the C rungs (our firmware's _fastpath, or native modules)."""
        facts = {"NAME": board, "THUMB": arch in ASM_ARCHS, "COMPILED": board != "cpython"}
        out = []
        for rung in rung_order(self.root):
            if rung == "c":
                have = c and facts["COMPILED"] and self.c_source is not None
            elif not facts["COMPILED"] and rung not in ("py", "opt"):
                have = False  # CPython defines the compiled rungs as stand-ins, never runs them
            else:
                have = any(all(_holds(test, facts, self.source) == truth for test, truth in conds)
                           for conds in self.defines.get(rung, ()))
            if have:
                out.append(rung)
        return tuple(out)

    def outputs(self):
        """Positions of the arguments a call writes into."""
        return [i for i, a in enumerate(self.args) if a[1].endswith("_out")]

    def __repr__(self):
        return "Kernel({!r})".format(self.name)


def _declaration(path, rung_names):
    # The top-level names of DECLARED that the module assigns literals to, and where it defines
    # each rung: {rung: [conditions]} (see Kernel.defines), following top-level `if`s.
    tree = ast.parse(path.read_text(), str(path))
    found = {}
    defines = {}

    def walk(body, conds):
        for node in body:
            if isinstance(node, ast.FunctionDef) and node.name in rung_names:
                defines.setdefault(node.name, []).append(conds)
            elif isinstance(node, ast.If):
                walk(node.body, conds + [(node.test, True)])
                walk(node.orelse, conds + [(node.test, False)])
            elif not conds and isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in DECLARED:
                    try:
                        found[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        raise ValueError("{}: {} must be a literal".format(path, target.id))

    walk(tree.body, [])
    return found, defines


def _holds(test, facts, path):
    # Whether an `if` test over fastpath.board (board.NAME, board.THUMB, board.COMPILED,
    # compared with literals, and not/and/or of those) holds for facts, those three's values.
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return not _holds(test.operand, facts, path)
    if isinstance(test, ast.BoolOp):
        values = [_holds(v, facts, path) for v in test.values]
        return all(values) if isinstance(test.op, ast.And) else any(values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = _value(test.left, facts), _value(test.comparators[0], facts)
        op = type(test.ops[0])
        if left is not _UNREAD and right is not _UNREAD and op in _COMPARE:
            return _COMPARE[op](left, right)
    else:
        value = _value(test, facts)
        if value is not _UNREAD:
            return bool(value)
    raise ValueError("{}:{}: a rung is defined under `if {}`, which tools/kernels.py cannot "
                     "read; test fastpath.board's NAME, THUMB or COMPILED".format(
                         path, test.lineno, ast.unparse(test)))


_UNREAD = object()
_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}


def _value(node, facts):
    # board.<fact>'s value, a literal's, or _UNREAD.
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "board" and node.attr in facts:
            return facts[node.attr]
        return _UNREAD
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNREAD


def discover(root=ROOT):
    """{name: Kernel} for every kernel in root's frozen/fastpath/kernels, by name."""
    rung_names = rung_order(root)
    kernels = {}
    for path in sorted((Path(root) / "frozen" / "fastpath" / "kernels").glob("*.py")):
        name = path.stem
        if name.startswith("_"):
            continue
        declared, defines = _declaration(path, rung_names)
        if not declared.get("UNIT") or "py" not in defines:
            raise ValueError("{}: a module of fastpath.kernels is a kernel: it must declare "
                             "UNIT and define a py rung (docs/adding-a-kernel.md)".format(
                                 path.relative_to(root)))
        kernels[name] = Kernel(name, declared, root, defines)
    return kernels


def rung_order(root=ROOT):
    """fastpath.TIERS, read from the package's __init__.py."""
    tree = ast.parse((Path(root) / "frozen" / "fastpath" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "TIERS":
            return ast.literal_eval(node.value)
    raise ValueError("frozen/fastpath/__init__.py defines no TIERS")


def reserved(root=ROOT):
    """The names no kernel may take, since fastpath.NAME must be its fastest rung: the
    package's own modules and subpackages, and the names its __init__.py defines."""
    package = Path(root) / "frozen" / "fastpath"
    names = {p.stem for p in package.glob("*.py")}
    names |= {p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"}
    for node in ast.parse((package / "__init__.py").read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names



def index_source(board, arch, build=None, c=True, root=ROOT):
    """The source of fastpath/_index.py for a delivery to board (fastpath.board.NAME's terms)
    of mpy architecture arch: BUILD (build, the firmware's identity dict, or None), the
    kernels that board runs (NAMES) and the rungs each has there (RUNGS); c: whether the
    delivery carries the C rungs."""
    kernels = [k for k in discover(root).values() if k.runs_on(board)]
    if build is not None:
        build = "{" + ", ".join("{!r}: {!r}".format(k, build[k]) for k in
                                ("fastpath", "micropython", "board")) + "}"
    rungs = "".join("    {!r},\n".format(k.rungs(board, arch, c)) for k in kernels)
    return (
        "# fastpath's kernel index: board {}, arch {}. Written by tools/kernels.py; do not "
        "edit.\n"
        "BUILD = {}\n"
        "NAMES = {!r}\n"
        "RUNGS = (\n{})\n".format(board, arch or "host", build,
                                   tuple(k.name for k in kernels), rungs)
    )


def package_index_source(arch, c=True, root=ROOT):
    """The source of fastpath/_index.py for a mip package of mpy architecture arch, which any
    board of that arch may install: the index of each board a kernel names in its BOARDS (a
    stock Pyboard, say: its pin and register rungs), chosen on the board by
    fastpath.board.NAME, and the index of any other board (the kernels that run everywhere).
    No firmware identity: BUILD is None."""
    kernels = discover(root).values()
    boards = sorted({b for k in kernels for b in (k.boards or ())})

    def entry(board):
        ks = [k for k in kernels if k.runs_on(board)]
        return "({!r}, (\n{}))".format(tuple(k.name for k in ks), "".join(
            "        {!r},\n".format(k.rungs(board, arch, c)) for k in ks))

    return (
        "# fastpath's kernel index: a package for arch {}. Written by tools/kernels.py; do not "
        "edit.\n"
        "from .board import NAME as _BOARD\n\n"
        "BUILD = None\n"
        "_BOARDS = {{\n{}}}\n"
        "NAMES, RUNGS = _BOARDS.get(_BOARD, {})\n"
        "del _BOARD, _BOARDS\n".format(
            arch or "host", "".join("    {!r}: {},\n".format(b, entry(b)) for b in boards),
            entry(None))
    )


def write_index(path, board, arch, build=None, c=True, root=ROOT):
    """Write index_source(...) to path (a delivery's fastpath/_index.py) only if it changed,
    so a no-op rebuild stays one; True when it was written."""
    path = Path(path)
    text = index_source(board, arch, build, c, root)
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
