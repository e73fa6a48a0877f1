"""Forms of the public event pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class JoinForm(FlaskForm):
    """The event code a participant types on the home page."""

    code = StringField(
        _l("Event code"),
        validators=[DataRequired(), Length(min=2, max=20)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class VoteForm(FlaskForm):
    """A vote sent as a plain form (the page without JavaScript)."""

    # Made by the server when it renders the form, so a resubmitted form is recorded once.
    vote_id = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])
