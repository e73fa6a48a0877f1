"""The hash-chained audit log of poll actions: append in the action's transaction, verify.

Each event has its own chain. An entry's hash is SHA-256 over its content and the
previous entry's hash, so an entry changed, removed or inserted afterwards breaks the
chain from there on; `voting verify-audit` and the staff page recompute it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import select

from voting.extensions import db
from voting.models import PollAuditEntry, utcnow

GENESIS = "0" * 64  # the "previous hash" of an event's first entry


def record(event_id: int, poll_id: int | None, action: str, details: dict) -> PollAuditEntry:
    """Append an entry to the event's chain inside the caller's transaction.

    The caller holds the write lock (SQLite) or the poll's row lock (PostgreSQL) and
    commits; the unique (event, seq) refuses a second writer that read the same last
    entry, so the chain never forks.
    """
    last = db.session.execute(
        select(PollAuditEntry.seq, PollAuditEntry.hash)
        .where(PollAuditEntry.event_id == event_id)
        .order_by(PollAuditEntry.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = PollAuditEntry(
        event_id=event_id,
        seq=seq,
        poll_id=poll_id,
        action=action,
        actor=_actor(),
        details=details,
        created_at=utcnow(),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    db.session.add(entry)
    return entry


def _actor() -> str:
    """Name who acts: the signed-in staff account, the API token's account, or the system."""
    if not has_request_context():
        return "system"
    api_user = g.get("api_user")
    if api_user is not None:
        return f"api:{api_user.email}"
    if current_user and current_user.is_authenticated:
        return current_user.email
    return "system"


def _stamp(moment: dt.datetime) -> str:
    """Write a time in UTC with microseconds, the same whether the database kept the zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def entry_hash(entry: PollAuditEntry) -> str:
    """Return the SHA-256 of an entry's content chained to the previous hash."""
    content = {
        "event_id": entry.event_id,
        "seq": entry.seq,
        "poll_id": entry.poll_id,
        "action": entry.action,
        "actor": entry.actor,
        "details": entry.details,
        "created_at": _stamp(entry.created_at),
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Verification:
    """The outcome of checking a chain: how many entries, and the first broken one."""

    entries: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Say whether the whole chain checked out."""
        return self.broken_seq is None


def entries(event_id: int) -> list[PollAuditEntry]:
    """Return an event's entries in chain order."""
    return list(
        db.session.scalars(
            select(PollAuditEntry)
            .where(PollAuditEntry.event_id == event_id)
            .order_by(PollAuditEntry.seq)
        )
    )


def verify(event_id: int) -> Verification:
    """Recompute an event's chain and report the first entry that does not fit."""
    chain = entries(event_id)
    prev_hash = GENESIS
    for expected_seq, entry in enumerate(chain, start=1):
        if entry.seq != expected_seq:
            return Verification(len(chain), entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return Verification(len(chain), entry.seq, "does not follow the entry before it")
        if entry_hash(entry) != entry.hash:
            return Verification(len(chain), entry.seq, "its content was changed")
        prev_hash = entry.hash
    return Verification(len(chain))
