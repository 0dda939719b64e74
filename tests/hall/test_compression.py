"""Streamlit's frontend compressed once and kept on disk, its fonts cut (hall/compression.py, hall/fonts.py): the
middleware around Streamlit's own static handler on a small Starlette app, where its cache can be read, over an empty
store (a process that starts before the copies are made) and a prepared one (`python -m hall.compression`, as the
environment's build runs it), then the app as `streamlit run app.py` serves it."""
import asyncio
import gzip
import io
import re
import threading
import time

import brotli
import pytest
import requests
from fontTools.ttLib import TTFont
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from streamlit.web.server.starlette.starlette_static_routes import create_streamlit_static_handler

from hall import compression
from hall.compression import STATIC_DIR, StaticCompression, Store, coding
from tests.harness.server import ROOT, free_port, start_app, stop_app

CHROMIUM = {"Accept-Encoding": "gzip, deflate, br, zstd"}
GZIP = {"Accept-Encoding": "gzip, deflate"}  # a browser without brotli
INDEX = (STATIC_DIR / "index.html").read_text()
BUNDLE = "/" + re.search(r'<script type="module" crossorigin src="\./(static/js/index\.[\w-]+\.js)"', INDEX)[1]
MEDIA = STATIC_DIR / "static" / "media"
# The server's one event loop, as uvicorn's: the copies the middleware starts go on between requests (and Playwright's
# sync API keeps a loop running in the tests' own thread).
LOOP = asyncio.new_event_loop()
threading.Thread(target=LOOP.run_forever, daemon=True).start()
ICONS, TEXT, ITALIC = ("/static/media/" + next(MEDIA.glob(f"{name}.*.woff2")).name
                       for name in ("MaterialSymbols-Rounded", "SourceSansVF-Upright.ttf", "SourceSansVF-Italic.ttf"))


def streamlit_like() -> Starlette:
    """Routes as the app's server has them: Streamlit's health check, a room API route, its static handler at /."""
    return Starlette(routes=[
        Route("/_stcore/health", lambda request: PlainTextResponse("ok")),
        Route("/api/rooms/{code}", lambda request: JSONResponse({"room": "x" * 900})),  # large enough to gzip
        Mount("/", create_streamlit_static_handler(str(STATIC_DIR), None)),
    ])


def call(app, path: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    """One HTTP request straight to an ASGI app: (status, headers with lower-case names, body as sent)."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",  # uvicorn's
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "",
             "headers": [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8501)}
    sent, requests_left = [], [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():  # the request, then nothing until the client leaves (it never does here)
        return requests_left.pop() if requests_left else await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    asyncio.run_coroutine_threadsafe(app(scope, receive, send), LOOP).result()
    return (sent[0]["status"], {name.decode(): value.decode() for name, value in sent[0]["headers"]},
            b"".join(message.get("body", b"") for message in sent[1:]))


def made(app, path: str, kind: str) -> bytes:
    """The middleware's copy of a file, once it is made (the copies a request started go on after its answer)."""
    file = (STATIC_DIR / path.lstrip("/")).resolve()
    copy = next(task for (each, _, made_kind), task in app.copies.items() if each == file and made_kind == kind)
    return asyncio.run_coroutine_threadsafe(asyncio.wait_for(asyncio.shield(copy), 120), LOOP).result()


def test_a_bundle_comes_compressed_once_with_streamlits_headers(tmp_path):
    app = StaticCompression(streamlit_like(), Store(tmp_path))
    plain_status, plain_headers, plain = call(streamlit_like(), BUNDLE, CHROMIUM)  # Streamlit's own answer
    assert plain_status == 200 and plain == (STATIC_DIR / BUNDLE.lstrip("/")).read_bytes()
    assert call(app, BUNDLE, CHROMIUM)[1]["content-encoding"] == "gzip"  # while brotli's copy is made
    made(app, BUNDLE, "br")
    sizes = {}
    for accepted, name, decompress in ((CHROMIUM, "br", brotli.decompress), (GZIP, "gzip", gzip.decompress)):
        status, headers, body = call(app, BUNDLE, accepted)
        assert status == 200 and headers["content-encoding"] == name and headers["vary"] == "Accept-Encoding"
        assert decompress(body) == plain
        sizes[name] = len(body)
        assert int(headers["content-length"]) == len(body)
        for header in ("content-type", "cache-control", "last-modified"):
            assert headers[header] == plain_headers[header]
        assert "immutable" in headers["cache-control"] and headers["etag"] == f"W/{plain_headers['etag']}"
        assert call(app, BUNDLE, accepted)[2] == body  # the kept copy
        head_status, head_headers, head_body = call(app, BUNDLE, accepted, method="HEAD")
        assert head_status == 200 and head_body == b"" and head_headers == headers
        status, headers, _ = call(app, BUNDLE, {**accepted, "If-None-Match": headers["etag"]})
        assert status == 304  # Streamlit's own answer to a browser revalidating its copy
    assert len(app.copies) == 2  # compressed once in each coding
    assert sizes["br"] < 0.85 * sizes["gzip"] < 0.85 * len(plain) / 3


def test_the_icon_font_is_cut_to_the_apps_icons_and_still_draws_them(tmp_path):
    app = StaticCompression(streamlit_like(), Store(tmp_path))
    assert call(app, ICONS, CHROMIUM) == call(streamlit_like(), ICONS, CHROMIUM)  # the whole, while the cut is made
    made(app, ICONS, "font")
    status, headers, body = call(app, ICONS, CHROMIUM)
    whole = (STATIC_DIR / ICONS.lstrip("/")).read_bytes()
    assert status == 200 and len(body) < len(whole) / 4 and int(headers["content-length"]) == len(body)
    assert headers["cache-control"] == "no-cache" and "content-encoding" not in headers
    font = TTFont(io.BytesIO(body))
    ligatures = {}
    letters = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = table.ExtSubTable if table.LookupType == 7 else table
            for first, each in getattr(table, "ligatures", {}).items():
                ligatures.update({"".join(letters[g] for g in [first, *ligature.Component]): ligature.LigGlyph
                                  for ligature in each})
    # the pages' icons (app.py's PAGES, the sidebar's), and Streamlit's own (its sidebar's arrows, an expander's)
    for name in ("draw", "model_training", "school", "meeting_room", "keyboard_double_arrow_left", "expand_more"):
        assert name in ligatures, name
    assert "pedal_bike" not in ligatures  # not one of them
    assert call(app, ICONS, {**CHROMIUM, "If-None-Match": headers["etag"]})[:2] == (304, {
        **{name: value for name, value in headers.items() if name != "content-length"}})
    assert len(app.copies) == 1  # cut once


def test_the_text_font_keeps_every_character_of_the_apps_texts_it_had(tmp_path):
    app = StaticCompression(streamlit_like(), Store(tmp_path))
    call(app, TEXT, CHROMIUM)
    made(app, TEXT, "font")
    status, headers, body = call(app, TEXT, CHROMIUM)
    whole = (STATIC_DIR / TEXT.lstrip("/")).read_bytes()
    assert status == 200 and len(body) < 0.6 * len(whole) and headers["cache-control"] == "no-cache"
    had, kept = TTFont(io.BytesIO(whole)).getBestCmap(), TTFont(io.BytesIO(body)).getBestCmap()
    texts = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "webapp" / "i18n").glob("*.toml"))
    assert {c for c in texts if ord(c) in had} <= {chr(code) for code in kept}
    signs = {c for c in "μσεθ∇≈≤≥→−·×ℒ" if ord(c) in had}  # the figures' signs that Source Sans draws
    assert len(signs) >= 8 and signs <= {chr(code) for code in kept}


def test_the_rest_passes_through(tmp_path):
    app = StaticCompression(streamlit_like(), Store(tmp_path))
    for path, headers in ((BUNDLE, {}), (BUNDLE, {"Accept-Encoding": "identity"}),
                          (BUNDLE, {"Accept-Encoding": "*;q=0"}), (BUNDLE, {**CHROMIUM, "Range": "bytes=0-99"}),
                          (ITALIC, CHROMIUM), ("/_stcore/health", CHROMIUM), ("/api/rooms/ABCDE", CHROMIUM)):
        assert call(app, path, headers) == call(streamlit_like(), path, headers), (path, headers)
    assert call(app, BUNDLE)[2] == (STATIC_DIR / BUNDLE.lstrip("/")).read_bytes()
    assert call(app, BUNDLE, {**CHROMIUM, "Range": "bytes=0-99"})[0] == 206
    assert app.copies == {}


def test_a_prepared_store_answers_the_first_request_with_no_work_on_its_path(monkeypatch):
    """`python -m hall.compression` makes every copy before the first visitor (make test made this environment's
    store; any copy missing is made here, once): brotli and the cut fonts answer the very first requests, and nothing
    is compressed or cut on their way."""
    store = compression.STORE
    store.prepare()
    assert store.missing() == [] and store.prepare() == 0  # made once, kept
    assert (store.folder / f"{BUNDLE.lstrip('/')}.br").is_file()

    def no_work(file, kind):
        raise AssertionError(f"{file.name} made ({kind}) on a request's path")

    monkeypatch.setattr(compression, "made", no_work)
    app = StaticCompression(streamlit_like(), store)
    status, headers, body = call(app, BUNDLE, CHROMIUM)
    assert status == 200 and headers["content-encoding"] == "br"
    assert brotli.decompress(body) == (STATIC_DIR / BUNDLE.lstrip("/")).read_bytes()
    assert call(app, "/", GZIP)[1]["content-encoding"] == "gzip"
    status, headers, body = call(app, ICONS, CHROMIUM)
    assert headers["cache-control"] == "no-cache" and len(body) < (STATIC_DIR / ICONS.lstrip("/")).stat().st_size / 4


def test_accept_encoding():
    assert coding("gzip, deflate, br, zstd") == "br" and coding("br;q=0, gzip") == "gzip" and coding("*") == "br"
    assert coding("gzip") == "gzip" and coding("deflate, gzip;q=0.5") == "gzip" and coding("*, br;q=0") == "gzip"
    assert coding("") is None and coding("gzip;q=0") is None and coding("*, gzip; q=0, br;q=0") is None
    assert coding("identity") is None and coding("gzip;q=1.2.3") is None


def brotli_made(url: str, headers: dict) -> requests.Response:
    """The server's answer once its brotli copy is made (gzip's answers until then)."""
    for _ in range(240):
        answer = requests.get(url, headers=headers, stream=True, timeout=30)
        if answer.headers["content-encoding"] == "br":
            return answer
        time.sleep(0.5)
    raise AssertionError(f"no brotli copy of {url} after 2 minutes")


@pytest.mark.server
def test_a_fresh_process_answers_its_first_requests_from_the_environments_copies():
    """What `make run` and the image do: the copies are made when the environment is built (a no-op here when `make
    test` made them), so a process just started answers its very first requests in brotli and with the cut fonts."""
    compression.STORE.prepare()
    process = start_app(port := free_port())
    try:
        url = f"http://127.0.0.1:{port}"
        bundle = requests.get(url + BUNDLE, headers=CHROMIUM, stream=True, timeout=30)
        assert bundle.headers["content-encoding"] == "br"
        assert brotli.decompress(bundle.raw.read()) == (STATIC_DIR / BUNDLE.lstrip("/")).read_bytes()
        assert requests.get(url + "/", headers=CHROMIUM, timeout=30).headers["content-encoding"] == "br"
        font = requests.get(url + ICONS, headers=CHROMIUM, timeout=30)
        assert font.headers["cache-control"] == "no-cache"
        assert len(font.content) < (STATIC_DIR / ICONS.lstrip("/")).stat().st_size / 4
    finally:
        stop_app(process)


def test_the_apps_server_sends_them(app_url):
    """`streamlit run app.py`: app.py's st.App wires the middleware in, before Streamlit's own."""
    plain = requests.get(app_url + BUNDLE, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "content-encoding" not in plain.headers
    for accepted, name, decompress in ((CHROMIUM, "br", brotli.decompress), (GZIP, "gzip", gzip.decompress)):
        compressed = brotli_made(app_url + BUNDLE, accepted) if name == "br" else requests.get(
            app_url + BUNDLE, headers=accepted, stream=True, timeout=30)
        assert compressed.headers["content-encoding"] == name and decompress(compressed.raw.read()) == plain.content
    index = brotli_made(app_url + "/", CHROMIUM)
    assert index.headers["content-encoding"] == "br" and index.headers["cache-control"] == "no-cache"
    assert brotli.decompress(index.raw.read()).decode() == INDEX
    assert "content-encoding" not in requests.get(app_url + "/_stcore/health", headers=CHROMIUM, timeout=30).headers
    for _ in range(240):  # the whole font answers until its cut is made
        font = requests.get(app_url + ICONS, headers=CHROMIUM, timeout=30)
        if font.headers["cache-control"] == "no-cache":
            break
        time.sleep(0.5)
    assert font.status_code == 200 and len(font.content) < (STATIC_DIR / ICONS.lstrip("/")).stat().st_size / 4
