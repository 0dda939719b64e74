"""The app's texts in English and Simplified Chinese: one catalogue per language (en.toml, zh.toml, the same keys,
TOML tables by page) and t(), the one lookup the pages use. The session's language is chosen in the sidebar and
kept in the address bar as ?lang=zh; on a first visit the browser's language chooses it (webapp.session). No torch
here."""
import tomllib
from pathlib import Path

from vaedemo.texts import CURVE_LABELS, JOB_MESSAGES
from webapp.session import LANGUAGES, language


def flatten(table: dict, prefix: str = "") -> dict:
    """{"draw": {"title": ...}} -> {"draw.title": ...}"""
    flat = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


def catalogue(lang: str) -> dict:
    """One language's texts by key. English takes the library's own texts (vaedemo.texts) for a training job's
    messages and the curves' labels, so that each English text is written once."""
    texts = flatten(tomllib.loads((Path(__file__).parent / f"{lang}.toml").read_text(encoding="utf-8")))
    if lang == "en":
        texts |= flatten({"jobs": JOB_MESSAGES, "curves": CURVE_LABELS})
    return texts


CATALOGUES = {lang: catalogue(lang) for lang in LANGUAGES}


def t(key: str, **values):
    """The text under key in the session's language, with values filled in ({name} and {name:.1f} as in
    str.format); without values (or a list, say class names) as it stands."""
    text = CATALOGUES[language()][key]
    return text.format(**values) if values else text
