"""English words in a page that should be Chinese: runs of two or more English words, outside formulas, addresses
(a room's join link) and the names that stay as they are (MNIST, VAE, KL, ...)."""
import json
import re

from google.protobuf.json_format import MessageToDict

NAMES = (r"Fashion-MNIST|MNIST|CVAE|VAE|AE|ELBO|KL|PCA|MLP|BCE|NaN|Burda|Kingma|Welling|van den Oord|et al\.|"
         r"safetensors|vaedemo")
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[\s,;:'’-]+[A-Za-z]{2,})+")


def english_runs(text: str) -> list[str]:
    text = re.sub(r"\$[^$]*\$", lambda formula: " ".join(re.findall(r"\\text\{([^}]*)\}", formula[0])), text)
    text = re.sub(r"https?://\S+", " ", text)  # a room's code beside its join link once read as "PVV http"
    text = re.sub(NAMES, " ", text)
    return ENGLISH_RUN.findall(text)


NOT_SHOWN = {
    "id",
    "bytes",
    "formId",
    "key",
    "url",
    "src",
    "icon",
    "componentName",
    "type",
    "cssClass",
    "width",
    "height",
    "fragmentId",
    "dataType",
    "label_visibility",
    "format",
    "mimeType",
    "fileName",
    "color",
    "deltaColor",
    "isolateStyles",
    "jsContent",
    "cssContent",
    "htmlContent",
    "jsSourcePath",
    "cssSourcePath",
}
NO_TEXT = (
    "model",
    "models",
    "colours",
    "frames",
    "labels",
    "bounds",
    "z",
    "point",
    "ends",
    "path",
    "ellipse",
    "circles",
    "stars",
    "keep",  # the browser's model token (components/keeper.py)
    "told",
    "codes",  # a VQ-VAE's code numbers and each code's picture, a PNG data URI (components/codes.py)
    "entries",
    "engine",  # engine.js's source, which a drawing's answer runs in a Web Worker (components/answer.py)
)


def strings(value):
    """Every string inside a protobuf-as-dict (or a component's JSON data) that a person could see."""
    if isinstance(value, dict):
        for name, inner in value.items():
            if name == "json":
                yield from strings({key: data for key, data in json.loads(inner).items() if key not in NO_TEXT})
            elif name not in NOT_SHOWN:
                yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)
    elif isinstance(value, str):
        yield value


def visible_texts(node):
    if getattr(node, "type", None) == "html":  # our own style sheets
        return
    proto = getattr(node, "proto", None)
    if proto is not None:
        texts = list(strings(MessageToDict(proto)))
        if getattr(node, "type", None) == "latex":  # formulas stay as they are, only their \text{...} words count
            texts = [" ".join(re.findall(r"\\text\{([^}]*)\}", text)) for text in texts]
        yield from texts
    for child in getattr(node, "children", {}).values():
        yield from visible_texts(child)


def assert_no_english(at):
    """No run of English words anywhere a person sees on the AppTest's page (at), and no exception."""
    assert not at.exception
    found = [(text, runs) for text in visible_texts(at._tree) if (runs := english_runs(text))]
    assert found == [], "\n".join(f"{runs}: {text[:200]}" for text, runs in found)
