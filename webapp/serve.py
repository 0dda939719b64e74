"""The app's start command: `python -m webapp.serve [streamlit options]`, on VAEDEMO_PROCESSES app processes (1 by
default) behind one port.

One Streamlit process runs its scripts under one GIL, so it uses about one core however many a machine has: on a
Space's two vCPUs, a hall of a hundred students drawing in one room kept it saturated (docs/deployment.md). With
VAEDEMO_PROCESSES=N (N > 1) this starts N `streamlit run app.py` processes on loopback ports and HAProxy (Debian's
haproxy) on the public port. HAProxy gives each browser a cookie naming its process on its first request and sends
every later request there: a Streamlit session lives in one process, its websocket, uploads and downloads included
(sticky sessions, as Streamlit's own replication notes ask). The rooms (webapp.classroom) are in a store that every
process shares: the default SQLite file, or Redis. With VAEDEMO_PROCESSES=1 it simply becomes `streamlit run app.py`.

Why HAProxy and no Python proxy: a websocket proxy in Python would take the very GIL time it is meant to spread;
HAProxy is a well-kept C proxy that speaks websockets and sticky cookies out of the box.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "vaedemo_process"  # HAProxy's cookie: which process serves this browser
START_S = 180  # a process that has not answered its health check by then (a cold Space) counts as failed


def split_options(argv: list[str]) -> tuple[str, str, list[str]]:
    """The public port and address from Streamlit's options (both "--name=value" and "--name value"), and the other
    options, which every process gets."""
    port, address, rest = "8501", "0.0.0.0", []
    words = iter(argv)
    for word in words:
        name, _, value = word.partition("=")
        if name in ("--server.port", "--server.address"):
            value = value or next(words, "")
            port, address = (value, address) if name == "--server.port" else (port, value)
        else:
            rest.append(word)
    return port, address, rest


def processes() -> int:
    value = os.environ.get("VAEDEMO_PROCESSES", "1")
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"VAEDEMO_PROCESSES must be a whole number of app processes, 1 or more, not {value!r}")
    return int(value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(address: str, port: str, backends: list[int]) -> str:
    """One frontend on the public port; the app processes as one backend, a new browser going to the process with the
    fewest connections (websockets are long) and staying there by its cookie."""
    servers = "".join(f"  server app{i} 127.0.0.1:{p} cookie app{i}\n" for i, p in enumerate(backends))
    return f"""global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
frontend vaedemo
  bind {address}:{port}
  default_backend app
backend app
  balance leastconn
  cookie {COOKIE} insert indirect nocache httponly
{servers}"""


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def serve(count: int, argv: list[str]) -> int:
    streamlit = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    if count == 1:
        os.execv(sys.executable, streamlit + argv)
    port, address, options = split_options(argv)
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        sys.exit(f"VAEDEMO_PROCESSES={count} needs HAProxy on the PATH (Debian: apt-get install haproxy, which puts "
                 "it in /usr/sbin)")
    # one secret for every process, so that any of them accepts the XSRF cookie another one set
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32), **os.environ}
    backends = [free_port() for _ in range(count)]
    children = [subprocess.Popen(streamlit + options + [f"--server.port={p}", "--server.address=127.0.0.1",
                                                        "--server.headless=true"], cwd=ROOT, env=env)
                for p in backends]

    def stop():
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        deadline = time.monotonic() + START_S
        while not all(healthy(p) for p in backends):
            if any(child.poll() is not None for child in children) or time.monotonic() > deadline:
                sys.exit("an app process did not start; its output is above")
            time.sleep(0.5)
        config = Path(tempfile.mkdtemp(prefix="vaedemo-haproxy-")) / "haproxy.cfg"
        config.write_text(haproxy_config(address, port, backends))
        children.append(subprocess.Popen([haproxy, "-db", "-f", str(config)]))
        print(f"vaedemo: {count} app processes behind HAProxy on {address}:{port}", flush=True)
        _, status = os.wait()  # one of them ended: the app is broken, stop it all (a Space then restarts it)
        return os.waitstatus_to_exitcode(status) or 1
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(serve(processes(), sys.argv[1:]))
