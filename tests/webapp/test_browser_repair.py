"""The Repair page in a real browser: more noise, then an erased half, each redraws the damaged digit and
its repairs; then the screenshot for the README."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT

pytestmark = pytest.mark.browser
SLOW = 20_000  # ms: each step is a script rerun, and the two cores may be busy with a training
COLD_START = 120_000  # ms: the first runs import torch and plotly, a minute or two on a busy machine


def figure(page, name: str):
    """The picture captioned name."""
    return page.locator("[data-testid=stImage]").filter(has=page.get_by_text(name, exact=True)).locator("img")


def damaged_error(page) -> str:
    return page.locator("[data-testid=stMetricValue]").first.inner_text()


def open_repair_page(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Repair").click(timeout=COLD_START)
    page.get_by_text("Repair a damaged digit").wait_for(timeout=COLD_START)
    expect(figure(page, "conv VAE, 2-D")).to_be_visible(timeout=COLD_START)
    wait_for_app(page)


def test_noise_and_an_erased_half_redraw_the_damage_and_the_repairs(page, app_url):
    open_repair_page(page, app_url)
    damaged, repaired = figure(page, "Damaged").get_attribute("src"), figure(page, "conv VAE, 2-D").get_attribute("src")
    error = damaged_error(page)

    slider = page.get_by_role("slider", name=re.compile("Noise level"))
    slider.focus()
    for step in range(1, 5):  # 0.4 -> 0.6 in steps of 0.05, each seen on the slider before the next
        page.keyboard.press("ArrowRight")
        expect(slider).to_have_attribute("aria-valuetext", f"{0.4 + 0.05 * step:.2f}", timeout=SLOW)
    expect(figure(page, "Damaged")).not_to_have_attribute("src", damaged, timeout=SLOW)
    expect(figure(page, "conv VAE, 2-D")).not_to_have_attribute("src", repaired, timeout=SLOW)
    wait_for_app(page)
    assert "repair_noise=0.6" in page.url  # the address bar keeps the view
    noisier = damaged_error(page)
    assert float(noisier) > float(error)

    page.get_by_role("combobox", name="Erase").click()
    page.get_by_role("option", name="top half").click()
    expect(page.locator("[data-testid=stMetricValue]").first).not_to_have_text(noisier, timeout=SLOW)
    wait_for_app(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)", timeout=SLOW)
    expect(page.get_by_text(re.compile("^Best repair here: "))).to_be_visible()

    # Noise alone on the 16-D pair (and the shipped denoising VAE beside it), for the screenshot.
    page.get_by_role("combobox", name="Erase").click()
    page.get_by_role("option", name="nothing").click()
    expect(page.get_by_text("Fill in only the erased block")).to_have_count(0, timeout=SLOW)
    page.get_by_text("16-D", exact=True).click()
    expect(figure(page, "VAE, 16-D")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    page.set_viewport_size({"width": 1400, "height": 1300})
    page.screenshot(path=ROOT / "artifacts" / "repair.png", full_page=True)


def test_the_convolutional_pair_repairs_in_16d(page, app_url):
    open_repair_page(page, app_url)
    page.get_by_text("16-D", exact=True).click()
    expect(figure(page, "VAE, 16-D")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    page.get_by_text("The convolutional pair", exact=True).click()  # the switch input itself is hidden
    expect(figure(page, "conv VAE, 16-D")).to_be_visible(timeout=SLOW)
    expect(figure(page, "conv AE, 16-D")).to_be_visible()
    expect(figure(page, "VAE, 16-D")).to_have_count(0)
    assert "repair_conv=true" in page.url
