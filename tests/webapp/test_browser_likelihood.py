"""The Likelihood page in a real browser: a 7 drawn with the mouse gets its -log p(x), estimated in the browser as
vaedemo estimates it (within 0.05 nats), in the text and as a dashed line on both histograms; the page's texts; on
a phone and in lecture mode the canvas and the charts fit the width."""
import re

import pytest
import torch
from playwright.sync_api import expect

import vaedemo
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import as_the_browser_has_it
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, DIGITS, canvas_pixels, draw_stroke
from vaedemo.evaluate import importance_weighted_nlls
from vaedemo.likelihood import excess_nats
from vaedemo.preprocess import preprocess_drawing

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: the first open imports torch and computes 4,000 images' -log p(x) on two cores that may be busy
YOURS = re.compile(r"^Your drawing: −log p\(x\) = (\d+\.\d) nats, excess over its pixels' entropy (-?\d+\.\d) nats")
ANSWER = ".answer[data-part=likelihood]"  # the drawing's figures and the histograms (components/answer.js)
CHARTS = f"{ANSWER} .histogram svg"
MARKERS = f"{CHARTS} line.marker"  # the drawing's dashed line, one on each chart


def open_likelihood(page, url: str):
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("What likelihood knows").first.wait_for(timeout=SLOW)
    page.locator(CANVAS).wait_for(timeout=SLOW)
    page.locator(CHARTS).nth(1).wait_for(timeout=SLOW)
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
    # the browser's estimate is vaedemo's, on the same 28x28 input, with the weights it holds
    latest = page.locator(ANSWER).evaluate("root => root.latest")
    x = torch.tensor(latest["x"], dtype=torch.float32).view(1, 1, 28, 28)
    assert (x - preprocess_drawing(canvas_pixels(page))).abs().max() <= 1 / 255
    vae = as_the_browser_has_it(vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-16d.safetensors"))
    expected = importance_weighted_nlls(vae, x, 20)
    assert (latest["nll"], latest["excess"]) == pytest.approx((expected.item(), excess_nats(expected, x).item()),
                                                              abs=0.05)
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
    canvas, chart = page.locator(CANVAS).bounding_box(), page.locator(CHARTS).first.bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= viewport["width"]
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= viewport["width"]
    if query:  # lecture mode: the canvas and the first chart side by side on the projector's first screen
        assert chart["y"] < viewport["height"] and canvas["y"] + canvas["height"] < viewport["height"]
        page.screenshot(path=ROOT / "artifacts" / "likelihood-lecture.png")
    else:
        page.screenshot(path=ROOT / "artifacts" / "likelihood-phone.png", full_page=True)
