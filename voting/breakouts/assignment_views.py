"""Preference mode's pages: attendees rank sessions on their phone; staff preview and publish."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from voting.accounts.service import can_manage_registrations
from voting.breakouts import preferences, service
from voting.errors import InvalidInput, VotingError
from voting.extensions import db
from voting.models import BreakoutMode, Event, Registration
from voting.polls.forms import ActionForm
from voting.registration.audit import log_access
from voting.registration.views import signed_in_attendee
from voting.web import event_or_404, staff_view

bp = Blueprint("assignment", __name__)

ORDINALS = {
    1: lazy_gettext("1st choice"),
    2: lazy_gettext("2nd choice"),
    3: lazy_gettext("3rd choice"),
}


def _check_form() -> None:
    """Raise InvalidInput unless the form carries a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page and try again."), "invalid_form")


# --- attendees --------------------------------------------------------------------------


def _submitted(slots) -> dict[int, list[str | None]]:
    """Read the ranking selects: slot-<id>-<rank> holds a session id or ''."""
    return {
        slot.id: [
            request.form.get(f"slot-{slot.id}-{rank}") or None
            for rank in range(1, preferences.MAX_CHOICES + 1)
        ]
        for slot in slots
    }


def _rank_page(event: Event, attendee: Registration | None, status: int = 200, picks=None):
    """Render the ranking page and the attendee's sessions (shown once published, live)."""
    slots = preferences.slots_for(attendee) if attendee else []
    ranking = picks if picks is not None else (preferences.ranking_of(attendee) if attendee else {})
    return render_template(
        "breakouts/rank.html",
        event=event,
        attendee=attendee,
        slots=slots,
        ranking={slot: [str(i) for i in ids if i] for slot, ids in ranking.items()},
        ranks=range(1, preferences.MAX_CHOICES + 1),
        ordinals=ORDINALS,
        is_open=preferences.ranking_open(event),
        entries=service.my_sessions_payload(attendee)["sessions"] if attendee else [],
        form=ActionForm(),
    ), status


@bp.route("/e/<code>/breakouts/rank", methods=["GET", "POST"])
def rank(code: str):
    """Let a signed-in attendee rank their top sessions per slot; show them once assigned."""
    event = event_or_404(code)
    if event.breakout_mode != BreakoutMode.preference:
        abort(404, description=_("Sessions at this event are first come, first served."))
    attendee = signed_in_attendee(event)
    if attendee is None:
        return _rank_page(event, None, 403)
    if request.method == "GET":
        return _rank_page(event, attendee)
    picks = _submitted(preferences.slots_for(attendee))
    try:
        _check_form()
        preferences.save_ranking(event, attendee, picks)
    except VotingError as error:
        flash(error.message, "error")
        return _rank_page(event, attendee, error.status, picks)
    flash(_("Your choices are saved. You can change them until ranking closes."), "success")
    return redirect(url_for("assignment.rank", code=event.code), 303)


# --- staff ------------------------------------------------------------------------------


@bp.get("/manage/<code>/breakouts/assignment")
@staff_view(can_manage_registrations)
def manage(event: Event):
    """Show the current assignment: figures, rosters with a move control, preview and publish.

    In first-come mode there is nothing to assign: the page says so and links to the mode
    switch instead of showing buttons the service would refuse.
    """
    if event.breakout_mode != BreakoutMode.preference:
        return render_template("breakouts/assignment.html", event=event, preference_mode=False)
    result = preferences.current(event)
    slots = preferences.rosters(event, result)
    # rosters name attendees: the look is recorded like every look at personal data
    log_access(event, current_user, "breakout_assignment")
    db.session.commit()
    return render_template(
        "breakouts/assignment.html",
        event=event,
        figures=result.figures,
        slots=slots,
        has_seats=any(r.members for s in slots for r in s.rosters),
        has_sessions=bool(slots),
        fixed_seats=preferences.fixed_seats(event),
        preference_mode=True,
        form=ActionForm(),
        ordinals=ORDINALS,
    )


def _preview(event: Event) -> str:
    """Run the solver and store its proposal."""
    result = preferences.preview(event, rerun=request.form.get("rerun") == "1")
    return _("Proposal ready: %(n)s of %(total)s places got a first choice. Not published yet.") % {
        "n": result.figures.by_rank.get(1, 0),
        "total": result.figures.places,
    }


def _move(event: Event) -> str:
    """Move one attendee's proposed seat to another session of the slot."""
    seat = preferences.move(
        event, request.form.get("registration_id"), request.form.get("breakout_id")
    )
    return _("Moved to %(title)s.", title=seat.breakout.title)


def _publish(event: Event) -> str:
    """Confirm the proposed seats: attendees now see their sessions."""
    count = preferences.publish(event)
    return _("Published: %(n)s seats. Attendees now see their sessions.", n=count)


ACTIONS = {"preview": _preview, "move": _move, "publish": _publish}


@bp.post("/manage/<code>/breakouts/assignment/<any(preview, move, publish):action>")
@staff_view(can_manage_registrations)
def act(event: Event, action: str):
    """Run one staff action on the assignment; refusals come back as a message, nothing changed."""
    try:
        _check_form()
        message = ACTIONS[action](event)
    except VotingError as error:
        flash(error.message, "error")
        return manage.__wrapped__(event), error.status
    flash(message, "success")
    return redirect(url_for("assignment.manage", code=event.code), 303)
