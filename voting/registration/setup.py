"""How an event registers people: seats, approval, privacy, partnerships, custom questions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from voting.errors import Conflict, InvalidInput, NotFound
from voting.extensions import db
from voting.models import Event, Partnership, Question, QuestionKind, Registration
from voting.registration import service
from voting.registration.service import EMAIL_RE

MAX_PARTNERSHIPS = 500
MAX_QUESTIONS = 30


@dataclass
class RegistrationSettings:
    """The registration settings of an event."""

    registration_open: bool = True
    capacity: int | None = None
    requires_approval: bool = False
    contact_email: str = ""
    privacy_notice: str = ""
    retention_days: int | None = None
    day_capacities: dict[int, int | None] = field(default_factory=dict)


def current_settings(event: Event) -> RegistrationSettings:
    """Return an event's registration settings."""
    return RegistrationSettings(
        registration_open=event.registration_open,
        capacity=event.capacity,
        requires_approval=event.requires_approval,
        contact_email=event.contact_email,
        privacy_notice=event.privacy_notice,
        retention_days=event.retention_days,
        day_capacities={day.id: day.capacity for day in event.days},
    )


def update_settings(event: Event, settings: RegistrationSettings) -> list[Registration]:
    """Save the settings; return who got a seat from the waiting list because seats grew."""
    _check_settings(event, settings)
    event.registration_open = bool(settings.registration_open)
    event.capacity = settings.capacity
    event.requires_approval = bool(settings.requires_approval)
    event.contact_email = settings.contact_email.strip()
    event.privacy_notice = settings.privacy_notice.strip()
    event.retention_days = settings.retention_days
    for day in event.days:
        if day.id in settings.day_capacities:
            day.capacity = settings.day_capacities[day.id]
    db.session.commit()
    # Fewer seats never un-confirm anyone; more seats go to the waiting list at once.
    return service.fill_free_seats(event)


def _check_settings(event: Event, settings: RegistrationSettings) -> None:
    """Refuse negative capacities, bad emails, unknown days and overlong texts."""
    capacities = [settings.capacity, *settings.day_capacities.values()]
    if any(value is not None and not 0 <= value <= 1_000_000 for value in capacities):
        raise InvalidInput(_("A capacity is a number from 0 to 1,000,000."), "invalid_capacity")
    if settings.retention_days is not None and not 0 <= settings.retention_days <= 3650:
        raise InvalidInput(_("Keep personal data 0 to 3,650 days."), "invalid_retention")
    email = settings.contact_email.strip()
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise InvalidInput(_("Enter a valid contact email."), "invalid_email")
    if len(settings.privacy_notice) > 20_000:
        raise InvalidInput(
            _("The privacy notice can have at most 20,000 characters."), "invalid_notice"
        )
    if set(settings.day_capacities) - {day.id for day in event.days}:
        raise InvalidInput(_("Unknown day."), "invalid_day")


def set_partnerships(event: Event, text: str) -> None:
    """Make the event's partnership list the given lines (one name per line, kept in use)."""
    names = _unique_lines(text)
    if len(names) > MAX_PARTNERSHIPS or any(len(name) > 200 for name in names):
        raise InvalidInput(
            _(
                "Give at most %(most)d partnerships of at most 200 characters.",
                most=MAX_PARTNERSHIPS,
            ),
            "invalid_partnerships",
        )
    wanted = {name.casefold(): name for name in names}
    for partnership in list(event.partnerships):
        if partnership.name.casefold() in wanted:
            partnership.name = wanted.pop(partnership.name.casefold())
        elif _in_use(partnership):
            db.session.rollback()
            raise Conflict(
                _(
                    "“%(name)s” is chosen by registered attendees and cannot be removed.",
                    name=partnership.name,
                ),
                "partnership_in_use",
            )
        else:
            event.partnerships.remove(partnership)
    event.partnerships.extend(Partnership(name=name) for name in wanted.values())
    db.session.commit()


def _unique_lines(text: str) -> list[str]:
    """Return the non-empty trimmed lines of a text, without case-insensitive repeats."""
    seen: dict[str, str] = {}
    for line in str(text or "").splitlines():
        name = re.sub(r"\s+", " ", line).strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def _in_use(partnership: Partnership) -> bool:
    """Say whether any registration names this partnership."""
    query = select(func.count()).where(Registration.partnership_id == partnership.id)
    return bool(db.session.scalar(query))


def add_question(
    event: Event, label: str, kind: str, choices_text: str, required: bool
) -> Question:
    """Add a custom question to the event's registration form."""
    label = str(label or "").strip()
    if not label or len(label) > 200:
        raise InvalidInput(_("A question needs 1 to 200 characters."), "invalid_question")
    try:
        kind = QuestionKind(kind)
    except ValueError:
        raise InvalidInput(_("Choose text, choice or yes/no."), "invalid_question") from None
    choices = _unique_lines(choices_text) if kind == QuestionKind.choice else []
    if kind == QuestionKind.choice and not 2 <= len(choices) <= 30:
        raise InvalidInput(
            _("A choice question needs 2 to 30 answers, one per line."), "invalid_question"
        )
    if any(len(choice) > 200 for choice in choices):
        raise InvalidInput(_("An answer can have at most 200 characters."), "invalid_question")
    if len(event.questions) >= MAX_QUESTIONS:
        raise InvalidInput(
            _("An event can ask at most %(most)d questions.", most=MAX_QUESTIONS),
            "invalid_question",
        )
    position = max((q.position for q in event.questions), default=0) + 1
    question = Question(
        label=label, kind=kind, choices=choices, required=bool(required), position=position
    )
    event.questions.append(question)
    db.session.commit()
    return question


def remove_question(event: Event, question_id: int) -> None:
    """Remove a custom question (answers already given stay in the registrations' records)."""
    question = next((q for q in event.questions if q.id == question_id), None)
    if question is None:
        raise NotFound(_("No such question in this event."), "unknown_question")
    event.questions.remove(question)
    db.session.commit()
