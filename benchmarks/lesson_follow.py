"""The lesson in a room, in a real browser (Debian's Chromium through Playwright, headless): a lecturer's projector
(1920×1080, lecture mode) and a member's phone (390×844) on one server. The lecturer walks the lesson with the Right
arrow key, then back with the Left one, each move a random moment (uniform over one poll) after the phone showed the
last one, as a lecturer's moves fall at any moment of a phone's poll; for each move:

- the lecturer's own page: from the key press to the new step's title on the projector;
- the member's phone: from the key press to the same title on the phone, with no tap (the phone's page asks the
  room every FOLLOW_POLL_S seconds, so this is the poll's wait plus a rerun of the step);
- the messages the phone sends the server meanwhile (its polls and the rerun).
Run: make bench (or python -m benchmarks.lesson_follow).
"""
import random
import re
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.harness.browser import CHROMIUM_FLAGS, chromium_path, wait_for_app
from tests.harness.server import free_port, start_app, stop_app
from webapp.classroom import FOLLOW_POLL_S
from webapp.i18n import CATALOGUES
from webapp.lesson import STEPS

TITLES = [CATALOGUES["en"][f"lesson.{step.name}.title"] for step in STEPS]
SLOW = 120_000  # ms: the first page of a fresh server imports torch


def shown(page, step: int) -> float:
    """Wait until the page shows this step (1-based) and has finished its run; the time it did, s."""
    page.get_by_role("heading", name=TITLES[step - 1], level=1).wait_for()
    wait_for_app(page)
    return time.perf_counter()


def line(name: str, values: list[float]) -> str:
    return (f"{name}: median {statistics.median(values):.0f} ms, max {max(values):.0f} ms, "
            f"min {min(values):.0f} ms ({len(values)} moves)")


def main():
    port = free_port()
    server = start_app(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            projector = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                        is_mobile=True).new_page()
            for page in (projector, phone):
                page.set_default_timeout(SLOW)
            projector.goto(f"{url}/class")  # a new room; this session holds its key
            projector.wait_for_url(re.compile(r"room=[A-Z2-9]{5}"))
            code = re.search(r"room=([A-Z2-9]{5})", projector.url)[1]
            projector.get_by_test_id("stSidebarNav").get_by_text("Lesson").click()
            shown(projector, 1)
            phone.goto(f"{url}/lesson?room={code}")
            shown(phone, 1)
            sent = []
            phone.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(len(payload))))
            phone.reload()  # the listener sees the page's own websocket from its start
            shown(phone, 1)
            projector.locator("h1").click()
            own, follow, messages = [], [], []
            moves = [("ArrowRight", step) for step in range(2, len(STEPS) + 1)]
            moves += [("ArrowLeft", step) for step in range(len(STEPS) - 1, 0, -1)]
            pause = random.Random(0)
            for key, step in moves:
                time.sleep(pause.uniform(0, FOLLOW_POLL_S))
                sent.clear()
                start = time.perf_counter()
                projector.keyboard.press(key)
                own.append((shown(projector, step) - start) * 1000)
                follow.append((shown(phone, step) - start) * 1000)
                messages.append(len(sent))
            browser.close()
    finally:
        stop_app(server)
    print(f"The lesson in a room: projector 1920×1080 and phone 390×844 on one server, {len(own)} moves through "
          f"{len(STEPS)} steps (the phone asks the room every {FOLLOW_POLL_S:g} s)")
    print(line("lecturer's key -> step on the projector", own))
    print(line("lecturer's key -> same step on the phone, no tap", follow))
    print(f"messages from the phone per move: median {statistics.median(messages):.0f}, max {max(messages)}")


if __name__ == "__main__":
    main()
