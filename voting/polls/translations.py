"""A poll's question and answers in several languages: one poll, one tally, many labels.

Stored on the poll as {lang: {"title", "description", "options": {main label: label}}}.
Answers are keyed by their text in the event's main language rather than by position
or id: a form lists them in order, ids do not exist before the poll is saved, and when
an answer's own text changes its old translation no longer fits and is dropped (shown
in the main language until translated again). Clients receive the translations with the
poll (keyed by option id) and pick their language, so every phone shares one snapshot
and one tally whatever language it shows.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from voting.i18n import LANGUAGES
from voting.models import Poll, PollKind
from voting.translated_text import clean_text, invalid

MAX_TITLE, MAX_DESCRIPTION, MAX_LABEL = 300, 2000, 200


def validate(raw, options: list[str], kind: PollKind) -> dict:
    """Check translations given as {lang: {title, description?, options?: [by position]}}.

    Returns the stored form; raises InvalidInput (code invalid_translation) on bad input.
    Languages left empty are dropped; answers of kinds with fixed answers are ignored
    (their labels come from the interface's catalogues).
    """
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise invalid(_("Translations must be given per language."))
    stored = {}
    for lang, texts in raw.items():
        if lang not in LANGUAGES:
            raise invalid(
                _("Translations can be given in: %(languages)s.", languages=", ".join(LANGUAGES))
            )
        entry = _language_entry(texts, options, kind)
        if entry:
            stored[lang] = entry
    return stored


def _language_entry(texts, options: list[str], kind: PollKind) -> dict:
    """Validate one language's texts; return what is stored ({} when all empty)."""
    if not isinstance(texts, dict):
        raise invalid(_("Each language's translation must have a question and answers."))
    title = clean_text(texts.get("title"), MAX_TITLE)
    description = clean_text(texts.get("description"), MAX_DESCRIPTION)
    labels = _labels(texts.get("options"), options, kind)
    entry = {"title": title, "description": description, "options": labels}
    return {key: value for key, value in entry.items() if value}


def _labels(given, options: list[str], kind: PollKind) -> dict[str, str]:
    """Map each main-language answer to its translation; blank lines keep the main text."""
    if given in (None, "", []) or kind in (PollKind.yes_no, PollKind.rating, PollKind.text):
        return {}
    if isinstance(given, str):
        given = given.splitlines()
    if not isinstance(given, list) or len(given) != len(options):
        raise invalid(
            _(
                "Give one translated answer per answer (%(count)d), in the same order.",
                count=len(options),
            )
        )
    labels = [clean_text(label, MAX_LABEL) for label in given]
    return {main: label for main, label in zip(options, labels, strict=True) if label}


def for_clients(poll: Poll) -> dict:
    """Return {lang: {title?, description?, options: {id: label}}} for phones and displays."""
    fixed = _fixed_labels(poll)
    result = {}
    for lang in LANGUAGES:
        stored = (poll.translations or {}).get(lang, {})
        labels = stored.get("options", {})
        options = {
            str(option.id): label
            for option in poll.options
            if (label := labels.get(option.label) or fixed.get(lang, {}).get(option.label))
            and label != option.label
        }
        entry = {k: v for k, v in stored.items() if k in ("title", "description")}
        if options:
            entry["options"] = options
        if entry:
            result[lang] = entry
    return result


def _fixed_labels(poll: Poll) -> dict[str, dict[str, str]]:
    """Return the catalogue's words for a yes/no poll's answers, in every language."""
    if poll.kind != PollKind.yes_no:
        return {}
    return {lang: fixed_words(lang) for lang in LANGUAGES}


# The catalogue's Yes, No and Abstain by app, then language: every option the `translated`
# filter renders and every poll payload needs them, and switching the locale to read them
# costs more than the rest of a payload. Kept per app, as Flask-Babel keeps each app's
# catalogues: a new app (every test has its own) reads them again.
_FIXED_WORDS: WeakKeyDictionary[Flask, dict[str, dict[str, str]]] = WeakKeyDictionary()


def fixed_words(lang: str) -> dict[str, str]:
    """Return the yes/no answers' words in one language, read from the catalogue once per app."""
    words = _FIXED_WORDS.setdefault(current_app._get_current_object(), {})
    if lang not in words:
        with force_locale(lang):
            words[lang] = {"Yes": _("Yes"), "No": _("No"), "Abstain": _("Abstain")}
    return words[lang]


def option_label(option, lang: str) -> str:
    """Return a poll answer in one language (yes/no from the interface's catalogue)."""
    poll = option.poll
    label = (poll.translations or {}).get(lang, {}).get("options", {}).get(option.label)
    if not label and poll.kind == PollKind.yes_no and lang in LANGUAGES:
        label = fixed_words(lang).get(option.label)
    return label or option.label
