"""Mails to attendees: the confirmation with the personal link and QR ticket, status changes.

Mails go out after the registration is committed; a failure is logged and reported to the
caller, never undoes the registration (staff can resend the confirmation).
"""

from __future__ import annotations

import io
import logging

from flask import render_template
from flask_babel import gettext as _

from voting import mail
from voting.models import Registration, RegistrationStatus
from voting.registration.countries import country_name
from voting.registration.tickets import format_ticket, ticket_qr
from voting.web import public_url

log = logging.getLogger(__name__)
Status = RegistrationStatus


def ticket_png(ticket_code: str, scale: int = 6) -> bytes:
    """Return the ticket's QR code as a PNG (mail clients show PNG, not always SVG)."""
    buffer = io.BytesIO()
    ticket_qr(ticket_code).save(buffer, kind="png", scale=scale, border=3)
    return buffer.getvalue()


def personal_link(registration: Registration, token: str) -> str:
    """Return the absolute personal link for a token."""
    return public_url("registration.open_link", code=registration.event.code, token=token)


def send_confirmation(registration: Registration, token: str) -> bool:
    """Send the confirmation with the personal link (and the ticket when confirmed)."""
    return _send(registration, personal_link(registration, token))


def send_status_update(registration: Registration) -> bool:
    """Tell an attendee their new status (promoted, approved, rejected, cancelled)."""
    return _send(registration, None)


def _send(registration: Registration, link: str | None) -> bool:
    """Render and send one attendee mail; return whether it left."""
    if not registration.email:
        return False
    context = _context(registration, link)
    images = {}
    if context["has_ticket"]:
        images[context["ticket_cid"]] = (ticket_png(registration.ticket_code), "png")
    message = mail.Mail(
        to=registration.email,
        subject=context["subject"],
        text=render_template("registration/mail/status.txt", **context),
        html=render_template("registration/mail/status.html", **context),
        images=images,
    )
    try:
        mail.send(message)
    except mail.MailError:
        log.warning("could not mail registration %s", registration.id)
        return False
    return True


def _context(registration: Registration, link: str | None) -> dict:
    """Return what the mail templates show."""
    event = registration.event
    status = registration.status
    return {
        "registration": registration,
        "event": event,
        "link": link,
        "status": status.value,
        "subject": _subject(event.name, status, link is not None),
        "has_ticket": status == Status.confirmed,
        "ticket_cid": mail.new_content_id(),
        "ticket": format_ticket(registration.ticket_code),
        "country": country_name(registration.country),
        "days": [day.title for day in registration.days],
    }


def _subject(event_name: str, status: Status, first: bool) -> str:
    """Return the subject line for a status."""
    subjects = {
        Status.confirmed: _("Your ticket for %(event)s", event=event_name)
        if first
        else _("You have a place at %(event)s", event=event_name),
        Status.waiting: _("You are on the waiting list for %(event)s", event=event_name),
        Status.pending: _("Your registration for %(event)s awaits approval", event=event_name),
        Status.cancelled: _("Your registration for %(event)s is cancelled", event=event_name),
        Status.rejected: _("Your registration for %(event)s was not accepted", event=event_name),
    }
    return subjects[status]
