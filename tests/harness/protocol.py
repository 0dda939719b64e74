"""A browser tab without a browser: Streamlit's own websocket protocol, spoken as the browser speaks it, so that a
simulated visitor costs this machine almost nothing (tests/test_space.py, benchmarks/training_queue.py,
benchmarks/memory_reruns.py, benchmarks/lecture_hall.py). A stroke sends Streamlit nothing (the browser answers it,
and in a room posts it to the room API: tests/harness/hall.py), so what a tab says here is page loads, polls and
clicks.

It fetches the XSRF cookie (and a proxy's sticky cookie) from /_stcore/health, opens ws://HOST/_stcore/stream,
asks for the page (a BackMsg.rerun_script with only context_info), then reruns the page, its polling fragments and
its buttons as the browser does, with the page's widget states echoed. It reports the hashes of the cacheable
messages it holds, as a browser does, and resolves the references the server sends in their place."""
import asyncio
import time
import urllib.request

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

TIMEOUT_S = 120  # an answer that has not come by then counts as an error


class Session:
    """One browser tab's conversation with the server."""

    def __init__(self, url: str, query: str = ""):
        self.url, self.query = url, query  # query: the address bar's query string, "room=ABCDE"
        self.widgets = {}  # widget id -> a WidgetState as the browser would echo it
        self.cache = {}  # hash -> cacheable ForwardMsg already received
        self.pages = {}  # page name -> page_script_hash
        self.buttons = {}  # label -> widget id
        self.button_fragments = {}  # label -> the fragment the button is in ("" outside any), which its click reruns
        self.received = 0  # bytes received so far
        self.progress_texts = []
        self.polls = {}  # fragment id -> seconds between its reruns, for each fragment that polls (run_every)
        self.due = {}  # fragment id -> when the browser would rerun it next
        self.errors = []
        self.pictures = 0  # pictures received so far
        self.models = 0  # models received so far (their weights, for the browser)
        self.texts = []  # (time received, text) of every markdown element and every alert but errors
        self.session_id = ""  # the server's name for this session (its uploads' addresses carry it)

    async def connect(self):
        self.xsrf, self.cookie = await asyncio.to_thread(self.cookies)
        host = self.url.removeprefix("http://")
        self.ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit", *self.xsrf],
                                           additional_headers={"Cookie": self.cookie} if self.cookie else {},
                                           max_size=None, ping_interval=None)

    def cookies(self) -> tuple[list[str], str]:
        """What /_stcore/health sets, as a browser keeps it: the XSRF token as a list of one (none when the server's
        XSRF protection is off) and every cookie as a Cookie header, a proxy's sticky cookie included
        (webapp/serve.py), so that the websocket goes to the process that answered."""
        with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=TIMEOUT_S) as response:
            pairs = [cookie.split(";")[0] for cookie in response.headers.get_all("Set-Cookie") or []]
        return [pair.split("=", 1)[1] for pair in pairs if pair.startswith("_streamlit_xsrf=")][:1], "; ".join(pairs)

    async def rerun(self, page: str = "", fragment: str = "", auto: bool = False):
        """Send one rerun_script and read until that run's script_finished; raises on a run that failed."""
        message = BackMsg()
        state = message.rerun_script
        state.context_info.timezone, state.context_info.locale = "UTC", "en-US"
        state.context_info.url = self.url + "/"
        state.query_string = self.query
        state.widget_states.widgets.extend(self.widgets.values())
        state.page_script_hash, state.fragment_id, state.is_auto_rerun = page, fragment, auto
        state.cached_message_hashes.extend(self.cache)
        await self.ws.send(message.SerializeToString())
        while True:
            msg = ForwardMsg()
            data = await asyncio.wait_for(self.ws.recv(), TIMEOUT_S)
            self.received += len(data)
            msg.ParseFromString(data)
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
            elif kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                if not msg.metadata.run.fragment_ids:
                    self.polls.clear()  # a run of the whole page: its fragments say again whether they poll
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the page asked for a rerun (st.rerun): its own script_finished follows
                if msg.script_finished not in (
                    ForwardMsg.FINISHED_SUCCESSFULLY,
                    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                ):
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
        elif kind == "bidi_component" and element.bidi_component.component_name == "vaedemo.model":
            self.models += 1  # a model's weights, for the browser to answer strokes with
        elif kind == "markdown":
            self.texts.append((time.monotonic(), element.markdown.body))
        elif kind == "alert":  # an information or a warning (a waiting run's place)
            self.texts.append((time.monotonic(), element.alert.body))
        elif kind == "progress":
            self.progress_texts.append(element.progress.text)
        elif kind == "button":
            self.buttons[element.button.label] = element.button.id
            self.button_fragments[element.button.label] = msg.delta.fragment_id
        elif kind in ("button_group", "checkbox", "radio") and element.HasField(kind):
            widget = getattr(element, kind)
            state = self.widgets.setdefault(widget.id, BackMsg().rerun_script.widget_states.widgets.add())
            state.id = widget.id
            if kind == "button_group":
                state.string_array_value.data[:] = [widget.options[i].content for i in widget.default]
            elif kind == "checkbox":
                state.bool_value = widget.default
            elif kind == "radio" and not state.HasField("string_value"):
                state.string_value = widget.options[widget.default]

    async def wait(self, seconds: float, page: str):
        """Keep the tab open on page for seconds, rerunning its polling fragments when they are due, as a browser
        does (run_every)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await asyncio.sleep(min(0.1, max(0.0, end - time.monotonic())))
            for fragment, interval in list(self.polls.items()):
                if time.monotonic() >= self.due.setdefault(fragment, time.monotonic() + interval):
                    self.due[fragment] = time.monotonic() + interval
                    await self.rerun(self.pages[page], fragment, auto=True)

    async def close(self):
        await self.ws.close()


async def press(session: Session, label: str, page: str = "Train"):
    """Click the button of that label on page, as the browser sends a click: a trigger for one run, of the button's
    fragment where it is in one."""
    click = BackMsg().rerun_script.widget_states.widgets.add()
    click.id, click.trigger_value = session.buttons[label], True
    session.widgets[click.id] = click
    await session.rerun(session.pages[page], session.button_fragments[label])
    del session.widgets[click.id]
