"""The models' weights as files (hall/model_files.py): what a browser gets at /api/models/{id}. A first load
without them and the fetch at a pen's first touch are checked in a real browser (tests/webapp/test_browser_draw.py)."""
import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import brotli
from starlette.requests import Request

from hall import model_files


def ask(name: str, accept: str = ""):
    headers = [(b"accept-encoding", accept.encode())] if accept else []
    request = Request({"type": "http", "method": "GET", "path_params": {"id": name}, "headers": headers})
    with ThreadPoolExecutor(1) as loop_of_its_own:  # Playwright's sync API keeps a loop running in this thread
        return loop_of_its_own.submit(asyncio.run, model_files.blob_file(request)).result()


def blob(n: int) -> bytes:
    return f"{n:024x}".encode() + bytes(range(8)) * n


def test_an_offered_blob_is_served_as_a_file_kept_for_good():
    model_files.offer(blob(7))
    answer = ask(f"{7:024x}")
    assert answer.status_code == 200 and answer.body == blob(7)
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["etag"] == f'"{7:024x}"'


def test_a_blob_goes_in_brotli_once_made_where_the_browser_takes_it():
    weights = f"{8:024x}".encode() + bytes(range(256)) * 400  # 100 kB, as a 2-D model's half
    model_files.offer(weights)
    model_files._offered[f"{8:024x}"][1].result(timeout=30)  # made in its worker thread
    answer = ask(f"{8:024x}", "gzip, deflate, br, zstd")
    assert answer.headers["content-encoding"] == "br" and brotli.decompress(answer.body) == weights
    assert len(answer.body) < len(weights) and answer.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in ask(f"{8:024x}", "gzip").headers and ask(f"{8:024x}").body == weights
    large = f"{9:024x}".encode() + bytes(model_files.COMPRESSED_UP_TO)
    model_files.offer(large)
    assert "content-encoding" not in ask(f"{9:024x}", "br").headers  # a 16-D model's megabytes go as they are


def test_an_unknown_or_malformed_id_is_a_clear_404():
    for name in (f"{12345:024x}", "../../etc/passwd", "x" * 24):
        answer = ask(name)
        assert answer.status_code == 404
        assert "No such model" in json.loads(answer.body)["error"]


def test_only_the_most_recently_offered_encoders_are_kept():
    first, *rest = [blob(n) for n in range(1000, 1001 + model_files.FILES)]
    for each in [first, *rest[:-1]]:
        model_files.offer(each)
    model_files.offer(first)  # its page ran again: now the most recent
    model_files.offer(rest[-1])  # one too many: the least recently offered goes
    assert ask(first[:24].decode()).status_code == 200 and ask(rest[-1][:24].decode()).status_code == 200
    assert ask(rest[0][:24].decode()).status_code == 404
