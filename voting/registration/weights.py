"""Vote weights of attendees, for weighted polls: set by hand or split per group.

A weight applies to ballots cast after it is set (a ballot keeps the weight its voter
had when it was cast, so a secret ballot's weight never needs its voter again).
"""

from __future__ import annotations

import math
from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import select

from voting.errors import InvalidInput
from voting.extensions import db
from voting.models import Event, Registration, RegistrationStatus
from voting.polls.eligibility import normalise_organisation
from voting.polls.tallies import figure

MAX_WEIGHT = 1000.0
GROUPINGS = ("partnership", "organisation")


def confirmed(event: Event) -> list[Registration]:
    """Return the event's confirmed attendees (those who can hold a weight), by name."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.confirmed,
                Registration.erased_at.is_(None),
            )
            .order_by(Registration.last_name, Registration.first_name, Registration.id)
        )
    )


def valid_weight(raw) -> float:
    """Read a weight: a finite number from 0 to MAX_WEIGHT (a comma as decimal mark is fine)."""
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise InvalidInput(_("A weight is a number such as 1 or 0.5."), "invalid_weight") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT:
        raise InvalidInput(
            _("A weight is a number from 0 to %(most)g.", most=MAX_WEIGHT), "invalid_weight"
        )
    return round(value, 4)


def set_weights(event: Event, raw: dict[int, object]) -> int:
    """Set the weights of some confirmed attendees at once; all or none. Returns how many."""
    people = {registration.id: registration for registration in confirmed(event)}
    values = {}
    for registration_id, value in raw.items():
        if registration_id not in people:
            raise InvalidInput(
                _("A weight names someone who is not a confirmed attendee."),
                "unknown_registration",
            )
        values[registration_id] = valid_weight(value)
    for registration_id, value in values.items():
        people[registration_id].vote_weight = value
    db.session.commit()
    return len(values)


def group_of(registration: Registration, grouping: str) -> str:
    """Return the group an attendee's share is split within (the person alone if none)."""
    if grouping == "partnership" and registration.partnership_id is not None:
        return f"p:{registration.partnership_id}"
    if grouping == "partnership" and registration.partnership_other.strip():
        return f"o:{normalise_organisation(registration.partnership_other)}"
    if grouping == "organisation" and registration.organisation.strip():
        return f"o:{normalise_organisation(registration.organisation)}"
    return f"r:{registration.id}"


def split_per_group(event: Event, grouping: str) -> dict[str, int]:
    """Give each partnership (or organisation) one vote, split equally among its delegates.

    Attendees with no group keep a whole vote of their own. Returns the group sizes.
    """
    if grouping not in GROUPINGS:
        raise InvalidInput(_("Split per partnership or per organisation."), "invalid_grouping")
    people = confirmed(event)
    sizes = Counter(group_of(person, grouping) for person in people)
    for person in people:
        person.vote_weight = round(1 / sizes[group_of(person, grouping)], 4)
    db.session.commit()
    return dict(sizes)


def reset_weights(event: Event) -> None:
    """Give every confirmed attendee a whole vote again."""
    for person in confirmed(event):
        person.vote_weight = 1.0
    db.session.commit()


def total(event: Event) -> float:
    """Return the summed weight of the confirmed attendees."""
    return figure(sum(person.vote_weight for person in confirmed(event)))
