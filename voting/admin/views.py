"""Staff home and event administration: create and edit events, give staff access,
translate the event's texts (the one page here that moderators may use too)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from voting.accounts import service as accounts
from voting.admin.forms import (
    EventForm,
    QuestionForm,
    StaffForm,
    registration_settings_form,
)
from voting.errors import InvalidInput, VotingError
from voting.events import service as events
from voting.events import translations as event_texts
from voting.extensions import db
from voting.i18n import LANGUAGES
from voting.models import Event
from voting.polls.forms import ActionForm
from voting.registration import mails, setup
from voting.registration import service as registration_service
from voting.web import event_or_404, log_refusal, staff_view

bp = Blueprint("admin", __name__, url_prefix="/manage")


def _require_admin(event: Event | None = None) -> None:
    """Answer 403 unless the signed-in account is an admin, or for an event's pages its own admin.

    An event's own admin is the campaign organiser who made it from their listing
    (EventStaff.event_admin): its settings, staff and registration settings are theirs.
    """
    if not current_user.is_admin and not (
        event is not None and accounts.is_event_admin(current_user, event)
    ):
        log_refusal(request.endpoint, (request.view_args or {}).get("code"), current_user)
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
    event = event_or_404(code)
    _require_admin(event)
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
    event = event_or_404(code)
    _require_admin(event)
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
    event = event_or_404(code)
    _require_admin(event)
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
        blocked_words=form.blocked_words.data or "",
        main_language=form.main_language.data,
        display_language=form.display_language.data or "",
    )


def _field_error(form: EventForm, error: VotingError) -> None:
    """Show a service error next to the field it concerns."""
    field = {
        "invalid_code": form.code,
        "code_taken": form.code,
        "invalid_name": form.name,
        "invalid_dates": form.ends_on,
        "invalid_blocked_words": form.blocked_words,
        "invalid_language": form.main_language,
    }.get(error.code)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


# --- registration settings ---------------------------------------------------------------


@bp.route("/<code>/registration", methods=["GET", "POST"])
@login_required
def registration_settings(code: str):
    """Set seats, approval, privacy notice, retention, partnerships and questions (admins)."""
    event = event_or_404(code)
    _require_admin(event)
    form = registration_settings_form(event)
    if request.method == "GET":
        _fill_settings(form, event)
        return _registration_page(event, form)
    if not form.validate_on_submit():
        return _registration_page(event, form), 400
    try:
        promoted = setup.update_settings(event, _settings_from(form, event))
        setup.set_partnerships(event, form.partnerships.data or "")
    except VotingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _registration_page(event, form), error.status
    for registration in promoted:
        mails.send_status_update(registration)
    flash(_("Registration settings saved."), "success")
    if promoted:
        flash(
            _(
                "%(n)s people got a seat from the waiting list and were told by email.",
                n=len(promoted),
            ),
            "success",
        )
    return redirect(url_for("admin.registration_settings", code=event.code))


def _fill_settings(form, event) -> None:
    """Show the event's current settings in the form."""
    settings = setup.current_settings(event)
    for name in (
        "registration_open",
        "capacity",
        "requires_approval",
        "contact_email",
        "privacy_notice",
        "retention_days",
    ):
        form[name].data = getattr(settings, name)
    for day in event.days:
        form[f"day_{day.id}"].data = day.capacity
    form.partnerships.data = "\n".join(p.name for p in event.partnerships)


def _settings_from(form, event) -> setup.RegistrationSettings:
    """Build the service's settings from the form."""
    return setup.RegistrationSettings(
        registration_open=form.registration_open.data,
        capacity=form.capacity.data,
        requires_approval=form.requires_approval.data,
        contact_email=form.contact_email.data or "",
        privacy_notice=form.privacy_notice.data or "",
        retention_days=form.retention_days.data,
        day_capacities={day.id: form[f"day_{day.id}"].data for day in event.days},
    )


def _registration_page(event, form, question_form=None):
    """Render the registration settings page."""
    return render_template(
        "admin/registration_settings.html",
        event=event,
        form=form,
        day_fields=[form[f"day_{day.id}"] for day in event.days],
        question_form=question_form or QuestionForm(),
        action_form=ActionForm(),
        privacy_default=registration_service.privacy_text(event)
        if not event.privacy_notice
        else "",
    )


@bp.post("/<code>/registration/questions")
@login_required
def add_question(code: str):
    """Add a custom question to the registration form (admins)."""
    event = event_or_404(code)
    _require_admin(event)
    question_form = QuestionForm()
    try:
        if not question_form.validate_on_submit():
            raise InvalidInput(
                _("Give the question a text of up to 200 characters."), "invalid_question"
            )
        setup.add_question(
            event,
            question_form.label.data,
            question_form.kind.data,
            question_form.choices.data or "",
            question_form.required.data,
        )
    except VotingError as error:
        flash(error.message, "error")
        form = registration_settings_form(event)
        _fill_settings(form, event)
        return _registration_page(event, form, question_form), error.status
    flash(_("Question added."), "success")
    return redirect(url_for("admin.registration_settings", code=event.code) + "#questions")


@bp.post("/<code>/registration/questions/<int:question_id>/remove")
@login_required
def remove_question(code: str, question_id: int):
    """Remove a custom question (admins)."""
    event = event_or_404(code)
    _require_admin(event)
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
    setup.remove_question(event, question_id)
    flash(_("Question removed."), "success")
    return redirect(url_for("admin.registration_settings", code=event.code) + "#questions")


# --- the event's texts in other languages ------------------------------------------------


@bp.route("/<code>/translations", methods=["GET", "POST"])
@staff_view()
def translations(event: Event):
    """Show the event's texts with a column per language; store what staff wrote."""
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            raise InvalidInput(
                _("Your form expired. Reload the page and try again."), "invalid_form"
            )
        count = event_texts.save(event, request.form)
        flash(_("Translations saved (%(count)d texts).", count=count), "success")
        return redirect(url_for("admin.translations", code=event.code))
    others = [lang for lang in LANGUAGES if lang != event.main_language]
    return render_template(
        "admin/translations.html",
        event=event,
        rows=event_texts.rows(event),
        kinds=event_texts.kind_names(),
        columns=others,
        form=ActionForm(),
    )
