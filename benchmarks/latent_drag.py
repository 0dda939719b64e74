"""The latent maps at the speed of the hand, in a real browser (Debian's Chromium through Playwright, headless):

- pointer move -> decoded digit painted: over a 200-move drag across the Latent page's map (the 2-D VAE), the time
  from each pointermove event's timestamp to the end of painting its digit, measured by the component itself; the
  same on the Draw page's maps with the 16-D convolutional pair, and along the Compare page's interpolation slider;
- the messages the page sends to the server during the drag (none expected), and on the release (the pick);
- the bytes the server sends: the first load of each page (the models' weights among them), then per rerun
  (a slider step or a pick on the Latent page, a stroke on the Draw page), and a page visited again in the same
  session: the weights are not sent again.
Run: make bench (or python -m benchmarks.latent_drag [--moves N]).
"""
import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.harness.browser import CHROMIUM_FLAGS, chromium_path, wait_for_app
from tests.harness.latent_maps import MAP, screen_point
from tests.harness.server import free_port, start_app, stop_app
from tests.harness.strokes import DIGITS, draw_stroke, image_sources, map_sources, wait_for_maps, wait_for_new_images


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def summary(values) -> str:
    return (f"median {statistics.median(values):.2f} ms, p95 {percentile(values, 95):.2f} ms, "
            f"max {max(values):.2f} ms ({len(values)} events)")


class Traffic:
    """The websocket messages of a page, both ways, counted from the last reset."""

    def __init__(self, page):
        self.sent, self.received = [], []
        page.on(
            "websocket",
            lambda socket: (
                socket.on("framesent", lambda payload: self.sent.append(len(payload))),
                socket.on("framereceived", lambda payload: self.received.append(len(payload))),
            ),
        )

    def reset(self):
        self.sent.clear()
        self.received.clear()

    def kb_received(self) -> float:
        return sum(self.received) / 1000


def drag(page, root, path) -> list[float]:
    """Drag the mouse along path (points of the map's plane); the component's latencies of those moves."""
    root.evaluate("root => { root.latencies.length = 0; }")
    page.mouse.move(*screen_point(root, path[0]))
    page.mouse.down()
    for z in path[1:]:
        page.mouse.move(*screen_point(root, z))
    latencies = root.evaluate("root => [...root.latencies]")
    return latencies


def settle(page):
    wait_for_app(page)
    time.sleep(0.5)  # the last messages of a run
    wait_for_app(page)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    n = args.moves
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        print(f"Latent maps, Chromium {browser.version}, headless")
        port = free_port()
        app = start_app(port)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(180_000)
            traffic = Traffic(page)
            page.goto(f"http://127.0.0.1:{port}/latent")
            page.locator(f"{MAP}[data-ready=true]").wait_for()
            settle(page)
            print(f"Latent page, first load: {traffic.kb_received():.0f} kB from the server")
            root = page.locator(MAP)

            traffic.reset()
            path = [(-3.5 + 7 * i / n, 3 * (1 - 2 * ((i / n * 4) % 1))) for i in range(n + 1)]  # a zigzag over it
            latencies = drag(page, root, path)
            during = len(traffic.sent)
            page.mouse.up()
            settle(page)
            print(f"Latent page, pointer move -> decoded digit painted: {summary(latencies)}")
            print(f"Latent page, messages to the server during the drag: {during}; on the release: "
                  f"{len(traffic.sent) - during} (the pick), answered with {traffic.kb_received():.1f} kB")

            slider = page.get_by_role("slider", name="z1")
            slider.focus()
            traffic.reset()
            steps = 10
            for _ in range(steps):
                before = slider.get_attribute("aria-valuetext")
                page.keyboard.press("ArrowRight")
                page.wait_for_function("([s, v]) => s.getAttribute('aria-valuetext') !== v",
                                       arg=[slider.element_handle(), before])
                settle(page)
            print(f"Latent page, per slider step after the first load: {traffic.kb_received() / steps:.1f} kB "
                  f"from the server ({steps} steps)")

            page.goto(f"http://127.0.0.1:{port}/compare")
            page.locator(".latent[data-ready=true] input[aria-label='from A to B']").wait_for()
            settle(page)
            slider = page.locator(".latent[data-ready=true] input[aria-label='from A to B']")
            slider.scroll_into_view_if_needed()
            scrubber = slider.locator("xpath=..")
            scrubber.evaluate("root => { root.latencies.length = 0; }")
            box = slider.bounding_box()
            y = box["y"] + box["height"] / 2
            page.mouse.move(box["x"] + box["width"] / 2, y)
            page.mouse.down()
            for i in range(n):
                page.mouse.move(box["x"] + box["width"] * (0.5 + 0.45 * ((i % 40) / 20 - 1)), y)
            page.mouse.up()
            moved = scrubber.evaluate("root => [...root.latencies]")
            print(f"Compare page, interpolation slider move -> AE and VAE digits painted: {summary(moved)}")

            traffic.reset()
            page.goto(f"http://127.0.0.1:{port}/?draw_latent_dim=16-D&draw_conv=true")
            page.locator(f"{MAP}[data-ready=true]").nth(1).wait_for()
            settle(page)
            print(f"Draw page with the 16-D conv pair, first load: {traffic.kb_received():.0f} kB from the server")
            vae_map = page.locator(MAP).nth(1)
            vae_map.scroll_into_view_if_needed()
            x0, x1, y0, y1 = vae_map.evaluate("root => [root.frame.x0, root.frame.x1, root.frame.y0, root.frame.y1]")
            path = [(x0 + (x1 - x0) * (0.1 + 0.8 * i / n), y0 + (y1 - y0) * (0.5 + 0.3 * ((i % 20) / 10 - 1)))
                    for i in range(n + 1)]
            conv = drag(page, vae_map, path)
            page.mouse.up()
            print(f"Draw page, conv VAE-16D map, pointer move -> decoded digit painted: {summary(conv)}")

            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(f"{MAP}[data-ready=true]").nth(1).wait_for()
            settle(page)
            traffic.reset()
            strokes = [stroke for digit in (7, 4, 3, 0) for stroke in DIGITS[digit]]
            for stroke in strokes:
                before, maps = image_sources(page), map_sources(page)
                draw_stroke(page, stroke)
                wait_for_new_images(page, before)
                wait_for_maps(page, maps)
                settle(page)
            print(
                f"Draw page (2-D), per stroke after the first load: {traffic.kb_received() / len(strokes):.1f} kB from "
                f"the server ({len(strokes)} strokes)"
            )

            for name in ("Latent space", "Draw"):  # on in the same session: the Draw page's models are in the browser
                traffic.reset()
                page.get_by_role("link", name=name).click()
                page.locator(f"{MAP}[data-ready=true]").last.wait_for()
                settle(page)
                print(f"then the {name} page, in the same session: {traffic.kb_received():.0f} kB from the server")
        finally:
            stop_app(app)
            browser.close()


if __name__ == "__main__":
    main()
