"""Phones without a browser: students who join a room and post drawings through the room API (hall/room_api.py),
each on a keep-alive HTTP/1.1 connection of its own from asyncio, so that a thousand simulated phones cost this
machine little (tests/hall/test_room_api.py, tests/hall/test_lecture_hall.py; hall() for benchmarks/lecture_hall.py
and room_learns.py). Python's standard library has no asynchronous HTTP client and a thread per phone would cost more
than the server it measures, so a request is written here on asyncio's streams: the API's requests and answers are
small JSON with a Content-Length.

The drawings are digits drawn the way tests/harness/strokes.py draws them and prepared as the browser prepares them
(vaedemo.preprocess, which engine.js mirrors): 784 grey bytes in base64, as a phone posts them."""
import asyncio
import base64
import json
import random
import time
from urllib.parse import urlsplit

import numpy as np
from PIL import Image, ImageDraw

from tests.harness.strokes import DIGITS
from vaedemo.preprocess import preprocess_drawing
from vaedemo.viz import to_uint8

CANVAS, STROKE = 280, 24  # as webapp/views/draw.py draws its canvas
TIMEOUT_S = 30  # an answer that has not come by then counts as an error


def digit_grey(digit: int, hand: random.Random | None = None) -> str:
    """The digit drawn on the canvas (white ink on black) as a phone posts it: the 28x28 digit's grey bytes in base64.
    With a hand, each point of the strokes lands up to 4 % of the canvas away, as no two people draw alike."""
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 255))
    pen = ImageDraw.Draw(image)
    shake = (lambda: hand.uniform(-0.04, 0.04)) if hand else (lambda: 0.0)
    for points in DIGITS[digit]:
        at = [((x + shake()) * CANVAS, (y + shake()) * CANVAS) for x, y in points]
        pen.line(at, fill=(255, 255, 255, 255), width=STROKE, joint="curve")
        for x, y in (at[0], at[-1]):
            pen.ellipse((x - STROKE / 2, y - STROKE / 2, x + STROKE / 2, y + STROKE / 2), fill=(255, 255, 255, 255))
    x = preprocess_drawing(np.asarray(image))  # (1, 1, 28, 28)
    return base64.b64encode(to_uint8(x)[0].tobytes()).decode()


IMAGES = [digit_grey(digit) for digit in DIGITS]  # each digit drawn once, steadily


class Phone:
    """One phone's connection to the app; request() reconnects when the server closed it."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.streams = None
        self.member = None

    async def request(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict, dict]:
        """(status, the answer's JSON (else {"text": its text}), its headers in lower case)."""
        payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        head = {"Host": f"{self.host}:{self.port}", "Content-Length": str(len(payload)),
                "Content-Type": "application/json", **(headers or {})}
        message = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
        for attempt in (1, 2):
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            try:
                writer.write(message.encode() + payload)
                return await asyncio.wait_for(self.answer(reader), TIMEOUT_S)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise

    async def answer(self, reader) -> tuple[int, dict, dict]:
        status = int((await reader.readline()).split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        is_json = headers.get("content-type", "").startswith("application/json")
        return status, json.loads(body) if is_json else {"text": body.decode()}, headers

    async def join(self, code: str) -> str:
        status, answer, _ = await self.request("POST", f"/api/rooms/{code}/members", {})
        assert status == 201, answer
        self.member = answer["member"]
        return self.member

    async def draw(self, code: str, image: str) -> tuple[int, dict]:
        status, answer, _ = await self.request("POST", f"/api/rooms/{code}/drawings",
                                               {"member": self.member, "image": image})
        return status, answer

    async def room(self, code: str, query: str = "") -> dict:
        status, answer, _ = await self.request("GET", f"/api/rooms/{code}{query}")
        assert status == 200, answer
        return answer

    async def close(self):
        if self.streams:
            self.streams[1].close()
            self.streams = None


async def students_draw(url: str, code: str, digits: list[list[int]], hands: bool = True) -> list[tuple[int, dict]]:
    """Students at once, each joining the room and posting its digits (a hand of its own, seeded by its place); the
    answers to every post, in order."""
    async def one(n: int, own: list[int]):
        phone = Phone(url)
        await phone.join(code)
        hand = random.Random(n) if hands else None
        answers = [await phone.draw(code, digit_grey(digit, hand) if hand else IMAGES[digit]) for digit in own]
        await phone.close()
        return answers

    done = await asyncio.gather(*(one(n, own) for n, own in enumerate(digits)))
    return [answer for answers in done for answer in answers]


async def room_counts(url: str, code: str) -> tuple[int, int]:
    """What the room says: (drawings, students)."""
    phone = Phone(url)
    answer = await phone.room(code)
    await phone.close()
    return answer["drawings"], answer["students"]


POLL_S = 2.5  # as webapp/classroom.py FOLLOW_POLL_S: a member's page asks after its room this often
WAKE_S = 1.0  # a phone with nothing to send looks at going() at least this often


def drawn_by_hand(n: int, hand: random.Random) -> str:
    """A phone's next drawing: a digit at random, by its own hand."""
    return digit_grey(hand.randrange(10), hand)


async def hall(url: str, code: str, phones: int, every: float, going, image=drawn_by_hand) -> dict:
    """A hall of phones in the room code while going(): each joins at its moment of the first `every` seconds, then
    posts a drawing (image(n, its hand)) every `every` seconds or so and polls the room every POLL_S, as a member's
    page does. Returns {"posts": [(time sent, latency in s)], "errors": [what went wrong], "polls": count}."""
    results = {"posts": [], "errors": [], "polls": 0}

    async def phone(n: int):
        hand = random.Random(n)
        await asyncio.sleep(hand.uniform(0, every))
        device = Phone(url)
        try:
            await device.join(code)
            next_post, next_poll = time.monotonic(), time.monotonic() + hand.uniform(0, POLL_S)
            while going():
                now = time.monotonic()
                if now >= next_post:
                    sent = time.time()
                    status, answer = await device.draw(code, image(n, hand))
                    results["posts"].append((sent, time.time() - sent))
                    if status != 202:
                        results["errors"].append(f"{status}: {answer.get('error', answer)}")
                    next_post += every * hand.uniform(0.8, 1.2)
                elif now >= next_poll:
                    await device.room(code)
                    results["polls"] += 1
                    next_poll += POLL_S
                await asyncio.sleep(max(0.0, min(next_post, next_poll, now + WAKE_S) - time.monotonic()))
        except Exception as error:  # counted and reported, the hall goes on
            results["errors"].append(f"{type(error).__name__}: {error}")
        finally:
            await device.close()

    await asyncio.gather(*(phone(n) for n in range(phones)))
    return results
