"""A student's model outlives the session and the server: uploaded in one browser, it is back on every page of that
browser after the server restarts, nobody else's, until the student forgets it."""
import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT, free_port, start_app, stop_app

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: a restarted server imports torch first
MINE = "Use my VAE (latent size 2) on every page"


def opened(context, url: str):
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(url)
    wait_for_app(page)
    return page


def test_a_model_comes_back_to_its_browser_after_a_restart_and_to_nobody_else(browser, tmp_path):
    port = free_port()
    url, state = f"http://127.0.0.1:{port}", {"VAEDEMO_STATE": str(tmp_path)}
    server = start_app(port, state)
    student = browser.new_context(viewport={"width": 1400, "height": 1000})
    stranger = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = opened(student, f"{url}/train")
        page.locator("input[type=file]").set_input_files(ROOT / "checkpoints" / "vae-2d.safetensors")
        expect(page.get_by_role("switch", name=MINE)).to_be_visible(timeout=SLOW)
        page.close()
        stop_app(server)
        server = start_app(port, state)  # a restart: every session is gone

        page = opened(student, f"{url}/latent")  # the same browser, another page
        expect(page.get_by_role("switch", name=MINE)).to_be_visible(timeout=SLOW)
        expect(page.get_by_role("switch", name=MINE)).to_be_checked()
        other = opened(stranger, f"{url}/latent")
        expect(other.get_by_text("Every page uses the shipped weights.")).to_be_visible(timeout=SLOW)

        page.get_by_role("button", name="Forget my model").click()
        expect(page.get_by_role("switch", name=MINE)).to_have_count(0, timeout=SLOW)
        page.reload()
        wait_for_app(page)
        expect(page.get_by_text("Every page uses the shipped weights.")).to_be_visible(timeout=SLOW)
        expect(page.get_by_role("switch", name=MINE)).to_have_count(0)
    finally:
        student.close()
        stranger.close()
        stop_app(server)
