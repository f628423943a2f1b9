"""Running invoke tasks from tests, as a user runs them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVOKE = [sys.executable, "-m", "invoke"]


def inv(*args, env=None, timeout=900):
    """Run an invoke task in the project; return (exit code, combined output)."""
    proc = subprocess.run(
        INVOKE + list(args),
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout + proc.stderr
