"""The Draw page's maths panel in a real browser: after a drawn 7, log p(x) estimated with importance samples
stands next to the ELBO, with the gap between them named KL(q(z|x) || p(z|x))."""
import re

import pytest

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, DIGITS, draw_stroke, wait_for_maps, wait_for_new_images
from webapp import ui

pytestmark = pytest.mark.browser
GAP_LINE = "[data-testid=stExpander] annotation:text-matches('the gap')"  # KaTeX keeps the panel's TeX here


def test_a_drawn_seven_gets_log_p_x_and_the_gap(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app_url)
    wait_for_app(page)
    page.locator(CANVAS).wait_for()
    draw_stroke(page, DIGITS[7][0])
    wait_for_new_images(page, [])
    wait_for_maps(page)
    wait_for_app(page)
    [tex] = [line for line in page.locator(GAP_LINE).text_content().split(ui.LINE_BREAK) if "the gap" in line]
    log_px, elbo, gap = map(float, re.findall(r"(-?\d+\.\d+)\}", tex))
    assert -200 < elbo < log_px < -40  # nats: a drawn digit is less likely than most test digits, but not absurdly
    assert gap == pytest.approx(log_px - elbo, abs=0.11) and 0 < gap < 15
    assert r"\mathrm{KL}\big(q(z \mid x) \,\|\, p(z \mid x)\big)" in tex
    panel = page.get_by_test_id("stExpander").filter(has=page.locator(".katex"))  # the maths panel
    panel.get_by_text("100 samples of q(z | x)").wait_for()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    panel.screenshot(path=ROOT / "artifacts" / "draw-elbo-gap.png")
