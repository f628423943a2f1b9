"""Small helpers every tool uses, in one place: a stage's line of output, git, an ELF's size.

Nothing here imports another module of tools/, so any of them can import this one.
"""

import subprocess
from typing import NamedTuple

from tools.settings import ROOT


def say(stage, text):
    """One line of a task's progress: "[stage] text"."""
    print("[{}] {}".format(stage, text), flush=True)


def git(args, cwd=ROOT):
    """A git command in cwd (None: where it needs no repository, a clone or ls-remote), its
    output captured: a CompletedProcess."""
    where = ["-C", str(cwd)] if cwd is not None else []
    return subprocess.run(["git", *where, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def git_describe(cwd, *args):
    """`git describe ARGS` of the tree at cwd, or "unknown" where git cannot say."""
    r = git(["describe", *args], cwd)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else "unknown"


class ElfSize(NamedTuple):
    """An ELF file's sections in bytes, as size(1) (Berkeley format) counts them."""

    text: int
    data: int
    bss: int

    @property
    def flash(self):
        """text + data: what the file takes in flash."""
        return self.text + self.data

    def __str__(self):
        return "text {}, data {}, bss {}".format(self.text, self.data, self.bss)


def elf_size(path):
    """The ElfSize of an ELF file (a firmware, an object), or None where no size tool reads it:
    arm-none-eabi-size where it reads the file (ARM, RISC-V), else the host's size."""
    for tool in ("arm-none-eabi-size", "size"):
        try:
            r = subprocess.run([tool, str(path)], capture_output=True, text=True,
                               stdin=subprocess.DEVNULL)
        except OSError:
            continue
        if r.returncode == 0:
            return ElfSize(*(int(n) for n in r.stdout.splitlines()[1].split()[:3]))
    return None
