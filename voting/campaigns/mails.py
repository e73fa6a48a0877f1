"""Mails to campaign organisers: submission received, changes asked, approved, rejected, event made.

Each goes out after the change is committed, in the organiser's language (the one they
submitted in). A failure is logged and reported to the caller; it never undoes the change.
"""

from __future__ import annotations

import logging

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from voting import mail
from voting.accounts.service import password_link_token
from voting.models import Event, Listing, User
from voting.web import public_url

log = logging.getLogger(__name__)


def edit_link(listing: Listing, token: str) -> str:
    """Return the absolute private link to the organiser's listing page."""
    return public_url("campaigns.listing", slug=listing.campaign.slug, token=token)


def send_submitted(listing: Listing, token: str) -> bool:
    """Confirm a submission, with the private link to see and edit it."""
    return _send(listing, "submitted", link=edit_link(listing, token))


def send_changes_requested(listing: Listing, token: str) -> bool:
    """Ask the organiser for changes: the admin's note and the (new) private link."""
    return _send(listing, "changes_requested", link=edit_link(listing, token))


def send_approved(listing: Listing, token: str) -> bool:
    """Tell the organiser their event is on the calendar, with the link to make it a Plenum event."""
    return _send(listing, "approved", link=edit_link(listing, token))


def send_rejected(listing: Listing) -> bool:
    """Tell the organiser their event was not accepted, and why."""
    return _send(listing, "rejected")


def send_event_created(listing: Listing, event: Event, organiser: User, new: bool) -> bool:
    """Tell the organiser their Plenum event exists; a new account gets a link to set its password."""
    password_link = None
    if new:
        token = password_link_token(organiser, current_app.secret_key)
        password_link = public_url("accounts.set_password_page", token=token)
    return _send(
        listing,
        "event_created",
        event=event,
        event_link=public_url("events.live", code=event.code),
        console_link=public_url("admin.home"),
        password_link=password_link,
        account=organiser.email,
    )


def _send(listing: Listing, kind: str, **extra) -> bool:
    """Render and send one organiser mail in their language; return whether it left."""
    with force_locale(listing.language or "en"):
        context = {"listing": listing, "campaign": listing.campaign, "kind": kind, **extra}
        message = mail.Mail(
            to=listing.contact_email,
            subject=_subject(listing, kind),
            text=render_template("campaigns/mail/listing.txt", **context),
        )
    try:
        mail.send(message)
    except mail.MailError:
        log.warning("could not mail campaign listing %s (%s)", listing.id, kind)
        return False
    return True


def _subject(listing: Listing, kind: str) -> str:
    """Return the subject line of a mail."""
    values = {"title": listing.title, "campaign": listing.campaign.name}
    subjects = {
        "submitted": _("%(campaign)s: we received %(title)s", **values),
        "changes_requested": _("%(campaign)s: please change %(title)s", **values),
        "approved": _("%(campaign)s: %(title)s is approved", **values),
        "rejected": _("%(campaign)s: %(title)s was not accepted", **values),
        "event_created": _("%(campaign)s: your Plenum event for %(title)s", **values),
    }
    return subjects[kind]
