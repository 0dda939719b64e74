"""The Latent page in a real browser: the map decodes in the browser at every move of a mouse or a finger, with
no message to the server until z is chosen; its decode is torch's; the chosen z lands in the address bar; the
sliders still set z from the keyboard."""
import json
import re

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

import vaedemo
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP, decodes, digit_shown, messages_to_the_server, screen_point
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample

pytestmark = pytest.mark.browser
SLOW = 20_000  # ms: each step is a script rerun, and the two cores may be busy with a training
COLD_START = 120_000  # ms: the first run imports torch, a minute or two on a busy machine


def open_latent_page(page, url):
    page.goto(url)
    wait_for_app(page)
    page.locator(f"{MAP}[data-ready=true]").wait_for(timeout=COLD_START)
    wait_for_app(page)
    return page.locator(MAP)


@pytest.fixture(scope="module")
def vae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")


def near(value: float) -> re.Pattern:
    """value to within 0.03 with two decimals: a finger lands on a whole pixel, a fortieth of a unit or so."""
    return re.compile("^(" + "|".join(re.escape(f"{value + 0.01 * k:.2f}") for k in range(-3, 4)) + ")$")


def torch_digit(model, z) -> np.ndarray:
    with torch.inference_mode():
        return (model.decode(torch.tensor([z], dtype=torch.float32))[0, 0] * 255).round().to(torch.uint8).numpy()


def test_the_browsers_decode_is_torchs(page, app_url, vae):
    root = open_latent_page(page, f"{app_url}/latent")
    for z in ([0.0, 0.0], [1.3, -0.7], [-2.5, 2.1], [3.9, 3.9], [-0.2, -3.1]):
        page.mouse.move(*screen_point(root, z))
        shown = json.loads(root.get_attribute("data-z"))
        assert shown == pytest.approx(z, abs=0.05)  # the pixel under the pointer
        error = np.abs(digit_shown(root).astype(int) - torch_digit(vae, shown).astype(int)).max()
        assert error <= 2, f"the browser's decode of {shown} is {error}/255 off torch's"


def test_a_drag_decodes_at_every_move_and_only_the_release_reaches_the_server(page, app_url):
    sent = messages_to_the_server(page)
    root = open_latent_page(page, f"{app_url}/latent")
    start, count = decodes(root), 40
    path = [(-3 + 6 * i / count, 2.5 - 5 * i / count) for i in range(count + 1)]  # across the clusters
    page.mouse.move(*screen_point(root, path[0]))
    sent.clear()
    page.mouse.down()
    digits = set()
    for z in path[1:]:
        page.mouse.move(*screen_point(root, z))
        digits.add(digit_shown(root).tobytes())
    assert sent == [], "nothing goes to the server while the hand moves"
    assert decodes(root) - start >= count and len(digits) >= count // 2, "a new digit at (nearly) every move"
    released = json.loads(root.get_attribute("data-z"))
    page.mouse.up()
    z1, z2 = (f"{v:.2f}".rstrip("0").rstrip(".") for v in released)
    page.wait_for_url(re.compile(rf"latent_z1={re.escape(z1)}.*latent_z2={re.escape(z2)}|"
                                 rf"latent_z2={re.escape(z2)}.*latent_z1={re.escape(z1)}"), timeout=SLOW)
    assert len(sent) >= 1
    expect(page.get_by_role("slider", name="z1")).to_have_attribute(
        "aria-valuetext", f"{released[0]:.2f}", timeout=SLOW
    )
    wait_for_app(page)

    root = open_latent_page(page, page.url)  # the address, reopened (a bookmark, a shared link)
    expect(page.get_by_role("slider", name="z2")).to_have_attribute("aria-valuetext", f"{released[1]:.2f}")
    assert json.loads(root.get_attribute("data-point")) == pytest.approx(released, abs=0.006)  # the star at z
    expect(root.locator(".z")).to_have_text(f"z = ({released[0]:.2f}, {released[1]:.2f})".replace("-", "−"))


def test_a_finger_dragged_across_the_map_decodes_and_chooses_z(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        root = open_latent_page(page, f"{app_url}/latent")
        root.scroll_into_view_if_needed()
        start = decodes(root)
        touch = page.context.new_cdp_session(page)
        points = [screen_point(root, (-2 + 0.2 * i, -1 + 0.1 * i)) for i in range(21)]
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [dict(zip("xy", points[0]))]})
        for x, y in points[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        # the finger's last place, (2, 1), is chosen
        for name, value in (("z1", 2.0), ("z2", 1.0)):
            expect(page.get_by_role("slider", name=name)).to_have_attribute("aria-valuetext", near(value), timeout=SLOW)
        assert decodes(root) - start >= 15, "decoded on the way"
    finally:
        context.close()


def test_sliders_and_a_click_on_a_test_digit_choose_z(page, app_url, vae):
    root = open_latent_page(page, f"{app_url}/latent")
    expect(root.locator(".z")).to_have_text("z = (0.00, 0.00)")
    slider = page.get_by_role("slider", name="z1")
    slider.focus()
    for step in range(1, 21):  # 20 steps of 0.05, each seen on the slider before the next, as a person does
        page.keyboard.press("ArrowRight")
        expect(slider).to_have_attribute("aria-valuetext", f"{0.05 * step:.2f}", timeout=SLOW)
    expect(root.locator(".z")).to_have_text("z = (1.00, 0.00)", timeout=SLOW)
    wait_for_app(page)
    assert json.loads(root.get_attribute("data-point")) == [1.0, 0.0]

    # Click a test 1 on the map: that test image and its own code are picked.
    images, labels = load_test_sample()
    with torch.inference_mode():
        codes = vae.latent_mean(images)
    row = int(torch.nonzero((labels == 1) & (codes.abs().max(1).values < 3.5))[0, 0])
    page.mouse.click(*screen_point(root, codes[row].tolist()))
    expect(page.get_by_text("the test 1 you clicked, whose mean z this is")).to_be_visible(timeout=SLOW)
    expect(slider).to_have_attribute("aria-valuetext", f"{codes[row, 0]:.2f}", timeout=SLOW)
    wait_for_app(page)

    # Click where no test digit lies: that z itself.
    page.mouse.click(*screen_point(root, (-3.6, -3.6)))
    expect(slider).to_have_attribute("aria-valuetext", "-3.60", timeout=SLOW)
    expect(page.get_by_text("you clicked")).to_have_count(0)
    wait_for_app(page)

    page.mouse.click(*screen_point(root, codes[row].tolist()))  # back to the test 1, for the screenshot
    expect(page.get_by_text("the test 1 you clicked, whose mean z this is")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    page.mouse.move(*screen_point(root, (0.8, -1.6)))  # a pointer over the map, decoding
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "latent.png")
