"""Shared fixtures. The browser ones start the real app (`streamlit run app.py`) on a free port and
drive Debian's Chromium through Playwright; `make test` installs Chromium with apt-get."""
import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def run_coroutine(coroutine):
    """Run an asyncio coroutine to its end and return its result, in a thread of its own: Playwright's sync API
    keeps an event loop running in the test thread, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, extra_env: dict | None = None, args: list[str] = ()) -> subprocess.Popen:
    """`streamlit run app.py` as a user starts it, waiting until its health check answers. Its output goes to a
    file (process.log), not a pipe: a pipe nobody reads fills up and then blocks the server."""
    env = {**os.environ, **(extra_env or {})}
    log = tempfile.NamedTemporaryFile(prefix="vaedemo-server-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = Path(log.name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {process.log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    stop_app(process)
    raise RuntimeError("streamlit did not answer its health check within 60 s")


def stop_app(process: subprocess.Popen):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    process.log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    process = start_app(port)
    yield f"http://127.0.0.1:{port}"
    stop_app(process)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package with apt-get")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (its own Streamlit session) at desktop width."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def wait_for_app(page):
    """Wait until Streamlit has finished running the script (no 'Running...' indicator)."""
    page.wait_for_selector("[data-testid=stApp]")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')"
        " || !document.querySelector('[data-testid=stStatusWidget]').innerText.includes('Running')", timeout=30_000)
