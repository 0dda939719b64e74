"""A phone's one screen, in Chromium with a touch screen: on the Draw and Every digit pages a digit drawn with a finger
gets its pictures on the same screen as the canvas, nothing scrolled, and the stroke does not scroll the page either;
the Draw page's maths fits a phone's width. The screenshots docs/phone-draw.png and docs/phone-every-digit.png."""
import time

import pytest

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, DIGITS, touch_stroke, wait_for_new_images, wait_until_drawable

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: the first page of a fresh server imports torch and loads the models
PHONES = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
# A 1 drawn from the bottom up: the swipe that would scroll a page down if the canvas let it.
UPWARD_ONE = list(reversed(DIGITS[1][0]))
# The pictures each page shows for a drawing: the input and both reconstructions; the input and the ten digits.
PICTURES = {"": ".answer[data-part=pictures].drawn canvas",
            "every_digit": ".answer[data-part=every_digit][data-answers] img"}
BOXES = """elements => elements.map(element => {
    const box = element.getBoundingClientRect(); return [box.x, box.y, box.width, box.height]; })"""


def boxes(page, path: str) -> list[list[float]]:
    """[x, y, width, height] of the canvas, then of each of the page's pictures for a drawing."""
    canvas = page.locator(CANVAS).bounding_box()
    return [[canvas[key] for key in ("x", "y", "width", "height")], *page.locator(PICTURES[path]).evaluate_all(BOXES)]


def inside(box, viewport) -> bool:
    x, y, width, height = box
    return x >= 0 and y >= 0 and x + width <= viewport["width"] and y + height <= viewport["height"]


def scrolled(page) -> float:
    """How far the page is scrolled: Streamlit scrolls its main section, not the document."""
    return page.evaluate("() => Math.max(...[...document.querySelectorAll('*')].map(element => element.scrollTop))")


@pytest.fixture(params=PHONES, ids=lambda phone: f"{phone['width']}x{phone['height']}")
def phone(browser, request):
    context = browser.new_context(viewport=request.param, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.mark.parametrize("path", list(PICTURES), ids=["draw", "every_digit"])
def test_a_finger_drawn_digit_and_its_pictures_share_one_phone_screen(phone, app_url, path):
    viewport = phone.viewport_size
    phone.goto(f"{app_url}/{path}")
    wait_for_app(phone)
    wait_until_drawable(phone, timeout=SLOW)
    settled = time.monotonic() + 10  # the pad takes strokes before the page's fonts and styles have all come
    while not inside(boxes(phone, path)[0], viewport) and time.monotonic() < settled:
        phone.wait_for_timeout(250)
    assert inside(boxes(phone, path)[0], viewport) and scrolled(phone) == 0, "the canvas on the first screen"
    touch_stroke(phone, UPWARD_ONE)
    phone.locator(PICTURES[path]).last.wait_for(timeout=SLOW)
    if path == "":
        wait_for_new_images(phone, [])
    wait_for_app(phone)
    # every picture shown: an img loaded (a canvas is painted as it comes)
    phone.wait_for_function("pictures => pictures.every(picture => picture.complete !== false)",
                            arg=phone.locator(PICTURES[path]).element_handles())
    shown = boxes(phone, path)
    assert len(shown) == (4 if path == "" else 3)
    assert all(inside(box, viewport) for box in shown), shown
    assert scrolled(phone) == 0, "the finger's stroke did not scroll the page"
    if viewport["width"] == 390:
        (ROOT / "artifacts").mkdir(exist_ok=True)
        phone.screenshot(path=ROOT / "artifacts" / f"phone-{path.replace('_', '-') or 'draw'}.png")


def test_the_draw_page_maths_fits_a_phone(phone, app_url):
    """Each formula of the maths panel fits the phone's width: none has to be scrolled sideways."""
    phone.goto(app_url)
    wait_for_app(phone)
    wait_until_drawable(phone, timeout=SLOW)
    for stroke in DIGITS[7]:
        touch_stroke(phone, stroke)
    formulas = phone.locator("[data-testid=stExpander] .katex-display .katex-html")  # what KaTeX shows
    formulas.first.wait_for(timeout=SLOW)
    wait_for_app(phone)
    widths = formulas.evaluate_all("shown => shown.map(formula => [formula.scrollWidth, formula.clientWidth])")
    # KaTeX ends each stacked block with a thin cell of its own (.vlist-s, two pixels), nothing a reader sees
    assert widths and all(scroll <= client + 2 for scroll, client in widths), widths
