"""Typed SQLAlchemy models of Plenum."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voting.extensions import db


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Role(enum.StrEnum):
    """Staff roles, from most to least powerful."""

    admin = "admin"
    moderator = "moderator"
    checkin = "checkin"


class PollKind(enum.StrEnum):
    """The kinds of question a poll asks."""

    single = "single"
    multiple = "multiple"


class PollStatus(enum.StrEnum):
    """Life cycle of a poll: prepared, taking votes, closed."""

    draft = "draft"
    open = "open"
    closed = "closed"


class Visibility(enum.StrEnum):
    """When participants and the display may see a poll's tally."""

    live = "live"
    after_close = "after_close"
    hidden = "hidden"


class User(db.Model):
    """A staff account (admin, moderator or check-in)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        """Tell Flask-Login this is a signed-in account."""
        return True

    @property
    def is_active(self) -> bool:
        """Tell Flask-Login whether the account may sign in."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Tell Flask-Login this is not the anonymous user."""
        return False

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session."""
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        """Say whether the account is an administrator."""
        return self.role == Role.admin


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="tokens")


class Event(db.Model):
    """A conference or meeting with its own code, staff, agenda and polls."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    # The poll the projector shows; None shows the join screen only.
    display_poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("polls.id", ondelete="SET NULL", use_alter=True), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    days: Mapped[list[EventDay]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventDay.date"
    )
    themes: Mapped[list[Theme]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Theme.position"
    )
    polls: Mapped[list[Poll]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Poll.position",
        foreign_keys="Poll.event_id",
    )
    staff: Mapped[list[EventStaff]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class EventDay(db.Model):
    """One day of an event's programme."""

    __tablename__ = "event_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="days")


class Theme(db.Model):
    """A burning theme of the event, to be discussed in a breakout."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="themes")


class EventStaff(db.Model):
    """Gives a staff account access to one event's console."""

    __tablename__ = "event_staff"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    event: Mapped[Event] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


class Participant(db.Model):
    """Someone taking part from a phone; anonymous unless tied to a registration."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Random id kept in the participant's signed session cookie.
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Poll(db.Model):
    """A question put to the participants of an event."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[PollKind] = mapped_column(Enum(PollKind, native_enum=False, length=20))
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[PollStatus] = mapped_column(
        Enum(PollStatus, native_enum=False, length=20), default=PollStatus.draft
    )
    visibility: Mapped[Visibility] = mapped_column(
        Enum(Visibility, native_enum=False, length=20), default=Visibility.live
    )
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_change: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[Event] = relationship(back_populates="polls", foreign_keys=[event_id])
    # Options come with their poll in one extra query per set of polls, not one per poll.
    options: Mapped[list[Option]] = relationship(
        back_populates="poll",
        cascade="all, delete-orphan",
        order_by="Option.position",
        lazy="selectin",
    )

    @property
    def results_public(self) -> bool:
        """Say whether participants and the display may see the tally now."""
        if self.visibility == Visibility.live:
            return True
        if self.visibility == Visibility.after_close:
            return self.status == PollStatus.closed
        return self.revealed


class Option(db.Model):
    """One answer a poll offers."""

    __tablename__ = "options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    poll: Mapped[Poll] = relationship(back_populates="options")


class Ballot(db.Model):
    """A participant's current answer to a poll: one per participant and poll."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("poll_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan"
    )


class BallotChoice(db.Model):
    """One option marked on a ballot."""

    __tablename__ = "ballot_choices"

    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(
        ForeignKey("options.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    ballot: Mapped[Ballot] = relationship(back_populates="choices")


class Vote(db.Model):
    """Every accepted vote submission, keyed by the client's vote id (idempotency log)."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[str] = mapped_column(String(64), unique=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    receipt: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
