"""The latent-map component in tests. In AppTest: what the page gave each map (its data) and which models it sent to
the browser, and a pick on a map as the browser sends it (AppTest cannot run the component's JavaScript). In a real
browser: where a point of a map is on the screen, the digit a map paints, the messages the page sends."""
import copy
import json

import numpy as np
import torch
from playwright.sync_api import expect
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from torch import nn


def elements(at, name: str) -> list:
    return [element for element in at.get("bidi_component") if element.proto.component_name == name]


def maps(at) -> list[dict]:
    """The data of each latent map on the page, in order, with its marks (the element that carries them)."""
    marks = {mark["map"]: mark for e in elements(at, "vaedemo.marks") for mark in json.loads(e.proto.json)["marks"]}
    return [data | marks.get(data["key"], {}) for element in elements(at, "vaedemo.latent_map")
            if "interpolation" not in (data := json.loads(element.proto.json))]


def sent_models(at) -> list[str]:
    """The ids of the models the page sent to the browser (each blob opens with its id)."""
    return [element.proto.bytes[:24].decode() for element in elements(at, "vaedemo.model")]


def pick(at, value, index: int = 0):
    """Pick on the index-th map: the trigger the component sends on a click or at the end of a drag."""
    return trigger(at, elements(at, "vaedemo.latent_map")[index], "pick", value)


def trigger(at, element, event: str, value):
    """The component element's trigger event with this value, as its script sends it (setTriggerValue), and the run
    that follows."""
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = _make_trigger_id(element.proto.id, "events")
    state.json_trigger_value = json.dumps([{"event": event, "value": value}])
    return at._run(states)


# In a real browser. A map's root: page.locator(MAP) (Playwright's selectors reach into the components' shadow roots).
MAP = ".latent:has(.plot)"


def digit_shown(root) -> np.ndarray:
    """The 28x28 grey levels of the digit a map (or an interpolation's first figure) paints, uint8."""
    return np.array(root.evaluate("""root => {
        const canvas = root.querySelector('canvas.digit') || root.querySelector('figure canvas');
        return [...canvas.getContext('2d').getImageData(0, 0, 28, 28).data].filter((_, i) => i % 4 === 0);
    }"""), dtype=np.uint8).reshape(28, 28)


def screen_point(root, xy) -> tuple[float, float]:
    """Where a point of the map's plane (its coordinates along the map's axes) is on the screen."""
    return tuple(root.evaluate("""(root, xy) => {
        const [x, y] = root.frame.pixel(xy), box = root.querySelector('.plot').getBoundingClientRect();
        return [box.left + x, box.top + y];
    }""", list(xy)))


def decodes(root) -> int:
    return int(root.get_attribute("data-decodes"))


def point_at(page, root, x: float, y: float) -> None:
    """Move the mouse to (x, y) over a map, and wait for the map's decode there: a map's decoder comes at its first
    hover (or at once where the page shows decodes), and the latest point waits for it; later moves decode at once."""
    before = decodes(root)
    page.mouse.move(x, y)
    expect(root).to_have_attribute("data-decodes", str(before + 1), timeout=30_000)


def messages_to_the_server(page) -> list:
    """A list that fills with every websocket message the page sends from now on (register before page.goto)."""
    sent = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload)))
    return sent


def as_the_browser_has_it(model):
    """The model with its linear and convolution weights rounded to float16, as the browser receives them."""
    rounded = copy.deepcopy(model)
    with torch.no_grad():
        for layer in rounded.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                layer.weight.copy_(layer.weight.half().float())
    return rounded


DTYPES = {"f2": np.float16, "f4": np.float32, "u1": np.uint8}


def unpack(blob: bytes) -> tuple[str, dict, list[np.ndarray]]:
    """(id, header, arrays) of a packed model, encoder or decoder, read the way engine.js reads it."""
    length = int.from_bytes(blob[24:28], "little")
    header = json.loads(blob[28:28 + length])
    start = 28 + length
    arrays = [np.frombuffer(blob, DTYPES[kind], count, start + offset) for offset, kind, count in header["arrays"]]
    return blob[:24].decode(), header, arrays


def decode(header: dict, arrays: list[np.ndarray], z: np.ndarray) -> np.ndarray:
    """A packed decoder (unpack of its blob) run on z (d,) in numpy, layer by layer as engine.js runs it: (784,)."""
    x = z.astype(np.float64)
    for layer in header["layers"]:
        if layer["op"] == "relu":
            x = np.maximum(x, 0)
        elif layer["op"] == "linear":
            x = x @ arrays[layer["weight"]].reshape(layer["in"], layer["out"]) + arrays[layer["bias"]]
        else:
            t = torch.nn.functional.conv_transpose2d(
                torch.tensor(x).view(1, layer["in"], layer["size_in"], layer["size_in"]),
                torch.tensor(arrays[layer["weight"]].astype(np.float64)).view(
                    layer["in"], layer["out"], layer["kernel"], layer["kernel"]
                ),
                torch.tensor(arrays[layer["bias"]].astype(np.float64)),
                stride=layer["stride"],
                padding=layer["padding"],
            )
            assert t.shape[-1] == layer["size_out"]
            x = t.flatten().numpy()
    return 1 / (1 + np.exp(-x))
