"""Draw page speed in a real browser (Debian's Chromium through Playwright), as a person meets it.

- cold start: from `streamlit run app.py` to the Draw page's canvas taking strokes, and to the
  reconstructions of a first stroke drawn at that moment (the page draws its canvas before torch and the
  models load, so that stroke waits for them);
- stroke latency: from mouse-up to the input and both reconstructions shown and loaded, over 20 strokes
  of digits drawn with the mouse (measured inside the page with performance.now()), and on to both latent
  maps showing the new code. Our canvas sends the drawing on pointer-up (streamlit-drawable-canvas 0.13
  waited 200 ms after the last change).
Run: make bench (or python -m benchmarks.draw_latency [--strokes N]).
"""
import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.harness.browser import CHROMIUM_FLAGS, chromium_path
from tests.harness.server import free_port, start_app, stop_app
from tests.harness.strokes import (
    DIGITS,
    NEW_IMAGES_SHOWN,
    NEW_MAPS_SHOWN,
    clear_canvas,
    draw_stroke,
    image_sources,
    map_sources,
    wait_for_new_images,
    wait_until_drawable,
)

RECORD_MOUSE_UP = "document.addEventListener('pointerup', () => { window.mouseUpAt = performance.now(); }, true)"
SINCE_MOUSE_UP_WHEN_SHOWN = f"(arg) => ({NEW_IMAGES_SHOWN})(arg) && performance.now() - window.mouseUpAt"
SINCE_MOUSE_UP_WHEN_MAPPED = f"(arg) => ({NEW_MAPS_SHOWN})(arg) && performance.now() - window.mouseUpAt"


def summary(latencies) -> str:
    return (f"median {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
            f"min {min(latencies):.0f} ms, max {max(latencies):.0f} ms")


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=20)
    args = parser.parse_args()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        version = browser.version
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)  # a busy machine can take long over the first start
        port = free_port()
        started = time.perf_counter()
        app = start_app(port)
        try:
            page.goto(f"http://127.0.0.1:{port}")
            wait_until_drawable(page)
            print(f"Draw page, Chromium {version}")
            print(
                f"cold start (streamlit run -> canvas takes strokes): {time.perf_counter() - started:.2f} s", flush=True
            )
            draw_stroke(page, next(iter(DIGITS.values()))[0])
            wait_for_new_images(page, [], timeout=180_000)
            print(f"cold start (streamlit run -> a first stroke's reconstructions shown): "
                  f"{time.perf_counter() - started:.2f} s", flush=True)

            page.evaluate(RECORD_MOUSE_UP)
            latencies, mapped = [], []
            while len(latencies) < args.strokes:
                for digit in DIGITS.values():
                    clear_canvas(page)
                    for stroke in digit[: args.strokes - len(latencies)]:
                        before, maps = image_sources(page), map_sources(page)
                        draw_stroke(page, stroke)
                        latencies.append(page.wait_for_function(SINCE_MOUSE_UP_WHEN_SHOWN, arg=[before, 3],
                                                                polling=5).json_value())
                        mapped.append(page.wait_for_function(SINCE_MOUSE_UP_WHEN_MAPPED, arg=maps,
                                                             polling=5).json_value())
                    if len(latencies) == args.strokes:
                        break
        finally:
            stop_app(app)
            browser.close()

    print(f"mouse-up -> both reconstructions shown ({len(latencies)} strokes): {summary(latencies)}")
    print(f"mouse-up -> both latent maps mark the drawing: {summary(mapped)}")


if __name__ == "__main__":
    main()
