"""A lecture hall on one app process, as `make run` starts it: N students in one room post drawings through the room
API, N - 1 of them simulated phones and one a student drawing in Chromium.

Each simulated phone (tests/harness/hall.py: a keep-alive HTTP connection from asyncio, so that a thousand of them
cost this machine little and the figures are the server's) joins the room through the API (POST .../members), then
for --seconds posts a drawing every --every seconds or so (POST .../drawings, a digit drawn by a hand of its own) and
polls the room every 2.5 s as a member's page does for the lecturer's view (GET /api/rooms/CODE). Beside them, in
Chromium, the lecturer's Class page (1920x1080, lecture mode) follows the room, and one student draws on the Draw page
with the mouse, its pad posting each drawing as every phone's does.

Per row: post latency (request written -> answer read) median / p95 / max, errors (any answer but 202, and failed
requests), the server's CPU per post (all the server's CPU in the minute, its polls and pages included, over the
posts), how soon after the last post the Class page showed the final count, the server's peak resident memory. First,
the server's CPU per post with one phone at a time (nothing else running). Targets (issue "A hall of 500 on one
process"): p95 <= 300 ms, 0 errors, <= 3 ms of server CPU a post, the Class page current within 2 s.
Run: make bench, or python -m benchmarks.lecture_hall [--students 500 1000 2000] [--rooms sqlite redis].
"""
import argparse
import asyncio
import contextlib
import random
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

from hall.rooms import FLOOD_WINDOW_S, open_store
from tests.harness.browser import CHROMIUM_FLAGS, chromium_path
from tests.harness.classroom import open_class_page, open_student
from tests.harness.hall import IMAGES, POLL_S, Phone, digit_grey, hall
from tests.harness.server import app_pids, free_port, start_app, stop_app
from tests.harness.services import redis_server
from tests.harness.strokes import draw_digit

CLOCK_TICKS = 100  # /proc/<pid>/stat counts CPU time in 1/100 s
TARGETS = {"p95_ms": 300, "cpu_ms": 3.0, "class_s": 2.0}


def server_cpu_s(pids: list[int]) -> float:
    """The CPU seconds the app processes have used so far, all together."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def peak_rss_mb(pids: list[int]) -> float:
    return sum(int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
               for pid in pids) / 1024


def until(end: float):
    """going() for a hall that ends at end (time.monotonic())."""
    return lambda: time.monotonic() < end


def image(n: int, hand: random.Random) -> str:
    """The first 50 phones draw each digit by a hand of their own, the others send one of ten steady digits."""
    return digit_grey(hand.randrange(10), hand) if n < 50 else IMAGES[hand.randrange(10)]


# The Class page's count, with the time of each change (Date.now(), ms), as the page shows it.
COUNT_CHANGES = """() => {
  const counts = [...document.querySelectorAll("[data-testid=stBidiComponentIsolated]")]
    .map((host) => host.shadowRoot && host.shadowRoot.querySelector(".counts")).find(Boolean);
  window.countChanges = [[Date.now(), counts.textContent]];
  new MutationObserver(() => window.countChanges.push([Date.now(), counts.textContent]))
    .observe(counts, { childList: true, subtree: true, characterData: true });
}"""


def in_chromium(url: str, code: str, seconds: float, every: float, results: dict, ready: threading.Event,
                done: threading.Event):
    """The lecturer's Class page and one student drawing with the mouse, in Chromium, on a thread of their own (the
    sync API's); when done is set, when the Class page first showed results["final"] drawings (the page notes the
    time of every change of its count)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            lecturer, projector, _ = open_class_page(browser, url, f"?room={code}&lecture=1")
            projector.locator(".counts").wait_for(state="attached")
            projector.evaluate(COUNT_CHANGES)
            context, student = open_student(browser, f"{url}/?room={code}")
            ready.set()
            end, digit = time.monotonic() + seconds - every, 0  # done before the phones' last drawings
            while time.monotonic() < end and not done.is_set():
                draw_digit(student, digit % 10)
                digit += 1
                student.wait_for_timeout(1000 * every)
            refused = student.locator(".refused").inner_text()
            if refused:
                results["errors"].append(f"the browser student's pad: {refused}")
            results["browser_drawings"] = digit
            done.wait()
            counts = f"{results['final']} drawings from"
            projector.get_by_text(counts).wait_for(timeout=60_000)
            shown = projector.evaluate("window.countChanges")
            first = next(at for at, text in shown if text.startswith(counts))
            results["class_s"] = first / 1000 - results["last_post"]
            context.close()
            lecturer.close()
        except Exception as error:
            results["errors"].append(f"Chromium: {type(error).__name__}: {error}")
            ready.set()
        finally:
            browser.close()


async def cost_alone(url: str, code: str, pids: list[int], posts: int = 200) -> float:
    """Server CPU ms of one post, one phone at a time (40 phones, 5 posts each, under the flood cap), nothing else."""
    phones = [Phone(url) for _ in range(posts // 5)]
    for device in phones:
        await device.join(code)
    await phones[0].draw(code, IMAGES[0])  # the models load with the first drawing
    cpu = server_cpu_s(pids)
    for k in range(posts):
        status, answer = await phones[k % len(phones)].draw(code, IMAGES[k % 10])
        if status != 202:
            raise RuntimeError(f"a post failed alone: {status} {answer}")
    per_post = (server_cpu_s(pids) - cpu) / posts
    for device in phones:
        await device.close()
    return 1000 * per_post


def percentile(values: list, q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


HEADER = (f"{'students':>8} | {'posts':>6} {'median':>7} {'p95':>7} {'max':>7} | {'errors':>6} | "
          f"{'server CPU a post':>17} | {'Class page current':>18} | {'peak RSS':>8} | target met")


def row(students: int, r: dict, cpu_s: float, pids: list[int]) -> str:
    ms = [1000 * s for _, s in r["posts"]]
    cpu_ms = 1000 * cpu_s / max(len(ms), 1)
    class_s = r.get("class_s", float("inf"))
    met = (percentile(ms, 0.95) <= TARGETS["p95_ms"] and not r["errors"] and cpu_ms <= TARGETS["cpu_ms"]
           and class_s <= TARGETS["class_s"])
    median, p95, most = statistics.median(ms) if ms else 0, percentile(ms, 0.95), max(ms, default=0)
    return (f"{students:>8} | {len(ms):>6} {median:>4.0f} ms {p95:>4.0f} ms {most:>4.0f} ms | "
            f"{len(r['errors']):>6} | {cpu_ms:>14.2f} ms | {class_s:>16.1f} s | "
            f"{peak_rss_mb(pids):>5.0f} MB | {'yes' if met else 'no'}")


def lecture(args, store: str, processes: int):
    with contextlib.ExitStack() as stack:
        if store == "redis":
            rooms = stack.enter_context(redis_server())
        else:
            rooms = str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "rooms.sqlite3")
        port = free_port()
        server = start_app(port, {"VAEDEMO_ROOMS": rooms}, processes=processes)
        stack.callback(stop_app, server)
        pids, url = app_pids(server), f"http://127.0.0.1:{port}"
        code, _ = open_store(rooms).create_room()
        alone = asyncio.run(cost_alone(url, code, pids))
        print(f"Rooms on {store}, {processes} app process{'es' if processes > 1 else ''}: server CPU a post, one phone "
              f"at a time: {alone:.2f} ms (mean of 200). Each phone posts every ~{args.every:g} s for "
              f"{args.seconds:g} s and polls the room every {POLL_S:g} s; the Class page and one student in Chromium.",
              flush=True)
        print(HEADER)
        for students in args.students:
            code, _ = open_store(rooms).create_room()
            chromium = {"errors": [], "last_post": 0.0}
            ready, done = threading.Event(), threading.Event()
            browsers = threading.Thread(target=in_chromium, args=(url, code, args.seconds, args.every, chromium,
                                                                  ready, done))
            browsers.start()
            ready.wait(300)
            cpu = server_cpu_s(pids)
            r = asyncio.run(hall(url, code, students - 1, args.every, until(time.monotonic() + args.seconds), image))
            # (and the one student in Chromium)
            cpu_s = server_cpu_s(pids) - cpu
            chromium["final"], _ = open_store(rooms).counts(code)
            chromium["last_post"] = max((sent + seconds for sent, seconds in r["posts"]), default=0.0)
            done.set()
            browsers.join()
            r["errors"] += chromium["errors"]
            r["class_s"] = chromium.get("class_s", float("inf"))
            print(row(students, r, cpu_s, pids) + f"  ({r['polls']} polls; the browser student drew "
                  f"{chromium.get('browser_drawings', 0)})", flush=True)
            for error in sorted(set(r["errors"]))[:3]:
                print(f"{'':>8}   error: {error[:160]}")
            time.sleep(FLOOD_WINDOW_S)  # the server settles before the next row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the phones draw")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a phone's drawings, about")
    parser.add_argument("--rooms", nargs="*", choices=["sqlite", "redis"], default=["sqlite"])
    parser.add_argument("--processes", type=int, nargs="+", default=[1],
                        help="app processes (VAEDEMO_PROCESSES, webapp/serve.py); 1 is `make run`")
    args = parser.parse_args()
    for store in args.rooms:
        for processes in args.processes:
            lecture(args, store, processes)


if __name__ == "__main__":
    main()
