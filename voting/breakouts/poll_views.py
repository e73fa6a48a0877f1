"""A breakout's own polls: its facilitator runs them from a phone, only its members vote.

Pages are plain forms (they work on any phone without JavaScript); the votes go through
the same cast_vote as the plenary's, which checks membership in the vote batch.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from voting.accounts.service import can_run_polls
from voting.breakouts import outcomes
from voting.breakouts.service import find_breakout, members
from voting.errors import InvalidInput, NotFound, VotingError
from voting.models import Breakout, Event, Poll
from voting.polls import service as polls
from voting.polls.forms import ActionForm
from voting.registration.views import signed_in_attendee
from voting.web import event_or_404, log_refusal, participant_key

bp = Blueprint("breakout_polls", __name__, url_prefix="/e/<code>/breakouts/<int:breakout_id>/polls")


def _context(code: str, breakout_id: int) -> tuple[Event, Breakout, bool, bool]:
    """Return the event, the breakout, whether the visitor runs it and whether they may vote."""
    event = event_or_404(code)
    try:
        breakout = find_breakout(event, breakout_id)
    except VotingError as error:
        abort(404, description=error.message)
    attendee = signed_in_attendee(event)
    runs = outcomes.may_submit(breakout, attendee, can_run_polls(current_user, event))
    member = attendee is not None and (
        attendee.id == breakout.facilitator_id or attendee in members(breakout)
    )
    return event, breakout, runs, member


@bp.get("")
def index(code: str, breakout_id: int):
    """Show the session's polls: vote forms for members, controls for the facilitator."""
    event, breakout, runs, member = _context(code, breakout_id)
    if not (runs or member):
        return render_template("breakouts/polls_denied.html", event=event, breakout=breakout), 403
    own = _polls(event, breakout)
    mine = polls.my_choices([p.id for p in own], participant_key(event, create=False))
    return render_template(
        "breakouts/polls.html",
        event=event,
        breakout=breakout,
        polls=own,
        results={p.id: polls.results_payload(p, staff=runs) for p in own},
        mine=mine,
        runs=runs,
        member=member,
        form=ActionForm(),
        vote_ids={p.id: secrets.token_urlsafe(12) for p in own},
    )


def _polls(event: Event, breakout: Breakout) -> list[Poll]:
    """Return the breakout's polls, newest first (drafts only matter to whoever runs them)."""
    return [poll for poll in reversed(event.polls) if poll.breakout_id == breakout.id]


@bp.post("")
def create(code: str, breakout_id: int):
    """Create a poll of the session (facilitator or staff): a question and its options."""
    event, breakout, runs, _member = _context(code, breakout_id)
    if not runs:
        log_refusal(request.endpoint, event.code, current_user)
        abort(
            403,
            description=_(
                "Only the session's facilitator or the event's moderators run its polls."
            ),
        )
    try:
        _valid_form()
        polls.create_poll(
            event,
            polls.PollData(
                title=request.form.get("title", ""),
                options=request.form.get("options", "").splitlines(),
                kind="multiple" if request.form.get("kind") == "multiple" else "single",
                max_choices=2 if request.form.get("kind") == "multiple" else 1,
                breakout_id=breakout.id,
            ),
        )
    except VotingError as error:
        flash(error.message, "error")
        return redirect(
            url_for("breakout_polls.index", code=event.code, breakout_id=breakout.id)
        ), 303
    flash(_("Poll prepared. Open it when the group is ready."), "success")
    return redirect(url_for("breakout_polls.index", code=event.code, breakout_id=breakout.id))


@bp.post("/<int:poll_id>/<any(open, close):action>")
def run(code: str, breakout_id: int, poll_id: int, action: str):
    """Open or close one of the session's polls (facilitator or staff)."""
    event, breakout, runs, _member = _context(code, breakout_id)
    if not runs:
        log_refusal(request.endpoint, event.code, current_user)
        abort(
            403,
            description=_(
                "Only the session's facilitator or the event's moderators run its polls."
            ),
        )
    try:
        _valid_form()
        poll = _own_poll(event, breakout, poll_id)
        (polls.open_poll if action == "open" else polls.close_poll)(poll)
    except VotingError as error:
        flash(error.message, "error")
        return redirect(
            url_for("breakout_polls.index", code=event.code, breakout_id=breakout.id)
        ), 303
    flash(_("Poll opened.") if action == "open" else _("Poll closed."), "success")
    return redirect(url_for("breakout_polls.index", code=event.code, breakout_id=breakout.id))


@bp.post("/<int:poll_id>/vote")
def vote(code: str, poll_id: int, breakout_id: int):
    """Record a member's vote; the vote path itself refuses anyone who is not a member."""
    event, breakout, _runs, _member = _context(code, breakout_id)
    key = participant_key(event, create=False)
    try:
        _valid_form()
        poll = _own_poll(event, breakout, poll_id)
        if key is None:
            raise InvalidInput(
                _("Open your personal link from the confirmation email to vote."), "no_session"
            )
        result = polls.cast_vote(
            event, poll.id, key, request.form.getlist("choice"), request.form.get("vote_id")
        )
    except VotingError as error:
        flash(error.message, "error")
        return redirect(
            url_for("breakout_polls.index", code=event.code, breakout_id=breakout.id)
        ), 303
    flash(_("Your vote is recorded. Receipt: %(receipt)s", receipt=result.receipt), "success")
    return redirect(url_for("breakout_polls.index", code=event.code, breakout_id=breakout.id))


def _valid_form() -> None:
    """Refuse a form without a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Please try again."), "invalid_form")


def _own_poll(event: Event, breakout: Breakout, poll_id: int) -> Poll:
    """Return a poll of this breakout, or raise NotFound."""
    poll = polls.find_poll(event, poll_id)
    if poll.breakout_id != breakout.id:
        raise NotFound(_("This poll does not belong to this session."), "unknown_poll")
    return poll
