"""The public list of a closed poll's receipts with their ballots: check and recount."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from voting.accounts.service import can_run_polls
from voting.polls import service
from voting.registration.exporting import csv_bytes
from voting.web import event_or_404, log_refusal

bp = Blueprint("receipts", __name__, url_prefix="/e/<code>/polls")


@bp.get("/<int:poll_id>/receipts")
def receipts(code: str, poll_id: int):
    """Show (or download as CSV) every receipt with its ballot, once published."""
    event = event_or_404(code)
    poll = service.find_poll(event, poll_id)
    staff = current_user.is_authenticated and can_run_polls(current_user, event)
    if not poll.receipts_published and not staff:
        log_refusal(request.endpoint, event.code, current_user)
        abort(404, description=_("The receipts of this poll are not published."))
    rows = service.receipts(poll)
    if request.args.get("format") == "csv":
        return _csv(poll, rows)
    found = request.args.get("receipt", "").strip().upper()[:9]
    mine = next((row for row in rows if found and row["receipt"] == found), None)
    return render_template(
        "polls/receipts.html",
        event=event,
        poll=poll,
        rows=rows,
        labels={option.id: option.label for option in poll.options},
        found=found,
        mine=mine,
        results=service.results_payload(poll, staff=False),
    )


def _csv(poll, rows: list[dict]) -> Response:
    """Return the receipts as CSV: one line per ballot, one column per option."""
    labels = [option.label for option in poll.options]
    header = ["receipt", *(["weight"] if poll.weighted else []), *labels]
    if poll.kind == "text":
        header = ["receipt", *(["weight"] if poll.weighted else []), "answer"]
    lines = [header]
    for row in rows:
        weight = [row["weight"]] if poll.weighted else []
        lines.append([row["receipt"], *weight, *_cells(poll, row["ballot"])])
    return Response(
        csv_bytes(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=poll-{poll.id}-receipts.csv"},
    )


def _cells(poll, ballot: dict) -> list:
    """Return a ballot as CSV cells: per option 1/0, points or rank; or the answer."""
    if "text" in ballot:
        return [ballot["text"] if ballot["text"] is not None else "(hidden)"]
    ids = [option.id for option in poll.options]
    if "points" in ballot:
        return [ballot["points"].get(str(option_id), 0) for option_id in ids]
    if "ranking" in ballot:
        return [ballot["ranking"].index(oid) + 1 if oid in ballot["ranking"] else "" for oid in ids]
    if "rating" in ballot:
        return [1 if ballot["rating"] == position + 1 else 0 for position in range(len(ids))]
    return [1 if option_id in ballot.get("choices", []) else 0 for option_id in ids]
