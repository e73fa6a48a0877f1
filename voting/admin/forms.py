"""Admin forms: events and staff access."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from voting.i18n import DEFAULT as DEFAULT_LANGUAGE
from voting.i18n import LANGUAGES


class EventForm(FlaskForm):
    """An event's editable fields."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(
        _l("Event code (4-12 letters or digits)"),
        validators=[DataRequired(), Length(min=4, max=12)],
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    allow_anonymous = BooleanField(_l("Participants may join without registering"), default=True)
    blocked_words = TextAreaField(
        _l("Blocked words (one per line): open-text answers holding one are refused"),
        validators=[Optional(), Length(max=30_000)],
    )
    main_language = SelectField(
        _l("Language of the event's texts (the fallback of their translations)"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default=DEFAULT_LANGUAGE,
    )
    display_language = SelectField(
        _l("Language of the projector's screens"),
        choices=[
            SelectChoice("", _l("The projector browser's own language")),
            *(SelectChoice(code, name) for code, name in LANGUAGES.items()),
        ],
        default="",
    )


class StaffForm(FlaskForm):
    """The email of a staff account to give access to an event."""

    email = EmailField(_l("Staff email"), validators=[DataRequired(), Length(max=254)])


class RegistrationSettingsForm(FlaskForm):
    """How an event registers people; per-day capacities are added as day_<id> fields."""

    registration_open = BooleanField(_l("Registration is open"))
    capacity = IntegerField(_l("Seats for the event (empty: no limit)"), validators=[Optional()])
    requires_approval = BooleanField(_l("Staff approve each registration before it is confirmed"))
    contact_email = EmailField(_l("Contact email shown to attendees"), validators=[Optional()])
    privacy_notice = TextAreaField(
        _l("Privacy notice (empty: the default notice naming the organiser as controller)"),
        validators=[Optional()],
    )
    retention_days = IntegerField(
        _l("Erase personal data this many days after the event (empty: keep)"),
        validators=[Optional()],
    )
    partnerships = TextAreaField(_l("Cluster partnerships, one per line"), validators=[Optional()])


def registration_settings_form(event, **kwargs) -> RegistrationSettingsForm:
    """Return the settings form with one seat field per day of the event."""

    class EventSettingsForm(RegistrationSettingsForm):
        pass

    for day in event.days:
        label = _l("Seats on %(day)s (empty: no limit)", day=day.title)
        setattr(EventSettingsForm, f"day_{day.id}", IntegerField(label, validators=[Optional()]))
    return EventSettingsForm(**kwargs)


class QuestionForm(FlaskForm):
    """A custom question for the registration form."""

    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Answer type"),
        choices=[
            SelectChoice("text", _l("Short text")),
            SelectChoice("choice", _l("One of several answers")),
            SelectChoice("yesno", _l("Yes or no")),
        ],
    )
    choices = TextAreaField(_l("Answers to choose from, one per line"), validators=[Optional()])
    required = BooleanField(_l("An answer is required"))
