"""Small helpers every tool uses, in one place: a stage's line of output and git.

Nothing here imports another module of tools/, so any of them can import this one.
"""

import subprocess

from tools.settings import ROOT


def say(stage, text):
    """One line of a task's progress: "[stage] text"."""
    print("[{}] {}".format(stage, text), flush=True)


def git(args, cwd=ROOT):
    """A git command in cwd, its output captured: a CompletedProcess."""
    return subprocess.run(["git", "-C", str(cwd)] + list(args), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def git_describe(cwd, *args):
    """`git describe ARGS` of the tree at cwd, or "unknown" where git cannot say."""
    r = git(["describe", *args], cwd)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else "unknown"
