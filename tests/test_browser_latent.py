"""The Latent page in a real browser: a slider driven with the keyboard and a click on the map decode z."""
import re

import pytest
from playwright.sync_api import expect

from conftest import ROOT, wait_for_app

pytestmark = pytest.mark.browser
SLOW = 20_000  # ms: each step is a script rerun, and the two cores may be busy with a training
COLD_START = 120_000  # ms: the first runs import torch and plotly, a minute or two on a busy machine


def open_latent_page(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Latent space").click(timeout=COLD_START)
    page.get_by_text("Walk through the 2-D latent space of a VAE").wait_for(timeout=COLD_START)
    page.locator(".js-plotly-plot .scatterlayer .point").first.wait_for(timeout=COLD_START)
    wait_for_app(page)


def near(value: float) -> str:
    """A regex for value to within 0.02 with two decimals: plotly's copy of a point is rounded its own way,
    and a click can land on a neighbouring test digit drawn over it."""
    return "|".join(re.escape(f"{value + 0.01 * k:.2f}") for k in range(-2, 3))


def decoded_at(z1: float, z2: float):
    return re.compile(rf"decoded z = \(({near(z1)}), ({near(z2)})\)")


def decoded_digit(page):
    return page.locator("[data-testid=stImage]").first


def test_slider_and_click_decode_a_new_digit(page, app_url):
    open_latent_page(page, app_url)
    digit = decoded_digit(page)
    expect(digit).to_contain_text("decoded z = (0.00, 0.00)")
    before = digit.locator("img").get_attribute("src")

    slider = page.get_by_role("slider", name="z1")
    slider.focus()
    for step in range(1, 21):  # 20 steps of 0.05, each seen on the slider before the next, as a person does
        page.keyboard.press("ArrowRight")
        expect(slider).to_have_attribute("aria-valuetext", f"{0.05 * step:.2f}", timeout=SLOW)
    expect(digit).to_contain_text("decoded z = (1.00, 0.00)", timeout=SLOW)
    after = digit.locator("img")
    expect(after).not_to_have_attribute("src", before, timeout=SLOW)
    assert after.evaluate("img => img.complete && img.naturalWidth > 0")
    wait_for_app(page)  # a click while the map is being redrawn is lost

    # Click the first test 1 on the map (trace 2: the lattice is trace 0, digit d is trace d + 1).
    x, y, z1, z2 = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const layout = gd._fullLayout, box = gd.getBoundingClientRect();
        const p = gd.calcdata[2].find(p => Math.abs(p.x) < 3.5 && Math.abs(p.y) < 3.5);
        return [box.left + layout._size.l + layout.xaxis.l2p(p.x), box.top + layout._size.t + layout.yaxis.l2p(p.y),
                p.x, p.y];
    }""")
    page.mouse.click(x, y)
    expect(page.get_by_text("the test 1 you clicked, whose mean z this is")).to_be_visible(timeout=SLOW)
    expect(digit).to_contain_text(decoded_at(z1, z2), timeout=SLOW)
    expect(slider).to_have_attribute("aria-valuetext", re.compile(f"^({near(z1)})$"), timeout=SLOW)
    wait_for_app(page)

    # Click the faint lattice where no test digit lies: that z itself is decoded.
    page.mouse.click(*page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot'), layout = gd._fullLayout, box = gd.getBoundingClientRect();
        return [box.left + layout._size.l + layout.xaxis.l2p(-3), box.top + layout._size.t + layout.yaxis.l2p(-3)];
    }"""))
    expect(digit).to_contain_text("decoded z = (-3.00, -3.00)", timeout=SLOW)
    expect(page.get_by_text("you clicked")).to_have_count(0)
    wait_for_app(page)

    # Back to the test 1, for the screenshot.
    page.mouse.click(x, y)
    expect(digit).to_contain_text(decoded_at(z1, z2), timeout=SLOW)
    wait_for_app(page)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "latent.png", full_page=True)
