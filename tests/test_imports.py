"""No import cycle among our modules: tools/ (the host) and frozen/ (the package, and the
Thumb-only fastpath_thumb beside it). An import, wherever it sits in a file (at the top, in a
function, under an `if`), is an edge; a cycle is one module reaching itself."""

import ast

from tools.settings import ROOT

# Where each tree's modules live: (folder, the dotted prefix its files import as).
TREES = ((ROOT / "tools", "tools"), (ROOT / "frozen" / "fastpath", "fastpath"),
         (ROOT / "frozen" / "thumb" / "fastpath_thumb", "fastpath_thumb"))


def modules():
    """{dotted name: path} of every module of TREES (a package by its __init__.py)."""
    found = {}
    for folder, prefix in TREES:
        for path in folder.rglob("*.py"):
            parts = [prefix, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name, path, known):
    """The modules of known that module name (at path) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            # `from pkg import x` imports pkg.x when x is a module, else it reads pkg.
            targets = [base + "." + a.name if base + "." + a.name in known else base
                       for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def cycle(graph):
    """One cycle of graph ({node: successors}) as a list of nodes, or None."""
    state = {}  # node: 1 while on the path, 2 when done
    path = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_no_import_cycle_in_tools_and_frozen():
    found = cycle(graph())
    assert found is None, "import cycle: " + " -> ".join(found)


def test_the_walk_sees_imports_and_finds_a_planted_cycle():
    # The walk is real: it sees the package's known edges (relative, absolute, in functions)...
    g = graph()
    assert "fastpath.board" in g["fastpath"]
    assert "fastpath._args" in g["fastpath.kernels.crc32"]
    assert "fastpath_thumb.crc32" in g["fastpath.kernels.crc32"]
    assert "tools.kernels" in g["tools.identity"]
    # ...and the search finds a cycle when there is one.
    g["fastpath_thumb.crc32"] = g["fastpath_thumb.crc32"] | {"fastpath.kernels.crc32"}
    assert cycle(g) == ["fastpath.kernels.crc32", "fastpath_thumb.crc32",
                        "fastpath.kernels.crc32"]
