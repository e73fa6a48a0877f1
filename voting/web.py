"""Helpers shared by the HTTP views: event lookup, staff checks, participant identity."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, session, url_for
from flask_login import current_user

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

                return login_manager.unauthorized()
            event = event_or_404(code)
            if not allowed(current_user, event):
                abort(403, description="Your account may not do this for this event.")
            return view(event, *args, **kwargs)

        return wrapper

    return decorator
