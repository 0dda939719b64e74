"""Draw page speed in a real browser (Debian's Chromium through Playwright), as a person meets it.

For each of the three pairs the Draw page shows (2-D small conv, 16-D MLPs, 16-D conv), over 20 mouse strokes of
digits: the time from the mouse's release to the input and both reconstructions shown (loaded) and both maps' stars
moved, read in the page at each animation frame from before the stroke; the websocket messages the page sent during
those strokes; the bytes the page received over its websocket on its first load (the models' maps among them); each
model's packed size with the page, and its decoder's and encoder's, which the page fetches when it first needs them.
A phone's first load of the Draw page (390x844, touch, nothing cached): the bytes on the wire by kind, as Chromium
counts them. With --vs COMMIT the same is measured on that commit's app too, in the same run (a git worktree beside
this one), the two alternating pair by pair: a before/after pair on one machine. Also the cold start of this tree's
app: from `streamlit run app.py` to the canvas taking strokes and to a first stroke answered.
Run: make bench (or python -m benchmarks.draw_latency [--strokes N] [--vs COMMIT]; --strokes 0: no strokes).
"""
import argparse
import base64
import re
import statistics
import time
import zlib
from collections import Counter
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from tests.harness.browser import CHROMIUM_FLAGS, chromium_path, wait_for_app
from tests.harness.server import checkouts, free_port, start_app, stop_app
from tests.harness.strokes import ANSWER_ROOTS, DIGITS, MAP_POINTS, clear_canvas, draw_stroke, wait_until_drawable

PAIRS = {"2-D conv": "", "16-D MLP": "?draw_latent_dim=16-D", "16-D conv": "?draw_latent_dim=16-D&draw_conv=true"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MODELS, REST = "websocket: the models' maps (vaedemo.model)", "websocket: the rest"
RECORD_MOUSE_UP = "document.addEventListener('pointerup', () => { window.mouseUpAt = performance.now(); }, true)"
# What each picture shows: the browser's own canvases (components/answer.js) name their answer; an earlier commit's
# images from the server, their source once loaded.
PICTURES = f"""() => [...[...document.querySelectorAll('.st-key-reconstructions [data-testid=stImage] img')]
        .map(image => image.complete && image.naturalWidth > 0 ? image.src : null),
    ...{ANSWER_ROOTS}.flatMap(root => [...root.querySelectorAll('.answer[data-part=pictures].drawn canvas')])
        .map(canvas => canvas.dataset.shown)]"""
STATE = f"() => [({PICTURES})(), ({MAP_POINTS})()]"
# The time since the mouse's release once three new pictures show and both stars moved, else false.
ANSWERED = f"""([pictures, points]) => {{
    const shown = ({PICTURES})(), now = ({MAP_POINTS})();
    return shown.length === 3 && shown.every(picture => picture && !pictures.includes(picture))
        && now.length === 2 && now.every((point, i) => point && point !== points[i])
        && performance.now() - window.mouseUpAt;
}}"""
# Watched from before the stroke, at every animation frame in the page: the first frame's time since the release once
# the stroke is answered (window.answeredIn), so that the reading waits for nothing outside the page.
WATCH = f"""() => {{
    const before = ({STATE})(), answered = {ANSWERED};
    window.answeredIn = null;
    const look = () => {{
        const since = answered(before);
        if (since === false) requestAnimationFrame(look);
        else window.answeredIn = since;
    }};
    requestAnimationFrame(look);
}}"""


def kind(url: str) -> str:
    """What a response of the page's load is, by its address: Streamlit's frontend by file type, each font family."""
    address = urlsplit(url)
    if address.hostname != "127.0.0.1":
        return f"from another host: {address.hostname}"
    folder, name = address.path.rsplit("/", 1)
    if folder == "/static/media":
        return "font " + re.match(r"[A-Za-z]+", name)[0]
    if folder == "/api/models":
        return "the models' weights (hall/model_files.py)"
    return {"/static/js": "Streamlit's JavaScript", "/static/css": "Streamlit's CSS"}.get(
        folder, "index.html" if address.path == "/" else "favicon, health, host config")


def websocket_frame(payload: int) -> int:
    """A server's frame of this payload on the wire (RFC 6455, 5.2: no mask)."""
    return payload + 2 + (2 if 126 <= payload < 65536 else 8 if payload >= 65536 else 0)


def phone_first_load(browser, url: str) -> tuple[Counter, str, Counter]:
    """A phone's first load of the Draw page, nothing cached, until both maps hold their models: (the bytes on the
    wire by kind: each HTTP response as Chromium counts it, headers included, each websocket message with its frame's
    header (websocket_bytes); the extensions the websocket's handshake agreed; the messages' bytes uncompressed, by
    kind)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    network = context.new_cdp_session(page)
    network.send("Network.enable")
    urls, finished, messages, handshakes = {}, {}, [], []
    network.on("Network.responseReceived", lambda event: urls.update({event["requestId"]: event["response"]["url"]}))
    network.on("Network.loadingFinished",
               lambda event: finished.update({event["requestId"]: event["encodedDataLength"]}))
    network.on("Network.webSocketFrameReceived", lambda event: messages.append(event["response"]))
    network.on("Network.webSocketHandshakeResponseReceived", lambda event: handshakes.append(event["response"]))
    page.goto(url, timeout=180_000)
    wait_until_drawable(page, timeout=180_000)
    wait_for_app(page)
    page.locator("[data-ready=true]:has(.plot)").nth(1).wait_for(timeout=180_000)  # both maps have their models
    page.wait_for_timeout(1000)
    context.close()
    wire = Counter()
    for request, size in finished.items():
        if not urls.get(request, "").startswith("blob:"):  # the Web Workers the page makes of its own scripts
            wire[kind(urls.get(request, ""))] += size
    extensions = ", ".join(handshake["headers"].get("Sec-WebSocket-Extensions", "none") for handshake in handshakes)
    on_the_wire, plain = websocket_bytes(messages, extensions)
    return wire + on_the_wire, extensions, plain


def websocket_bytes(messages: list[dict], extensions: str) -> tuple[Counter, Counter]:
    """The bytes of the websocket messages a page received (CDP's webSocketFrameReceived responses), on the wire and
    uncompressed, by kind (the models' maps, the rest). Chromium tells a message's payload after inflating it: where
    the handshake agreed permessage-deflate, its bytes on the wire are its payload deflated as uvicorn does it
    (server.enableWebsocketCompression: one stream a connection, a window of 2^12 bytes, memLevel 5)."""
    deflate, wire, plain = zlib.compressobj(wbits=-12, memLevel=5), Counter(), Counter()
    for message in messages:
        text = message["opcode"] == 1  # else binary, which CDP gives in base64
        payload = message["payloadData"].encode() if text else base64.b64decode(message["payloadData"])
        part = MODELS if b"vaedemo.model" in payload else REST
        plain[part] += websocket_frame(len(payload))
        if "permessage-deflate" in extensions:
            payload = (deflate.compress(payload) + deflate.flush(zlib.Z_SYNC_FLUSH))[:-4]
        wire[part] += websocket_frame(len(payload))
    return wire, plain


def show_first_loads(loads: dict[str, tuple[Counter, str, Counter]]):
    names = list(loads)
    print(f"A phone's first load of the Draw page ({PHONE['viewport']['width']}x{PHONE['viewport']['height']}), "
          "kB on the wire:\n" + f"{'':40}" + "".join(f"{name:>12}" for name in names))
    kinds = sorted({kind for wire, _, _ in loads.values() for kind in wire}, key=lambda kind: -loads[names[0]][0][kind])
    for row in [*kinds, "total"]:
        print(f"{row:40}" + "".join(f"{(wire.total() if row == 'total' else wire[row]) / 1e3:12.1f}"
                                    for wire, _, _ in loads.values()))
    for name, (_, extensions, plain) in loads.items():
        print(f"{name}: websocket extensions: {extensions}; its messages uncompressed: the models' "
              f"{plain[MODELS] / 1e3:.1f} kB, the rest's {plain[REST] / 1e3:.1f} kB")


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def strokes(page, url: str, count: int) -> tuple[list[float], int, int]:
    """(latencies in ms of count strokes, messages sent during them, websocket bytes received on the first load)."""
    sent, received = [], []
    page.on("websocket", lambda socket: (socket.on("framesent", lambda payload: sent.append(len(payload))),
                                         socket.on("framereceived", lambda payload: received.append(len(payload)))))
    page.goto(url)
    wait_until_drawable(page, timeout=180_000)
    wait_for_app(page)
    page.locator("[data-ready=true]:has(.plot)").nth(1).wait_for(timeout=180_000)  # both maps have their models
    page.wait_for_timeout(1000)
    loaded = sum(received)
    page.evaluate(RECORD_MOUSE_UP)
    sent.clear()
    latencies = []
    while len(latencies) < count:
        for digit in DIGITS.values():
            for stroke in digit[: count - len(latencies)]:
                page.evaluate(WATCH)
                draw_stroke(page, stroke)
                latencies.append(page.wait_for_function("() => window.answeredIn").json_value())
            if len(latencies) == count:
                break
            clear_canvas(page)
    return latencies, len(sent), loaded


def summary(latencies: list[float]) -> str:
    return (f"median {statistics.median(latencies):5.1f} ms, p95 {percentile(latencies, 95):5.1f} ms, "
            f"max {max(latencies):5.1f} ms")


def model_bytes() -> dict[str, int]:
    """Each shipped model the Draw page sends, packed as the browser receives it."""
    import torch

    from vaedemo import load_checkpoint
    from vaedemo.data import load_test_sample
    from vaedemo.datasets import checkpoint_path
    from webapp.components.latent_map import pack

    images, labels = load_test_sample("mnist")
    sizes = {}
    shipped = {"2-D conv": (2, "mlp"), "16-D MLP": (16, "mlp"), "16-D conv": (16, "conv")}  # d, the file's arch
    for name, (latent_dim, arch) in shipped.items():
        for kind in ("ae", "vae"):
            model = load_checkpoint(checkpoint_path(kind, latent_dim, "mnist", arch=arch))
            with torch.inference_mode():
                packed = pack(model, model.latent_mean(images), labels)
            sizes[f"{name} {kind.upper()}"] = (len(packed.blob), len(packed.decoder), len(packed.encoder))
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=20)
    parser.add_argument("--vs", help="an earlier commit to measure beside this tree, in the same run")
    args = parser.parse_args()

    with checkouts(args.vs) as trees, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        print(f"Draw page, Chromium {browser.version}, {args.strokes} strokes a pair")
        apps = {}
        try:
            for name, root in trees.items():
                port, started = free_port(), time.perf_counter()
                apps[name] = (start_app(port, root=root), port)
                if name == "this tree":
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.goto(f"http://127.0.0.1:{port}")
                    wait_until_drawable(page, timeout=180_000)
                    print(f"cold start (streamlit run -> canvas takes strokes): {time.perf_counter() - started:.2f} s")
                    page.evaluate(RECORD_MOUSE_UP)
                    before = page.evaluate(STATE)
                    draw_stroke(page, DIGITS[7][0])
                    page.wait_for_function(ANSWERED, arg=before, polling="raf", timeout=180_000)
                    answered = time.perf_counter() - started
                    print(f"cold start (streamlit run -> a first stroke answered): {answered:.2f} s")
                    page.close()
            show_first_loads({name: phone_first_load(browser, f"http://127.0.0.1:{port}/")
                              for name, (_, port) in apps.items()})
            for pair, query in PAIRS.items() if args.strokes else ():
                for name, (_, port) in apps.items():
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(180_000)
                    latencies, messages, loaded = strokes(page, f"http://127.0.0.1:{port}/{query}", args.strokes)
                    page.close()
                    print(f"{pair:9} {name:10}: release -> pictures and stars: {summary(latencies)}; "
                          f"{messages} messages sent; first load {loaded / 1e6:.2f} MB over the websocket", flush=True)
        finally:
            for process, _ in apps.values():
                stop_app(process)
            browser.close()
    for name, (first, decoder, encoder) in model_bytes().items():
        print(f"{name} packed: {first / 1e3:.1f} kB with the page (its map), {decoder / 1e6:.2f} MB its decoder and "
              f"{encoder / 1e6:.2f} MB its encoder (float16 weights) when first needed")


if __name__ == "__main__":
    main()
