"""Streamlit's frontend (its JavaScript and CSS under /static/, and index.html at /) gzip-compressed once and kept.

Streamlit serves these files uncompressed on purpose and leaves compression to a proxy or CDN
(streamlit/web/server/starlette/starlette_gzip_middleware.py): Starlette's GZipMiddleware compresses every response
anew, a CPU cost paid by each first load. A Space has no such proxy in front of the app, and most of a phone's first
load is that JavaScript, which gzip shrinks to about a quarter. So each file is compressed once, level 9, in a worker
thread, and the copy kept in memory for as long as Streamlit describes the file the same (its ETag: modification time
and size). Streamlit's own handler still answers every request's status and headers (the immutable cache headers of
the hashed names, 304s, its path checks); this middleware only swaps the body. Fonts (woff2) and pictures are
compressed already and pass through, as does everything else."""
import asyncio
import gzip
import re
from pathlib import Path

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import file_util

STATIC_DIR = Path(file_util.get_static_dir()).resolve()  # what Streamlit serves at / (starlette_static_routes.py)
TEXT_SUFFIXES = {".js", ".css", ".html", ".json", ".svg", ".map", ".txt"}
MINIMUM_SIZE = 500  # bytes, as Starlette's GZipMiddleware: below it gzip's own header eats most of the gain
CODING = re.compile(r"\s*([\w*-]+)\s*(?:;\s*q\s*=\s*([01](?:\.\d*)?))?\s*")  # a coding and its q (RFC 9110, 12.4.2)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether a request's Accept-Encoding allows gzip (RFC 9110, 12.5.3: q=0 refuses a coding, * names the rest)."""
    weights = {}
    for coding in accept_encoding.lower().split(","):
        if match := CODING.fullmatch(coding):
            weights[match[1]] = float(match[2] or 1)
    return weights.get("gzip", weights.get("*", 0)) > 0


def compressible_file(scope: Scope) -> Path | None:
    """The file of Streamlit's frontend a request asks for, where it is text worth compressing and gzip is welcome."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    path, headers = scope["path"], Headers(scope=scope)
    if path != "/" and not path.startswith("/static/") or "range" in headers:
        return None
    file = (STATIC_DIR / (path.lstrip("/") or "index.html")).resolve()
    if (file.suffix in TEXT_SUFFIXES and file.is_relative_to(STATIC_DIR) and file.is_file()
            and file.stat().st_size >= MINIMUM_SIZE and accepts_gzip(headers.get("accept-encoding", ""))):
        return file
    return None


def gzip_file(file: Path) -> bytes:
    return gzip.compress(file.read_bytes(), compresslevel=9, mtime=0)


class StaticCompression:
    """ASGI middleware (st.App(middleware=[Middleware(StaticCompression)])): gzip copies of Streamlit's frontend."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.copies: dict[tuple[Path, str], asyncio.Task[bytes]] = {}  # (file, its ETag) -> its gzip bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send):
        file = compressible_file(scope)
        if file is None:
            await self.app(scope, receive, send)
            return
        start = await self.headers_only(scope, receive)
        if start["status"] != 200:  # a 304, or Streamlit refusing the path: its own full answer
            await self.app(scope, receive, send)
            return
        headers = MutableHeaders(raw=list(start["headers"]))
        key = (file, headers["etag"])
        if key not in self.copies:
            self.copies[key] = asyncio.ensure_future(anyio.to_thread.run_sync(gzip_file, file))
        body = await asyncio.shield(self.copies[key])  # a client leaving does not cancel the copy others await
        headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(body))
        headers["etag"] = f"W/{headers['etag']}"  # the same file in another coding; Streamlit's 304s accept it
        headers.append("vary", "Accept-Encoding")
        del headers["accept-ranges"]  # ranges are served from the uncompressed file
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})

    async def headers_only(self, scope: Scope, receive: Receive) -> dict:
        """Streamlit's answer to the same request as a HEAD without Accept-Encoding: its status and headers."""
        plain = [(name, value) for name, value in scope["headers"] if name != b"accept-encoding"]
        messages = []

        async def keep(message):
            messages.append(message)

        await self.app({**scope, "method": "HEAD", "headers": plain}, receive, keep)
        return messages[0]
