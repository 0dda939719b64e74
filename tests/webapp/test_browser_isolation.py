"""Two people on one server: a model one of them uploads is theirs alone, and a bad upload is refused."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms


def open_train_page(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Train", exact=True).click()
    page.get_by_text("Train your own autoencoder").wait_for(timeout=SLOW)


def test_an_uploaded_model_is_seen_only_by_its_own_session(browser, app_url, tmp_path):
    alice, bob = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
    try:
        a, b = alice.new_page(), bob.new_page()
        for page in (a, b):
            open_train_page(page, app_url)

        bad = tmp_path / "notes.safetensors"
        bad.write_bytes(b"\x80\x04not a model")
        a.locator("input[type=file]").set_input_files(bad)
        expect(a.get_by_text("notes.safetensors is not a .safetensors file")).to_be_visible(timeout=SLOW)
        expect(a.get_by_role("switch", name=re.compile("^Use my"))).to_have_count(0)

        a.locator("input[type=file]").set_input_files(ROOT / "checkpoints" / "vae-2d.safetensors")
        expect(a.get_by_text("Loaded vae-2d.safetensors: a VAE with latent size 2")).to_be_visible(timeout=SLOW)
        expect(a.get_by_role("switch", name="Use my VAE (latent size 2) on every page")).to_be_visible(timeout=SLOW)

        b.reload()
        wait_for_app(b)
        b.get_by_role("link", name="Latent space", exact=True).click()
        b.get_by_text("Walk through the 2-D latent space of a VAE").wait_for(timeout=SLOW)
        wait_for_app(b)
        expect(b.get_by_text("Every page uses the shipped weights.")).to_be_visible(timeout=SLOW)
        expect(b.get_by_role("switch", name=re.compile("^Use my"))).to_have_count(0)
    finally:
        alice.close()
        bob.close()
