"""Back to the plenary: each breakout's outcome, and a live dot-vote across all proposals.

The dot-vote is an ordinary multiple-choice poll whose options are the proposals, so it
gets everything polls have: live bars on the display, zero-loss voting, results, export.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from voting.errors import Conflict, Forbidden, InvalidInput
from voting.extensions import db
from voting.models import Breakout, BreakoutOutcome, Event, Poll, Registration, utcnow
from voting.polls.service import MAX_OPTIONS, PollData, create_poll

MAX_PROPOSALS = 3
SUMMARY_MAX = 2000
PROPOSAL_MAX = 200
DOTS = 3  # each participant spreads up to three dots over the proposals
# Stored as the poll's title (and how the poll is found again): not translated here.
DOT_VOTE_TITLE = "Which proposals should the plenary take forward?"


@dataclass
class OutcomeData:
    """What a facilitator submits: a short summary and up to three key proposals."""

    summary: str
    proposals: list[str]


def validate_outcome(data: OutcomeData) -> OutcomeData:
    """Trim and check an outcome; raise InvalidInput on the first problem."""
    data.summary = str(data.summary or "").strip()
    if not data.summary:
        raise InvalidInput(_("Write a short summary of the discussion."), "invalid_summary")
    if len(data.summary) > SUMMARY_MAX:
        raise InvalidInput(
            _("Keep the summary under %(most)d characters.", most=SUMMARY_MAX), "invalid_summary"
        )
    proposals = [str(text or "").strip() for text in data.proposals or []]
    proposals = [text for text in proposals if text]
    if not 1 <= len(proposals) <= MAX_PROPOSALS:
        raise InvalidInput(_("Give one to three key proposals."), "invalid_proposals")
    if any(len(text) > PROPOSAL_MAX for text in proposals):
        raise InvalidInput(
            _("A proposal can have at most %(most)d characters.", most=PROPOSAL_MAX),
            "invalid_proposals",
        )
    if len({text.casefold() for text in proposals}) != len(proposals):
        raise InvalidInput(_("Two proposals have the same text."), "invalid_proposals")
    data.proposals = proposals
    return data


def may_submit(breakout: Breakout, attendee: Registration | None, staff: bool) -> bool:
    """Say whether this person runs the breakout (its polls, its outcome): facilitator or staff."""
    return staff or (attendee is not None and attendee.id == breakout.facilitator_id)


def submit_outcome(breakout: Breakout, data: OutcomeData, *, allowed: bool) -> BreakoutOutcome:
    """Store (or replace) a breakout's outcome; refused once the plenary dot-vote exists."""
    if not allowed:
        raise Forbidden(
            _("Only the session's facilitator or staff submit its outcome."), "forbidden"
        )
    data = validate_outcome(data)
    if dot_vote_poll(breakout.event_id) is not None:
        raise Conflict(
            _("The plenary vote on the proposals has been prepared; outcomes are final."),
            "outcomes_final",
        )
    outcome = outcome_of(breakout) or BreakoutOutcome(breakout_id=breakout.id)
    outcome.summary = data.summary
    outcome.proposals = data.proposals
    outcome.submitted_at = utcnow()
    db.session.add(outcome)
    db.session.commit()
    return outcome


def outcome_of(breakout: Breakout) -> BreakoutOutcome | None:
    """Return a breakout's outcome, if submitted."""
    return db.session.scalar(
        select(BreakoutOutcome).where(BreakoutOutcome.breakout_id == breakout.id)
    )


def outcomes(event: Event) -> list[tuple[Breakout, BreakoutOutcome | None]]:
    """Return every breakout of the event with its outcome (None if not yet submitted)."""
    breakouts = db.session.scalars(
        select(Breakout)
        .where(Breakout.event_id == event.id)
        .order_by(Breakout.slot_id, Breakout.id)
    ).all()
    submitted = {
        outcome.breakout_id: outcome
        for outcome in db.session.scalars(
            select(BreakoutOutcome).where(
                BreakoutOutcome.breakout_id.in_([b.id for b in breakouts])
            )
        )
    }
    return [(breakout, submitted.get(breakout.id)) for breakout in breakouts]


def proposal_labels(event: Event) -> list[str]:
    """Return every submitted proposal as a poll option label: the text and its session."""
    labels = []
    for breakout, outcome in outcomes(event):
        for text in outcome.proposals if outcome else []:
            suffix = f" ({breakout.title})"
            room = PROPOSAL_MAX - len(suffix)
            label = text if room < 20 else text[:room] + suffix
            labels.append(label[:PROPOSAL_MAX])
    return labels


def dot_vote_poll(event_id: int) -> Poll | None:
    """Return the event's plenary dot-vote poll, if prepared."""
    return db.session.scalar(
        select(Poll).where(Poll.event_id == event_id, Poll.title == DOT_VOTE_TITLE)
    )


def prepare_dot_vote(event: Event) -> Poll:
    """Create the plenary dot-vote over all proposals (a multiple-choice poll, not yet open)."""
    if dot_vote_poll(event.id) is not None:
        raise Conflict(_("The plenary vote on the proposals exists already."), "dot_vote_exists")
    labels = proposal_labels(event)
    if len(labels) < 2:
        raise Conflict(
            _("At least two proposals are needed for a plenary vote."), "too_few_proposals"
        )
    if len(labels) > MAX_OPTIONS:
        raise Conflict(
            _(
                "%(count)d proposals are more than a poll can show (%(most)d).",
                count=len(labels),
                most=MAX_OPTIONS,
            ),
            "too_many_proposals",
        )
    return create_poll(
        event,
        PollData(
            title=DOT_VOTE_TITLE,
            # Stored with the poll, like its title: not translated here.
            description=f"Give up to {DOTS} dots: tick the proposals you support most.",
            options=labels,
            kind="multiple",
            max_choices=min(DOTS, len(labels)),
        ),
    )
