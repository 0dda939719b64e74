"""The latent map: the test codes of a model on the plane of its map, and that model's decoder running in the
browser, which decodes the point under the pointer on every move (mouse, pen or finger) and paints the digit beside
the map at once. The server hears of it only when a point is picked (on a page that asks for picks).

Three components:
- `vaedemo.model` carries a model's map as the browser sees it: its test codes projected onto the map's plane, its
  kind and size (and a VQ-VAE's codebook). A page sends each of its models once per run, outside the fragments that
  rerun often (send_models): the element is the same message on every rerun, so Streamlit's message cache sends it
  as a reference of a few bytes after the first time. The weights (float16) are no part of a page's first load: the
  browser fetches the decoder's and the encoder's, each a file (hall/model_files.py), as soon as a drawing pad is on
  screen or when a part first needs them (components/decodes.js), and keeps them.
- `vaedemo.latent_map` draws one model's map (or, for a training run, the codes after each of its epochs), or
  decodes two models along the straight lines between two codes as a slider is dragged (interpolation). A map may be
  shaded by the densities of its plane, the prior's and the aggregate posterior's (density_layer): where the prior
  has holes.
- `vaedemo.marks` carries what moves on a map with every stroke or pick (the star, its code, the ellipse), so
  that the map's element, with its script, stays the same message too and goes as a reference (docs/benchmarks.md
  has the bytes a stroke costs).
"""
import hashlib
import json
from typing import NamedTuple

import numpy as np
import streamlit as st
import torch
from torch import nn

from hall import model_files
from vaedemo.latent import PRIOR_PEAK, PriorHoles
from vaedemo.models import per_model
from vaedemo.viz import DIGIT_COLOURS, latent_plane
from webapp.components import asset
from webapp.i18n import t

_model = st.components.v2.component("vaedemo.model", js=asset("engine.js", "model.js"))
_marks = st.components.v2.component("vaedemo.marks", js=asset("marks.js"))
_map = st.components.v2.component("vaedemo.latent_map", html=asset("latent_map.html"), css=asset("latent_map.css"),
                                  js=asset("decodes.js", "runs.js", "latent_map.js"))
HIDDEN = "<style>.st-key-browser-models, [class*=st-key-marks] { display: none; }</style>"


class BrowserModel(NamedTuple):
    """A model packed for the browser: the bytes the `vaedemo.model` element carries, named by their hash, and its
    encoder's and decoder's, which the browser fetches when it first needs them (pack)."""
    id: str
    blob: bytes
    encoder: bytes
    decoder: bytes
    centre: torch.Tensor | None  # (d,) the map's plane: the point it shows at (0, 0) ... (None: a VQ-VAE's)
    axes: torch.Tensor | None  # (d, 2) ... and its two directions
    points: np.ndarray | None  # (N, 2) the codes on that plane

    def project(self, z: torch.Tensor) -> list[float]:
        """Where a code z (d,) lies on the map: its coordinates along the plane's axes."""
        return ((z - self.centre) @ self.axes).tolist()


@per_model
def browser_model(model, codes: torch.Tensor, labels: torch.Tensor) -> BrowserModel:
    """The model and its codes (N, d) of the test images labelled labels (N,), packed once per model."""
    return pack(model, codes, labels)


@per_model
def browser_codes(vqvae) -> BrowserModel:
    """browser_model for a VQ-VAE: its codebook and weights, packed once per model (pack_codes)."""
    return pack_codes(vqvae)


def pack(model, codes: torch.Tensor, labels: torch.Tensor) -> BrowserModel:
    """Three blobs in one format: its id (a hash of the rest, 24 hex digits), a little-endian uint32 header length, the
    JSON header (where each array lies, and what they are), then the arrays, each at a multiple of 4 bytes. The
    model's: the kind, the plane, the codes on it and the ids of its encoder's and decoder's blobs ("encoder_file",
    "decoder_file"); theirs: the layers ("layers") and their weights. Linear weights go transposed (in, out), so that
    the browser skips the inputs a ReLU (or a blank pixel) zeroed."""
    centre, axes = latent_plane(codes)
    points = ((codes - centre) @ axes).numpy().astype(np.float32)  # (N, 2)
    arrays = []
    encoder = packed_layers(model.encoder, [1, 28, 28] if model.config.arch == "conv" else None)
    decoder = packed_layers(model.decoder, None)
    header = {"kind": model.kind, "latent_dim": codes.shape[1], "centre": centre.tolist(), "axes": axes.T.tolist(),
              "encoder_file": encoder[:24].decode(), "decoder_file": decoder[:24].decode(),
              "points": add(arrays, points), "labels": add(arrays, labels.numpy().astype(np.uint8))}
    name, blob = packed(header, arrays)
    return BrowserModel(name, blob, encoder, decoder, centre, axes, points)


def pack_codes(vqvae) -> BrowserModel:
    """A VQ-VAE for the browser, in pack's format: its encoder, whose output is the grid (D, h, w) of vectors, its
    decoder, whose input is the grid of codebook vectors, and its codebook (K, D) in float32 (header "codebook"); no
    plane, no test codes."""
    arrays = []
    encoder = packed_layers(vqvae.encoder, [1, 28, 28])
    decoder = packed_layers(vqvae.decoder, [vqvae.latent_dim, vqvae.grid, vqvae.grid])
    header = {"kind": "vqvae", "latent_dim": vqvae.latent_dim, "grid": vqvae.grid,
              "codebook_size": vqvae.codebook_size, "encoder_file": encoder[:24].decode(),
              "decoder_file": decoder[:24].decode(),
              "codebook": add(arrays, vqvae.codebook.detach().numpy().astype(np.float32))}
    name, blob = packed(header, arrays)
    return BrowserModel(name, blob, encoder, decoder, None, None, None)


def packed_layers(network: nn.Sequential, shape: list | None) -> bytes:
    """An encoder's or a decoder's blob in pack's format: its layers (header "layers") and their weights."""
    arrays = []
    return packed({"layers": browser_layers(network, shape, arrays)}, arrays)[1]


def add(arrays: list, array: np.ndarray) -> int:
    arrays.append(np.ascontiguousarray(array))
    return len(arrays) - 1


def browser_layers(network: nn.Sequential, shape: list | None, arrays: list) -> list[dict]:
    """An encoder's or a decoder's layers as engine.js runs them, their weights appended to arrays. shape: the input's
    (channels, size, size) where the input is a grid; None for a vector (then an Unflatten gives the grid's shape)."""
    layers = []
    for layer in network:
        if isinstance(layer, nn.Linear):
            layers.append({"op": "linear", "in": layer.in_features, "out": layer.out_features,
                           "weight": add(arrays, layer.weight.detach().T.numpy().astype(np.float16)),
                           "bias": add(arrays, layer.bias.detach().numpy().astype(np.float32))})
        elif isinstance(layer, nn.ReLU):
            layers.append({"op": "relu"})
        elif isinstance(layer, nn.Unflatten):
            shape = list(layer.unflattened_size)  # (channels, size, size): a flat array in the same order
        elif isinstance(layer, nn.Flatten):
            shape = None  # (channels, size, size) read as one vector in the same order
        elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) and shape is not None:
            (k, _), (stride, _), (padding, _) = layer.kernel_size, layer.stride, layer.padding
            transposed = isinstance(layer, nn.ConvTranspose2d)
            size = ((shape[1] - 1) * stride - 2 * padding + k if transposed
                    else (shape[1] + 2 * padding - k) // stride + 1)
            layers.append({"op": "conv_transpose" if transposed else "conv", "in": shape[0], "out": layer.out_channels,
                           "size_in": shape[1], "size_out": size, "kernel": k, "stride": stride, "padding": padding,
                           # (in, out, k, k) transposed, (out, in, k, k) not
                           "weight": add(arrays, layer.weight.detach().numpy().astype(np.float16)),
                           "bias": add(arrays, layer.bias.detach().numpy().astype(np.float32))})
            shape = [layer.out_channels, size, size]
        else:
            raise ValueError(f"a browser decoder has no {type(layer).__name__} layer")
    return layers


def packed(header: dict, arrays: list) -> tuple[str, bytes]:
    """(id, blob): the header and the arrays laid out as pack's docstring says."""
    offsets, sections, at = [], [], 0
    for array in arrays:
        offsets.append([at, array.dtype.str[1:], array.size])  # byte offset, "f2" / "f4" / "u1", count
        sections.append(array.tobytes() + bytes(-array.nbytes % 4))
        at += len(sections[-1])
    header["arrays"] = offsets
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 4)
    body = len(text).to_bytes(4, "little") + text + b"".join(sections)
    name = hashlib.blake2b(body, digest_size=12).hexdigest()  # 24 hex digits, the blob's first bytes
    return name, name.encode() + body


def send_models(*models: BrowserModel):
    """The page's models, each sent to the browser as one hidden element, its encoder and decoder offered as files (see
    the module's docstring)."""
    with st.container(key="browser-models"):
        st.html(HIDDEN)
        for model in {model.id: model for model in models}.values():
            model_files.offer(model.encoder)
            model_files.offer(model.decoder)
            _model(key=f"model-{model.id}", data=model.blob)


def latent_map(key: str, model: BrowserModel | None, title: str, classes, *, bounds, z: torch.Tensor | None = None,
               ellipse: np.ndarray | None = None, circles=(), path: list | None = None, stars=None, pick: bool = False,
               names=("z₁", "z₂"), text: float = 12, frames: list | None = None, labels=None, height: float = 0.75,
               density: PriorHoles | None = None, on_pick=None, star_scale: float = 1.0):
    """One map of model's codes (sent with send_models in the same run) over bounds (x0, x1, y0, y1) in the plane's
    coordinates, square units, with the legend of classes and the title under it. Marks: z (d,), a star, whose
    decode the panel beside the map shows while the pointer is elsewhere; ellipse (M, 2), a line around it; circles
    (radii about the origin, the prior's); path (two codes (d,), A and B); stars (M, d), a small star each (a class's
    drawings). With pick, a click or the end of a drag
    picks the point under the pointer (the nearest test code's own within a few pixels) and calls on_pick, which
    finds {"z": [...], "row": test image or None} under st.session_state[key].pick. frames: [(caption, points
    (N, 2))] with their labels (N,), shown one at a time with a slider, in place of a model's codes (model None:
    nothing to decode). height: the map's height over its width. density: a 2-D model's densities on its plane, shaded
    under its codes (density_layer). star_scale: the small stars' size as a share of the text's (hundreds of them: less
    than 1). Returns the map's marks, for send_marks: a page whose maps have a star sends them
    in every run that draws the maps."""
    data = {"key": key, "model": model and model.id, "title": title, "classes": list(classes),
            "colours": DIGIT_COLOURS, "bounds": [round(float(b), 4) for b in bounds], "names": list(names),
            "text": text, "pick": pick, "height": height, "circles": list(circles), "words": words()}
    mark = {"map": key}  # what moves with every stroke or pick goes in an element of its own (components/marks.js)
    if z is not None:
        mark["z"] = [round(v, 5) for v in z.tolist()]
        mark["point"] = model.project(z)
    if stars is not None:
        places = [model.project(torch.as_tensor(code, dtype=torch.float32)) for code in stars]
        mark["stars"] = np.round(np.asarray(places, np.float64).reshape(-1, 2), 3).tolist()
        if star_scale != 1.0:
            mark["star_scale"] = star_scale
    if ellipse is not None:
        mark["ellipse"] = np.round(np.asarray(ellipse, np.float64), 3).tolist()
    if path is not None:
        data["path"] = [model.project(end) for end in path]
    if density is not None:
        data["density"] = density_layer(density)
    if frames is not None:
        # rounded as float64: a float32 rounds to a number that JSON writes with all its digits, 3 times the bytes
        data["frames"] = [{"caption": caption, "points": np.round(np.asarray(points, np.float64), 3).ravel().tolist()}
                          for caption, points in frames]
        data["labels"] = labels.tolist()
    _map(key=key, data=data, on_pick_change=on_pick or (lambda: None), width="stretch")
    return mark


def density_layer(holes: PriorHoles) -> dict:
    """A map's shading as latent_map.js draws it: the grid's extent and cells, and each cell's prior and aggregate
    posterior as a share of the prior's peak, clipped at 1, in levels 0 to 255 (rows from the top). For the Latent
    page's 80 x 80 cells 28 kB of JSON, 2 kB as the websocket compresses it, sent only while the shading is on."""
    def levels(density: torch.Tensor) -> list[int]:
        return np.round(255 * np.clip(density.numpy() / PRIOR_PEAK, 0, 1)).astype(int).ravel().tolist()

    return {"extent": holes.extent, "cells": len(holes.prior), "prior": levels(holes.prior),
            "aggregate": levels(holes.aggregate)}


def send_marks(*marks: dict, key: str = "marks"):
    """The marks of the page's maps (what latent_map returned), in one hidden element: each element costs the server
    a millisecond or so of every run that draws it. A map's marks come in one element only (the latest sent wins);
    a fragment that moves one map's marks alone sends them under a key of its own, starting with "marks"."""
    _marks(key=key, data={"marks": list(marks)})


def interpolation_slider(key: str, models: list[BrowserModel], captions: list[str],
                         ends: list[tuple[torch.Tensor, torch.Tensor]]):
    """A slider from A to B; as it moves, each of the models decodes the point that far along the straight line
    between its two codes ends[i] (each (d,)), shown over captions[i]."""
    _map(key=key, data={"interpolation": True, "models": [model.id for model in models], "captions": captions,
                        "ends": [[a.tolist(), b.tolist()] for a, b in ends], "words": words()}, width="stretch")


def words() -> dict:
    """The component's own texts, in the session's language."""
    return {name: t(f"map.{name}") for name in ("point_at", "your_code", "decoded_at", "pc_short", "of_the_way",
                                                "from_a_to_b", "digit", "prior_shade", "codes_shade")}
