"""A lecture hall at once: many students in one room post drawings through the room API at the same moment (the
phones of benchmarks/lecture_hall.py, no browser) on one server; each drawing must reach the room, with no error. (Their
pictures come from their own browsers: components/answer.js.)"""
from hall.rooms import open_store
from tests.harness.hall import room_counts, students_draw
from tests.harness.server import run_coroutine

STUDENTS, DRAWINGS = 20, 3


def test_twenty_students_drawing_at_once_each_reach_the_room(app_url, state_folder):
    code, _ = open_store(None).create_room()
    digits = [[(n + k) % 10 for k in range(DRAWINGS)] for n in range(STUDENTS)]
    answers = run_coroutine(students_draw(app_url, code, digits))
    assert [status for status, _ in answers] == [202] * STUDENTS * DRAWINGS
    assert max(answer["drawings"] for _, answer in answers) == STUDENTS * DRAWINGS
    assert run_coroutine(room_counts(app_url, code)) == (STUDENTS * DRAWINGS, STUDENTS)
