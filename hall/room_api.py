"""The room API: JSON over HTTP on the app's own server, beside Streamlit's routes (app.py mounts routes() with st.App).
A student's page posts each drawing here from the browser and every page follows its room here, so that a hall costs
the server a store write a drawing and a cached answer a poll, never a script rerun. The contract (DESIGN.md):

    POST /api/rooms/{code}/members    {}                                  -> 201 {"member": id}
    POST /api/rooms/{code}/drawings   {"member": id, "image": base64 of 784 bytes, 28x28 grey, row-major}
                                                                          -> 202 {"drawings": n, "students": m}
    POST /api/rooms/{code}/answers     {"member": id, "step": n, "choice": k}  -> 202 {"step": n, "choice": k}
    GET  /api/rooms/{code}            -> 200 {"drawings", "students", "joined", "digits": [10], "view", "experiment",
                                              "version", "answers": {step: [counts of each choice]}, "model": the
                                              id of the room's own model where its Draw pages use it, else null};
                                              with ?map=1
                                              also "points" (each student's latest drawing: its VAE-2D code and
                                              digit) and "latest" (the newest drawings)

Every refusal is {"error": "<a sentence>"} with its status, and stores nothing: 400 a malformed body, 413 a body over
MAX_BODY bytes, 403 a member the room did not issue or a request from another site's page, 404 an unknown room, 409
a full room, 429 a flood (with Retry-After), 503 a store that does not answer within STORE_TIMEOUT_S.

Nothing a phone claims about its drawing is trusted: the codes and the digit come from its 28x28 (read_drawings)."""
import asyncio
import base64
import binascii
import json
import math
import os
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hall import load_shipped, per_process
from hall.rooms import (
    IMAGE_BYTES,
    MEMBER_CHARS,
    STORE_RETRY_S,
    NoSuchRoom,
    NotMember,
    RoomFull,
    TooFast,
    Unreachable,
    WrongKey,
    is_code,
    normalise_code,
    store,
)

PUBLIC_URL = "VAEDEMO_PUBLIC_URL"  # the address phones open the app at (a Space's, a proxy's), when set
MAX_BODY = 4096  # bytes: a drawing's JSON is about 1.2 kB
FRESH_S = 0.5  # a room's answer to polls is computed at most this often while it changes, and kept while it does not
STRIP = 24  # the newest drawings that ?map=1 carries, for the Class page's strip
BATCH_WAIT_S = 0.05  # a posted drawing waits this long for others to be read with it


class Refusal(Exception):
    def __init__(self, status: int, error: str, headers: dict | None = None):
        super().__init__(error)
        self.status, self.error, self.headers = status, error, headers


REFUSALS = {NoSuchRoom: 404, NotMember: 403, WrongKey: 403, RoomFull: 409, TooFast: 429, Unreachable: 503,
            ValueError: 400}  # the first that an error is an instance of


def refusal(error: ValueError) -> Refusal:
    """A store's refusal (hall.rooms.RoomError, or a ValueError of a bad argument) as the API's."""
    status = next(status for kind, status in REFUSALS.items() if isinstance(error, kind))
    retry = {TooFast: lambda: error.retry_after_s, Unreachable: lambda: STORE_RETRY_S}.get(type(error))
    return Refusal(status, str(error), {"Retry-After": str(math.ceil(retry()))} if retry else None)


def answering(handler):
    """The route handler (request, the room's code), with its refusals as JSON {"error"} and their status."""
    async def answer(request: Request):
        try:
            return await handler(request, room_code(request))
        except (Refusal, ValueError) as error:
            refused = error if isinstance(error, Refusal) else refusal(error)
            return JSONResponse({"error": refused.error}, refused.status, refused.headers)

    return answer


def room_code(request: Request) -> str:
    code = normalise_code(request.path_params["code"])
    if not is_code(code):
        raise NoSuchRoom(code)
    return code


def same_site(request: Request) -> bool:
    """Whether a request comes from no page (curl, a script) or from a page of this app: its Origin's host is the
    one it asked (Host, or a proxy's X-Forwarded-Host) or VAEDEMO_PUBLIC_URL's. A page of another site must not post
    into a room from its visitors' browsers."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host"),
             urlsplit(os.environ.get(PUBLIC_URL) or "").netloc}
    return urlsplit(origin).netloc in hosts - {None, ""}


async def body_of(request: Request) -> dict:
    """The request's JSON object (an empty body is {}), once it comes from this app's pages and is small."""
    if not same_site(request):
        raise Refusal(403, "Posts into a room come from this app's own pages, not from another site's.")
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise Refusal(413, f"A room takes bodies of {MAX_BODY} bytes at most.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refusal(413, f"A room takes bodies of {MAX_BODY} bytes at most.")
    try:
        fields = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "The body is not JSON.") from None
    if not isinstance(fields, dict):
        raise Refusal(400, "The body is a JSON object.")
    return fields


def member_of(fields: dict) -> str:
    member = fields.get("member")
    if not isinstance(member, str) or not 0 < len(member) <= MEMBER_CHARS:
        raise Refusal(400, f'"member" is the id that joining the room gave (1 to {MEMBER_CHARS} characters).')
    return member


def image_of(fields: dict) -> bytes:
    try:
        image = base64.b64decode(fields.get("image"), validate=True)
    except (TypeError, ValueError, binascii.Error):
        raise Refusal(400, '"image" is base64 text of the 28×28 grey levels (784 bytes).') from None
    if len(image) != IMAGE_BYTES:
        raise Refusal(400, f'"image" is {IMAGE_BYTES} bytes (28×28 grey, row by row), not {len(image)}.')
    return image


def read_drawings(images: list[bytes]) -> list[tuple[list[float], int]]:
    """Drawings' 28×28 grey levels as the room keeps each: the shipped VAE-2D's posterior mean (the Class page maps
    it) and the digit the shipped CVAE reads, the label of its best ELBO at the posterior mean (one
    decode a label: on the 2,000 test digits it reads 91.4% right, as 16 samples a label do, and agrees with them on
    99.6%, for a seventh of the CPU). Torch and the models load with the first drawing, not with the server: a cold
    start shows its first page first."""
    import torch

    from vaedemo.datasets import checkpoint_path
    from vaedemo.evaluate import label_elbos

    with torch.inference_mode():
        grey = torch.frombuffer(bytearray(b"".join(images)), dtype=torch.uint8)
        x = grey.float().div(255).view(len(images), 1, 28, 28)
        vae, cvae = (load_shipped(checkpoint_path(kind, 2, "mnist")) for kind in ("vae", "cvae"))
        codes = vae.encode(x)[0]  # (N, 2)
        digits = label_elbos(cvae, x, torch.zeros(1, len(images), 2)).argmax(1)  # (N,)
    return list(zip(codes.tolist(), digits.tolist()))


def keep_drawings(posts: list[tuple[str, str, bytes]]) -> list[dict | Exception]:
    """Posts (room code, member, image), read together (read_drawings) and each kept in its room: for each, the room's
    counts after it, or the store's refusal of it."""
    kept = []
    for (code, member, image), reading in zip(posts, read_drawings([image for _, _, image in posts])):
        try:
            store().add_drawing(code, member, image, *reading)
            drawings, students = store().counts(code)
            kept.append({"drawings": drawings, "students": students})
        except ValueError as refused:
            kept.append(refused)
    return kept


class Keeper:
    """Keeps the posted drawings in batches, one batch at a time, on a worker thread: a batch is the drawings that
    came within BATCH_WAIT_S of its first one, and those that come while it is read and kept. A hall's hundred
    drawings a second go in batches of a few, read at 0.3-0.5 ms of CPU each where one at a time costs 1.6 ms
    (torch's fixed cost per operation is most of a lone drawing's), for BATCH_WAIT_S more on each post's answer."""

    def __init__(self):
        self.waiting: list[tuple[tuple[str, str, bytes], asyncio.Future]] = []
        self.keeping = False

    async def keep(self, code: str, member: str, image: bytes) -> dict:
        """The room's counts once the drawing is kept; raises the store's refusal."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(((code, member, image), future))
        if not self.keeping:
            self.keeping = True
            asyncio.create_task(self.keep_waiting())
        return await future

    async def keep_waiting(self):
        try:
            await asyncio.sleep(BATCH_WAIT_S)
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    outcomes = await run_in_threadpool(keep_drawings, [post for post, _ in batch])
                except Exception as error:  # each post answers it (a 500); the next batch goes all the same
                    outcomes = [error] * len(batch)
                for (_, future), outcome in zip(batch, outcomes):
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self.keeping = False


@per_process
def keeper() -> Keeper:
    return Keeper()


@answering
async def join(request: Request, code: str):
    await body_of(request)
    return JSONResponse({"member": await run_in_threadpool(lambda: store().join(code))}, 201)


@answering
async def draw(request: Request, code: str):
    fields = await body_of(request)
    member, image = member_of(fields), image_of(fields)
    return JSONResponse(await keeper().keep(code, member, image), 202)


@dataclass
class Polled:
    """A room as polls see it: its version, when it was read (time.monotonic()), and the JSON without and with the
    map, encoded once for every poll that gets it."""
    version: int
    at: float
    plain: bytes
    with_map: bytes


@per_process
def polled() -> dict[str, Polled]:
    """The latest answer to polls of each room, by code."""
    return {}


def room_now(code: str) -> Polled:
    """The room as polls see it: kept while the room has not changed, read again when it has (at most every FRESH_S:
    a hall's drawings change it a hundred times a second)."""
    version = store().version(code)
    kept = polled().get(code)
    if kept and kept.version == version:
        kept.at = time.monotonic()
        return kept
    room = store().room(code)
    if room is None:
        raise NoSuchRoom(code)
    drawings, students = store().counts(code)
    latest = store().drawings(code, latest_only=True)
    digits = [0] * 10
    for drawing in latest:
        digits[drawing.digit] += 1
    plain = {"drawings": drawings, "students": students, "joined": store().joined(code), "digits": digits,
             "view": room.view, "experiment": room.experiment, "version": version,
             "answers": store().answers(code), "model": room.model}
    with_map = plain | {
        "points": [[round(d.vae[0], 3), round(d.vae[1], 3), d.digit] for d in latest],
        "latest": [{"image": base64.b64encode(d.image).decode(), "digit": d.digit}
                   for d in store().drawings(code, newest=STRIP)]}
    answer = polled()[code] = Polled(version, time.monotonic(), *(json.dumps(a).encode() for a in (plain, with_map)))
    return answer


@answering
async def room(request: Request, code: str):
    answer = polled().get(code)
    if answer is None or time.monotonic() - answer.at >= FRESH_S:  # else a poll costs no store read, no thread
        answer = await run_in_threadpool(room_now, code)
    return Response(answer.with_map if request.query_params.get("map") else answer.plain,
                    media_type="application/json", headers={"Cache-Control": "no-store"})


def step_and_choice(fields: dict, choices: tuple[int, ...]) -> tuple[int, int]:
    """An answer's step of the lesson (1 to its number of steps) and choice (0 to that step's choices less one), for a
    lesson whose steps offer these numbers of choices."""
    step, choice = fields.get("step"), fields.get("choice")
    steps = len(choices)
    if type(step) is not int or not 1 <= step <= steps:
        raise Refusal(400, f'"step" is the lesson\'s step, a whole number from 1 to {steps}.')
    offered = choices[step - 1]
    if type(choice) is not int or not 0 <= choice < offered:
        raise Refusal(400, f'"choice" is one of the {offered} choices of step {step}, a whole number from 0 to '
                           f"{offered - 1}.")
    return step, choice


def routes(choices: tuple[int, ...]) -> list[Route]:
    """The room API's routes, for a lesson whose steps offer these numbers of choices (the app's lesson: app.py gives
    webapp.questions.offered())."""
    @answering
    async def answer_question(request: Request, code: str):
        fields = await body_of(request)
        member, (step, choice) = member_of(fields), step_and_choice(fields, choices)
        await run_in_threadpool(store().answer, code, member, step, choice)
        return JSONResponse({"step": step, "choice": choice}, 202)

    return [
        Route("/api/rooms/{code}/members", join, methods=["POST"]),
        Route("/api/rooms/{code}/drawings", draw, methods=["POST"]),
        Route("/api/rooms/{code}/answers", answer_question, methods=["POST"]),
        Route("/api/rooms/{code}", room, methods=["GET"]),
    ]
