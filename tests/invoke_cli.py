"""Running invoke tasks from tests, as a user runs them."""

import os
import subprocess
import sys

from tools.settings import ROOT

INVOKE = [sys.executable, "-m", "tools.cli"]  # what ./inv runs


def run_task(*args, env=None, timeout=900):
    """Run an invoke task in the project, with no input; return the CompletedProcess.
    env adds to (or overrides) this process's environment."""
    return subprocess.run(
        INVOKE + list(args),
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def inv(*args, env=None, timeout=900):
    """Run an invoke task in the project; return (exit code, stdout and stderr together)."""
    proc = run_task(*args, env=env, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr
