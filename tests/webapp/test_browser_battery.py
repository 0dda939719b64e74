"""Bad input in a real browser: odd drawings, an upload over the size limit, pages switched mid-training,
Stop pressed twice, a tab closed mid-training. Each case must end with a clear message or result, no
exception on the page, the person's own model and the shipped weights intact, and the app still drawing
reconstructions."""
import hashlib
import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from hall.line import WATCHDOG_S
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP
from tests.harness.server import ROOT
from tests.harness.strokes import DIGITS, clear_canvas, draw_stroke, image_sources, shown_pngs, wait_for_new_images

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: a cold start or a rerun while the two cores are busy
RUN = 240_000  # ms: a training child process starts (torch import) and loads MNIST on busy cores
HINT = "Draw a digit on the black canvas"
MY_VAE = "Use my VAE (latent size 2) on every page"


def shipped_digests() -> dict:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((ROOT / "checkpoints").glob("*.safetensors"))}


@pytest.fixture(scope="module", autouse=True)
def shipped_weights_stay_untouched():
    before = shipped_digests()
    yield
    assert shipped_digests() == before


@pytest.fixture(scope="module", autouse=True)
def patient_expect():
    expect.set_options(timeout=SLOW)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


def go_to(page, link: str, title: str):
    page.get_by_role("link", name=link, exact=True).click(timeout=SLOW)
    page.get_by_role("heading", name=title).wait_for(timeout=SLOW)
    wait_for_app(page)


def open_app(page, app_url):
    page.set_default_timeout(SLOW)
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("heading", name="Draw a digit").wait_for()


def expect_no_errors(page):
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    expect(page.locator("[data-testid=stAlertContentError]")).to_have_count(0)


def draw_and_see_reconstructions(page, points_of_strokes):
    """Draw the strokes on the Draw page, waiting for new pictures after each; returns the 28x28 input shown,
    read back from the browser, as (28, 28) floats in [0, 1]."""
    for stroke in points_of_strokes:
        before = image_sources(page)
        draw_stroke(page, stroke)
        wait_for_new_images(page, before, timeout=SLOW)
    png = shown_pngs(page)[0]
    digit = np.asarray(Image.open(io.BytesIO(png)).convert("L"))  # (28, 28): the browser enlarges it
    assert digit.shape == (28, 28)
    return digit / 255


def ink_box(digit: np.ndarray) -> tuple[int, int]:
    """Height and width of the bounding box of the input's ink."""
    rows, cols = np.nonzero(digit > 0.1)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def zigzag_over_everything() -> list:
    """One stroke that inks the whole canvas: rows 17 px apart (the pen is 24 px wide), each running past both
    edges."""
    points = [(0.02, 0.02)]
    for row, y in enumerate(np.linspace(0.02, 1.0, 17)):
        points += [(-0.1, y), (1.1, y)] if row % 2 else [(1.1, y), (-0.1, y)]
    return points


def test_a_dot_a_stroke_off_the_edge_and_a_canvas_full_of_ink(page, app_url):
    open_app(page, app_url)
    hint = page.get_by_text(HINT)
    expect(hint).to_be_visible()

    dot = draw_and_see_reconstructions(page, [[(0.5, 0.5)]])
    assert ink_box(dot) == (20, 20) and 0.6 < dot[4:24, 4:24].mean() < 0.9, "a disc (pi/4 of its box), scaled up"
    expect_no_errors(page)

    clear_canvas(page)
    expect(hint).to_be_visible()
    # Pressed in the middle, dragged far out to the right and down, released outside: the part on the canvas counts.
    bar = draw_and_see_reconstructions(page, [[(0.5, 0.5), (1.6, 0.5), (1.6, 1.6)]])
    height, width = ink_box(bar)
    assert width >= 18 and height <= 6, f"a horizontal bar, not {height}x{width}"
    expect_no_errors(page)

    clear_canvas(page)
    expect(hint).to_be_visible()
    full = draw_and_see_reconstructions(page, [zigzag_over_everything()])
    assert ink_box(full) == (20, 20) and full[5:23, 5:23].mean() > 0.9, "a 20x20 square of ink"
    expect_no_errors(page)

    clear_canvas(page)  # and the canvas still takes a digit
    draw_and_see_reconstructions(page, DIGITS[7])
    expect_no_errors(page)


def test_a_file_over_the_upload_limit_is_refused_and_my_model_stays(page, app_url, tmp_path):
    open_app(page, app_url)
    go_to(page, "Train", "Train your own autoencoder")
    uploader = page.locator("input[type=file]")
    uploader.set_input_files(ROOT / "checkpoints" / "vae-2d.safetensors")
    expect(page.get_by_role("switch", name=MY_VAE)).to_be_checked()

    huge = tmp_path / "huge.safetensors"
    with huge.open("wb") as file:  # 21 MB, over server.maxUploadSize = 20 (.streamlit/config.toml)
        file.truncate(21 * 1024 * 1024)
    expect(page.get_by_text("A .safetensors file downloaded from this page, at most 20 MB")).to_be_visible()
    uploader.set_input_files(huge)
    page.get_by_test_id("stFileChip").filter(has_text="huge.safetensors").hover()  # Streamlit says why on hover
    expect(page.get_by_test_id("stTooltipErrorContent")).to_have_text(
        re.compile(r"File must be 20(\.0)? ?MB or smaller"))
    expect(page.get_by_role("switch", name=MY_VAE)).to_be_checked()
    expect(page.locator("[data-testid=stException]")).to_have_count(0)

    go_to(page, "Draw", "Draw a digit")
    draw_and_see_reconstructions(page, DIGITS[1])
    expect(page.get_by_role("switch", name=MY_VAE)).to_be_checked()
    expect_no_errors(page)


def long_run(page):
    """Set the Train page for a run of minutes: all 60,000 images, 20 epochs."""
    images = page.get_by_role("slider", name="Training images")
    images.focus()
    page.keyboard.press("End")
    expect(images).to_have_attribute("aria-valuetext", "60,000")
    wait_for_app(page)
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("20")
    epochs.press("Enter")
    wait_for_app(page)
    expect(epochs).to_have_value("20")
    expect(images).to_have_attribute("aria-valuetext", "60,000")


def test_pages_switched_mid_training_then_stop_pressed_twice(page, app_url):
    open_app(page, app_url)
    go_to(page, "Train", "Train your own autoencoder")
    long_run(page)  # still going when we come back
    page.get_by_role("button", name="Start").click()
    curves = page.locator(".js-plotly-plot")
    expect(curves).to_have_count(3, timeout=RUN)  # reconstruction, KL, active units

    go_to(page, "Draw", "Draw a digit")
    expect(page.get_by_text("Training:")).to_be_visible()  # the sidebar follows the run on every page
    draw_and_see_reconstructions(page, DIGITS[7])
    expect_no_errors(page)
    go_to(page, "Latent space", "Walk through the 2-D latent space of a VAE")
    page.locator(f"{MAP}[data-ready=true]").wait_for()
    expect_no_errors(page)

    go_to(page, "Train", "Train your own autoencoder")
    expect(page.get_by_text(re.compile(r"Epoch \d+ of 20"))).to_be_visible()
    expect(curves).to_have_count(3)
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    stop.dblclick()
    expect(page.get_by_text(re.compile(r"Stopped during epoch \d; the model is as far as it got\."))).to_be_visible()
    expect(page.get_by_role("button", name="Start")).to_be_enabled()
    expect_no_errors(page)

    page.get_by_role("button", name="Use my model on every page").click()
    expect(page.get_by_role("switch", name=MY_VAE)).to_be_checked()
    go_to(page, "Draw", "Draw a digit")
    draw_and_see_reconstructions(page, DIGITS[1])
    expect_no_errors(page)


def test_a_closed_tab_frees_the_trainer_for_the_next_person(browser, app_url):
    alice, bob = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
    try:
        a, b = alice.new_page(), bob.new_page()
        for page in (a, b):
            open_app(page, app_url)
            go_to(page, "Train", "Train your own autoencoder")
        long_run(a)
        a.get_by_role("button", name="Start").click()
        expect(a.get_by_text(re.compile(r"Epoch \d+ of 20"))).to_be_visible(timeout=RUN)
        alice.close()  # nobody polls Alice's run any more

        long_run(b)
        b.get_by_role("button", name="Start").click()
        expect(b.get_by_text(re.compile(r"^Waiting in line: 1 of 1, starting in about \d+ s\.$"))).to_be_visible()
        expect(b.get_by_text(re.compile(r"Epoch \d+ of 20"))).to_be_visible(timeout=(WATCHDOG_S + 90) * 1000)
        b.get_by_role("button", name="Stop").click()
        expect(b.get_by_text(re.compile(r"^Stopped"))).to_be_visible()
        expect_no_errors(b)
    finally:
        alice.close()
        bob.close()
