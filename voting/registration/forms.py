"""Registration forms, built per event: its days, partnerships and custom questions.

The service (voting.registration.service.validate) is the judge of every field; the
forms render labelled inputs, check CSRF, and show the service's messages at the fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice

from voting.models import Event, QuestionKind, Registration
from voting.registration.countries import grouped_countries
from voting.registration.service import ROLES, RegistrationData

OTHER = "other"


class CheckboxesField(SelectMultipleField):
    """Several checkboxes for one field (the days attended)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RegistrationForm(FlaskForm):
    """The fixed part of the registration form; days, partnerships and questions are added."""

    first_name = StringField(_l("First name"), render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), render_kw={"autocomplete": "family-name"})
    email = EmailField(_l("Email"), render_kw={"autocomplete": "email"})
    organisation = StringField(_l("Organisation"), render_kw={"autocomplete": "organization"})
    country = SelectField(_l("Country"), validate_choice=False)
    partnership_id = SelectField(_l("Cluster partnership you represent"), validate_choice=False)
    partnership_other = StringField(_l("Other partnership (if not in the list)"))
    role = SelectField(_l("Role"), validate_choice=False)
    day_ids = CheckboxesField(_l("Days you attend"), validate_choice=False)
    needs = TextAreaField(_l("Accessibility or dietary needs (optional)"))
    consent_privacy = BooleanField(_l("I have read the privacy notice and agree to it"))
    consent_photos = BooleanField(_l("Photos in which I appear may be published (optional)"))


def registration_form(event: Event, *, staff: bool = False, **kwargs) -> RegistrationForm:
    """Return a registration form for an event, with its own questions as q_<id> fields."""

    class EventRegistrationForm(RegistrationForm):
        pass

    for question in event.questions:
        setattr(EventRegistrationForm, f"q_{question.id}", _question_field(question))
    form = EventRegistrationForm(**kwargs)
    form.country.choices = _country_choices()
    form.partnership_id.choices = [
        SelectChoice("", _l("None / not applicable")),
        *(SelectChoice(str(p.id), p.name) for p in event.partnerships),
        SelectChoice(OTHER, _l("Other (type it below)")),
    ]
    form.role.choices = [SelectChoice("", _l("Choose…"))] + [SelectChoice(r, r) for r in ROLES]
    form.day_ids.choices = [SelectChoice(str(day.id), day.title) for day in event.days]
    if staff:
        del form.consent_privacy
    return form


def _question_field(question):
    """Return the form field of a custom question."""
    label = question.label + ("" if question.required else " " + str(_l("(optional)")))
    if question.kind == QuestionKind.yesno:
        choices = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
        return RadioField(label, choices=choices, validate_choice=False)
    if question.kind == QuestionKind.choice:
        choices = [SelectChoice("", _l("Choose…"))] + [SelectChoice(c, c) for c in question.choices]
        return SelectField(label, choices=choices, validate_choice=False)
    return StringField(label)


def _country_choices() -> list[SelectChoice]:
    """Return the country choices in the order the select shows them (EU first)."""
    return [
        SelectChoice(code, name, optgroup=group)
        for group, items in grouped_countries()
        for code, name in items
    ]


def question_fields(form: RegistrationForm) -> list:
    """Return the custom question fields of a form, in order."""
    return [field for field in form if field.name.startswith("q_")]


def form_data(form: RegistrationForm) -> RegistrationData:
    """Turn a submitted form into service input."""
    partnership = form.partnership_id.data or ""
    return RegistrationData(
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        email=form.email.data or "",
        organisation=form.organisation.data or "",
        country=form.country.data or "",
        partnership_id=None if partnership in ("", OTHER) else partnership,
        partnership_other=(form.partnership_other.data or "") if partnership == OTHER else "",
        role=form.role.data or "",
        day_ids=list(form.day_ids.data or []),
        needs=form.needs.data or "",
        answers={field.name[2:]: field.data or "" for field in question_fields(form)},
        consent_privacy=bool(form.consent_privacy.data) if "consent_privacy" in form else False,
        consent_photos=bool(form.consent_photos.data),
    )


def fill_from(form: RegistrationForm, registration: Registration) -> None:
    """Show a registration's current details in the form (for editing)."""
    form.first_name.data = registration.first_name
    form.last_name.data = registration.last_name
    form.email.data = registration.email
    form.organisation.data = registration.organisation
    form.country.data = registration.country
    if registration.partnership_id:
        form.partnership_id.data = str(registration.partnership_id)
    elif registration.partnership_other:
        form.partnership_id.data = OTHER
        form.partnership_other.data = registration.partnership_other
    form.role.data = registration.role
    form.day_ids.data = [str(day.id) for day in registration.days]
    form.needs.data = registration.needs
    form.consent_photos.data = registration.consent_photos
    for field in question_fields(form):
        field.data = (registration.answers or {}).get(field.name[2:], "")


def show_errors(form: RegistrationForm, errors: dict[str, str]) -> None:
    """Attach the service's messages to the matching fields."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*list(form[name].errors or []), message]
