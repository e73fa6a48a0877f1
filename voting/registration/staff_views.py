"""Staff pages for registrations: the list with counts, one attendee, actions, import, export.

Only admins and moderators of the event see personal data here; check-in staff use the
check-in page. Every look at the list, at an attendee and every export or import is
written to the event's access log.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from voting.accounts.service import can_manage_registrations
from voting.errors import Conflict, InvalidInput, VotingError
from voting.extensions import db
from voting.models import Event, Registration, RegistrationStatus
from voting.polls.forms import ActionForm
from voting.registration import exporting, importing, listing, mails, service
from voting.registration.audit import access_log, log_access
from voting.registration.countries import country_name, grouped_countries
from voting.registration.forms import (
    fill_from,
    form_data,
    question_fields,
    registration_form,
    show_errors,
)
from voting.registration.service import Change, RegistrationInvalid
from voting.registration.staff_forms import STATUS_LABELS, ImportRunForm, MoveForm, UploadForm
from voting.registration.tickets import format_ticket
from voting.web import staff_view

bp = Blueprint("registrations", __name__, url_prefix="/manage/<code>/registrations")
Status = RegistrationStatus
PREVIEW_ROWS = 200  # rows with problems are always shown; this many others at most

# Organisers (admins) handle attendees' personal data. Moderators run polls and see turnout
# figures, not who registered; check-in staff see only what the door needs (/checkin).
personal_data_view = staff_view(can_manage_registrations)


@bp.app_context_processor
def _template_helpers() -> dict:
    """Give the staff templates status labels, country names and ticket formatting."""
    return {
        "status_label": lambda status: STATUS_LABELS.get(str(status), str(status)),
        "country_name": country_name,
        "format_ticket": format_ticket,
    }


# --- the list -------------------------------------------------------------------------------


@bp.get("")
@personal_data_view
def index(event: Event):
    """Show the searchable, filterable, sortable list with the counts on top."""
    query = listing.parse_args(request.args)
    page = listing.page_of(event, query)
    log_access(event, current_user, "list", query.describe())
    db.session.commit()
    return render_template(
        "registration/staff/list.html",
        event=event,
        query=query,
        page=page,
        counts=service.counts(event),
        countries=listing.countries_in_use(event),
        sorts=listing.SORTS,
        statuses=list(Status),
        action_form=ActionForm(),
    )


@bp.get("/access-log")
@personal_data_view
def access(event: Event):
    """Show who looked at, exported or imported the event's personal data, newest first."""
    return render_template(
        "registration/staff/access_log.html", event=event, entries=access_log(event, limit=500)
    )


@bp.get("/export.<fmt>")
@personal_data_view
def export(event: Event, fmt: str):
    """Download the (filtered) registrations as CSV or XLSX; logged."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    query = listing.parse_args(request.args)
    registrations = db.session.scalars(listing.registrations_query(event, query)).all()
    log_access(
        event, current_user, f"export_{fmt}", f"{len(registrations)} rows; {query.describe()}"
    )
    db.session.commit()
    if fmt == "csv":
        body, mimetype = exporting.to_csv(event, registrations), "text/csv; charset=utf-8"
    else:
        body = exporting.to_xlsx(event, registrations)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"{event.code}-registrations-{dt.date.today().isoformat()}.{fmt}"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# --- one attendee ------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@personal_data_view
def new(event: Event):
    """Add an attendee by hand: confirmed or waiting by seats, then mailed their link."""
    form = registration_form(event, staff=True)
    if request.method == "GET":
        return _edit_page(event, form, None)
    if not form.validate_on_submit():
        return _edit_page(event, form, None), 400
    try:
        done = service.register(event, form_data(form), by_staff=True)
    except RegistrationInvalid as error:
        show_errors(form, error.errors)
        return _edit_page(event, form, None), 400
    registration = done.registration
    flash(
        _(
            "%(name)s was added: %(status)s.",
            name=registration.full_name,
            status=status_text(registration.status),
        ),
        "success",
    )
    _flash_mail(registration, mails.send_confirmation(registration, done.token))
    return redirect(
        url_for("registrations.detail", code=event.code, registration_id=registration.id)
    )


@bp.route("/<int:registration_id>", methods=["GET", "POST"])
@personal_data_view
def detail(event: Event, registration_id: int):
    """Show one registration with its actions; save the staff's changes to it."""
    registration = service.by_id(event, registration_id)
    form = registration_form(event, staff=True)
    if request.method == "GET":
        fill_from(form, registration)
        log_access(event, current_user, "view", f"registration {registration.id}")
        db.session.commit()
        return _edit_page(event, form, registration)
    if registration.erased_at is not None:
        raise Conflict(_("This registration's personal data was erased."), "erased")
    if not form.validate_on_submit():
        return _edit_page(event, form, registration), 400
    try:
        change = service.update(registration, form_data(form))
    except RegistrationInvalid as error:
        db.session.rollback()
        show_errors(form, error.errors)
        return _edit_page(event, form, registration), 400
    flash(_("Changes to %(name)s saved.", name=registration.full_name), "success")
    _mail_promoted(change)
    return redirect(
        url_for("registrations.detail", code=event.code, registration_id=registration.id)
    )


def _edit_page(event: Event, form, registration: Registration | None) -> str:
    """Render the add page, or one registration's page with its edit form."""
    return render_template(
        "registration/staff/detail.html" if registration else "registration/staff/new.html",
        event=event,
        form=form,
        questions=question_fields(form),
        countries=grouped_countries(),
        registration=registration,
        action_form=ActionForm(),
        move_form=MoveForm(formdata=None).for_status(registration.status) if registration else None,
    )


# --- actions -------------------------------------------------------------------------------------

ACTIONS = ("approve", "reject", "move", "cancel", "resend")


@bp.post("/<int:registration_id>/<action>")
@personal_data_view
def act(event: Event, registration_id: int, action: str):
    """Run a button on a registration (approve, reject, move, cancel, resend) and mail."""
    if action not in ACTIONS:
        abort(404)
    registration = service.by_id(event, registration_id)
    if registration.erased_at is not None:
        raise Conflict(_("This registration's personal data was erased."), "erased")
    try:
        if action == "resend":
            _resend(registration)
        else:
            _change_status(registration, action)
    except VotingError as error:
        db.session.rollback()
        flash(error.message, "error")
        form = registration_form(event, staff=True, formdata=None)
        fill_from(form, registration)
        return _edit_page(event, form, registration), error.status
    return redirect(_back(event, registration)), 303


def _back(event: Event, registration: Registration) -> str:
    """Return where a button leads back to: the list when asked, else the registration."""
    if request.form.get("back") == "list":
        return url_for("registrations.index", code=event.code)
    return url_for("registrations.detail", code=event.code, registration_id=registration.id)


def _change_status(registration: Registration, action: str) -> None:
    """Approve, reject, move or cancel; mail the attendee and whoever got a seat."""
    form = ActionForm()
    if action == "move":
        form = MoveForm().for_status(registration.status)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, description=_("Your form expired. Reload the page and try again."))
        raise InvalidInput(_("Choose the list to move the registration to."), "invalid_status")
    if action == "approve":
        change = service.approve(registration)
    elif action == "reject":
        change = service.reject(registration)
    elif action == "cancel":
        change = service.cancel(registration)
    else:
        change = service.move(registration, form.status.data)
    flash(
        _(
            "%(name)s: %(status)s.",
            name=registration.full_name,
            status=status_text(registration.status),
        ),
        "success",
    )
    _flash_mail(registration, mails.send_status_update(registration))
    _mail_promoted(change)


def _resend(registration: Registration) -> None:
    """Mail a new confirmation with a new personal link; the old link stops working."""
    if not ActionForm().validate_on_submit():
        abort(400, description=_("Your form expired. Reload the page and try again."))
    if request.form.get("confirm") != "yes":
        raise InvalidInput(_("Tick the box to confirm: the old link will stop working."))
    token = service.new_link(registration)
    sent = mails.send_confirmation(registration, token)
    if sent:
        flash(
            _(
                "A new confirmation with a new personal link was sent to %(email)s. "
                "The old link no longer works.",
                email=registration.email,
            ),
            "success",
        )
    else:
        flash(
            _(
                "The new confirmation to %(email)s could not be sent; the old link no longer "
                "works. Try again later.",
                email=registration.email,
            ),
            "error",
        )


def _mail_promoted(change: Change) -> None:
    """Tell everyone who got a seat from the waiting list, and staff about it."""
    for promoted in change.promoted:
        flash(_("%(name)s got a seat from the waiting list.", name=promoted.full_name), "success")
        _flash_mail(promoted, mails.send_status_update(promoted))


def _flash_mail(registration: Registration, sent: bool) -> None:
    """Say whether the attendee's mail left."""
    if sent:
        flash(_("%(email)s was told by mail.", email=registration.email), "success")
    else:
        flash(
            _(
                "The mail to %(email)s could not be sent. Check the mail settings; "
                "you can resend the confirmation later.",
                email=registration.email or _("(no email)"),
            ),
            "error",
        )


def status_text(status) -> str:
    """Return a status as staff read it."""
    return str(STATUS_LABELS.get(str(status), status)).lower()


# --- import ------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@personal_data_view
def import_upload(event: Event):
    """Step 1: upload a CSV or XLSX file; it is checked and kept for the next steps."""
    form = UploadForm()
    if request.method == "GET":
        return render_template("registration/staff/import_upload.html", event=event, form=form)
    if not form.validate_on_submit():
        abort(400, description=_("Your form expired. Reload the page and try again."))
    upload = form.file.data
    if upload is None or not upload.filename:
        return _upload_error(event, form, _("Choose a CSV or XLSX file."), 400)
    content = upload.read(importing.MAX_BYTES + 1)
    try:
        importing.read_table(upload.filename, content)
    except importing.ImportFileError as error:
        return _upload_error(event, form, error.message, error.status)
    upload_id = importing.save_upload(event, current_user, upload.filename, content)
    return redirect(url_for("registrations.import_mapping", code=event.code, upload_id=upload_id))


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, values: dict | None) -> None:
    """Refuse an import body over the limit before anything reads it.

    URL value preprocessors run before the before-request functions, and so before
    CSRF protection parses the form: a limit set in the view would come too late.
    """
    if endpoint == "registrations.import_upload" and request.method == "POST":
        limit = importing.MAX_BYTES + 64 * 1024  # the file plus the form's other fields
        if (request.content_length or 0) > limit:
            abort(413, description=_("The file is larger than 5 MB. Split it into smaller files."))
        request.max_content_length = limit  # a body sent without its length


def _upload_error(event: Event, form: UploadForm, message: str, status: int):
    """Show the upload page with the problem at the file field."""
    form.file.errors = [message]
    return render_template("registration/staff/import_upload.html", event=event, form=form), status


def _uploaded(event: Event, upload_id: str) -> tuple[str, list[list[str]]]:
    """Return the filename and table of this account's upload."""
    filename, content = importing.load_upload(event, current_user, upload_id)
    return filename, importing.read_table(filename, content)


@bp.get("/import/<upload_id>")
@personal_data_view
def import_mapping(event: Event, upload_id: str):
    """Step 2: say which column holds which field (guessed from the headings)."""
    filename, table = _uploaded(event, upload_id)
    return _mapping_page(
        event, upload_id, filename, table, importing.guess_mapping(event, table[0])
    )


def _mapping_page(event, upload_id, filename, table, mapping, errors=None, status=200):
    """Render the mapping step."""
    return render_template(
        "registration/staff/import_mapping.html",
        event=event,
        upload_id=upload_id,
        filename=filename,
        header=table[0],
        samples=table[1:4],
        targets=importing.targets(event),
        mapping=mapping,
        errors=errors or {},
        rows=len(table) - 1,
    ), status


@bp.get("/import/<upload_id>/preview")
@personal_data_view
def import_preview(event: Event, upload_id: str):
    """Step 3: every row as it would be imported, with its problems."""
    filename, table = _uploaded(event, upload_id)
    mapping = importing.read_mapping(event, request.args, len(table[0]))
    errors = importing.mapping_errors(event, mapping)
    if errors:
        return _mapping_page(event, upload_id, filename, table, mapping, errors, 400)
    rows = importing.check_rows(event, table, mapping)
    return _preview_page(event, upload_id, filename, mapping, rows, ImportRunForm())


def _preview_page(event, upload_id, filename, mapping, rows, form, status=None):
    """Render the preview with the rows' problems and, when there are none, the import button."""
    bad = [row for row in rows if row.errors]
    shown = [row for row in rows if row.errors or row.line <= PREVIEW_ROWS + 1]
    return render_template(
        "registration/staff/import_preview.html",
        event=event,
        upload_id=upload_id,
        filename=filename,
        mapping=mapping,
        targets=[t for t in importing.targets(event) if t.key in mapping],
        rows=rows,
        shown=shown,
        bad=bad,
        form=form,
    ), status or (400 if bad else 200)


@bp.post("/import/<upload_id>/run")
@personal_data_view
def import_run(event: Event, upload_id: str):
    """Step 4: import every row in one transaction (or none), then mail if asked."""
    form = ImportRunForm()
    if not form.validate_on_submit():
        abort(400, description=_("Your form expired. Reload the page and try again."))
    filename, table = _uploaded(event, upload_id)
    mapping = importing.read_mapping(event, request.form, len(table[0]))
    if importing.mapping_errors(event, mapping):
        raise InvalidInput(_("Choose a column for every required field."), "invalid_mapping")
    rows = importing.check_rows(event, table, mapping)
    if any(row.errors for row in rows):
        flash(_("Nothing was imported: correct the rows marked below first."), "error")
        return _preview_page(event, upload_id, filename, mapping, rows, form, 400)
    try:
        made = service.register_many(event, [row.data for row in rows])
    except RegistrationInvalid as error:
        # Someone registered one of these emails since the preview: nothing was stored.
        line = rows[error.row].line if isinstance(error, service.RowInvalid) else "?"
        flash(
            _(
                "Nothing was imported: row %(line)s: %(problem)s",
                line=line,
                problem="; ".join(error.errors.values()),
            ),
            "error",
        )
        return _preview_page(event, upload_id, filename, mapping, rows, form, 409)
    importing.delete_upload(upload_id)
    log_access(event, current_user, "import", f"{len(made)} rows from {filename}")
    db.session.commit()
    _flash_import(made, form.send_mail.data)
    return redirect(url_for("registrations.index", code=event.code)), 303


def _flash_import(made: list[service.Registered], send_mail: bool) -> None:
    """Say what was imported, and mail the confirmations when asked."""
    waiting = sum(1 for done in made if done.registration.status == Status.waiting)
    flash(
        _(
            "%(n)s attendees imported (%(waiting)s of them on the waiting list).",
            n=len(made),
            waiting=waiting,
        ),
        "success",
    )
    if not send_mail:
        flash(_("No mails were sent. Use “Resend confirmation” per attendee later."), "success")
        return
    failed = [done for done in made if not mails.send_confirmation(done.registration, done.token)]
    if failed:
        flash(
            _(
                "%(n)s confirmations could not be sent (first: %(email)s); resend them later.",
                n=len(failed),
                email=failed[0].registration.email,
            ),
            "error",
        )
    else:
        flash(_("Confirmations sent to all %(n)s attendees.", n=len(made)), "success")
