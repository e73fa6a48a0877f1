"""Forms of the Q&A: asking on the phone, moderating and settings on the staff page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from voting.qna.service import MAX_LENGTH, MAX_NAME


class AskForm(FlaskForm):
    """A question from a phone; the service checks length, name and duplicates."""

    text = TextAreaField(
        _l("Your question"),
        render_kw={"maxlength": MAX_LENGTH, "rows": 3, "autocomplete": "off"},
    )
    name = StringField(
        _l("Your name (optional)"), render_kw={"maxlength": MAX_NAME, "autocomplete": "name"}
    )
    show_name = BooleanField(_l("Show my name with the question"))


class EditForm(FlaskForm):
    """A moderator's correction of a question's text."""

    text = StringField(_l("Text"), render_kw={"maxlength": MAX_LENGTH})


class SettingsForm(FlaskForm):
    """The event's Q&A settings."""

    needs_approval = BooleanField(_l("Questions need approval before they show"))
    open = BooleanField(_l("Phones may ask questions now"))


class ActionForm(FlaskForm):
    """A bare form for a button: it carries only the CSRF token."""
