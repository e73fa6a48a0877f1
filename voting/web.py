"""Helpers shared by the HTTP views: event lookup, staff checks, participant identity."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, request, session, url_for
from flask_login import current_user
from flask_login.signals import user_unauthorized

from voting.accounts.service import can_run_polls
from voting.errors import NotFound
from voting.events.service import find_event, new_participant_id
from voting.models import Event


def event_or_404(code: str) -> Event:
    """Return the event for a URL code or answer 404."""
    try:
        return find_event(code)
    except NotFound as error:
        abort(404, description=error.message)


def public_url(endpoint: str, **values) -> str:
    """Return an absolute URL for phones and mails: PUBLIC_URL when set, else this host's."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def participant_key(event: Event, *, create: bool) -> str | None:
    """Return this browser's participant id for the event, kept in the signed session."""
    keys = session.get("participants") or {}
    key = keys.get(str(event.id))
    if key is None and create:
        key = new_participant_id()
        session["participants"] = {**keys, str(event.id): key}
        session.permanent = True
    return key


def staff_view(allowed: Callable = can_run_polls):
    """Decorate a /manage/<code>/ view: sign-in required, then `allowed(user, event)` checked."""

    def decorator(view):
        @wraps(view)
        def wrapper(code: str, *args, **kwargs):
            if not current_user.is_authenticated:
                from voting.extensions import login_manager

                return login_manager.unauthorized()  # logged by _log_signed_out
            event = event_or_404(code)
            if not allowed(current_user, event):
                log_refusal(request.endpoint, event.code, current_user)
                abort(403, description="Your account may not do this for this event.")
            return view(event, *args, **kwargs)

        return wrapper

    return decorator


def log_refusal(action: str | None, event_code: str | None, user) -> None:
    """Log a refused staff action as a warning: the action, the caller's role and account, the event.

    Called wherever a staff right is refused (staff pages, the API's tokens, the staff
    rooms of the sockets), so that probing shows in the app's log. A caller who is not
    signed in (or sent no valid token: `user` None) is logged as role "anonymous".
    """
    signed_in = bool(getattr(user, "is_authenticated", False))
    event_code = event_code[:32] if event_code else None  # from the URL: keep it short
    role = str(getattr(user.role, "value", user.role)) if signed_in else "anonymous"
    user_id = user.id if signed_in else None
    current_app.logger.warning(
        "refused %s: role=%s user=%s event=%r",
        action,
        role,
        user_id,
        event_code,
        extra={
            "refusal": {"action": action, "role": role, "user_id": user_id, "event": event_code}
        },
    )


@user_unauthorized.connect
def _log_signed_out(sender, **extra) -> None:
    """Log every page refused for want of a sign-in (staff_view and login_required alike)."""
    log_refusal(request.endpoint, (request.view_args or {}).get("code"), current_user)
