"""Check-in at the door: find attendees, mark them checked in exactly once, live counts.

The HTTP pages, the socket handlers and the JSON API all call these functions.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import OperationalError

from voting import realtime
from voting.database import as_id, begin_write
from voting.errors import Conflict, InvalidInput, NotFound, Unavailable
from voting.extensions import db
from voting.models import Event, Registration, RegistrationStatus, User, utcnow
from voting.polls.service import refresh_turnout
from voting.registration import service as registration_service
from voting.registration.tickets import normalise_ticket

SEARCH_LIMIT = 20
MAX_QUERY = 100  # characters of a search that are looked at
MAX_TERMS = 5  # words of a search that must all match
MAX_IDS = 1000  # registrations on one badge print


def checkin_room(event_id: int) -> str:
    """Room of the event's staff screens that follow the check-in counts."""
    return f"checkin:{event_id}"


class AlreadyCheckedIn(Conflict):
    """A second check-in: carries who checked the attendee in, and when."""

    code = "already_checked_in"

    def __init__(self, registration: Registration) -> None:
        self.checked_in_at = as_utc(registration.checked_in_at)
        by = registration.checked_in_by
        self.checked_in_by = by.email if by is not None else None
        super().__init__(
            _(
                "%(name)s was already checked in at %(time)s by %(who)s.",
                name=registration.full_name,
                time=format_datetime(self.checked_in_at, "medium"),
                who=self.checked_in_by or _("a removed account"),
            )
        )


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Return a stored time as timezone-aware UTC (SQLite gives it back naive)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    """Return a stored time as an ISO 8601 string in UTC, or None."""
    value = as_utc(value)
    return value.isoformat() if value is not None else None


# --- finding attendees ------------------------------------------------------------


def find_registration(event: Event, registration_id) -> Registration:
    """Return a registration of this event by id, or raise NotFound (junk ids too)."""
    return registration_service.by_id(event, registration_id)


def find_by_ticket(event: Event, text: str) -> Registration:
    """Return the registration of this event with a typed or scanned ticket code."""
    code = normalise_ticket(text)
    registration = None
    if code.isalnum():
        registration = db.session.scalar(
            select(Registration).where(
                Registration.ticket_code == code, Registration.event_id == event.id
            )
        )
    if registration is None:
        raise NotFound(_("No ticket of this event has this code."), "unknown_ticket")
    return registration


def search(event: Event, query: str, limit: int = SEARCH_LIMIT) -> list[Registration]:
    """Return registrations whose name, organisation, email or ticket match every word."""
    terms = str(query or "")[:MAX_QUERY].split()[:MAX_TERMS]
    if not terms:
        return []
    conditions = [_term_matches(term) for term in terms]
    statement = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.erased_at.is_(None),
            and_(*conditions),
        )
        .order_by(func.lower(Registration.last_name), func.lower(Registration.first_name))
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def _term_matches(term: str):
    """Return the condition that one search word matches a registration."""
    folded = term.lower()
    columns = (
        Registration.first_name,
        Registration.last_name,
        Registration.organisation,
        Registration.email,
    )
    return or_(
        *(func.lower(column).contains(folded, autoescape=True) for column in columns),
        Registration.ticket_code == normalise_ticket(term),
    )


def lookup(event: Event, query: str) -> tuple[Registration | None, list[Registration]]:
    """Return the registration whose ticket the query is, else the search matches."""
    try:
        return find_by_ticket(event, query), []
    except NotFound:
        return None, search(event, query)


# --- checking in ----------------------------------------------------------------------

REFUSALS = {
    RegistrationStatus.pending: (
        "registration_pending",
        _l("This registration still waits for approval: it cannot be checked in yet."),
    ),
    RegistrationStatus.waiting: (
        "registration_waiting",
        _l("This person is on the waiting list and has no seat: do not check them in."),
    ),
    RegistrationStatus.cancelled: (
        "registration_cancelled",
        _l("This registration was cancelled: do not check them in."),
    ),
    RegistrationStatus.rejected: (
        "registration_rejected",
        _l("This registration was rejected: do not check them in."),
    ),
}


def refusal(registration: Registration) -> Conflict | None:
    """Return why this registration cannot be checked in now, or None if it can."""
    if registration.erased_at is not None:
        return Conflict(_("This registration's data was erased."), "registration_erased")
    if registration.status in REFUSALS:
        code, message = REFUSALS[registration.status]
        return Conflict(str(message), code)
    if registration.checked_in_at is not None:
        return AlreadyCheckedIn(registration)
    return None


def check_in(registration: Registration, by_user: User) -> Registration:
    """Mark a confirmed attendee checked in, exactly once even when two doors scan at once.

    One conditional UPDATE (... WHERE checked_in_at IS NULL AND status = confirmed)
    decides: of concurrent callers exactly one changes the row; the others find it
    changed and get AlreadyCheckedIn with who did it and when.
    """
    now = utcnow()
    changed = _update_once(
        registration.id,
        and_(
            Registration.checked_in_at.is_(None),
            Registration.status == RegistrationStatus.confirmed,
            Registration.erased_at.is_(None),
        ),
        {"checked_in_at": now, "checked_in_by_id": by_user.id, "updated_at": now},
    )
    fresh = _reload(registration.id)
    if not changed:
        raise refusal(fresh) or Conflict(_("Check-in failed; try again."), "conflict")
    _announce(fresh.event_id)
    return fresh


def undo_check_in(registration: Registration) -> Registration:
    """Mark a checked-in attendee as not checked in (staff correcting a mistake)."""
    changed = _update_once(
        registration.id,
        Registration.checked_in_at.is_not(None),
        {"checked_in_at": None, "checked_in_by_id": None, "updated_at": utcnow()},
    )
    fresh = _reload(registration.id)
    if not changed:
        raise Conflict(_("%(name)s is not checked in.", name=fresh.full_name), "not_checked_in")
    _announce(fresh.event_id)
    return fresh


def _announce(event_id: int) -> None:
    """After a commit: new counts to the check-in screens, new turnout to the consoles."""
    push_counts(event_id)
    # Who may vote in checked-in-only polls changed with this check-in.
    refresh_turnout(event_id)


def _update_once(registration_id: int, condition, values: dict) -> bool:
    """Run one conditional UPDATE of a registration and commit; say if it changed the row."""
    try:
        begin_write()
        result = db.session.execute(
            update(Registration)
            .where(Registration.id == registration_id, condition)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed = result.rowcount == 1
        if changed:
            db.session.commit()
        else:
            db.session.rollback()
    except OperationalError:
        # Database locked or gone: nothing was stored, the same request may be sent again.
        db.session.rollback()
        raise Unavailable(
            _("Check-in is unavailable right now; try again."), "unavailable"
        ) from None
    return changed


def _reload(registration_id: int) -> Registration:
    """Load a registration afresh from the database, or raise NotFound."""
    registration = db.session.execute(
        select(Registration)
        .where(Registration.id == registration_id)
        .execution_options(populate_existing=True)
    ).scalar()
    if registration is None:
        raise NotFound(_("No such registration in this event."), "unknown_registration")
    return registration


# --- counts and live pushes ---------------------------------------------------------


def counts(event_id: int) -> dict[str, int]:
    """Return the event's registrations per status, checked in, and still expected."""
    result = {status.value: 0 for status in RegistrationStatus}
    result.update(checked_in=0, expected=0, total=0)
    rows = db.session.execute(
        select(Registration.status, func.count(), func.count(Registration.checked_in_at))
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    )
    for status, number, checked in rows:
        status = RegistrationStatus(status)
        result[status.value] = number
        result["total"] += number
        if status == RegistrationStatus.confirmed:
            # Only confirmed attendees count: a checked-in person later cancelled is gone.
            result["checked_in"] = checked
            result["expected"] = number - checked
    return result


def counts_payload(event_id: int) -> dict:
    """Return the `checkin_counts` push: the counts with a sequence number."""
    return {"seq": realtime.next_seq(), "counts": counts(event_id)}


def push_counts(event_id: int) -> None:
    """Send the event's new counts to its staff screens (after a commit; coalesced)."""

    def push() -> None:
        realtime.emit("checkin_counts", counts_payload(event_id), checkin_room(event_id))

    realtime.coalesce(checkin_room(event_id), push)


# --- lists for badges and the API ----------------------------------------------------


def registrations(
    event: Event,
    statuses: list[RegistrationStatus] | None = None,
    ids: list[int] | None = None,
) -> list[Registration]:
    """Return the event's registrations (not erased) by last and first name."""
    statement = select(Registration).where(
        Registration.event_id == event.id, Registration.erased_at.is_(None)
    )
    if statuses is not None:
        statement = statement.where(Registration.status.in_(statuses))
    if ids is not None:
        statement = statement.where(Registration.id.in_(ids))
    statement = statement.order_by(
        func.lower(Registration.last_name), func.lower(Registration.first_name), Registration.id
    )
    return list(db.session.scalars(statement))


def parse_status(text: str | None) -> RegistrationStatus | None:
    """Return the status named in a query string, None if empty, else raise InvalidInput."""
    if not text:
        return None
    try:
        return RegistrationStatus(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            _("Unknown status “%(status)s”.", status=text[:40]), "invalid_status"
        ) from None


def parse_ids(text: str | None) -> list[int] | None:
    """Return the ids of a comma-separated list, None if empty, else raise InvalidInput."""
    if not text or not text.strip():
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > MAX_IDS or any(as_id(part) is None for part in parts):
        raise InvalidInput(
            _("ids must be a comma-separated list of registration numbers."), "invalid_ids"
        )
    return [int(part) for part in parts]


def registration_payload(registration: Registration) -> dict:
    """Describe a registration for staff (API and sockets)."""
    return {
        "id": registration.id,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "country": registration.country,
        "status": RegistrationStatus(registration.status).value,
        "checked_in_at": iso(registration.checked_in_at),
    }
