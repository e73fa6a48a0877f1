"""Console forms for polls."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KIND_CHOICES = [
    SelectChoice("single", _l("Single choice")),
    SelectChoice("multiple", _l("Multiple choice")),
    SelectChoice("yes_no", _l("Yes / no / abstain")),
    SelectChoice("quiz", _l("Quiz (one correct answer)")),
    SelectChoice("rating", _l("Rating scale")),
    SelectChoice("points", _l("Points allocation")),
    SelectChoice("ranking", _l("Ranking")),
    SelectChoice("text", _l("Open text and word cloud")),
]
MAJORITY_CHOICES = [
    SelectChoice("none", _l("No required majority")),
    SelectChoice("simple", _l("Simple majority (more yes than no)")),
    SelectChoice("two_thirds", _l("Two-thirds majority of yes and no")),
]
VISIBILITY_CHOICES = [
    SelectChoice("live", _l("Live, as votes come in")),
    SelectChoice("after_close", _l("After the poll closes")),
    SelectChoice("hidden", _l("Hidden until I reveal them")),
]
ELIGIBILITY_CHOICES = [
    SelectChoice("anyone", _l("Anyone who joined")),
    SelectChoice("registered", _l("Registered attendees (confirmed)")),
    SelectChoice("checked_in", _l("Checked-in attendees")),
    SelectChoice("organisation", _l("One vote per organisation")),
]


class PollForm(FlaskForm):
    """A poll's question and settings; the options come as repeated `option` fields."""

    title = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Details (optional)"), validators=[Optional(), Length(max=2000)])
    kind = SelectField(_l("Type"), choices=KIND_CHOICES, default="single")
    max_choices = IntegerField(
        _l("Maximum choices (multiple choice)"),
        default=2,
        validators=[Optional(), NumberRange(min=1, max=30)],
    )
    visibility = SelectField(_l("Show results"), choices=VISIBILITY_CHOICES, default="live")
    allow_change = BooleanField(
        _l("Participants may change their vote while it is open"), default=True
    )
    eligibility = SelectField(_l("Who may vote"), choices=ELIGIBILITY_CHOICES, default="anyone")
    show_countries = BooleanField(_l("Show turnout by country on the display"), default=False)
    budget = IntegerField(
        _l("Points to split (points allocation)"),
        default=100,
        validators=[Optional(), NumberRange(min=1, max=10_000)],
    )
    scale = IntegerField(
        _l("Scale from 1 to (rating)"),
        default=5,
        validators=[Optional(), NumberRange(min=2, max=10)],
    )
    scale_low_label = StringField(
        _l("Label of the lowest value (rating)"), validators=[Optional(), Length(max=60)]
    )
    scale_high_label = StringField(
        _l("Label of the highest value (rating)"), validators=[Optional(), Length(max=60)]
    )
    majority = SelectField(
        _l("Required majority (yes / no)"), choices=MAJORITY_CHOICES, default="none"
    )
    moderate_answers = BooleanField(
        _l("Answers wait for a moderator before they show (open text)"), default=False
    )
    secret = BooleanField(_l("Secret ballot"), default=False)
    duration = IntegerField(
        _l("Timer in seconds (empty: no timer)"),
        validators=[Optional(), NumberRange(min=5, max=86_400)],
    )
    weighted = BooleanField(
        _l("Weighted: each ballot counts with its voter's weight"), default=False
    )


class ActionForm(FlaskForm):
    """A bare form for a console button: it carries only the CSRF token."""


class DisplayOptionsForm(FlaskForm):
    """How the projector shows everything: chosen by a moderator in the console."""

    contrast = BooleanField(_l("High contrast"))
    large_text = BooleanField(_l("Large text"))
