"""The image's start command on several app processes behind one port (webapp/serve.py, VAEDEMO_PROCESSES): HAProxy
keeps each browser on its own process, so that what belongs to its session (an upload of a model) reaches it, and the
processes share the rooms, so that students served by different processes draw on one class map."""
import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hall.rooms import open_store
from tests.harness.classroom import open_class_page, open_student, wait_for_class
from tests.harness.hall import room_counts, students_draw
from tests.harness.protocol import Session
from tests.harness.server import ROOT, app_pids, free_port, run_coroutine, start_app, stop_app
from tests.harness.strokes import draw_digit

COOKIE = "vaedemo_process"


def upload(url: str, student: Session, cookie: str) -> requests.Response:
    """A file put to the student's session as the Train page's uploader puts one, with this Cookie header."""
    return requests.put(f"{url}/_stcore/upload_file/{student.session_id}/file-1",
                        files={"file": ("model.safetensors", b"weights")},
                        headers={"X-Xsrftoken": student.xsrf[0], "Cookie": cookie}, timeout=30)


def other_process(cookie: str) -> str:
    """The same Cookie header, naming the other of two processes."""
    return cookie.replace(f"{COOKIE}=app0", "@").replace(f"{COOKIE}=app1", f"{COOKIE}=app0").replace(
        "@", f"{COOKIE}=app1")


@pytest.mark.server
def test_two_processes_keep_each_browser_on_its_own_and_share_the_room(tmp_path):
    rooms = str(tmp_path / "rooms.sqlite3")
    code, _ = open_store(rooms).create_room()
    port = free_port()
    server = start_app(port, {"VAEDEMO_ROOMS": rooms}, processes=2)
    url = f"http://127.0.0.1:{port}"
    pids = app_pids(server)
    try:
        assert len(set(pids)) == 2

        async def hall():
            first, second = Session(url, f"room={code}"), Session(url, f"room={code}")
            for student in (first, second):
                await student.connect()
                await student.rerun()
            uploads = [await asyncio.to_thread(upload, url, student, cookie) for student in (first, second)
                       for cookie in (student.cookie, other_process(student.cookie))]
            posts = await students_draw(url, code, [[7], [3], [1], [0]])  # phones without cookies: both processes
            counts = await room_counts(url, code)
            for student in (first, second):
                await student.close()
            return first, second, uploads, posts, counts

        first, second, uploads, posts, counts = run_coroutine(hall())
        assert first.errors == second.errors == []
        # the proxy sent the second browser, while the first one's websocket was open, to the other process
        assert {first.cookie.count(f"{COOKIE}=app0"), second.cookie.count(f"{COOKIE}=app0")} == {0, 1}
        # each browser's cookie leads to its own session; the other process knows no such session
        assert [response.status_code for response in uploads] == [204, 400, 204, 400]
        assert "sticky sessions" in uploads[1].text
        assert [status for status, _ in posts] == [202] * 4 and counts == (4, 4)  # one room for both processes
    finally:
        stop_app(server)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # stopping the command stops its processes


def test_a_wrong_number_of_processes_is_a_clear_message():
    for value, expected in (("two", "VAEDEMO_PROCESSES must be a whole number"), ("0", "1 or more")):
        run = subprocess.run([sys.executable, "-m", "webapp.serve"], cwd=ROOT, capture_output=True, text=True,
                             env={"VAEDEMO_PROCESSES": value, "PATH": "/usr/bin:/bin"}, timeout=60)
        assert run.returncode == 1 and expected in run.stderr and "Traceback" not in run.stderr


def test_several_processes_without_haproxy_say_what_to_install(tmp_path):
    run = subprocess.run([sys.executable, "-m", "webapp.serve"], cwd=ROOT, capture_output=True, text=True,
                         env={"VAEDEMO_PROCESSES": "2", "PATH": str(tmp_path)}, timeout=60)
    assert run.returncode == 1 and "apt-get install haproxy" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.browser
def test_a_lecture_in_chromium_on_two_processes(browser, tmp_path):
    """The projected Class page and two students' browsers through HAProxy: the browsers keep its cookie, the three
    sessions are spread over both processes, and both students' drawings land on the one projected map."""
    port = free_port()
    server = start_app(port, {"VAEDEMO_ROOMS": str(tmp_path / "rooms.sqlite3")}, processes=2)
    url = f"http://127.0.0.1:{port}"
    lecturer, projector, code = open_class_page(browser, url)
    students = []
    try:
        students = [open_student(browser, f"{url}/?room={code}") for _ in range(2)]
        for (_, page), digit in zip(students, (1, 7)):
            draw_digit(page, digit)
        wait_for_class(projector, 2)
        served_by = {cookie["value"] for context in (lecturer, *(c for c, _ in students))
                     for cookie in context.cookies() if cookie["name"] == COOKIE}
        assert served_by == {"app0", "app1"}
        (ROOT / "artifacts").mkdir(exist_ok=True)
        projector.screenshot(path=ROOT / "artifacts" / "class-two-processes.png")
    finally:
        for context, _ in students:
            context.close()
        lecturer.close()
        stop_app(server)
