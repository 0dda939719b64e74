"""The Lesson in Chromium, on a projector (1920×1080, lecture mode): the Right and Left arrow keys move through the
steps (but not while a slider has the focus), each step fits the screen, the map decodes under the pointer; and in a
room, a member's lesson follows the lecturer's step on its own (two browser pages, one server)."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP, decodes, screen_point
from tests.harness.server import ROOT
from webapp import lesson
from webapp.i18n import CATALOGUES

pytestmark = pytest.mark.browser
SLOW = 120_000  # ms: the first run imports torch, a minute or two on a busy machine
TITLES = [CATALOGUES["en"][f"lesson.{name}.title"] for name in ("compress", "holes", "prior", "reparameterisation")]


def projector(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.set_default_timeout(SLOW)
    return context, page


def heading(page, title: str):
    """Wait for the step with this title, and for the arrow keys' listener (a key pressed before it is lost)."""
    page.get_by_role("heading", name=title, level=1).wait_for()
    wait_for_app(page)
    page.locator("[data-arrow-keys=listening]").wait_for(state="attached")


def fits_the_screen(page) -> bool:
    """Whether the page, laid out in its own fonts (text waits in a fallback while they load), needs no scrolling."""
    return page.evaluate("""async () => {
        await document.fonts.ready;
        await new Promise(requestAnimationFrame);
        return document.querySelector('[data-testid=stMain]').scrollHeight <= innerHeight;
    }""")


def lead_a_lesson(page, app_url: str) -> str:
    """Open a room on the Class page (this browser's session is its lecturer, with the key) and go to the Lesson in
    the same session, at its first step; the room's code."""
    page.goto(f"{app_url}/class")
    wait_for_app(page)
    page.wait_for_url(re.compile(r"room=[A-Z2-9]{5}"))
    page.get_by_test_id("stSidebarNav").get_by_text("Lesson").click()  # the same session: its key
    heading(page, TITLES[0])
    return re.search(r"room=([A-Z2-9]{5})", page.url)[1]


def test_the_arrow_keys_move_through_the_lesson_on_a_projector(browser, app_url):
    context, page = projector(browser)
    try:
        page.goto(f"{app_url}/lesson?step=2&lecture=1")
        heading(page, TITLES[1])
        assert fits_the_screen(page)
        page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(r"step=3"))
        heading(page, TITLES[2])
        page.locator(f"{MAP}[data-ready=true]").wait_for()
        root = page.locator(MAP)
        assert fits_the_screen(page)
        start = decodes(root)
        page.mouse.move(*screen_point(root, (1.0, -1.0)))  # the live map: the browser decodes under the pointer
        expect(root).not_to_have_attribute("data-decodes", str(start))
        (ROOT / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=ROOT / "artifacts" / "lesson.png")

        slider = page.get_by_role("slider", name="z1")
        slider.focus()
        page.keyboard.press("ArrowRight")  # a slider takes its own keys: z1 moves, the step stays
        expect(slider).to_have_attribute("aria-valuetext", "0.05")
        wait_for_app(page)
        assert re.search(r"step=3\b", page.url)
        page.locator("h1").click()  # the focus back on the page
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(re.compile(r"step=2\b"))
        heading(page, TITLES[1])
    finally:
        context.close()


def test_a_members_lesson_follows_the_lecturers_step(browser, app_url):
    lecturer, page = projector(browser)
    member = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = member.new_page()
    phone.set_default_timeout(SLOW)
    try:
        code = lead_a_lesson(page, app_url)
        phone.goto(f"{app_url}/lesson?room={code}")
        heading(phone, TITLES[0])
        page.locator("h1").click()
        page.keyboard.press("ArrowRight")
        heading(page, TITLES[1])
        phone.wait_for_url(re.compile(r"step=2\b"), timeout=15_000)  # its page asks the room every few seconds
        heading(phone, TITLES[1])
        page.get_by_role("button", name="Next").click()
        heading(page, TITLES[2])
        phone.wait_for_url(re.compile(r"step=3\b"), timeout=15_000)
        heading(phone, TITLES[2])
        assert f"room={code}" in phone.url
        expect(phone.get_by_role("button", name="Follow")).to_have_count(0)  # no tap needed on the lesson
    finally:
        member.close()
        lecturer.close()


def test_the_hall_answers_and_the_lecturer_reveals_the_right_choice_on_every_phone(browser, app_url):
    """Three phones in a room answer the step's question with a tap (one changes its mind); the projected Lesson page
    counts the answers as they come, "3 of 3 answered", without a reload; Reveal shows the right choice and why on the
    projector and on every phone. Nothing says who chose what."""
    lecturer, page = projector(browser)
    phones = [browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
              for _ in range(3)]
    try:
        code = lead_a_lesson(page, app_url)
        gist, every_pixel, guess = CATALOGUES["en"]["lesson.compress.choices"][1], "Every pixel, exactly", \
            "Nothing: the decoder guesses"
        taps = []
        for context, choice in zip(phones, (every_pixel, gist, guess)):
            phone = context.new_page()
            phone.set_default_timeout(SLOW)
            phone.goto(f"{app_url}/lesson?room={code}")
            heading(phone, TITLES[0])  # on the lecturer's step
            phone.get_by_role("button", name=choice).tap()
            expect(phone.get_by_text("Your answer is in")).to_be_visible()
            taps.append(phone)
        taps[0].get_by_role("button", name=gist).tap()  # another tap changes the answer
        expect(taps[0].get_by_role("button", name=gist)).to_have_attribute("aria-pressed", "true")
        expect(taps[0].get_by_role("button", name=every_pixel)).to_have_attribute("aria-pressed", "false")
        expect(page.get_by_text("3 of 3 answered")).to_be_visible(timeout=10_000)
        bars = page.locator("[data-testid=stBidiComponentIsolated]").locator(".bar")
        expect(bars.nth(1)).to_have_attribute("aria-label", f"{gist}: 2", timeout=10_000)
        expect(bars.nth(0)).to_have_attribute("aria-label", f"{every_pixel}: 0")
        page.get_by_role("button", name="Reveal the answer").click()
        expect(page.get_by_text(f"The answer: {gist}.")).to_be_visible()
        for phone, verdict in zip(taps, ("Right.", "Right.", "Not quite.")):  # each phone's poll follows the room
            expect(phone.get_by_text(f"{verdict} The answer: {gist}.")).to_be_visible(timeout=15_000)
        (ROOT / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=ROOT / "artifacts" / "lesson-answers.png")
        taps[2].screenshot(path=ROOT / "artifacts" / "lesson-answers-phone.png")
    finally:
        for context in phones:
            context.close()
        lecturer.close()


def test_every_step_fits_a_projectors_one_screen(browser, app_url):
    """In lecture mode at 1920×1080, each of the lesson's steps, with its figure and its question, is one screen."""
    context, page = projector(browser)
    try:
        for number, step in enumerate(lesson.STEPS, 1):
            page.goto(f"{app_url}/lesson?step={number}&lecture=1")
            heading(page, CATALOGUES["en"][f"lesson.{step.name}.title"])
            page.get_by_role("group", name=CATALOGUES["en"][f"lesson.{step.name}.question"]).wait_for()
            page.wait_for_timeout(1500)  # the figure's components lay themselves out
            assert fits_the_screen(page), step.name
    finally:
        context.close()
