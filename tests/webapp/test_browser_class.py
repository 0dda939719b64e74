"""A lecture in Chromium: the lecturer projects the Class page at 1920×1080 in lecture mode, students open its join
link in browsers of their own and draw (and forty more phones post through the room API); their drawings land on the
projected map as stars. The lecturer sends the
class to a page, and a student follows with one tap."""
import base64
import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import redis
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.classroom import open_class_page, open_student, wait_for_class
from tests.harness.hall import students_draw
from tests.harness.latent_maps import messages_to_the_server
from tests.harness.server import ROOT, free_port, run_coroutine, start_app, stop_app
from tests.harness.services import redis_server
from tests.harness.strokes import (
    CANVAS,
    DIGITS,
    draw_digit,
    draw_stroke,
    image_sources,
    wait_for_new_images,
    wait_until_drawable,
)

pytestmark = pytest.mark.browser
HALL = 40  # phones drawing beside the three browsers
UNREACHABLE = "The room cannot be reached just now"


def test_the_class_draws_and_the_projected_map_shows_every_students_drawing(browser, app_url):
    lecturer, projector, code = open_class_page(browser, app_url)
    join = projector.get_by_text(f"/?room={code}").inner_text()  # the link under the QR code, as a student reads it
    students = [open_student(browser, join) for _ in range(3)]
    try:
        for (_, page), digit in zip(students, (0, 1, 7)):  # one stroke each
            draw_digit(page, digit)
            assert f"room={code}" in page.url
        wait_for_class(projector, 3)
        # the rest of the hall, each drawing a digit by a hand of its own
        answers = run_coroutine(students_draw(app_url, code, [[n % 10] for n in range(HALL)]))
        assert [status for status, _ in answers] == [202] * HALL
        wait_for_class(projector, 3 + HALL)
        (ROOT / "artifacts").mkdir(exist_ok=True)
        projector.screenshot(path=ROOT / "artifacts" / "class.png")
    finally:
        for context, _ in students:
            context.close()
        lecturer.close()


def test_a_students_strokes_in_a_room_send_streamlit_nothing_and_each_one_posts_the_drawing_once(browser, app_url):
    """In a room the pad posts each drawing to the room API at pointer-up (a small JSON request), and the strokes send
    no websocket message: a hall of students drawing costs the server no script run."""
    lecturer, projector, code = open_class_page(browser, app_url)
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    student = context.new_page()
    sent = messages_to_the_server(student)
    posts = []
    student.on("request", lambda request: posts.append(request.post_data_json) if request.method == "POST"
               and request.url.endswith(f"/api/rooms/{code}/drawings") else None)
    try:
        student.goto(f"{app_url}/?room={code}")
        wait_for_app(student)
        wait_until_drawable(student)
        before = len(sent)
        for stroke in (*DIGITS[4], *DIGITS[1]):  # three strokes, each answered in the browser
            shown = image_sources(student)
            draw_stroke(student, stroke)
            wait_for_new_images(student, shown)
        expect(projector.get_by_text("3 drawings from 1 student", exact=True)).to_be_visible(timeout=10_000)
        assert len(posts) == 3 and all(len(base64.b64decode(post["image"])) == 784 for post in posts)
        assert len({post["member"] for post in posts}) == 1
        assert len(sent) == before, "a stroke in a room sent Streamlit a message"
    finally:
        context.close()
        lecturer.close()


def test_the_lecturer_sends_the_class_to_a_page_and_a_student_follows(browser, app_url):
    lecturer, page, code = open_class_page(browser, app_url, "")  # the sidebar open, as on the lecturer's laptop
    context, phone = open_student(browser, f"{app_url}/?room={code}")
    try:
        page.get_by_test_id("stSidebarNav").get_by_text("Latent space").click()  # the same session: its key
        wait_for_app(page)
        page.get_by_role("slider", name="z1").focus()
        for _ in range(10):  # z1 up ten steps of 0.05, as a lecturer nudges it
            page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(r"latent_z1=0\.5"))
        wait_for_app(page)
        page.get_by_role("button", name="Send the class here").click()
        follow = phone.get_by_role("button", name="Follow")
        follow.wait_for(timeout=10_000)  # the student's page asks every few seconds
        follow.click()
        phone.wait_for_url(re.compile(r"/latent\?.*latent_z1=0\.5"))
        assert f"room={code}" in phone.url
        wait_for_app(phone)
        expect(phone.get_by_role("slider", name="z1")).to_have_attribute("aria-valuetext", "0.50")
    finally:
        context.close()
        lecturer.close()


@contextlib.contextmanager
def lecture_on(browser, rooms: str):
    """A server of its own on the room store rooms (VAEDEMO_ROOMS), its Class page projected and a student in the room
    who has drawn a 7, counted there: (projector, student). Neither page may show an exception by the end."""
    port = free_port()
    app = start_app(port, {"VAEDEMO_ROOMS": rooms})
    url = f"http://127.0.0.1:{port}"
    lecturer, projector, code = open_class_page(browser, url)
    context, student = open_student(browser, f"{url}/?room={code}")
    try:
        draw_digit(student, 7)
        wait_for_class(projector, 1)
        yield projector, student
        for page in (student, projector):
            expect(page.locator("[data-testid=stException]")).to_have_count(0)
    finally:
        context.close()
        lecturer.close()
        stop_app(app)


def draw_a_1_answered_in_the_browser(student):
    """A new stroke on the same canvas, answered in the browser whatever the store does."""
    before = image_sources(student)
    draw_stroke(student, DIGITS[1][0])
    wait_for_new_images(student, before, timeout=10_000)


def test_a_frozen_redis_costs_the_room_its_live_view_and_both_pages_recover_by_themselves(browser):
    """Rooms in Redis, Redis frozen (SIGSTOP) for 12 s under a student in Chromium and the projected Class page: the
    student's strokes are answered all the same (in the browser), both pages say that the room cannot be reached and
    that drawing goes on, nothing shows an exception; thawed, the Class page counts the drawings again by itself."""
    with redis_server() as rooms, lecture_on(browser, rooms) as (projector, student):
        pid = redis.Redis.from_url(rooms).info()["process_id"]
        os.kill(pid, signal.SIGSTOP)
        frozen = time.monotonic()
        try:
            draw_a_1_answered_in_the_browser(student)
            for page in (student, projector):  # each page's poll of the room says so
                expect(page.get_by_text(UNREACHABLE).first).to_be_visible(timeout=10_000)
            time.sleep(max(0.0, 12 - (time.monotonic() - frozen)))
        finally:
            os.kill(pid, signal.SIGCONT)
        expect(projector.get_by_text(UNREACHABLE)).to_have_count(0, timeout=15_000)
        expect(projector.get_by_text(re.compile(r"\d+ drawings? from 1 students?"))).to_be_visible()


LOCK = """import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""  # another process that holds the SQLite store's write lock (a backup, a stuck server) for a while


def test_a_sqlite_store_locked_by_another_process_costs_only_the_rooms_view_and_the_drawing_lands_once_free(
        browser, tmp_path):
    """Rooms in SQLite, the file's write lock held by another process for 12 s: the student's strokes are answered
    all the same (in the browser), the student's page says that the room cannot be reached and that drawing goes on,
    the Class page goes on showing what the room holds; once the file is free the student's latest drawing is posted
    again by itself and lands on the projected map. No page shows an exception."""
    rooms = str(tmp_path / "rooms.sqlite3")
    with lecture_on(browser, rooms) as (projector, student):
        locker = subprocess.Popen([sys.executable, "-c", LOCK, rooms, "12"], stdout=subprocess.PIPE, text=True)
        try:
            assert locker.stdout.readline().strip() == "locked"
            pad = student.locator(CANVAS).bounding_box()
            draw_a_1_answered_in_the_browser(student)
            expect(student.get_by_text(UNREACHABLE)).to_have_count(2, timeout=10_000)  # under the pad, and the room's
            toast = student.locator(".trouble.toast").bounding_box()  # the room's own, over the page's bottom right
            assert toast["y"] + toast["height"] <= 900 and toast["x"] >= 300  # on screen, beside the sidebar
            assert student.locator(CANVAS).bounding_box() == pad  # neither moves the pad under a finger
            student.screenshot(path=ROOT / "artifacts" / "room-unreachable.png")
            expect(projector.get_by_text(re.compile(r"\b1 drawings? from 1 students?"))).to_be_visible()
        finally:
            locker.wait(timeout=30)
        expect(student.get_by_text(UNREACHABLE)).to_have_count(0, timeout=15_000)  # posted again, by itself
        expect(projector.get_by_text(re.compile(r"\b2 drawings from 1 students?"))).to_be_visible(timeout=10_000)
