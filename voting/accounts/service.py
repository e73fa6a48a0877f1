"""Staff accounts, passwords, API tokens and who may act on which event."""

from __future__ import annotations

import hashlib
import re
import secrets

from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from voting.errors import Conflict, Forbidden, InvalidInput, NotFound
from voting.extensions import db
from voting.models import ApiToken, Event, EventStaff, Role, User

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
# Roles that may prepare and run polls; check-in staff may not.
POLL_ROLES = frozenset({Role.admin, Role.moderator})


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, or raise InvalidInput."""
    email = (email or "").strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InvalidInput(_("Enter a valid email address."), "invalid_email")
    return email


def create_user(email: str, password: str, role: str) -> User:
    """Create a staff account with a scrypt password hash."""
    email = normalise_email(email)
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput(
            _("Role must be admin, moderator, checkin or campaign_admin."), "invalid_role"
        ) from None
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(
            _("The password needs at least %(least)d characters.", least=MIN_PASSWORD),
            "weak_password",
        )
    user = User(
        email=email,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role_value,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # The unique index on email is the one place that knows about every account.
        db.session.rollback()
        raise Conflict(
            _("An account for %(email)s exists already.", email=email), "email_taken"
        ) from None
    return user


def set_password(user: User, password: str) -> None:
    """Replace a staff account's password."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(
            _("The password needs at least %(least)d characters.", least=MIN_PASSWORD),
            "weak_password",
        )
    user.password_hash = generate_password_hash(password, method="scrypt")
    db.session.commit()


# A mailed link to set a password (new organiser accounts): signed, for 7 days, and
# bound to the current password hash, so that it works once.
PASSWORD_LINK_SALT = "plenum-set-password"  # noqa: S105 - a signing salt, not a password
PASSWORD_LINK_MAX_AGE = 7 * 24 * 3600


def password_link_token(user: User, secret: str) -> str:
    """Return a signed token that lets the account's owner set its password once."""
    serializer = URLSafeTimedSerializer(secret, salt=PASSWORD_LINK_SALT)
    return serializer.dumps({"u": user.id, "p": _token_hash(user.password_hash)[:16]})


def user_for_password_link(token: str, secret: str, max_age: int = PASSWORD_LINK_MAX_AGE) -> User:
    """Return the account a set-password token was made for, or raise NotFound."""
    refused = NotFound(
        _("This link to set a password is wrong, expired or used already."), "bad_password_link"
    )
    serializer = URLSafeTimedSerializer(secret, salt=PASSWORD_LINK_SALT)
    try:
        data = serializer.loads(token or "", max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        raise refused from None
    user_id = data.get("u") if isinstance(data, dict) else None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise refused
    # A password set since the link was made makes the link useless.
    if data.get("p") != _token_hash(user.password_hash)[:16]:
        raise refused
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active account matching email and password, else None."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        # Hash anyway so that timing does not tell which emails exist.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def find_user(email: str) -> User:
    """Return the account with this email or raise NotFound."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound(_("No account for %(email)s.", email=email), "unknown_user")
    return user


def create_token(user: User) -> str:
    """Create an API token for the account and return it; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_token_hash(token)))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """Return the active account owning this API token, else None."""
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or not row.user.active:
        return None
    return row.user


def _token_hash(token: str) -> str:
    """Hash a token for storage and lookup."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_event_staff(user, event: Event) -> bool:
    """Say whether the user is staff of this event (admins are staff of every event)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    return _staff_row(user, event) is not None


def is_event_admin(user, event: Event) -> bool:
    """Say whether the user administers this event: a global admin or its own organiser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    row = _staff_row(user, event)
    return row is not None and row.event_admin


def _staff_row(user, event: Event) -> EventStaff | None:
    """Return the account's access to the event, if any."""
    return db.session.scalar(
        select(EventStaff).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
    )


def can_run_polls(user, event: Event) -> bool:
    """Say whether the user may prepare, open and close this event's polls."""
    if not is_event_staff(user, event):
        return False
    return user.role in POLL_ROLES or is_event_admin(user, event)


def can_handle_attendees(user, event: Event) -> bool:
    """Say whether the user may see attendees at the door: check-in staff and admins.

    Moderators run polls; who registered, with emails and needs, is beyond that role.
    """
    if not is_event_staff(user, event):
        return False
    return user.role in (Role.admin, Role.checkin) or is_event_admin(user, event)


def can_manage_registrations(user, event: Event) -> bool:
    """Say whether the user may list, edit, import and export registrations: admins."""
    return is_event_admin(user, event)


def require_poll_staff(user, event: Event) -> None:
    """Raise Forbidden unless the user may run this event's polls."""
    if not can_run_polls(user, event):
        raise Forbidden(_("Only moderators of this event may do that."), "forbidden")


def grant_access(event: Event, user: User) -> None:
    """Give a staff account access to an event's console (idempotent)."""
    exists = db.session.scalar(
        select(EventStaff).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
    )
    if exists is None:
        db.session.add(EventStaff(event=event, user=user))
        db.session.commit()


def revoke_access(event: Event, user: User) -> None:
    """Remove a staff account's access to an event."""
    row = db.session.scalar(
        select(EventStaff).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
    )
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def event_staff(event: Event) -> list[User]:
    """Return the accounts with access to an event, by email."""
    return list(
        db.session.scalars(
            select(User)
            .join(EventStaff, EventStaff.user_id == User.id)
            .where(EventStaff.event_id == event.id)
            .order_by(User.email)
        )
    )
