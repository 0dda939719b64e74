"""The latent-map component in tests. In AppTest: what the page gave each map (its data) and which models it sent to
the browser, and a pick on a map as the browser sends it (AppTest cannot run the component's JavaScript). In a real
browser: where a point of a map is on the screen, the digit a map paints, the messages the page sends."""
import json

import numpy as np
from streamlit.components.v2.bidi_component.main import _make_trigger_id


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
    element = elements(at, "vaedemo.latent_map")[index]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = _make_trigger_id(element.proto.id, "events")
    state.json_trigger_value = json.dumps([{"event": "pick", "value": value}])
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


def messages_to_the_server(page) -> list:
    """A list that fills with every websocket message the page sends from now on (register before page.goto)."""
    sent = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload)))
    return sent
