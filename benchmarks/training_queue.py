"""A hall that trains: 100 visitors press Start on the Train page (its default, the class run) within 10 s while 50
students in a room draw, on one server: the visitors are protocol clients (tests/harness/protocol.py), the drawers
phones posting each drawing to the room API (tests/harness/hall.py; a stroke outside a room costs the server nothing,
the browser answers it). Target: every visitor has its model within 3 minutes of the first press, the models come in
the order the visitors pressed, the drawers' post p95 stays under 1 s, no errors. Swept over the number of warm
trainer processes (VAEDEMO_TRAINERS), to choose it for two cores.

First, in this process, what a run costs the queue: the first run of a new trainer (it starts the process, imports
torch and loads the data, as every run did before the trainers stayed warm) side by side with the runs after it.
Swept also over the app processes (VAEDEMO_PROCESSES, behind HAProxy): they share one line (a SQLite file), each
with its own trainers. Prints the CPU the app processes, the trainers and the clients used.
Each row also says how long the visitors waited for their run to start against the estimate their page first showed.
Run: make bench, or python -m benchmarks.training_queue [--visitors 100] [--drawers 50] [--trainers 1 2]
[--processes 1 2].
"""
import argparse
import asyncio
import itertools
import random
import re
import resource
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.lecture_hall import server_cpu_s
from hall.line import Job, TrainingQueue
from hall.rooms import open_store
from tests.harness.hall import IMAGES, Phone
from tests.harness.protocol import Session, press
from tests.harness.server import app_pids, free_port, start_app, stop_app
from tests.harness.training import finished
from vaedemo.train import CLASS_RUN, TrainConfig

USE_MINE = "Use my model on every page"  # the Train page's button once a run has its model
ESTIMATE = re.compile(r"starting in about (\d+) s")  # a waiting run's place, as the Train page shows it
TIMEOUT_S = 600
TARGET_S, TARGET_P95_MS = 180, 1000  # every model within 3 minutes of the first press; the drawers' post p95


def run_costs(warm_runs: int = 3) -> tuple[float, list[float]]:
    """Seconds from Start to model of a new trainer's first run, and of the warm runs after it (one trainer)."""
    line = TrainingQueue(1)
    seconds = []
    for seed in range(1 + warm_runs):
        start = time.monotonic()
        progress = finished(Job(TrainConfig(**CLASS_RUN, seed=seed), line=line).start())
        assert progress.status == "done", progress.message
        seconds.append(time.monotonic() - start)
    line.close()
    return seconds[0], seconds[1:]


async def visitor(url: str, delay: float, results: dict):
    """Open the Train page, press Start after delay, keep the tab open (its fragments polling) until the model.
    Also notes the first estimate of its start the page showed, and when the page first showed it training."""
    session = Session(url)
    try:
        await session.connect()
        await session.rerun()
        await session.rerun(session.pages["Train"])
        await asyncio.sleep(delay)
        pressed = time.monotonic()
        await press(session, "Start")
        told, trained = None, None  # (when, estimated seconds to its start); when it was first seen training
        while USE_MINE not in session.buttons and time.monotonic() - pressed < TIMEOUT_S:
            await session.wait(0.25, "Train")
            told = told or next(((at, int(m[1])) for at, text in session.texts
                                 if at >= pressed and (m := ESTIMATE.search(text))), None)
            trained = trained or (time.monotonic() if session.progress_texts else None)
        if told and trained:
            results["estimates"].append((told[1], trained - told[0]))
        if USE_MINE in session.buttons:
            results["runs"].append((pressed, time.monotonic()))
        else:
            session.errors.append(f"no model {TIMEOUT_S} s after Start")
        await session.close()
    except Exception as error:  # counted and reported
        session.errors.append(f"{type(error).__name__}: {error}")
    results["errors"].extend(session.errors)


async def drawer(url: str, code: str, results: dict, done: asyncio.Event, rng: random.Random):
    """A student in the room, a drawing posted every 1-3 s until the visitors have their models (the room's flood rule
    allows 20 in 10 s)."""
    phone = Phone(url)
    try:
        await phone.join(code)
        while not done.is_set():
            await asyncio.sleep(rng.uniform(1, 3))
            start = time.monotonic()
            status, answer = await phone.draw(code, rng.choice(IMAGES))
            results["posts"].append(time.monotonic() - start)
            if status != 202:
                results["errors"].append(f"{status}: {answer}")
    except Exception as error:  # counted and reported
        results["errors"].append(f"{type(error).__name__}: {error}")
    await phone.close()


async def hall(url: str, code: str, visitors: int, drawers: int, within_s: float) -> dict:
    results = {"runs": [], "posts": [], "errors": [], "estimates": []}
    rng = random.Random(0)
    done = asyncio.Event()
    drawing = [asyncio.create_task(drawer(url, code, results, done, random.Random(rng.random())))
               for _ in range(drawers)]
    await asyncio.sleep(3)  # the drawers are in
    await asyncio.gather(*(visitor(url, within_s * i / visitors, results) for i in range(visitors)))
    done.set()
    await asyncio.gather(*drawing)
    return results


def out_of_order(runs: list[tuple[float, float]]) -> int:
    """Of (when asked, when done) pairs, how many were done before one asked earlier: models that came back before
    the model of someone who pressed earlier, or runs a trainer took before one asked earlier."""
    ends = [end for _, end in sorted(runs)]
    return sum(later < end for i, end in enumerate(ends) for later in ends[i + 1:])


def started_out_of_order(line: Path) -> int:
    """How many runs a trainer took before a run asked for earlier, by the line's own file (hall/line.py): its
    tickets in the order asked, with when each was taken."""
    with sqlite3.connect(line) as db:
        return out_of_order(db.execute("SELECT ticket, started FROM runs WHERE started IS NOT NULL").fetchall())


def children(pid: int) -> list[int]:
    """A process's children, each with its own children, and so on."""
    found = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
             for child in (task / "children").read_text().split()]
    return found + [grandchild for child in found for grandchild in children(child)]


def cpu_s(apps: list[int]) -> tuple[float, float, float]:
    """CPU seconds used so far by the app processes, by their trainers, and by this process's clients."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return server_cpu_s(apps), server_cpu_s([pid for app in apps for pid in children(app)]), me.ru_utime + me.ru_stime


def percentile(values: list, q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--drawers", type=int, default=50)
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which the visitors press Start")
    parser.add_argument("--trainers", type=int, nargs="+", default=[1, 2], help="warm trainers per app process")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2],
                        help="app processes (VAEDEMO_PROCESSES, webapp/serve.py): one line, each with its own trainers")
    args = parser.parse_args()
    first, warm = run_costs()
    print(f"A class run from Start to model, one trainer: {first:.1f} s for a new trainer's first run (process, torch, "
          f"data), {statistics.median(warm):.1f} s for a warm trainer's (median of {len(warm)})", flush=True)
    print(f"{'processes':>9} {'trainers':>8} | {'first model':>11} {'last model':>10} {'median wait':>11} "
          f"{'out of order':>12} | {'post median':>11} {'p95':>7} {'max':>7} | {'errors':>6}")
    for processes, trainers in itertools.product(args.processes, args.trainers):
        port = free_port()
        files = Path(tempfile.mkdtemp())
        line, rooms = files / "training.sqlite3", str(files / "rooms.sqlite3")  # the line's file is read after the hall
        server = start_app(port, {"VAEDEMO_TRAINERS": str(trainers), "VAEDEMO_TRAINING": str(line),
                                  "VAEDEMO_ROOMS": rooms}, processes=processes)
        try:
            apps = app_pids(server)
            code, _ = open_store(rooms).create_room()
            cpu, start = cpu_s(apps), time.monotonic()
            r = asyncio.run(hall(f"http://127.0.0.1:{port}", code, args.visitors, args.drawers, args.within))
            used, wall = [after - before for before, after in zip(cpu, cpu_s(apps))], time.monotonic() - start
        finally:
            stop_app(server)
        first_press = min((pressed for pressed, _ in r["runs"]), default=0)
        ends = [end - first_press for _, end in r["runs"]]
        waits = [end - pressed for pressed, end in r["runs"]]
        ms = [1000 * s for s in r["posts"]]
        print(f"{processes:>9} {trainers:>8} | {min(ends, default=0):>9.0f} s {max(ends, default=0):>8.0f} s "
              f"{statistics.median(waits) if waits else 0:>9.0f} s {out_of_order(r['runs']):>12} | "
              f"{statistics.median(ms) if ms else 0:>8.0f} ms {percentile(ms, 0.95):>4.0f} ms "
              f"{max(ms, default=0):>4.0f} ms | {len(r['errors']):>6}  ({len(r['runs'])} of {args.visitors} models)",
              flush=True)
        print(f"{'':>8}   CPU in {wall:.0f} s: app processes {used[0]:.0f} s ({len(ms)} posts, "
              f"{1000 * used[0] / max(len(ms), 1):.0f} ms a post with the visitors' share), trainers {used[1]:.0f} s "
              f"({used[1] / max(len(r['runs']), 1):.2f} s a run), the clients {used[2]:.0f} s", flush=True)
        ratios = sorted(waited / max(estimate, 1) for estimate, waited in r["estimates"] if waited >= 10)
        if ratios:
            print(f"{'':>8}   the start as each page was first told it: the wait was {statistics.median(ratios):.2f}x "
                  f"the estimate (median of {len(ratios)} waits of 10 s or more; 10th-90th percentile "
                  f"{percentile(ratios, 0.1):.2f}-{percentile(ratios, 0.9):.2f}x)", flush=True)
        started = started_out_of_order(line)
        print(f"{'':>8}   runs that a trainer took before one asked earlier (the line's file): {started}", flush=True)
        for error in sorted(set(r["errors"]))[:3]:
            print(f"{'':>8}   error: {error[:160]}")
        met = (len(ends) == args.visitors and max(ends) <= TARGET_S and started == 0
               and percentile(ms, 0.95) <= TARGET_P95_MS and not r["errors"])
        print(f"{'':>8}   the target (every model within {TARGET_S} s, in the order pressed, post p95 within "
              f"{TARGET_P95_MS} ms, no errors): {'met' if met else 'NOT met'}", flush=True)


if __name__ == "__main__":
    main()
