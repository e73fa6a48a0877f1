"""Breakout sessions: the agenda, slots, sessions, and first-come sign-up with waiting lists.

Every seat decision (sign up, switch, withdraw, capacity changes) runs under the event's
write lock (`database.lock_row`: SQLite BEGIN IMMEDIATE, PostgreSQL FOR UPDATE on the event
row) before seats are counted, so concurrent sign-ups for the last seats never overfill a
room. The database adds UNIQUE(registration_id, slot_id): one session per attendee and slot.

A seat counts only while its registration is confirmed: an attendee who cancels their
registration keeps no seat, and the next seat change of the event releases such seats and
promotes the waiting list. Figures and pushes are published after the commit.

Stable helpers for other features (the preference-mode assignment, the report):
`seats_taken`, `waiting_count`, `members`, `sessions_of`, `seat_counts`, `seats_of`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from voting import realtime
from voting.database import as_id, lock_row
from voting.errors import Conflict, Forbidden, InvalidInput, NotFound
from voting.extensions import db
from voting.models import (
    AgendaItem,
    Breakout,
    BreakoutMode,
    BreakoutSeat,
    Event,
    EventDay,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Slot,
    Theme,
    utcnow,
)

TITLE_MAX = 200
ROOM_MAX = 100
DESCRIPTION_MAX = 2000
CAPACITY_MAX = 10_000
TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
Confirmed = RegistrationStatus.confirmed


# --- reading: figures and lists ----------------------------------------------------------


@dataclass
class SessionView:
    """A breakout with its figures: confirmed seats taken and people waiting."""

    breakout: Breakout
    taken: int
    waiting: int

    @property
    def left(self) -> int:
        """Return the seats still free (never negative)."""
        return max(0, self.breakout.capacity - self.taken)


@dataclass
class SlotView:
    """A slot and its sessions with their figures."""

    slot: Slot
    sessions: list[SessionView] = field(default_factory=list)


def _counted_seats():
    """Return a select of seats that count: their registration is confirmed."""
    return (
        select(BreakoutSeat)
        .join(Registration, Registration.id == BreakoutSeat.registration_id)
        .where(Registration.status == Confirmed)
    )


def seats_taken(breakout: Breakout) -> int:
    """Return how many confirmed seats of the breakout are held by confirmed attendees."""
    query = _counted_seats().where(
        BreakoutSeat.breakout_id == breakout.id, BreakoutSeat.status == SeatStatus.confirmed
    )
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def waiting_count(breakout: Breakout) -> int:
    """Return how many confirmed attendees wait for a seat in the breakout."""
    query = _counted_seats().where(
        BreakoutSeat.breakout_id == breakout.id, BreakoutSeat.status == SeatStatus.waiting
    )
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def seat_counts(event_id: int) -> dict[int, tuple[int, int]]:
    """Return {breakout id: (taken, waiting)} for every breakout of the event, in one query."""
    rows = db.session.execute(
        select(BreakoutSeat.breakout_id, BreakoutSeat.status, func.count())
        .join(Registration, Registration.id == BreakoutSeat.registration_id)
        .join(Breakout, Breakout.id == BreakoutSeat.breakout_id)
        .where(Breakout.event_id == event_id, Registration.status == Confirmed)
        .group_by(BreakoutSeat.breakout_id, BreakoutSeat.status)
    ).all()
    counts: dict[int, list[int]] = {}
    for breakout_id, status, number in rows:
        pair = counts.setdefault(breakout_id, [0, 0])
        if status == SeatStatus.confirmed:
            pair[0] = number
        elif status == SeatStatus.waiting:
            pair[1] = number
    return {key: (taken, waiting) for key, (taken, waiting) in counts.items()}


def members(breakout: Breakout) -> list[Registration]:
    """Return the confirmed attendees holding a seat in the breakout, first come first."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(BreakoutSeat, BreakoutSeat.registration_id == Registration.id)
            .where(
                BreakoutSeat.breakout_id == breakout.id,
                BreakoutSeat.status == SeatStatus.confirmed,
                Registration.status == Confirmed,
            )
            .order_by(BreakoutSeat.created_at, BreakoutSeat.id)
        )
    )


def slots_of(event: Event) -> list[Slot]:
    """Return the event's slots in time order (day, then start)."""
    return list(
        db.session.scalars(
            select(Slot)
            .join(EventDay, EventDay.id == Slot.day_id)
            .where(Slot.event_id == event.id)
            .order_by(EventDay.date, Slot.starts_at, Slot.id)
        )
    )


def sessions_of(event: Event) -> list[SlotView]:
    """Return the event's slots in time order, each with its sessions, seats taken and waiting."""
    counts = seat_counts(event.id)
    views = []
    for slot in slots_of(event):
        sessions = [
            SessionView(breakout, *counts.get(breakout.id, (0, 0))) for breakout in slot.breakouts
        ]
        views.append(SlotView(slot, sessions))
    return views


def seats_of(registration: Registration) -> list[BreakoutSeat]:
    """Return the attendee's seats and waiting places (not proposals), in slot time order."""
    return list(
        db.session.scalars(
            select(BreakoutSeat)
            .join(Slot, Slot.id == BreakoutSeat.slot_id)
            .join(EventDay, EventDay.id == Slot.day_id)
            .where(
                BreakoutSeat.registration_id == registration.id,
                BreakoutSeat.status.in_([SeatStatus.confirmed, SeatStatus.waiting]),
            )
            .order_by(EventDay.date, Slot.starts_at)
        )
    )


def confirmed_sessions(registration_ids: list[int]) -> dict[int, list[Breakout]]:
    """Return each attendee's confirmed sessions in time order, in one query (badges)."""
    rows = db.session.execute(
        select(BreakoutSeat.registration_id, Breakout)
        .join(Breakout, Breakout.id == BreakoutSeat.breakout_id)
        .join(Slot, Slot.id == BreakoutSeat.slot_id)
        .join(EventDay, EventDay.id == Slot.day_id)
        .where(
            BreakoutSeat.registration_id.in_(registration_ids),
            BreakoutSeat.status == SeatStatus.confirmed,
        )
        .order_by(EventDay.date, Slot.starts_at)
    )
    sessions: dict[int, list[Breakout]] = {}
    for registration_id, breakout in rows:
        sessions.setdefault(registration_id, []).append(breakout)
    return sessions


def waiting_position(seat: BreakoutSeat) -> int | None:
    """Return the seat's place on its session's waiting list (1 = next), if waiting."""
    if seat.status != SeatStatus.waiting:
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(
            _waiting_list(seat.breakout_id)
            .where(
                (BreakoutSeat.created_at < seat.created_at)
                | ((BreakoutSeat.created_at == seat.created_at) & (BreakoutSeat.id < seat.id))
            )
            .subquery()
        )
    )
    return (ahead or 0) + 1


def agenda_items(event: Event) -> list[AgendaItem]:
    """Return the event's plenary items in time order."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .join(EventDay, EventDay.id == AgendaItem.day_id)
            .where(AgendaItem.event_id == event.id)
            .order_by(EventDay.date, AgendaItem.starts_at, AgendaItem.id)
        )
    )


@dataclass
class AgendaEntry:
    """One line of the programme: a plenary item or a breakout slot with its sessions."""

    starts_at: dt.time
    ends_at: dt.time
    title: str
    description: str = ""
    slot: SlotView | None = None
    translations: dict = field(default_factory=dict)  # the item's or slot's, as stored


def agenda(event: Event) -> list[tuple[EventDay, list[AgendaEntry]]]:
    """Return each day of the event with its plenary items and slots merged in time order."""
    by_day: dict[int, list[AgendaEntry]] = {day.id: [] for day in event.days}
    for item in agenda_items(event):
        entry = AgendaEntry(
            item.starts_at, item.ends_at, item.title, item.description, None, item.translations
        )
        by_day.setdefault(item.day_id, []).append(entry)
    for view in sessions_of(event):
        slot = view.slot
        by_day.setdefault(slot.day_id, []).append(
            AgendaEntry(
                slot.starts_at, slot.ends_at, slot.title, slot=view, translations=slot.translations
            )
        )
    days = []
    for day in event.days:
        entries = sorted(by_day[day.id], key=lambda e: (e.starts_at, e.slot is not None))
        days.append((day, entries))
    return days


# --- lookups -----------------------------------------------------------------------------


def _find(model, event: Event, row_id, message: str, code: str):
    """Return a row of the event by id, or raise NotFound with the message."""
    number = as_id(row_id)
    row = db.session.get(model, number) if number else None
    if row is None or row.event_id != event.id:
        raise NotFound(message, code)
    return row


def find_slot(event: Event, slot_id) -> Slot:
    """Return a slot of this event, or raise NotFound."""
    return _find(Slot, event, slot_id, _("No such breakout slot in this event."), "unknown_slot")


def find_breakout(event: Event, breakout_id) -> Breakout:
    """Return a breakout session of this event, or raise NotFound."""
    return _find(
        Breakout,
        event,
        breakout_id,
        _("No such breakout session in this event."),
        "unknown_breakout",
    )


def find_agenda_item(event: Event, item_id) -> AgendaItem:
    """Return an agenda item of this event, or raise NotFound."""
    return _find(
        AgendaItem, event, item_id, _("No such agenda item in this event."), "unknown_item"
    )


# --- staff: validation -------------------------------------------------------------------


def parse_time(value, label: str = "time") -> dt.time:
    """Return a time from 'HH:MM' (or a time); raise InvalidInput otherwise."""
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = TIME_PATTERN.match(str(value or "").strip())
    if not match:
        raise InvalidInput(_time_message(label), "invalid_time")
    return dt.time(int(match.group(1)), int(match.group(2)))


def _time_message(label: str) -> str:
    """Return the refusal of a badly written time, naming which time it is."""
    if label == "start time":
        return _("Give the start time as hours and minutes, e.g. 14:30.")
    if label == "end time":
        return _("Give the end time as hours and minutes, e.g. 14:30.")
    return _("Give the time as hours and minutes, e.g. 14:30.")


def _day(event: Event, day_id) -> EventDay:
    """Return one of the event's days by id, or raise InvalidInput."""
    number = as_id(day_id)
    for day in event.days:
        if day.id == number:
            return day
    raise InvalidInput(_("Choose one of the event's days."), "invalid_day")


def _text(value, limit: int, what: str, *, required: bool) -> str:
    """Return trimmed text within the limit; raise InvalidInput if missing or too long."""
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(_missing(what), f"invalid_{what}")
    if len(text) > limit:
        raise InvalidInput(_too_long(what, limit), f"invalid_{what}")
    return text


def _missing(what: str) -> str:
    """Return the refusal of an empty field (title, room or description)."""
    if what == "room":
        return _("The room is required.")
    if what == "description":
        return _("The description is required.")
    return _("The title is required.")


def _too_long(what: str, limit: int) -> str:
    """Return the refusal of an overlong field (title, room or description)."""
    if what == "room":
        return _("The room can have at most %(most)d characters.", most=limit)
    if what == "description":
        return _("The description can have at most %(most)d characters.", most=limit)
    return _("The title can have at most %(most)d characters.", most=limit)


@dataclass
class TimeData:
    """When and what: a slot or an agenda item."""

    day_id: object
    starts_at: object
    ends_at: object
    title: object = ""
    description: object = ""


def _times(event: Event, data: TimeData) -> tuple[EventDay, dt.time, dt.time]:
    """Validate a day and a time span; return them."""
    day = _day(event, data.day_id)
    starts = parse_time(data.starts_at, "start time")
    ends = parse_time(data.ends_at, "end time")
    if ends <= starts:
        raise InvalidInput(_("The end time must be after the start time."), "invalid_time")
    return day, starts, ends


# --- staff: slots and agenda items -------------------------------------------------------


def create_slot(event: Event, data: TimeData) -> Slot:
    """Create a breakout slot on one of the event's days."""
    day, starts, ends = _times(event, data)
    title = _text(data.title, TITLE_MAX, "title", required=False)
    slot = Slot(event_id=event.id, day_id=day.id, starts_at=starts, ends_at=ends, title=title)
    db.session.add(slot)
    db.session.commit()
    push_seats(event.id)
    return slot


def update_slot(slot: Slot, data: TimeData) -> Slot:
    """Change a slot's day, times or title."""
    day, starts, ends = _times(_event(slot), data)
    slot.title = _text(data.title, TITLE_MAX, "title", required=False)
    slot.day_id, slot.starts_at, slot.ends_at = day.id, starts, ends
    db.session.commit()
    push_my_sessions(slot.event_id)  # the times members' pages show
    return slot


def delete_slot(slot: Slot) -> None:
    """Delete a slot with its sessions and their seats."""
    event_id = slot.event_id
    db.session.delete(slot)
    db.session.commit()
    push_seats(event_id)
    push_my_sessions(event_id)


def create_agenda_item(event: Event, data: TimeData) -> AgendaItem:
    """Add a plenary item (talk, break, vote) to the programme."""
    day, starts, ends = _times(event, data)
    item = AgendaItem(
        event_id=event.id,
        day_id=day.id,
        starts_at=starts,
        ends_at=ends,
        title=_text(data.title, TITLE_MAX, "title", required=True),
        description=_text(data.description, DESCRIPTION_MAX, "description", required=False),
    )
    db.session.add(item)
    db.session.commit()
    return item


def update_agenda_item(item: AgendaItem, data: TimeData) -> AgendaItem:
    """Change a plenary item."""
    day, starts, ends = _times(_event(item), data)
    title = _text(data.title, TITLE_MAX, "title", required=True)
    description = _text(data.description, DESCRIPTION_MAX, "description", required=False)
    item.day_id, item.starts_at, item.ends_at = day.id, starts, ends
    item.title, item.description = title, description
    db.session.commit()
    return item


def delete_agenda_item(item: AgendaItem) -> None:
    """Remove a plenary item from the programme."""
    db.session.delete(item)
    db.session.commit()


def _event(row) -> Event:
    """Return the event a row (slot, item, breakout) belongs to."""
    return db.session.get(Event, row.event_id)


# --- staff: sessions ---------------------------------------------------------------------


@dataclass
class SessionData:
    """A session's settings as staff give them (strings from forms are fine)."""

    title: object = ""
    room: object = ""
    capacity: object = None
    facilitator_id: object = None
    theme_id: object = None


def _capacity(value) -> int:
    """Return a capacity of at least one seat; raise InvalidInput otherwise."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= CAPACITY_MAX:
        raise InvalidInput(
            _(
                "The capacity must be a whole number of seats from 1 to %(most)d.",
                most=CAPACITY_MAX,
            ),
            "invalid_capacity",
        )
    return int(text)


def _facilitator(event: Event, value) -> int | None:
    """Return a confirmed registration's id as facilitator (empty: none); else InvalidInput."""
    if value in (None, ""):
        return None
    number = as_id(value)
    registration = db.session.get(Registration, number) if number else None
    if registration is None or registration.event_id != event.id:
        raise InvalidInput(
            _("Choose the facilitator among the event's attendees."), "invalid_facilitator"
        )
    if registration.status != Confirmed or registration.erased_at is not None:
        raise InvalidInput(
            _("The facilitator must be a confirmed attendee."), "invalid_facilitator"
        )
    return registration.id


def _theme(event: Event, value) -> Theme | None:
    """Return one of the event's themes (empty: none); else InvalidInput."""
    if value in (None, ""):
        return None
    number = as_id(value)
    theme = db.session.get(Theme, number) if number else None
    if theme is None or theme.event_id != event.id:
        raise InvalidInput(_("Choose one of the event's themes."), "invalid_theme")
    return theme


def _apply(breakout: Breakout, event: Event, data: SessionData) -> None:
    """Validate the session data and copy it onto the breakout (uncommitted)."""
    theme = _theme(event, data.theme_id)
    title = str(data.title or "").strip() or (theme.title if theme else "")
    if theme is not None and title == theme.title:
        breakout.translations = dict(theme.translations or {})  # the theme's, translated
    breakout.title = _text(title, TITLE_MAX, "title", required=True)
    breakout.room = _text(data.room, ROOM_MAX, "room", required=False)
    breakout.capacity = _capacity(data.capacity)
    breakout.facilitator_id = _facilitator(event, data.facilitator_id)
    breakout.theme_id = theme.id if theme else None


def create_session(event: Event, slot: Slot, data: SessionData) -> Breakout:
    """Create one breakout session in a slot (title defaults to the theme's)."""
    if slot.event_id != event.id:
        raise NotFound(_("No such breakout slot in this event."), "unknown_slot")
    breakout = Breakout(event_id=event.id, slot_id=slot.id)
    _apply(breakout, event, data)
    db.session.add(breakout)
    db.session.commit()
    push_seats(event.id)
    return breakout


def create_sessions_for_themes(
    event: Event, slot: Slot, theme_ids: list, capacity, rooms: list[str] | None = None
) -> list[Breakout]:
    """Create one session per chosen theme in a slot; rooms are given in theme order."""
    if slot.event_id != event.id:
        raise NotFound(_("No such breakout slot in this event."), "unknown_slot")
    themes = [_theme(event, value) for value in theme_ids]
    if not themes:
        raise InvalidInput(_("Choose at least one theme."), "invalid_theme")
    if len({theme.id for theme in themes}) != len(themes):
        raise InvalidInput(_("A theme was chosen twice."), "invalid_theme")
    rooms = [str(room or "").strip() for room in rooms or []]
    created = []
    for index, theme in enumerate(themes):
        breakout = Breakout(event_id=event.id, slot_id=slot.id)
        room = rooms[index] if index < len(rooms) else ""
        _apply(breakout, event, SessionData(theme_id=theme.id, room=room, capacity=capacity))
        created.append(breakout)
    db.session.add_all(created)
    db.session.commit()
    push_seats(event.id)
    return created


def update_session(breakout: Breakout, data: SessionData) -> list[tuple[Registration, Breakout]]:
    """Change a session; a larger capacity promotes the waiting list. Return who was promoted.

    A capacity below the seats already taken is refused: staff move people out first.
    """
    event = lock_row(Event, breakout.event_id, shared=False)
    db.session.refresh(breakout)
    try:
        _apply(breakout, event, data)
        if breakout.capacity < seats_taken(breakout):
            raise Conflict(
                _(
                    "More people already hold a seat than this capacity. Keep it at least "
                    "%(taken)d.",
                    taken=seats_taken(breakout),
                ),
                "capacity_below_taken",
            )
    except (InvalidInput, Conflict):
        db.session.rollback()
        raise
    promoted = _promote(breakout)
    db.session.commit()
    _after_seat_change(event.id, promoted)
    push_my_sessions(event.id)  # title, room or capacity as members' pages show them
    return promoted


def delete_session(breakout: Breakout) -> None:
    """Delete a session with its seats and waiting list."""
    event_id = breakout.event_id
    db.session.delete(breakout)
    db.session.commit()
    push_seats(event_id)
    push_my_sessions(event_id)


# --- staff: mode and sign-up -------------------------------------------------------------


def set_mode(event: Event, mode) -> Event:
    """Choose first-come sign-up or preference ranking for the event's breakouts."""
    try:
        event.breakout_mode = BreakoutMode(str(mode))
    except ValueError:
        raise InvalidInput(_("Choose sign-up or preferences."), "invalid_mode") from None
    db.session.commit()
    push_seats(event.id)
    return event


def set_signup_open(event: Event, is_open: bool) -> Event:
    """Open or close attendees' sign-up (or ranking) for breakout sessions."""
    event.breakout_signup_open = bool(is_open)
    db.session.commit()
    push_seats(event.id)
    return event


# --- attendees: sign-up, switch, withdraw -----------------------------------------------


@dataclass
class SeatChange:
    """The outcome of an attendee's action: their seat (None once withdrawn), who was promoted."""

    seat: BreakoutSeat | None
    promoted: list[tuple[Registration, Breakout]] = field(default_factory=list)


def _check_may_sign_up(event: Event, registration: Registration) -> None:
    """Raise unless the event takes sign-ups now and the attendee is confirmed."""
    if registration.event_id != event.id:
        raise Forbidden(_("This registration belongs to another event."), "wrong_event")
    if event.breakout_mode != BreakoutMode.signup:
        raise Conflict(
            _("Sessions at this event are assigned from preferences: rank them instead."),
            "preference_mode",
        )
    if not event.breakout_signup_open:
        raise Conflict(_("Sign-up for breakout sessions is closed."), "signup_closed")
    if registration.status != Confirmed or registration.erased_at is not None:
        raise Forbidden(
            _("Only attendees with a confirmed place can sign up for sessions."),
            "not_confirmed",
        )


def _locked(registration: Registration, breakout: Breakout) -> Event:
    """Take the event's write lock, reload both rows and check the rules; return the event."""
    event = lock_row(Event, breakout.event_id, shared=False)
    db.session.refresh(registration)
    db.session.refresh(breakout)
    try:
        _check_may_sign_up(event, registration)
    except (Conflict, Forbidden):
        db.session.rollback()
        raise
    return event


def _seat_in_slot(registration: Registration, slot_id: int) -> BreakoutSeat | None:
    """Return the attendee's seat (or waiting place) in a slot, if any."""
    return db.session.scalar(
        select(BreakoutSeat).where(
            BreakoutSeat.registration_id == registration.id, BreakoutSeat.slot_id == slot_id
        )
    )


def _new_status(breakout: Breakout) -> SeatStatus:
    """Return confirmed if the breakout has a free seat, else waiting."""
    return SeatStatus.confirmed if seats_taken(breakout) < breakout.capacity else SeatStatus.waiting


def sign_up(registration: Registration, breakout: Breakout) -> SeatChange:
    """Give the attendee a seat in the session, or a waiting place when it is full."""
    event = _locked(registration, breakout)
    promoted = _release_lapsed(event.id)
    if _seat_in_slot(registration, breakout.slot_id) is not None:
        db.session.rollback()
        raise Conflict(
            _("You already have a session in this slot: switch or withdraw there first."),
            "slot_taken",
        )
    seat = BreakoutSeat(
        breakout_id=breakout.id,
        registration_id=registration.id,
        slot_id=breakout.slot_id,
        status=_new_status(breakout),
        created_at=utcnow(),
    )
    db.session.add(seat)
    _commit_seat()
    _after_seat_change(event.id, promoted, (registration.id,))
    return SeatChange(seat, promoted)


def change(registration: Registration, breakout: Breakout) -> SeatChange:
    """Move the attendee to another session of the same slot; their old seat is passed on."""
    event = _locked(registration, breakout)
    promoted = _release_lapsed(event.id)
    seat = _seat_in_slot(registration, breakout.slot_id)
    if seat is None or seat.breakout_id == breakout.id:
        db.session.rollback()
        if seat is None:
            raise Conflict(_("You have no session in this slot to switch from."), "not_signed_up")
        raise Conflict(_("You are already in this session."), "already_signed_up")
    old, had_seat = seat.breakout, seat.status == SeatStatus.confirmed
    status = _new_status(breakout)  # counted before the seat moves (autoflush)
    seat.breakout_id, seat.status = breakout.id, status
    seat.created_at = utcnow()
    db.session.flush()
    if had_seat:
        promoted += _promote(old)
    _commit_seat()
    _after_seat_change(event.id, promoted, (registration.id,))
    return SeatChange(seat, promoted)


def withdraw(registration: Registration, breakout: Breakout) -> SeatChange:
    """Give up a seat or waiting place; the first person waiting gets a freed seat at once."""
    event = _locked(registration, breakout)
    promoted = _release_lapsed(event.id)
    seat = _seat_in_slot(registration, breakout.slot_id)
    if seat is None or seat.breakout_id != breakout.id:
        db.session.rollback()
        raise Conflict(_("You are not signed up for this session."), "not_signed_up")
    had_seat = seat.status == SeatStatus.confirmed
    db.session.delete(seat)
    db.session.flush()
    if had_seat:
        promoted += _promote(breakout)
    db.session.commit()
    _after_seat_change(event.id, promoted, (registration.id,))
    return SeatChange(None, promoted)


def set_roster_visibility(registration: Registration, show: bool) -> Registration:
    """Record whether other attendees may see this attendee's name on session rosters."""
    registration.show_on_rosters = bool(show)
    registration.updated_at = utcnow()
    db.session.commit()
    return registration


def _commit_seat() -> None:
    """Commit a seat; the database's one-seat-per-slot rule becomes a clear refusal."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("You already have a session in this slot."), "slot_taken") from None


def _waiting_list(breakout_id: int):
    """Return a select of the breakout's counted waiting places, first come first."""
    return (
        _counted_seats()
        .where(BreakoutSeat.breakout_id == breakout_id, BreakoutSeat.status == SeatStatus.waiting)
        .order_by(BreakoutSeat.created_at, BreakoutSeat.id)
    )


def _promote(breakout: Breakout) -> list[tuple[Registration, Breakout]]:
    """Give free seats of the breakout to its waiting list, oldest first (under the lock)."""
    free = breakout.capacity - seats_taken(breakout)
    if free <= 0:
        return []
    promoted = []
    for seat in db.session.scalars(_waiting_list(breakout.id).limit(free)):
        seat.status = SeatStatus.confirmed
        promoted.append((seat.registration, breakout))
    db.session.flush()
    return promoted


def _release_lapsed(event_id: int) -> list[tuple[Registration, Breakout]]:
    """Drop seats of attendees no longer confirmed and pass freed seats on (under the lock)."""
    lapsed = db.session.scalars(
        select(BreakoutSeat)
        .join(Registration, Registration.id == BreakoutSeat.registration_id)
        .join(Breakout, Breakout.id == BreakoutSeat.breakout_id)
        .where(Breakout.event_id == event_id, Registration.status != Confirmed)
    ).all()
    freed = {seat.breakout_id for seat in lapsed if seat.status == SeatStatus.confirmed}
    for seat in lapsed:
        db.session.delete(seat)
    db.session.flush()
    promoted = []
    for breakout_id in sorted(freed):
        promoted += _promote(db.session.get(Breakout, breakout_id))
    return promoted


def release_seats_of(registration: Registration) -> list[tuple[Registration, Breakout]]:
    """Drop an attendee's seats and waiting places, passing freed seats on.

    For the registration service, inside its transaction under the event lock, when a
    registration stops being confirmed or is deleted; announce_seat_changes after commit.
    """
    seats = db.session.scalars(
        select(BreakoutSeat).where(BreakoutSeat.registration_id == registration.id)
    ).all()
    freed = {seat.breakout_id for seat in seats if seat.status == SeatStatus.confirmed}
    for seat in seats:
        db.session.delete(seat)
    db.session.flush()
    promoted = []
    for breakout_id in sorted(freed):
        promoted += _promote(db.session.get(Breakout, breakout_id))
    return promoted


def announce_seat_changes(event_id: int, promoted: list[tuple[Registration, Breakout]]) -> None:
    """After the caller's commit: publish seat figures and mail whoever got a seat."""
    _after_seat_change(event_id, promoted)


def _after_seat_change(
    event_id: int, promoted: list[tuple[Registration, Breakout]], changed: tuple[int, ...] = ()
) -> None:
    """After the commit: publish the new figures, tell the attendees whose seats changed
    (`changed` and the promoted) on their own pages, and mail whoever got a seat."""
    push_seats(event_id)
    mine = [*changed, *(registration.id for registration, _ in promoted)]
    if mine:
        push_my_sessions(event_id, mine)
    if promoted:
        from voting.breakouts.mails import send_promoted

        for registration, breakout in promoted:
            send_promoted(registration, breakout)


# --- live figures ------------------------------------------------------------------------


def breakouts_room(event_id: int) -> str:
    """Room of every page showing the event's breakout sessions and their seats."""
    return f"breakouts:{event_id}"


def seats_payload(event: Event) -> dict:
    """Return the public figures of every session: capacity, taken, waiting, left."""
    return {
        "seq": realtime.next_seq(),
        "mode": event.breakout_mode.value,
        "signup_open": event.breakout_signup_open,
        "sessions": [
            {
                "id": view.breakout.id,
                "capacity": view.breakout.capacity,
                "taken": view.taken,
                "waiting": view.waiting,
                "left": view.left,
            }
            for slot in sessions_of(event)
            for view in slot.sessions
        ],
    }


def push_seats(event_id: int) -> None:
    """Send the event's session figures to everyone on its sessions page (after a commit)."""

    def push() -> None:
        event = db.session.get(Event, event_id)
        if event is not None:
            realtime.emit("breakout_seats", seats_payload(event), breakouts_room(event_id))

    realtime.coalesce(breakouts_room(event_id), push)


# --- an attendee's own sessions, live ----------------------------------------------------


def attendee_room(registration_id: int) -> str:
    """Room of one attendee's own pages (sessions, ranking, personal page): their seats only."""
    return f"attendee:{registration_id}"


def _session_entry(seat: BreakoutSeat, position: int | None) -> dict:
    """Describe one of the attendee's seats as their pages show it (dates formatted here)."""
    from flask_babel import format_date

    breakout = seat.breakout
    slot = breakout.slot
    return {
        "id": breakout.id,
        "slot_id": slot.id,
        "title": breakout.title,
        # Pushed to every device of the attendee: each shows its own page's language.
        "titles": {lang: t["title"] for lang, t in (breakout.translations or {}).items()},
        "room": breakout.room,
        "date": slot.day.date.isoformat(),
        "day": format_date(slot.day.date, "medium"),
        "starts": slot.starts_at.strftime("%H:%M"),
        "ends": slot.ends_at.strftime("%H:%M"),
        "status": seat.status.value,
        "position": position,
    }


def _mine(event: Event, entries: list[dict]) -> dict:
    """Wrap an attendee's session entries with the event's state."""
    return {
        "seq": realtime.next_seq(),
        "mode": event.breakout_mode.value,
        "published": event.assignment_published_at is not None,
        "sessions": entries,
    }


def my_sessions_payload(registration: Registration) -> dict:
    """Return one attendee's own seats and waiting places, for their pages only."""
    entries = [_session_entry(seat, waiting_position(seat)) for seat in seats_of(registration)]
    return _mine(registration.event, entries)


def _everyones_sessions(event: Event) -> dict[int, list[dict]]:
    """Return {registration id: session entries} for every registration of the event.

    Three queries whatever the number of attendees: the registrations, their seats (in
    slot time order) and the waiting lists, numbered here as waiting_position does.
    """
    ids = db.session.scalars(
        select(Registration.id).where(
            Registration.event_id == event.id, Registration.erased_at.is_(None)
        )
    )
    mine: dict[int, list[dict]] = {registration_id: [] for registration_id in ids}
    positions: dict[int, int] = {}
    waiting = db.session.scalars(
        _counted_seats()
        .join(Breakout, Breakout.id == BreakoutSeat.breakout_id)
        .where(Breakout.event_id == event.id, BreakoutSeat.status == SeatStatus.waiting)
        .order_by(BreakoutSeat.breakout_id, BreakoutSeat.created_at, BreakoutSeat.id)
    )
    last_breakout, number = None, 0
    for seat in waiting:
        number = number + 1 if seat.breakout_id == last_breakout else 1
        last_breakout = seat.breakout_id
        positions[seat.id] = number
    seats = db.session.scalars(
        select(BreakoutSeat)
        .join(Slot, Slot.id == BreakoutSeat.slot_id)
        .join(EventDay, EventDay.id == Slot.day_id)
        .where(
            Slot.event_id == event.id,
            BreakoutSeat.status.in_([SeatStatus.confirmed, SeatStatus.waiting]),
        )
        .order_by(EventDay.date, Slot.starts_at)
    )
    for seat in seats:
        if seat.registration_id in mine:
            mine[seat.registration_id].append(_session_entry(seat, positions.get(seat.id)))
    return mine


def push_my_sessions(event_id: int, registration_ids: list[int] | None = None) -> None:
    """After a commit: send attendees their own sessions, each to their own room only.

    `registration_ids` None means every registration of the event (a published or
    replaced assignment, a session changed by staff); pushes are coalesced per attendee,
    or per event for everyone.
    """
    if registration_ids is None:

        def push_all() -> None:
            event = db.session.get(Event, event_id)
            if event is None:
                return
            for registration_id, entries in _everyones_sessions(event).items():
                realtime.emit("my_breakouts", _mine(event, entries), attendee_room(registration_id))

        realtime.coalesce(f"attendees:{event_id}", push_all)
        return
    for registration_id in sorted(set(registration_ids)):

        def push_one(registration_id: int = registration_id) -> None:
            registration = db.session.get(Registration, registration_id)
            if registration is not None and registration.erased_at is None:
                realtime.emit(
                    "my_breakouts",
                    my_sessions_payload(registration),
                    attendee_room(registration_id),
                )

        realtime.coalesce(attendee_room(registration_id), push_one)


def sessions_payload(event: Event) -> dict:
    """Describe every session for the API: theme, slot, room and seat figures, no names."""
    sessions = []
    for view in sessions_of(event):
        slot = view.slot
        for session in view.sessions:
            breakout = session.breakout
            sessions.append(
                {
                    "id": breakout.id,
                    "title": breakout.title,
                    "theme": breakout.theme.title if breakout.theme else None,
                    "theme_id": breakout.theme_id,
                    "slot": {
                        "id": slot.id,
                        "title": slot.title,
                        "day": slot.day.date.isoformat(),
                        "start": slot.starts_at.strftime("%H:%M"),
                        "end": slot.ends_at.strftime("%H:%M"),
                    },
                    "room": breakout.room,
                    "capacity": breakout.capacity,
                    "taken": session.taken,
                    "waiting": session.waiting,
                    "left": session.left,
                }
            )
    return {
        "mode": event.breakout_mode.value,
        "signup_open": event.breakout_signup_open,
        "sessions": sessions,
    }
