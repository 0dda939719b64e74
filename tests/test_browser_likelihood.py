"""The Likelihood page in a real browser: a 7 drawn with the mouse gets its -log p(x) in the text and as a dashed
line on both histograms; the page's texts; on a phone and in lecture mode the canvas and the charts fit the width."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, DIGITS, draw_stroke

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: the first open imports torch and computes 4,000 images' -log p(x) on two cores that may be busy
YOURS = re.compile(r"^Your drawing: −log p\(x\) = (\d+\.\d) nats, excess over its pixels' entropy (-?\d+\.\d) nats")
MARKERS = ".js-plotly-plot .shapelayer path"  # the drawing's dashed line, one on each chart


def open_likelihood(page, url: str):
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("What likelihood knows").first.wait_for(timeout=SLOW)
    page.locator(CANVAS).wait_for(timeout=SLOW)
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=SLOW)
    wait_for_app(page)


def test_a_drawn_seven_lands_on_both_histograms_with_its_value(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1500})
    open_likelihood(page, f"{app_url}/likelihood")
    expect(page.get_by_text("Draw a digit or a piece of clothing on the black canvas")).to_be_visible()
    expect(page.locator(MARKERS)).to_have_count(0)
    for stroke in DIGITS[7]:
        draw_stroke(page, stroke)
        wait_for_app(page)
    yours = page.get_by_text(YOURS)
    expect(yours).to_be_visible(timeout=SLOW)
    nll, excess = map(float, YOURS.search(yours.text_content()).groups())
    assert 100 < nll < 400 and 0 < excess < nll  # the Fashion-MNIST VAE-16D on a drawn 7 (its pixels cost nats)
    expect(page.locator(MARKERS)).to_have_count(2, timeout=SLOW)
    expect(page.get_by_text("your drawing").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Histograms of −log p\(x\) under this VAE\. Median: \d+ nats for "
                                       r"Fashion-MNIST \(its own data set\), \d+ for MNIST\."))).to_be_visible()
    expect(page.get_by_role("heading", name="What it means")).to_be_visible()
    expect(page.get_by_text("a likelihood is not an out-of-distribution detector")).to_be_visible()
    expect(page.get_by_role("heading", name="What people do instead")).to_be_visible()
    wait_for_app(page)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "likelihood.png", full_page=True)


@pytest.mark.parametrize("viewport, query", [({"width": 390, "height": 844}, ""),
                                             ({"width": 1920, "height": 1080}, "?lecture=1")])
def test_on_a_phone_and_in_lecture_mode_nothing_runs_off_the_side(page, app_url, viewport, query):
    page.set_viewport_size(viewport)
    open_likelihood(page, f"{app_url}/likelihood{query}")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    canvas, chart = page.locator(CANVAS).bounding_box(), page.locator(".js-plotly-plot").first.bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= viewport["width"]
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= viewport["width"]
    if query:  # lecture mode: the canvas and the first chart side by side on the projector's first screen
        assert chart["y"] < viewport["height"] and canvas["y"] + canvas["height"] < viewport["height"]
        page.screenshot(path=ROOT / "artifacts" / "likelihood-lecture.png")
    else:
        page.screenshot(path=ROOT / "artifacts" / "likelihood-phone.png", full_page=True)
