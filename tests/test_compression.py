"""Streamlit's frontend gzip-compressed once and kept (webapp/compression.py): the middleware around Streamlit's own
static handler on a small Starlette app, where its cache can be read, then the app as `streamlit run app.py` serves
it."""
import asyncio
import gzip
import re
from concurrent.futures import ThreadPoolExecutor

import requests
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from streamlit.web.server.starlette.starlette_static_routes import create_streamlit_static_handler

from webapp.compression import STATIC_DIR, StaticCompression, accepts_gzip

GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # Chromium's
INDEX = (STATIC_DIR / "index.html").read_text()
BUNDLE = "/" + re.search(r'<script type="module" crossorigin src="\./(static/js/index\.[\w-]+\.js)"', INDEX)[1]
FONT = re.search(r'href="\.(/static/media/[\w.-]+\.woff2)"', INDEX)[1]


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

    with ThreadPoolExecutor(1) as loop_of_its_own:  # Playwright's sync API keeps a loop running in this thread
        loop_of_its_own.submit(asyncio.run, app(scope, receive, send)).result()
    return (sent[0]["status"], {name.decode(): value.decode() for name, value in sent[0]["headers"]},
            b"".join(message.get("body", b"") for message in sent[1:]))


def test_a_bundle_comes_gzipped_once_with_streamlits_headers():
    app = StaticCompression(streamlit_like())
    status, headers, body = call(app, BUNDLE, GZIP)
    plain_status, plain_headers, plain = call(streamlit_like(), BUNDLE, GZIP)  # Streamlit's own answer
    assert status == plain_status == 200 and plain == (STATIC_DIR / BUNDLE.lstrip("/")).read_bytes()
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == plain and len(body) < len(plain) / 3
    assert int(headers["content-length"]) == len(body)
    for name in ("content-type", "cache-control", "last-modified"):
        assert headers[name] == plain_headers[name]
    assert "immutable" in headers["cache-control"] and headers["etag"] == f"W/{plain_headers['etag']}"
    assert call(app, BUNDLE, GZIP)[2] == body  # the kept copy
    head_status, head_headers, head_body = call(app, BUNDLE, GZIP, method="HEAD")
    assert head_status == 200 and head_body == b"" and head_headers == headers
    assert len(app.copies) == 1 and app.copies[next(iter(app.copies))].result() == body  # compressed once
    status, headers, _ = call(app, BUNDLE, {**GZIP, "If-None-Match": headers["etag"]})
    assert status == 304  # Streamlit's own answer to a browser revalidating its copy


def test_the_rest_passes_through():
    app = StaticCompression(streamlit_like())
    for path, headers in ((BUNDLE, {}), (BUNDLE, {"Accept-Encoding": "identity"}),
                          (BUNDLE, {"Accept-Encoding": "*;q=0"}), (BUNDLE, {**GZIP, "Range": "bytes=0-99"}),
                          (FONT, GZIP), ("/_stcore/health", GZIP), ("/api/rooms/ABCDE", GZIP)):
        assert call(app, path, headers) == call(streamlit_like(), path, headers), (path, headers)
    assert call(app, BUNDLE)[2] == (STATIC_DIR / BUNDLE.lstrip("/")).read_bytes()
    assert call(app, BUNDLE, {**GZIP, "Range": "bytes=0-99"})[0] == 206
    assert app.copies == {}


def test_accept_encoding():
    assert accepts_gzip("gzip") and accepts_gzip("deflate, gzip;q=0.5") and accepts_gzip("br, *")
    assert not accepts_gzip("") and not accepts_gzip("br") and not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("*, gzip; q=0") and not accepts_gzip("identity") and not accepts_gzip("gzip;q=1.2.3")


def test_the_apps_server_sends_gzip(app_url):
    """`streamlit run app.py`: app.py's st.App wires the middleware in, before Streamlit's own."""
    compressed = requests.get(app_url + BUNDLE, headers=GZIP, stream=True, timeout=30)
    plain = requests.get(app_url + BUNDLE, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert compressed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert gzip.decompress(compressed.raw.read()) == plain.content
    index = requests.get(app_url + "/", headers=GZIP, stream=True, timeout=30)
    assert index.headers["content-encoding"] == "gzip" and index.headers["cache-control"] == "no-cache"
    assert gzip.decompress(index.raw.read()).decode() == INDEX
    assert "content-encoding" not in requests.get(app_url + "/_stcore/health", headers=GZIP, timeout=30).headers
