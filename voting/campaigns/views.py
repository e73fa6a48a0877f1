"""Campaign pages: organisers submit and edit their listing; campaign admins review.

The calendar, its feeds and exports are in voting.campaigns.public_views.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from voting.accounts import service as accounts
from voting.campaigns import forms, service
from voting.errors import FieldErrors, InvalidInput, NotFound, VotingError
from voting.extensions import limiter
from voting.models import Campaign, ListingStatus
from voting.polls.forms import ActionForm
from voting.registration.countries import country_name, grouped_countries
from voting.web import log_refusal

bp = Blueprint("campaigns", __name__)


def campaign_or_404(slug: str) -> Campaign:
    """Return the campaign for a URL slug or answer 404."""
    try:
        return service.find_campaign(slug)
    except NotFound as error:
        abort(404, description=error.message)


def logo_folder() -> Path:
    """Return the folder campaign logos are kept in (inside the instance folder)."""
    return Path(current_app.instance_path) / "campaign-logos"


def _language() -> str:
    """Return the language of this page, which the organiser's mails will use."""
    return str(get_locale() or "en")


@bp.app_template_global()
def administers_campaigns() -> bool:
    """Say whether the signed-in account administers a campaign (the staff home's link)."""
    if not current_user.is_authenticated:
        return False
    return current_user.is_admin or bool(service.administered_campaigns(current_user))


@bp.app_template_global()
def event_rights(event) -> dict[str, bool]:
    """Return which of an event's staff pages the signed-in account may open (staff home).

    The role alone no longer tells: an organiser's event admin right (EventStaff) gives
    every page of their one event.
    """
    return {
        "polls": accounts.can_run_polls(current_user, event),
        "door": accounts.can_handle_attendees(current_user, event),
        "registrations": accounts.can_manage_registrations(current_user, event),
    }


# --- organisers -------------------------------------------------------------------------


@bp.route("/c/<slug>/submit", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def submit(slug: str):
    """Show the submission form; record the listing and mail the organiser their private link."""
    campaign = campaign_or_404(slug)
    form = forms.listing_form(campaign)
    if request.method == "GET":
        return render_template("campaigns/submit.html", **_form_context(campaign, form))
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("Your form expired. Please send it again."), "error")
        return render_template("campaigns/submit.html", **_form_context(campaign, form)), 400
    try:
        listing, _token = service.submit_listing(campaign, forms.listing_data(form, _language()))
    except FieldErrors as error:
        forms.show_errors(form, error.fields)
        return render_template("campaigns/submit.html", **_form_context(campaign, form)), 400
    return render_template("campaigns/submitted.html", campaign=campaign, listing=listing)


def _form_context(campaign: Campaign, form, **extra) -> dict:
    """Return what the listing form templates need."""
    return {
        "campaign": campaign,
        "form": form,
        "countries": grouped_countries(_language()),
        **extra,
    }


@bp.route("/c/<slug>/listing/<token>", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def listing(slug: str, token: str):
    """Show the organiser their listing: status, the admin's note, the edit form while editable."""
    campaign = campaign_or_404(slug)
    try:
        found = service.listing_for_token(campaign, token)
    except NotFound as error:
        return _bad_link(campaign, error)
    form = forms.listing_form(campaign)
    status = 200
    if request.method == "POST":
        if found.status not in service.EDITABLE:
            flash(_("This submission was reviewed already and can no longer be changed."), "error")
            status = 409
        elif not form.validate_on_submit():
            if form.csrf_token.errors:
                flash(_("Your form expired. Please send it again."), "error")
            status = 400
        else:
            try:
                service.update_listing(found, forms.listing_data(form, _language()))
            except FieldErrors as error:
                forms.show_errors(form, error.fields)
                status = 400
            else:
                flash(_("Saved. Your submission waits for review again."), "success")
                return redirect(url_for("campaigns.listing", slug=campaign.slug, token=token))
    else:
        forms.fill_from(form, found)
    return render_template(
        "campaigns/listing.html",
        **_form_context(campaign, form),
        listing=found,
        token=token,
        editable=found.status in service.EDITABLE,
        action_form=ActionForm(),
        country_label=lambda code: country_name(code, _language()),
    ), status


def _bad_link(campaign: Campaign, error: VotingError):
    """Answer a private link that opens nothing with a clear 404 page."""
    return render_template("campaigns/bad_link.html", campaign=campaign, message=error.message), 404


@bp.post("/c/<slug>/listing/<token>/create-event")
@limiter.limit("30 per minute")
def create_event(slug: str, token: str):
    """Turn the organiser's approved listing into a Plenum event they administer."""
    campaign = campaign_or_404(slug)
    try:
        found = service.listing_for_token(campaign, token)
    except NotFound as error:
        return _bad_link(campaign, error)
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
    event = service.create_event_from_listing(found, token=token)
    flash(
        _(
            "Your Plenum event %(code)s is ready. We sent you a mail with how to sign in.",
            code=event.code,
        ),
        "success",
    )
    return redirect(url_for("campaigns.listing", slug=campaign.slug, token=token))


@bp.get("/c/<slug>/logo")
def logo(slug: str):
    """Serve the campaign's uploaded logo."""
    campaign = campaign_or_404(slug)
    if not campaign.logo:
        abort(404, description=_("This campaign has no logo."))
    # The stored name is ours (slug, random hex, extension), never the uploader's.
    path = logo_folder() / campaign.logo
    if not path.is_file():
        abort(404, description=_("This campaign has no logo."))
    mimetype = "image/png" if campaign.logo.endswith(".png") else "image/jpeg"
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


# --- campaign admins --------------------------------------------------------------------


@bp.get("/manage/campaigns")
@login_required
def index():
    """List the campaigns this account administers; global admins also create campaigns."""
    return _index_page(forms.CampaignForm() if current_user.is_admin else None)


def _index_page(form, status: int = 200):
    """Render the campaigns list."""
    return render_template(
        "campaigns/manage_index.html",
        campaigns=service.administered_campaigns(current_user),
        form=form,
    ), status


def _require_global_admin() -> None:
    """Answer 403 unless the signed-in account is a global admin."""
    if not current_user.is_admin:
        log_refusal(request.endpoint, None, current_user)
        abort(403, description=_("Only administrators may do that."))


def _administered(slug: str) -> Campaign:
    """Return the campaign of the URL if the signed-in account administers it, else 403/404."""
    campaign = campaign_or_404(slug)
    if not service.can_administer(current_user, campaign):
        log_refusal(request.endpoint, None, current_user)
        abort(403, description=_("Only this campaign's admins may do that."))
    return campaign


@bp.post("/manage/campaigns/new")
@login_required
def create_campaign():
    """Create a campaign with its logo (global admins)."""
    _require_global_admin()
    form = forms.CampaignForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("Your form expired. Please send it again."), "error")
        return _index_page(form, 400)
    data = _uploaded(form.logo.data)
    try:
        campaign = service.create_campaign(forms.campaign_data(form), data, logo_folder())
    except FieldErrors as error:
        forms.show_errors(form, error.fields)
        return _index_page(form, 400)
    flash(_("Campaign %(name)s created.", name=campaign.name), "success")
    return redirect(url_for("campaigns.review", slug=campaign.slug))


def _uploaded(upload) -> bytes | None:
    """Return an uploaded file's bytes (None when no file was chosen), at most one too many."""
    if not upload or not getattr(upload, "filename", None):
        return None
    # One byte more than allowed is enough to refuse a file as too large.
    data = upload.read(service.MAX_LOGO_BYTES + 1)
    upload.close()  # a large upload is spooled to a temporary file
    return data


@bp.get("/manage/campaigns/<slug>")
@login_required
def review(slug: str):
    """Show a campaign's review queue, optionally one status only."""
    return _review_page(_administered(slug))


def _wanted_status() -> tuple[str, ListingStatus | None]:
    """Return the queue's status filter from the query string (pending unless valid)."""
    wanted = request.args.get("status") or "pending"
    if wanted == "all":
        return wanted, None
    try:
        return wanted, ListingStatus(wanted)
    except ValueError:
        return "pending", ListingStatus.pending


def _review_page(campaign: Campaign, status: int = 200, errors: dict | None = None, logo_form=None):
    """Render the review queue; `errors` maps a listing id to its refused note's message."""
    wanted, listing_status = _wanted_status()
    language = _language()
    return render_template(
        "campaigns/review.html",
        campaign=campaign,
        listings=service.listings_of(campaign, listing_status),
        wanted=wanted,
        statuses=list(ListingStatus),
        note_form=forms.NoteForm(formdata=None),
        action_form=ActionForm(),
        admin_form=forms.AdminForm(formdata=None) if current_user.is_admin else None,
        errors=errors or {},
        logo_form=logo_form or forms.LogoForm(formdata=None),
        country_name=lambda code: country_name(code, language),
        format_names={choice.value: choice.label for choice in forms.format_choices()},
    ), status


def _review_action(slug: str, listing_id: int, act):
    """Run one review action (a function of listing and note) and go back to the queue."""
    campaign = _administered(slug)
    try:
        found = service.find_listing(campaign, listing_id)
    except NotFound as error:
        abort(404, description=error.message)
    form = forms.NoteForm()
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
    try:
        message = act(found, form.note.data or "")
    except FieldErrors as error:
        return _review_page(campaign, 400, {found.id: next(iter(error.fields.values()))})
    flash(message, "success")
    return redirect(url_for("campaigns.review", slug=campaign.slug, status=_wanted_status()[0]))


@bp.post("/manage/campaigns/<slug>/listings/<int:listing_id>/approve")
@login_required
def approve(slug: str, listing_id: int):
    """Approve a listing: it shows on the public calendar."""

    def act(listing, _note):
        service.approve(listing, current_user)
        return _("%(title)s is approved; the organiser was told.", title=listing.title)

    return _review_action(slug, listing_id, act)


@bp.post("/manage/campaigns/<slug>/listings/<int:listing_id>/request-changes")
@login_required
def request_changes(slug: str, listing_id: int):
    """Ask the organiser for changes, with a note."""

    def act(listing, note):
        service.request_changes(listing, current_user, note)
        return _("The organiser of %(title)s was asked for changes.", title=listing.title)

    return _review_action(slug, listing_id, act)


@bp.post("/manage/campaigns/<slug>/listings/<int:listing_id>/reject")
@login_required
def reject(slug: str, listing_id: int):
    """Reject a listing with a reason."""

    def act(listing, reason):
        service.reject(listing, current_user, reason)
        return _("%(title)s is rejected; the organiser was told why.", title=listing.title)

    return _review_action(slug, listing_id, act)


@bp.post("/manage/campaigns/<slug>/listings/<int:listing_id>/create-event")
@login_required
def admin_create_event(slug: str, listing_id: int):
    """Turn an approved listing into a Plenum event for its organiser (campaign admins)."""

    def act(listing, _note):
        event = service.create_event_from_listing(listing, by=current_user)
        return _(
            "Event %(code)s created; its organiser administers it and was told.",
            code=event.code,
        )

    return _review_action(slug, listing_id, act)


@bp.route("/manage/campaigns/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_campaign(slug: str):
    """Show and save a campaign's name, description, contact, period and themes (its admins)."""
    campaign = _administered(slug)
    form = forms.CampaignEditForm()
    if request.method == "GET":
        forms.fill_campaign(form, campaign)
        return render_template("campaigns/edit.html", campaign=campaign, form=form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("Your form expired. Please send it again."), "error")
        return render_template("campaigns/edit.html", campaign=campaign, form=form), 400
    try:
        service.update_campaign(campaign, forms.campaign_data(form), current_user)
    except FieldErrors as error:
        forms.show_errors(form, error.fields)
        return render_template("campaigns/edit.html", campaign=campaign, form=form), 400
    flash(_("Campaign saved."), "success")
    return redirect(url_for("campaigns.review", slug=campaign.slug))


@bp.post("/manage/campaigns/<slug>/admins")
@login_required
def add_admin(slug: str):
    """Make a campaign_admin account an admin of this campaign (global admins)."""
    _require_global_admin()
    campaign = campaign_or_404(slug)
    form = forms.AdminForm()
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
    user = accounts.find_user(form.email.data or "")
    service.add_campaign_admin(campaign, user)
    flash(_("%(email)s administers this campaign now.", email=user.email), "success")
    return redirect(url_for("campaigns.review", slug=campaign.slug))


@bp.post("/manage/campaigns/<slug>/logo")
@login_required
def change_logo(slug: str):
    """Replace the campaign's logo (its admins)."""
    campaign = _administered(slug)
    form = forms.LogoForm()
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the page."), "invalid_form")
    data = _uploaded(form.logo.data)
    try:
        if data is None:
            raise FieldErrors({"logo": _("Choose a PNG or JPEG file.")}, "invalid_logo")
        service.set_logo(campaign, data, logo_folder())
    except FieldErrors as error:
        forms.show_errors(form, error.fields)
        return _review_page(campaign, 400, logo_form=form)
    flash(_("Logo saved."), "success")
    return redirect(url_for("campaigns.review", slug=campaign.slug))
