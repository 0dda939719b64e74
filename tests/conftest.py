"""Fixtures only; what they use is in tests/harness. The browser ones start the real app (`streamlit run app.py`) on a
free port and drive Debian's Chromium through Playwright; `make test` installs Chromium with apt-get."""
import os

import pytest

from tests.harness.browser import CHROMIUM_FLAGS, chromium_path, hold_weights
from tests.harness.server import free_port, start_app, stop_app


def pytest_collection_modifyitems(items):
    """The tests that start the app's server, the session's (app_url) or their own (marked so), and the browser ones
    all carry the server mark: `make test-fast` runs the rest."""
    for item in items:
        if "app_url" in item.fixturenames or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.server)


def pytest_configure(config):
    """Under pytest-xdist each worker shares the two cores with another: torch's work in a test runs on one thread,
    where a second would mostly wait for the core the other worker holds (10 % less CPU and wall for tests/vaedemo)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def state_folder(tmp_path_factory):
    """The app's state (the room store's SQLite file) in a folder of the test run's own, for AppTest in this process
    and for every server the tests start."""
    folder = tmp_path_factory.mktemp("state")
    os.environ["VAEDEMO_STATE"] = str(folder)
    os.environ.pop("VAEDEMO_ROOMS", None)
    return folder


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    process = start_app(port)
    yield f"http://127.0.0.1:{port}"
    stop_app(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(shell=True), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on its test (item.failed_call), for the page fixture's trace."""
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def page(browser, request):
    """A fresh browser context (its own Streamlit session) at desktop width. With VAEDEMO_TRACE=1 (or a part of some
    tests' ids, as `conv`), a test that fails leaves a Playwright trace (what each action saw, the page's DOM, console
    and network) in artifacts/traces/, to open with `python -m playwright show-trace`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    if os.environ.get("VAEDEMO_SLOW_WEIGHTS"):  # a test that reads what weights paint before they came fails
        hold_weights(context, int(os.environ["VAEDEMO_SLOW_WEIGHTS"]))
    wanted = os.environ.get("VAEDEMO_TRACE", "")
    tracing = wanted == "1" or bool(wanted) and wanted in request.node.nodeid
    if tracing:
        context.tracing.start(screenshots=True, snapshots=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    if tracing:
        failed = getattr(request.node, "failed_call", False)
        name = "".join(c if c.isalnum() else "-" for c in request.node.name)
        context.tracing.stop(path=f"artifacts/traces/{name}.zip" if failed else None)
    context.close()
