"""Servers that tests start for themselves: Debian's redis-server on a free loopback port, with no persistence, so
that a test's store is the real thing yet leaves nothing behind (`make test` installs the package)."""
import contextlib
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.harness.server import free_port

REDIS_SERVER = Path("/usr/bin/redis-server")


@contextlib.contextmanager
def redis_server(timeout_s: float = 10):
    """Start redis-server on a free port of 127.0.0.1, wait until it answers PING, yield its URL
    (redis://127.0.0.1:PORT/0) and stop it."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with tempfile.TemporaryDirectory(prefix="vaedemo-redis-") as folder:
        log = Path(folder) / "redis.log"
        process = subprocess.Popen(
            [REDIS_SERVER, "--save", "", "--appendonly", "no", "--port", str(port), "--bind", "127.0.0.1",
             "--dir", folder, "--logfile", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            wait_for_ping(url, process, log, timeout_s)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_ping(url: str, process: subprocess.Popen, log: Path, timeout_s: float):
    client = redis.Redis.from_url(url, socket_timeout=1)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}: {read(log)}")
        try:
            client.ping()
            client.close()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer PING within {timeout_s} s: {read(log)}") from None
            time.sleep(0.05)


def read(log: Path) -> str:
    return log.read_text() if log.exists() else "(no log)"
