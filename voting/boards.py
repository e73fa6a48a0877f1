"""Helpers shared by the participant boards (ideas board, Q&A): phones propose, moderators
curate, everyone upvotes.

The rules of each board stay in its own service; what is here is the same for both:
the participant row behind a phone, the event's write lock, who may take part, the
socket handlers' error acks, the forms' CSRF check and the QR code of a board's page.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import segno
from flask import Response, session
from flask_babel import gettext as _
from sqlalchemy import select

from voting.database import lock_row
from voting.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, VotingError
from voting.events.service import lookup_event
from voting.extensions import db
from voting.models import Event, Participant
from voting.polls import eligibility

# --- service side ------------------------------------------------------------------


def text_key(text: str) -> str:
    """Return the form texts are compared in: case folded, spaces collapsed."""
    return " ".join(text.split()).casefold()


def participant_row(event_id: int, key: str, *, create: bool) -> Participant | None:
    """Return the participant row of a key (created if asked), refusing other events' keys."""
    participant = db.session.scalar(select(Participant).where(Participant.public_id == key))
    if participant is not None and participant.event_id != event_id:
        raise InvalidInput(_("This participant belongs to another event."), "wrong_event")
    if participant is None and create:
        participant = Participant(event_id=event_id, public_id=key)
        db.session.add(participant)
        db.session.flush()
    return participant


def locked_event(event_id: int) -> Event:
    """Reload the event under the write lock, for rules that read, then write."""
    event = lock_row(Event, event_id, shared=False)
    if event is None:
        db.session.rollback()
        raise NotFound(_("No event has this code."), "unknown_event")
    return event


def is_attendee_of(event: Event, key: str | None) -> bool:
    """Say whether a participant key belongs to a registered attendee of the event."""
    voter = eligibility.voter(key)
    return voter.registered and voter.event_id == event.id


def blocked(event: Event, key: str | None) -> bool:
    """Say whether this phone may not take part (the event requires registration)."""
    return not event.allow_anonymous and not is_attendee_of(event, key)


# --- socket handlers ---------------------------------------------------------------


def answer(action: Callable[[], dict]) -> dict:
    """Run a handler body, turning refusals into error acks and ending the transaction."""
    try:
        return action()
    except VotingError as error:
        return error.as_ack()
    finally:
        db.session.rollback()


def parse_join(payload, name: str, roles: tuple[str, ...]) -> tuple[Event, str]:
    """Validate a board's join payload {event: CODE, role?}; role defaults to the first."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise InvalidInput(f"{name} needs {{event: CODE}}.", "invalid_payload")
    role = payload.get("role", roles[0])
    if role not in roles:
        raise InvalidInput(f"role must be one of {', '.join(roles)}.", "invalid_payload")
    return lookup_event(payload["event"][:32]), role


def socket_participant_key(event: Event) -> str | None:
    """Return the participant id the HTTP page put in the session for this event."""
    return (session.get("participants") or {}).get(str(event.id))


def check_participant(event: Event, key: str | None) -> None:
    """Refuse a phone without a participant id, or an anonymous one where registration is needed."""
    if blocked(event, key):
        raise Forbidden("This event asks participants to register first.", "registration_required")
    if key is None:
        raise NotAuthenticated("Open the page first, then connect.", "no_session")


# --- views -------------------------------------------------------------------------


def require_form(form) -> None:
    """Refuse a form without a valid CSRF token."""
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page and try again."), "invalid_form")


def qr_response(url: str) -> Response:
    """Return the QR code of a URL as an SVG answer, for projector pages."""
    buffer = io.BytesIO()
    qr_code = segno.make(url, error="m")
    qr_code.save(buffer, kind="svg", scale=10, border=2, dark="#111", light="#fff", xmldecl=False)
    return Response(
        buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"}
    )
