"""The kernels, as their own files declare them: the host's one way of knowing them.

A kernel is a module frozen/fastpath/NAME.py that defines UNIT and a `py` rung; its asm rung
is frozen/thumb/fastpath_thumb/NAME.py, its C rung usermod/fastpath/NAME.c, its host reference
and tests tests/test_NAME.py. Its declaration (ARGS, UNIT, WORKLOAD, GOALS, NO_ALLOC, BOARDS,
PEERS, FLOOR, EDGE_SIZES, EDGE_VALUES) is read here from the source, without importing it, so
the host needs no MicroPython.

firmware_module() is the fastpath/_build.py that `./inv build` freezes into each firmware: the
kernel names found here, the ones with an asm rung, and the firmware's identity.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
# Modules of the package that are not kernels (fastpath/__init__.py skips the same).
NOT_KERNELS = ("board", "bench", "timing")


class Kernel:
    """One kernel: its name, its files and its declaration."""

    def __init__(self, name, declared, root=ROOT):
        self.name = name
        self.root = Path(root)
        for key, default in DECLARED.items():
            setattr(self, key.lower(), declared.get(key, default))

    @property
    def source(self):
        return self.root / "frozen" / "fastpath" / (self.name + ".py")

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

    def outputs(self):
        """Positions of the arguments a call writes into."""
        return [i for i, a in enumerate(self.args) if a[1].endswith("_out")]

    def __repr__(self):
        return "Kernel({!r})".format(self.name)


def _declaration(path):
    # The top-level names of DECLARED that the module assigns literals to, and whether it
    # defines a `py` rung.
    tree = ast.parse(path.read_text(), str(path))
    found = {}
    has_py = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "py":
            has_py = True
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in DECLARED:
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    raise ValueError("{}: {} must be a literal".format(path, target.id))
    return found, has_py


def discover(root=ROOT):
    """{name: Kernel} for every kernel in root's frozen/fastpath, by name."""
    kernels = {}
    for path in sorted((Path(root) / "frozen" / "fastpath").glob("*.py")):
        name = path.stem
        if name.startswith("_") or name in NOT_KERNELS:
            continue
        declared, has_py = _declaration(path)
        if declared.get("UNIT") and has_py:
            kernels[name] = Kernel(name, declared, root)
    return kernels


def tiers(root=ROOT):
    """fastpath.TIERS, read from the package's __init__.py."""
    tree = ast.parse((Path(root) / "frozen" / "fastpath" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "TIERS":
            return ast.literal_eval(node.value)
    raise ValueError("frozen/fastpath/__init__.py defines no TIERS")


# The board each firmware is, in the terms of a kernel's BOARDS (fastpath/board.py's NAME).
BOARD_OF = {"PYBV11": "pyboard", "unix": "unix", "unix-asan": "unix", "qemu": "qemu"}


def firmware_module(identity, root=ROOT):
    """The source of fastpath/_build.py for a firmware with this identity (a dict whose
    "board" is the firmware's folder name): its identity, the kernels that board runs, and
    those of them with an asm rung."""
    board = BOARD_OF.get(identity["board"], identity["board"])
    kernels = [k for k in discover(root).values() if k.runs_on(board)]
    names = tuple(k.name for k in kernels)
    thumb = tuple(k.name for k in kernels if k.asm_source)
    build = "{" + ", ".join("{!r}: {!r}".format(k, identity[k]) for k in
                            ("fastpath", "micropython", "board")) + "}"
    return (
        "# Written by ./inv build (tools/kernels.py, tools/identity.py); do not edit.\n"
        "BUILD = {}\n"
        "NAMES = {!r}\n"
        "THUMB = {!r}\n".format(build, names, thumb)
    )
