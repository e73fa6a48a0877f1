"""Public pages: the home page, joining by code, and the participant's live page."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting.errors import Forbidden, InvalidInput, NotFound, VotingError
from voting.events.forms import JoinForm, VoteForm
from voting.events.service import find_event, upcoming_events
from voting.polls.service import cast_vote, find_poll, my_choices, public_polls, results_payload
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
    blocked = not event.allow_anonymous
    key = None if blocked else participant_key(event, create=True)
    return render_template("events/live.html", **_live_context(event, key, blocked=blocked))


def _submitted_choices() -> list[int]:
    """Return the option ids ticked in the submitted form (ignoring junk)."""
    return [int(value) for value in request.form.getlist("choice") if value.isdigit()]


def _live_context(event, key, *, blocked: bool = False, errors: dict | None = None) -> dict:
    """Collect what the participant page shows."""
    polls = public_polls(event)
    return {
        "event": event,
        "polls": polls,
        "mine": my_choices([p.id for p in polls], key),
        "results": {p.id: results_payload(p, staff=False) for p in polls},
        # One fresh vote id per rendered form: a double submit is recorded once.
        "vote_ids": {p.id: secrets.token_urlsafe(12) for p in polls},
        "form": VoteForm(),
        "blocked": blocked,
        "errors": errors or {},
    }


@bp.post("/e/<code>/polls/<int:poll_id>/vote")
def vote(code: str, poll_id: int):
    """Record a vote sent as a plain form and show the page again."""
    event = event_or_404(code)
    if not event.allow_anonymous:
        raise Forbidden(
            _("This event asks participants to register first."), "registration_required"
        )
    key = participant_key(event, create=True)
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
