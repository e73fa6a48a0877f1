"""Campaign forms: an organiser's listing, a campaign, the review actions.

The service (voting.campaigns.service) is the judge of every field; the forms render
labelled inputs, parse dates and numbers, check CSRF, and show the service's messages
at the fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from voting.campaigns.service import CampaignData, ListingData
from voting.models import Campaign, EventFormat, Listing


class CheckboxesField(SelectMultipleField):
    """Several checkboxes for one field (the themes)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def format_choices() -> list[SelectChoice]:
    """Return the event formats with their names in the page's language."""
    names = {
        EventFormat.conference: _l("Conference"),
        EventFormat.workshop: _l("Workshop"),
        EventFormat.matchmaking: _l("Matchmaking"),
        EventFormat.online: _l("Online"),
    }
    return [SelectChoice(value.value, names[value]) for value in EventFormat]


class ListingForm(FlaskForm):
    """What an organiser tells about their event."""

    organisation = StringField(_l("Organisation"), render_kw={"autocomplete": "organization"})
    contact_name = StringField(_l("Contact person"), render_kw={"autocomplete": "name"})
    contact_email = EmailField(_l("Contact email"), render_kw={"autocomplete": "email"})
    title = StringField(_l("Event title"))
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    city = StringField(_l("City"))
    country = SelectField(_l("Country"), validate_choice=False)
    format = SelectField(_l("Format"), validate_choice=False)
    themes = CheckboxesField(_l("Themes"), validate_choice=False)
    expected_participants = IntegerField(_l("Expected participants"), validators=[Optional()])
    # A text input, not type=url: the browser's own check would pre-empt the service's
    # message at the field, and the site's styles cover text inputs.
    website = StringField(
        _l("Website (optional)"), render_kw={"inputmode": "url", "autocomplete": "url"}
    )
    description = TextAreaField(_l("Description"))


def listing_form(campaign: Campaign, **kwargs) -> ListingForm:
    """Return a listing form offering the campaign's themes."""
    form = ListingForm(**kwargs)
    form.format.choices = [SelectChoice("", _l("Choose…")), *format_choices()]
    form.themes.choices = [SelectChoice(theme, theme) for theme in campaign.themes]
    return form


def listing_data(form: ListingForm, language: str) -> ListingData:
    """Return the service's input from a submitted listing form."""
    return ListingData(
        organisation=form.organisation.data or "",
        contact_name=form.contact_name.data or "",
        contact_email=form.contact_email.data or "",
        title=form.title.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        city=form.city.data or "",
        country=form.country.data or "",
        format=form.format.data or "",
        themes=list(form.themes.data or []),
        expected_participants=form.expected_participants.data,
        website=form.website.data or "",
        description=form.description.data or "",
        language=language,
    )


def fill_from(form: ListingForm, listing: Listing) -> None:
    """Put a stored listing's values into the form."""
    for name in ListingData.__dataclass_fields__:
        if name in form and name != "format":
            form[name].data = getattr(listing, name)
    form.format.data = listing.format.value


class CampaignEditForm(FlaskForm):
    """A campaign's editable fields (its admins); the address stays."""

    name = StringField(_l("Name"))
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    description = TextAreaField(_l("Description"))
    contact_name = StringField(_l("Contact person"))
    contact_email = EmailField(_l("Contact email"))
    themes = TextAreaField(_l("Themes, one per line"))


class CampaignForm(CampaignEditForm):
    """A new campaign (global admins), with its address and logo."""

    slug = StringField(_l("Address (/c/…): lower-case letters, digits, hyphens"))
    logo = FileField(_l("Logo (PNG or JPEG, up to 1 MB; optional)"))


def campaign_data(form: CampaignEditForm) -> CampaignData:
    """Return the service's input from a submitted campaign form (no slug when editing)."""
    return CampaignData(
        slug=(form.slug.data or "") if "slug" in form else "",
        name=form.name.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        description=form.description.data or "",
        contact_name=form.contact_name.data or "",
        contact_email=form.contact_email.data or "",
        themes=(form.themes.data or "").splitlines(),
    )


def fill_campaign(form: CampaignEditForm, campaign: Campaign) -> None:
    """Put a stored campaign's values into the edit form (themes one per line)."""
    for name in ("name", "starts_on", "ends_on", "description", "contact_name", "contact_email"):
        form[name].data = getattr(campaign, name)
    form.themes.data = "\n".join(campaign.themes or [])


class LogoForm(FlaskForm):
    """A new logo for a campaign."""

    logo = FileField(_l("Logo (PNG or JPEG, up to 1 MB)"))


class NoteForm(FlaskForm):
    """A review action's note: the changes asked for or the reason for a rejection."""

    note = TextAreaField(_l("Note to the organiser"))


class AdminForm(FlaskForm):
    """The email of a campaign_admin account to link to a campaign."""

    email = EmailField(_l("Email of a campaign admin account"))


def show_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Attach the service's messages to the matching fields (the rest to the form)."""
    for name, message in errors.items():
        target = name if name in form else None
        if target is None:
            form.form_errors.append(message)
        else:
            form[target].errors = [*list(form[target].errors or []), message]
