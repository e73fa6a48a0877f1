"""Preference mode: attendees rank sessions, staff preview, adjust and publish an assignment.

Proposed seats are BreakoutSeat rows with status `proposed`: attendees see nothing of
them. `publish` turns them into `confirmed` seats, the same rows first-come sign-up
makes, so the attendee page, badges and rosters show a published assignment with no
code of their own. The solver (`assignment.py`) runs outside the write lock (it takes
seconds for a thousand people and the lock would stall every vote meanwhile); the seats
are then written under the lock after checking that the sessions did not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from voting.breakouts import assignment, service
from voting.database import as_id, lock_row
from voting.errors import Conflict, Forbidden, InvalidInput, NotFound
from voting.extensions import db
from voting.models import (
    Breakout,
    BreakoutMode,
    BreakoutPreference,
    BreakoutSeat,
    Event,
    EventDay,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Slot,
    registration_days,
    utcnow,
)

MAX_CHOICES = 3  # how many sessions an attendee ranks per slot
Confirmed = RegistrationStatus.confirmed


# --- reading ----------------------------------------------------------------------------


def slots_of(event: Event) -> list[Slot]:
    """Return the event's slots that have sessions, in programme order."""
    query = (
        select(Slot)
        .join(EventDay, EventDay.id == Slot.day_id)
        .where(Slot.event_id == event.id, Slot.breakouts.any())
        .order_by(EventDay.date, Slot.starts_at, Slot.id)
    )
    return list(db.session.scalars(query))


def _day_ids(registration: Registration) -> set[int]:
    """Return the days the attendee registered for (empty: the whole event)."""
    query = select(registration_days.c.day_id).where(
        registration_days.c.registration_id == registration.id
    )
    return set(db.session.scalars(query))


def slots_for(registration: Registration) -> list[Slot]:
    """Return the slots an attendee takes part in: those on their days."""
    days = _day_ids(registration)
    return [s for s in slots_of(registration.event) if not days or s.day_id in days]


def ranking_of(registration: Registration) -> dict[int, list[int]]:
    """Return the attendee's ranking: {slot id: [breakout ids, first choice first]}."""
    query = (
        select(BreakoutPreference)
        .where(BreakoutPreference.registration_id == registration.id)
        .order_by(BreakoutPreference.slot_id, BreakoutPreference.rank)
    )
    ranking: dict[int, list[int]] = {}
    for row in db.session.scalars(query):
        ranking.setdefault(row.slot_id, []).append(row.breakout_id)
    return ranking


def published_seats(registration: Registration) -> list[BreakoutSeat]:
    """Return the attendee's assigned sessions once the assignment is published, else []."""
    if registration.event.assignment_published_at is None:
        return []
    query = (
        select(BreakoutSeat)
        .where(
            BreakoutSeat.registration_id == registration.id,
            BreakoutSeat.status == SeatStatus.confirmed,
        )
        .order_by(BreakoutSeat.slot_id)
    )
    return list(db.session.scalars(query))


def ranking_open(event: Event) -> bool:
    """Say whether attendees may rank sessions now."""
    return (
        event.breakout_mode == BreakoutMode.preference
        and event.breakout_signup_open
        and event.assignment_published_at is None
    )


@contextmanager
def _locked(event: Event, *, shared: bool) -> Iterator[Event]:
    """Hold the event's write lock; roll back (and so release it) when a rule refuses."""
    # End the read transaction the checks began: on SQLite begin_write() takes the write
    # lock only when it starts the transaction itself.
    db.session.commit()
    try:
        yield lock_row(Event, event.id, shared=shared)
    except Exception:
        db.session.rollback()
        raise


# --- attendees: ranking -----------------------------------------------------------------


def _check_may_rank(event: Event, registration: Registration) -> None:
    """Raise unless this attendee may rank this event's sessions now."""
    if registration.event_id != event.id:
        raise Forbidden(_("This registration belongs to another event."), "wrong_event")
    if registration.status != Confirmed or registration.erased_at is not None:
        raise Forbidden(_("Only attendees with a confirmed place rank sessions."), "not_confirmed")
    if event.breakout_mode != BreakoutMode.preference:
        raise Conflict(_("Sessions at this event are first come, first served."), "signup_mode")
    if event.assignment_published_at is not None:
        raise Conflict(_("The sessions have been assigned; rankings are closed."), "published")
    if not event.breakout_signup_open:
        raise Conflict(_("Ranking of the sessions is closed."), "ranking_closed")


def _clean_slot(slot: Slot, picks: list) -> list[int]:
    """Check one slot's picks (None = left empty) and return the breakout ids in rank order."""
    while picks and picks[-1] in (None, ""):
        picks = picks[:-1]
    if len(picks) > MAX_CHOICES:
        raise InvalidInput(
            _("Rank at most %(most)d sessions per slot.", most=MAX_CHOICES), "too_many_choices"
        )
    if any(pick in (None, "") for pick in picks):
        raise InvalidInput(
            _("Fill in your choices in order, first choice first."), "gap_in_ranking"
        )
    sessions = {b.id for b in slot.breakouts}
    ids = [as_id(pick) for pick in picks]
    if any(number not in sessions for number in ids):
        raise InvalidInput(_("Choose sessions of that time slot only."), "unknown_breakout")
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("Choose a different session for each rank."), "repeated_choice")
    return ids


def _clean_ranking(registration: Registration, choices: dict) -> dict[int, list[int]]:
    """Check a whole ranking {slot id: [picks]}; raise InvalidInput on the first problem."""
    slots = {slot.id: slot for slot in slots_for(registration)}
    cleaned = {}
    for key, picks in choices.items():
        slot = slots.get(as_id(key))
        if slot is None:
            raise InvalidInput(_("That time slot is not one of yours."), "unknown_slot")
        cleaned[slot.id] = _clean_slot(slot, list(picks or []))
    return cleaned


def save_ranking(event: Event, registration: Registration, choices: dict) -> dict[int, list[int]]:
    """Replace the attendee's ranking of the given slots, all slots or none."""
    _check_may_rank(event, registration)
    cleaned = _clean_ranking(registration, choices)
    with _locked(event, shared=True) as locked:
        _check_may_rank(locked, registration)  # staff may have closed ranking meanwhile
        db.session.execute(
            delete(BreakoutPreference).where(
                BreakoutPreference.registration_id == registration.id,
                BreakoutPreference.slot_id.in_(list(cleaned)),
            )
        )
        for slot_id, ids in cleaned.items():
            for rank, breakout_id in enumerate(ids, start=1):
                db.session.add(
                    BreakoutPreference(
                        registration_id=registration.id,
                        breakout_id=breakout_id,
                        slot_id=slot_id,
                        rank=rank,
                    )
                )
        db.session.commit()
    return cleaned


# --- staff: plan, preview, adjust, publish ----------------------------------------------


@dataclass
class Plan:
    """An assignment with what it was computed from, and its figures."""

    people: list[assignment.Person]
    sessions: list[assignment.Session]
    seats: assignment.Seats
    figures: assignment.Figures


def _check_preference_mode(event: Event) -> None:
    """Raise unless the event assigns sessions from preferences."""
    if event.breakout_mode != BreakoutMode.preference:
        raise Conflict(
            _("This event's sessions are first come, first served: switch to preferences first."),
            "signup_mode",
        )


def _breakouts(event: Event) -> list[Breakout]:
    """Return the event's breakouts."""
    return list(
        db.session.scalars(
            select(Breakout).where(Breakout.event_id == event.id).order_by(Breakout.id)
        )
    )


def _candidates(event: Event) -> list[Registration]:
    """Return the attendees who take part: confirmed registrations not erased."""
    query = select(Registration).where(
        Registration.event_id == event.id,
        Registration.status == Confirmed,
        Registration.erased_at.is_(None),
    )
    return list(db.session.scalars(query.order_by(Registration.id)))


def _problem(event: Event) -> tuple[list[assignment.Person], list[assignment.Session]]:
    """Return the solver's input from the stored registrations, sessions and rankings."""
    sessions = [assignment.Session(b.id, b.slot_id, b.capacity) for b in _breakouts(event)]
    day_of = {s.id: s.day_id for s in slots_of(event)}
    ranked: dict[int, dict[int, list[int]]] = {}
    query = (
        select(BreakoutPreference)
        .join(Breakout, Breakout.id == BreakoutPreference.breakout_id)
        # a session moved to another slot after it was ranked no longer counts there
        .where(Breakout.event_id == event.id, Breakout.slot_id == BreakoutPreference.slot_id)
        .order_by(BreakoutPreference.rank)
    )
    for row in db.session.scalars(query):
        ranked.setdefault(row.registration_id, {}).setdefault(row.slot_id, []).append(
            row.breakout_id
        )
    days = _days_by_registration(event)
    people = []
    for reg in _candidates(event):
        mine = days.get(reg.id)
        slots = frozenset(s for s, d in day_of.items() if d in mine) if mine else None
        choices = {slot: tuple(ids) for slot, ids in ranked.get(reg.id, {}).items()}
        people.append(assignment.Person(reg.id, reg.country, reg.organisation, choices, slots))
    return people, sessions


def _days_by_registration(event: Event) -> dict[int, set[int]]:
    """Return {registration id: day ids} for the event's registrations that chose days."""
    query = (
        select(registration_days.c.registration_id, registration_days.c.day_id)
        .join(Registration, Registration.id == registration_days.c.registration_id)
        .where(Registration.event_id == event.id)
    )
    days: dict[int, set[int]] = {}
    for registration_id, day_id in db.session.execute(query):
        days.setdefault(registration_id, set()).add(day_id)
    return days


def plan(event: Event) -> Plan:
    """Compute the best assignment from the stored rankings without storing anything."""
    _check_preference_mode(event)
    people, sessions = _problem(event)
    if not sessions:
        raise Conflict(_("This event has no breakout sessions yet."), "no_sessions")
    seats = _off_the_event_loop(assignment.solve, people, sessions)
    return Plan(people, sessions, seats, assignment.figures(people, sessions, seats))


def _off_the_event_loop(function, *args):
    """Call a CPU-bound function; under `voting serve` (gevent) in a native thread.

    The solver takes seconds for a thousand people; run in the hub's own thread it would
    stall every phone meanwhile. In a native thread the hub still gets the GIL every few
    milliseconds, so votes and pages go on while the preview is computed.
    """
    from gevent import get_hub, monkey

    if not monkey.is_module_patched("threading"):
        return function(*args)
    return get_hub().threadpool.apply(function, args)


def _slot_ids(event: Event):
    """Return a select of the ids of the event's slots."""
    return select(Slot.id).where(Slot.event_id == event.id)


def fixed_seats(event: Event) -> int:
    """Return how many seats of the event are not proposals (published or signed up)."""
    query = select(func.count(BreakoutSeat.id)).where(
        BreakoutSeat.slot_id.in_(_slot_ids(event)),
        BreakoutSeat.status != SeatStatus.proposed,
    )
    return db.session.scalar(query) or 0


def preview(event: Event, *, rerun: bool = False) -> Plan:
    """Compute the assignment and store it as proposed seats, replacing earlier proposals.

    Refused while confirmed or waiting seats exist (a published assignment, sign-ups),
    unless `rerun`: then those seats are removed and the assignment is unpublished.
    """
    _check_preference_mode(event)
    if fixed_seats(event) and not rerun:
        raise Conflict(
            _("Seats have been published or signed up for: ask for a re-run to replace them."),
            "seats_exist",
        )
    result = plan(event)
    with _locked(event, shared=False) as locked:
        _check_preference_mode(locked)
        if _session_shapes(locked) != {(s.id, s.slot, s.capacity) for s in result.sessions}:
            raise Conflict(_("The sessions changed meanwhile. Run the preview again."), "changed")
        replaced = fixed_seats(locked)
        if replaced and not rerun:
            raise Conflict(_("Seats were published meanwhile."), "seats_exist")
        db.session.execute(
            delete(BreakoutSeat)
            .where(BreakoutSeat.slot_id.in_(_slot_ids(locked)))
            .execution_options(synchronize_session=False)
        )
        locked.assignment_published_at = None
        _store_proposals(result.seats)
        db.session.commit()
    if replaced:  # attendees lose the seats they saw until the next publish
        service.push_seats(event.id)
        service.push_my_sessions(event.id)
    return result


def _store_proposals(seats: assignment.Seats) -> None:
    """Add a proposed seat for every person and slot the solver seated."""
    for (registration_id, slot_id), breakout_id in sorted(seats.items()):
        if breakout_id is not None:
            db.session.add(
                BreakoutSeat(
                    breakout_id=breakout_id,
                    registration_id=registration_id,
                    slot_id=slot_id,
                    status=SeatStatus.proposed,
                )
            )


def _session_shapes(event: Event) -> set[tuple[int, int, int]]:
    """Return (id, slot, capacity) of every session, to notice changes during a solve."""
    return {(b.id, b.slot_id, b.capacity) for b in _breakouts(event)}


def _current_seats(event: Event, people: list[assignment.Person]) -> assignment.Seats:
    """Return the stored seat (proposed or confirmed) of every person in every slot they attend."""
    slots = [s.id for s in slots_of(event)]
    seats: assignment.Seats = {
        (p.id, slot): None for p in people for slot in slots if p.attends(slot)
    }
    query = select(BreakoutSeat).where(
        BreakoutSeat.slot_id.in_(slots),
        BreakoutSeat.status.in_([SeatStatus.proposed, SeatStatus.confirmed]),
    )
    for seat in db.session.scalars(query):
        if (seat.registration_id, seat.slot_id) in seats:
            seats[(seat.registration_id, seat.slot_id)] = seat.breakout_id
    return seats


def current(event: Event) -> Plan:
    """Return the stored assignment (proposed or published), as edited, with its figures."""
    people, sessions = _problem(event)
    seats = _current_seats(event, people)
    return Plan(people, sessions, seats, assignment.figures(people, sessions, seats))


def _taken(breakout: Breakout) -> int:
    """Return the seats of a session held (proposed or confirmed) by confirmed attendees."""
    query = (
        select(func.count(BreakoutSeat.id))
        .join(Registration, Registration.id == BreakoutSeat.registration_id)
        .where(
            BreakoutSeat.breakout_id == breakout.id,
            BreakoutSeat.status.in_([SeatStatus.proposed, SeatStatus.confirmed]),
            Registration.status == Confirmed,
        )
    )
    return db.session.scalar(query) or 0


def move(event: Event, registration_id, breakout_id) -> BreakoutSeat:
    """Move one attendee's seat (or give them one) to a session of the same slot.

    Before publishing the seat is a proposal; after, it is the attendee's confirmed seat,
    and their open pages are told at once.
    """
    _check_preference_mode(event)
    with _locked(event, shared=False) as locked:
        published = locked.assignment_published_at is not None
        status = SeatStatus.confirmed if published else SeatStatus.proposed
        target = _find_breakout(locked, breakout_id)
        registration = find_registration(locked, registration_id)
        if registration.status != Confirmed or registration.erased_at is not None:
            raise Conflict(_("Only confirmed attendees get seats."), "not_confirmed")
        seat = db.session.scalar(
            select(BreakoutSeat).where(
                BreakoutSeat.registration_id == registration.id,
                BreakoutSeat.slot_id == target.slot_id,
            )
        )
        if seat is not None and seat.status != status:
            # a sign-up seat or waiting place from first-come mode, not part of the assignment
            raise Conflict(
                _("That seat was signed up for; re-run the assignment to change it."), "fixed"
            )
        moved = seat is None or seat.breakout_id != target.id
        if moved:
            if _taken(target) >= target.capacity:
                raise Conflict(_("%(title)s is full.", title=target.title), "full")
            seat = seat or BreakoutSeat(
                registration_id=registration.id, slot_id=target.slot_id, status=status
            )
            seat.breakout_id = target.id
            db.session.add(seat)
        db.session.commit()
    if published and moved:
        service.push_seats(event.id)
        service.push_my_sessions(event.id, [registration.id])
    return seat


def _find_breakout(event: Event, breakout_id) -> Breakout:
    """Return a breakout of the event or raise NotFound."""
    breakout = db.session.get(Breakout, as_id(breakout_id) or 0)
    if breakout is None or breakout.event_id != event.id:
        raise NotFound(_("No such breakout session in this event."), "unknown_breakout")
    return breakout


def publish(event: Event) -> int:
    """Confirm every proposed seat so that attendees see their sessions; return how many."""
    _check_preference_mode(event)
    with _locked(event, shared=False) as locked:
        result = db.session.execute(
            update(BreakoutSeat)
            .where(
                BreakoutSeat.slot_id.in_(_slot_ids(locked)),
                BreakoutSeat.status == SeatStatus.proposed,
            )
            .values(status=SeatStatus.confirmed)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:
            raise Conflict(
                _("There is no proposed assignment to publish: run a preview."), "no_preview"
            )
        locked.assignment_published_at = utcnow()
        db.session.commit()
    # seats were changed by a bulk statement: reload them on next access
    db.session.expire_all()
    service.push_seats(event.id)
    service.push_my_sessions(event.id)
    return result.rowcount


def find_registration(event: Event, registration_id) -> Registration:
    """Return a registration of the event or raise NotFound."""
    registration = db.session.get(Registration, as_id(registration_id) or 0)
    if registration is None or registration.event_id != event.id:
        raise NotFound(_("No such attendee in this event."), "unknown_registration")
    return registration


# --- what the staff page and the command show --------------------------------------------


@dataclass
class Member:
    """A person in a roster, with the rank of their choice they got (None: unranked)."""

    registration: Registration
    rank: int | None
    ranked: bool  # whether they ranked anything in this slot


@dataclass
class Roster:
    """A session of the proposed or published assignment, its people and its figures."""

    breakout: Breakout
    room: assignment.RoomFigures
    members: list[Member]


@dataclass
class SlotRosters:
    """The sessions of one slot and the people without a seat in it."""

    slot: Slot
    rosters: list[Roster]
    unassigned: list[Member]


def _member(registration: Registration, person: assignment.Person, slot: int, seat) -> Member:
    """Return a roster line: who, and which of their choices the seat is."""
    ranked = person.choices.get(slot, ())
    rank = ranked.index(seat) + 1 if seat in ranked else None
    return Member(registration, rank, bool(ranked))


def rosters(event: Event, result: Plan) -> list[SlotRosters]:
    """Return the assignment per slot and session, with each person's rank and the room figures."""
    people = {p.id: p for p in result.people}
    registrations = {r.id: r for r in _candidates(event)}
    rooms = {room.session_id: room for room in result.figures.rooms}
    out = []
    for slot in slots_of(event):
        lines: dict[int | None, list[Member]] = {}
        for (person_id, slot_id), seat in sorted(result.seats.items()):
            if slot_id == slot.id:
                member = _member(registrations[person_id], people[person_id], slot.id, seat)
                lines.setdefault(seat, []).append(member)
        out.append(
            SlotRosters(
                slot=slot,
                rosters=[Roster(b, rooms[b.id], lines.get(b.id, [])) for b in slot.breakouts],
                unassigned=lines.get(None, []),
            )
        )
    return out


def summary_lines(event: Event, result: Plan) -> list[str]:
    """Return the satisfaction and mixing figures as plain text lines (for the command)."""
    figures = result.figures
    lines = [f"{event.code}: {figures.places} places to fill ({len(result.people)} attendees)"]
    rows = [(f"choice {rank}", n) for rank, n in sorted(figures.by_rank.items())]
    rows += [("unranked", figures.unranked), ("unassigned", figures.unassigned)]
    lines += [f"  {label:<11} {n:>6}  {figures.share(n):6.1%}" for label, n in rows]
    lines.append(
        f"  mixing: largest same-country share in a room {figures.worst_country_share:.0%}, "
        f"same-country pairs {figures.same_country_pairs}, "
        f"same-organisation pairs {figures.same_organisation_pairs}"
    )
    titles = {b.id: b.title for b in _breakouts(event)}
    for room in figures.rooms:
        lines.append(
            f"  {titles.get(room.session_id, room.session_id)}: {room.taken}/{room.capacity}, "
            f"{room.countries} countries, largest {room.top_country or '-'} {room.country_share:.0%}"
        )
    return lines
