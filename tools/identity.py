"""Firmware identity: which commit of this project, which MicroPython release, which board.

At build time tools/build.py writes the identity twice, from one dict:

- ``<out>/gen/fastpath/_index.py``, the package's kernel index (tools/kernels.py), frozen
  into the firmware (frozen/manifest.py), so the running board answers ``fastpath.BUILD``;
- ``<out>/firmware.json`` beside the artifacts, so the host knows what it is about to flash.

Both are written only when their content changes (a no-op rebuild stays a no-op) and hold no
timestamp and no path (two builds of one tree stay byte-identical). After a flash, the board's
``fastpath.BUILD`` is compared with ``firmware.json``: mismatch() says how they differ.
"""

import json
from pathlib import Path

from tools import kernels
from tools.util import git_describe

KEYS = ("fastpath", "micropython", "board")
MODULE = Path("gen") / "fastpath" / "_index.py"  # under the target's build folder
JSON = "firmware.json"


def build_info(project_dir, micropython_dir, board):
    """{"fastpath": git describe --always --dirty of the project, "micropython": the tag of
    the fetched tree (e.g. "v1.25.0"), "board": the target's build name (e.g. "PYBV11")}."""
    return {
        "fastpath": git_describe(project_dir, "--always", "--dirty"),
        "micropython": git_describe(micropython_dir, "--tags", "--always"),
        "board": board,
    }


def json_text(info):
    return json.dumps({k: info[k] for k in KEYS}, indent=1) + "\n"


def _write_if_changed(path, text):
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def write_module(out_dir, info, board, arch, root=None, c=True):
    """<out_dir>/gen/fastpath/_index.py, only if it changed; True when it was written: the
    kernel index (tools/kernels.py) of a firmware for board (fastpath.board.NAME there) of
    mpy architecture arch, with BUILD = info; c: whether the firmware has our C module."""
    return kernels.write_index(Path(out_dir) / MODULE, board, arch, build=info, c=c,
                               root=root or kernels.ROOT)


def write_json(out_dir, info):
    """<out_dir>/firmware.json, only if it changed; True when it was written."""
    return _write_if_changed(Path(out_dir) / JSON, json_text(info))


def read_json(path):
    """The identity in a firmware.json, or None when there is none (or it is not one)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(not isinstance(data.get(k), str) for k in KEYS):
        return None
    return {k: data[k] for k in KEYS}


def describe(info):
    """'fastpath 2e6e9b0-dirty, MicroPython v1.25.0, board PYBV11' (or 'no fastpath.BUILD')."""
    if not info:
        return "no fastpath.BUILD"
    return "fastpath {}, MicroPython {}, board {}".format(
        info.get("fastpath"), info.get("micropython"), info.get("board")
    )


def mismatch(expected, got):
    """None when the board's BUILD is the expected identity, else the fields that differ, as
    'fastpath 1234abc (expected 5678def)'."""
    if not isinstance(got, dict):
        return "no fastpath.BUILD"
    diffs = [
        "{} {} (expected {})".format(k, got.get(k), expected[k])
        for k in KEYS
        if got.get(k) != expected[k]
    ]
    return "; ".join(diffs) or None
