"""The event report for staff (HTML made for printing, CSV, JSON) and breakout outcomes."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from voting.accounts.service import can_run_polls
from voting.breakouts import outcomes
from voting.breakouts.service import find_breakout
from voting.errors import InvalidInput, VotingError
from voting.models import Event
from voting.polls.forms import ActionForm
from voting.registration.exporting import csv_bytes
from voting.registration.views import signed_in_attendee
from voting.report.service import build_report, csv_rows
from voting.web import event_or_404, log_refusal, staff_view

bp = Blueprint("report", __name__)


@bp.get("/manage/<code>/report")
@staff_view()
def report(event: Event):
    """Show the report: attendance, polls, themes, breakouts, the plenary ranking."""
    return render_template(
        "report/report.html",
        event=event,
        report=build_report(event),
        action_form=ActionForm(),
        dot_vote=outcomes.dot_vote_poll(event.id),
    )


@bp.get("/manage/<code>/report.csv")
@staff_view()
def report_csv(event: Event):
    """Download every figure of the report as CSV."""
    return _download(
        csv_bytes(csv_rows(build_report(event))), "text/csv", f"{event.code}-report.csv"
    )


@bp.get("/manage/<code>/report.json")
@staff_view()
def report_json(event: Event):
    """Download the report as a JSON dump."""
    body = json.dumps(build_report(event), indent=2, ensure_ascii=False).encode()
    return _download(body, "application/json", f"{event.code}-report.json")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    """Return a file download."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/manage/<code>/report/dot-vote")
@staff_view()
def prepare_dot_vote(event: Event):
    """Create the plenary dot-vote poll over all submitted proposals."""
    try:
        if not ActionForm().validate_on_submit():
            raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
        poll = outcomes.prepare_dot_vote(event)
    except VotingError as error:
        flash(error.message, "error")
        return redirect(url_for("report.report", code=event.code)), 303
    flash(
        _("The plenary vote is ready in the console: open it and show it on the display."),
        "success",
    )
    return redirect(url_for("polls.console", code=event.code) + f"#poll-{poll.id}")


@bp.route("/e/<code>/breakouts/<int:breakout_id>/outcome", methods=["GET", "POST"])
def outcome(code: str, breakout_id: int):
    """Let the facilitator (on their phone) or staff submit a breakout's outcome."""
    event = event_or_404(code)
    breakout = find_breakout(event, breakout_id)
    allowed = outcomes.may_submit(
        breakout, signed_in_attendee(event), can_run_polls(current_user, event)
    )
    if not allowed:
        log_refusal(request.endpoint, event.code, current_user)
        return render_template("report/outcome_denied.html", event=event, breakout=breakout), 403
    current = outcomes.outcome_of(breakout)
    form = ActionForm()
    if request.method == "GET":
        return render_template(
            "report/outcome.html", event=event, breakout=breakout, outcome=current, form=form
        )
    data = outcomes.OutcomeData(
        summary=request.form.get("summary", ""), proposals=request.form.getlist("proposal")
    )
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_("Your form expired. Please send it again."), "invalid_form")
        outcomes.submit_outcome(breakout, data, allowed=allowed)
    except VotingError as error:
        flash(error.message, "error")
        return render_template(
            "report/outcome.html", event=event, breakout=breakout, outcome=data, form=form
        ), error.status
    flash(_("The outcome of %(title)s is saved. Thank you!", title=breakout.title), "success")
    return redirect(url_for("report.outcome", code=event.code, breakout_id=breakout.id))
