"""An accessibility audit of every page in a real browser: axe-core (tests/harness/axe.py) finds no critical or serious
violation on any page, in English and in Chinese, with a digit drawn on the pages that have a canvas, and on the
Latent page with its map shaded where the prior has holes.
Streamlit's own widgets pass too: none of their violations needs to be let through here (README, Accessibility)."""
import pytest

from tests.harness.axe import serious, violations
from tests.harness.browser import wait_for_app
from tests.harness.strokes import CANVAS, DIGITS, draw_stroke

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: the first page of a fresh server imports torch and loads the models
# address paths; "" is Draw
PAGES = ["", "home", "latent", "dimensions", "train", "compare", "repair", "every_digit", "class", "likelihood",
         "codes", "lesson"]
# What shows once each page has its pictures and maps (Playwright's CSS selectors reach into the components).
READY = {"": ".answer[data-part=pictures].drawn canvas", "home": "[data-testid=stImage] img",
         "latent": ".latent[data-ready=true]", "dimensions": ".dimensions[data-ready=true]",
         "train": "[data-testid=stFileUploader]", "compare": ".latent[data-ready=true]",
         "repair": "[data-testid=stImage] img",
         "every_digit": ".answer[data-part=every_digit][data-answers] img",
         "class": ".latent[data-ready=true]", "likelihood": ".answer[data-part=likelihood][data-answers]",
         "codes": ".codes[data-ready=true]", "lesson": "[data-testid=stImage] img"}


def open_with_a_drawing(page, url: str, path: str):
    """The page at url/path, run to its end, its pictures loaded and, where it has a canvas, a 7 drawn."""
    page.goto(url)
    wait_for_app(page)
    if path in ("", "every_digit", "likelihood", "codes"):
        page.locator(f"{CANVAS}[data-ready=true]").wait_for(timeout=SLOW)
        for stroke in DIGITS[7]:
            draw_stroke(page, stroke)
    page.locator(READY[path]).last.wait_for(timeout=SLOW)
    wait_for_app(page)
    page.wait_for_function("() => [...document.querySelectorAll('img')].every(img => img.complete)")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", PAGES)
def test_no_critical_or_serious_violation(page, app_url, path, lang):
    open_with_a_drawing(page, f"{app_url}/{path}" + ("?lang=zh" if lang == "zh" else ""), path)
    assert serious(violations(page)) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_latent_map_shaded_where_the_prior_has_holes_has_no_critical_or_serious_violation(page, app_url, lang):
    open_with_a_drawing(page, f"{app_url}/latent?latent_holes=true" + ("&lang=zh" if lang == "zh" else ""), "latent")
    page.locator(".latent[data-shaded=true]").wait_for(timeout=SLOW)
    assert serious(violations(page)) == []
