"""The app as a user starts it: `streamlit run app.py` on a free loopback port (tests and benchmarks), and the
Hugging Face image's own start command run here."""
import asyncio
import concurrent.futures
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webapp.serve import free_port, healthy  # noqa: F401  free_port: the tests' and benchmarks' too

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def run_coroutine(coroutine):
    """Run an asyncio coroutine to its end and return its result, in a thread of its own: Playwright's sync API
    keeps an event loop running in the test thread, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


@contextlib.contextmanager
def checkouts(vs: str | None):
    """{"this tree": ROOT}, and with vs that commit checked out beside it under its own name (a git worktree, removed
    afterwards): what a benchmark's --vs measures side by side."""
    checkouts = {"this tree": ROOT}
    if vs:
        checkouts[vs] = Path(tempfile.mkdtemp(prefix="vaedemo-before-")) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(checkouts[vs]), vs], cwd=ROOT, check=True,
                       capture_output=True)
    try:
        yield checkouts
    finally:
        if vs:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkouts[vs])], cwd=ROOT)


def start_app(port: int, extra_env: dict | None = None, args: list[str] = (), processes: int = 1,
              root: Path = ROOT) -> subprocess.Popen:
    """`streamlit run app.py` as a user starts it, waiting until its health check answers. Its output goes to a
    file (process.log), not a pipe: a pipe nobody reads fills up and then blocks the server. processes > 1: the
    image's start command with VAEDEMO_PROCESSES (webapp/serve.py), that many app processes behind HAProxy. root:
    the checkout to start (a benchmark's earlier commit, say). `make test-fast` (VAEDEMO_FAST_TESTS) starts none: a
    test that starts one says it must carry the server mark."""
    if os.environ.get("VAEDEMO_FAST_TESTS"):
        raise RuntimeError("this test starts the app's server: mark it @pytest.mark.server (make test runs it)")
    env = {**os.environ, **(extra_env or {})}
    log = tempfile.NamedTemporaryFile(prefix="vaedemo-server-", suffix=".log", delete=False)
    options = ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1", *args]
    if processes > 1:
        command = [sys.executable, "-m", "webapp.serve", *options]
        env["VAEDEMO_PROCESSES"] = str(processes)
        env["PATH"] = f"{env.get('PATH', '')}:/usr/sbin"  # where Debian's haproxy is, on a PATH without it too
    else:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", *options]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = Path(log.name)
    deadline = time.monotonic() + 60 * processes
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {process.log.read_text()}")
        if healthy(port):
            return process
        time.sleep(0.2)
    stop_app(process)
    raise RuntimeError(f"streamlit did not answer its health check within {60 * processes} s")


def stop_app(process: subprocess.Popen):
    process.terminate()
    try:
        process.wait(timeout=30)  # webapp/serve.py stops its app processes first
    except subprocess.TimeoutExpired:
        process.kill()
    process.log.unlink(missing_ok=True)


def app_pids(process: subprocess.Popen) -> list[int]:
    """The app processes that start_app's process stands for: itself, or the ones webapp/serve.py started."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    apps = [int(pid) for pid in children if b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return apps or [process.pid]


def image_command() -> list[str]:
    cmd = re.search(r"^CMD (\[.*?\])\s*$", DOCKERFILE.replace("\\\n", ""), re.M | re.S)
    return json.loads(cmd.group(1))


def local_image_command(port: int) -> list[str]:
    """The image's start command, run here: this Python, the port given, on the loopback address."""
    command = [sys.executable if word == "python" else word for word in image_command()]
    command = [f"--server.port={port}" if word == "--server.port=8501" else word for word in command]
    return ["--server.address=127.0.0.1" if word.startswith("--server.address") else word for word in command]
