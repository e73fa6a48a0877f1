"""The check-in page for the door (made for a phone) and the printable badges."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from voting.accounts.service import can_handle_attendees
from voting.breakouts.service import confirmed_sessions
from voting.checkin import service
from voting.errors import Conflict, InvalidInput
from voting.extensions import db
from voting.models import RegistrationStatus
from voting.registration import tickets
from voting.registration.audit import log_access
from voting.registration.tickets import format_ticket
from voting.web import staff_view

bp = Blueprint("checkin", __name__)

STATUS_LABELS = {
    RegistrationStatus.pending: _l("waiting for approval"),
    RegistrationStatus.confirmed: _l("confirmed"),
    RegistrationStatus.waiting: _l("on the waiting list"),
    RegistrationStatus.cancelled: _l("cancelled"),
    RegistrationStatus.rejected: _l("rejected"),
}
BADGES_PER_PAGE = 8  # 2 x 4 badges of 95 x 68 mm on A4
# Badges are printed for people who may come: not for cancelled or rejected ones.
BADGE_STATUSES = [
    RegistrationStatus.confirmed,
    RegistrationStatus.pending,
    RegistrationStatus.waiting,
]


@bp.context_processor
def _helpers() -> dict:
    """Give the check-in templates country names, status labels and ticket formatting."""
    return {
        "country_name": country_name,
        "status_label": lambda status: STATUS_LABELS.get(status, status),
        "format_ticket": format_ticket,
    }


def country_name(code: str) -> str:
    """Return a country's name in the page's language, or the code if unknown."""
    if not code:
        return ""
    return get_locale().territories.get(code.upper(), code)


@bp.get("/e/<code>/checkin")
@staff_view(can_handle_attendees)
def index(event):
    """Show the door page: scanner, search, counts; with ?q= the ticket or the matches."""
    query = request.args.get("q", "").strip()[: service.MAX_QUERY]
    if not query:
        return _page(event)
    found, matches = service.lookup(event, query)
    if found is not None:
        return _page(event, registration=found, query=query)
    if not matches:
        message = _("No ticket or attendee matches “%(query)s”.", query=query)
        return _page(event, query=query, error=message), 404
    return _page(event, query=query, matches=matches)


@bp.get("/e/<code>/checkin/<int:registration_id>")
@staff_view(can_handle_attendees)
def attendee(event, registration_id: int):
    """Show one attendee with the check-in button or the warning that they are in."""
    return _page(event, registration=service.find_registration(event, registration_id))


@bp.post("/e/<code>/checkin/<int:registration_id>")
@staff_view(can_handle_attendees)
def check_in(event, registration_id: int):
    """Check an attendee in (form POST); a second check-in answers 409 with the warning."""
    registration = service.find_registration(event, registration_id)
    try:
        registration = service.check_in(registration, current_user)
    except Conflict as error:
        db.session.rollback()
        registration = service.find_registration(event, registration_id)
        return _page(event, registration=registration, error=error.message), error.status
    flash(_("%(name)s is checked in.", name=registration.full_name), "success")
    return redirect(url_for("checkin.attendee", code=event.code, registration_id=registration.id))


@bp.post("/e/<code>/checkin/<int:registration_id>/undo")
@staff_view(can_handle_attendees)
def undo(event, registration_id: int):
    """Take back a check-in made by mistake (the confirmation box must be ticked)."""
    registration = service.find_registration(event, registration_id)
    if request.form.get("confirm") != "yes":
        message = _("Tick the confirmation box to undo the check-in.")
        return _page(event, registration=registration, error=message), 400
    try:
        registration = service.undo_check_in(registration)
    except Conflict as error:
        return _page(event, registration=registration, error=error.message), error.status
    flash(_("Check-in of %(name)s taken back.", name=registration.full_name), "info")
    return redirect(url_for("checkin.attendee", code=event.code, registration_id=registration.id))


def _page(event, registration=None, query: str = "", matches=(), error: str | None = None):
    """Render the check-in page with what was found and the current counts."""
    problem = service.refusal(registration) if registration is not None else None
    return render_template(
        "checkin/checkin.html",
        event=event,
        registration=registration,
        problem=problem,
        already=isinstance(problem, service.AlreadyCheckedIn),
        query=query,
        matches=matches,
        error=error,
        counts=service.counts(event.id),
    )


# --- badges -----------------------------------------------------------------------


@bp.get("/manage/<code>/badges")
@staff_view(can_handle_attendees)
def badges(event):
    """Print badges, several to an A4 page (?status= one status, ?ids=1,2,3 chosen ones)."""
    try:
        status = service.parse_status(request.args.get("status"))
        ids = service.parse_ids(request.args.get("ids"))
    except InvalidInput as error:
        return _badge_page(event, [], status=None, error=error.message), error.status
    chosen = service.registrations(event, [status] if status else BADGE_STATUSES, ids)
    log_access(event, current_user, "badges", _badge_detail(chosen, status, ids))
    db.session.commit()
    return _badge_page(event, chosen, status=status)


@bp.get("/manage/<code>/badges/<int:registration_id>")
@staff_view(can_handle_attendees)
def badge(event, registration_id: int):
    """Print one attendee's badge."""
    registration = service.find_registration(event, registration_id)
    if registration.erased_at is not None:
        raise service.refusal(registration)
    log_access(event, current_user, "badges", f"badge of registration {registration.id}")
    db.session.commit()
    return _badge_page(event, [registration], status=None, single=True)


def _badge_detail(chosen, status, ids) -> str:
    """Describe a badge print for the access log."""
    detail = f"{len(chosen)} badges"
    if status:
        detail += f", status {status.value}"
    if ids:
        detail += f", ids {','.join(map(str, ids))}"
    return detail


def _badge_page(event, chosen, *, status, single: bool = False, error: str | None = None):
    """Render badges in sheets of BADGES_PER_PAGE with their ticket QR codes."""
    if error:
        flash(error, "error")
    return render_template(
        "checkin/badges.html",
        event=event,
        registrations=chosen,
        qr={registration.id: ticket_qr(registration.ticket_code) for registration in chosen},
        # The assigned or chosen breakout sessions, so attendees find their rooms.
        sessions=confirmed_sessions([registration.id for registration in chosen]),
        per_page=BADGES_PER_PAGE,
        status=status,
        statuses=list(RegistrationStatus),
        single=single,
    )


def ticket_qr(ticket_code: str) -> Markup:
    """Return the QR code of a ticket code as inline SVG (scales with its CSS box)."""
    qr = tickets.ticket_qr(ticket_code)
    # The SVG is generated from the ticket code alone (letters and digits), never user text.
    return Markup(qr.svg_inline(border=2, omitsize=True, dark="#000", light="#fff"))  # noqa: S704
