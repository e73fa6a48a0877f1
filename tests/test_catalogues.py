"""The interface catalogues: complete for every text in the code, valid, and compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from voting.i18n import DEFAULT, LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "voting" / "translations"
TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def catalogue(lang: str):
    """Read one language's catalogue."""
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def texts_in_code() -> set[str]:
    """Extract every translatable text from the Python code and the templates."""
    method_map = [("voting/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_text_of_the_code_is_translated(lang):
    translated = {
        m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(lang) if m.id and m.string
    }
    missing = sorted(texts_in_code() - translated)
    assert not missing, (
        f"{len(missing)} texts lack a {lang} translation (voting translations update): {missing[:5]}"
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalogue_is_valid(lang):
    problems = [(m.id, errors) for m, errors in catalogue(lang).check()]
    assert not problems  # placeholders that differ from the English text, bad plurals...
    assert not [m.id for m in catalogue(lang) if m.id and m.fuzzy]


def messages(catalog) -> dict:
    """Return a catalogue's translations by msgid, its header left out.

    The header names the Babel version that compiled it, which differs between machines.
    """

    def plain(value):
        return value if isinstance(value, str) else tuple(value)

    return {plain(m.id): plain(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogue_matches_its_source(lang):
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        shipped = read_mo(handle)
    source = {key: value for key, value in messages(catalogue(lang)).items() if any(value)}
    assert messages(shipped) == source, f"run: voting translations compile ({lang})"
