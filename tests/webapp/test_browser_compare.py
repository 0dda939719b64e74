"""The Compare page in a real browser: its pictures load, Resample and a new digit B redraw them; the beta-VAEs
say how many latent units they use; the maps decode under the pointer and the interpolation's slider decodes both
models along the line, in the browser; the convolutional pair walks the line in 16-D."""
import numpy as np
import pytest
import torch
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

import vaedemo
from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP, decodes, messages_to_the_server, point_at
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms: each change is a script rerun, and the two cores may be busy with a training
COLD_START = 120_000  # ms: the first runs import torch, a minute or two on a busy machine


def picture(page, caption: str):
    return page.locator("[data-testid=stImage]").filter(has_text=caption).locator("img")


def expect_new_and_loaded(image, before: str):
    expect(image).not_to_have_attribute("src", before, timeout=SLOW)
    image.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def choose(page, label: str, option: str):
    """Pick an option of a select box, as a person does: click it, and click again if the list did not open."""
    box, choice = page.get_by_role("combobox", name=label), page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        box.click()
        try:
            choice.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    choice.click()


def test_pictures_load_and_follow_resample_and_the_digit_pickers(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Compare AE vs VAE").click(timeout=COLD_START)
    page.get_by_text("Walk a straight line from one digit to another").wait_for(timeout=COLD_START)
    images = page.locator("[data-testid=stImage] img")
    expect(images).to_have_count(9, timeout=COLD_START)  # two prior grids, A, two rows, B, a grid per beta
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)", timeout=SLOW)
    expect(page.locator(f"{MAP}[data-ready=true]")).to_have_count(5, timeout=COLD_START)  # AE, VAE, three betas
    expect(page.get_by_text("uses 2 of its 2 latent units")).to_have_count(3)  # each beta-VAE's active units
    wait_for_app(page)

    grid = picture(page, "VAE (2-D): 64 decodes")
    before = grid.get_attribute("src")
    page.get_by_role("button", name="Resample").click()
    expect(page.get_by_text("VAE (2-D): 64 decodes of z ~ N(0, I), seed 1")).to_be_visible(timeout=SLOW)
    expect_new_and_loaded(grid, before)
    wait_for_app(page)

    row = picture(page, "VAE (2-D): 10 decodes")
    before = row.get_attribute("src")
    choose(page, "Digit B", "0")
    expect(page.get_by_text("B: test 0 no. 1")).to_be_visible(timeout=SLOW)
    expect_new_and_loaded(row, before)
    wait_for_app(page)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "compare.png", full_page=True)


def test_the_convolutional_pair_in_16d(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Compare AE vs VAE").click(timeout=COLD_START)
    page.get_by_text("Walk a straight line from one digit to another").wait_for(timeout=COLD_START)
    wait_for_app(page)
    page.get_by_test_id("stRadioGroup").get_by_text("16-D", exact=True).click()
    wait_for_app(page)
    row = picture(page, "VAE (16-D): 10 decodes")
    before = row.get_attribute("src")
    page.get_by_text("The convolutional pair", exact=True).click()  # the switch input itself is hidden
    expect(page.get_by_text("VAE (16-D conv): 10 decodes", exact=False)).to_be_visible(timeout=SLOW)
    expect_new_and_loaded(picture(page, "VAE (16-D conv): 10 decodes"), before)



def test_the_maps_and_the_interpolation_decode_in_the_browser(page, app_url):
    sent = messages_to_the_server(page)
    page.goto(f"{app_url}/compare")
    wait_for_app(page)
    expect(page.locator(f"{MAP}[data-ready=true]")).to_have_count(5, timeout=COLD_START)
    wait_for_app(page)
    sent.clear()
    for root in page.locator(MAP).all()[:2]:  # the AE's map and the VAE's
        root.scroll_into_view_if_needed()
        box, before = root.locator(".plot").bounding_box(), decodes(root)
        for fx in (0.4, 0.5, 0.6):
            point_at(page, root, box["x"] + fx * box["width"], box["y"] + box["height"] / 2)
        assert decodes(root) == before + 3

    slider = page.locator(".latent[data-ready=true] input[aria-label='from A to B']")
    slider.scroll_into_view_if_needed()
    figures = slider.locator("xpath=..").locator("figure")
    box = slider.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the thumb starts half way
    page.mouse.down()
    shown = set()
    for i in range(11):
        page.mouse.move(box["x"] + box["width"] * (0.5 - 0.05 * i), box["y"] + box["height"] / 2)
        shown.add(figures.first.evaluate("f => f.querySelector('canvas').toDataURL()"))
    page.mouse.up()
    assert len(shown) >= 5 and sent == [], "the slider decodes along the line in the browser"

    t = float(slider.locator("xpath=..").get_attribute("data-t"))
    images, labels = load_test_sample()
    ends = torch.cat([images[torch.nonzero(labels == digit)[0, 0]][None] for digit in (7, 3)])  # A and B
    for index, kind in enumerate(("ae", "vae")):
        model = vaedemo.load_checkpoint(ROOT / "checkpoints" / f"{kind}-2d.safetensors")
        with torch.inference_mode():
            a, b = model.latent_mean(ends)
            expected = (model.decode(torch.lerp(a, b, t)[None])[0, 0] * 255).round().numpy()
        shown = np.array(figures.nth(index).evaluate("""f => [...f.querySelector('canvas').getContext('2d')
            .getImageData(0, 0, 28, 28).data].filter((_, i) => i % 4 === 0)"""), dtype=np.uint8).reshape(28, 28)
        assert np.abs(shown - expected).max() <= 2, kind
