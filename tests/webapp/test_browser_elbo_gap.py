"""The Draw page's maths panel in a real browser: after a drawn 7, log p(x) estimated with importance samples
stands next to the ELBO, with the gap between them named KL(q(z|x) || p(z|x)) (tests/webapp/test_browser_answer.py
checks each figure against vaedemo's)."""
import pytest

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, DIGITS, draw_stroke, wait_for_maps, wait_for_new_images

pytestmark = pytest.mark.browser
FIGURES = ".answer[data-part=maths] .figures"


def figures(page) -> dict[str, float]:
    """The panel's figures by their names, once log p(x) is estimated (after the pictures)."""
    page.locator(f"{FIGURES} dt").filter(has_text="the gap").wait_for()
    pairs = page.locator(f"{FIGURES} div").evaluate_all(
        "rows => rows.map(row => [row.querySelector('dt').textContent, row.querySelector('dd').textContent])")
    return {name: float(value.replace("\N{MINUS SIGN}", "-")) for name, value in pairs}


def test_a_drawn_seven_gets_log_p_x_and_the_gap(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app_url)
    wait_for_app(page)
    page.locator(CANVAS).wait_for()
    draw_stroke(page, DIGITS[7][0])
    wait_for_new_images(page, [])
    wait_for_maps(page)
    shown = figures(page)
    log_px, elbo, gap = (shown["log p(x), importance-weighted"], shown["ℒ(x), mean over those samples"],
                         shown["the gap, log p(x) − ℒ(x)"])
    assert -200 < elbo < log_px < -40  # nats: a drawn digit is less likely than most test digits, but not absurdly
    assert gap == pytest.approx(log_px - elbo, abs=0.11) and 0 < gap < 15
    sample = shown["ℒ(x), this sample of z"]
    assert sample == pytest.approx(shown["reconstruction, log p(x | z)"] - shown["KL(q(z | x) ‖ p(z))"], abs=0.11)
    panel = page.get_by_test_id("stExpander").filter(has=page.locator(".katex"))  # the maths panel
    panel.get_by_text("100 samples of q(z | x)").wait_for()
    assert panel.locator("annotation").filter(has_text=r"p(z \mid x)").count() >= 1  # the gap's KL, typeset
    (ROOT / "artifacts").mkdir(exist_ok=True)
    panel.screenshot(path=ROOT / "artifacts" / "draw-elbo-gap.png")
