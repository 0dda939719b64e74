"""Digits drawn the way people draw them, as mouse strokes on the Draw page's canvas (browser tests and
benchmarks/draw_latency.py). Points are fractions of the canvas's width and height."""
import itertools
import math
import time

CANVAS = "[data-testid=stBidiComponentIsolated] canvas.upper-canvas"
IMAGES = "[data-testid=stImage] img"


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


def draw_stroke(page, points):
    """One mouse stroke along the polyline on the canvas, at a hand's pace of small moves."""
    canvas = page.locator(CANVAS)
    box = canvas.bounding_box()
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    wait_until_drawable(page, canvas, at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def wait_until_drawable(page, canvas, point, timeout: float = 30):
    """A fresh canvas takes strokes only once it has loaded its initial drawing and set up the pen; from
    then on Fabric shows a crosshair cursor over it. Hover at point (nudging the mouse) until it does;
    now and then leave the canvas and come back, as a person would, since Fabric sets the cursor on entry."""
    deadline = time.monotonic() + timeout
    for tries in itertools.count():
        if tries % 40 == 39:
            page.mouse.move(1, 1)
        page.mouse.move(point[0] + tries % 2, point[1])
        if canvas.evaluate("canvas => canvas.style.cursor") == "crosshair":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the canvas did not become drawable within {timeout} s")
        page.wait_for_timeout(50)


def image_sources(page) -> list[str]:
    return page.locator(IMAGES).evaluate_all("images => images.map(image => image.src)")


def wait_for_new_images(page, before: list[str], count: int = 3, timeout: float = 30_000):
    """Wait until count images show, none of them one of the sources in before, all loaded."""
    page.wait_for_function(
        """([before, count]) => {
            const images = [...document.querySelectorAll('[data-testid=stImage] img')];
            return images.length === count
                && images.every(image => !before.includes(image.src) && image.complete && image.naturalWidth > 0);
        }""", arg=[before, count], timeout=timeout)


def clear_canvas(page):
    """Press Clear and wait for the fresh canvas that replaces the drawn one."""
    old = page.locator(CANVAS).element_handle()
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("canvas => !canvas.isConnected", arg=old)
    page.locator(CANVAS).wait_for()
