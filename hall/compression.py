"""Streamlit's frontend made lighter for a first load: its JavaScript and CSS under /static/, and index.html at /,
compressed (brotli where the browser takes it, else gzip), and its fonts cut to what the app shows (hall/fonts.py),
each made once, before the first visitor, and kept on disk.

Streamlit serves these files uncompressed on purpose and leaves compression to a proxy or CDN
(streamlit/web/server/starlette/starlette_gzip_middleware.py): Starlette's GZipMiddleware compresses every response
anew, a CPU cost paid by each first load. A Space has no such proxy in front of the app, and most of a phone's first
load is that JavaScript, which brotli shrinks to a fifth. Brotli at its best is slow (all 256 files: 42 s of CPU, gzip
0.9 s) and each font's cut takes 3 s, so they are made when the environment is built, as WhiteNoise and nginx's
brotli_static do: `python -m hall.compression` (`make run` and `make test` run it, the Docker image runs it when it
is built) writes every copy into a folder of Streamlit's version (Store), in a few seconds of two cores. A process
that starts without them (a venv made otherwise) makes the missing ones in the background, beside serving (app.py's
lifespan); until a copy is on disk gzip's answers (made in milliseconds) where brotli's is missing, and the whole font
where its cut is.

Streamlit's own handler still answers every request's status and headers (the immutable cache headers of the hashed
names, 304s, its path checks); this middleware only swaps the body. A cut font keeps the original's address, so it
goes with an ETag of its own and no-cache: a browser asks again on each load, and a 304 answers while the cut stays
the same. Other fonts (woff2) and pictures are compressed already and pass through, as does everything else."""
import asyncio
import contextlib
import gzip
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from hall import fonts

# what Streamlit serves at / (starlette_static_routes.py), found without importing Streamlit
STREAMLIT = Path(importlib.util.find_spec("streamlit").origin).parent
STATIC_DIR = (STREAMLIT / "static").resolve()
STREAMLIT_VERSION = importlib.metadata.version("streamlit")
TEXT_SUFFIXES = {".js", ".css", ".html", ".json", ".svg", ".map", ".txt"}
FONT = re.compile(r"/static/media/(MaterialSymbols-Rounded|SourceSansVF-Upright)\.[\w.-]+\.woff2")  # fonts.py's
MINIMUM_SIZE = 500  # bytes, as Starlette's GZipMiddleware: below it a coding's own header eats most of the gain
CODINGS = ("br", "gzip")  # the server's preference
CODING = re.compile(r"\s*([\w*-]+)\s*(?:;\s*q\s*=\s*([01](?:\.\d*)?))?\s*")  # a coding and its q (RFC 9110, 12.4.2)
SUFFIXES = {"br": ".br", "gzip": ".gz"}  # a kept copy's name: the file's own, then this (a font's cut: .cut-KEY)


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
    kinds = lighter_kinds(file)
    if kinds == ("font",):
        return file, "font"
    taken = kinds and coding(headers.get("accept-encoding", ""))
    return (file, taken) if taken else None


def lighter_kinds(file: Path) -> tuple[str, ...]:
    """What lighter_file can make of this file of Streamlit's frontend, whatever the request: its codings or its cut."""
    if FONT.fullmatch("/" + file.relative_to(STATIC_DIR).as_posix()):
        return ("font",)
    return CODINGS if file.suffix in TEXT_SUFFIXES and file.stat().st_size >= MINIMUM_SIZE else ()


def made(file: Path, kind: str) -> bytes:
    """The file as kind makes it (lighter_file)."""
    if kind == "font":
        return fonts.cut(file, STATIC_DIR)
    if kind == "br":
        return brotli.compress(file.read_bytes(), quality=11)
    return gzip.compress(file.read_bytes(), compresslevel=9, mtime=0)


class Store:
    """The lighter copies kept on disk: in a folder of Streamlit's version (its files' names and contents come with
    it), each named after its file, a font's cut after what it keeps too (fonts.key), so that a new Streamlit or new
    texts make new copies and never serve stale ones."""

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, file: Path, kind: str) -> Path:
        suffix = f".cut-{fonts.key()}" if kind == "font" else SUFFIXES[kind]
        return self.folder / f"{file.relative_to(STATIC_DIR).as_posix()}{suffix}"

    def has(self, file: Path, kind: str) -> bool:
        return self.path(file, kind).is_file()

    def lighter(self, file: Path, kind: str) -> bytes:
        """The file as kind makes it: the kept copy, or made now and kept (where the disk lets it)."""
        path = self.path(file, kind)
        with contextlib.suppress(FileNotFoundError):
            return path.read_bytes()
        body = made(file, kind)
        with contextlib.suppress(OSError):  # a read-only disk: served from memory all the same
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            os.replace(tmp, path)  # whole or not at all, for the other processes that read it
        return body

    def missing(self) -> list[tuple[Path, str]]:
        """The copies not made yet, (file, kind) each."""
        return [(file, kind) for file in sorted(STATIC_DIR.rglob("*")) if file.is_file()
                for kind in lighter_kinds(file) if not self.has(file, kind)]

    def prepare(self, workers: int = os.cpu_count() or 1) -> int:
        """Make every missing copy, the slowest first, on workers threads (brotli lets go of the GIL); how many."""
        missing = sorted(self.missing(), key=lambda each: (each[1] == "gzip", -each[0].stat().st_size))
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda each: self.lighter(*each), missing))
        return len(missing)


STORE = Store(Path(os.environ.get("VAEDEMO_CACHE", Path.home() / ".cache" / "vaedemo"))
              / f"streamlit-{STREAMLIT_VERSION}")


class StaticCompression:
    """ASGI middleware (st.App(middleware=[Middleware(StaticCompression)])): the lighter copies of Streamlit's
    frontend, from store."""

    def __init__(self, app: ASGIApp, store: Store = STORE):
        self.app = app
        self.store = store
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
        if kind == "br" and not self.ready(file, headers["etag"], "br"):
            kind = "gzip"  # brotli at its best takes seconds a large file: gzip's copy until brotli's is made
        if kind == "font" and not self.ready(file, headers["etag"], "font"):
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

    def ready(self, file: Path, etag: str, kind: str) -> bool:
        """Whether the file's copy of this kind answers at once: kept on disk or made here (else it is being made)."""
        return self.copy(file, etag, kind).done() or self.store.has(file, kind)

    def copy(self, file: Path, etag: str, kind: str) -> asyncio.Task[bytes]:
        """The file made lighter (Store.lighter), read or made once for as long as Streamlit gives it this ETag, in a
        worker thread."""
        key = (file, etag, kind)
        if key not in self.copies:
            self.copies[key] = asyncio.ensure_future(anyio.to_thread.run_sync(self.store.lighter, file, kind))
        return self.copies[key]

    async def headers_only(self, scope: Scope, receive: Receive) -> dict:
        """Streamlit's answer to the same request as a HEAD without Accept-Encoding: its status and headers."""
        plain = [(name, value) for name, value in scope["headers"] if name != b"accept-encoding"]
        messages = []

        async def keep(message):
            messages.append(message)

        await self.app({**scope, "method": "HEAD", "headers": plain}, receive, keep)
        return messages[0]


def main():
    """python -m hall.compression: make and keep every lighter copy (the environment's build: make run, the image)."""
    started = time.perf_counter()
    made_now = STORE.prepare()
    print(f"Streamlit's files: {made_now} lighter copies made in {time.perf_counter() - started:.1f} s"
          if made_now else "Streamlit's files: every lighter copy made already", f"({STORE.folder})", file=sys.stderr)


if __name__ == "__main__":
    main()
