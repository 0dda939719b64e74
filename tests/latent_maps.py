"""The latent-map component in AppTest: what the page gave each map (its data) and which models it sent to the
browser, and a pick on a map as the browser sends it (AppTest cannot run the component's JavaScript)."""
import json

from streamlit.components.v2.bidi_component.main import _make_trigger_id


def elements(at, name: str) -> list:
    return [element for element in at.get("bidi_component") if element.proto.component_name == name]


def maps(at) -> list[dict]:
    """The data of each latent map on the page, in order."""
    return [data for element in elements(at, "vaedemo.latent_map") if "interpolation" not in (data := json.loads(element.proto.json))]


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
