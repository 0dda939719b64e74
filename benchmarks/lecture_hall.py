"""A lecture hall on one server: N students open the Draw page and draw, with no browser at all.

Each simulated student speaks Streamlit's own websocket protocol, as the browser does (so a student costs this
machine almost nothing and the figures are the server's): it fetches the XSRF cookie from /_stcore/health, opens
ws://HOST/_stcore/stream, asks for the page (a BackMsg.rerun_script with only context_info), then sends strokes
as the browser sends them: a rerun_script of the canvas fragment with the page's widget states echoed and the
canvas's state a PNG of a digit drawn the way tests/strokes.py draws it. It reports the hashes of the cacheable
messages it holds, as a browser does, and resolves the references the server sends in their place.

Students arrive evenly spread over --arrival seconds, each draws --strokes strokes 1-3 s apart. Optionally one
more client opens the Train page, presses Start (the page's defaults) and polls it as a browser tab does, so the
training runs in its niced child process the way a visitor starts one.

Per sweep point: stroke latency (rerun_script sent -> script_finished of that run) median / p95 / max, page
load (websocket opened -> script_finished of the first run) p95, errors (exceptions, error alerts, runs that did
not finish, timeouts, dropped connections), the server's CPU seconds and peak resident memory, and the
training's images/s. Run: make bench, or python benchmarks/lecture_hall.py [--students 10 25 50 100 200].
"""
import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import websockets
from PIL import Image, ImageDraw
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from conftest import free_port, start_app, stop_app  # noqa: E402
from strokes import DIGITS  # noqa: E402

from vaedemo.viz import png_data_uri  # noqa: E402

CANVAS, STROKE = 280, 24  # as views/draw.py draws its canvas
PICTURES_PER_STROKE = 5  # the input, the AE's and the VAE's reconstructions, and the two latent maps
TIMEOUT_S = 120  # an answer that has not come by then counts as an error
CLOCK_TICKS = 100  # /proc/<pid>/stat counts CPU time in 1/100 s


def digit_png(digit: int) -> str:
    """The canvas's state after drawing the digit: white ink on black, as a PNG data URI (canvas.py sends this)."""
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 255))
    pen = ImageDraw.Draw(image)
    for points in DIGITS[digit]:
        at = [(x * CANVAS, y * CANVAS) for x, y in points]
        pen.line(at, fill=(255, 255, 255, 255), width=STROKE, joint="curve")
        for x, y in (at[0], at[-1]):
            pen.ellipse((x - STROKE / 2, y - STROKE / 2, x + STROKE / 2, y + STROKE / 2), fill=(255, 255, 255, 255))
    return png_data_uri(image)


DRAWINGS = [json.dumps({"drawing": digit_png(digit)}) for digit in DIGITS]


class Session:
    """One browser tab's conversation with the server."""

    def __init__(self, url: str):
        self.url = url
        self.widgets = {}  # widget id -> a WidgetState as the browser would echo it
        self.cache = {}  # hash -> cacheable ForwardMsg already received
        self.pages = {}  # page name -> page_script_hash
        self.fragment = ""  # the fragment the canvas lives in
        self.buttons = {}  # label -> widget id
        self.progress_texts = []
        self.polls = {}  # fragment id -> seconds between its reruns, for each fragment that polls (run_every)
        self.errors = []
        self.pictures = 0  # pictures received so far

    async def connect(self):
        xsrf = await asyncio.to_thread(self.xsrf_cookie)
        host = self.url.removeprefix("http://")
        self.ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit", *xsrf],
                                           additional_headers={"Cookie": f"_streamlit_xsrf={xsrf[0]}"} if xsrf else {},
                                           max_size=None, ping_interval=None)

    def xsrf_cookie(self) -> list[str]:
        """The XSRF token the server set as a cookie, as a list of one; none when its XSRF protection is off."""
        with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=TIMEOUT_S) as response:
            cookies = response.headers.get_all("Set-Cookie") or []
        return [c.split("=", 1)[1].split(";")[0] for c in cookies if c.startswith("_streamlit_xsrf=")][:1]

    async def rerun(self, page: str = "", fragment: str = "", auto: bool = False):
        """Send one rerun_script and read until that run's script_finished; raises on a run that failed."""
        message = BackMsg()
        state = message.rerun_script
        state.context_info.timezone, state.context_info.locale = "UTC", "en-US"
        state.context_info.url = self.url + "/"
        state.widget_states.widgets.extend(self.widgets.values())
        state.page_script_hash, state.fragment_id, state.is_auto_rerun = page, fragment, auto
        state.cached_message_hashes.extend(self.cache)
        await self.ws.send(message.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT_S))
            if msg.WhichOneof("type") == "ref_hash":
                msg = self.cache[msg.ref_hash]
            elif msg.metadata.cacheable:
                self.cache[msg.hash] = msg
            kind = msg.WhichOneof("type")
            if kind == "delta":
                self.read_delta(msg)
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "auto_rerun":
                self.polls[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fragment in msg.stop_auto_rerun.fragment_ids:
                    self.polls.pop(fragment, None)
            elif kind == "new_session" and not msg.metadata.run.fragment_ids:
                self.polls.clear()  # a run of the whole page: its fragments say again whether they poll
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the page asked for a rerun (st.rerun): its own script_finished follows
                if msg.script_finished not in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    raise RuntimeError(f"run ended {ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)}")
                return

    def read_delta(self, msg: ForwardMsg):
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self.errors.append(f"error: {element.alert.body}")
        elif kind == "imgs":
            self.pictures += len(element.imgs.imgs)
        elif kind == "bidi_component" and element.bidi_component.component_name == "vaedemo.latent_map":
            self.pictures += 1
        elif kind == "progress":
            self.progress_texts.append(element.progress.text)
        elif kind == "button":
            self.buttons[element.button.label] = element.button.id
        elif kind in ("button_group", "checkbox", "radio", "bidi_component") and element.HasField(kind) and (
                kind != "bidi_component" or element.bidi_component.component_name == "vaedemo.canvas"):
            widget = getattr(element, kind)
            state = self.widgets.setdefault(widget.id, BackMsg().rerun_script.widget_states.widgets.add())
            state.id = widget.id
            if kind == "button_group":
                state.string_array_value.data[:] = [widget.options[i].content for i in widget.default]
            elif kind == "checkbox":
                state.bool_value = widget.default
            elif kind == "radio" and not state.HasField("string_value"):
                state.string_value = widget.options[widget.default]
            elif kind == "bidi_component":
                self.fragment, self.canvas = msg.delta.fragment_id, widget.id

    async def stroke(self, drawing: str) -> int:
        """Draw on the Draw page's canvas as the browser sends a stroke (the canvas's state, json with the PNG, and a
        rerun of its fragment); returns how many pictures the answer held."""
        state = self.widgets.setdefault(self.canvas, BackMsg().rerun_script.widget_states.widgets.add())
        state.id, state.json_value = self.canvas, drawing
        before = self.pictures
        await self.rerun(self.pages["Draw"], self.fragment)
        return self.pictures - before

    async def close(self):
        await self.ws.close()


async def student(url: str, delay: float, strokes: int, results: dict, rng: random.Random):
    await asyncio.sleep(delay)
    session = Session(url)
    try:
        start = time.monotonic()
        await session.connect()
        await session.rerun()
        results["page_loads"].append(time.monotonic() - start)
        for _ in range(strokes):
            await asyncio.sleep(rng.uniform(1, 3))
            start = time.monotonic()
            pictures = await session.stroke(rng.choice(DRAWINGS))
            results["strokes"].append(time.monotonic() - start)
            if pictures < PICTURES_PER_STROKE:
                session.errors.append(f"a stroke got {pictures} pictures, not {PICTURES_PER_STROKE}")
        await session.close()
    except Exception as error:  # counted and reported, the sweep goes on
        session.errors.append(f"{type(error).__name__}: {error}")
    results["errors"].extend(session.errors)


async def press(session: Session, label: str):
    """Click the page's button of that label, as the browser sends a click: a trigger for one run."""
    click = BackMsg().rerun_script.widget_states.widgets.add()
    click.id, click.trigger_value = session.buttons[label], True
    session.widgets[click.id] = click
    await session.rerun(session.pages["Train"])
    del session.widgets[click.id]


async def trainer(url: str, results: dict, done: asyncio.Event):
    """A visitor on the Train page who presses Start (the page's defaults) and keeps the tab open, its fragments
    polling the run as a browser does; when a run ends before the students are done, Start again."""
    session = Session(url)
    await session.connect()
    await session.rerun()
    await session.rerun(session.pages["Train"])
    runs, due = 0, {}  # due: fragment id -> when the browser would rerun it next
    while not done.is_set():
        await press(session, "Start")
        runs += 1
        while not done.is_set() and session.polls:  # the page stops polling once the run has ended
            await asyncio.sleep(0.1)
            for fragment, interval in list(session.polls.items()):
                if time.monotonic() >= due.setdefault(fragment, time.monotonic() + interval):
                    due[fragment] = time.monotonic() + interval
                    await session.rerun(session.pages["Train"], fragment, auto=True)
    await press(session, "Stop")  # frees the server's one training slot for the next sweep point
    speeds = [float(m.group(1).replace(",", "")) for text in session.progress_texts
              if (m := re.search(r"([\d,]+) images/s", text))]
    results["images_per_s"] = statistics.median(speeds) if speeds else None
    results["training_runs"] = runs
    results["errors"].extend(session.errors)
    await session.close()


def server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


async def sweep_point(url: str, pid: int, students: int, strokes: int, arrival: float, training: bool) -> dict:
    results = {"page_loads": [], "strokes": [], "errors": [], "images_per_s": None}
    rng = random.Random(students)
    cpu = server_cpu_s(pid)
    start = time.monotonic()
    done = asyncio.Event()
    train_task = asyncio.create_task(trainer(url, results, done)) if training else None
    await asyncio.gather(*(student(url, arrival * i / students, strokes, results, random.Random(rng.random()))
                           for i in range(students)))
    done.set()
    if train_task:
        await train_task
    results["wall_s"] = time.monotonic() - start
    results["cpu_s"] = server_cpu_s(pid) - cpu
    return results


async def cost_alone(url: str, pid: int, strokes: int = 200) -> tuple[float, float]:
    """Server CPU ms of one page load (a new session) and of one stroke, one student alone on the server."""
    loads = []
    for _ in range(10):
        cpu, session = server_cpu_s(pid), Session(url)
        await session.connect()
        await session.rerun()
        await session.close()
        loads.append(server_cpu_s(pid) - cpu)
    session = Session(url)
    await session.connect()
    await session.rerun()
    cpu = server_cpu_s(pid)
    for stroke in range(strokes):
        await session.stroke(DRAWINGS[stroke % len(DRAWINGS)])
    per_stroke = (server_cpu_s(pid) - cpu) / strokes
    await session.close()
    if session.errors:
        raise RuntimeError(f"the Draw page failed: {session.errors[0]}")
    return 1000 * statistics.median(loads), 1000 * per_stroke


def percentile(values: list, q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[10, 25, 50, 100, 200])
    parser.add_argument("--strokes", type=int, default=5)
    parser.add_argument("--arrival", type=float, default=30.0, help="seconds over which the students arrive")
    parser.add_argument("--training", choices=["with", "without", "both"], default="both")
    args = parser.parse_args()
    port = free_port()
    server = start_app(port)
    url = f"http://127.0.0.1:{port}"
    load_ms, stroke_ms = asyncio.run(cost_alone(url, server.pid))
    print(f"Server CPU, one student alone: {load_ms:.0f} ms a page load (median of 10 new sessions), "
          f"{stroke_ms:.1f} ms a stroke (mean of 200)", flush=True)
    print(f"{'students':>8} {'training':>8} | {'stroke median':>13} {'p95':>7} {'max':>7} | {'page load p95':>13} | "
          f"{'errors':>6} | {'server CPU':>17} {'peak RSS':>8} | {'train images/s':>14}")
    try:
        for students in args.students:
            for training in {"with": [True], "without": [False], "both": [False, True]}[args.training]:
                r = asyncio.run(sweep_point(url, server.pid, students, args.strokes, args.arrival, training))
                ms = [1000 * s for s in r["strokes"]]
                speed = f"{r['images_per_s']:,.0f}" if r["images_per_s"] else "-"
                print(f"{students:>8} {'yes' if training else 'no':>8} | {statistics.median(ms) if ms else 0:>10.0f} ms "
                      f"{percentile(ms, 0.95):>4.0f} ms {max(ms, default=0):>4.0f} ms | "
                      f"{1000 * percentile(r['page_loads'], 0.95):>10.0f} ms | {len(r['errors']):>6} | "
                      f"{r['cpu_s']:>5.1f} s of {r['wall_s']:>4.0f} s {peak_rss_mb(server.pid):>5.0f} MB | {speed:>14}",
                      flush=True)
                for error in sorted(set(r["errors"]))[:3]:
                    print(f"{'':>8} error: {error[:160]}")
    finally:
        stop_app(server)


if __name__ == "__main__":
    main()
