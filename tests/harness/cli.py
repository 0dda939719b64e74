"""The CLI as a user runs it: python -m vaedemo in a subprocess, with the tests' data root."""
import os
import subprocess
import sys

from tests.harness.server import ROOT


def run_cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VAEDEMO_DATA": os.environ.get("VAEDEMO_DATA", str(ROOT / "data"))}
    return subprocess.run([sys.executable, "-m", "vaedemo", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env=env)
