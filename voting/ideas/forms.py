"""Forms of the ideas board: proposing on the phone, moderating on the staff page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from voting.ideas.service import MAX_LENGTH


class ProposeForm(FlaskForm):
    """A theme proposed from a phone; the service checks the length and duplicates."""

    text = TextAreaField(
        _l("Your theme"),
        render_kw={"maxlength": MAX_LENGTH, "rows": 2, "autocomplete": "off"},
    )


class EditForm(FlaskForm):
    """A moderator's correction of an idea's text."""

    text = StringField(_l("Text"), render_kw={"maxlength": MAX_LENGTH})


class ActionForm(FlaskForm):
    """A bare form for a button: it carries only the CSRF token."""
