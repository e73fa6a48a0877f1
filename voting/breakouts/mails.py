"""Mails about breakout sessions: the attendee who got a seat from a waiting list is told."""

from __future__ import annotations

import logging

from flask import render_template
from flask_babel import gettext as _

from voting import mail
from voting.models import Breakout, Registration
from voting.web import public_url

log = logging.getLogger(__name__)


def send_promoted(registration: Registration, breakout: Breakout) -> bool:
    """Tell an attendee that a seat in a session they waited for is theirs; return if it left."""
    if not registration.email:
        return False
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "breakout": breakout,
        "slot": breakout.slot,
        "link": public_url("breakouts.index", code=event.code),
    }
    message = mail.Mail(
        to=registration.email,
        subject=_("You have a seat in %(session)s", session=breakout.title),
        text=render_template("breakouts/mail/promoted.txt", **context),
    )
    try:
        mail.send(message)
    except mail.MailError:
        log.warning(
            "could not mail registration %s about breakout %s", registration.id, breakout.id
        )
        return False
    return True
