"""The Dimensions page in a real browser: a row per latent dimension, each decoded in the browser as
vaedemo.latent.traversal decodes it (from the weights as the browser holds them, within 1e-3 a pixel); a row's slider
moves its dimension from the keyboard and a pointer or a finger dragged along the row does too, with no message to
the server; the Draw page's last drawing is the code the rows move around; the rows fit a 390x844 phone and a
1920x1080 projector in lecture mode. The screenshots docs/dimensions.png (artifacts/ first) and its phone and lecture
companions."""
import json
import re

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

import vaedemo
from tests.harness.axe import serious, violations
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import as_the_browser_has_it, messages_to_the_server
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, draw_digit
from vaedemo.latent import traversal

pytestmark = pytest.mark.browser
SLOW = 120_000  # ms: the first run imports torch, a minute or two on a busy machine
ROWS = ".dimensions"
LABEL = re.compile(r"^z(\d+): KL (\d+\.\d\d) nats$")


def open_dimensions(page, url: str):
    page.goto(url)
    wait_for_app(page)
    page.locator(f"{ROWS}[data-ready=true]").wait_for(timeout=SLOW)
    wait_for_app(page)
    return page.locator(ROWS)


def sent_code(root) -> list[float]:
    """The code z the rows move around, as the page sent it."""
    return json.loads(root.get_attribute("data-sent"))[1]


def decoded(root, index: int) -> torch.Tensor:
    """The browser's pictures of the row of dimension index (0-based): (steps, 1, 28, 28)."""
    pictures = root.evaluate("(root, i) => root.decoded.get(i).map(p => Array.from(p))", index)
    return torch.tensor(pictures, dtype=torch.float32).view(-1, 1, 28, 28)


def painted(canvas) -> np.ndarray:
    """The 28x28 grey levels a canvas shows, uint8."""
    return np.array(canvas.evaluate(
        "c => [...c.getContext('2d').getImageData(0, 0, 28, 28).data].filter((_, i) => i % 4 === 0)"), np.uint8)


def labels(root) -> list[tuple[int, float]]:
    return [(int(n), float(kl)) for n, kl in (LABEL.match(text).groups()
                                             for text in root.locator(".label").all_inner_texts())]


@pytest.fixture(scope="module")
def conv_vae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "conv-vae-16d.safetensors")


def test_each_row_is_decoded_in_the_browser_as_vaedemo_traverses_it(page, app_url, conv_vae):
    page.set_viewport_size({"width": 1400, "height": 1750})  # every row on the screenshot
    root = open_dimensions(page, f"{app_url}/dimensions?dimensions_conv=true")
    shown = labels(root)
    assert len(shown) == 16 and [kl for _, kl in shown] == sorted((kl for _, kl in shown), reverse=True)
    unused = root.locator("section.row.unused")
    expect(unused).to_have_count(3)  # the conv VAE leaves three dimensions on the prior
    expect(unused.first.locator(".note")).to_have_text("unused")
    rows = traversal(as_the_browser_has_it(conv_vae), torch.tensor(sent_code(root)))  # (16, 7, 1, 28, 28)
    top, last = shown[0][0] - 1, shown[-1][0] - 1
    for index in (top, last):
        assert (decoded(root, index) - rows[index]).abs().max() <= 1e-3
    step = root.locator(f"section[data-index='{top}'] canvas.step").nth(6)  # +3: painted as decoded
    expected = (decoded(root, top)[6, 0] * 255).round().to(torch.uint8).flatten().numpy()
    assert np.abs(painted(step).astype(int) - expected.astype(int)).max() <= 1
    expect(step).to_have_attribute("aria-label", f"z{top + 1} moved by +3.0, the other dimensions kept")
    # a used dimension redraws the digit along its row, an unused one hardly
    assert (rows[top] - rows[top, 3]).abs().max() > 0.3 and (rows[last] - rows[last, 3]).abs().max() < 0.05
    assert serious(violations(page)) == [], "the greyed rows pass the audit too"
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "dimensions.png")


def test_a_rows_slider_and_a_drag_along_it_move_its_dimension_without_the_server(page, app_url):
    sent = messages_to_the_server(page)
    root = open_dimensions(page, f"{app_url}/dimensions")
    page.wait_for_timeout(500)  # the page's own messages are over
    sent.clear()
    first = root.locator("section.row").first
    name = f"z{labels(root)[0][0]}"
    live = first.locator("canvas.live")
    middle = painted(live)
    slider = page.get_by_role("slider", name=f"Move {name}", exact=True)
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(slider).to_have_attribute("aria-valuetext", f"{name} moved by +0.5, the other dimensions kept")
    expect(first.locator("figcaption")).to_have_text("+0.5")
    assert not np.array_equal(painted(live), middle)
    strip = first.locator(".strip").bounding_box()
    page.mouse.move(strip["x"] + strip["width"] * 0.6, strip["y"] + strip["height"] / 2)
    page.mouse.down()
    page.mouse.move(strip["x"] + 2, strip["y"] + strip["height"] / 2, steps=8)  # to the left end: -3
    page.mouse.up()
    expect(first).to_have_attribute("data-offset", "-3")
    assert np.array_equal(painted(live), painted(first.locator("canvas.step").first)), "the -3 step's picture"
    assert int(root.get_attribute("data-decodes")) >= 10
    assert sent == [], "nothing goes to the server while the rows move"


def test_the_last_drawing_is_the_code_the_rows_move_around(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.locator(f"{CANVAS}[data-ready=true]").wait_for(timeout=SLOW)
    draw_digit(page, 7)
    root = open_dimensions(page, f"{app_url}/dimensions")  # the same tab: the canvas kept its drawing
    expect(page.get_by_role("radio", name="your last drawing", exact=True)).to_be_checked(timeout=SLOW)
    drawn = sent_code(root)
    page.get_by_text("a test digit", exact=True).click()
    page.wait_for_function("([root, z]) => JSON.parse(root.dataset.sent)[1][0] !== z",
                           arg=[root.element_handle(), drawn[0]], timeout=SLOW)


def test_the_rows_fit_a_phone_and_a_finger_moves_one(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        root = open_dimensions(page, f"{app_url}/dimensions")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        boxes = root.locator("section.row").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().right)")
        assert len(boxes) == 16 and max(boxes) <= 390
        first = root.locator("section.row").first
        first.scroll_into_view_if_needed()
        strip = first.locator(".strip").bounding_box()
        y = strip["y"] + strip["height"] / 2
        touch = page.context.new_cdp_session(page)
        points = [(strip["x"] + strip["width"] * (0.5 + 0.05 * i), y) for i in range(11)]  # to the right end: +3
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [dict(zip("xy", points[0]))]})
        for x, y in points[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        expect(first).to_have_attribute("data-offset", "3")
        page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
        page.screenshot(path=ROOT / "artifacts" / "phone-dimensions.png")
    finally:
        context.close()


def test_in_lecture_mode_on_a_projector_the_rows_share_the_width(browser, app_url):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        root = open_dimensions(page, f"{app_url}/dimensions?lecture=1&dimensions_conv=true")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1920
        lefts = root.locator("section.row").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().left)")
        assert len(set(round(left) for left in lefts)) >= 2, "rows side by side"
        sizes = root.locator("canvas.step").evaluate_all("cs => cs.map(c => c.getBoundingClientRect().width)")
        assert min(sizes) >= 48, "each step large enough to read from the back of a hall"
        page.screenshot(path=ROOT / "artifacts" / "lecture-dimensions.png")
    finally:
        context.close()
