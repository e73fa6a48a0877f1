"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in the outbox folder.

The outbox lets the embedded set-up work with no mail server: an organiser (or a test)
opens the files, and nothing is lost when SMTP is configured later.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

# Settings read from the environment by the app factory, with their types.
MAIL_SETTINGS = {
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_TIMEOUT": float,
}


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


@dataclass
class Mail:
    """A message to send: plain text, optional HTML, optional inline images by content id."""

    to: str
    subject: str
    text: str
    html: str | None = None
    # content id (without <>) -> (bytes, image subtype such as "png")
    images: dict[str, tuple[bytes, str]] = field(default_factory=dict)


def parse_setting(kind: type, value: str):
    """Turn an environment string into a setting of the given type."""
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return kind(value)


def transport() -> str:
    """Say how mail leaves this app: 'smtp' or 'outbox'."""
    return "smtp" if current_app.config.get("MAIL_SERVER") else "outbox"


def outbox_path() -> Path:
    """Return the folder mails are written to when no SMTP server is configured."""
    return Path(current_app.config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox")


def new_content_id() -> str:
    """Return a content id for an inline image, without the angle brackets."""
    return make_msgid(domain="plenum.local")[1:-1]


def build_message(mail: Mail) -> EmailMessage:
    """Return the MIME message: text, and HTML with its inline images when given."""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_DEFAULT_SENDER") or "Plenum <noreply@localhost>"
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="plenum.local")
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
        html_part = message.get_payload()[-1]
        for cid, (data, subtype) in mail.images.items():
            html_part.add_related(data, maintype="image", subtype=subtype, cid=f"<{cid}>")
    return message


def send(mail: Mail) -> str:
    """Send a mail by SMTP or into the outbox; return where it went. Raises MailError."""
    message = build_message(mail)
    if transport() == "outbox":
        return _write_outbox(message)
    try:
        _send_smtp(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail to %s failed: %s", mail.to, error)
        raise MailError(str(error)) from error
    return "smtp"


def _send_smtp(message: EmailMessage) -> None:
    """Hand the message to the configured SMTP server."""
    config = current_app.config
    use_ssl = bool(config.get("MAIL_USE_SSL"))
    port = int(config.get("MAIL_PORT") or (465 if use_ssl else 25))
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    client_class = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    with client_class(config["MAIL_SERVER"], port, timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS") and not use_ssl:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def _write_outbox(message: EmailMessage) -> str:
    """Write the message as an .eml file in the outbox; return its path."""
    folder = outbox_path()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.eml"
    path = folder / name
    # Written under a temporary name first: a reader never sees half a mail.
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(message.as_bytes())
    temporary.replace(path)
    return str(path)
