"""Staff page for attendees' vote weights (admins): by hand, or one vote per group."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting.accounts.service import can_manage_registrations
from voting.database import as_id
from voting.errors import InvalidInput, VotingError
from voting.models import Event
from voting.polls.forms import ActionForm
from voting.registration import weights
from voting.web import staff_view

bp = Blueprint("weights", __name__, url_prefix="/manage/<code>/registrations/weights")


@bp.route("", methods=["GET", "POST"])
@staff_view(allowed=can_manage_registrations)
def weights_page(event: Event):
    """List confirmed attendees with their weights; save edits or split per group."""
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
        try:
            _apply(event)
        except VotingError as error:
            flash(error.message, "error")
            return _page(event, form), error.status
        return redirect(url_for("weights.weights_page", code=event.code))
    return _page(event, form)


def _apply(event: Event) -> None:
    """Run the button that was pressed: save, split per partnership/organisation, reset."""
    action = request.form.get("action", "")
    if action == "save":
        raw = {}
        for key, value in request.form.items():
            if key.startswith("weight-"):
                registration_id = as_id(key.removeprefix("weight-"))
                if registration_id is None:
                    raise InvalidInput(_("A weight field is malformed."), "invalid_weight")
                raw[registration_id] = value
        count = weights.set_weights(event, raw)
        flash(_("%(n)s weights saved.", n=count), "success")
    elif action in ("split_partnership", "split_organisation"):
        sizes = weights.split_per_group(event, action.removeprefix("split_"))
        flash(_("One vote per group, split among %(n)s groups.", n=len(sizes)), "success")
    elif action == "reset":
        weights.reset_weights(event)
        flash(_("Everyone has one vote again."), "success")
    else:
        raise InvalidInput(_("Unknown action."), "unknown_action")


def _page(event: Event, form):
    """Render the weights table."""
    return render_template(
        "registration/weights.html",
        event=event,
        form=form,
        people=weights.confirmed(event),
        total=weights.total(event),
    )
