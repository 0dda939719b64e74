"""The models' weights as files: GET /api/models/{id} on the app's own server (app.py mounts ROUTES beside
Streamlit's), each the blob that components/latent_map.py's pack made of an encoder or a decoder, named by the hash
of its content.

A page's first load carries each model's map only (the `vaedemo.model` element: the codes on its plane), which is
all its first screen shows on the Draw page. On a page with a drawing pad the browser fetches every encoder and
decoder its parts use as soon as the pad is on screen; elsewhere a decoder when a part first decodes (at once where
the page shows decodes, else at a map's first hover or touch) and an encoder when a part has a digit to answer
(components/decodes.js). It keeps them: the address names the content, so the
answer may be cached for good, and another page or a later visit with the same model asks nothing. Each blob goes in
brotli where the browser takes it, if it is at most a megabyte (float16 weights: 11-14% smaller, made once in a worker
thread when the blob is first offered, 0.1 s a 100 kB half of the 2-D pair, 1 s a megabyte; as it is until then): a
fifth of a second of a phone's first minute on a hall's wifi. The 16-D pairs' halves (1.6 to 13 MB) go as they are.

Each process offers the weights its pages sent (send_models), the most recent FILES of them; a browser asks the
process that serves its session (one process, or the one its sticky cookie names behind HAProxy)."""
import re
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

import brotli
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hall.compression import coding

FILES = 128  # blobs offered at once: the shipped models' and the latest of the sessions' own
ID = re.compile(r"[0-9a-f]{24}")
BROTLI_QUALITY = 10  # 11 gains nothing on float16 weights and takes four times as long
COMPRESSED_UP_TO = 2**20  # bytes: larger blobs go as they are
_offered: OrderedDict[str, tuple[bytes, Future | None]] = OrderedDict()  # id -> (blob, brotli copy), least recent first
_compressing = ThreadPoolExecutor(1, thread_name_prefix="vaedemo-model-files")  # brotli lets go of the GIL


def offer(blob: bytes):
    """Serve this encoder's or decoder's blob (its first 24 bytes are its id) at /api/models/{id}."""
    name = blob[:24].decode()
    if name not in _offered:
        compressed = (_compressing.submit(brotli.compress, blob, quality=BROTLI_QUALITY)
                      if len(blob) <= COMPRESSED_UP_TO else None)
        _offered[name] = (blob, compressed)
    _offered.move_to_end(name)
    while len(_offered) > FILES:
        _offered.popitem(last=False)


async def blob_file(request: Request) -> Response:
    name = request.path_params["id"]
    blob, compressed = _offered.get(name, (None, None)) if ID.fullmatch(name) else (None, None)
    if blob is None:
        return JSONResponse({"error": "No such model here: open the page again to have it sent."}, status_code=404)
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{name}"', "Vary": "Accept-Encoding"}
    if compressed and compressed.done() and coding(request.headers.get("accept-encoding", "")) == "br":
        blob, headers["Content-Encoding"] = compressed.result(), "br"
    return Response(blob, media_type="application/octet-stream", headers=headers)


ROUTES = [Route("/api/models/{id}", blob_file, methods=["GET"])]
