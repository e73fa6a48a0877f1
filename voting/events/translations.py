"""An event's own texts in several languages, translated in one grid by its staff.

The event's name and description, its burning themes, agenda items, breakout slots and
sessions each keep {lang: {field: text}} in a `translations` column. Organisers fill
them on one page (`/manage/<code>/translations`, the view `admin.translations`), a row
per text and a column per language, rather than in every form: translating is a task of
its own, often done by someone else once the programme stands. Pages show a text in
their language through the `translated` template filter, falling back to the text as
written.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voting.database import as_id
from voting.extensions import db
from voting.i18n import LANGUAGES
from voting.models import AgendaItem, Breakout, Event, EventDay, Option, Slot, Theme
from voting.polls.translations import option_label
from voting.translated_text import clean_text, invalid

# What can be translated: kind -> (model, {field: max length}, what staff call it).
KINDS = {
    "event": (Event, {"name": 200, "description": 5000}, _l("Event")),
    "day": (EventDay, {"title": 200, "description": 5000}, _l("Day")),
    "theme": (Theme, {"title": 200}, _l("Burning theme")),
    "agenda": (AgendaItem, {"title": 200, "description": 5000}, _l("Agenda item")),
    "slot": (Slot, {"title": 200}, _l("Breakout slot")),
    "breakout": (Breakout, {"title": 200}, _l("Breakout session")),
}


@dataclass(frozen=True)
class Row:
    """One text of the event in the grid: its own text and its translations so far."""

    kind: str
    item_id: int
    field: str
    original: str
    translations: dict[str, str]

    def key(self, lang: str) -> str:
        """Return the name of this row's input for one language."""
        return f"t:{self.kind}:{self.item_id}:{self.field}:{lang}"


def kind_names() -> dict[str, str]:
    """Return what staff call each kind of text, by kind (the grid's row headings)."""
    return {kind: str(label) for kind, (_model, _fields, label) in KINDS.items()}


def rows(event: Event) -> list[Row]:
    """Return every translatable text of the event that is not empty, in programme order."""
    found = []
    for kind, (model, fields, _label) in KINDS.items():
        for item in _items(event, kind, model):
            for field in fields:
                original = getattr(item, field) or ""
                if original.strip():
                    stored = item.translations or {}
                    texts = {lang: stored.get(lang, {}).get(field, "") for lang in LANGUAGES}
                    found.append(Row(kind, item.id, field, original, texts))
    return found


def _items(event: Event, kind: str, model) -> list:
    """Return the event's items of one kind."""
    if kind == "event":
        return [event]
    return list(
        db.session.scalars(select(model).where(model.event_id == event.id).order_by(model.id))
    )


def save(event: Event, form) -> int:
    """Store the grid's texts (a form of t:<kind>:<id>:<field>:<lang> inputs); return how many.

    Every input is checked before anything is stored: an unknown name, another event's
    item or an overlong text refuses the whole form.
    """
    items: dict[str, dict[int, object]] = {}  # the event's items by kind and id, read once
    changes = [
        _parse(event, name, value, items) for name, value in form.items() if name.startswith("t:")
    ]
    for item, lang, field, text in changes:
        texts = {key: dict(value) for key, value in (item.translations or {}).items()}
        entry = texts.setdefault(lang, {})
        if text:
            entry[field] = text
        else:
            entry.pop(field, None)
        item.translations = {key: value for key, value in texts.items() if value}
    db.session.commit()
    return sum(1 for change in changes if change[3])


def _parse(event: Event, name: str, value, items: dict[str, dict[int, object]]) -> tuple:
    """Check one input of the grid; return (item, lang, field, trimmed text).

    `items` holds the event's items of each kind met so far, by id: a kind's are read
    with one query when its first input comes, not one query per input.
    """
    parts = name.split(":")
    # as_id: "²" passes isdigit() but not int(), and 20 digits overflow the database
    if len(parts) != 5 or parts[1] not in KINDS or as_id(parts[2]) is None:
        raise invalid(_("The form holds an unknown text."))
    _prefix, kind, raw_id, field, lang = parts
    model, fields, _label = KINDS[kind]
    if field not in fields or lang not in LANGUAGES:
        raise invalid(_("The form holds an unknown text."))
    if kind not in items:
        items[kind] = {item.id: item for item in _items(event, kind, model)}
    item = items[kind].get(as_id(raw_id))
    if item is None:  # no such item, or another event's
        raise invalid(_("The form holds a text of another event."))
    return item, lang, field, clean_text(value, fields[field])


# --- showing texts in the page's language ---------------------------------------------


def in_page_language(item, field: str = "") -> str:
    """Template filter: an item's text (title, name, ...) in the page's language, else as written."""
    lang = str(get_locale() or "")
    if isinstance(item, Option):
        return option_label(item, lang)
    field = field or ("name" if isinstance(item, Event) else "title")
    if isinstance(item, dict):  # rows a view prepared: already in the page's language
        return item.get(field, "")
    texts = getattr(item, "translations", None) or {}
    return texts.get(lang, {}).get(field) or getattr(item, field)
