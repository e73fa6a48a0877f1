"""Events: creation, lookup by code, and the participants who join them."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from voting.errors import Conflict, InvalidInput, NotFound, VotingError
from voting.extensions import db
from voting.i18n import LANGUAGES
from voting.memo import Memo
from voting.models import Event
from voting.polls.tallies import parse_blocked_words

CODE_RE = re.compile(r"^[A-Z0-9]{4,12}$")
# Letters and digits that cannot be mistaken for each other on a projector.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def normalise_code(code: str) -> str:
    """Return an event code as stored: trimmed, upper case, no spaces or dashes."""
    return re.sub(r"[\s-]", "", str(code or "")).upper()


def find_event(code: str) -> Event:
    """Return the event with this code (any case) or raise NotFound."""
    event = db.session.scalar(select(Event).where(Event.code == normalise_code(code)))
    if event is None:
        # Lazy: the locale selector looks events up (a projector's language), and a
        # message translated here would ask it for the language it is choosing.
        raise NotFound(_l("No event has this code. Check the code on the screen."), "unknown_event")
    return event


@dataclass(frozen=True)
class EventRef:
    """What a socket join needs of an event, cheap to keep in memory."""

    id: int
    code: str
    name: str
    allow_anonymous: bool
    display_language: str = ""  # the projector's interface language, if chosen


# code -> EventRef: a join storm looks the same event up thousands of times a second;
# settings changed by an admin reach joins within EVENT_REF_TTL seconds.
_event_refs: Memo[EventRef] = Memo()
EVENT_REF_TTL = 1.0


def lookup_event(code: str) -> EventRef:
    """Return a short-lived cached reference to the event with this code, or raise NotFound."""
    key = normalise_code(code)
    return _event_refs.get_or_build(key, lambda: _event_ref(key), EVENT_REF_TTL)


def _event_ref(code: str) -> EventRef:
    """Load what a join needs of the event with this (normalised) code, or raise NotFound."""
    event = find_event(code)
    return EventRef(event.id, event.code, event.name, event.allow_anonymous, event.display_language)


def forget_event_refs() -> None:
    """Drop cached event references (after an event is edited, and between tests)."""
    _event_refs.clear()


def upcoming_events(today: dt.date | None = None) -> list[Event]:
    """Return events that have not ended yet, soonest first."""
    today = today or dt.date.today()
    return list(
        db.session.scalars(
            select(Event).where(Event.ends_on >= today).order_by(Event.starts_on, Event.name)
        )
    )


def all_events() -> list[Event]:
    """Return every event, newest first."""
    return list(db.session.scalars(select(Event).order_by(Event.starts_on.desc())))


@dataclass
class EventData:
    """The editable fields of an event."""

    code: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
    venue: str = ""
    description: str = ""
    allow_anonymous: bool = True
    blocked_words: str = ""  # open-text answers holding one are refused
    main_language: str = "en"  # the language of the event's own texts
    display_language: str = ""  # the projector's interface language; "": its browser's


MAX_BLOCKED_WORDS = 500


def validate_event_data(data: EventData) -> EventData:
    """Check and normalise event fields, raising InvalidInput on the first problem."""
    data.code = normalise_code(data.code)
    if not CODE_RE.match(data.code):
        raise InvalidInput(_("The code needs 4 to 12 letters or digits."), "invalid_code")
    data.name = (data.name or "").strip()
    if not data.name or len(data.name) > 200:
        raise InvalidInput(_("The name needs 1 to 200 characters."), "invalid_name")
    if data.ends_on < data.starts_on:
        raise InvalidInput(_("The event cannot end before it starts."), "invalid_dates")
    data.venue = (data.venue or "").strip()[:200]
    data.description = (data.description or "").strip()[:5000]
    words = parse_blocked_words(data.blocked_words)
    if len(words) > MAX_BLOCKED_WORDS or any(len(word) > 60 for word in words):
        raise InvalidInput(
            _(
                "Up to %(most)d blocked words of at most 60 characters each.",
                most=MAX_BLOCKED_WORDS,
            ),
            "invalid_blocked_words",
        )
    data.blocked_words = "\n".join(words)
    if data.main_language not in LANGUAGES or data.display_language not in ("", *LANGUAGES):
        raise InvalidInput(_("Pick one of the languages offered."), "invalid_language")
    return data


def display_language_of(code: object) -> str:
    """Return the projector language an event's moderators chose ("" if none or no event)."""
    if not isinstance(code, str):
        return ""
    try:
        return lookup_event(code).display_language
    except VotingError:
        return ""


def create_event(data: EventData) -> Event:
    """Create an event with a unique code."""
    data = validate_event_data(data)
    event = Event(**vars(data))
    db.session.add(event)
    _commit_unique_code(data.code)
    return event


def update_event(event: Event, data: EventData) -> Event:
    """Change an event's fields."""
    data = validate_event_data(data)
    for key, value in vars(data).items():
        setattr(event, key, value)
    _commit_unique_code(data.code)
    forget_event_refs()
    return event


def _commit_unique_code(code: str) -> None:
    """Commit, turning a clash on the unique code into a Conflict."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("Another event uses the code %(code)s.", code=code), "code_taken"
        ) from None


def suggest_code(length: int = 6) -> str:
    """Return a random event code that no event uses yet."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if db.session.scalar(select(func.count()).where(Event.code == code)) == 0:
            return code


def new_participant_id() -> str:
    """Return a fresh random participant id for a session cookie."""
    return secrets.token_urlsafe(18)
