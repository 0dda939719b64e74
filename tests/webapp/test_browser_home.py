import pytest

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT

pytestmark = pytest.mark.browser


def test_home_page_shows_reconstructions(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Test digits").click()
    page.get_by_text("What an autoencoder and a VAE make of MNIST digits").wait_for()
    images = page.locator("[data-testid=stImage] img")
    images.nth(2).wait_for()
    assert images.count() == 3
    # the pictures come from the server's media endpoint: each must load (a broken one never does)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "home.png", full_page=True)
