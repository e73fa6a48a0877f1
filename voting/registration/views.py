"""Attendee pages: register, the personal link, the ticket, edit, cancel, own data."""

from __future__ import annotations

import io
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select

from voting.errors import Conflict, InvalidInput, NotFound, VotingError
from voting.events.service import forget_event_refs
from voting.extensions import db, limiter
from voting.models import Event, Registration, RegistrationStatus
from voting.polls.forms import ActionForm
from voting.ratelimits import RateLimited
from voting.registration import mails, service
from voting.registration.countries import country_name, grouped_countries
from voting.registration.forms import (
    fill_from,
    form_data,
    question_fields,
    registration_form,
    show_errors,
)
from voting.registration.service import RegistrationInvalid
from voting.registration.tickets import format_ticket, ticket_qr
from voting.web import event_or_404

bp = Blueprint("registration", __name__)
Status = RegistrationStatus


def _form_context(event: Event, form, **extra) -> dict:
    """Return what the registration form template needs."""
    return {
        "event": event,
        "form": form,
        "questions": question_fields(form),
        "countries": grouped_countries(),
        "privacy": service.privacy_text(event),
        **extra,
    }


@bp.route("/e/<code>/register", methods=["GET", "POST"])
# Generous: a venue's wifi puts many people behind one address.
@limiter.limit("120 per minute", methods=["POST"])
def register(code: str):
    """Show the registration form; register, mail the link and ticket, show the result."""
    event = event_or_404(code)
    if not event.registration_open:
        return render_template("registration/closed.html", event=event), 200
    form = registration_form(event)
    if request.method == "GET":
        return render_template("registration/register.html", **_form_context(event, form))
    if not form.validate_on_submit():
        flash(_("Your form expired. Please send it again."), "error")
        return render_template("registration/register.html", **_form_context(event, form)), 400
    try:
        done = service.register(event, form_data(form))
    except RegistrationInvalid as error:
        show_errors(form, error.errors)
        return render_template("registration/register.html", **_form_context(event, form)), 400
    except (Conflict, RateLimited) as error:
        flash(error.message, "error")
        return render_template(
            "registration/register.html", **_form_context(event, form)
        ), error.status
    sent = mails.send_confirmation(done.registration, done.token)
    _sign_in(event, done.registration)
    session["mail_sent"] = sent
    return redirect(url_for("registration.me", code=event.code, welcome=1))


# --- the personal link -----------------------------------------------------------------


# No rate limit: a 256-bit token cannot be guessed, and a whole room opens its links at once.
@bp.get("/e/<code>/r/<token>")
def open_link(code: str, token: str):
    """Sign the attendee in on this device from their personal link, then show their page.

    The token leaves the address bar at once (redirect), so it is not left in the
    history of a shared phone nor sent on as a referrer.
    """
    event = event_or_404(code)
    try:
        registration = service.by_token(event, token)
    except NotFound as error:
        return render_template(
            "registration/bad_link.html", event=event, message=error.message
        ), 404
    _sign_in(event, registration)
    return redirect(url_for("registration.me", code=event.code))


def _sign_in(event: Event, registration: Registration) -> None:
    """Remember the attendee in the signed session and vote as them from now on."""
    attendees = dict(session.get("attendees") or {})
    # The hash prefix ties the sign-in to the current link: a new link signs old devices out.
    attendees[str(event.id)] = [registration.id, registration.link_hash[:16]]
    session["attendees"] = attendees
    participant = service.participant_id_for(registration)
    if participant:
        session["participants"] = {
            **(session.get("participants") or {}),
            str(event.id): participant,
        }
    session.permanent = True


def signed_in_attendee(event: Event) -> Registration | None:
    """Return the attendee signed in on this device for the event, if still valid."""
    entry = (session.get("attendees") or {}).get(str(event.id))
    if not entry:
        return None
    registration_id, hash_prefix = entry
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.event_id != event.id
        or registration.erased_at is not None
        or registration.link_hash[:16] != hash_prefix
    ):
        _sign_out(event)
        return None
    return registration


def _sign_out(event: Event) -> None:
    """Forget the attendee (and their voter id) on this device."""
    attendees = dict(session.get("attendees") or {})
    attendees.pop(str(event.id), None)
    session["attendees"] = attendees
    participants = dict(session.get("participants") or {})
    participants.pop(str(event.id), None)
    session["participants"] = participants


def _attendee_or_redirect(code: str) -> tuple[Event, Registration]:
    """Return the event and signed-in attendee, or answer with the way to sign in."""
    event = event_or_404(code)
    registration = signed_in_attendee(event)
    if registration is None:
        abort(
            Response(
                render_template(
                    "registration/bad_link.html",
                    event=event,
                    message=_(
                        "Open the personal link from your confirmation email on this device."
                    ),
                ),
                status=401,
            )
        )
    return event, registration


@bp.get("/e/<code>/me")
def me(code: str):
    """Show the attendee's page: status, ticket, details, and what they can do."""
    event, registration = _attendee_or_redirect(code)
    welcome = request.args.get("welcome") == "1"
    return render_template(
        "registration/me.html",
        event=event,
        registration=registration,
        welcome=welcome,
        mail_sent=session.pop("mail_sent", None) if welcome else None,
        ticket=format_ticket(registration.ticket_code),
        country=country_name(registration.country),
        questions={str(q.id): q.label for q in event.questions},
        action_form=ActionForm(),
        needs_consent=registration.consent_privacy_at is None,
        privacy=service.privacy_text(event),
        waiting_position=_waiting_position(registration),
    )


def _waiting_position(registration: Registration) -> int | None:
    """Return the attendee's place on the waiting list (1 = next), if waiting."""
    if registration.status != Status.waiting:
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == Status.waiting,
            Registration.created_at < registration.created_at,
        )
    )
    return (ahead or 0) + 1


@bp.get("/e/<code>/me/ticket.svg")
def ticket_svg(code: str):
    """Return the signed-in attendee's ticket QR code (SVG)."""
    _event, registration = _attendee_or_redirect(code)
    if registration.status != Status.confirmed:
        abort(404, description=_("Your ticket is ready once your place is confirmed."))
    buffer = io.BytesIO()
    ticket_qr(registration.ticket_code).save(
        buffer, kind="svg", scale=8, border=2, xmldecl=False, svgclass="ticket-qr"
    )
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/e/<code>/me/edit", methods=["GET", "POST"])
def edit(code: str):
    """Let the attendee change their details."""
    event, registration = _attendee_or_redirect(code)
    form = registration_form(event, staff=True)
    if request.method == "GET":
        fill_from(form, registration)
        return render_template("registration/edit.html", **_form_context(event, form))
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_("Your form expired. Please send it again."), "invalid_form")
        change = service.update(registration, form_data(form))
    except RegistrationInvalid as error:
        show_errors(form, error.errors)
        return render_template("registration/edit.html", **_form_context(event, form)), 400
    except VotingError as error:
        flash(error.message, "error")
        return render_template("registration/edit.html", **_form_context(event, form)), error.status
    _tell_promoted(change.promoted)
    flash(_("Your details are saved."), "success")
    return redirect(url_for("registration.me", code=event.code))


@bp.post("/e/<code>/me/consent")
def consent(code: str):
    """Record consent to the privacy notice (for registrations made by staff or import)."""
    event, registration = _attendee_or_redirect(code)
    form = ActionForm()
    if not form.validate_on_submit() or request.form.get("consent_privacy") != "y":
        flash(_("Tick the box to accept the privacy notice."), "error")
        return redirect(url_for("registration.me", code=event.code)), 303
    service.give_consent(registration, photos=request.form.get("consent_photos") == "y")
    flash(_("Thank you. Your consent is recorded."), "success")
    return redirect(url_for("registration.me", code=event.code))


@bp.post("/e/<code>/me/cancel")
def cancel(code: str):
    """Cancel the attendee's registration; the seat goes to the waiting list."""
    event, registration = _attendee_or_redirect(code)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("Your form expired. Please try again."))
    try:
        change = service.cancel(registration)
    except VotingError as error:
        flash(error.message, "error")
        return redirect(url_for("registration.me", code=event.code))
    mails.send_status_update(change.registration)
    _tell_promoted(change.promoted)
    flash(_("Your registration is cancelled. We have told the organisers."), "success")
    return redirect(url_for("registration.me", code=event.code))


@bp.get("/e/<code>/me/data.json")
def download(code: str):
    """Give the attendee everything stored about them, as a JSON file."""
    event, registration = _attendee_or_redirect(code)
    body = json.dumps(service.personal_data(registration), indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    filename = f"plenum-{event.code}-my-data.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/e/<code>/me/delete")
def delete(code: str):
    """Delete the attendee's registration and personal data; their ballots keep counting."""
    event, registration = _attendee_or_redirect(code)
    if not ActionForm().validate_on_submit() or request.form.get("confirm") != "delete":
        flash(_("Tick the box to confirm that your data should be deleted."), "error")
        return redirect(url_for("registration.me", code=event.code)), 303
    change = service.delete_registration(registration)
    _tell_promoted(change.promoted)
    _sign_out(event)
    forget_event_refs()
    flash(_("Your registration and personal data are deleted."), "success")
    return redirect(url_for("events.live", code=event.code))


@bp.post("/e/<code>/me/sign-out")
def sign_out(code: str):
    """Forget the attendee on this device (e.g. a borrowed phone)."""
    event = event_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("Your form expired. Please try again."))
    _sign_out(event)
    flash(_("You are signed out on this device."), "success")
    return redirect(url_for("events.live", code=event.code))


def _tell_promoted(promoted: list[Registration]) -> None:
    """Mail everyone who just got a seat from the waiting list."""
    for registration in promoted:
        mails.send_status_update(registration)
