"""The Discrete codes page in a real browser: a drawn digit's grid of codes, encoded in the browser as vaedemo
encodes it (the same 49 codes) and decoded as torch decodes it; a cell's code changed with the mouse and another's
with the keyboard, each edit decoded at once in the browser (torch's decode of the edited grid, to 2/255) with no
message to the server; on a phone, a finger does the same."""
import json

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

import vaedemo
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import messages_to_the_server
from tests.harness.server import ROOT
from tests.harness.strokes import DIGITS, canvas_pixels, draw_stroke, touch_stroke
from vaedemo.preprocess import preprocess_drawing

pytestmark = pytest.mark.browser
COLD_START = 120_000  # ms: the first run imports torch, a minute or two on a busy machine
READY = ".codes[data-ready=true]"


@pytest.fixture(scope="module")
def vqvae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "vq-vae.safetensors")


def digit_shown(root, which: str) -> np.ndarray:
    """The 28x28 grey levels of the component's canvas.digit.<which> ("original" or "edited"), uint8."""
    return np.array(root.evaluate("""(root, which) => {
        const canvas = root.querySelector(`canvas.digit.${which}`);
        return [...canvas.getContext('2d').getImageData(0, 0, 28, 28).data].filter((_, i) => i % 4 === 0);
    }""", which), dtype=np.uint8).reshape(28, 28)


def torch_digit(vqvae, codes: list[int]) -> np.ndarray:
    with torch.inference_mode():
        image = vqvae.decode(torch.tensor(codes).view(1, vqvae.grid, vqvae.grid))[0, 0]
    return (image * 255).round().to(torch.uint8).numpy()


def off(shown: np.ndarray, expected: np.ndarray) -> int:
    return int(np.abs(shown.astype(int) - expected.astype(int)).max())


def codes_of_a_drawing(page, app_url, strokes, stroke) -> tuple:
    """Open the page, draw the strokes with stroke (the mouse's draw_stroke or a finger's touch_stroke), wait for its
    code grid: (the component's root, the drawing's 49 codes)."""
    page.goto(f"{app_url}/codes")
    wait_for_app(page)
    for points in strokes:
        stroke(page, points)
    root = page.locator(READY)
    root.wait_for(timeout=COLD_START)
    wait_for_app(page)
    codes = json.loads(root.get_attribute("data-codes"))
    vqvae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vq-vae.safetensors")
    with torch.inference_mode():  # the browser encoded the drawing as vaedemo does: the same 49 codes
        assert codes == vqvae.encode(preprocess_drawing(canvas_pixels(page)))[0].flatten().tolist()
    return root, codes


def test_codes_edited_with_mouse_and_keyboard_decode_in_the_browser_as_torch(page, app_url, vqvae):
    sent = messages_to_the_server(page)
    root, codes = codes_of_a_drawing(page, app_url, DIGITS[7], draw_stroke)
    assert len(codes) == 49 and all(0 <= code < vqvae.codebook_size for code in codes)
    assert off(digit_shown(root, "original"), torch_digit(vqvae, codes)) <= 2
    assert off(digit_shown(root, "edited"), torch_digit(vqvae, codes)) <= 2
    before = len(sent)

    cell = 2 * 7 + 3  # row 3, column 4: the seven's stroke
    new_code = (codes[cell] + 1) % vqvae.codebook_size
    root.locator(f"button.cell[data-cell='{cell}']").click()
    root.locator(f"button.entry[data-code='{new_code}']").click()
    expected = codes.copy()
    expected[cell] = new_code
    assert json.loads(root.get_attribute("data-codes")) == expected
    assert off(digit_shown(root, "edited"), torch_digit(vqvae, expected)) <= 2
    assert off(digit_shown(root, "original"), torch_digit(vqvae, codes)) <= 2  # the drawing's own stays beside it

    # The keyboard: the grid takes the focus at its chosen cell (one tab stop); one to the right and one down, Enter
    # to the codebook at that cell's code, two codes on, Enter gives it to the cell and brings the focus back to it.
    root.locator("button.cell[tabindex='0']").focus()
    assert root.locator("button.cell:focus").get_attribute("data-cell") == "17"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    cell = 3 * 7 + 4
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expected[cell] = min(codes[cell] + 2, vqvae.codebook_size - 1)
    assert json.loads(root.get_attribute("data-codes")) == expected
    assert root.locator("button.cell:focus").get_attribute("data-cell") == str(cell)
    assert off(digit_shown(root, "edited"), torch_digit(vqvae, expected)) <= 2
    assert "Cells changed: 2." in root.locator(".status").inner_text()
    assert not torch.equal(torch.tensor(digit_shown(root, "edited")), torch.tensor(digit_shown(root, "original")))
    page.wait_for_timeout(500)
    assert len(sent) == before, "an edit sent a message to the server"

    root.locator("button.reset").click()
    assert json.loads(root.get_attribute("data-codes")) == codes
    assert off(digit_shown(root, "edited"), torch_digit(vqvae, codes)) <= 2


def test_on_a_phone_a_finger_draws_and_edits_a_code(browser, app_url, vqvae):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        root, codes = codes_of_a_drawing(page, app_url, DIGITS[1], touch_stroke)
        grid = root.locator(".grid").bounding_box()
        assert grid["x"] >= 0 and grid["x"] + grid["width"] <= 390  # the whole grid on the phone's width
        cell = root.locator("button.cell[data-cell='24']")
        cell.tap()
        expect(cell).to_have_attribute("aria-pressed", "true")
        new_code = (codes[24] + 1) % vqvae.codebook_size
        root.locator(f"button.entry[data-code='{new_code}']").tap()
        expected = codes.copy()
        expected[24] = new_code
        expect(root).to_have_attribute("data-codes", json.dumps(expected, separators=(",", ":")))
        assert off(digit_shown(root, "edited"), torch_digit(vqvae, expected)) <= 2
    finally:
        context.close()
