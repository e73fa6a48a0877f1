"""Admin forms: events and staff access."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


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


class StaffForm(FlaskForm):
    """The email of a staff account to give access to an event."""

    email = EmailField(_l("Staff email"), validators=[DataRequired(), Length(max=254)])
