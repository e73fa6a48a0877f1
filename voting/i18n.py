"""Interface languages: which one a page is shown in, and the picker that changes it.

Order of choice for a request: `?lang=xx` in the address (links, a projector's URL),
then the projector's language set by the event's moderators (display pages only),
then the language this browser picked (a cookie, kept for a year, so a phone keeps it
for the whole event and staff keep theirs), then the browser's own preference, then
English. Adding a language is adding a catalogue under voting/translations and a line
in LANGUAGES.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, has_request_context, redirect, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

# Each language named in itself: a person looks for their own language's name.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "de": "Deutsch"}
DEFAULT = "en"
COOKIE = "plenum_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


class LanguageForm(FlaskForm):
    """The language picker: one choice among the catalogues shipped."""

    language = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])


def supported(code: object) -> str | None:
    """Return the code if it is one of ours ("fr", "FR", "fr-BE" give "fr"), else None."""
    if not isinstance(code, str) or not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def select_locale() -> str:
    """Return the language of this request (see the module docstring for the order)."""
    if not has_request_context():  # a socket's hot path, a command: the default
        return DEFAULT
    chosen = supported(request.args.get("lang"))
    if chosen:
        return chosen
    projector = _display_language()
    if projector:
        return projector
    chosen = supported(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def _display_language() -> str | None:
    """Return the event's projector language on display pages, if its moderators set one."""
    endpoint = request.endpoint or ""
    if not endpoint.endswith(".display") or not request.view_args:
        return None
    from voting.events.service import display_language_of

    return supported(display_language_of(request.view_args.get("code")))


@bp.post("/language")
def choose():
    """Remember the language this browser picked and go back to the page it came from."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400, _("Pick one of the languages offered."))
    response = redirect(_back_to(request.form.get("next")))
    response.set_cookie(
        COOKIE,
        form.language.data,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


def _back_to(target: str | None) -> str:
    """Return a local path to go back to (never another site), without a one-off ?lang."""
    # Browsers read a backslash as "/": /\evil.example would leave the site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("lang="))
    return parts.path + (f"?{query}" if query else "")


def init_app(app: Flask) -> None:
    """Register the picker's route and give templates the languages offered."""
    app.register_blueprint(bp)

    @app.context_processor
    def _languages() -> dict:
        return {"languages": LANGUAGES}
