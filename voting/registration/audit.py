"""The access log: who looked at or exported personal data of an event, and when."""

from __future__ import annotations

from sqlalchemy import select

from voting.extensions import db
from voting.models import AccessLog, Event


def log_access(event: Event | int, user, action: str, detail: str = "") -> None:
    """Record that a staff account accessed personal data (committed with the caller's work)."""
    event_id = event if isinstance(event, int) else event.id
    user_id = getattr(user, "id", None)
    db.session.add(
        AccessLog(event_id=event_id, user_id=user_id, action=action, detail=detail[:300])
    )


def access_log(event: Event, limit: int = 200) -> list[AccessLog]:
    """Return the newest entries of an event's access log."""
    query = (
        select(AccessLog)
        .where(AccessLog.event_id == event.id)
        .order_by(AccessLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
