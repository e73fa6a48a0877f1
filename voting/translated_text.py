"""The one check of a translated text that staff write: a poll's or the event's own.

voting/polls/translations.py (a poll's question and answers) and
voting/events/translations.py (the translation grid) both store what it returns, and
refuse with what it raises: the same code and the same words, whichever form it came from.
"""

from __future__ import annotations

from flask_babel import gettext as _

from voting.errors import InvalidInput


def clean_text(value, limit: int) -> str:
    """Return a translated text trimmed ("" for None); refuse other types and overlong ones."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(_("A translation must be text."))
    value = value.strip()
    if len(value) > limit:
        raise invalid(_("A translation can have at most %(limit)d characters.", limit=limit))
    return value


def invalid(message: str) -> InvalidInput:
    """Return the refusal of a bad translation (code invalid_translation)."""
    return InvalidInput(message, "invalid_translation")
