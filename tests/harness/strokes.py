"""Digits drawn the way people draw them, as mouse strokes on the Draw page's canvas (browser tests and
benchmarks/draw_latency.py). Points are fractions of the canvas's width and height."""
import base64
import math

from tests.harness.browser import wait_for_app
from tests.harness.server import ROOT

CANVAS = "[data-testid=stBidiComponentIsolated] canvas.ink"
PICTURES = ".answer[data-part=pictures]"  # the Draw page's input and reconstructions (components/answer.js)
IMAGES = f"{PICTURES}.drawn canvas"  # each painted at 28x28, data-shown naming the answer it shows


def arc(cx, cy, rx, ry, start, end, n=16):
    """Points on an ellipse from angle start to end (degrees, 0 = right, 90 = down: screen coordinates)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start + (end - start) * i / n for i in range(n + 1))]


DIGITS = {
    0: [arc(0.5, 0.5, 0.2, 0.32, -100, 265, 28)],
    1: [[(0.42, 0.25), (0.53, 0.15), (0.52, 0.5), (0.51, 0.85)]],
    2: [arc(0.5, 0.32, 0.19, 0.16, 200, 380) + [(0.6, 0.52), (0.3, 0.82), (0.5, 0.81), (0.74, 0.8)]],
    3: [arc(0.5, 0.31, 0.18, 0.15, 210, 450) + arc(0.5, 0.66, 0.2, 0.19, -90, 150)],
    4: [[(0.38, 0.15), (0.3, 0.57), (0.74, 0.57)], [(0.62, 0.2), (0.61, 0.55), (0.6, 0.88)]],
    5: [[(0.7, 0.17), (0.37, 0.18), (0.33, 0.45)] + arc(0.5, 0.64, 0.2, 0.2, -130, 150)],
    6: [[(0.64, 0.14), (0.48, 0.3), (0.36, 0.52)] + arc(0.5, 0.66, 0.16, 0.18, 180, 540)],
    7: [[(0.26, 0.2), (0.74, 0.2), (0.46, 0.86)]],
    8: [arc(0.5, 0.31, 0.16, 0.16, 0, -180) + arc(0.5, 0.31, 0.16, 0.16, 180, 90)
        + arc(0.5, 0.67, 0.19, 0.19, -90, 270) + arc(0.5, 0.31, 0.16, 0.16, 90, 0)],
    9: [arc(0.48, 0.34, 0.17, 0.17, -20, -380), [(0.65, 0.3), (0.64, 0.6), (0.62, 0.88)]],
}


def on_screen(page, points) -> list[tuple[float, float]]:
    """Canvas fractions -> page coordinates, once the canvas takes strokes."""
    wait_until_drawable(page)
    box = page.locator(CANVAS).bounding_box()
    return [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]


def draw_stroke(page, points):
    """One mouse stroke along the polyline on the canvas, at a hand's pace of small moves. Each point is placed where
    the canvas is when the pen gets there: on a busy machine the page can still be laying out what a rerun sent (a
    picture's height arriving above the pad) while a stroke goes on, which would move the rest of a stroke drawn at
    the places of its start off the digit."""
    first, *rest = points
    page.mouse.move(*on_screen(page, [first])[0])
    page.mouse.down()
    for point in rest:
        page.mouse.move(*on_screen(page, [point])[0], steps=4)
    page.mouse.up()


def touch_stroke(page, points):
    """One finger stroke along the polyline, as touch events (the page's context needs has_touch=True)."""
    touch = page.context.new_cdp_session(page)
    at = on_screen(page, points)
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": at[0][0], "y": at[0][1]}]})
    for x, y in at[1:]:
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    touch.detach()


def wait_until_drawable(page, timeout: float = 30_000):
    """The canvas takes strokes once its script has bound the pen, which it marks with data-ready."""
    page.locator(f"{CANVAS}[data-ready=true]").wait_for(timeout=timeout)


def canvas_pixels(page):
    """The canvas's RGBA pixels (280, 280, 4) uint8, as a PNG of the canvas carries them: what vaedemo.preprocess
    takes, to check the browser's own preparation of the drawing against."""
    import io

    import numpy as np
    from PIL import Image

    uri = page.locator(CANVAS).first.evaluate("canvas => canvas.toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def image_sources(page) -> list[str]:
    """Which answer each picture shown shows (its data-shown; none before a drawing): they change with every answer."""
    return page.locator(IMAGES).evaluate_all("pictures => pictures.map(picture => picture.dataset.shown)")


def shown_pngs(page) -> list[bytes]:
    """The pictures shown, each as a 28x28 PNG file of what its canvas holds."""
    return [base64.b64decode(uri.split(",", 1)[1]) for uri in
            page.locator(IMAGES).evaluate_all("pictures => pictures.map(picture => picture.toDataURL('image/png'))")]


# The roots of the components that answer a drawing (components/answer.js), each in its own shadow root.
ANSWER_ROOTS = ("[...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]"
                ".map(host => host.shadowRoot && host.shadowRoot.querySelector('.answer')).filter(Boolean)")
# Whether count pictures show, none of them one of the answers in before (a browser-side function of [before, count]).
NEW_IMAGES_SHOWN = f"""([before, count]) => {{
    const pictures = {ANSWER_ROOTS}.flatMap(root => [...root.querySelectorAll('{IMAGES}')]);
    return pictures.length === count && pictures.every(picture => !before.includes(picture.dataset.shown));
}}"""


def wait_for_new_images(page, before: list[str], count: int = 3, timeout: float = 30_000):
    """Wait until count pictures show, none of them one of the answers in before (image_sources)."""
    page.wait_for_function(NEW_IMAGES_SHOWN, arg=[before, count], timeout=timeout)


# The page's latent maps (components/latent_map.js), each the root element of a component in its own shadow root.
MAP_ROOTS = ("[...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]"
             ".map(host => host.shadowRoot && host.shadowRoot.querySelector('.latent .plot')).filter(Boolean)"
             ".map(plot => plot.closest('.latent'))")
MAP_POINTS = f"() => {MAP_ROOTS}.map(root => root.dataset.ready === 'true' ? root.dataset.point : null)"
MAP_STARS = f"() => {MAP_ROOTS}.map(root => Number(root.dataset.stars || 0))"  # each map's small stars (a class's)
# Whether both maps show a star, each at a place other than the ones in before (a browser-side function of before).
NEW_MAPS_SHOWN = f"""(before) => {{
    const now = ({MAP_POINTS})();
    return now.length === 2 && now.every(point => point && !before.includes(point));
}}"""


def map_sources(page) -> list:
    """Where each map's star is drawn (empty before a drawing)."""
    return page.evaluate(MAP_POINTS)


def wait_for_maps(page, before: list | None = None, timeout: float = 30_000):
    """Wait until both latent maps mark the drawing, each at a place other than the ones in before (map_sources)."""
    page.wait_for_function(NEW_MAPS_SHOWN, arg=before or [], timeout=timeout)


def clear_canvas(page):
    """Press the canvas's Clear button and wait until the Draw page has dropped its pictures."""
    page.locator("[data-testid=stBidiComponentIsolated] button.clear").click()
    page.wait_for_function(f"() => !{ANSWER_ROOTS}.some(root => root.querySelector('{IMAGES}'))")


def draw_digit(page, digit: int):
    """Clear the canvas if something is drawn, then draw the digit stroke by stroke, waiting for the page
    to answer each one."""
    if image_sources(page):
        clear_canvas(page)
    for stroke in DIGITS[digit]:
        before = image_sources(page)
        draw_stroke(page, stroke)
        wait_for_new_images(page, before)


def draw_a_seven_for_the_screenshot(page, url: str):
    """The Draw page at url, 1400 pixels wide, with a 7 drawn and all it brings shown: the docs' screenshot."""
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.goto(url)
    wait_for_app(page)
    page.locator(CANVAS).wait_for()
    draw_digit(page, 7)
    wait_for_maps(page)
    wait_for_app(page)
    page.locator("[data-testid=stExpander] .katex-display").first.wait_for()  # the maths panel's formulas typeset
    (ROOT / "artifacts").mkdir(exist_ok=True)
