"""Helpers shared by the participant boards (ideas board, Q&A): phones propose, moderators
curate, everyone upvotes.

The rules of each board stay in its own service; what is here is the same for both:
the participant row behind a phone, the event's write lock, who may take part, the
upvote table, the rooms and pushes, the socket handlers built from a description, the
forms' checks, the moderation views' steps and the QR code of a board's page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from flask import Response, flash, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from voting import ratelimits, realtime
from voting.accounts.service import can_run_polls
from voting.database import as_id, begin_write, lock_row
from voting.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, VotingError
from voting.events.service import lookup_event
from voting.extensions import db
from voting.models import Event, Participant
from voting.polls import eligibility
from voting.web import log_refusal, participant_key

# --- service side ------------------------------------------------------------------


def text_key(text: str) -> str:
    """Return the form texts are compared in: case folded, spaces collapsed."""
    return " ".join(text.split()).casefold()


def clean_text(text, min_length: int, max_length: int, not_text: str, bad_length: str) -> str:
    """Return a proposal's text trimmed with inner spaces collapsed, or refuse it."""
    if not isinstance(text, str):
        raise InvalidInput(not_text, "invalid_text")
    cleaned = " ".join(text.split())
    if not min_length <= len(cleaned) <= max_length:
        raise InvalidInput(bad_length, "invalid_text")
    return cleaned


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


def event_id_of(event: Event | int) -> int:
    """Return the id of an event given as a row or as its id."""
    return event if isinstance(event, int) else event.id


def in_event(model, event_id: int, item_id):
    """Return the event's proposal (idea, question) with this id, or None."""
    key = as_id(item_id)
    item = db.session.get(model, key) if key else None
    return item if item is not None and item.event_id == event_id else None


# --- upvotes -----------------------------------------------------------------------


@dataclass(frozen=True)
class UpvoteResult:
    """The state of one item for one participant after an upvote or its withdrawal."""

    item_id: int
    votes: int
    mine: bool


@dataclass(frozen=True)
class Upvotes:
    """A board's upvote table, named by its column that points to the upvoted item.

    Both boards keep one row per participant and item (a unique constraint), so
    counting, listing and toggling are the same queries on different tables.
    """

    item_column: Any  # e.g. IdeaVote.idea_id
    items: type  # the upvoted model, which has event_id

    @property
    def model(self) -> type:
        """Return the upvote model the column belongs to."""
        return self.item_column.class_

    def counts(self, event_id: int) -> dict[int, int]:
        """Return item id -> upvotes for the event's items."""
        rows = db.session.execute(
            select(self.item_column, func.count())
            .join(self.items, self.items.id == self.item_column)
            .where(self.items.event_id == event_id)
            .group_by(self.item_column)
        )
        return dict(rows.all())

    def count(self, item_id: int) -> int:
        """Return the upvotes of one item."""
        return db.session.scalar(select(func.count()).where(self.item_column == item_id))

    def by(self, event_id: int, key: str | None) -> list[int]:
        """Return the ids of the event's items this participant upvoted."""
        if not key:
            return []
        rows = db.session.scalars(
            select(self.item_column)
            .join(Participant, Participant.id == self.model.participant_id)
            .join(self.items, self.items.id == self.item_column)
            .where(Participant.public_id == key, self.items.event_id == event_id)
        )
        return sorted(rows)

    def toggle(self, event_id: int, key: str | None, up, upvotable: Callable) -> UpvoteResult:
        """Add (or withdraw) a participant's upvote of the item upvotable() returns."""
        if not key:
            raise NotAuthenticated(_("Open the event page first."), "no_session")
        if not isinstance(up, bool):
            raise InvalidInput(_("up must be true or false."), "invalid_payload")
        ratelimits.check("upvote", key)
        begin_write()
        try:
            item = upvotable()  # finds the item and checks it may be upvoted, inside the lock
            participant = participant_row(event_id, key, create=up)
            if participant is not None:  # withdrawing needs no row of a phone never seen
                self.store(item.id, participant.id, up)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return UpvoteResult(item.id, self.count(item.id), up)

    def store(self, item_id: int, participant_id: int, up: bool) -> None:
        """Insert or delete one upvote row; a concurrent identical upvote is not an error."""
        mine = (self.item_column == item_id) & (self.model.participant_id == participant_id)
        if not up:
            db.session.execute(delete(self.model).where(mine))
            return
        if db.session.scalar(select(self.model.id).where(mine)) is not None:
            return
        row = self.model(participant_id=participant_id, **{self.item_column.key: item_id})
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            pass  # the same participant upvoted from another device at this instant


# --- publishing --------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """A board's rooms and pushes: `<name>:<id>` for every screen, `<name>-staff:<id>`."""

    name: str  # "ideas" or "qna": the prefix of rooms and server events
    snapshot: Callable[[int], dict]  # the public board, with its seq
    queue: Callable[[int], list[dict]]  # the moderation queue

    def board_room(self, event_id: int) -> str:
        """Room of every screen that shows the event's board (phones, display, staff)."""
        return f"{self.name}:{event_id}"

    def staff_room(self, event_id: int) -> str:
        """Room of the event's moderators (the pending queue)."""
        return f"{self.name}-staff:{event_id}"

    def push_board(self, event_id: int) -> None:
        """Send the board to every screen of the event (coalesced: upvotes come in bursts)."""

        def push() -> None:
            payload = self.snapshot(event_id)
            realtime.emit(f"{self.name}_board", payload, self.board_room(event_id))

        realtime.coalesce(self.board_room(event_id), push)

    def push_queue(self, event_id: int) -> None:
        """Send the moderation queue to the event's moderators."""
        payload = {"seq": realtime.next_seq(), "pending": self.queue(event_id)}
        realtime.emit(f"{self.name}_queue", payload, self.staff_room(event_id))

    def push_all(self, event_id: int) -> None:
        """After moderation: the board to everyone, the queue to moderators."""
        self.push_board(event_id)
        self.push_queue(event_id)


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


ROLES = ("participant", "display", "moderator")


@dataclass(frozen=True)
class BoardSockets:
    """The join and upvote handlers of a board, built from what tells the boards apart.

    Proposing stays in each board's module (an idea is a text, a question also a name),
    and uses phone() for the steps every phone action shares.
    """

    name: str  # the session key; phones send join_<name>
    channel: Channel
    forbidden: str  # refusal of a non-moderator asking to moderate
    not_joined: str  # refusal of a phone action before joining as a phone
    extras: Callable[[int, str], dict]  # what a phone's join ack adds (its own upvotes...)
    upvote: Callable  # service.upvote(event_id, key, item_id, up) -> UpvoteResult
    upvote_event: str  # "upvote_idea"
    id_field: str  # "idea_id": the id's name in the payload and the ack

    def handlers(self) -> dict[str, Callable]:
        """Return the event names and handlers this board shares with the other one."""
        return {f"join_{self.name}": self.join, self.upvote_event: self.upvote_item}

    def join(self, payload=None, *_extra):
        """Follow an event's board: {event: CODE, role?}; ack the board (and queue, own votes)."""
        return answer(lambda: self._join(*parse_join(payload, f"join_{self.name}", ROLES)))

    def _join(self, event: Event, role: str) -> dict:
        """Put the socket in the board room (and the staff room) and return the snapshot."""
        key = socket_participant_key(event) if role == "participant" else None
        if role == "participant":
            check_participant(event, key)
        if role == "moderator":
            if not can_run_polls(current_user, event):
                log_refusal(f"join_{self.name} moderator", event.code, current_user)
                raise Forbidden(self.forbidden, "forbidden")
            join_room(self.channel.staff_room(event.id))
        join_room(self.channel.board_room(event.id))
        session[self.name] = {"event_id": event.id, "role": role, "participant": key}
        ack = {"ok": True, "event": {"code": event.code, "name": event.name}}
        ack |= self.channel.snapshot(event.id)
        if role == "participant":
            ack |= self.extras(event.id, key)
        if role == "moderator":
            ack["pending"] = self.channel.queue(event.id)
        return ack

    def phone(self, payload, needs: str) -> tuple[int, str]:
        """Return the event id and key of a socket joined as a phone sending a dict payload."""
        joined = session.get(self.name)
        if not joined or joined.get("role") != "participant":
            raise NotAuthenticated(self.not_joined, "not_joined")
        if not isinstance(payload, dict):
            raise InvalidInput(needs, "invalid_payload")
        return joined["event_id"], joined["participant"]

    def upvote_item(self, payload=None, *_extra):
        """Upvote or withdraw: {<id_field>, up?: true}; ack {ok, <id_field>, votes, mine}."""

        def act() -> dict:
            needs = f"{self.upvote_event} needs {{{self.id_field}, up}}."
            event_id, key = self.phone(payload, needs)
            item_id, up = payload.get(self.id_field), payload.get("up", True)
            result = self.upvote(event_id, key, item_id, up)
            return {
                "ok": True,
                self.id_field: result.item_id,
                "votes": result.votes,
                "mine": result.mine,
            }

        return answer(act)


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


def require_phone_form(form) -> None:
    """Refuse a phone's form without a valid CSRF token (the phone's wording: send again)."""
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Please send it again."), "invalid_form")


def phone_participant(event: Event) -> str | None:
    """Return this phone's participant key, refusing phones the event does not admit."""
    key = participant_key(event, create=event.allow_anonymous)
    if blocked(event, key):
        raise Forbidden(
            _("This event asks participants to register first."), "registration_required"
        )
    return key


def up_from_form(form_data) -> bool:
    """Read a plain upvote form's choice: up=0 withdraws, anything else upvotes."""
    return form_data.get("up", "1") != "0"


def moderate_one(form, moderation: dict, action: str, event: Event, item_id: int) -> None:
    """Run one moderation action of a board's table {action: (service call, message)}."""
    require_form(form)
    do, message = moderation[action]
    do(event, item_id)
    flash(str(message), "success")


def save_text(form, edit: Callable, event: Event, item_id: int, message: str) -> None:
    """Correct a proposal's text from the moderation page's edit form."""
    require_form(form)
    edit(event, item_id, form.text.data)
    flash(message, "success")


def qr_response(url: str) -> Response:
    """Return the QR code of a URL as an SVG answer, for projector pages."""
    buffer = io.BytesIO()
    qr_code = segno.make(url, error="m")
    qr_code.save(buffer, kind="svg", scale=10, border=2, dark="#111", light="#fff", xmldecl=False)
    return Response(
        buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"}
    )
