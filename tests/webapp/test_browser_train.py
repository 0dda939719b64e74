"""The Train page in a real browser: a short run (1,000 images, one epoch, KL warm-up over it) to its end with
its curves and active units, then "use my model" switches the other pages over to it; a three-epoch run whose
map of the test codes replays epoch by epoch."""
import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: a cold start or a rerun while the two cores are busy
RUN = 180_000  # ms: a child process starts (torch import), loads MNIST and trains; the two cores may be busy


def open_train_page(page, app_url):
    page.set_default_timeout(SLOW)
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Train", exact=True).click()  # once st.navigation has run
    page.get_by_text("Train your own autoencoder").wait_for()
    wait_for_app(page)


def short_run(page, epochs: int):
    """The fewest training images (1,000) and this many epochs. The key goes to the slider found at the press (a
    rerun that lays the settings out anew can give another slider the focus: a fresh-clone run sent Home to the latent
    size's, whose 1 then diverged)."""
    page.get_by_role("slider", name="Training images").press("Home")
    expect(page.get_by_role("slider", name="Training images")).to_have_attribute(
        "aria-valuetext", "1,000", timeout=SLOW
    )
    wait_for_app(page)
    page.get_by_label("Epochs", exact=True).fill(str(epochs))
    page.get_by_label("Epochs", exact=True).press("Enter")
    wait_for_app(page)


def test_short_run_then_use_my_model_on_another_page(page, app_url):
    open_train_page(page, app_url)
    short_run(page, 1)
    warm_up = page.get_by_role("spinbutton", name="KL warm-up: epochs for β to rise from 0 (VAE)")
    warm_up.fill("1")
    warm_up.press("Enter")
    wait_for_app(page)

    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("button", name="Stop")).to_be_enabled(timeout=SLOW)
    expect(page.get_by_text("Finished: 1 epoch trained.", exact=True)).to_be_visible(timeout=RUN)
    use = page.get_by_role("button", name="Use my model on every page")
    expect(use).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Their reconstructions")).to_be_visible(timeout=SLOW)
    expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=SLOW)
    expect(page.locator(".js-plotly-plot").get_by_text("Active units (of 2)")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("of 2 latent dimensions active")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=SLOW)

    use.click()
    toggle = page.get_by_role("switch", name="Use my VAE (latent size 2) on every page")
    expect(toggle).to_be_checked(timeout=SLOW)
    wait_for_app(page)

    # The Latent page decodes z = (0, 0) with my model; switching back to the shipped one changes the digit.
    page.get_by_role("link", name="Latent space", exact=True).click()
    page.get_by_text("Walk through the 2-D latent space of a VAE").wait_for()
    wait_for_app(page)
    digit = page.locator("[data-testid=stImage] img").first
    mine = digit.get_attribute("src")
    expect(toggle).to_be_checked(timeout=SLOW)
    page.get_by_text("Use my VAE (latent size 2) on every page").click()  # the switch input itself is hidden
    expect(digit).not_to_have_attribute("src", mine, timeout=SLOW)


def test_a_conv_run_on_a_small_training_set_shows_progress_and_ends(page, app_url):
    open_train_page(page, app_url)
    page.get_by_text("Convolutional", exact=True).click()
    wait_for_app(page)
    short_run(page, 2)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Finished: 2 epochs trained.", exact=True)).to_be_visible(timeout=RUN)
    expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=SLOW)
    expect(page.get_by_text("Their reconstructions")).to_be_visible(timeout=SLOW)


def test_after_a_run_the_map_of_the_test_codes_replays_one_epoch_at_a_time(page, app_url):
    open_train_page(page, app_url)
    short_run(page, 3)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Finished: 3 epochs trained.", exact=True)).to_be_visible(timeout=RUN)
    codes_map = page.locator(".latent")
    expect(codes_map).to_have_attribute("data-ready", "true", timeout=SLOW)
    expect(codes_map.locator(".caption")).to_have_text(
        "Codes of 2,000 test digits after each epoch: move the slider to replay the run", timeout=SLOW)
    slider, caption = codes_map.locator("label.frames input"), codes_map.locator(".frames span")
    expect(slider).to_have_attribute("max", "2")
    expect(caption).to_have_text("epoch 3")  # the run's last epoch first
    slider.focus()
    page.keyboard.press("Home")
    shown = []
    for epoch in (1, 2, 3):
        expect(caption).to_have_text(f"epoch {epoch}")
        shown.append(codes_map.locator("canvas.codes").evaluate("canvas => canvas.toDataURL()"))
        page.keyboard.press("ArrowRight")
    assert len(set(shown)) == 3  # one map per epoch, each its own
    expect(caption).to_have_text("epoch 3")  # the slider stops at the last epoch
    page.keyboard.press("ArrowLeft")
    expect(caption).to_have_text("epoch 2")
    assert codes_map.locator("canvas.codes").evaluate("canvas => canvas.toDataURL()") == shown[1]
    codes_map.scroll_into_view_if_needed()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "artifacts" / "train.png", full_page=True)
