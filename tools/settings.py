"""The project's settings, read once: defaults here, overridden as invoke overrides them.

tasks.py hands these defaults to invoke (ns.configure), so `invoke.yaml` and `INVOKE_FASTPATH_*`
variables change them for every task; load() reads them the same way for code that runs
outside a task (pytest). Layout turns them into paths, which everything else is given.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "micropython_url": "https://github.com/micropython/micropython",
    "micropython_ref": "v1.25.0",
    "micropython_dir": "lib/micropython",
    "build_dir": "build",
    "jobs": os.cpu_count() or 2,
    "install": True,
    "port": "/dev/ttyACM0",
}


def load(root=ROOT):
    """The fastpath settings as a task sees them (a dict-like of DEFAULTS' keys)."""
    from invoke import Config

    config = Config(project_location=str(root))
    config.load_collection({"fastpath": DEFAULTS})
    config.load_project()
    config.load_shell_env()
    return config.fastpath


class Layout:
    """Where one MicroPython tree and the firmware built from it live.

    build: the build folder (build/, or build/<ref>/ for a release of the matrix), holding
    mpy-cross/ and one folder per firmware (PYBV11/, unix/, unix-asan/, qemu/).
    micropython: the fetched MicroPython tree. ref: the release it is checked out at.
    """

    def __init__(self, build, micropython, ref, root=ROOT):
        self.root = Path(root)
        self.build = self.root / build
        self.micropython = self.root / micropython
        self.ref = ref

    @classmethod
    def from_settings(cls, settings, root=ROOT):
        return cls(settings["build_dir"], settings["micropython_dir"],
                   settings["micropython_ref"], root)

    def out(self, folder):
        """build/<folder>/, e.g. out("unix")."""
        return self.build / folder

    def release(self):
        """The release the fetched tree is, from its py/mpconfig.h: "1.25.0" (or None where
        there is no tree). The tree's own word: ./inv build --ref moves it without changing
        the micropython_ref setting."""
        import re

        try:
            text = (self.micropython / "py" / "mpconfig.h").read_text()
        except OSError:
            return None
        parts = [re.search(r"#define MICROPY_VERSION_{} \(?(\d+)\)?".format(p), text)
                 for p in ("MAJOR", "MINOR", "MICRO")]
        return ".".join(m.group(1) for m in parts) if all(parts) else None

    @property
    def mpy_cross(self):
        """The mpy-cross built from this tree: what compiles .mpy files for its firmware."""
        return self.build / "mpy-cross" / "mpy-cross"

    @property
    def mpremote(self):
        """The fetched tree's own mpremote (a folder to put on PYTHONPATH)."""
        return self.micropython / "tools" / "mpremote"

    def env(self):
        """This layout as the settings of a task run in a child process (INVOKE_FASTPATH_*)."""
        return {"INVOKE_FASTPATH_BUILD_DIR": str(self.build),
                "INVOKE_FASTPATH_MICROPYTHON_DIR": str(self.micropython),
                "INVOKE_FASTPATH_MICROPYTHON_REF": self.ref}

    def rel(self, path):
        """path relative to the project when inside it, for messages."""
        path = Path(path)
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def __repr__(self):
        return "Layout({!r}, {!r}, {!r})".format(str(self.build), str(self.micropython), self.ref)
