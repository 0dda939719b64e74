"""Streamlit's two fonts of every first screen cut to what this app shows; hall/compression.py serves each cut in
the original's place.

- Material Symbols, its icon font (375 kB for some 4,000 icons): the icons this app can show, those its pages name
  (":material/name:" in app.py and webapp/) and every word of Streamlit's own JavaScript that names an icon, so that
  none Streamlit draws goes missing (about 650, 64 kB). The font draws an icon where its name is written, through
  ligatures (GSUB): cutting the glyphs alone would keep all of them, since every name is made of the letters kept,
  so the ligatures of the other names go first. fontTools has no such option; the rest is its subsetter's.
- Source Sans, its text font (170 kB, Latin, Greek, Cyrillic and Vietnamese): the scripts and signs of this app's
  texts (Latin, Greek, punctuation, arrows, mathematical signs, and every character of its catalogues: 95 kB). The
  Chinese catalogue's characters come from the system's fonts, as they always did; a character cut out would too."""
import functools
import hashlib
import io
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
OURS = re.compile(r":material/([a-z0-9_]+):")
WORD = re.compile(r"[a-z0-9_]+")
# Source Sans's characters kept, besides every one of the catalogues (x̂'s combining hat): Latin with its
# extensions (accented letters precomposed: all the combining accents would bring 17 kB of their placing), Greek,
# punctuation, super- and subscripts, currency, letterlike signs, arrows, mathematical signs, geometric shapes
TEXT = [(0x20, 0x24F), (0x370, 0x3FF), (0x2000, 0x20CF), (0x2100, 0x214F), (0x2190, 0x22FF), (0x25A0, 0x25FF)]


@functools.cache
def key() -> str:
    """What a cut depends on besides Streamlit's files, as a short hash: how it is cut, the catalogues, our icons."""
    kept = [Path(__file__).read_text(encoding="utf-8"), catalogue(), *sorted(our_icons())]
    return hashlib.blake2b("\n".join(kept).encode(), digest_size=6).hexdigest()


def catalogue() -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "webapp" / "i18n").glob("*.toml")))


def our_icons() -> set[str]:
    return {name for path in [ROOT / "app.py", *(ROOT / "webapp").rglob("*.py")]
            for name in OURS.findall(path.read_text(encoding="utf-8"))}


def cut(file: Path, static_dir: Path) -> bytes:
    """One of Streamlit's fonts (woff2) cut to what the app shows."""
    if file.name.startswith("MaterialSymbols"):
        return cut_icons(file, names_shown(static_dir))
    unicodes = [code for low, high in TEXT for code in range(low, high + 1)]
    return subset_woff2(TTFont(file), text=catalogue(), unicodes=unicodes)


def names_shown(static_dir: Path) -> set[str]:
    """The icon names the app can write: ours, and every word in Streamlit's JavaScript (most name no icon)."""
    theirs = {word for path in (static_dir / "static" / "js").glob("*.js")
              for word in WORD.findall(path.read_text(encoding="utf-8", errors="ignore"))}
    return our_icons() | theirs


def cut_icons(font_file: Path, names: set[str]) -> bytes:
    """The font (woff2) with only the icons of these names, still drawn by their ligatures."""
    font = TTFont(font_file)
    letters = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    kept = []
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = table.ExtSubTable if table.LookupType == 7 else table
            for first, ligatures in list(getattr(table, "ligatures", {}).items()):
                ligatures[:] = [ligature for ligature in ligatures
                                if "".join(letters.get(glyph, "\0") for glyph in [first, *ligature.Component]) in names]
                kept += [ligature.LigGlyph for ligature in ligatures]
                if not ligatures:
                    del table.ligatures[first]
    return subset_woff2(font, glyphs=kept, text="".join(sorted(set("".join(names)))))


def subset_woff2(font: TTFont, **kept) -> bytes:
    """The font with only the glyphs, text or unicodes kept (fontTools' Subsetter.populate), as woff2."""
    subsetter = subset.Subsetter(subset.Options(flavor="woff2", layout_features=["*"], notdef_outline=True))
    subsetter.populate(**kept)
    subsetter.subset(font)
    cut_font = io.BytesIO()
    font.flavor = "woff2"
    font.save(cut_font)
    return cut_font.getvalue()
