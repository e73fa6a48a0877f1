"""The projector screen and its join QR code."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, jsonify, render_template

from voting.display import options
from voting.polls.service import poll_payload, results_payload
from voting.web import event_or_404, public_url

bp = Blueprint("display", __name__)


@bp.get("/e/<code>/display")
def display(code: str):
    """Show the full-screen display: join QR and code, the current poll, live bars."""
    event = event_or_404(code)
    poll = next((p for p in event.polls if p.id == event.display_poll_id), None)
    return render_template(
        "display/display.html",
        event=event,
        poll=poll,
        poll_data=poll_payload(poll) if poll else None,
        results=results_payload(poll, staff=False) if poll else None,
        join_url=join_url(event.code),
        display_classes=options.body_classes(event),
    )


@bp.get("/e/<code>/display/options.json")
def display_options(code: str):
    """Return the projector's theme options; a screen reads them again after a reconnect."""
    return jsonify(options.options_of(event_or_404(code)))


def join_url(code: str) -> str:
    """Return the participant URL to project: PUBLIC_URL when set, else this request's host."""
    return public_url("events.live", code=code)


@bp.get("/e/<code>/qr.svg")
def join_qr(code: str):
    """Return the QR code of the event's participant URL as SVG."""
    event = event_or_404(code)
    qr = segno.make(join_url(event.code), error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=10, border=2, dark="#111", light="#fff", xmldecl=False)
    return Response(
        buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"}
    )
