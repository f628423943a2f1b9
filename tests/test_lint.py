"""The project's Python, the code sent to targets included, is ruff clean (pyproject.toml); and
every repository path its docs and comments name exists."""

import ast
import fnmatch
import glob
import io
import re
import subprocess
import sys
import tokenize

from tools.settings import ROOT


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- paths named in docs and comments ---------------------------------------------------------
#
# Every repository path that README.md, docs/*.md, or a comment or docstring of a .py, .c, .h,
# .mk or Makefile names must exist. The rule for what counts as a repository path: a word of
# the form a/b[/...] whose first part is one of the repository's tracked top-level entries
# (boards, docs, frozen, ports, tests, tools, usermod, ...), not inside a URL. build/ and lib/
# are no tracked entries, so their paths (build/unix/micropython, lib/micropython/) are never
# checked. Placeholders (NAME, <kernel>, {md,json}, *) match any name; a :LINE suffix is
# dropped. The path resolves from the repository's root, or from the folder of the file that
# names it; failing both, it may be MicroPython's own (tests/run-tests.py, tools/pydfu.py: the
# same top-level names as ours), in the fetched tree of the pinned release. A file of another
# release is named from its port or folder ("the port's mcu/arm/ticks.c"), which no check
# could resolve on a clone (fetch clones one release, one commit deep).

_PATH = re.compile(r"(?<![\w./:@$~-])((?:\.?(?:[\w*<>-]|\{[^}\s/]*\})+/)+"
                   r"(?:[\w*<>.-]|\{[^}\s/]*\})*)")
_PLACEHOLDER = re.compile(r"<[^>/]*>|\{[^}/]*\}|(?<![A-Za-z])(?:NAME|KERNEL|TARGET|MODE|REF|"
                          r"RUNG|PORT)(?![A-Za-z])")


def _tracked():
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True,
                         check=True).stdout.split()
    return [p for p in out if (ROOT / p).exists()]


def _comments(path):
    """The documentation text of a tracked file: all of a Markdown file; the comments (and
    a Python file's docstrings) of code."""
    text = path.read_text(errors="replace")
    if path.suffix == ".md":
        return text
    if path.suffix == ".py":
        found = [tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                 if tok.type == tokenize.COMMENT]
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                found.append(ast.get_docstring(node) or "")
        return "\n".join(found)
    if path.suffix in (".c", ".h"):
        return "\n".join(re.findall(r"//[^\n]*|/\*.*?\*/", text, re.S))
    return "\n".join(re.findall(r"#[^\n]*", text))  # make


def _documented(tracked):
    return [p for p in tracked
            if p.endswith((".py", ".c", ".h", ".mk")) or p.split("/")[-1] == "Makefile"
            or p == "README.md" or (p.startswith("docs/") and p.endswith(".md"))]


def stale_paths(tracked, micropython=None, texts=None):
    """["file: path"] for each repository path named in a doc or comment that resolves to
    nothing (see the rule above). texts: {file: its documentation text}, read from the
    files when None."""
    tops = {p.split("/")[0] for p in tracked}
    known = set(tracked)
    for p in tracked:  # and every folder of them
        parts = p.split("/")
        known |= {"/".join(parts[:i]) for i in range(1, len(parts))}
    if texts is None:
        texts = {doc: _comments(ROOT / doc) for doc in _documented(tracked)}
    stale = {}
    for doc, text in texts.items():
        folder = doc.rpartition("/")[0]
        for word in _PATH.findall(text):
            word = re.sub(r":\d+(?:-\d+)?$", "", word.rstrip(".,;:"))
            if word.split("/")[0] not in tops:
                continue
            pattern = _PLACEHOLDER.sub("*", word.rstrip("/"))
            candidates = [pattern] + ([folder + "/" + pattern] if folder else [])
            if not any(fnmatch.filter(known, c) for c in candidates):
                stale.setdefault(pattern, set()).add("{}: {}".format(doc, word))
    if micropython is not None:
        for pattern in list(stale):  # MicroPython's own, in the fetched tree
            if glob.glob(str(micropython / pattern)):
                del stale[pattern]
    return sorted(set().union(*stale.values()))


def test_every_path_named_in_docs_and_comments_exists(layout):
    mp = layout.micropython if (layout.micropython / "ports").is_dir() else None
    assert mp is not None, "no MicroPython tree in {}; run: ./inv fetch".format(
        layout.rel(layout.micropython))
    stale = stale_paths(_tracked(), mp)
    assert not stale, "stale paths (name a file that exists, or reword):\n" + "\n".join(stale)


def test_a_stale_path_is_found():
    # The check is real: a comment naming a file that is not there is reported, with its
    # line suffix dropped; one naming a file that is, a placeholder, build/ or a URL is not.
    text = ("# tools/no_such_module.py:12, tools/kernels.py, frozen/fastpath/kernels/NAME.py,\n"
            "# tests/test_<kernel>.py, build/unix/micropython, "
            "https://github.com/x/tools/y.py and fastpath/kernels.")
    assert stale_paths(_tracked(), texts={"tools/x.py": text}) == [
        "tools/x.py: tools/no_such_module.py"]


def test_tools_init_names_every_module():
    # tools/__init__.py is the map of tools/: each module, package and data file has its line
    # there; a package's __init__.py is the map of its own modules and data files.
    packages = [ROOT / "tools"] + [p.parent for p in (ROOT / "tools").glob("*/__init__.py")]
    assert len(packages) > 1
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        named = set(re.findall(r"\b\w+\b", doc))
        files = [p for p in package.iterdir() if p.stem != "__init__" and (
            p.suffix in (".py", ".json") or (p / "__init__.py").exists())]
        assert files
        missing = sorted(p.name for p in files if p.stem not in named)
        assert not missing, "{}/__init__.py does not describe: {}".format(
            package.relative_to(ROOT), ", ".join(missing))
