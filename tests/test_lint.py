"""The project's Python, the code sent to targets included, is ruff clean (pyproject.toml)."""

import subprocess
import sys

from tools.settings import ROOT


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
