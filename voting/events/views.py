"""Public pages: the home page, joining by code, and the participant's live page."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting.database import as_id
from voting.errors import Forbidden, InvalidInput, NotFound, VotingError
from voting.events.forms import JoinForm, VoteForm
from voting.events.service import find_event, upcoming_events
from voting.models import Eligibility, Poll, PollKind
from voting.polls import eligibility
from voting.polls.service import (
    CHOICE_KINDS,
    MAX_ANSWER,
    cast_vote,
    find_poll,
    public_polls,
    results_payload,
    voter_choices,
)
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
    return [as_id(value) for value in request.form.getlist("choice") if as_id(value)]


def _whole_number(raw: str) -> int | None:
    """Return a form field's whole number 0..99,999,999, or None if it is not one."""
    raw = raw.strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses
    return int(raw) if raw.isdecimal() and len(raw) <= 8 else None


def _submitted_ballot(poll: Poll) -> dict:
    """Read the plain form's ballot in the wire form of the poll's kind (docs/realtime.md).

    Choice kinds send `choice` fields, points `points-<option id>` numbers, ranking a
    `rank-<option id>` place per option, rating `rating`, open text `text`. What a form
    cannot express as a ballot is refused here with the code the service would use; the
    service checks the rest (sum, range, length, blocked words).
    """
    form = request.form
    if poll.kind == PollKind.points:
        points = {}
        for option in poll.options:
            raw = form.get(f"points-{option.id}", "").strip()
            value = _whole_number(raw) if raw else 0
            if value is None:
                raise InvalidInput(
                    _("Give each option a whole number of points, 0 or more."), "invalid_points"
                )
            points[str(option.id)] = value
        given = sum(points.values())
        if given != poll.budget:
            raise InvalidInput(
                _(
                    "The points must add up to %(budget)s; these add up to %(given)s.",
                    budget=poll.budget,
                    given=given,
                ),
                "points_sum",
            )
        return {"points": points}
    if poll.kind == PollKind.ranking:
        count = len(poll.options)
        places = {
            option.id: _whole_number(form.get(f"rank-{option.id}", "")) for option in poll.options
        }
        if any(place is None or not 1 <= place <= count for place in places.values()):
            raise InvalidInput(
                _("Give every option a place from 1 to %(n)s.", n=count), "incomplete_ranking"
            )
        if len(set(places.values())) != count:
            raise InvalidInput(
                _("Each place goes to one option only: give every option a different place."),
                "incomplete_ranking",
            )
        return {"ranking": sorted(places, key=places.__getitem__)}
    if poll.kind == PollKind.rating:
        value = _whole_number(form.get("rating", ""))
        if value is None:
            raise InvalidInput(_("Pick a point on the scale."), "invalid_rating")
        return {"rating": value}
    if poll.kind == PollKind.text:
        return {"text": form.get("text", "")}
    return {"choices": form.getlist("choice")}


def _kept_ballot(poll: Poll | None) -> list | dict:
    """Return what the participant sent, shaped like `mine`, so a refused form keeps it."""
    form = request.form
    if poll is None or poll.kind in CHOICE_KINDS:
        return _submitted_choices()
    if poll.kind == PollKind.points:
        return {"points": {str(o.id): form.get(f"points-{o.id}", "")[:8] for o in poll.options}}
    if poll.kind == PollKind.ranking:
        return {"places": {o.id: form.get(f"rank-{o.id}", "")[:8] for o in poll.options}}
    if poll.kind == PollKind.rating:
        return {"rating": _whole_number(form.get("rating", ""))}
    return {"text": form.get("text", "")[:MAX_ANSWER]}


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
    mine = voter_choices(levels, key, voter, event.id)
    return {
        "event": event,
        "polls": polls,
        "mine": mine,
        "stored": dict(mine),  # the ballots on record, while `mine` may hold a refused form
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
    poll = None
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_("Your form expired. Please vote again."), "invalid_form")
        poll = find_poll(event, poll_id)
        result = cast_vote(event, poll.id, key, _submitted_ballot(poll), form.vote_id.data)
    except VotingError as error:
        context = _live_context(event, key, errors={poll_id: error.message})
        if all(shown.id != poll_id for shown in context["polls"]):
            flash(error.message, "error")  # no form of this poll on the page to show it at
        # Keep what the participant sent, so they can correct it rather than start over.
        context["mine"] = {**context["mine"], poll_id: _kept_ballot(poll)}
        return render_template("events/live.html", **context), error.status
    flash(_("Your vote is recorded. Receipt: %(receipt)s", receipt=result.receipt), "success")
    # No #poll anchor: the flashed receipt sits at the top of the page.
    return redirect(url_for("events.live", code=event.code))
