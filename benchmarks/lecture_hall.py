"""A lecture hall on one server: N students in one room draw on the Draw page, with no browser at all.

Outside a room a stroke costs the server nothing (the browser answers it: components/answer.js); in a room each
drawing still goes to the room through the server, and that is what this measures. Each simulated student speaks
Streamlit's own websocket protocol, as the browser does (so a student costs this machine almost nothing and the
figures are the server's): it fetches the XSRF cookie from /_stcore/health, opens ws://HOST/_stcore/stream, asks for
the page (a BackMsg.rerun_script with only context_info), then sends strokes as a room member's browser sends them: a
rerun_script of the canvas fragment with the page's widget states echoed and the canvas's state the 28x28 digit
(tests/harness/protocol.py). It reports the hashes of the cacheable messages it holds, as a browser does, and
resolves the references the server sends in their place.

Students arrive evenly spread over --arrival seconds, each draws --strokes strokes 1-3 s apart, in one room whose
Class page is open in one more client that polls it as a browser does; the room on the default SQLite store and on a
Redis server the benchmark starts, served by one app process and by two behind HAProxy (--processes,
webapp/serve.py). The figures add how long after its stroke a drawing is counted on the Class page.

Per sweep point: stroke latency (rerun_script sent -> script_finished of that run) median / p95 / max, page
load (websocket opened -> script_finished of the first run) p95, errors (exceptions, error alerts, runs that did
not finish, timeouts, dropped connections), the server's CPU seconds and peak resident memory.
Run: make bench, or python -m benchmarks.lecture_hall [--room-students 25 100] [--rooms sqlite redis].
"""
import argparse
import asyncio
import contextlib
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from tests.harness.protocol import COUNTS, DRAWINGS, Session, press
from tests.harness.server import app_pids, free_port, start_app, stop_app
from tests.harness.services import redis_server
from vaedemo.rooms import open_store

ROOM_STROKE_GAP_S = 0.55  # a room takes 20 drawings every 10 s from a student
CLOCK_TICKS = 100  # /proc/<pid>/stat counts CPU time in 1/100 s


async def student(url: str, delay: float, strokes: int, results: dict, rng: random.Random, query: str = ""):
    await asyncio.sleep(delay)
    session = Session(url, query)
    try:
        start = time.monotonic()
        await session.connect()
        await session.rerun()
        results["page_loads"].append(time.monotonic() - start)
        for _ in range(strokes):
            await session.wait(rng.uniform(1, 3), "Draw")  # its page polls the room for the lecturer's view
            start = time.monotonic()
            await session.stroke(rng.choice(DRAWINGS))
            results["strokes"].append(time.monotonic() - start)
            results["answered_at"].append(time.monotonic())
        await session.close()
    except Exception as error:  # counted and reported, the sweep goes on
        session.errors.append(f"{type(error).__name__}: {error}")
    results["errors"].extend(session.errors)


async def trainer(url: str, results: dict, done: asyncio.Event):
    """A visitor on the Train page who presses Start (the page's defaults) and keeps the tab open, its fragments
    polling the run as a browser does; when a run ends before the students are done, Start again."""
    session = Session(url)
    await session.connect()
    await session.rerun()
    await session.rerun(session.pages["Train"])
    runs = 0
    while not done.is_set():
        await press(session, "Start")
        runs += 1
        while not done.is_set() and session.polls:  # the page stops polling once the run has ended
            await session.wait(0.1, "Train")
    await press(session, "Stop")  # frees the server's one training slot for the next sweep point
    speeds = [float(m.group(1).replace(",", "")) for text in session.progress_texts
              if (m := re.search(r"([\d,]+) images/s", text))]
    results["images_per_s"] = statistics.median(speeds) if speeds else None
    results["training_runs"] = runs
    results["errors"].extend(session.errors)
    await session.close()


def server_cpu_s(pids: list[int]) -> float:
    """The CPU seconds the app processes have used so far, all together."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def peak_rss_mb(pids: list[int]) -> float:
    """The app processes' peak resident memory, added up."""
    return sum(int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
               for pid in pids) / 1024


async def projector(url: str, query: str, results: dict, done: asyncio.Event):
    """The lecturer's Class page, polled as a browser polls it; records when each count of drawings first showed."""
    session = Session(url, query)
    await session.connect()
    await session.rerun()
    await session.rerun(session.pages["Class"])
    while not done.is_set():
        await session.wait(0.5, "Class")
    await session.wait(3, "Class")  # the last strokes' drawings
    counted = [(at, int(m.group(1))) for at, text in session.texts if (m := COUNTS.search(text))]
    results["counted"] = counted
    results["errors"].extend(session.errors)
    await session.close()



def shown_after(answered: list[float], counted: list[tuple[float, int]]) -> list[float]:
    """For the k-th stroke answered, how long after it the Class page first counted k drawings (s)."""
    shown = []
    for k, at in enumerate(sorted(answered), start=1):
        first = next((when for when, count in counted if count >= k), None)
        shown.append(float("inf") if first is None else max(0.0, first - at))
    return shown


async def sweep_point(url: str, pids: list[int], students: int, strokes: int, arrival: float, training: bool,
                      room: tuple[str, str] | None = None) -> dict:
    """One sweep point; room: (code, key) of a room the students join and whose Class page is open."""
    results = {"page_loads": [], "strokes": [], "answered_at": [], "errors": [], "images_per_s": None, "counted": []}
    rng = random.Random(students)
    cpu = server_cpu_s(pids)
    start = time.monotonic()
    done = asyncio.Event()
    train_task = asyncio.create_task(trainer(url, results, done)) if training else None
    class_task = asyncio.create_task(projector(url, f"room={room[0]}&key={room[1]}", results, done)) if room else None
    query = f"room={room[0]}" if room else ""
    await asyncio.gather(*(student(url, arrival * i / students, strokes, results, random.Random(rng.random()), query)
                           for i in range(students)))
    done.set()
    for task in (train_task, class_task):
        if task:
            await task
    results["wall_s"] = time.monotonic() - start
    results["cpu_s"] = server_cpu_s(pids) - cpu
    return results


async def cost_alone(url: str, pids: list[int], strokes: int = 200, query: str = "") -> tuple[float, float]:
    """Server CPU ms of one page load (a new session) and of one stroke, one student alone on the server (query: the
    address bar's, say a room to join)."""
    loads = []
    for _ in range(10):
        cpu, session = server_cpu_s(pids), Session(url, query)
        await session.connect()
        await session.rerun()
        await session.close()
        loads.append(server_cpu_s(pids) - cpu)
    session = Session(url, query)
    await session.connect()
    await session.rerun()
    cpu = server_cpu_s(pids)
    for stroke in range(strokes):
        await session.stroke(DRAWINGS[stroke % len(DRAWINGS)])
        if query:
            await asyncio.sleep(ROOM_STROKE_GAP_S)  # under the room's flood cap, so that every stroke is posted
    per_stroke = (server_cpu_s(pids) - cpu) / strokes
    await session.close()
    if session.errors:
        raise RuntimeError(f"the Draw page failed: {session.errors[0]}")
    return 1000 * statistics.median(loads), 1000 * per_stroke


def percentile(values: list, q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def row(students: int, label: str, r: dict, pids: list[int]) -> str:
    ms = [1000 * s for s in r["strokes"]]
    speed = f"{r['images_per_s']:,.0f}" if r["images_per_s"] else "-"
    return (f"{students:>8} {label:>8} | {statistics.median(ms) if ms else 0:>10.0f} ms "
            f"{percentile(ms, 0.95):>4.0f} ms {max(ms, default=0):>4.0f} ms | "
            f"{1000 * percentile(r['page_loads'], 0.95):>10.0f} ms | {len(r['errors']):>6} | "
            f"{r['cpu_s']:>5.1f} s of {r['wall_s']:>4.0f} s {peak_rss_mb(pids):>5.0f} MB | {speed:>14}")


HEADER = (f"{'students':>8} {'training':>8} | {'stroke median':>13} {'p95':>7} {'max':>7} | {'page load p95':>13} | "
          f"{'errors':>6} | {'server CPU':>17} {'peak RSS':>8} | {'train images/s':>14}")


def errors(r: dict):
    for error in sorted(set(r["errors"]))[:3]:
        print(f"{'':>8} error: {error[:160]}")


def classroom(args, store: str, processes: int):
    """The same students in one room, its Class page open, on a SQLite file or a Redis server, served by this many
    app processes (more than one: behind HAProxy, as webapp/serve.py starts them)."""
    with contextlib.ExitStack() as stack:
        if store == "redis":
            rooms = stack.enter_context(redis_server())
        else:
            rooms = str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "rooms.sqlite3")
        port = free_port()
        server = start_app(port, {"VAEDEMO_ROOMS": rooms}, processes=processes)
        stack.callback(stop_app, server)
        pids = app_pids(server)
        url = f"http://127.0.0.1:{port}"
        code, key = open_store(rooms).create_room()
        strokes = 40
        _, room_ms = asyncio.run(cost_alone(url, pids, strokes, f"room={code}"))
        print(f"Rooms on {store}, {processes} app process{'es' if processes > 1 else ''}: server CPU a stroke in a "
              f"room, one student alone, {room_ms:.1f} ms (mean of {strokes})", flush=True)
        print(HEADER + f" | {'on the Class page after the stroke: p95':>40} {'max':>7}")
        for students in args.room_students:
            code, key = open_store(rooms).create_room()
            r = asyncio.run(sweep_point(url, pids, students, args.strokes, args.arrival, False, (code, key)))
            shown = shown_after(r["answered_at"], r["counted"])
            print(row(students, "no", r, pids) +
                  f" | {percentile(shown, 0.95):>38.1f} s {max(shown, default=0):>5.1f} s", flush=True)
            errors(r)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strokes", type=int, default=5)
    parser.add_argument("--arrival", type=float, default=30.0, help="seconds over which the students arrive")
    parser.add_argument("--rooms", nargs="*", choices=["sqlite", "redis"], default=["sqlite", "redis"],
                        help="the room's store: the students in one room with its Class page open, on each")
    parser.add_argument("--room-students", type=int, nargs="+", default=[100])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2],
                        help="app processes serving the rooms (VAEDEMO_PROCESSES, webapp/serve.py)")
    args = parser.parse_args()
    for store in args.rooms:
        for processes in args.processes:
            classroom(args, store, processes)


if __name__ == "__main__":
    main()
