"""The models' weights as files: GET /api/models/{id} on the app's own server (app.py mounts ROUTES beside
Streamlit's), each the blob that components/latent_map.py's pack made of an encoder or a decoder, named by the hash
of its content.

A page's first load carries each model's map only (the `vaedemo.model` element: the codes on its plane), which is
all its first screen shows on the Draw page. On a page with a drawing pad the browser fetches every encoder and
decoder its parts use as soon as the pad is on screen; elsewhere a decoder when a part first decodes (at once where
the page shows decodes, else at a map's first hover or touch) and an encoder when a part has a digit to answer
(components/decodes.js). It keeps them: the address names the content, so the
answer may be cached for good, and another page or a later visit with the same model asks nothing. The blobs go as
they are: float16 weights gain 5% from gzip (docs/benchmarks.md).

Each process offers the weights its pages sent (send_models), the most recent FILES of them; a browser asks the
process that serves its session (one process, or the one its sticky cookie names behind HAProxy)."""
import re
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FILES = 128  # blobs offered at once: the shipped models' and the latest of the sessions' own
ID = re.compile(r"[0-9a-f]{24}")
_offered: OrderedDict[str, bytes] = OrderedDict()  # id -> blob, the least recently offered first


def offer(blob: bytes):
    """Serve this encoder's or decoder's blob (its first 24 bytes are its id) at /api/models/{id}."""
    name = blob[:24].decode()
    _offered[name] = blob
    _offered.move_to_end(name)
    while len(_offered) > FILES:
        _offered.popitem(last=False)


async def blob_file(request: Request) -> Response:
    name = request.path_params["id"]
    blob = _offered.get(name) if ID.fullmatch(name) else None
    if blob is None:
        return JSONResponse({"error": "No such model here: open the page again to have it sent."}, status_code=404)
    return Response(blob, media_type="application/octet-stream",
                    headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{name}"'})


ROUTES = [Route("/api/models/{id}", blob_file, methods=["GET"])]
