"""Registration: signing up, seats and the waiting list, approval, the personal link, privacy.

Seats are counted and given under the database write lock (SQLite's BEGIN IMMEDIATE,
a row lock on the event in PostgreSQL), so concurrent registrations at capacity never
exceed it. Mails are sent after the commit: a registration is never lost to a mail
server that is down; the attendee can be sent the confirmation again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from voting import ratelimits
from voting.database import as_id, lock_row
from voting.errors import Conflict, InvalidInput, NotFound
from voting.extensions import db
from voting.models import (
    Event,
    EventDay,
    Participant,
    Partnership,
    PrivacyNotice,
    QuestionKind,
    Registration,
    RegistrationStatus,
    registration_days,
    utcnow,
)
from voting.registration.countries import is_country
from voting.registration.tickets import link_hash, new_link_token, new_ticket_code

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
# Stored as the registration's role (and matched by imports): kept in English.
ROLES = (
    "Cluster manager",
    "Cluster staff",
    "Company or SME",
    "Public authority",
    "Research or academia",
    "Business support organisation",
    "Other",
)
TEXT_ANSWER_MAX = 500
Status = RegistrationStatus


class RegistrationInvalid(InvalidInput):
    """Registration input with problems, each tied to the form field it concerns."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), "invalid_registration")
        self.errors = errors


@dataclass
class RegistrationData:
    """What an attendee (or staff, or an import) fills in."""

    first_name: str
    last_name: str
    email: str
    organisation: str = ""
    country: str = ""
    partnership_id: int | None = None
    partnership_other: str = ""
    role: str = ""
    day_ids: list[int] = field(default_factory=list)
    needs: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    consent_privacy: bool = False
    consent_photos: bool = False


# --- validation ------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """Return the form of an email used to catch duplicates: trimmed and case-folded."""
    return str(email or "").strip().casefold()


def validate(
    event: Event, data: RegistrationData, *, need_consent: bool = True
) -> RegistrationData:
    """Check and normalise registration fields; raise RegistrationInvalid with every problem."""
    errors: dict[str, str] = {}
    data.first_name = _text(data.first_name, 100, "first_name", errors, required=True)
    data.last_name = _text(data.last_name, 100, "last_name", errors, required=True)
    data.email = str(data.email or "").strip()
    if not data.email:
        errors["email"] = _("Enter an email address.")
    elif len(data.email) > 254 or not EMAIL_RE.match(data.email):
        errors["email"] = _("Enter a valid email address, like name@example.org.")
    data.organisation = _text(data.organisation, 200, "organisation", errors, required=True)
    data.country = str(data.country or "").strip().upper()
    if not is_country(data.country):
        errors["country"] = _("Choose a country from the list.")
    _validate_partnership(event, data, errors)
    data.role = str(data.role or "").strip()
    if data.role and data.role not in ROLES:
        errors["role"] = _("Choose a role from the list.")
    _validate_days(event, data, errors)
    data.needs = _text(data.needs, 1000, "needs", errors)
    data.answers = _validate_answers(event, data.answers or {}, errors)
    if need_consent and not data.consent_privacy:
        errors["consent_privacy"] = _("You need to accept the privacy notice to register.")
    data.consent_photos = bool(data.consent_photos)
    if errors:
        raise RegistrationInvalid(errors)
    return data


def _text(value, limit: int, name: str, errors: dict, *, required: bool = False) -> str:
    """Return trimmed text, noting an error when it is missing or too long."""
    text = str(value or "").strip()
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > limit:
        errors[name] = _("Use at most %(most)d characters.", most=limit)
    return text


def _validate_partnership(event: Event, data: RegistrationData, errors: dict) -> None:
    """Accept one of the event's partnerships, or 'other' with a typed name, or none."""
    data.partnership_other = str(data.partnership_other or "").strip()
    if data.partnership_id in (None, "", 0):
        data.partnership_id = None
        if len(data.partnership_other) > 200:
            errors["partnership_other"] = _("Use at most %(most)d characters.", most=200)
        return
    ids = {p.id for p in event.partnerships}
    try:
        data.partnership_id = int(data.partnership_id)
    except (TypeError, ValueError):
        data.partnership_id = -1
    if data.partnership_id not in ids:
        errors["partnership_id"] = _("Choose a partnership from the list, or 'other'.")
    data.partnership_other = ""


def _validate_days(event: Event, data: RegistrationData, errors: dict) -> None:
    """Require at least one of the event's days when it has several."""
    ids = {day.id for day in event.days}
    try:
        chosen = sorted({int(day) for day in data.day_ids or []})
    except (TypeError, ValueError):
        chosen = [-1]
    if any(day not in ids for day in chosen):
        errors["day_ids"] = _("Choose days of this event.")
    elif ids and not chosen:
        if len(ids) == 1:
            chosen = sorted(ids)
        else:
            errors["day_ids"] = _("Choose at least one day you will attend.")
    data.day_ids = chosen


def _validate_answers(event: Event, answers: dict, errors: dict) -> dict[str, str]:
    """Check the answers to the event's custom questions; keep only known questions."""
    clean: dict[str, str] = {}
    for question in event.questions:
        key = str(question.id)
        value = str(answers.get(key) or "").strip()
        field_name = f"q_{question.id}"
        if question.kind == QuestionKind.yesno and value not in ("", "yes", "no"):
            errors[field_name] = _("Answer yes or no.")
        elif question.kind == QuestionKind.choice and value and value not in question.choices:
            errors[field_name] = _("Choose one of the answers offered.")
        elif len(value) > TEXT_ANSWER_MAX:
            errors[field_name] = _("Use at most %(most)d characters.", most=TEXT_ANSWER_MAX)
        elif question.required and not value:
            errors[field_name] = _("This question needs an answer.")
        if value:
            clean[key] = value
    return clean


# --- registering -----------------------------------------------------------------------


@dataclass
class Registered:
    """A new registration and the personal-link token to mail (shown once, never stored)."""

    registration: Registration
    token: str


def register(event: Event, data: RegistrationData, *, by_staff: bool = False) -> Registered:
    """Register an attendee: confirmed, waiting or pending approval, decided under the lock.

    Staff registering someone (by hand or by import) skip the privacy consent, which the
    attendee gives when they open their link, and the approval step.
    """
    if not event.registration_open and not by_staff:
        raise Conflict(_("Registration for this event is closed."), "registration_closed")
    data = validate(event, data, need_consent=not by_staff)
    if not by_staff:
        ratelimits.check("register", normalise_email(data.email))
    event = _lock_event(event)
    earlier = _cancelled_registration(event, data.email)
    if earlier is None:
        _refuse_duplicate(event, data.email)
        registration, token = _new_registration(event, data)
    else:
        registration, token = _renew(earlier, event, data)
    if event.requires_approval and not by_staff:
        registration.status = Status.pending
    else:
        registration.status = Status.confirmed if _fits(event, data.day_ids) else Status.waiting
    _commit_unique_email()
    _announce(event.id)
    return Registered(registration, token)


def _cancelled_registration(event: Event, email: str) -> Registration | None:
    """Return the cancelled registration of this email, which registering again revives."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_key == normalise_email(email),
            Registration.status == Status.cancelled,
        )
    )


def _renew(
    registration: Registration, event: Event, data: RegistrationData
) -> tuple[Registration, str]:
    """Revive a cancelled registration with new details, a new link and a new ticket.

    It joins the back of the queue (a new registration time), as a new one would, and
    keeps its participant row, so votes cast earlier stay one ballot per poll.
    """
    _apply(registration, event, data)
    now = utcnow()
    registration.created_at = now
    registration.ticket_code = new_ticket_code()
    registration.checked_in_at = registration.checked_in_by_id = None
    if data.consent_privacy:
        registration.consent_privacy_at = now
        registration.consent_version = record_privacy_notice(event)
    db.session.flush()
    token, registration.link_hash = new_link_token()
    _follow_token(registration, token)
    return registration, token


def _lock_event(event: Event) -> Event:
    """Take the write lock that serialises seat counting for one event."""
    return lock_row(Event, event.id, shared=False)


def _announce(event_id: int, seats: list | None = None) -> None:
    """After a commit, update staff screens (check-in counts, turnout) and breakout seats."""
    # Imported here: the check-in, poll and breakout services import this module.
    from voting.breakouts.service import announce_seat_changes
    from voting.checkin.service import push_counts
    from voting.polls.service import refresh_turnout

    push_counts(event_id)
    refresh_turnout(event_id)
    if seats is not None:
        announce_seat_changes(event_id, seats)


def _release_breakout_seats(registration: Registration) -> list:
    """Free the breakout seats of an attendee who is no longer confirmed (under the lock)."""
    from voting.breakouts.service import release_seats_of

    return release_seats_of(registration)


def _refuse_duplicate(event: Event, email: str, *, other_than: int | None = None) -> None:
    """Refuse an email (any case) already registered for the event."""
    query = select(Registration.id).where(
        Registration.event_id == event.id, Registration.email_key == normalise_email(email)
    )
    if other_than is not None:
        query = query.where(Registration.id != other_than)
    if db.session.scalar(query) is not None:
        db.session.rollback()
        raise RegistrationInvalid(
            {
                "email": _(
                    "This email is already registered for this event. Use the link in "
                    "your confirmation email, or register someone else with their own email."
                )
            }
        )


def _commit_unique_email() -> None:
    """Commit; a concurrent registration of the same email becomes the duplicate message."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise RegistrationInvalid(
            {"email": _("This email is already registered for this event.")}
        ) from None


def _new_registration(event: Event, data: RegistrationData) -> tuple[Registration, str]:
    """Build the registration row, its ticket, its link and its participant (uncommitted)."""
    token, hashed = new_link_token()
    now = utcnow()
    registration = Registration(
        event_id=event.id,
        ticket_code=new_ticket_code(),
        link_hash=hashed,
        created_at=now,
        status=Status.pending,
    )
    _apply(registration, event, data)
    if data.consent_privacy:
        registration.consent_privacy_at = now
        registration.consent_version = record_privacy_notice(event)
    db.session.add(registration)
    db.session.flush()
    # The attendee votes as this participant from any device their link opens.
    db.session.add(
        Participant(
            event_id=event.id, public_id=_participant_id(token), registration_id=registration.id
        )
    )
    return registration, token


def _participant_id(token: str) -> str:
    """Return the participant id of an attendee: derived from, but not revealing, the token."""
    return "a-" + hashlib.sha256(b"participant:" + token.encode()).hexdigest()[:40]


def _apply(registration: Registration, event: Event, data: RegistrationData) -> None:
    """Copy validated fields onto a registration."""
    registration.first_name = data.first_name
    registration.last_name = data.last_name
    registration.email = data.email
    registration.email_key = normalise_email(data.email)
    registration.organisation = data.organisation
    registration.country = data.country
    registration.partnership_id = data.partnership_id
    registration.partnership_other = data.partnership_other
    registration.role = data.role
    registration.needs = data.needs
    registration.answers = data.answers
    registration.consent_photos = data.consent_photos
    registration.days = [day for day in event.days if day.id in data.day_ids]
    registration.updated_at = utcnow()


def record_privacy_notice(event: Event) -> str:
    """Store the event's current privacy notice text once; return its version."""
    text = privacy_text(event)
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    exists = db.session.scalar(
        select(PrivacyNotice.id).where(
            PrivacyNotice.event_id == event.id, PrivacyNotice.version == version
        )
    )
    if exists is None:
        db.session.add(PrivacyNotice(event_id=event.id, version=version, text=text))
    return version


def privacy_text(event: Event) -> str:
    """Return the event's privacy notice, or the default one naming the organiser.

    Not translated: the text is stored with each consent, and its hash is the notice's
    version (voting.models.PrivacyNotice).
    """
    if event.privacy_notice.strip():
        return event.privacy_notice.strip()
    contact = event.contact_email or "the organiser"
    return (
        f"The organiser of {event.name} is the controller of your personal data. "
        "We use your name, email, organisation, country, partnership, role, the days you "
        "attend and any needs you tell us about only to run this event: your ticket, "
        "check-in, badges, breakout sessions and the attendance figures. Your votes are "
        "counted without your name. You can download or delete your data at any time "
        f"from your personal link; questions go to {contact}. "
        + (
            f"Personal data is erased {event.retention_days} days after the event."
            if event.retention_days is not None
            else "Personal data is erased after the event when the organiser purges it."
        )
    )


# --- seats -----------------------------------------------------------------------------


def _fits(event: Event, day_ids: list[int], *, ignore: int | None = None) -> bool:
    """Say whether one more confirmed attendee on these days stays within every capacity."""
    if event.capacity is not None and _confirmed(event.id, ignore) >= event.capacity:
        return False
    limited = [day for day in event.days if day.id in day_ids and day.capacity is not None]
    return all(_confirmed_on(day.id, ignore) < day.capacity for day in limited)


def _confirmed(event_id: int, ignore: int | None) -> int:
    """Count the event's confirmed registrations (optionally not counting one)."""
    query = select(func.count()).where(
        Registration.event_id == event_id, Registration.status == Status.confirmed
    )
    if ignore is not None:
        query = query.where(Registration.id != ignore)
    return db.session.scalar(query) or 0


def _confirmed_on(day_id: int, ignore: int | None) -> int:
    """Count confirmed registrations attending one day."""
    query = (
        select(func.count())
        .select_from(registration_days)
        .join(Registration, Registration.id == registration_days.c.registration_id)
        .where(registration_days.c.day_id == day_id, Registration.status == Status.confirmed)
    )
    if ignore is not None:
        query = query.where(Registration.id != ignore)
    return db.session.scalar(query) or 0


def _promote_waiting(event: Event) -> list[Registration]:
    """Confirm waiting registrations, oldest first, while seats allow; return them.

    Seats are counted once and then tallied as people are promoted: counting again for
    every person waiting would cost queries per person while the write lock is held.
    """
    if event.capacity is not None and _confirmed(event.id, None) >= event.capacity:
        return []
    waiting = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == Status.waiting)
        .order_by(Registration.created_at, Registration.id)
    ).all()
    if not waiting:
        return []
    free = _free_seats(event)
    promoted = []
    for registration in waiting:
        days = [day.id for day in registration.days]
        # A later person may fit where an earlier one does not (other days): both are
        # checked, so a free seat on one day is not left empty.
        if free.take(days):
            registration.status = Status.confirmed
            registration.updated_at = utcnow()
            promoted.append(registration)
    db.session.flush()
    return promoted


@dataclass
class _FreeSeats:
    """Seats left for the event (None: unlimited) and per limited day, spent as people fit."""

    event: int | None
    days: dict[int, int]

    def take(self, day_ids: list[int]) -> bool:
        """Spend a seat on the event and on each of these days if all have one left."""
        needed = [day for day in day_ids if day in self.days]
        if self.event == 0 or any(self.days[day] <= 0 for day in needed):
            return False
        if self.event is not None:
            self.event -= 1
        for day in needed:
            self.days[day] -= 1
        return True


def _free_seats(event: Event) -> _FreeSeats:
    """Count the seats still free on the event and on each of its limited days."""
    left = None if event.capacity is None else max(0, event.capacity - _confirmed(event.id, None))
    days = {
        day.id: max(0, day.capacity - _confirmed_on(day.id, None))
        for day in event.days
        if day.capacity is not None
    }
    return _FreeSeats(left, days)


def fill_free_seats(event: Event) -> list[Registration]:
    """Promote from the waiting list after capacities grew; return who got a seat."""
    event = _lock_event(event)
    promoted = _promote_waiting(event)
    db.session.commit()
    _announce(event.id)
    return promoted


# --- changes by the attendee or staff -----------------------------------------------------


@dataclass
class Change:
    """The outcome of a change: the registration, and who was promoted from the waiting list."""

    registration: Registration
    promoted: list[Registration] = field(default_factory=list)


def cancel(registration: Registration) -> Change:
    """Cancel a registration; the freed seat goes to the waiting list at once."""
    event = _lock_event(registration.event)
    db.session.refresh(registration)
    if registration.status in (Status.cancelled, Status.rejected):
        db.session.rollback()
        raise Conflict(_("This registration is already cancelled."), "already_cancelled")
    registration.status = Status.cancelled
    registration.updated_at = utcnow()
    db.session.flush()
    seats = _release_breakout_seats(registration)
    promoted = _promote_waiting(event)
    db.session.commit()
    _announce(event.id, seats)
    return Change(registration, promoted)


def approve(registration: Registration) -> Change:
    """Approve a pending registration: confirmed if seats allow, else on the waiting list."""
    event = _lock_event(registration.event)
    db.session.refresh(registration)
    if registration.status != Status.pending:
        db.session.rollback()
        raise Conflict(_("Only registrations awaiting approval can be approved."), "not_pending")
    fits = _fits(event, [day.id for day in registration.days])
    registration.status = Status.confirmed if fits else Status.waiting
    registration.updated_at = utcnow()
    db.session.commit()
    _announce(event.id)
    return Change(registration)


def reject(registration: Registration) -> Change:
    """Reject a registration (pending or waiting); a seat it held goes to the waiting list."""
    return move(registration, Status.rejected)


def move(registration: Registration, status: str) -> Change:
    """Put a registration on another list (staff); 'confirmed' may exceed no capacity."""
    try:
        status = Status(status)
    except ValueError:
        raise InvalidInput(_("Unknown registration status."), "invalid_status") from None
    event = _lock_event(registration.event)
    db.session.refresh(registration)
    if status == registration.status:
        db.session.rollback()
        return Change(registration)
    if status == Status.confirmed and not _fits(
        event, [day.id for day in registration.days], ignore=registration.id
    ):
        db.session.rollback()
        raise Conflict(_("No seat is free for this registration's days."), "event_full")
    was_confirmed = registration.status == Status.confirmed
    registration.status = status
    registration.updated_at = utcnow()
    db.session.flush()
    # Only confirmed attendees keep breakout seats.
    seats = _release_breakout_seats(registration) if status != Status.confirmed else []
    promoted = _promote_waiting(event) if was_confirmed else []
    db.session.commit()
    _announce(event.id, seats)
    return Change(registration, promoted)


def update(registration: Registration, data: RegistrationData) -> Change:
    """Change an attendee's details; new days must have seats for a confirmed attendee."""
    event = registration.event
    data = validate(event, data, need_consent=False)
    event = _lock_event(event)
    db.session.refresh(registration)
    _refuse_duplicate(event, data.email, other_than=registration.id)
    old_days = {day.id for day in registration.days}
    added = [day for day in data.day_ids if day not in old_days]
    confirmed = registration.status == Status.confirmed
    if confirmed and added and not _fits_days(event, added, registration.id):
        db.session.rollback()
        raise RegistrationInvalid({"day_ids": _("That day is full.")})
    _apply(registration, event, data)
    db.session.flush()
    # Leaving a day frees its seat for someone waiting.
    promoted = _promote_waiting(event) if set(data.day_ids) != old_days else []
    _commit_unique_email()
    _announce(event.id)
    return Change(registration, promoted)


def _fits_days(event: Event, day_ids: list[int], ignore: int) -> bool:
    """Say whether the given days have a seat left, not counting one registration."""
    days = {day.id: day for day in event.days}
    return all(
        days[day].capacity is None or _confirmed_on(day, ignore) < days[day].capacity
        for day in day_ids
    )


def new_link(registration: Registration) -> str:
    """Give a registration a new personal link (old ones stop working); return its token."""
    token, registration.link_hash = new_link_token()
    _follow_token(registration, token)
    db.session.commit()
    return token


def _follow_token(registration: Registration, token: str) -> None:
    """Give the attendee's participant row the id of a new token; its ballots stay."""
    participant = db.session.scalar(
        select(Participant).where(Participant.registration_id == registration.id)
    )
    if participant is not None:
        participant.public_id = _participant_id(token)


def give_consent(registration: Registration, *, photos: bool | None = None) -> None:
    """Record the attendee's consent to the current privacy notice (staff-made registrations)."""
    registration.consent_privacy_at = utcnow()
    registration.consent_version = record_privacy_notice(registration.event)
    if photos is not None:
        registration.consent_photos = photos
    db.session.commit()


# --- finding -----------------------------------------------------------------------------


def by_token(event: Event, token: str) -> Registration:
    """Return the registration a personal link opens, or raise NotFound."""
    registration = db.session.scalar(
        select(Registration).where(
            Registration.link_hash == link_hash(token), Registration.event_id == event.id
        )
    )
    if registration is None or registration.erased_at is not None:
        raise NotFound(_("This personal link is not valid (any more)."), "unknown_link")
    return registration


def by_id(event: Event, registration_id) -> Registration:
    """Return a registration of this event by id, or raise NotFound."""
    number = as_id(registration_id)
    registration = db.session.get(Registration, number) if number else None
    if registration is None or registration.event_id != event.id:
        raise NotFound(_("No such registration in this event."), "unknown_registration")
    return registration


def participant_id_for(registration: Registration) -> str | None:
    """Return the participant id an attendee votes with."""
    return db.session.scalar(
        select(Participant.public_id).where(Participant.registration_id == registration.id)
    )


def counts(event: Event) -> dict:
    """Return the figures staff watch: per status, checked in, per country and partnership."""
    base = select(func.count()).select_from(Registration).where(Registration.event_id == event.id)
    by_status = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    active = Registration.status.in_([Status.confirmed, Status.pending, Status.waiting])
    return {
        "total": db.session.scalar(base) or 0,
        **{status.value: by_status.get(status, 0) for status in Status},
        "checked_in": db.session.scalar(base.where(Registration.checked_in_at.is_not(None))) or 0,
        "by_country": _grouped(event, Registration.country, active),
        "by_partnership": _partnerships(event, active),
        "by_day": _days(event),
    }


def _grouped(event: Event, column, condition) -> list[tuple[str, int]]:
    """Return (value, count) of confirmed/pending/waiting registrations, largest first."""
    rows = db.session.execute(
        select(column, func.count())
        .where(Registration.event_id == event.id, condition)
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(value or "", count) for value, count in rows]


def _partnerships(event: Event, condition) -> list[tuple[str, int]]:
    """Return (partnership name, count), 'Other' and 'None' included."""
    rows = db.session.execute(
        select(Partnership.name, Registration.partnership_other, func.count())
        .select_from(Registration)
        .outerjoin(Partnership, Partnership.id == Registration.partnership_id)
        .where(Registration.event_id == event.id, condition)
        .group_by(Partnership.name, Registration.partnership_other)
    )
    totals: dict[str, int] = {}
    for name, other, count in rows:
        label = name or (_("Other: %(name)s", name=other) if other else _("None given"))
        totals[label] = totals.get(label, 0) + count
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def _days(event: Event) -> list[tuple[EventDay, int]]:
    """Return each day with its number of confirmed attendees."""
    return [(day, _confirmed_on(day.id, None)) for day in event.days]


# --- personal data ---------------------------------------------------------------------------


def personal_data(registration: Registration) -> dict:
    """Return everything stored about an attendee, for their download (JSON)."""
    questions = {str(q.id): q.label for q in registration.event.questions}
    return {
        "event": {"code": registration.event.code, "name": registration.event.name},
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "country": registration.country,
        "partnership": registration.partnership_name,
        "role": registration.role,
        "days": [day.date.isoformat() for day in registration.days],
        "needs": registration.needs,
        "answers": {questions.get(k, k): v for k, v in (registration.answers or {}).items()},
        "status": registration.status.value,
        "ticket_code": registration.ticket_code,
        "checked_in_at": _iso(registration.checked_in_at),
        "consent": {
            "privacy_at": _iso(registration.consent_privacy_at),
            "privacy_notice_version": registration.consent_version,
            "photos": registration.consent_photos,
        },
        "registered_at": _iso(registration.created_at),
        "updated_at": _iso(registration.updated_at),
        "votes": _("Your ballots are stored without your name and are not part of this file."),
    }


def _iso(value: dt.datetime | None) -> str | None:
    """Return a datetime as ISO 8601 text, or None."""
    return value.isoformat() if value else None


def delete_registration(registration: Registration) -> Change:
    """Erase an attendee's personal data at their request; their ballots keep counting.

    The ballots belong to the participant row, which is kept without its link to the
    registration; the registration row itself goes, which frees its seat.
    """
    event = _lock_event(registration.event)
    db.session.refresh(registration)
    held_seat = registration.status == Status.confirmed
    participant = db.session.scalar(
        select(Participant).where(Participant.registration_id == registration.id)
    )
    if participant is not None:
        participant.registration_id = None
    seats = _release_breakout_seats(registration)
    db.session.delete(registration)
    db.session.flush()
    promoted = _promote_waiting(event) if held_seat else []
    db.session.commit()
    _announce(event.id, seats)
    return Change(registration, promoted)


def erase_personal_data(registration: Registration) -> None:
    """Blank what identifies a person, keeping country, partnership, days and status for figures."""
    registration.first_name = ""
    registration.last_name = ""
    registration.email = None
    registration.email_key = None
    registration.organisation = ""
    registration.partnership_other = ""
    registration.role = ""
    registration.needs = ""
    registration.answers = {}
    registration.checked_in_by_id = None
    registration.erased_at = utcnow()
    # The personal link dies with the data: a fresh random hash nobody holds.
    registration.link_hash = new_link_token()[1]


def purge_event(event: Event) -> int:
    """Erase the personal data of every registration of an event; return how many."""
    registrations = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.erased_at.is_(None)
        )
    ).all()
    for registration in registrations:
        erase_personal_data(registration)
    db.session.commit()
    return len(registrations)


def purge_due(today: dt.date | None = None) -> dict[str, int]:
    """Purge every event whose retention period has passed; return code -> erased count."""
    today = today or dt.date.today()
    done = {}
    for event in db.session.scalars(select(Event).where(Event.retention_days.is_not(None))):
        # Counted in whole days after the last day: 0 means "from the day after".
        if event.ends_on + dt.timedelta(days=event.retention_days) < today:
            count = purge_event(event)
            if count:
                done[event.code] = count
    return done


# --- staff import: many registrations in one transaction -------------------------------
# (Section of the staff registration pages; see voting/registration/importing.py.)


class RowInvalid(RegistrationInvalid):
    """One row of a bulk registration has problems; `row` is its index in the batch."""

    def __init__(self, row: int, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.row = row


def register_many(event: Event, rows: list[RegistrationData]) -> list[Registered]:
    """Register attendees for staff (an import) in one transaction: all of them, or none.

    Seats are given in row order under the event's write lock, as one by one would; a
    problem in any row (invalid, a duplicate email) rolls back every row.
    """
    event = _lock_event(event)
    made: list[Registered] = []
    try:
        for index, data in enumerate(rows):
            made.append(_register_row(event, index, data))
        db.session.commit()
        _announce(event.id)
    except IntegrityError:
        db.session.rollback()
        raise RegistrationInvalid(
            {"email": _("An email is already registered for this event.")}
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return made


def _register_row(event: Event, index: int, data: RegistrationData) -> Registered:
    """Add one row of a bulk registration to the open transaction (flushed, not committed)."""
    try:
        data = validate(event, data, need_consent=False)
    except RegistrationInvalid as error:
        raise RowInvalid(index, error.errors) from None
    if db.session.scalar(
        select(Registration.id).where(
            Registration.event_id == event.id,
            Registration.email_key == normalise_email(data.email),
        )
    ):
        raise RowInvalid(index, {"email": _("This email is already registered for this event.")})
    registration, token = _new_registration(event, data)
    registration.status = Status.confirmed if _fits(event, data.day_ids) else Status.waiting
    db.session.flush()
    return Registered(registration, token)
