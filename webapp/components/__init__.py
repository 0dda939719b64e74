"""The app's components of our own (Streamlit Components v2, no build step): each a small Python wrapper beside
its JavaScript (and style sheet) in real files, read once at import."""
from pathlib import Path

HERE = Path(__file__).parent


def asset(name: str) -> str:
    """The text of one of this folder's .js, .css or .html files."""
    return (HERE / name).read_text(encoding="utf-8")
