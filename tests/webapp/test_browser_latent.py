"""The Latent page in a real browser: the map decodes in the browser at every move of a mouse or a finger, with
no message to the server until z is chosen; its decode is torch's; the chosen z lands in the address bar; the
sliders still set z from the keyboard; the holes toggle shades the map by the densities vaedemo computes, and a
pointer or a finger on a hole decodes it, on a desktop and on a phone."""
import json
import re

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

import vaedemo
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP, decodes, digit_shown, messages_to_the_server, point_at, screen_point
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.latent import HOLE, PRIOR_PEAK, prior_holes

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
        point_at(page, root, *screen_point(root, z))
        shown = json.loads(root.get_attribute("data-z"))
        assert shown == pytest.approx(z, abs=0.05)  # the pixel under the pointer
        error = np.abs(digit_shown(root).astype(int) - torch_digit(vae, shown).astype(int)).max()
        assert error <= 2, f"the browser's decode of {shown} is {error}/255 off torch's"


def test_a_drag_decodes_at_every_move_and_only_the_release_reaches_the_server(page, app_url):
    sent = messages_to_the_server(page)
    root = open_latent_page(page, f"{app_url}/latent")
    start, count = decodes(root), 40
    path = [(-3 + 6 * i / count, 2.5 - 5 * i / count) for i in range(count + 1)]  # across the clusters
    point_at(page, root, *screen_point(root, path[0]))
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


# latent_map.js's shading: the prior's amber over white, and over it the aggregate posterior's blue, each as opaque as
# its share of the prior's peak (the prior's at most PRIOR_OPACITY)
PRIOR_COLOUR, CODES_COLOUR, PRIOR_OPACITY = np.array([245, 158, 11]), np.array([37, 99, 235]), 0.6


@pytest.fixture(scope="module")
def holes(vae):
    with torch.inference_mode():
        return prior_holes(*vae.encode(load_test_sample()[0]))


def expected_shading(holes, z: np.ndarray) -> np.ndarray:
    """The colour the shading should have at each point z (M, 2) of the plane, from vaedemo's densities: each cell's
    colour, blended between the four nearest cells' middles as the browser's bilinear smoothing does: (M, 3)."""
    prior, codes = (np.round(255 * np.clip(density.numpy() / PRIOR_PEAK, 0, 1))[..., None] / 255
                    for density in (holes.prior, holes.aggregate))  # the levels the page sends
    under = 255 + PRIOR_OPACITY * prior * (PRIOR_COLOUR - 255)
    colours = under + codes * (CODES_COLOUR - under)  # (cells, cells, 3), rows from the top
    n, h = len(colours), 2 * holes.extent / len(colours)
    column, row = (z[:, 0] + holes.extent) / h - 0.5, (holes.extent - z[:, 1]) / h - 0.5  # in cells, from the middles
    c0, r0 = np.floor(column).astype(int).clip(0, n - 2), np.floor(row).astype(int).clip(0, n - 2)
    u, v = (column - c0).clip(0, 1)[:, None], (row - r0).clip(0, 1)[:, None]
    return ((1 - v) * ((1 - u) * colours[r0, c0] + u * colours[r0, c0 + 1])
            + v * ((1 - u) * colours[r0 + 1, c0] + u * colours[r0 + 1, c0 + 1]))


def shading_shown(root, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shading's colour in the device pixel under each point (M, 2) of the plane, and that pixel's middle on the
    plane: ((M, 3), (M, 2))."""
    shown = np.array(root.evaluate("""(root, points) => {
        const f = root.frame, canvas = root.querySelector('canvas.density'), ratio = canvas.width / f.width;
        const pen = canvas.getContext('2d');
        return points.map((xy) => {
            const [x, y] = f.pixel(xy).map((v) => Math.floor(v * ratio));
            const middle = [(x + 0.5) / ratio - f.left, (y + 0.5) / ratio - f.top];  // css pixels in the plot
            return [...pen.getImageData(x, y, 1, 1).data].slice(0, 3)
                .concat([f.x0 + middle[0] / f.scale, f.y1 - middle[1] / f.scale]);
        });
    }""", points.tolist()))
    return shown[:, :3], shown[:, 3:]


def a_hole(holes, codes: torch.Tensor) -> tuple[float, float]:
    """The middle of the cell where the prior is densest of those in a hole and at least 0.5 from every test code
    (codes (N, 2)): a pick there is the point itself, not a code nearby."""
    n, h = len(holes.prior), 2 * holes.extent / len(holes.prior)
    middles = -holes.extent + (torch.arange(n, dtype=torch.float64) + 0.5) * h
    z2, z1 = torch.meshgrid(middles.flip(0), middles, indexing="ij")
    far = torch.cdist(torch.stack([z1, z2], -1).view(-1, 2), codes.double()).min(1).values.view(n, n) >= 0.5
    deep = torch.where((holes.aggregate < HOLE * holes.prior) & far, holes.prior, torch.zeros_like(holes.prior))
    row, column = divmod(int(deep.argmax()), n)
    return z1[row, column].item(), z2[row, column].item()


@pytest.fixture(scope="module")
def codes(vae):
    with torch.inference_mode():
        return vae.latent_mean(load_test_sample()[0])


def test_the_holes_toggle_shades_the_map_as_vaedemo_computes_and_a_hole_decodes(page, app_url, vae, holes, codes):
    root = open_latent_page(page, f"{app_url}/latent")
    assert root.get_attribute("data-shaded") == "false"
    toggle = page.get_by_role("switch", name="Where the prior has holes")
    toggle.focus()  # from the keyboard
    page.keyboard.press("Space")
    expect(root).to_have_attribute("data-shaded", "true", timeout=SLOW)
    page.wait_for_url(re.compile(r"latent_holes=true"), timeout=SLOW)
    expect(page.get_by_text("of the prior's samples fall in a hole")).to_be_visible()
    expect(root.locator(".legend")).to_contain_text("the prior N(0, I)")
    expect(root.locator(".plot")).to_have_attribute("aria-label", re.compile("amber alone is a hole"))

    hole = a_hole(holes, codes)
    dense = divmod(int(holes.aggregate.argmax()), len(holes.prior))
    dense = (-6 + (dense[1] + 0.5) * 0.15, 6 - (dense[0] + 0.5) * 0.15)
    spread = np.random.default_rng(0).uniform([-5, -3.9], [5, 3.9], (300, 2))  # all over the visible plane
    colours, middles = shading_shown(root, np.concatenate([[hole, dense], spread]))
    error = np.abs(colours - expected_shading(holes, middles))
    assert np.quantile(error.max(1), 0.95) <= 3 and error.max() <= 12, error.max(1)
    assert colours[0, 0] > colours[0, 2] + 50 and colours[1, 2] > colours[1, 0] + 100  # amber at a hole, blue on codes

    point_at(page, root, *screen_point(root, hole))  # on a hole: its decode, what a prior sample there becomes
    shown = json.loads(root.get_attribute("data-z"))
    assert shown == pytest.approx(hole, abs=0.05)
    assert np.abs(digit_shown(root).astype(int) - torch_digit(vae, shown).astype(int)).max() <= 2
    toggle.blur()  # for the screenshot: no focus ring
    point_at(page, root, *screen_point(root, (-1.0, -1.5)))  # deeper in the hole: the decoder draws broken strokes
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "latent-holes.png")

    toggle.focus()
    page.keyboard.press("Space")  # and off again
    expect(root).to_have_attribute("data-shaded", "false", timeout=SLOW)
    expect(root.locator("canvas.density")).to_be_hidden()


def test_on_a_phone_the_shaded_map_fits_and_a_finger_on_a_hole_decodes_it(browser, app_url, vae, holes, codes):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        root = open_latent_page(page, f"{app_url}/latent?latent_holes=true")  # a shared link
        expect(root).to_have_attribute("data-shaded", "true", timeout=SLOW)
        root.scroll_into_view_if_needed()
        box = root.locator(".plot").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] > 200, box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        hole = a_hole(holes, codes)
        colours, middles = shading_shown(root, np.array([hole]))
        assert np.abs(colours - expected_shading(holes, middles)).max() <= 12
        page.touchscreen.tap(*screen_point(root, hole))
        for name, value in zip(("z1", "z2"), hole):  # a tap chooses the hole's z
            expect(page.get_by_role("slider", name=name)).to_have_attribute("aria-valuetext", near(value), timeout=SLOW)
        chosen = [float(page.get_by_role("slider", name=name).get_attribute("aria-valuetext")) for name in ("z1", "z2")]
        expect(root.locator(".z")).to_have_text(f"z = ({chosen[0]:.2f}, {chosen[1]:.2f})".replace("-", "−"))
        wait_for_app(page)
        assert np.abs(digit_shown(root).astype(int) - torch_digit(vae, chosen).astype(int)).max() <= 2
        (ROOT / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=ROOT / "artifacts" / "phone-latent-holes.png")
    finally:
        context.close()
