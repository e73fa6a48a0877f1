"""Staff sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from voting import ratelimits
from voting.accounts.forms import LoginForm, SetPasswordForm
from voting.accounts.service import authenticate, set_password, user_for_password_link
from voting.errors import InvalidInput, NotFound
from voting.extensions import db, limiter, login_manager
from voting.models import User
from voting.ratelimits import RateLimited

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the signed-in account from the session."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
# Per address only against floods: a venue signs in many staff from one address, and
# guessing one account's password is held back per account (voting.ratelimits).
@limiter.limit("60 per minute", methods=["POST"])
def login():
    """Show the sign-in form and sign a staff member in."""
    form = LoginForm()
    if form.validate_on_submit():
        account = form.email.data.strip().lower()
        try:
            # Only failed sign-ins count: guessing is held back, the owner is not.
            ratelimits.refuse_if_spent("login", account)
        except RateLimited as error:
            flash(error.message, "error")
            return render_template("accounts/login.html", form=form), error.status
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("admin.home"))
        ratelimits.spend("login", account)
        flash(_("Wrong email or password."), "error")
        return render_template("accounts/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign the staff member out."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("events.index"))


def _safe_next(target: str | None) -> str | None:
    """Return a local path to go to after sign-in, refusing other sites."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as "/" (/\evil.example leaves the site); a line break
    # cannot go in a Location header (the answer was a 500).
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    return target


@bp.route("/password/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def set_password_page(token: str):
    """Let the owner of a new staff account set its password through the mailed link."""
    try:
        user = user_for_password_link(token, current_app.secret_key)
    except NotFound as error:
        return render_template("error.html", message=error.message, status=404), 404
    form = SetPasswordForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Your form expired. Please send it again."), "error")
            return render_template("accounts/set_password.html", form=form, user=user), 400
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
            return render_template("accounts/set_password.html", form=form, user=user), 400
        try:
            set_password(user, form.password.data or "")
        except InvalidInput as error:
            form.password.errors = [error.message]
            return render_template("accounts/set_password.html", form=form, user=user), 400
        # A page of its own rather than the sign-in form: nobody is signed in or out here.
        return render_template("accounts/password_set.html", user=user)
    return render_template("accounts/set_password.html", form=form, user=user)
