"""Staff home and event administration: create and edit events, give staff access."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from voting.accounts import service as accounts
from voting.admin.forms import EventForm, StaffForm
from voting.errors import InvalidInput, VotingError
from voting.events import service as events
from voting.polls.forms import ActionForm
from voting.web import event_or_404

bp = Blueprint("admin", __name__, url_prefix="/manage")


def _require_admin() -> None:
    """Answer 403 unless the signed-in account is an admin."""
    if not current_user.is_admin:
        abort(403, description=_("Only administrators may do that."))


@bp.get("/")
@login_required
def home():
    """List the events this staff member works on."""
    visible = [e for e in events.all_events() if accounts.is_event_staff(current_user, e)]
    return render_template("admin/home.html", events=visible)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_event():
    """Create an event (admins)."""
    _require_admin()
    form = EventForm()
    if request.method == "GET":
        form.code.data = events.suggest_code()
    if form.validate_on_submit():
        try:
            event = events.create_event(_event_data(form))
        except VotingError as error:
            _field_error(form, error)
            return render_template("admin/event_form.html", form=form, event=None), error.status
        flash(_("Event %(code)s created.", code=event.code), "success")
        return redirect(url_for("admin.settings", code=event.code))
    status = 400 if form.errors else 200
    return render_template("admin/event_form.html", form=form, event=None), status


@bp.route("/<code>/settings", methods=["GET", "POST"])
@login_required
def settings(code: str):
    """Edit an event and its staff (admins)."""
    _require_admin()
    event = event_or_404(code)
    form = EventForm(obj=event) if request.method == "GET" else EventForm()
    if form.validate_on_submit():
        try:
            events.update_event(event, _event_data(form))
        except VotingError as error:
            _field_error(form, error)
            return _settings_page(event, form), error.status
        flash(_("Event saved."), "success")
        return redirect(url_for("admin.settings", code=event.code))
    return _settings_page(event, form), 400 if form.errors else 200


def _settings_page(event, form):
    """Render the event settings page with its staff list."""
    return render_template(
        "admin/event_form.html",
        form=form,
        event=event,
        staff=accounts.event_staff(event),
        staff_form=StaffForm(),
        action_form=ActionForm(),
    )


@bp.post("/<code>/staff")
@login_required
def add_staff(code: str):
    """Give a staff account access to the event (admins)."""
    _require_admin()
    event = event_or_404(code)
    form = StaffForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_("Enter the email of a staff account."), "invalid_email")
        accounts.grant_access(event, accounts.find_user(form.email.data))
    except VotingError as error:
        flash(error.message, "error")
        return _settings_page(event, EventForm(obj=event)), error.status
    flash(_("Access given."), "success")
    return redirect(url_for("admin.settings", code=event.code))


@bp.post("/<code>/staff/<int:user_id>/remove")
@login_required
def remove_staff(code: str, user_id: int):
    """Take a staff account's access to the event away (admins)."""
    _require_admin()
    event = event_or_404(code)
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
    user = next((u for u in accounts.event_staff(event) if u.id == user_id), None)
    if user is None:
        abort(404, description=_("This account has no access to the event."))
    accounts.revoke_access(event, user)
    flash(_("Access removed."), "success")
    return redirect(url_for("admin.settings", code=event.code))


def _event_data(form: EventForm) -> events.EventData:
    """Build the service's EventData from the form."""
    return events.EventData(
        code=form.code.data,
        name=form.name.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        venue=form.venue.data or "",
        description=form.description.data or "",
        allow_anonymous=form.allow_anonymous.data,
    )


def _field_error(form: EventForm, error: VotingError) -> None:
    """Show a service error next to the field it concerns."""
    field = {
        "invalid_code": form.code,
        "code_taken": form.code,
        "invalid_name": form.name,
        "invalid_dates": form.ends_on,
    }.get(error.code)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
