"""A lecture hall at once: many students on Streamlit's own websocket protocol (benchmarks/lecture_hall.py's
clients, no browser) open the Draw page and draw together on one server; each must get its own answer."""
import asyncio
import random

from tests.harness.protocol import DRAWINGS, PICTURES_PER_STROKE, Session
from tests.harness.server import run_coroutine

STUDENTS, STROKES = 20, 3


async def student(url: str, seed: int) -> list[str]:
    """Open the Draw page, draw STROKES digits; the problems seen (none when every answer came complete)."""
    rng = random.Random(seed)
    session = Session(url)
    await session.connect()
    await session.rerun()
    problems = []
    for _ in range(STROKES):
        await asyncio.sleep(rng.uniform(0, 0.5))
        pictures = await session.stroke(rng.choice(DRAWINGS))
        if pictures != PICTURES_PER_STROKE:
            problems.append(f"a stroke got {pictures} pictures")
    await session.close()
    return problems + session.errors


def test_twenty_students_drawing_at_once_each_get_their_pictures(app_url):
    async def hall():
        return await asyncio.gather(*(student(app_url, seed) for seed in range(STUDENTS)))

    assert run_coroutine(hall()) == [[]] * STUDENTS
