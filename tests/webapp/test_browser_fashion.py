"""The sidebar's data set picker in a real browser: Fashion-MNIST on the Latent page, in the address bar,
and the Draw page staying on digits."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP

pytestmark = pytest.mark.browser
COLD_START = 120_000  # ms: the first runs import torch, a minute or two on a busy machine


def test_picking_fashion_mnist_switches_the_latent_map_and_the_link(page, app_url):
    page.goto(f"{app_url}/latent")
    wait_for_app(page)
    legend = page.locator(f"{MAP} .legend span")
    expect(legend.first).to_have_text("0", timeout=COLD_START)

    page.locator("[data-testid=stSidebar]").get_by_text("Fashion-MNIST", exact=True).click()
    expect(legend.filter(has_text="Ankle boot")).to_have_count(1, timeout=COLD_START)
    expect(legend.first).to_have_text("T-shirt/top")
    page.locator(f"{MAP}[data-ready=true]").wait_for()
    page.locator(f"{MAP} .plot").hover()  # the Fashion-MNIST VAE decodes under the pointer
    expect(page.locator(f"{MAP} .z")).to_have_text(re.compile(r"^z = "))
    page.wait_for_url(re.compile(r"dataset=Fashion-MNIST"))

    page.get_by_role("link", name="Draw").click()
    expect(page.get_by_text("The Draw page works on handwritten digits only")).to_be_visible(timeout=COLD_START)
