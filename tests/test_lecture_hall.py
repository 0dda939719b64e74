"""A lecture hall at once: many students in one room on Streamlit's own websocket protocol (benchmarks/lecture_hall.py's
clients, no browser) draw together on one server; each drawing must reach the room, with no error. (Their pictures
come from their own browsers: components/answer.js.)"""
import asyncio
import random

from tests.harness.protocol import DRAWINGS, Session, class_counts
from tests.harness.server import run_coroutine
from vaedemo.rooms import open_store

STUDENTS, STROKES = 20, 3


async def student(url: str, code: str, seed: int) -> list[str]:
    """Join the room on the Draw page, draw STROKES digits; the problems seen (none when every stroke went well)."""
    rng = random.Random(seed)
    session = Session(url, f"room={code}")
    await session.connect()
    await session.rerun()
    for _ in range(STROKES):
        await asyncio.sleep(rng.uniform(0, 0.5))
        await session.stroke(rng.choice(DRAWINGS))
    await session.close()
    return session.errors


def test_twenty_students_drawing_at_once_each_reach_the_room(app_url, state_folder):
    code, key = open_store(None).create_room()

    async def hall():
        return await asyncio.gather(*(student(app_url, code, seed) for seed in range(STUDENTS)))

    assert run_coroutine(hall()) == [[]] * STUDENTS
    assert run_coroutine(class_counts(app_url, code, key)) == (STUDENTS * STROKES, STUDENTS)
