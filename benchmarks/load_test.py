"""Many people on one server: N browser sessions draw digits on the Draw page while another session trains
a model with the Train page's defaults (one Chromium, a browser context each, as separate people would be).

Per stroke, the time from mouse-up to the input and both reconstructions shown and loaded, measured inside
each page as benchmarks/draw_latency.py does for one person; the driver draws on one session after the
other, so each session has a stroke in flight while the others draw theirs. The sessions never press Clear:
in this one driver its wait for the server would hold up every other session, and what the server does per
stroke does not depend on what is drawn. Also: whether any session saw
an exception, an error message or a page error, whether the training finished, and where the two cores'
time went (the server, the training process, Chromium, this driver, other work on the machine).
Run: make bench (or python -m benchmarks.load_test [--sessions N] [--min-strokes N]).
"""
import argparse
import itertools
import os
import re
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.draw_latency import RECORD_MOUSE_UP, SINCE_MOUSE_UP_WHEN_SHOWN, percentile
from tests.harness.browser import CHROMIUM_FLAGS, chromium_path, wait_for_app
from tests.harness.server import free_port, start_app, stop_app
from tests.harness.strokes import DIGITS, draw_stroke, image_sources, wait_until_drawable

STROKE_TIMEOUT_S = 60  # a stroke whose pictures have not come by then counts as lost
TRAINING_TIMEOUT_S = 900
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
ENDED = re.compile(r"^(Finished|Stopped|The loss blew up|Could not run|The training process ended|Training failed)")
# When each message goes to the server over Streamlit's websocket and comes back from it.
RECORD_MESSAGES = """
window.sentAt = []; window.receivedAt = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (...message) {
    window.sentAt.push(performance.now());
    if (!this.timed) {
        this.timed = true;
        this.addEventListener("message", () => window.receivedAt.push(performance.now()));
    }
    return send.apply(this, message);
};"""
# Once the pictures of the stroke about to be drawn are shown (polling every 10 ms), set window.latency to
# its stages in ms: mouse-up -> the drawing sent -> the server's first reply -> the pictures shown (they come
# inside the server's messages, as data URIs).
WATCH_NEXT_STROKE = f"""([before, count]) => {{
    const since = {SINCE_MOUSE_UP_WHEN_SHOWN};
    window.latency = null;
    const timer = setInterval(() => {{
        const total = since([before, count]);
        if (!total) return;
        clearInterval(timer);
        const sent = window.sentAt.find(t => t >= window.mouseUpAt);
        const reply = window.receivedAt.find(t => t >= sent);
        window.latency = [total, sent - window.mouseUpAt, reply - sent, window.mouseUpAt + total - reply];
    }}, 10);
}}"""
STAGES = ["mouse-up -> drawing sent", "sent -> server's first reply", "first reply -> pictures shown"]


class Drawer:
    """One person on the Draw page, drawing the digits over and over (from a different one each)."""

    def __init__(self, browser, url: str, first_digit: int):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.add_init_script(RECORD_MESSAGES)
        self.page = self.context.new_page()
        self.page.set_default_timeout(180_000)
        self.page_errors = []
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.goto(url)
        wait_until_drawable(self.page, timeout=180_000)
        self.page.evaluate(RECORD_MOUSE_UP)
        digits = list(DIGITS.values())[first_digit:] + list(DIGITS.values())[:first_digit]
        self.strokes = itertools.cycle([stroke for digit in digits for stroke in digit])
        self.latencies, self.lost = [], 0  # latencies: ([total, *stages] in ms, whether a training ran at mouse-up)
        self.in_flight_since, self.during_training = None, False

    def step(self, training: bool, more: bool) -> bool:
        """Collect the stroke in flight if its pictures are shown; then draw the next one if more. False
        while the pictures are still on their way."""
        if self.in_flight_since is not None:
            latency = self.page.evaluate("window.latency")
            if latency is None and time.monotonic() - self.in_flight_since < STROKE_TIMEOUT_S:
                return False
            if latency is None:
                self.lost += 1
            else:
                self.latencies.append((latency, self.during_training))
            self.in_flight_since = None
        if not more:
            return True
        self.page.evaluate(WATCH_NEXT_STROKE, [image_sources(self.page), 3])
        draw_stroke(self.page, next(self.strokes))
        self.in_flight_since, self.during_training = time.monotonic(), training
        return True

    def errors(self) -> int:
        return self.page.locator(ERRORS).count() + len(self.page_errors)


def cpu_ticks(pid: int, waited_children: bool = False) -> int:
    """User + system CPU time of a process, or of the children it has waited for, in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[13]) + int(fields[14]) if waited_children else int(fields[11]) + int(fields[12])


def descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return children + [grandchild for child in children for grandchild in descendants(child)]


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def machine_busy_ticks() -> int:
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return user + nice + system + irq + softirq + steal


class CpuAccount:
    """CPU seconds by part from now on, from /proc: the server; its training processes (children it has waited
    for, so read once the training has ended); Chromium and this driver (sampled now and then: a process that
    ends keeps its last sample); and the rest of the machine's busy time."""

    def __init__(self, server_pid: int):
        self.server_pid, self.browser = server_pid, {}  # browser: pid -> [part, ticks at start, ticks last seen]
        self.server_start, self.machine_start = self.server_ticks(), machine_busy_ticks()
        self.starting = True
        self.sample()
        self.starting = False

    def server_ticks(self) -> dict:
        return {"streamlit server": cpu_ticks(self.server_pid),
                "training process": cpu_ticks(self.server_pid, waited_children=True)}

    def sample(self):
        server = {self.server_pid, *descendants(self.server_pid)}
        for pid in {os.getpid(), *descendants(os.getpid())} - server:
            ticks = cpu_ticks(pid)
            if pid not in self.browser:
                comm = Path(f"/proc/{pid}/comm")
                name = comm.read_text().strip() if comm.exists() else ""
                part = "this driver" if pid == os.getpid() or "chrom" not in name else "Chromium"
                self.browser[pid] = [part, ticks if self.starting else 0, ticks]
            self.browser[pid][2] = max(self.browser[pid][2], ticks)

    def seconds(self) -> dict:
        deadline = time.monotonic() + 30  # the server waits for its training process to end: then it is counted
        while any(b"spawn_main" in command_line(pid) for pid in descendants(self.server_pid)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        parts = {part: ticks - self.server_start[part] for part, ticks in self.server_ticks().items()}
        for part, start, last in self.browser.values():
            parts[part] = parts.get(part, 0) + last - start
        parts["other work on the machine"] = machine_busy_ticks() - self.machine_start - sum(parts.values())
        return {part: ticks / os.sysconf("SC_CLK_TCK") for part, ticks in parts.items()}


def start_training(page, url: str):
    page.goto(url)
    wait_for_app(page)
    page.get_by_role("link", name="Train", exact=True).click()
    page.get_by_role("heading", name="Train your own autoencoder").wait_for()
    wait_for_app(page)
    page.get_by_role("button", name="Start").click()


def training_ended(page) -> str | None:
    ended = page.get_by_text(ENDED)
    return ended.first.inner_text() if ended.count() else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="people drawing at once")
    parser.add_argument("--min-strokes", type=int, default=10, help="strokes each draws at least")
    args = parser.parse_args()

    port = free_port()
    app = start_app(port)
    # The browsers stand in for people's own computers: they take only the CPU the server leaves (this process's
    # niceness passes to Chromium; the server, started before, keeps its own).
    os.nice(10)  # as much as the training child process gets
    url = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            print(f"Load: {args.sessions} sessions drawing while one trains, Chromium {browser.version}, "
                  f"{os.cpu_count()} cores", flush=True)
            drawers = [Drawer(browser, url, i % 10) for i in range(args.sessions)]
            trainer = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            trainer.set_default_timeout(180_000)
            start_training(trainer, url)
            started, cpu = time.monotonic(), CpuAccount(app.pid)
            training_took, outcome = None, None
            while True:
                if outcome is None and (outcome := training_ended(trainer)):
                    training_took = time.monotonic() - started
                elif outcome is None and time.monotonic() - started > TRAINING_TIMEOUT_S:
                    outcome = f"not ended after {TRAINING_TIMEOUT_S} s"
                moved = [drawer.step(training=outcome is None,
                                     more=outcome is None or len(drawer.latencies) + drawer.lost < args.min_strokes)
                         for drawer in drawers]
                cpu.sample()
                if outcome is not None and all(drawer.in_flight_since is None for drawer in drawers):
                    break
                if not any(moved):
                    time.sleep(0.05)
            drawing_took = time.monotonic() - started
            errors = sum(drawer.errors() for drawer in drawers) + trainer.locator(ERRORS).count()
            lost = sum(drawer.lost for drawer in drawers)
            latencies = [(stages, training) for drawer in drawers for stages, training in drawer.latencies]
            cpu_seconds = cpu.seconds()
        finally:
            browser.close()
            stop_app(app)

    print(f"training (Train page defaults): {outcome}" + (f" after {training_took:.1f} s" if training_took else ""))
    for label, strokes in [("while the training ran", [stages for stages, training in latencies if training]),
                           ("after it ended", [stages for stages, training in latencies if not training])]:
        if strokes:
            totals = [stages[0] for stages in strokes]
            print(f"mouse-up -> both reconstructions shown, {label} ({len(strokes)} strokes): median "
                  f"{statistics.median(totals):.0f} ms, p95 {percentile(totals, 95):.0f} ms, max {max(totals):.0f} ms")
            slowest = [stages for stages in strokes if stages[0] >= percentile(totals, 95)]
            for which, group, average in [("median", strokes, statistics.median), ("mean of the slowest 5 %", slowest,
                                                                                    statistics.mean)]:
                print(f"  {which}: " + ", ".join(f"{stage} {average(stages[i + 1] for stages in group):.0f} ms"
                                                 for i, stage in enumerate(STAGES)))
    print(f"strokes lost (no pictures within {STROKE_TIMEOUT_S} s): {lost}; "
          f"sessions' exceptions, error messages and page errors: {errors}")
    print(f"CPU seconds over the {drawing_took:.0f} s of drawing ({os.cpu_count()} cores give "
          f"{os.cpu_count() * drawing_took:.0f}):")
    for part, seconds in sorted(cpu_seconds.items(), key=lambda item: -item[1]):
        print(f"  {part}: {seconds:.0f} s")


if __name__ == "__main__":
    main()
