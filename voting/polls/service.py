"""Polls: preparing them, opening and closing, casting votes, tallies and what may be seen."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import secrets
from dataclasses import dataclass, field, replace
from operator import itemgetter

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, literal, select
from sqlalchemy.exc import IntegrityError, OperationalError

from voting import driversql, ratelimits, realtime
from voting.database import as_id, begin_write, end_read, is_sqlite, lock_row
from voting.errors import Conflict, InvalidInput, NotFound, Unavailable, VotingError
from voting.events.service import forget_event_refs
from voting.extensions import db, socketio
from voting.groupcommit import GroupCommitter, Ticket
from voting.memo import Memo
from voting.models import (
    AnswerStatus,
    Ballot,
    BallotChoice,
    Eligibility,
    Event,
    Majority,
    Option,
    Participant,
    Poll,
    PollKind,
    PollStatus,
    PollVoter,
    Registration,
    Visibility,
    Vote,
    utcnow,
)
from voting.polls import audit, eligibility, secrecy, tallies, translations
from voting.registration.countries import country_name

VOTE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_OPTIONS = 40  # a plenary dot-vote lists up to 13 sessions x 3 proposals
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- preparing polls -------------------------------------------------------------


@dataclass
class PollData:
    """The editable fields of a poll."""

    title: str
    options: list[str]
    kind: str = PollKind.single
    max_choices: int = 1
    visibility: str = Visibility.live
    allow_change: bool = True
    description: str = ""
    option_ids: list[int | None] = field(default_factory=list)
    eligibility: str = Eligibility.anyone
    breakout_id: int | None = None  # a breakout's own poll: only its members vote
    show_countries: bool = False
    budget: int = 100  # points
    scale: int = 5  # rating: 1..scale
    scale_low_label: str = ""
    scale_high_label: str = ""
    majority: str = Majority.none  # yes/no
    correct: list[int] = field(default_factory=list)  # quiz: positions of correct options
    moderate_answers: bool = False  # open text
    secret: bool = False  # who voted stored apart from what; ballots cannot change
    weighted: bool = False  # ballots count with their voter's weight
    duration: int | None = None  # timer: seconds from opening to the automatic close
    # {lang: {title, description, options: [by position]}} (voting.polls.translations)
    translations: dict | None = None


FIXED_OPTION_KINDS = ("yes_no", "rating", "text")
CHOICE_KINDS = (PollKind.single, PollKind.multiple, PollKind.yes_no, PollKind.quiz)
YES_NO_LABELS = ("Yes", "No", "Abstain")
MAX_RANKED = 20  # ordering more on a phone is not a fair question
MAX_BUDGET = 10_000
MAX_ANSWER = 140  # characters of an open-text answer
MIN_DURATION, MAX_DURATION = 5, 24 * 3600  # a poll timer's range, in seconds


def validate_poll_data(data: PollData) -> PollData:
    """Check and normalise poll fields, raising InvalidInput on the first problem."""
    data.title = (data.title or "").strip()
    if not data.title or len(data.title) > 300:
        raise InvalidInput(_("The question needs 1 to 300 characters."), "invalid_title")
    try:
        data.kind = PollKind(data.kind)
        data.visibility = Visibility(data.visibility)
        data.majority = Majority(data.majority or Majority.none)
    except ValueError:
        raise InvalidInput(_("Unknown poll type or results visibility."), "invalid_kind") from None
    try:
        data.eligibility = Eligibility(data.eligibility)
    except ValueError:
        raise InvalidInput(_("Unknown choice of who may vote."), "invalid_eligibility") from None
    _fixed_options(data)
    _validate_options(data)
    _validate_kind_settings(data)
    data.description = (data.description or "").strip()[:2000]
    data.translations = translations.validate(data.translations, data.options, data.kind)
    return data


def _fixed_options(data: PollData) -> None:
    """Give yes/no, rating and open-text polls the options their kind fixes."""
    if data.kind == PollKind.yes_no:
        labels = list(YES_NO_LABELS)
    elif data.kind == PollKind.rating:
        if not _is_int(data.scale) or not 2 <= data.scale <= 10:
            raise InvalidInput(_("A rating scale goes from 1 to 2..10."), "invalid_scale")
        labels = [str(value) for value in range(1, data.scale + 1)]
    elif data.kind == PollKind.text:
        labels = []
    else:
        return
    # Keep the ids of the options already there, by position, so votes stay attached.
    ids = list(data.option_ids or [])
    data.option_ids = [ids[i] if i < len(ids) else None for i in range(len(labels))]
    data.options = labels


def _validate_options(data: PollData) -> None:
    """Check the option texts: count for the kind, length, no duplicates."""
    labels = [(label or "").strip() for label in data.options]
    if not data.option_ids:
        data.option_ids = [None] * len(labels)
    pairs = [(oid, label) for oid, label in zip(data.option_ids, labels, strict=False) if label]
    if data.kind != PollKind.text:
        most = MAX_RANKED if data.kind == PollKind.ranking else MAX_OPTIONS
        if len(pairs) < 2 or len(pairs) > most:
            raise InvalidInput(
                _("A poll needs 2 to %(most)d options.", most=most), "invalid_options"
            )
    if any(len(label) > 200 for _, label in pairs):
        raise InvalidInput(_("An option can have at most 200 characters."), "invalid_options")
    if len({label.casefold() for _, label in pairs}) != len(pairs):
        raise InvalidInput(_("Two options have the same text."), "invalid_options")
    kept = [i for i, label in enumerate(labels) if label]
    # Quiz answers are given as positions in the submitted list: follow the blanks out.
    data.correct = [kept.index(i) for i in (data.correct or []) if _is_int(i) and i in kept]
    data.option_ids = [oid for oid, _ in pairs]
    data.options = [label for _, label in pairs]


def _validate_kind_settings(data: PollData) -> None:
    """Check the settings that belong to the poll's kind and fix the others."""
    count = len(data.options)
    if data.kind == PollKind.multiple:
        if not _is_int(data.max_choices) or not 1 <= data.max_choices <= count:
            raise InvalidInput(
                _("The maximum number of choices must be between 1 and %(count)d.", count=count),
                "invalid_max_choices",
            )
    elif data.kind in (PollKind.points, PollKind.ranking):
        data.max_choices = count
    else:
        data.max_choices = 1
    if data.kind == PollKind.points and (
        not _is_int(data.budget) or not 1 <= data.budget <= MAX_BUDGET
    ):
        raise InvalidInput(
            _("The budget must be 1 to %(most)d points.", most=MAX_BUDGET), "invalid_budget"
        )
    if data.kind == PollKind.quiz and len(data.correct) != 1:
        raise InvalidInput(_("Mark exactly one option as the correct answer."), "invalid_correct")
    if data.kind != PollKind.quiz:
        data.correct = []
    if data.kind != PollKind.yes_no:
        data.majority = Majority.none
    data.scale_low_label = (data.scale_low_label or "").strip()[:60]
    data.scale_high_label = (data.scale_high_label or "").strip()[:60]
    data.moderate_answers = bool(data.moderate_answers) and data.kind == PollKind.text
    data.secret, data.weighted = bool(data.secret), bool(data.weighted)
    if data.duration is not None and (
        not _is_int(data.duration) or not MIN_DURATION <= data.duration <= MAX_DURATION
    ):
        raise InvalidInput(
            _(
                "A timer runs %(least)d seconds to %(most)d hours.",
                least=MIN_DURATION,
                most=MAX_DURATION // 3600,
            ),
            "invalid_duration",
        )
    if data.secret:
        data.allow_change = False  # a changed ballot would have to be found again
        if data.show_countries:
            raise InvalidInput(
                _("A secret ballot does not show turnout by country."), "secret_countries"
            )


def _is_int(value) -> bool:
    """Say whether a value is a real integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _kind_fields(data: PollData) -> dict:
    """Return the poll columns that hold the kind's settings."""
    return {
        "budget": data.budget if data.kind == PollKind.points else 100,
        "scale_low_label": data.scale_low_label if data.kind == PollKind.rating else "",
        "scale_high_label": data.scale_high_label if data.kind == PollKind.rating else "",
        "majority": data.majority,
        "moderate_answers": data.moderate_answers,
        "secret": data.secret,
        "weighted": data.weighted,
        "duration_seconds": data.duration,
    }


def create_poll(event: Event, data: PollData) -> Poll:
    """Add a prepared (draft) poll at the end of the event's list."""
    data = validate_poll_data(data)
    position = db.session.scalar(
        select(func.coalesce(func.max(Poll.position), 0)).where(Poll.event_id == event.id)
    )
    poll = Poll(
        event_id=event.id,
        title=data.title,
        description=data.description,
        translations=data.translations,
        kind=data.kind,
        max_choices=data.max_choices,
        visibility=data.visibility,
        allow_change=data.allow_change,
        eligibility=data.eligibility,
        show_countries=data.show_countries,
        breakout_id=data.breakout_id,
        position=position + 1,
        options=[
            Option(label=label, position=i, correct=i in data.correct)
            for i, label in enumerate(data.options)
        ],
        **_kind_fields(data),
    )
    db.session.add(poll)
    db.session.flush()  # the poll's id, for the audit entry in the same transaction
    audit.record(event.id, poll.id, "created", _audit_settings(poll))
    db.session.commit()
    _announce(poll, "created")
    return poll


def update_poll(poll: Poll, data: PollData) -> Poll:
    """Change a poll's question, settings and options.

    Options keep their ids (and so their votes) when only their text changes; once a
    poll has votes, options can no longer be added or removed.
    """
    if data.kind in FIXED_OPTION_KINDS and not any(data.option_ids or ()):
        # The form sends no options for these kinds: keep the ones there, by position.
        data.option_ids = [option.id for option in poll.options]
    data = validate_poll_data(data)
    has_votes = ballot_count(poll.id) > 0
    existing = {option.id: option for option in poll.options}
    kept_ids = [oid for oid in data.option_ids if oid is not None]
    if any(oid not in existing for oid in kept_ids):
        raise InvalidInput(_("An option does not belong to this poll."), "invalid_options")
    if has_votes and (set(kept_ids) != set(existing) or None in data.option_ids):
        raise Conflict(
            _("This poll has votes: reset it before adding or removing options."),
            "poll_has_votes",
        )
    if has_votes and poll.kind == PollKind.points and data.budget != poll.budget:
        raise Conflict(
            _("This poll has votes: reset it before changing the budget."), "poll_has_votes"
        )
    if has_votes and (data.secret != poll.secret or data.weighted != poll.weighted):
        raise Conflict(
            _("This poll has votes: reset it before making it secret or weighted."),
            "poll_has_votes",
        )
    if has_votes and data.kind != poll.kind:
        raise Conflict(
            _("This poll has votes: reset it before changing its type."), "poll_has_votes"
        )
    if has_votes and data.eligibility != poll.eligibility:
        # Ballots of one kind of voter (people, organisations) must not mix in a tally.
        raise Conflict(
            _("This poll has votes: reset it before changing who may vote."), "poll_has_votes"
        )
    poll.title = data.title
    poll.description = data.description
    poll.translations = data.translations
    poll.kind = data.kind
    poll.max_choices = data.max_choices
    poll.visibility = data.visibility
    poll.allow_change = data.allow_change
    poll.eligibility = data.eligibility
    poll.show_countries = data.show_countries
    for name, value in _kind_fields(data).items():
        setattr(poll, name, value)
    options = []
    for position, (oid, label) in enumerate(zip(data.option_ids, data.options, strict=True)):
        option = existing[oid] if oid is not None else Option(label=label)
        option.label = label
        option.position = position
        option.correct = position in data.correct
        options.append(option)
    poll.options = options
    audit.record(poll.event_id, poll.id, "updated", _audit_settings(poll))
    db.session.commit()
    _announce(poll, "updated")
    _push_tally(poll.id)
    return poll


def duplicate_poll(poll: Poll) -> Poll:
    """Create a draft copy of a poll, without its votes."""
    return create_poll(
        poll.event,
        PollData(
            title=f"{poll.title} (copy)"[:300],
            options=[option.label for option in poll.options],
            kind=poll.kind,
            max_choices=poll.max_choices,
            visibility=poll.visibility,
            allow_change=poll.allow_change,
            description=poll.description,
            eligibility=poll.eligibility,
            show_countries=poll.show_countries,
            budget=poll.budget,
            scale=len(poll.options) if poll.kind == PollKind.rating else 5,
            scale_low_label=poll.scale_low_label,
            scale_high_label=poll.scale_high_label,
            majority=poll.majority,
            correct=[i for i, option in enumerate(poll.options) if option.correct],
            moderate_answers=poll.moderate_answers,
            secret=poll.secret,
            weighted=poll.weighted,
            duration=poll.duration_seconds,
            translations=_translations_by_position(poll),
        ),
    )


def _translations_by_position(poll: Poll) -> dict:
    """Return a poll's stored translations in the by-position form PollData takes."""
    return {
        lang: {
            "title": texts.get("title", ""),
            "description": texts.get("description", ""),
            "options": [texts.get("options", {}).get(o.label, "") for o in poll.options],
        }
        for lang, texts in (poll.translations or {}).items()
    }


def delete_poll(poll: Poll) -> None:
    """Delete a poll with its votes."""
    event = poll.event
    poll_id = poll.id
    if event.display_poll_id == poll_id:
        event.display_poll_id = None
    audit.record(event.id, poll_id, "deleted", {"title": poll.title, **_audit_result(poll)})
    db.session.delete(poll)
    db.session.commit()
    _forget_snapshot(event.id)
    payload = {"action": "deleted", "poll_id": poll_id, "display_poll_id": event.display_poll_id}
    realtime.emit("poll", payload, realtime.event_room(event.id))
    realtime.emit("poll", payload, realtime.console_room(event.id))


def _audit_settings(poll: Poll) -> dict:
    """Return what the audit log keeps of a poll's question and settings."""
    db.session.flush()  # option ids of new options
    return {
        "title": poll.title,
        "kind": str(poll.kind),
        "options": [[option.id, option.label] for option in poll.options],
        "translations": poll.translations or {},
        "visibility": str(poll.visibility),
        "eligibility": str(poll.eligibility),
        "allow_change": poll.allow_change,
        "max_choices": poll.max_choices,
        "secret": poll.secret,
        "weighted": poll.weighted,
        "duration": poll.duration_seconds,
        **_kind_settings(poll),
    }


def _audit_result(poll: Poll) -> dict:
    """Return the figures the audit log keeps of a poll's result: voters and per option."""
    total = ballot_count(poll.id)
    if poll.kind == PollKind.text:
        return {"total": total}
    figure = {PollKind.points: "sum", PollKind.ranking: "borda"}.get(poll.kind, "count")
    options = _kind_results(poll, total_weight(poll), staff=True)["options"]
    return {"total": total, figure: {str(row["id"]): row[figure] for row in options}}


def find_poll(event: Event, poll_id) -> Poll:
    """Return the event's poll with this id or raise NotFound."""
    poll = db.session.get(Poll, as_id(poll_id)) if as_id(poll_id) else None
    if poll is None or poll.event_id != event.id:
        raise NotFound(_("This poll does not exist in this event."), "unknown_poll")
    return poll


# --- running polls ---------------------------------------------------------------


def open_poll(poll: Poll) -> Poll:
    """Open a draft or closed poll for votes and put it on the display."""
    poll = _locked(poll, shared=False)
    if poll.status == PollStatus.open:
        raise Conflict(_("This poll is open already."), "poll_open")
    poll.status = PollStatus.open
    poll.opened_at = utcnow()
    poll.closed_at = None
    poll.receipts_published = False  # the list would go stale as votes come in
    poll.closes_at = (
        poll.opened_at + dt.timedelta(seconds=poll.duration_seconds)
        if poll.duration_seconds
        else None
    )
    if poll.breakout_id is None:  # a breakout's poll never takes over the plenary screen
        poll.event.display_poll_id = poll.id
    audit.record(poll.event_id, poll.id, "opened", {"title": poll.title})
    db.session.commit()
    _announce(poll, "opened")
    _push_tally(poll.id)
    if poll.closes_at is not None:
        _close_when_due(poll.id, poll.duration_seconds)
    return poll


def open_next(event: Event) -> Poll:
    """Run a prepared sequence: close the poll on the display if open, open the next draft.

    "Next" is the first draft plenary poll after the one on the display in console
    order (from the top when the display shows none).
    """
    upcoming = next_draft(event)
    if upcoming is None:
        raise Conflict(_("No prepared poll comes after this one."), "no_next_poll")
    shown = db.session.get(Poll, event.display_poll_id) if event.display_poll_id else None
    if shown is not None and shown.status == PollStatus.open:
        close_poll(shown)
    return open_poll(upcoming)


def next_draft(event: Event) -> Poll | None:
    """Return the draft plenary poll that "next" opens: the first after the one on display."""
    shown = next((poll for poll in event.polls if poll.id == event.display_poll_id), None)
    after = shown.position if shown is not None else -1
    return next(
        (
            poll
            for poll in event.polls
            if poll.status == PollStatus.draft
            and poll.breakout_id is None
            and poll.position > after
        ),
        None,
    )


def _close_when_due(poll_id: int, seconds: int) -> None:
    """Close a timed poll when its time is up (this process; `voting serve` also sweeps)."""
    app = current_app._get_current_object()

    def wait_and_close() -> None:
        socketio.sleep(seconds)
        with app.app_context():
            try:
                close_overdue_polls()
            except Exception:  # the sweeper of `voting serve` tries again within a second
                app.logger.exception("closing poll %s at the end of its timer failed", poll_id)
            finally:
                db.session.remove()

    socketio.start_background_task(wait_and_close)


def close_overdue_polls() -> int:
    """Close every open poll whose timer has run out; return how many this call closed.

    Safe to run in several processes at once: close_poll re-reads the poll under its
    lock, and a poll another process closed first is skipped.
    """
    now = utcnow()
    due = db.session.scalars(
        select(Poll.id).where(Poll.status == PollStatus.open, Poll.closes_at.is_not(None))
    ).all()
    closed = 0
    for poll_id in due:
        poll = db.session.get(Poll, poll_id)
        if poll is None or poll.closes_at is None or _utc(poll.closes_at) > now:
            continue
        try:
            close_poll(poll)
            closed += 1
        except (Conflict, NotFound):
            db.session.rollback()
    db.session.rollback()
    return closed


def _utc(moment: dt.datetime) -> dt.datetime:
    """Return a stored time as aware UTC (SQLite gives it back without a zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def close_poll(poll: Poll) -> Poll:
    """Close an open poll; the write lock makes it atomic with respect to votes."""
    poll = _locked(poll, shared=False)
    if poll.status != PollStatus.open:
        raise Conflict(_("This poll is not open."), "poll_not_open")
    poll.status = PollStatus.closed
    poll.closed_at = utcnow()
    poll.closes_at = None
    # The result at the close, under the same lock that stops votes: the log records
    # what the poll ended with.
    audit.record(poll.event_id, poll.id, "closed", {"title": poll.title, **_audit_result(poll)})
    db.session.commit()
    _announce(poll, "closed")
    _push_tally(poll.id)
    return poll


def reset_poll(poll: Poll) -> Poll:
    """Delete all votes of a poll and hide its results again; status stays as it is."""
    poll = _locked(poll, shared=False)
    audit.record(poll.event_id, poll.id, "reset", {"title": poll.title, **_audit_result(poll)})
    db.session.execute(delete(Vote).where(Vote.poll_id == poll.id))
    ballot_ids = select(Ballot.id).where(Ballot.poll_id == poll.id)
    db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id.in_(ballot_ids)))
    db.session.execute(delete(Ballot).where(Ballot.poll_id == poll.id))
    db.session.execute(delete(PollVoter).where(PollVoter.poll_id == poll.id))
    poll.revealed = False
    poll.receipts_published = False
    db.session.commit()
    _announce(poll, "reset")
    _push_tally(poll.id)
    return poll


def reveal_results(poll: Poll, revealed: bool = True) -> Poll:
    """Reveal (or hide again) the results of a poll whose results are hidden."""
    poll.revealed = revealed
    audit.record(poll.event_id, poll.id, "revealed" if revealed else "hidden", {})
    db.session.commit()
    _announce(poll, "updated")
    _push_tally(poll.id)
    return poll


def show_on_display(event: Event, poll: Poll | None) -> None:
    """Choose which poll the display shows (None: the join screen)."""
    if poll is not None and poll.event_id != event.id:
        raise NotFound(_("This poll does not exist in this event."), "unknown_poll")
    event.display_poll_id = poll.id if poll else None
    db.session.commit()
    _forget_snapshot(event.id)
    payload = {"action": "shown", "display_poll_id": event.display_poll_id}
    for room, staff in ((realtime.event_room, False), (realtime.console_room, True)):
        shown = poll_payload(poll, staff=staff) if poll else None
        realtime.emit("poll", payload | {"poll": shown}, room(event.id))
    if poll is not None:
        _push_tally(poll.id)


def _locked(poll: Poll, *, shared: bool) -> Poll:
    """Reload a poll under the write lock."""
    locked = lock_row(Poll, poll.id, shared=shared)
    if locked is None:
        db.session.rollback()
        raise NotFound(_("This poll does not exist."), "unknown_poll")
    return locked


# --- votes -----------------------------------------------------------------------


@dataclass
class VoteResult:
    """What a recorded vote answers: its receipt and whether it was a retry."""

    receipt: str
    poll_id: int
    choices: list[int]
    duplicate: bool = False
    ballot: dict = field(default_factory=dict)  # the ballot as stored, in its wire form


@dataclass
class VoteRequest:
    """A validated vote waiting for its batch."""

    event_id: int
    poll_id: int
    participant_key: str
    choices: list[int]
    vote_id: str
    sent_at: float | None = None
    # Which ballot form was sent (see BALLOT_FORMS) and what goes with it.
    form: str = "choices"
    values: list[int] | None = None  # points per chosen option, or their ranks
    rating: int | None = None
    text: str | None = None
    # Whose ballot the vote fills: the organisation's shared row in organisation polls,
    # else the participant's own (None). The vote log always names the participant.
    ballot_key: str | None = None

    @property
    def owner_key(self) -> str:
        """Return the participant key whose ballot this vote creates or replaces."""
        return self.ballot_key or self.participant_key

    @property
    def ballot(self) -> dict:
        """Return the ballot in its wire form, as acknowledged and kept in the vote log."""
        if self.form == "points":
            return {"points": {str(o): v for o, v in zip(self.choices, self.values, strict=True)}}
        if self.form == "ranking":
            return {"ranking": list(self.choices)}
        if self.form == "rating":
            return {"rating": self.rating}
        if self.form == "text":
            return {"text": self.text}
        return {"choices": list(self.choices)}


# The ballot forms cast_vote accepts, one per vote, and the poll kinds each fills.
BALLOT_FORMS = {
    "choices": CHOICE_KINDS,
    "points": (PollKind.points,),
    "ranking": (PollKind.ranking,),
    "rating": (PollKind.rating,),
    "text": (PollKind.text,),
}


def cast_vote(
    event: Event | int, poll_id, participant_key: str, ballot, vote_id, sent_at=None
) -> VoteResult:
    """Record a participant's ballot; return only after it is committed.

    `ballot` is a list of option ids, or a dict with exactly one of the BALLOT_FORMS:
    {"choices": [ids]}, {"points": {id: n}}, {"ranking": [ids]}, {"rating": n},
    {"text": "..."}; the poll's kind says which it must be.

    Votes from concurrent callers are written together (group commit). The same vote_id
    again returns the first answer's receipt; the unique constraints on (poll,
    participant) and vote_id make the database the final judge of duplicates.
    `sent_at` is an optional client timestamp echoed to displays (latency measurement).
    """
    request = VoteRequest(
        # The socket path passes the id it kept at join, sparing a query per vote.
        event_id=event if isinstance(event, int) else event.id,
        poll_id=_valid_poll_id(poll_id),
        participant_key=participant_key,
        choices=[],
        vote_id=_valid_vote_id(vote_id),
        sent_at=_valid_sent_at(sent_at),
    )
    _read_ballot(request, ballot)
    ratelimits.check("vote", participant_key)
    return _committer().submit(request)


def _read_ballot(request: VoteRequest, ballot) -> None:
    """Check a ballot's shape (not yet against its poll) and put it on the request."""
    if isinstance(ballot, list):
        ballot = {"choices": ballot}
    if not isinstance(ballot, dict):
        raise InvalidInput(
            _("A vote needs choices, points, ranking, rating or text."), "invalid_ballot"
        )
    forms = [form for form in BALLOT_FORMS if ballot.get(form) is not None]
    if len(forms) != 1:
        raise InvalidInput(
            _("A vote carries exactly one of choices, points, ranking, rating or text."),
            "invalid_ballot",
        )
    request.form = form = forms[0]
    value = ballot[form]
    if form == "choices":
        request.choices = _valid_choices(value)
    elif form == "ranking":
        request.choices = _valid_choices(value)
        request.values = list(range(1, len(request.choices) + 1))
    elif form == "points":
        request.choices, request.values = _valid_points(value)
    elif form == "rating":
        if not _is_int(value):
            raise InvalidInput(_("rating must be a whole number."), "invalid_rating")
        request.rating = value
    else:
        request.text = _valid_text(value)


def _valid_points(points) -> tuple[list[int], list[int]]:
    """Return (option ids, points) of an allocation, leaving out options given 0."""
    if not isinstance(points, dict) or not points or len(points) > MAX_OPTIONS:
        raise InvalidInput(_("points must map option numbers to points."), "invalid_points")
    ids, values = [], []
    for key, value in points.items():
        option_id = as_id(key)
        if option_id is None or option_id in ids:
            raise InvalidInput(_("points must map option numbers to points."), "invalid_points")
        if not _is_int(value) or not 0 <= value <= MAX_BUDGET:
            raise InvalidInput(
                _("Each option gets a whole number of points, 0 or more."), "invalid_points"
            )
        if value:
            ids.append(option_id)
            values.append(value)
    return ids, values


def _valid_text(text) -> str:
    """Return an open-text answer with its spacing tidied, if it has 1 to MAX_ANSWER characters."""
    if not isinstance(text, str):
        raise InvalidInput(_("text must be a string."), "invalid_text")
    text = " ".join(text.split())
    if not text or len(text) > MAX_ANSWER:
        raise InvalidInput(
            _("An answer has 1 to %(most)d characters.", most=MAX_ANSWER), "invalid_text"
        )
    return text


def _committer() -> GroupCommitter:
    """Return the process's vote committer, made on first use with the app's settings."""
    global _vote_committer
    if _vote_committer is None:
        _vote_committer = GroupCommitter(
            _write_vote_batch,
            max_batch=int(current_app.config["VOTE_BATCH_SIZE"]),
            max_pending=int(current_app.config["VOTE_MAX_PENDING"]),
            yield_to_others=lambda: socketio.sleep(0),
            window=float(current_app.config["VOTE_BATCH_WINDOW"]),
            pause=socketio.sleep,
        )
    return _vote_committer


_vote_committer: GroupCommitter | None = None


def reset_process_state() -> None:
    """Forget the committer and cached snapshots (tests change settings between apps)."""
    global _vote_committer
    _vote_committer = None
    _public_snapshots.clear()
    _public_results.clear()
    forget_event_refs()


def _write_vote_batch(tickets: list[Ticket]) -> None:
    """Write a batch of votes in one transaction; fall back to one by one on a clash."""
    try:
        _record_votes(tickets)
    except IntegrityError:
        # A concurrent writer (another process) stored a clashing row: redo each vote
        # alone so that only the clashing one is refused.
        db.session.rollback()
        for ticket in tickets:
            ticket.result = ticket.error = None
            try:
                _record_votes([ticket])
            except IntegrityError:
                db.session.rollback()
                ticket.error = _clash_error(ticket.item)
            except VotingError as error:
                db.session.rollback()
                ticket.error = error
            except BaseException:
                ticket.result = None  # set before the commit that failed: never acknowledge it
                db.session.rollback()
                raise
    except OperationalError:
        # Database locked or gone: nothing was stored; the client may resend the same vote.
        # Answers first: results were made before the commit, and a rollback on a lost
        # connection may fail too, which must not leave them standing.
        for ticket in tickets:
            ticket.result = None
            ticket.error = Unavailable(
                _l("Votes cannot be stored right now; retry."), "unavailable"
            )
        db.session.rollback()
        return
    except BaseException:
        # Results are set before the commit; none of this transaction was stored, so each
        # waiting voter must get the error instead (the committer gives it to those
        # without a result). Cleared before the rollback, which may fail as well.
        for ticket in tickets:
            ticket.result = None
        db.session.rollback()
        raise
    _announce_votes(tickets)


def _clash_error(request: VoteRequest) -> VotingError:
    """Explain why a vote clashed with one stored concurrently."""
    try:
        replay = _replay_from_db(request)
    except VotingError as error:
        return error
    if replay is not None:
        return _AlreadyAnswered(replay)
    return Conflict(_l("Your vote was recorded already."), "already_voted")


class _AlreadyAnswered(VotingError):
    """Carries the stored answer of a retried vote out of the batch's error path."""

    def __init__(self, result: VoteResult) -> None:
        super().__init__("duplicate", "duplicate")
        self.result = result


def _announce_votes(tickets: list[Ticket]) -> None:
    """Turn replays into results and schedule tally pushes for the polls that changed."""
    echoes: dict[int, list[float]] = {}
    for ticket in tickets:
        if isinstance(ticket.error, _AlreadyAnswered):
            ticket.result, ticket.error = ticket.error.result, None
        result = ticket.result
        if result is None:
            continue
        # Resent votes schedule a push too: their first push may have died with a
        # process that stored them but was killed before it told the displays.
        echoes.setdefault(result.poll_id, [])
        if result.duplicate:
            continue
        if ticket.item.sent_at is not None:
            echoes[result.poll_id].append(ticket.item.sent_at)
    for poll_id, sent in echoes.items():
        realtime.add_echo(poll_id, sent)
        _schedule_tally(poll_id)


def _record_votes(tickets: list[Ticket]) -> None:
    """Check every vote of a batch under the write lock, store the valid ones, commit.

    Each ticket gets a result or an error; a refused vote does not affect the others.
    All reads and writes are set-based (a few statements per batch, not per vote).
    """
    requests = [ticket.item for ticket in tickets]
    begin_write()
    now = utcnow()
    polls = _lock_polls({r.poll_id for r in requests})
    options = _option_ids(polls)
    blocked = _blocked_words(requests)
    # Secret polls log the vote id's hash: look both up (the poll's kind is not known yet).
    sealed = {r.vote_id: secrecy.hashed_vote_id(r.vote_id) for r in requests}
    stored = _stored_votes({r.vote_id for r in requests} | set(sealed.values()))
    participants = _participant_ids({r.participant_key for r in requests})
    voters = _batch_voters(requests, polls)
    accepted: dict[str, Ticket] = {}
    repeats: list[tuple[Ticket, Ticket]] = []
    for ticket in tickets:
        request = ticket.item
        try:
            earlier = stored.get(request.vote_id) or stored.get(sealed[request.vote_id])
            if earlier is not None:
                ticket.result = _replay_of(earlier, request)
            elif request.vote_id in accepted:
                first = accepted[request.vote_id]
                _same_vote(first.item, request)
                repeats.append((ticket, first))
            else:
                _check_vote(request, polls.get(request.poll_id), options, blocked, now)
                owner = participants.get(request.participant_key)
                if owner is not None and owner[1] != request.event_id:
                    raise InvalidInput(
                        _l("This participant belongs to another event."), "wrong_event"
                    )
                _check_eligibility(request, polls[request.poll_id], voters)
                accepted[request.vote_id] = ticket
        except VotingError as error:
            ticket.error = error
    valid = list(accepted.values())
    _create_participants(valid, participants)
    weights = _voter_weights(valid, polls)
    _store_ballots(
        [t for t in valid if not polls[t.item.poll_id].secret], polls, participants, weights
    )
    secret = [t for t in valid if polls[t.item.poll_id].secret]
    _store_secret_ballots(secret, polls, participants, weights)
    db.session.commit()
    for ticket, first in repeats:
        # The same vote id twice in one batch: both get the first one's answer.
        if first.result is not None:
            ticket.result = replace(first.result, duplicate=True)
        else:
            ticket.error = first.error


# The vote path needs no objects, only rows: the ORM's unit of work and bulk persistence
# cost several times more per statement. It reads polls with Core statements and does
# the rest on the driver's cursor (below).
POLLS, OPTIONS, VOTES = Poll.__table__, Option.__table__, Vote.__table__
PARTICIPANTS, BALLOTS, CHOICES = Participant.__table__, Ballot.__table__, BallotChoice.__table__
POLL_VOTERS, REGISTRATIONS = PollVoter.__table__, Registration.__table__


def _conn():
    """Return the session's connection (inside the batch's transaction)."""
    return db.session.connection()


def _ids(name: str):
    """Return an expanding bind parameter for an IN list."""
    return bindparam(name, expanding=True)


# Statements built once: constructing and cache-keying a statement costs more than
# running it on SQLite, and the vote path runs each of them once per batch.
_POLL_ROWS = select(
    POLLS.c.id,
    POLLS.c.event_id,
    POLLS.c.status,
    POLLS.c.allow_change,
    POLLS.c.max_choices,
    POLLS.c.eligibility,
    POLLS.c.breakout_id,
    POLLS.c.kind,
    POLLS.c.budget,
    POLLS.c.moderate_answers,
    POLLS.c.secret,
    POLLS.c.weighted,
    POLLS.c.closes_at,
).where(POLLS.c.id.in_(_ids("ids")))
_POLL_ROWS_LOCKED = _POLL_ROWS.with_for_update(read=True)
# The rest of the batch's statements run on the driver's cursor (voting.driversql): they
# read and write plain ints and strings, and SQLAlchemy's execution layer cost more than
# SQLite's own work. `{}` is filled with an IN list's placeholders.
_OPTION_ROWS = "SELECT poll_id, id, position FROM options WHERE poll_id IN ({})"
_BLOCKED_WORDS = select(Event.__table__.c.id, Event.__table__.c.blocked_words).where(
    Event.__table__.c.id.in_(_ids("ids"))
)
_VOTE_ROWS = (
    "SELECT votes.vote_id, votes.poll_id, participants.public_id, votes.receipt, votes.choices"
    " FROM votes LEFT OUTER JOIN participants ON participants.id = votes.participant_id"
    " WHERE votes.vote_id IN ({})"
)
_PARTICIPANT_ROWS = "SELECT public_id, id, event_id FROM participants WHERE public_id IN ({})"
_BALLOT_ROWS = "SELECT participant_id, id FROM ballots WHERE poll_id = ? AND participant_id IN ({})"
_CLEAR_CHOICES = "DELETE FROM ballot_choices WHERE ballot_id IN ({})"
# Changed ballots of a batch in a few statements (driversql.chunks): (ballot id, receipt,
# weight) rows. VALUES columns are named column1, column2, ... on both engines.
_UPDATE_BALLOTS = (
    "UPDATE ballots SET updated_at = ?, receipt = changes.column2, weight = changes.column3"
    " FROM (VALUES {}) AS changes WHERE ballots.id = changes.column1"
)
_SET_ANSWER = "UPDATE ballots SET text = ?, answer_status = ? WHERE id = ?"
_INSERT_PARTICIPANT = "INSERT INTO participants (public_id, event_id, created_at) VALUES (?, ?, ?)"
_INSERT_BALLOT = (
    "INSERT INTO ballots (poll_id, participant_id, created_at, updated_at, receipt, weight)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
# Secret ballots get a random id and no times (secrecy.random_ballot_id).
_INSERT_SEALED_BALLOT = "INSERT INTO ballots (id, poll_id, receipt, weight) VALUES (?, ?, ?, ?)"
_INSERT_CHOICE = "INSERT INTO ballot_choices (ballot_id, option_id, value) VALUES (?, ?, ?)"
_INSERT_VOTE = (
    "INSERT INTO votes (vote_id, poll_id, participant_id, receipt, choices, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_POLL_VOTER = "INSERT INTO poll_voters (poll_id, participant_id) VALUES (?, ?)"
_VOTER_ROWS = (
    "SELECT poll_id, participant_id FROM poll_voters WHERE poll_id = ? AND participant_id IN ({})"
)


def _lock_polls(poll_ids: set[int]) -> dict[int, object]:
    """Load the batch's polls under a shared lock (PostgreSQL; SQLite holds the write lock)."""
    query = _POLL_ROWS if is_sqlite() else _POLL_ROWS_LOCKED
    return {row.id: row for row in _conn().execute(query, {"ids": list(poll_ids)})}


def _option_ids(polls: dict[int, object]) -> dict[int, dict[int, int]]:
    """Return the option ids of each poll with their positions."""
    found: dict[int, dict[int, int]] = {poll_id: {} for poll_id in polls}
    if not polls:
        return found
    for poll_id, option_id, position in driversql.rows(*driversql.listed(_OPTION_ROWS, polls)):
        found[poll_id][option_id] = position
    return found


def _blocked_words(requests: list[VoteRequest]) -> dict[int, list[str]]:
    """Return the blocked words of the events of a batch's open-text answers (else nothing)."""
    event_ids = {r.event_id for r in requests if r.form == "text"}
    if not event_ids:
        return {}
    rows = _conn().execute(_BLOCKED_WORDS, {"ids": list(event_ids)})
    return {event_id: tallies.parse_blocked_words(words) for event_id, words in rows}


def _stored_votes(vote_ids: set[str]) -> dict[str, tuple]:
    """Return earlier submissions with these vote ids: vote_id -> (poll, owner key, receipt, choices)."""
    rows = driversql.rows(*driversql.listed(_VOTE_ROWS, vote_ids))
    return {
        vote_id: (poll_id, owner, receipt, _logged(ballot))
        for vote_id, poll_id, owner, receipt, ballot in rows
    }


def _logged(ballot):
    """Return a vote log's ballot as stored JSON decoded (SQLite's driver gives its text)."""
    return json.loads(ballot) if isinstance(ballot, str) else ballot


def _participant_ids(keys: set[str]) -> dict[str, tuple[int, int]]:
    """Return participant key -> (row id, event id) for the keys that have a row."""
    if not keys:
        return {}
    rows = driversql.rows(*driversql.listed(_PARTICIPANT_ROWS, keys))
    return {key: (row_id, event_id) for key, row_id, event_id in rows}


def _replay_of(earlier: tuple, request: VoteRequest) -> VoteResult:
    """Answer a resent vote with the stored receipt, if it really is the same voter and poll."""
    poll_id, owner, receipt, logged = earlier
    if owner is None and poll_id == request.poll_id:
        # A secret vote: its log names no one; knowing the vote id is the proof, and it
        # also unseals the receipt. The ballot itself cannot be looked up.
        receipt = secrecy.open_receipt(receipt, request.vote_id)
        return VoteResult(receipt=receipt, poll_id=poll_id, choices=[], duplicate=True)
    if owner != request.participant_key or poll_id != request.poll_id:
        raise Conflict(_l("This vote id was used for another vote."), "vote_id_conflict")
    ballot = {"choices": list(logged)} if isinstance(logged, list) else dict(logged)
    return VoteResult(
        receipt=receipt,
        poll_id=poll_id,
        choices=_logged_option_ids(ballot),
        duplicate=True,
        ballot=ballot,
    )


def _logged_option_ids(ballot: dict) -> list[int]:
    """Return the option ids a logged ballot names (none for ratings and answers)."""
    if "points" in ballot:
        return [int(option_id) for option_id in ballot["points"]]
    return list(ballot.get("choices") or ballot.get("ranking") or [])


def _replay_from_db(request: VoteRequest) -> VoteResult | None:
    """Look up a vote id stored by a concurrent writer and answer it as a replay."""
    earlier = _stored_votes({request.vote_id}).get(request.vote_id)
    return None if earlier is None else _replay_of(earlier, request)


def _same_vote(first: VoteRequest, again: VoteRequest) -> None:
    """Refuse a vote id reused in one batch by another voter or for another poll."""
    if first.participant_key != again.participant_key or first.poll_id != again.poll_id:
        raise Conflict(_l("This vote id was used for another vote."), "vote_id_conflict")


def _check_vote(request: VoteRequest, poll, options: dict, blocked: dict, now) -> None:
    """Apply the rules a vote must pass against its poll."""
    if poll is None or poll.event_id != request.event_id:
        raise NotFound(_l("This poll does not exist in this event."), "unknown_poll")
    if poll.status != PollStatus.open:
        code = "poll_closed" if poll.status == PollStatus.closed else "poll_not_open"
        raise Conflict(_l("This poll is not open for votes."), code)
    if poll.closes_at is not None and _utc(poll.closes_at) <= now:
        # Time is up even if the closing job has not run yet: the timer is the rule.
        raise Conflict(_l("Time is up: this poll no longer takes votes."), "poll_closed")
    if poll.kind not in BALLOT_FORMS[request.form]:
        raise InvalidInput(
            _l("This poll does not take a %(form)s ballot.", form=request.form),
            "wrong_ballot_form",
        )
    if request.form == "rating":
        _rating_to_choice(request, options[poll.id])
    elif request.form == "text":
        _check_answer(request, blocked.get(request.event_id, ()))
        return
    _check_choices(poll, request.choices, options[poll.id])
    if request.form == "points" and sum(request.values) != poll.budget:
        raise InvalidInput(
            _l("The points must add up to %(budget)d.", budget=poll.budget), "points_sum"
        )
    if request.form == "ranking" and len(request.choices) != len(options[poll.id]):
        raise InvalidInput(_l("Rank every option, each once."), "incomplete_ranking")


def _rating_to_choice(request: VoteRequest, positions: dict[int, int]) -> None:
    """Turn a rating 1..n into the scale point's option (position rating - 1)."""
    by_position = {position: option_id for option_id, position in positions.items()}
    option_id = by_position.get(request.rating - 1) if request.rating >= 1 else None
    if option_id is None:
        raise InvalidInput(
            _l("The rating goes from 1 to %(most)d.", most=len(positions)), "invalid_rating"
        )
    request.choices = [option_id]


def _check_answer(request: VoteRequest, blocked) -> None:
    """Refuse an open-text answer that holds a blocked word."""
    word = tallies.blocked_word_in(request.text, blocked)
    if word is not None:
        raise InvalidInput(
            _l("This answer contains a word that is not allowed here."), "blocked_word"
        )


def _batch_voters(requests: list[VoteRequest], polls: dict[int, object]) -> dict:
    """Return the registrations of the batch's voters in restricted polls (one query).

    Nothing is read when every poll of the batch lets anyone vote: the fast path.
    """
    keys = {
        r.participant_key
        for r in requests
        if r.poll_id in polls and polls[r.poll_id].eligibility != Eligibility.anyone
    }
    found = eligibility.voters(keys) if keys else {}
    members = {
        (r.participant_key, polls[r.poll_id].breakout_id)
        for r in requests
        if r.poll_id in polls and polls[r.poll_id].breakout_id is not None
    }
    # Breakout polls: which of these voters hold a seat in (or facilitate) the session.
    found[eligibility.MEMBERS] = eligibility.breakout_members(members) if members else set()
    return found


_WEIGHT_ROWS = (
    select(PARTICIPANTS.c.public_id, REGISTRATIONS.c.vote_weight)
    .join(REGISTRATIONS, REGISTRATIONS.c.id == PARTICIPANTS.c.registration_id)
    .where(PARTICIPANTS.c.public_id.in_(_ids("ids")))
)


def _voter_weights(tickets: list[Ticket], polls: dict) -> dict[str, float]:
    """Return participant key -> vote weight for the voters in weighted polls (else 1)."""
    keys = {t.item.participant_key for t in tickets if polls[t.item.poll_id].weighted}
    if not keys:
        return {}
    return dict(_conn().execute(_WEIGHT_ROWS, {"ids": list(keys)}).all())


def _check_eligibility(request: VoteRequest, poll, voters: dict) -> None:
    """Refuse a voter the poll does not admit; route organisation votes to one ballot."""
    request.ballot_key = None
    if poll.breakout_id is not None and (
        (request.participant_key, poll.breakout_id) not in voters.get(eligibility.MEMBERS, ())
    ):
        raise eligibility.NOT_MEMBER()
    if poll.eligibility == Eligibility.anyone:
        return
    voter = voters.get(request.participant_key, eligibility.ANONYMOUS)
    error = eligibility.refusal(poll.eligibility, voter, request.event_id)
    if error is not None:
        raise error
    if poll.eligibility == Eligibility.organisation:
        request.ballot_key = eligibility.organisation_key(request.event_id, voter.organisation)


def _create_participants(tickets, participants: dict[str, tuple[int, int]]) -> None:
    """Insert the participant rows that first vote in this batch (and organisations' rows)."""
    shared = {t.item.ballot_key for t in tickets if t.item.ballot_key} - participants.keys()
    if shared:  # organisation rows are made by a colleague's first vote, then reused
        participants.update(_participant_ids(shared))
    new = {t.item.participant_key: t.item.event_id for t in tickets}
    new |= {t.item.ballot_key: t.item.event_id for t in tickets if t.item.ballot_key}
    new = {key: event_id for key, event_id in new.items() if key not in participants}
    if not new:
        return
    now = driversql.bind(PARTICIPANTS.c.created_at, utcnow())
    made = driversql.insert_rows(
        _INSERT_PARTICIPANT,
        [(key, event_id, now) for key, event_id in new.items()],
        returning="public_id, id, event_id",
    )
    participants.update({key: (row_id, event_id) for key, row_id, event_id in made})


def _store_ballots(tickets: list[Ticket], polls: dict, participants, weights: dict) -> None:
    """Create or replace each voter's ballot and log each submission, set-based."""
    if not tickets:
        return
    pairs = {(t.item.poll_id, participants[t.item.owner_key][0]) for t in tickets}
    existing = _ballot_ids(pairs)
    final: dict[tuple[int, int], Ticket] = {}
    accepted: list[Ticket] = []
    for ticket in tickets:
        request = ticket.item
        pair = (request.poll_id, participants[request.owner_key][0])
        if (pair in existing or pair in final) and not polls[request.poll_id].allow_change:
            ticket.error = _no_change_error(request)
            continue
        final[pair] = ticket  # a later vote in the batch replaces an earlier one
        ticket.result = VoteResult(
            receipt=_new_receipt(),
            poll_id=request.poll_id,
            choices=request.choices,
            ballot=request.ballot,
        )
        accepted.append(ticket)
    if not accepted:
        return
    now = driversql.bind(BALLOTS.c.created_at, utcnow())
    changed = [pair for pair in final if pair in existing]
    if changed:
        driversql.rows(*driversql.listed(_CLEAR_CHOICES, [existing[pair] for pair in changed]))
        _update_ballots(
            now,
            [
                (
                    existing[pair],
                    final[pair].result.receipt,
                    weights.get(final[pair].item.participant_key, 1.0),
                )
                for pair in changed
            ],
        )
    new_pairs = [pair for pair in final if pair not in existing]
    if new_pairs:
        made = driversql.insert_rows(
            _INSERT_BALLOT,
            [
                (
                    poll_id,
                    pid,
                    now,
                    now,
                    final[poll_id, pid].result.receipt,
                    weights.get(final[poll_id, pid].item.participant_key, 1.0),
                )
                for poll_id, pid in new_pairs
            ],
            returning="poll_id, participant_id, id",
        )
        existing.update({(poll_id, pid): ballot_id for poll_id, pid, ballot_id in made})
    by_ballot = {existing[pair]: ticket.item for pair, ticket in final.items()}
    _store_answers(by_ballot, polls)
    _store_choices(by_ballot)
    _log_votes(
        [
            (
                t.item.vote_id,
                t.item.poll_id,
                participants[t.item.participant_key][0],
                t.result.receipt,
                # The log keeps plain choice ballots as a list, as it always has.
                t.item.choices if t.item.form == "choices" else t.item.ballot,
            )
            for t in accepted
        ]
    )


def _update_ballots(now, changes: list[tuple]) -> None:
    """Give changed ballots their new time, receipt and weight: (id, receipt, weight) rows."""
    for chunk in driversql.chunks(changes):
        sql = _UPDATE_BALLOTS.format(driversql.values(len(chunk), 3))
        driversql.rows(sql, [now, *driversql.flat(chunk)])


def _log_votes(entries: list[tuple]) -> None:
    """Append (vote id, poll, participant, receipt, ballot) entries to the vote log."""
    now = driversql.bind(VOTES.c.created_at, utcnow())
    as_stored = driversql.binder(VOTES.c.choices)
    driversql.insert_rows(
        _INSERT_VOTE, [(*entry[:4], as_stored(entry[4]), now) for entry in entries]
    )


def _store_choices(by_ballot: dict[int, VoteRequest]) -> None:
    """Insert the options (with points or ranks) each ballot of a batch marks."""
    rows = [
        (ballot_id, option_id, value)
        for ballot_id, request in by_ballot.items()
        for option_id, value in zip(
            request.choices, request.values or [None] * len(request.choices), strict=True
        )
    ]
    driversql.insert_rows(_INSERT_CHOICE, rows)


def _store_answers(by_ballot: dict[int, VoteRequest], polls: dict[int, object]) -> None:
    """Write the open-text answers of a batch onto their ballots (moderated or shown)."""
    as_stored = driversql.binder(BALLOTS.c.answer_status)
    answers = [
        (
            request.text,
            as_stored(
                AnswerStatus.pending
                if polls[request.poll_id].moderate_answers
                else AnswerStatus.shown
            ),
            ballot_id,
        )
        for ballot_id, request in by_ballot.items()
        if request.form == "text"
    ]
    driversql.execute_many(_SET_ANSWER, answers)


def _store_secret_ballots(tickets: list[Ticket], polls: dict, participants, weights: dict) -> None:
    """Store secret ballots: who voted, what was voted and the log, none pointing at another.

    A secret ballot cannot be changed, so a second vote is refused. Ballots get random
    ids and no times, and each table gets a batch's rows in an order of its own.
    """
    if not tickets:
        return
    voted: set[tuple[int, int]] = set()
    for poll_id in {t.item.poll_id for t in tickets}:
        pids = [participants[t.item.owner_key][0] for t in tickets if t.item.poll_id == poll_id]
        sql, params = driversql.listed(_VOTER_ROWS, pids)
        voted |= set(driversql.rows(sql, [poll_id, *params]))
    accepted: list[Ticket] = []
    for ticket in tickets:
        pair = (ticket.item.poll_id, participants[ticket.item.owner_key][0])
        if pair in voted:
            ticket.error = _no_change_error(ticket.item)
            continue
        voted.add(pair)
        ticket.result = VoteResult(
            receipt=_new_receipt(),
            poll_id=ticket.item.poll_id,
            choices=ticket.item.choices,
            ballot=ticket.item.ballot,
        )
        accepted.append(ticket)
    if not accepted:
        return
    # Each table gets the batch's rows in an order of its own, none following another's:
    # PostgreSQL keeps rows in insertion order on disk, so the same order in two tables
    # would pair each voter with their ballot for anyone who reads the files.
    voters = sorted((t.item.poll_id, participants[t.item.owner_key][0]) for t in accepted)
    driversql.insert_rows(_INSERT_POLL_VOTER, voters)
    pairs = zip(_distinct_ballot_ids(len(accepted)), accepted, strict=True)
    by_ballot = dict(sorted(pairs, key=itemgetter(0)))  # ballots in the order of their random ids
    driversql.insert_rows(
        _INSERT_SEALED_BALLOT,
        [
            (ballot_id, t.item.poll_id, t.result.receipt, weights.get(t.item.participant_key, 1.0))
            for ballot_id, t in by_ballot.items()
        ],
    )
    requests = {ballot_id: t.item for ballot_id, t in by_ballot.items()}
    _store_answers(requests, polls)
    _store_choices(requests)
    logged = list(accepted)
    random.SystemRandom().shuffle(logged)
    _log_votes(
        [
            (
                secrecy.hashed_vote_id(t.item.vote_id),
                t.item.poll_id,
                None,
                secrecy.seal_receipt(t.result.receipt, t.item.vote_id),
                [],
            )
            for t in logged
        ]
    )


def _distinct_ballot_ids(count: int) -> list[int]:
    """Return `count` random ballot ids, none twice (a repeat would drop a ballot unseen)."""
    ids: dict[int, None] = {}  # in the order drawn: random, unlike a set's
    while len(ids) < count:
        ids[secrecy.random_ballot_id()] = None
    return list(ids)


def _no_change_error(request: VoteRequest) -> Conflict:
    """Explain why a second vote is refused in a poll that does not allow changes."""
    if request.ballot_key:
        return Conflict(
            _l("Your organisation has voted already; this poll does not allow changes."),
            "organisation_voted",
        )
    return Conflict(
        _l("You have voted already; this poll does not allow changes."), "already_voted"
    )


def _ballot_ids(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Return (poll id, participant id) -> ballot id for the pairs that have a ballot."""
    if not pairs:
        return {}
    found: dict[tuple[int, int], int] = {}
    # One query per poll (a batch nearly always has one poll): plain IN on an indexed
    # column is cheaper than a row-value IN.
    by_poll: dict[int, list[int]] = {}
    for poll_id, pid in pairs:
        by_poll.setdefault(poll_id, []).append(pid)
    for poll_id, pids in by_poll.items():
        sql, params = driversql.listed(_BALLOT_ROWS, pids)
        rows = driversql.rows(sql, [poll_id, *params])
        found.update({(poll_id, pid): ballot_id for pid, ballot_id in rows})
    return found


def _check_choices(poll, choices: list[int], valid: dict[int, int]) -> None:
    """Refuse options of another poll and too many choices."""
    if not set(choices) <= valid.keys():
        raise InvalidInput(_l("A chosen option is not part of this poll."), "invalid_option")
    if len(choices) > poll.max_choices:
        raise InvalidInput(
            _l("Choose at most %(most)d options.", most=poll.max_choices), "too_many_choices"
        )


def _valid_poll_id(poll_id) -> int:
    """Return the poll id as an integer, or refuse the ballot."""
    poll_key = as_id(poll_id)
    if poll_key is None:
        raise InvalidInput(_("poll_id must be a poll number."), "invalid_ballot")
    return poll_key


def _valid_sent_at(sent_at) -> float | None:
    """Return the optional client send time if it is a finite number."""
    if sent_at is None:
        return None
    if (
        isinstance(sent_at, bool)
        or not isinstance(sent_at, int | float)
        or not math.isfinite(sent_at)
    ):
        raise InvalidInput(_("sent_at must be a number (client milliseconds)."), "invalid_payload")
    return float(sent_at)


def _valid_vote_id(vote_id) -> str:
    """Return the vote id if it is a string of 8-64 URL-safe characters."""
    if not isinstance(vote_id, str) or not VOTE_ID_RE.match(vote_id):
        raise InvalidInput(
            _("vote_id must be 8 to 64 letters, digits, '-' or '_'."), "invalid_vote_id"
        )
    return vote_id


def _valid_choices(choices) -> list[int]:
    """Return the chosen option ids if they form a non-empty list of distinct integers."""
    if not isinstance(choices, list) or not choices or len(choices) > MAX_OPTIONS:
        raise InvalidInput(_("Choose at least one option."), "invalid_ballot")
    ids = [as_id(choice) for choice in choices]
    if None in ids or len(set(ids)) != len(ids):
        raise InvalidInput(_("The choices must be distinct option numbers."), "invalid_ballot")
    return ids


def _new_receipt() -> str:
    """Return a short receipt code a participant can read out, e.g. K7QM-2XPA."""
    # 40 random bits in one system call, read as 8 symbols of the 32-letter alphabet
    # (secrets.choice per symbol cost eight calls per vote).
    bits = int.from_bytes(secrets.token_bytes(5), "big")
    raw = "".join(RECEIPT_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"{raw[:4]}-{raw[4:]}"


# Run once per join: on the driver's cursor, like the vote batch (voting.driversql).
_MY_BALLOTS = (
    "SELECT ballots.poll_id, polls.kind, ballot_choices.option_id, ballot_choices.value,"
    " options.position, ballots.text"
    " FROM ballots JOIN participants ON participants.id = ballots.participant_id"
    " JOIN polls ON polls.id = ballots.poll_id"
    " LEFT OUTER JOIN ballot_choices ON ballot_choices.ballot_id = ballots.id"
    " LEFT OUTER JOIN options ON options.id = ballot_choices.option_id"
    " WHERE participants.public_id = ? AND ballots.poll_id IN ({})"
)


def my_choices(poll_ids: list[int], participant_key: str | None) -> dict[int, list | dict]:
    """Return a participant's ballot per poll: option ids in choice polls, else its wire form.

    Points: {"points": {id: n}}; ranking: {"ranking": [ids]}; rating: {"rating": n};
    open text: {"text": "..."} (docs/realtime.md).
    """
    if not participant_key or not poll_ids:
        return {}
    sql, ids = driversql.listed(_MY_BALLOTS, poll_ids)
    rows = driversql.rows(sql, [participant_key, *ids])
    parts: dict[int, tuple[str, list]] = {}
    for poll_id, kind, option_id, value, position, text in rows:
        parts.setdefault(poll_id, (kind, []))[1].append((option_id, value, position, text))
    return {poll_id: wire_ballot(kind, rows) for poll_id, (kind, rows) in parts.items()}


def wire_ballot(kind: str, parts: list[tuple]) -> list | dict:
    """Rebuild a stored ballot in its wire form from (option id, value, position, text) rows.

    Choice polls give the list of option ids (the form `mine` has always had).
    """
    if kind in CHOICE_KINDS:
        return [option_id for option_id, *_ in parts if option_id is not None]
    if kind == PollKind.points:
        return {"points": {str(option_id): value for option_id, value, *_ in parts}}
    if kind == PollKind.ranking:
        return {"ranking": [option_id for option_id, *_ in sorted(parts, key=lambda p: p[1])]}
    if kind == PollKind.rating:
        return {"rating": parts[0][2] + 1 if parts and parts[0][2] is not None else None}
    return {"text": parts[0][3] if parts else None}


# --- tallies and payloads ----------------------------------------------------------


def ballot_count(poll_id: int) -> int:
    """Return how many participants have a ballot in the poll."""
    return db.session.scalar(select(func.count()).where(Ballot.poll_id == poll_id)) or 0


def tally(poll: Poll) -> dict[int, int | float]:
    """Count stored ballots per option (zero for options nobody chose); weights if weighted."""
    counts = dict.fromkeys((option.id for option in poll.options), 0)
    if poll.weighted:
        query = (
            select(BallotChoice.option_id, func.sum(Ballot.weight))
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(Ballot.poll_id == poll.id)
        )
    else:
        # An option belongs to one poll, so its choices are that poll's: counting them in
        # the option_id index alone, without joining ballots, took 0.6 ms instead of 2.7
        # for 5,000 ballots, and the live tally is counted ten times a second.
        query = select(BallotChoice.option_id, func.count()).where(
            BallotChoice.option_id.in_(list(counts))
        )
    rows = db.session.execute(query.group_by(BallotChoice.option_id))
    for option_id, count in rows:
        counts[option_id] = tallies.figure(count) if poll.weighted else count
    return counts


def total_weight(poll: Poll) -> float:
    """Return the summed weight of a poll's ballots (their number when not weighted)."""
    if not poll.weighted:
        return ballot_count(poll.id)
    weight = db.session.scalar(select(func.sum(Ballot.weight)).where(Ballot.poll_id == poll.id))
    return tallies.figure(weight or 0)


def countries_payload(poll: Poll) -> list[dict]:
    """Return turnout by country, most voters first; code "" means "not registered"."""
    rows = [
        {"country": code, "name": country_name(code) if code else "Not registered", "count": n}
        for code, n in eligibility.country_turnout(poll).items()
    ]
    # Not registered last, the others by count then name: a stable order on the display.
    return sorted(rows, key=lambda row: (row["country"] == "", -row["count"], row["name"]))


def poll_payload(poll: Poll, *, staff: bool = False) -> dict:
    """Describe a poll for a client (no results); a quiz's answer only to staff or once closed."""
    payload = {
        "id": poll.id,
        "title": poll.title,
        "description": poll.description,
        "kind": str(poll.kind),
        "max_choices": poll.max_choices,
        "status": str(poll.status),
        "visibility": str(poll.visibility),
        "results_public": poll.results_public,
        "allow_change": poll.allow_change,
        "eligibility": str(poll.eligibility),
        "show_countries": poll.show_countries,
        "secret": poll.secret,
        "weighted": poll.weighted,
        "receipts_published": poll.receipts_published,
        "duration": poll.duration_seconds,
        # Epoch milliseconds; clients count down against server_time to ignore their
        # own clock's error.
        "closes_at": _epoch_ms(poll.closes_at) if poll.closes_at else None,
        "server_time": _epoch_ms(utcnow()),
        "options": [{"id": option.id, "label": option.label} for option in poll.options],
        "translations": translations.for_clients(poll),
    }
    payload.update(_kind_settings(poll))
    if poll.kind == PollKind.quiz and (staff or poll.status == PollStatus.closed):
        for row, option in zip(payload["options"], poll.options, strict=True):
            row["correct"] = option.correct
    return payload


def _epoch_ms(moment: dt.datetime) -> int:
    """Return a time as milliseconds since the epoch."""
    return int(_utc(moment).timestamp() * 1000)


def _kind_settings(poll: Poll) -> dict:
    """Return the settings a client needs to show a poll of this kind."""
    if poll.kind == PollKind.points:
        return {"budget": poll.budget}
    if poll.kind == PollKind.rating:
        return {"low_label": poll.scale_low_label, "high_label": poll.scale_high_label}
    if poll.kind == PollKind.yes_no:
        return {"majority": str(poll.majority)}
    if poll.kind == PollKind.text:
        return {"max_length": MAX_ANSWER, "moderated": poll.moderate_answers}
    return {}


# Figures of a results payload that only consoles (and staff API calls) receive.
STAFF_ONLY = ("eligible",)


def results_payload(poll: Poll, *, staff: bool) -> dict:
    """Return the full tally for staff or when public, else only how many voted.

    Staff also get `eligible` (how many may vote; None when anyone may); a poll that
    shows turnout by country carries `countries` for everyone, like `total`. The tally's
    shape depends on the poll's kind (docs/realtime.md, "Results by kind").
    """
    total = ballot_count(poll.id)
    payload = {
        "poll_id": poll.id,
        "kind": str(poll.kind),
        "status": str(poll.status),
        "seq": realtime.next_seq(),
        "total": total,
        "visible": staff or poll.results_public,
    }
    if staff:
        payload["eligible"] = eligibility.eligible_count(poll)
    if poll.show_countries:
        payload["countries"] = countries_payload(poll)
    if poll.weighted:
        payload["total_weight"] = total_weight(poll)
    if payload["visible"]:
        payload.update(_kind_results(poll, payload.get("total_weight", total), staff=staff))
    return payload


def _kind_results(poll: Poll, total: float, *, staff: bool) -> dict:
    """Return the tally of a poll in the shape of its kind (`total`: ballots or weight)."""
    if poll.kind == PollKind.points:
        return _points_results(poll, total)
    if poll.kind == PollKind.ranking:
        return _ranking_results(poll, total)
    if poll.kind == PollKind.text:
        return _text_results(poll, staff=staff)
    counts = tally(poll)
    results: dict = {
        "options": [
            {
                "id": option.id,
                "label": option.label,
                "count": counts[option.id],
                "percent": tallies.percent(counts[option.id], total),
            }
            for option in poll.options
        ]
    }
    if poll.kind == PollKind.rating:
        results.update(tallies.rating_summary([counts[option.id] for option in poll.options]))
    elif poll.kind == PollKind.yes_no:
        yes, no = (counts[option.id] for option in poll.options[:2])
        results["majority"] = str(poll.majority)
        # The outcome is an assembly's decision: announced once voting has ended.
        if poll.status == PollStatus.closed or staff:
            results["outcome"] = tallies.majority_outcome(yes, no, poll.majority)
    elif poll.kind == PollKind.quiz and (poll.status == PollStatus.closed or staff):
        for row, option in zip(results["options"], poll.options, strict=True):
            row["correct"] = option.correct
    return results


def _option_values(poll: Poll) -> list[tuple[int, int, float]]:
    """Return (option id, value, weight) of every ballot choice of a points or ranking poll."""
    weight = Ballot.weight if poll.weighted else literal(1)
    return list(
        db.session.execute(
            select(BallotChoice.option_id, BallotChoice.value, weight)
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(Ballot.poll_id == poll.id)
        )
    )


def _points_results(poll: Poll, total: int) -> dict:
    """Average allocation per option (the averages add up to the budget)."""
    summary = tallies.points_summary(_option_values(poll), [o.id for o in poll.options], total)
    return {
        "budget": poll.budget,
        "options": [
            {
                "id": option.id,
                "label": option.label,
                **summary[option.id],
                "percent": tallies.percent(summary[option.id]["average"], poll.budget),
            }
            for option in poll.options
        ],
    }


def _ranking_results(poll: Poll, total: int) -> dict:
    """Borda score and average rank per option; percent of the highest possible score."""
    summary = tallies.borda(_option_values(poll), [o.id for o in poll.options])
    best = total * (len(poll.options) - 1)
    return {
        "options": [
            {
                "id": option.id,
                "label": option.label,
                **summary[option.id],
                "percent": tallies.percent(summary[option.id]["borda"], best),
            }
            for option in poll.options
        ]
    }


ANSWERS_SHOWN = 60  # newest answers listed with the cloud


def _text_results(poll: Poll, *, staff: bool) -> dict:
    """The word cloud of shown answers; staff also get every answer to moderate."""
    rows = db.session.execute(
        select(Ballot.id, Ballot.text, Ballot.answer_status)
        .where(Ballot.poll_id == poll.id, Ballot.text.is_not(None))
        .order_by(Ballot.updated_at.desc(), Ballot.id.desc())
    ).all()
    shown = [text for _, text, status in rows if status == AnswerStatus.shown]
    results = {
        "cloud": tallies.word_cloud(shown),
        "answers": [{"text": text} for text in shown[:ANSWERS_SHOWN]],
        "shown": len(shown),
    }
    if staff:
        results["answers"] = [
            {"id": ballot_id, "text": text, "status": str(status)}
            for ballot_id, text, status in rows[:500]
        ]
        results["pending"] = sum(1 for *_, status in rows if status == AnswerStatus.pending)
    return results


def publish_receipts(poll: Poll, published: bool = True) -> Poll:
    """Publish (or withdraw) a closed poll's receipts with their ballots, for recounting."""
    if published and poll.status != PollStatus.closed:
        raise Conflict(_("Receipts are published once the poll is closed."), "poll_not_closed")
    poll.receipts_published = published
    audit.record(
        poll.event_id, poll.id, "receipts_published" if published else "receipts_withdrawn", {}
    )
    db.session.commit()
    _announce(poll, "updated")
    return poll


def receipts(poll: Poll) -> list[dict]:
    """Return every ballot with its receipt (and weight), sorted by receipt.

    Sorting by receipt, a random code, keeps the list in no order a reader could tie to
    the order of votes. Answers that a moderator has not shown stay out of the text.
    """
    rows = db.session.execute(
        select(
            Ballot.id,
            Ballot.receipt,
            Ballot.weight,
            Ballot.answer_status,
            BallotChoice.option_id,
            BallotChoice.value,
            Option.position,
            Ballot.text,
        )
        .select_from(Ballot)
        .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .outerjoin(Option, Option.id == BallotChoice.option_id)
        .where(Ballot.poll_id == poll.id)
    )
    ballots: dict[int, dict] = {}
    for ballot_id, receipt, weight, status, *part in rows:
        if status not in (None, AnswerStatus.shown):
            part[3] = None  # held back or hidden by a moderator: counted, not shown
        entry = ballots.setdefault(ballot_id, {"receipt": receipt, "weight": weight, "parts": []})
        entry["parts"].append(tuple(part))
    listed = [
        {
            "receipt": entry["receipt"] or "",
            "ballot": _as_form(wire_ballot(poll.kind, entry["parts"])),
        }
        | ({"weight": tallies.figure(entry["weight"])} if poll.weighted else {})
        for entry in ballots.values()
    ]
    return sorted(listed, key=lambda row: row["receipt"])


def _as_form(ballot: list | dict) -> dict:
    """Return a ballot in its keyed wire form ({"choices": [...]} for choice polls)."""
    return {"choices": ballot} if isinstance(ballot, list) else ballot


def moderate_answer(poll: Poll, ballot_id, status) -> None:
    """Show, hide (or send back to waiting) one open-text answer, and push the change."""
    try:
        status = AnswerStatus(status)
    except ValueError:
        raise InvalidInput(
            _("status must be shown, hidden or pending."), "invalid_status"
        ) from None
    ballot = db.session.get(Ballot, as_id(ballot_id)) if as_id(ballot_id) else None
    if ballot is None or ballot.poll_id != poll.id or ballot.text is None:
        raise NotFound(_("This answer does not exist in this poll."), "unknown_answer")
    ballot.answer_status = status
    db.session.commit()
    _push_tally(poll.id)


def push_results(poll_id: int, *, participants: bool) -> None:
    """Compute a poll's tally from stored ballots and push it to who may see it.

    Consoles get the full tally, displays the public one. Phones get it only with staff
    actions (open, close, reveal, ...), not with every vote: thousands of phones do not
    need a tally many times a second, the projector does.
    """
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        return
    staff = results_payload(poll, staff=True)
    if not participants:
        # Send times of the votes this tally adds, for latency measurement (benchmarks).
        staff["echo"] = realtime.take_echo(poll_id)
    realtime.emit("results", staff, realtime.console_room(poll.event_id))
    if poll.breakout_id is not None:
        end_read()
        return
    if _staff_tally_differs(poll):
        public = results_payload(poll, staff=False) | {"echo": staff.get("echo", [])}
    else:
        public = public_results(staff, poll.results_public)
    room = realtime.event_room if participants else realtime.display_room
    realtime.emit("results", public, room(poll.event_id))
    _refresh_snapshot_results(poll.event_id, poll_id, public)
    if poll.status != PollStatus.draft:  # a draft's results are no one's to see
        _keep_public_results(poll.event_id, poll_id, _without_echo(public))
    end_read()  # COMMIT, not ROLLBACK: the connection keeps its prepared statements


def _staff_tally_differs(poll: Poll) -> bool:
    """Say whether staff see more of this tally than the public beyond STAFF_ONLY figures.

    Open-text answers carry moderation (ids, hidden ones); an open quiz or yes/no vote
    carries the correct answer or the outcome so far.
    """
    return poll.kind == PollKind.text or (
        poll.kind in (PollKind.quiz, PollKind.yes_no) and poll.status != PollStatus.closed
    )


def public_results(staff: dict, results_public: bool) -> dict:
    """Reduce a staff results payload to what participants and displays may see."""
    if results_public:
        return {key: value for key, value in staff.items() if key not in STAFF_ONLY}
    keys = ("poll_id", "status", "seq", "total", "echo", "countries")
    return {key: staff[key] for key in keys if key in staff} | {"visible": False}


def refresh_turnout(event_id: int) -> None:
    """Push the tallies of an event's open restricted polls: their eligible number changed.

    For the registration and check-in services, after a commit that changes who may vote
    (a confirmation, cancellation, check-in, erasure); coalesced like vote tallies.
    """
    poll_ids = db.session.scalars(
        select(Poll.id).where(
            Poll.event_id == event_id,
            Poll.status == PollStatus.open,
            Poll.eligibility != Eligibility.anyone,
        )
    ).all()
    for poll_id in poll_ids:
        _schedule_tally(poll_id)


def _schedule_tally(poll_id: int) -> None:
    """Push the poll's tally to consoles and displays soon, coalescing bursts of votes."""
    realtime.coalesce(f"tally:{poll_id}", lambda: push_results(poll_id, participants=False))


def _push_tally(poll_id: int) -> None:
    """Push the poll's tally to everyone now (after staff actions, which are rare)."""
    push_results(poll_id, participants=True)


def _announce(poll: Poll, action: str) -> None:
    """Tell clients that a poll changed; participants hear only of open or shown polls."""
    event = poll.event
    _forget_snapshot(event.id)
    payload = {"action": action, "display_poll_id": event.display_poll_id}
    staff = payload | {"poll": poll_payload(poll, staff=True)}
    realtime.emit("poll", staff, realtime.console_room(event.id))
    if poll.breakout_id is not None:
        return  # its members follow it on the breakout's page, not every phone in the hall
    if poll.status != PollStatus.draft or event.display_poll_id == poll.id:
        realtime.emit("poll", payload | {"poll": poll_payload(poll)}, realtime.event_room(event.id))


def public_polls(event: Event) -> list[Poll]:
    """Return the plenary polls participants may see: open and closed ones, newest first.

    A breakout's own polls stay on that breakout's page, among its members.
    """
    return [
        poll
        for poll in reversed(event.polls)
        if poll.status != PollStatus.draft and poll.breakout_id is None
    ]


def open_polls(event: Event) -> list[Poll]:
    """Return the event's open polls, in console order."""
    return [poll for poll in event.polls if poll.status == PollStatus.open]


def snapshot(event: Event, *, staff: bool, participant_key: str | None = None) -> dict:
    """Return everything a client may see of an event right now (join ack, reconnects)."""
    if not staff:
        return public_snapshot(event.id, participant_key=participant_key)
    polls = _with_display_poll(event, event.polls)
    return {
        "ok": True,
        "event": {"code": event.code, "name": event.name},
        "display_poll_id": event.display_poll_id,
        "polls": [poll_payload(poll, staff=True) for poll in polls],
        "results": {str(poll.id): results_payload(poll, staff=True) for poll in polls},
        "mine": {},
        "connected": realtime.connected_count(event.id),
    }


def public_snapshot(event_id: int, *, participant_key: str | None = None) -> dict:
    """Return what a phone or display of the event may see, with the phone's own choices.

    A phone also gets `voter`: which eligibilities it meets, read only when a poll it
    sees is restricted (None otherwise, so ordinary joins cost no extra query).
    """
    shared = _public_snapshot(event_id)
    levels = [(poll["id"], poll["eligibility"]) for poll in shared["polls"]]
    restricted = any(level != Eligibility.anyone for _, level in levels)
    voter = eligibility.voter(participant_key) if restricted and participant_key else None
    mine = voter_choices(levels, participant_key, voter, event_id)
    secret_ids = [poll["id"] for poll in shared["polls"] if poll["secret"]]
    mine.update(dict.fromkeys(secret_voted(secret_ids, participant_key), {"secret": True}))
    payload = {**shared, "mine": {str(k): v for k, v in mine.items()}}
    if participant_key:
        payload["voter"] = None if voter is None else eligibility.voter_payload(voter, event_id)
    return payload


_POLLS_VOTED_IN = (
    "SELECT poll_voters.poll_id FROM poll_voters"
    " JOIN participants ON participants.id = poll_voters.participant_id"
    " WHERE participants.public_id = ? AND poll_voters.poll_id IN ({})"
)


def secret_voted(poll_ids: list[int], participant_key: str | None) -> list[int]:
    """Return the secret polls in which this participant has voted (not how)."""
    if not poll_ids or not participant_key:
        return []
    sql, ids = driversql.listed(_POLLS_VOTED_IN, poll_ids)
    return [poll_id for (poll_id,) in driversql.rows(sql, [participant_key, *ids])]


def voter_choices(levels, key: str | None, voter, event_id: int) -> dict[int, list[int]]:
    """Return the options marked per poll: own ballots, and the organisation's in its polls.

    `levels` is a list of (poll id, eligibility). Colleagues share their organisation's
    ballot, so each of them sees (and, if allowed, changes) the one their organisation cast.
    """
    org_ids = [poll_id for poll_id, level in levels if level == Eligibility.organisation]
    mine = my_choices([poll_id for poll_id, level in levels if poll_id not in org_ids], key)
    may = voter is not None and not eligibility.refusal(Eligibility.organisation, voter, event_id)
    if org_ids and may:
        org_key = eligibility.organisation_key(event_id, voter.organisation)
        mine.update(my_choices(org_ids, org_key))
    return mine


def _with_display_poll(event: Event, polls: list[Poll]) -> list[Poll]:
    """Add the poll on the display to a list of polls if it is not in it."""
    shown = db.session.get(Poll, event.display_poll_id) if event.display_poll_id else None
    return [*polls, shown] if shown is not None and shown not in polls else polls


# event id -> the public part of a join snapshot. A join storm of thousands of phones
# then costs one snapshot instead of one per phone; any poll change in this process
# drops the entry at once, and every tally this process pushes updates it.
_public_snapshots: Memo[dict] = Memo()
SNAPSHOT_LIFETIME = 2.0  # seconds


def _public_snapshot(event_id: int) -> dict:
    """Return the snapshot every participant and display of an event shares."""
    ttl = float(current_app.config["TALLY_INTERVAL"])
    # Tally pushes keep the entry's results current (_refresh_snapshot_results), so it
    # may live longer than one interval; the lifetime bounds what a process may miss of
    # the tallies other processes push (scale-out). No caching when ttl is 0 (tests).
    lifetime = max(ttl, SNAPSHOT_LIFETIME) if ttl > 0 else 0
    return _public_snapshots.get_or_build(
        event_id, lambda: _build_public_snapshot(event_id), lifetime
    )


def _build_public_snapshot(event_id: int) -> dict:
    """Build the shared join snapshot of an event from the database."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("This event no longer exists."), "unknown_event")
    polls = _with_display_poll(event, public_polls(event))
    return {
        "ok": True,
        "event": {"code": event.code, "name": event.name},
        "display_poll_id": event.display_poll_id,
        "polls": [poll_payload(poll) for poll in polls],
        "results": {str(poll.id): results_payload(poll, staff=False) for poll in polls},
        "connected": None,
    }


def _refresh_snapshot_results(event_id: int, poll_id: int, public: dict) -> None:
    """Put a tally just pushed to the displays into the event's cached join snapshot.

    A join storm during a vote then reuses one snapshot instead of building a new one
    per tally interval, and a phone joining sees what the projector shows.
    """
    key = str(poll_id)
    tally = _without_echo(public)

    def with_tally(payload: dict) -> dict:
        # A new dict rather than an update in place: acks already built keep their copy.
        if key not in payload["results"]:
            return payload
        return {**payload, "results": {**payload["results"], key: tally}}

    _public_snapshots.replace(event_id, with_tally)


def _without_echo(results: dict) -> dict:
    """Return a pushed tally without the send times it echoes for the benchmark."""
    return {name: value for name, value in results.items() if name != "echo"}


def _forget_snapshot(event_id: int) -> None:
    """Drop the cached public snapshot and results after a change to the event's polls."""
    _public_snapshots.forget(event_id)
    _public_results.clear()  # staff actions are rare; per-event bookkeeping is not worth it


# (event id, poll id) -> public results. The results API under load (a stage graphic,
# a few hundred requests a second) then costs one tally per TALLY_INTERVAL per poll,
# the same freshness the display gets; tally pushes refresh it on the way.
_public_results: Memo[dict] = Memo()


def cached_public_results(poll: Poll) -> dict:
    """Return the public results of a poll, computed at most once per TALLY_INTERVAL."""
    return _public_results.get_or_build(
        (poll.event_id, poll.id),
        lambda: results_payload(poll, staff=False),
        float(current_app.config["TALLY_INTERVAL"]),
    )


def fresh_public_results(event_id: int, poll_id: int) -> dict | None:
    """Return a poll's cached public results if fresh and of this event; no query."""
    return _public_results.get((event_id, poll_id))


def _keep_public_results(event_id: int, poll_id: int, payload: dict) -> None:
    """Cache a poll's public results for one tally interval (not at all when it is 0)."""
    _public_results.put((event_id, poll_id), payload, float(current_app.config["TALLY_INTERVAL"]))
