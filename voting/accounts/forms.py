"""Sign-in form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Email and password of a staff account."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (the mailed set-password link)."""

    password = PasswordField(
        _l("New password (at least 8 characters)"), validators=[Length(max=200)]
    )
    confirm = PasswordField(_l("The same password again"), validators=[Length(max=200)])
