"""The app's texts in English and Simplified Chinese: one catalogue per language (en.toml, zh.toml, the same keys,
TOML tables by page) and t(), the one lookup the pages use. The session's language is chosen in the sidebar and
kept in the address bar as ?lang=zh; on a first visit the browser's language chooses it. No torch here."""
import tomllib
from pathlib import Path

import streamlit as st

LANGUAGES = {"en": "English", "zh": "简体中文"}


def flatten(table: dict, prefix: str = "") -> dict:
    """{"draw": {"title": ...}} -> {"draw.title": ...}"""
    flat = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


CATALOGUES = {lang: flatten(tomllib.loads((Path(__file__).parent / f"{lang}.toml").read_text(encoding="utf-8")))
              for lang in LANGUAGES}


def language() -> str:
    """The session's language, "en" or "zh": as the sidebar says, or as a link asks (?lang=zh), or on a first visit
    as the browser prefers."""
    if st.session_state.get("lang") not in LANGUAGES:
        asked = st.query_params.get("lang")
        if asked not in LANGUAGES:
            asked = "zh" if (st.context.locale or "").lower().startswith("zh") else "en"
        st.session_state["lang"] = asked
    return st.session_state["lang"]


def t(key: str, **values):
    """The text under key in the session's language, with values filled in ({name} and {name:.1f} as in
    str.format); without values (or a list, say class names) as it stands."""
    text = CATALOGUES[language()][key]
    return text.format(**values) if values else text
