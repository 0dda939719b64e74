"""The CLI as a user runs it: python -m vaedemo in a subprocess, with the tests' data root."""
import json
import os
import subprocess
import sys

from tests.harness.server import ROOT


def run_cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VAEDEMO_DATA": os.environ.get("VAEDEMO_DATA", str(ROOT / "data"))}
    return subprocess.run([sys.executable, "-m", "vaedemo", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env=env)


def cli_json(command: str, *args) -> dict:
    """`python -m vaedemo COMMAND ARGS --json`, which must succeed: its one JSON object. args may be one string of
    space-separated words."""
    words = args[0].split() if len(args) == 1 and isinstance(args[0], str) else [str(arg) for arg in args]
    run = run_cli(command, *words, "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)
