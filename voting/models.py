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
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
    true,
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
    # Administers the campaigns it is linked to (voting.campaigns), and no event unless
    # given access to it as event staff.
    campaign_admin = "campaign_admin"


class PollKind(enum.StrEnum):
    """The kinds of question a poll asks."""

    single = "single"
    multiple = "multiple"
    yes_no = "yes_no"  # fixed options Yes / No / Abstain, optional required majority
    quiz = "quiz"  # one choice; the correct option is revealed on close
    rating = "rating"  # a scale 1..n; its options are the scale's points
    points = "points"  # split a budget across the options
    ranking = "ranking"  # order all options
    text = "text"  # a short open answer; a word cloud of the answers


class Majority(enum.StrEnum):
    """What a yes/no vote needs to pass: counted over yes and no, abstentions aside."""

    none = "none"
    simple = "simple"  # more yes than no
    two_thirds = "two_thirds"  # yes at least two thirds of yes + no


class AnswerStatus(enum.StrEnum):
    """Moderation of an open-text answer: only shown answers reach the display."""

    pending = "pending"
    shown = "shown"
    hidden = "hidden"


class PollStatus(enum.StrEnum):
    """Life cycle of a poll: prepared, taking votes, closed."""

    draft = "draft"
    open = "open"
    closed = "closed"


class Eligibility(enum.StrEnum):
    """Who may vote in a poll."""

    anyone = "anyone"
    registered = "registered"
    checked_in = "checked_in"
    organisation = "organisation"


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands: only confirmed attendees hold a seat."""

    pending = "pending"  # waits for staff approval
    confirmed = "confirmed"
    waiting = "waiting"  # on the waiting list
    cancelled = "cancelled"
    rejected = "rejected"


class QuestionKind(enum.StrEnum):
    """The kinds of custom registration question."""

    text = "text"
    choice = "choice"
    yesno = "yesno"


class IdeaStatus(enum.StrEnum):
    """Moderation of a proposed theme: only approved ideas show on the board."""

    pending = "pending"
    approved = "approved"
    hidden = "hidden"
    merged = "merged"  # folded into another idea, its votes moved there


class BreakoutMode(enum.StrEnum):
    """How attendees get into breakout sessions."""

    signup = "signup"  # first come, first served
    preference = "preference"  # rank, then an assignment by the organiser


class SeatStatus(enum.StrEnum):
    """An attendee's place in a breakout session."""

    confirmed = "confirmed"
    waiting = "waiting"
    proposed = "proposed"  # in an assignment not yet published


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
    # Registration: open or not, seats (None = no limit), approval by staff first.
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    privacy_notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # Breakouts: sign-up or preference mode, whether attendees may sign up or rank now,
    # and when an assignment was published (preference mode).
    breakout_mode: Mapped[BreakoutMode] = mapped_column(
        Enum(BreakoutMode, native_enum=False, length=20),
        default=BreakoutMode.signup,
        server_default="signup",
    )
    breakout_signup_open: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    assignment_published_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    # Days after the event's end at which personal data is erased; None keeps it.
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    # Words that open-text answers may not contain, one per line (moderation).
    blocked_words: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The language the organisers write the event's content in (the fallback of its
    # translations), and the projector's interface language ("": the browser's).
    main_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    display_language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # How the projector shows everything, set by a moderator from the console (issue 8):
    # a high-contrast theme and a large-text mode (voting.display.options).
    display_contrast: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    display_large_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Its name and description in other languages (voting.events.translations).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
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
    partnerships: Mapped[list[Partnership]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Partnership.name"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Question.position"
    )


class EventDay(db.Model):
    """One day of an event's programme."""

    __tablename__ = "event_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)

    event: Mapped[Event] = relationship(back_populates="days")


class Theme(db.Model):
    """A burning theme of the event, to be discussed in a breakout."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # The board idea this theme was promoted from, if any.
    idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL", use_alter=True), default=None
    )

    event: Mapped[Event] = relationship(back_populates="themes")


class EventStaff(db.Model):
    """Gives a staff account access to one event's console."""

    __tablename__ = "event_staff"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The event's own administrator (a campaign organiser who turned a listing into this
    # event): every right on this event, whatever the account's role, and none elsewhere.
    event_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    event: Mapped[Event] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


class Participant(db.Model):
    """Someone taking part from a phone; anonymous unless tied to a registration."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Random id kept in the participant's signed session cookie.
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    # Set when the participant is a registered attendee (signed in by the personal link).
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), unique=True, default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Poll(db.Model):
    """A question put to the participants of an event."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # The question and answers in other languages (voting.polls.translations).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
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
    # A poll of one breakout session: only its members vote, its facilitator runs it.
    breakout_id: Mapped[int | None] = mapped_column(
        ForeignKey("breakouts.id", ondelete="CASCADE", use_alter=True), default=None
    )
    eligibility: Mapped[Eligibility] = mapped_column(
        Enum(Eligibility, native_enum=False, length=20),
        default=Eligibility.anyone,
        server_default="anyone",
    )
    # The display shows how many voted per country (of the voters' registrations).
    show_countries: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Settings of particular kinds (ignored by the others).
    budget: Mapped[int] = mapped_column(Integer, default=100, server_default="100")  # points
    scale_low_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    scale_high_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    majority: Mapped[Majority] = mapped_column(
        Enum(Majority, native_enum=False, length=20), default=Majority.none, server_default="none"
    )
    # Open text: answers wait for a moderator before they reach the display.
    moderate_answers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Secret ballot: who voted (poll_voters) is stored apart from what (ballots).
    secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Tallies count each ballot with its voter's weight (Registration.vote_weight).
    weighted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Timer: the poll closes itself this many seconds after opening (None: no timer).
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # After close: the receipts with their ballots are public, so anyone can recount.
    receipts_published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    correct: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # quiz

    poll: Mapped[Poll] = relationship(back_populates="options")


class Ballot(db.Model):
    """A participant's current answer to a poll: one per participant and poll."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("poll_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    # None in secret polls, whose ballots also carry no times and a random id.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The receipt of the vote that made the ballot what it is (published after close).
    receipt: Mapped[str | None] = mapped_column(String(16), default=None)
    # The voter's weight when the ballot was cast (weighted polls; 1 otherwise).
    weight: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    # Open-text polls: the answer and its moderation (None in other kinds).
    text: Mapped[str | None] = mapped_column(String(200), default=None)
    answer_status: Mapped[AnswerStatus | None] = mapped_column(
        Enum(AnswerStatus, native_enum=False, length=10), default=None
    )

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
    # Points given (points polls) or the rank, 1 = first (ranking polls); else None.
    value: Mapped[int | None] = mapped_column(Integer, default=None)

    ballot: Mapped[Ballot] = relationship(back_populates="choices")


class PollVoter(db.Model):
    """Who voted in a secret poll: no time, no order, nothing that points to the ballot.

    On SQLite the table has no rowid, so its rows are stored in key order rather than
    in the order the votes came.
    """

    __tablename__ = "poll_voters"
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )


class Vote(db.Model):
    """Every accepted vote submission, keyed by the client's vote id (idempotency log)."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Secret polls keep only the SHA-256 of the vote id, no participant, no ballot, and
    # the receipt encrypted with the vote id (which only the voter's phone holds).
    vote_id: Mapped[str] = mapped_column(String(64), unique=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE")
    )
    receipt: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class Partnership(db.Model):
    """A cluster partnership (or other group) that attendees can say they represent."""

    __tablename__ = "partnerships"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    event: Mapped[Event] = relationship(back_populates="partnerships")


class Question(db.Model):
    """A custom question an organiser adds to an event's registration form."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=20))
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="questions")


class PrivacyNotice(db.Model):
    """Every version of an event's privacy notice that someone consented to."""

    __tablename__ = "privacy_notices"
    __table_args__ = (UniqueConstraint("event_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The first 16 hex digits of the text's SHA-256: the same text is the same version.
    version: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


registration_days = db.Table(
    "registration_days",
    db.Column(
        "registration_id",
        ForeignKey("registrations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    db.Column("day_id", ForeignKey("event_days.id", ondelete="CASCADE"), primary_key=True),
)


class Registration(db.Model):
    """An attendee's registration for an event: who they are, their ticket, their status."""

    __tablename__ = "registrations"
    __table_args__ = (
        # Case-insensitive duplicates are caught by storing the folded email.
        UniqueConstraint("event_id", "email_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    # None once personal data is erased, so erased rows never clash.
    email_key: Mapped[str | None] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnerships.id", ondelete="SET NULL"), default=None
    )
    partnership_other: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    consent_privacy_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    consent_version: Mapped[str] = mapped_column(String(16), default="")
    consent_photos: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether other attendees may see this attendee's name on breakout rosters.
    show_on_rosters: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How much this attendee's ballot counts in weighted polls (e.g. a partnership's one
    # vote split among its delegates).
    vote_weight: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    status: Mapped[RegistrationStatus] = mapped_column(
        Enum(RegistrationStatus, native_enum=False, length=20), index=True
    )
    # Printed on the badge as a QR code and typed at the door: unguessable, short.
    ticket_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Only the SHA-256 of the personal link's token is stored.
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[Event] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
    days: Mapped[list[EventDay]] = relationship(
        secondary=registration_days, order_by="EventDay.date"
    )
    checked_in_by: Mapped[User | None] = relationship()

    @property
    def full_name(self) -> str:
        """Return first and last name as one string."""
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def partnership_name(self) -> str:
        """Return the partnership's name, the typed 'other' one, or ''."""
        return self.partnership.name if self.partnership else self.partnership_other


class PollAuditEntry(db.Model):
    """One link of an event's hash-chained log of poll actions (open, close, reset, edit).

    Each entry's hash covers its content and the previous entry's hash, so changing or
    removing an entry breaks every later hash (`voting verify-audit` finds where). The
    poll id is kept without a foreign key: deleting a poll leaves its history in place.
    """

    __tablename__ = "poll_audit"
    __table_args__ = (UniqueConstraint("event_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # 1, 2, 3... per event; the unique constraint stops two writers forking the chain.
    seq: Mapped[int] = mapped_column(Integer)
    poll_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AccessLog(db.Model):
    """Who looked at or exported personal data, and when (shown to the event's staff)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()


class Idea(db.Model):
    """A theme proposed on the ideas board, moderated before it shows."""

    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    status: Mapped[IdeaStatus] = mapped_column(
        Enum(IdeaStatus, native_enum=False, length=20), default=IdeaStatus.pending
    )
    # Who proposed it (a participant, anonymous or an attendee); kept off every screen.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), default=None
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdeaVote(db.Model):
    """One participant's upvote of an idea: at most one each."""

    __tablename__ = "idea_votes"
    __table_args__ = (UniqueConstraint("idea_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QnaStatus(enum.StrEnum):
    """Moderation of a Q&A question: approved and answered ones are public."""

    pending = "pending"  # waits for a moderator (when the event's Q&A needs approval)
    approved = "approved"  # on the list, open for upvotes
    answered = "answered"  # dealt with on stage; shown apart, no more upvotes
    hidden = "hidden"


class QnaSettings(db.Model):
    """An event's Q&A settings and the question being answered now (one row per event)."""

    __tablename__ = "qna_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    # Questions wait for a moderator before anyone sees them.
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Phones may ask new questions (upvoting goes on while closed).
    open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The question on the display's stage: one at a time by construction.
    highlighted_id: Mapped[int | None] = mapped_column(
        ForeignKey("qna_questions.id", ondelete="SET NULL"), default=None
    )


class QnaQuestion(db.Model):
    """A question asked from a phone in an event's Q&A."""

    __tablename__ = "qna_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    status: Mapped[QnaStatus] = mapped_column(
        Enum(QnaStatus, native_enum=False, length=20), default=QnaStatus.pending
    )
    # Who asked (kept for the per-person limit, never shown as such).
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), default=None
    )
    # The asker chose to be named: an attendee by their registration's name, anyone
    # else by the name typed here. False shows "Anonymous".
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    author_name: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class QnaUpvote(db.Model):
    """One participant's upvote of a Q&A question: at most one each."""

    __tablename__ = "qna_upvotes"
    __table_args__ = (UniqueConstraint("question_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("qna_questions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgendaItem(db.Model):
    """A plenary item of the programme (talks, breaks); breakout slots are Slot rows."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("event_days.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    day: Mapped[EventDay] = relationship()


class Slot(db.Model):
    """A time slot in which several breakout sessions run in parallel."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("event_days.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(200), default="")
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    day: Mapped[EventDay] = relationship()
    breakouts: Mapped[list[Breakout]] = relationship(
        back_populates="slot", cascade="all, delete-orphan", order_by="Breakout.id"
    )


class Breakout(db.Model):
    """A breakout session: a theme discussed in a room during a slot, with limited seats."""

    __tablename__ = "breakouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("themes.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    room: Mapped[str] = mapped_column(String(100), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    # The attendee who facilitates: runs the session's polls from a phone, submits the outcome.
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), default=None
    )

    slot: Mapped[Slot] = relationship(back_populates="breakouts")
    theme: Mapped[Theme | None] = relationship()
    facilitator: Mapped[Registration | None] = relationship()


class BreakoutSeat(db.Model):
    """An attendee's seat (or waiting place) in a breakout: one per attendee and slot."""

    __tablename__ = "breakout_seats"
    __table_args__ = (
        # No two sessions in the same slot, enforced by the database.
        UniqueConstraint("registration_id", "slot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    breakout_id: Mapped[int] = mapped_column(
        ForeignKey("breakouts.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    status: Mapped[SeatStatus] = mapped_column(Enum(SeatStatus, native_enum=False, length=20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    breakout: Mapped[Breakout] = relationship()
    registration: Mapped[Registration] = relationship()


class BreakoutPreference(db.Model):
    """An attendee's ranking of a breakout session (1 = first choice) in preference mode."""

    __tablename__ = "breakout_preferences"
    __table_args__ = (
        UniqueConstraint("registration_id", "breakout_id"),
        UniqueConstraint("registration_id", "slot_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    breakout_id: Mapped[int] = mapped_column(ForeignKey("breakouts.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)


class BreakoutOutcome(db.Model):
    """What a breakout brings back to the plenary: a summary and up to three proposals."""

    __tablename__ = "breakout_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    breakout_id: Mapped[int] = mapped_column(
        ForeignKey("breakouts.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    # Up to three key proposals, in order.
    proposals: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ListingStatus(enum.StrEnum):
    """Where an organiser's submitted event stands: only approved ones are public."""

    pending = "pending"  # waits for a campaign admin
    changes_requested = "changes_requested"  # the organiser is asked to edit it
    approved = "approved"
    rejected = "rejected"


class EventFormat(enum.StrEnum):
    """The kind of event a campaign listing announces."""

    conference = "conference"
    workshop = "workshop"
    matchmaking = "matchmaking"
    online = "online"


class Campaign(db.Model):
    """A campaign of many events (e.g. across Europe over months), with one public calendar."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # File name of the uploaded logo in the instance folder's campaign-logos/, "" if none.
    logo: Mapped[str] = mapped_column(String(255), default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    # The themes organisers pick from and the calendar filters by.
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    admins: Mapped[list[User]] = relationship(secondary="campaign_admins", order_by="User.email")
    listings: Mapped[list[Listing]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Listing.starts_on"
    )


class CampaignAdmin(db.Model):
    """Makes a staff account an administrator of one campaign."""

    __tablename__ = "campaign_admins"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Listing(db.Model):
    """An organiser's event submitted to a campaign's calendar, reviewed by its admins."""

    __tablename__ = "campaign_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ListingStatus] = mapped_column(
        Enum(ListingStatus, native_enum=False, length=20), default=ListingStatus.pending
    )
    organisation: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2
    format: Mapped[EventFormat] = mapped_column(Enum(EventFormat, native_enum=False, length=20))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    expected_participants: Mapped[int] = mapped_column(Integer)
    website: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The organiser's interface language when submitting: their mails are in it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Only the SHA-256 of the organiser's secret edit link's token is stored.
    edit_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The changes asked for, or the reason for a rejection.
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The Plenum event this listing became, if any.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), default=None
    )

    campaign: Mapped[Campaign] = relationship(back_populates="listings")
    reviewed_by: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def public_url(self) -> str:
        """Return where the calendar links: the Plenum event's page, else the website ("")."""
        if self.event is not None:
            from flask import url_for

            return url_for("events.live", code=self.event.code)
        return self.website
