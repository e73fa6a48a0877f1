"""Breakout pages: sessions and sign-up on the phone, rosters, the agenda, the staff page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from voting.accounts.service import can_run_polls
from voting.breakouts import service
from voting.breakouts.service import SessionData, TimeData
from voting.errors import InvalidInput, NotAuthenticated, VotingError
from voting.extensions import db
from voting.models import Breakout, BreakoutMode, Event, Registration, RegistrationStatus
from voting.polls.forms import ActionForm
from voting.registration.views import signed_in_attendee
from voting.web import event_or_404, staff_view

bp = Blueprint("breakouts", __name__)


def _check_form() -> None:
    """Raise InvalidInput unless the posted form carries a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page and try again."), "invalid_form")


# --- attendees ---------------------------------------------------------------------------


def _page_context(event: Event, attendee: Registration | None) -> dict:
    """Return what the sessions page shows: slots, sessions, figures, the attendee's seats."""
    seats = service.seats_of(attendee) if attendee else []
    return {
        "event": event,
        "attendee": attendee,
        "mine": service.my_sessions_payload(attendee)["sessions"] if attendee else [],
        "assigned": event.breakout_mode == BreakoutMode.preference
        and event.assignment_published_at is not None,
        "slots": service.sessions_of(event),
        "my_seats": {seat.slot_id: seat for seat in seats},
        "positions": {seat.id: service.waiting_position(seat) for seat in seats},
        "signup": event.breakout_mode == BreakoutMode.signup,
        "confirmed": attendee is not None and attendee.status == RegistrationStatus.confirmed,
        "action_form": ActionForm(),
    }


@bp.get("/e/<code>/breakouts")
def index(code: str):
    """Show the sessions of each slot with seats left; sign-up buttons for attendees."""
    event = event_or_404(code)
    return render_template(
        "breakouts/index.html", **_page_context(event, signed_in_attendee(event))
    )


ACTIONS = {"signup": service.sign_up, "switch": service.change, "withdraw": service.withdraw}


def _done_message(action: str, title: str) -> str:
    """Return what the attendee is told after an action."""
    if action == "signup":
        return _("You are signed up for %(title)s.", title=title)
    if action == "switch":
        return _("You switched to %(title)s.", title=title)
    return _("You withdrew from %(title)s.", title=title)


@bp.post("/e/<code>/breakouts/<int:breakout_id>/<any(signup, switch, withdraw):action>")
def act(code: str, breakout_id: int, action: str):
    """Sign up for, switch to, or withdraw from a session (form post, then back to the page)."""
    event = event_or_404(code)
    attendee = signed_in_attendee(event)
    try:
        _check_form()
        if attendee is None:
            raise NotAuthenticated(
                _("Open your personal link on this phone first, or register."), "not_signed_in"
            )
        breakout = service.find_breakout(event, breakout_id)
        change = ACTIONS[action](attendee, breakout)
    except VotingError as error:
        flash(error.message, "error")
        page = render_template("breakouts/index.html", **_page_context(event, attendee))
        return page, error.status
    _flash_done(action, breakout, change.seat)
    return redirect(url_for("breakouts.index", code=event.code) + f"#slot-{breakout.slot_id}", 303)


def _flash_done(action: str, breakout, seat) -> None:
    """Tell the attendee what happened (a waiting place is said so)."""
    if seat is not None and seat.status.value == "waiting":
        flash(
            _(
                "%(title)s is full: you are on its waiting list. A freed seat is yours at once.",
                title=breakout.title,
            ),
            "success",
        )
        return
    flash(_done_message(action, breakout.title), "success")


@bp.post("/e/<code>/breakouts/rosters")
def rosters(code: str):
    """Let the attendee choose whether their name shows on session rosters."""
    event = event_or_404(code)
    attendee = signed_in_attendee(event)
    try:
        _check_form()
        if attendee is None:
            raise NotAuthenticated(
                _("Open your personal link on this phone first."), "not_signed_in"
            )
    except VotingError as error:
        flash(error.message, "error")
        page = render_template("breakouts/index.html", **_page_context(event, attendee))
        return page, error.status
    show = request.form.get("show_on_rosters") == "y"
    service.set_roster_visibility(attendee, show)
    flash(
        _("Other attendees now see your name on the rosters of your sessions.")
        if show
        else _("Your name no longer shows on session rosters."),
        "success",
    )
    return redirect(url_for("breakouts.index", code=event.code), 303)


@bp.get("/e/<code>/breakouts/<int:breakout_id>")
def session_page(code: str, breakout_id: int):
    """Show one session: when, where, who facilitates, and who joins (those who agreed)."""
    event = event_or_404(code)
    breakout = service.find_breakout(event, breakout_id)
    attendee = signed_in_attendee(event)
    may_see = attendee is not None or can_run_polls(current_user, event)
    people = service.members(breakout)
    named = [p for p in people if p.show_on_rosters and p.erased_at is None] if may_see else []
    return render_template(
        "breakouts/session.html",
        event=event,
        breakout=breakout,
        slot=breakout.slot,
        taken=len(people),
        waiting=service.waiting_count(breakout),
        named=named,
        unnamed=len(people) - len(named),
        may_see=may_see,
        attendee=attendee,
    )


@bp.get("/e/<code>/agenda")
def agenda(code: str):
    """Show the event's programme: plenary items and breakout slots, day by day."""
    event = event_or_404(code)
    return render_template("breakouts/agenda.html", event=event, days=service.agenda(event))


# --- staff -------------------------------------------------------------------------------


def _staff_context(event: Event) -> dict:
    """Return what the staff page shows."""
    confirmed = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.confirmed,
            Registration.erased_at.is_(None),
        )
        .order_by(Registration.last_name, Registration.first_name)
    ).all()
    return {
        "event": event,
        "slots": service.sessions_of(event),
        "items": service.agenda_items(event),
        "attendees": confirmed,
        "action_form": ActionForm(),
    }


@bp.get("/manage/<code>/breakouts")
@staff_view()
def manage(event: Event):
    """Staff page: the mode, sign-up, the agenda, slots and sessions with their figures."""
    return render_template("breakouts/manage.html", **_staff_context(event))


def _time_data() -> TimeData:
    """Read a slot's or agenda item's fields from the form."""
    form = request.form
    return TimeData(
        form.get("day_id"),
        form.get("starts_at"),
        form.get("ends_at"),
        form.get("title", ""),
        form.get("description", ""),
    )


def _session_data() -> SessionData:
    """Read a session's fields from the form."""
    form = request.form
    return SessionData(
        title=form.get("title", ""),
        room=form.get("room", ""),
        capacity=form.get("capacity"),
        facilitator_id=form.get("facilitator_id") or None,
        theme_id=form.get("theme_id") or None,
    )


def _create_slot(event: Event) -> str:
    service.create_slot(event, _time_data())
    return _("The slot is added.")


def _update_slot(event: Event) -> str:
    service.update_slot(service.find_slot(event, request.form.get("id")), _time_data())
    return _("The slot is saved.")


def _delete_slot(event: Event) -> str:
    service.delete_slot(service.find_slot(event, request.form.get("id")))
    return _("The slot and its sessions are deleted.")


def _create_item(event: Event) -> str:
    service.create_agenda_item(event, _time_data())
    return _("The agenda item is added.")


def _update_item(event: Event) -> str:
    service.update_agenda_item(
        service.find_agenda_item(event, request.form.get("id")), _time_data()
    )
    return _("The agenda item is saved.")


def _delete_item(event: Event) -> str:
    service.delete_agenda_item(service.find_agenda_item(event, request.form.get("id")))
    return _("The agenda item is deleted.")


def _create_session(event: Event) -> str:
    slot = service.find_slot(event, request.form.get("slot_id"))
    service.create_session(event, slot, _session_data())
    return _("The session is added.")


def _create_theme_sessions(event: Event) -> str:
    slot = service.find_slot(event, request.form.get("slot_id"))
    rooms = request.form.get("rooms", "").splitlines()
    made = service.create_sessions_for_themes(
        event, slot, request.form.getlist("theme_id"), request.form.get("capacity"), rooms
    )
    return _("%(n)s sessions are added.", n=len(made))


def _update_session(event: Event) -> str:
    breakout = service.find_breakout(event, request.form.get("id"))
    promoted = service.update_session(breakout, _session_data())
    if promoted:
        return _(
            "The session is saved; %(n)s people got a seat from its waiting list.", n=len(promoted)
        )
    return _("The session is saved.")


def _delete_session(event: Event) -> str:
    service.delete_session(service.find_breakout(event, request.form.get("id")))
    return _("The session is deleted.")


def _set_mode(event: Event) -> str:
    service.set_mode(event, request.form.get("mode"))
    return _("The way attendees get into sessions is saved.")


def _set_signup(event: Event) -> str:
    is_open = request.form.get("open") == "1"
    service.set_signup_open(event, is_open)
    return _("Sign-up is open.") if is_open else _("Sign-up is closed.")


STAFF_ACTIONS = {
    "slot-create": _create_slot,
    "slot-update": _update_slot,
    "slot-delete": _delete_slot,
    "item-create": _create_item,
    "item-update": _update_item,
    "item-delete": _delete_item,
    "session-create": _create_session,
    "theme-sessions": _create_theme_sessions,
    "session-update": _update_session,
    "session-delete": _delete_session,
    "mode": _set_mode,
    "signup": _set_signup,
}


@bp.post("/manage/<code>/breakouts/<action>")
@staff_view()
def staff_action(event: Event, action: str):
    """Run one staff change from the staff page's forms; errors show on the page with a 4xx."""
    handler = STAFF_ACTIONS.get(action)
    if handler is None:
        flash(_("Unknown action."), "error")
        return render_template("breakouts/manage.html", **_staff_context(event)), 404
    try:
        _check_form()
        message = handler(event)
    except VotingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render_template("breakouts/manage.html", **_staff_context(event)), error.status
    flash(message, "success")
    return redirect(url_for("breakouts.manage", code=event.code), 303)


# --- the attendee page's "My sessions" -------------------------------------------------


@bp.app_context_processor
def _my_sessions_helpers() -> dict:
    """Give templates what the attendee page's "My sessions" include needs."""
    return {"my_sessions": _sessions_for_template, "has_breakout_sessions": _has_sessions}


def _sessions_for_template(registration: Registration | None) -> list[dict]:
    """Return the attendee's seats as the live push describes them, for _my_sessions_list.html."""
    if registration is None:
        return []
    return service.my_sessions_payload(registration)["sessions"]


def _has_sessions(event: Event) -> bool:
    """Say whether the event has any breakout session (then the attendee page follows them)."""
    query = select(Breakout.id).where(Breakout.event_id == event.id).limit(1)
    return db.session.scalar(query) is not None
