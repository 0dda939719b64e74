"""A lecture's browsers: the lecturer's projected Class page and the students' Draw pages at its join link."""
import re

from tests.harness.browser import wait_for_app
from tests.harness.strokes import MAP_STARS, wait_until_drawable

SLOW = 60_000  # ms: a page on a server busy with a hall


def open_class_page(browser, app_url, query: str = "?lecture=1"):
    """A lecturer's projector: a new room's Class page at 1920×1080 (in lecture mode by default); returns its context,
    its page and the room's code."""
    lecturer = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = lecturer.new_page()
    page.set_default_timeout(SLOW)
    page.goto(f"{app_url}/class{query}")
    wait_for_app(page)
    page.wait_for_url(re.compile(r"room=[A-Z2-9]{5}"))
    return lecturer, page, re.search(r"room=([A-Z2-9]{5})", page.url)[1]


def open_student(browser, url: str):
    """A student's browser at the room's join link, its canvas ready: (context, page)."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(url)
    wait_for_app(page)
    wait_until_drawable(page, timeout=SLOW)
    return context, page


def wait_for_class(projector, students: int):
    """Until the projected Class page counts one drawing from each of the students and maps each as a star (it polls
    the room: no reload)."""
    counts = "1 drawing from 1 student" if students == 1 else f"{students} drawings from {students} students"
    projector.get_by_text(counts, exact=True).wait_for(timeout=10_000)
    projector.wait_for_function(f"() => ({MAP_STARS})()[0] === {students}", timeout=10_000)
