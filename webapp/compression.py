"""Streamlit's frontend made lighter for a first load: its JavaScript and CSS under /static/, and index.html at /,
compressed once and kept (brotli where the browser takes it, else gzip), and its fonts cut to what the app shows
(webapp/fonts.py).

Streamlit serves these files uncompressed on purpose and leaves compression to a proxy or CDN
(streamlit/web/server/starlette/starlette_gzip_middleware.py): Starlette's GZipMiddleware compresses every response
anew, a CPU cost paid by each first load. A Space has no such proxy in front of the app, and most of a phone's first
load is that JavaScript, which brotli shrinks to a fifth. So each file is compressed once (brotli at quality 11,
gzip at level 9), in a worker thread, and the copy kept in memory for as long as Streamlit describes the file the
same (its ETag: modification time and size). Brotli at its best is slow (all 256 files: 42 s of CPU, gzip 0.9 s),
so gzip's copy answers until brotli's is made, and the whole font until its cut is (3 s each). Streamlit's own
handler still answers every request's status and headers (the immutable cache headers of the hashed names, 304s, its
path checks); this middleware only swaps the body. A cut font keeps the original's address, so it goes with an ETag
of its own and no-cache: a browser asks again on each load, and a 304 answers while the cut stays the same. Other
fonts (woff2) and pictures are compressed already and pass through, as does everything else."""
import asyncio
import gzip
import hashlib
import re
from pathlib import Path

import anyio
import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import file_util

from webapp import fonts

STATIC_DIR = Path(file_util.get_static_dir()).resolve()  # what Streamlit serves at / (starlette_static_routes.py)
TEXT_SUFFIXES = {".js", ".css", ".html", ".json", ".svg", ".map", ".txt"}
FONT = re.compile(r"/static/media/(MaterialSymbols-Rounded|SourceSansVF-Upright)\.[\w.-]+\.woff2")  # fonts.py's
MINIMUM_SIZE = 500  # bytes, as Starlette's GZipMiddleware: below it a coding's own header eats most of the gain
CODINGS = ("br", "gzip")  # the server's preference
CODING = re.compile(r"\s*([\w*-]+)\s*(?:;\s*q\s*=\s*([01](?:\.\d*)?))?\s*")  # a coding and its q (RFC 9110, 12.4.2)


def coding(accept_encoding: str) -> str | None:
    """The first of CODINGS a request's Accept-Encoding allows (RFC 9110, 12.5.3: q=0 refuses a coding, * names the
    rest), or None."""
    weights = {}
    for each in accept_encoding.lower().split(","):
        if match := CODING.fullmatch(each):
            weights[match[1]] = float(match[2] or 1)
    return next((name for name in CODINGS if weights.get(name, weights.get("*", 0)) > 0), None)


def lighter_file(scope: Scope) -> tuple[Path, str] | None:
    """The file of Streamlit's frontend a request asks for and what to make of it: its text in a coding the request
    takes ("br", "gzip"), or a font cut ("font")."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    path, headers = scope["path"], Headers(scope=scope)
    if path != "/" and not path.startswith("/static/") or "range" in headers:
        return None
    file = (STATIC_DIR / (path.lstrip("/") or "index.html")).resolve()
    if not file.is_relative_to(STATIC_DIR) or not file.is_file():
        return None
    if FONT.fullmatch(path):
        return file, "font"
    if file.suffix in TEXT_SUFFIXES and file.stat().st_size >= MINIMUM_SIZE:
        taken = coding(headers.get("accept-encoding", ""))
        return (file, taken) if taken else None
    return None


def made(file: Path, kind: str) -> bytes:
    """The file as kind makes it (lighter_file)."""
    if kind == "font":
        return fonts.cut(file, STATIC_DIR)
    if kind == "br":
        return brotli.compress(file.read_bytes(), quality=11)
    return gzip.compress(file.read_bytes(), compresslevel=9, mtime=0)


class StaticCompression:
    """ASGI middleware (st.App(middleware=[Middleware(StaticCompression)])): the lighter copies of Streamlit's
    frontend."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.copies: dict[tuple[Path, str, str], asyncio.Task[bytes]] = {}  # (file, its ETag, kind) -> the bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send):
        found = lighter_file(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        start = await self.headers_only(scope, receive)
        if start["status"] != 200:  # a 304, or Streamlit refusing the path: its own full answer
            await self.app(scope, receive, send)
            return
        file, kind = found
        headers = MutableHeaders(raw=list(start["headers"]))
        if kind == "br" and not self.copy(file, headers["etag"], "br").done():
            kind = "gzip"  # brotli at its best takes seconds a large file: gzip's copy until brotli's is made
        if kind == "font" and not self.copy(file, headers["etag"], "font").done():
            await self.app(scope, receive, send)  # the whole font until its cut is made (seconds)
            return
        # a client leaving does not cancel the copy others await
        body = await asyncio.shield(self.copy(file, headers["etag"], kind))
        del headers["accept-ranges"]  # ranges are served from Streamlit's own file
        if kind == "font":
            headers["etag"] = f'"cut-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'
            headers["cache-control"] = "no-cache"
            if Headers(scope=scope).get("if-none-match") == headers["etag"]:
                del headers["content-length"]
                await send({**start, "status": 304, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b""})
                return
        else:
            headers["content-encoding"] = kind
            headers["etag"] = f"W/{headers['etag']}"  # the same file in another coding; Streamlit's 304s accept it
            headers.append("vary", "Accept-Encoding")
        headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})

    def copy(self, file: Path, etag: str, kind: str) -> asyncio.Task[bytes]:
        """The file made lighter (made), once for as long as Streamlit gives it this ETag, in a worker thread."""
        key = (file, etag, kind)
        if key not in self.copies:
            self.copies[key] = asyncio.ensure_future(anyio.to_thread.run_sync(made, file, kind))
        return self.copies[key]

    async def headers_only(self, scope: Scope, receive: Receive) -> dict:
        """Streamlit's answer to the same request as a HEAD without Accept-Encoding: its status and headers."""
        plain = [(name, value) for name, value in scope["headers"] if name != b"accept-encoding"]
        messages = []

        async def keep(message):
            messages.append(message)

        await self.app({**scope, "method": "HEAD", "headers": plain}, receive, keep)
        return messages[0]
