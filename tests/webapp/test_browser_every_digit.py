"""The Every digit page in a real browser: digits drawn with mouse strokes are read by the CVAE in the browser, as
vaedemo reads them (the same digit, its ten ELBOs within 0.05 nats), the drawer's style comes back as every digit, and
"Take my drawing's style" moves the style sliders there."""
import re

import pytest
import torch
from playwright.sync_api import expect

import vaedemo
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import as_the_browser_has_it
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, DIGITS, canvas_pixels, draw_stroke
from vaedemo.evaluate import label_elbos
from vaedemo.preprocess import preprocess_drawing

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: the first run imports torch and loads the models, on two cores that may be busy
CLEAR = "[data-testid=stBidiComponentIsolated] button.clear"
READING = ".answer[data-part=every_digit]"  # the CVAE's reading, computed in the browser (components/answer.js)


def open_page(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Every digit").click(timeout=SLOW)
    page.get_by_text("Your handwriting in every digit").wait_for(timeout=SLOW)
    page.locator(CANVAS).wait_for(timeout=SLOW)
    wait_for_app(page)


@pytest.mark.parametrize("digit", [0, 1, 7])
def test_a_drawn_digit_is_read_by_the_cvae(page, app_url, digit):
    open_page(page, app_url)
    for stroke in DIGITS[digit]:
        draw_stroke(page, stroke)
        wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^The CVAE reads it as a \d"))).to_be_visible(timeout=SLOW)
    expect(page.get_by_text(re.compile(rf"^The CVAE reads it as a {digit}:"))).to_be_visible()
    table = page.locator(f"{READING} table.elbos")
    expect(table.locator("th")).to_have_count(2)  # "y", "ℒ(x, y)"
    expect(table.locator("td")).to_have_count(20)  # the labels 0 to 9 and their ten ELBOs
    # the browser's reading is vaedemo's: the same digit, each ELBO within 0.05 nats, on the same 28x28 input
    latest = page.locator(READING).evaluate("root => root.latest")
    x = torch.tensor(latest["x"], dtype=torch.float32).view(1, 1, 28, 28)
    assert (x - preprocess_drawing(canvas_pixels(page))).abs().max() <= 1 / 255
    cvae = as_the_browser_has_it(vaedemo.load_checkpoint(ROOT / "checkpoints" / "cvae-2d.safetensors"))
    with torch.inference_mode():
        elbos = label_elbos(cvae, x, torch.randn(16, 1, 2, generator=torch.Generator().manual_seed(0)))[0]
    assert latest["elbos"] == pytest.approx(elbos.tolist(), abs=0.05) and latest["best"] == elbos.argmax() == digit


def test_my_style_as_every_digit_and_on_the_sliders(page, app_url):
    open_page(page, app_url)
    draw_stroke(page, DIGITS[7][0])
    style = page.get_by_text(re.compile(r"^Your style z = \((-?[\d.]+), (-?[\d.]+)\)"))
    expect(style).to_be_visible(timeout=SLOW)
    z1, z2 = re.search(r"\((-?[\d.]+), (-?[\d.]+)\)", style.text_content()).groups()
    row = page.locator(f"{READING} .every img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=row.element_handle())
    page.get_by_role("button", name="Take my drawing's style").click()
    expect(page.get_by_role("slider", name="z1")).to_have_attribute("aria-valuetext", f"{float(z1):.2f}", timeout=SLOW)
    expect(page.get_by_role("slider", name="z2")).to_have_attribute("aria-valuetext", f"{float(z2):.2f}", timeout=SLOW)
    expect(page.get_by_text(f"z = ({float(z1):.2f}, {float(z2):.2f}) decoded with every label 0–9")).to_be_visible(
        timeout=SLOW
    )
    wait_for_app(page)
    page.locator(CLEAR).click()
    expect(page.get_by_text("Draw a digit on the black canvas")).to_be_visible(timeout=SLOW)
    draw_stroke(page, DIGITS[7][0])
    expect(style).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "every-digit.png", full_page=True)
