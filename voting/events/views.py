"""Public pages: the home page, joining by code, and the participant's live page."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting.errors import Forbidden, InvalidInput, NotFound, VotingError
from voting.events.forms import JoinForm, VoteForm
from voting.events.service import find_event, upcoming_events
from voting.models import Eligibility
from voting.polls import eligibility
from voting.polls.service import cast_vote, find_poll, public_polls, results_payload, voter_choices
from voting.registration.views import signed_in_attendee
from voting.web import event_or_404, participant_key

bp = Blueprint("events", __name__)


@bp.route("/", methods=["GET", "POST"])
def index():
    """List upcoming events and take a typed event code."""
    form = JoinForm()
    status = 200
    if form.validate_on_submit():
        try:
            event = find_event(form.code.data)
        except NotFound as error:
            form.code.errors.append(error.message)
            status = 404
        else:
            return redirect(url_for("events.live", code=event.code))
    elif form.errors:
        status = 400
    return render_template("events/index.html", form=form, events=upcoming_events()), status


@bp.get("/e/<code>")
def live(code: str):
    """Show the participant's live page: open polls, own votes, visible results."""
    event = event_or_404(code)
    if code != event.code:
        return redirect(url_for("events.live", code=event.code))
    key = participant_key(event, create=event.allow_anonymous)
    return render_template("events/live.html", **_live_context(event, key))


def _submitted_choices() -> list[int]:
    """Return the option ids ticked in the submitted form (ignoring junk)."""
    return [int(value) for value in request.form.getlist("choice") if value.isdigit()]


def _voter(event, key, polls) -> eligibility.Voter:
    """Return the participant's registration facts when the page needs them, else ANONYMOUS.

    They are read only for events that require registration or show a restricted poll.
    """
    needed = not event.allow_anonymous or any(p.eligibility != Eligibility.anyone for p in polls)
    return eligibility.voter(key) if needed else eligibility.ANONYMOUS


def _blocked(event, voter: eligibility.Voter) -> bool:
    """Say whether the page must refuse this participant (registration required)."""
    return not event.allow_anonymous and not (voter.registered and voter.event_id == event.id)


def _live_context(event, key, *, errors: dict | None = None) -> dict:
    """Collect what the participant page shows."""
    polls = public_polls(event)
    voter = _voter(event, key, polls)
    levels = [(p.id, p.eligibility) for p in polls]
    return {
        "event": event,
        "polls": polls,
        "mine": voter_choices(levels, key, voter, event.id),
        "results": {p.id: results_payload(p, staff=False) for p in polls},
        # One fresh vote id per rendered form: a double submit is recorded once.
        "vote_ids": {p.id: secrets.token_urlsafe(12) for p in polls},
        "form": VoteForm(),
        "blocked": _blocked(event, voter),
        "voter": eligibility.voter_payload(voter, event.id),
        "attendee": signed_in_attendee(event),
        "errors": errors or {},
    }


@bp.post("/e/<code>/polls/<int:poll_id>/vote")
def vote(code: str, poll_id: int):
    """Record a vote sent as a plain form and show the page again."""
    event = event_or_404(code)
    key = participant_key(event, create=event.allow_anonymous)
    if not event.allow_anonymous and _blocked(event, eligibility.voter(key)):
        raise Forbidden(
            _("This event asks participants to register first."), "registration_required"
        )
    form = VoteForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_("Your form expired. Please vote again."), "invalid_form")
        poll = find_poll(event, poll_id)
        choices = request.form.getlist("choice")
        result = cast_vote(event, poll.id, key, choices, form.vote_id.data)
    except VotingError as error:
        context = _live_context(event, key, errors={poll_id: error.message})
        # Keep what the participant ticked, so they can correct it rather than start over.
        context["mine"] = {**context["mine"], poll_id: _submitted_choices()}
        return render_template("events/live.html", **context), error.status
    flash(_("Your vote is recorded. Receipt: %(receipt)s", receipt=result.receipt), "success")
    # No #poll anchor: the flashed receipt sits at the top of the page.
    return redirect(url_for("events.live", code=event.code))
