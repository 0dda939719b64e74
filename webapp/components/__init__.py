"""The app's components of our own (Streamlit Components v2, no build step): each a small Python wrapper beside
its JavaScript (and style sheet) in real files, read once at import."""
from pathlib import Path

HERE = Path(__file__).parent


def asset(*names: str) -> str:
    """The text of this folder's .js, .css or .html files, one after the other (a script after the helpers it uses)."""
    return "\n".join((HERE / name).read_text(encoding="utf-8") for name in names)
