"""Ideas board pages: the phone's board, the projector board and the moderation page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from voting.accounts.service import can_run_polls
from voting.boards import (
    blocked,
    moderate_one,
    phone_participant,
    qr_response,
    require_form,
    require_phone_form,
    save_text,
    up_from_form,
)
from voting.errors import VotingError
from voting.extensions import limiter
from voting.ideas import service
from voting.ideas.forms import ActionForm, EditForm, ProposeForm
from voting.web import event_or_404, participant_key, public_url, staff_view

bp = Blueprint("ideas", __name__)


# --- the phone -----------------------------------------------------------------------


@bp.get("/e/<code>/ideas")
def board(code: str):
    """Show the propose form and the ranked board with this phone's upvotes."""
    event = event_or_404(code)
    if code != event.code:
        return redirect(url_for("ideas.board", code=event.code))
    key = participant_key(event, create=event.allow_anonymous)
    return render_template("ideas/board.html", **_board_context(event, key, ProposeForm()))


def _board_context(event, key, form, error: str | None = None, duplicate=None) -> dict:
    """Collect what the phone's board shows."""
    return {
        "event": event,
        "ideas": service.ranked(event.id),
        "mine": set(service.mine(event.id, key)),
        "open_count": service.my_open_count(event.id, key),
        "limit": service.MAX_OPEN_PER_PARTICIPANT,
        "blocked": blocked(event, key),
        "form": form,
        "action_form": ActionForm(),
        "error": error,
        "duplicate_id": duplicate,
    }


@bp.post("/e/<code>/ideas")
@limiter.limit("600 per minute")  # flood guard per address; per person: ratelimits
def propose(code: str):
    """Take a proposed theme sent as a plain form."""
    event = event_or_404(code)
    key = phone_participant(event)
    form = ProposeForm()
    try:
        require_phone_form(form)
        service.propose(event, key, form.text.data)
    except VotingError as error:
        duplicate = getattr(error, "idea_id", None)
        context = _board_context(event, key, form, error.message, duplicate)
        return render_template("ideas/board.html", **context), error.status
    flash(_("Thank you! A moderator will put your idea on the board."), "success")
    return redirect(url_for("ideas.board", code=event.code))


@bp.post("/e/<code>/ideas/<int:idea_id>/upvote")
@limiter.limit("1200 per minute")  # flood guard per address; per person: ratelimits
def upvote(code: str, idea_id: int):
    """Upvote an idea (or withdraw the upvote with up=0) from a plain form."""
    event = event_or_404(code)
    key = phone_participant(event)
    require_phone_form(ActionForm())
    service.upvote(event, key, idea_id, up_from_form(request.form))
    return redirect(url_for("ideas.board", code=event.code, _anchor=f"idea-{idea_id}"))


# --- the projector ---------------------------------------------------------------------


@bp.get("/e/<code>/ideas/display")
def display(code: str):
    """Show the ranked board for the projector, live."""
    event = event_or_404(code)
    return render_template(
        "ideas/display.html",
        event=event,
        ideas=service.ranked(event.id),
        board_url=public_url("ideas.board", code=event.code),
    )


@bp.get("/e/<code>/ideas/qr.svg")
def qr(code: str):
    """Return the QR code of the phone's ideas page as SVG."""
    event = event_or_404(code)
    return qr_response(public_url("ideas.board", code=event.code))


# --- moderation -------------------------------------------------------------------------


@bp.get("/manage/<code>/ideas")
@staff_view(can_run_polls)
def manage(event):
    """Show the moderation queue, the board with its actions, and the hidden ideas."""
    return render_template("ideas/manage.html", **_manage_context(event))


def _manage_context(event) -> dict:
    """Collect what the moderation page shows."""
    return {
        "event": event,
        "pending": service.queue(event.id),
        "ideas": service.ranked(event.id),
        "hidden": service.hidden(event.id),
        "themes": event.themes,
        "action_form": ActionForm(),
        "edit_form": EditForm(),
        "max_length": service.MAX_LENGTH,
    }


MODERATION = {
    "approve": (service.approve, _l("Idea approved: it is on the board.")),
    "hide": (service.hide, _l("Idea hidden.")),
}


@bp.post("/manage/<code>/ideas/<int:idea_id>/<any(approve, hide):action>")
@staff_view(can_run_polls)
def moderate(event, idea_id: int, action: str):
    """Approve or hide one idea."""
    moderate_one(ActionForm(), MODERATION, action, event, idea_id)
    return _back(event)


@bp.post("/manage/<code>/ideas/<int:idea_id>/edit")
@staff_view(can_run_polls)
def edit(event, idea_id: int):
    """Correct an idea's text."""
    save_text(EditForm(), service.edit, event, idea_id, _("Idea saved."))
    return _back(event)


@bp.post("/manage/<code>/ideas/<int:idea_id>/merge")
@staff_view(can_run_polls)
def merge(event, idea_id: int):
    """Fold a duplicate into the idea chosen in the form."""
    require_form(ActionForm())
    target = service.merge(event, idea_id, request.form.get("into", ""))
    flash(_("Merged into “%(text)s”.", text=target.text), "success")
    return _back(event)


@bp.post("/manage/<code>/ideas/promote")
@staff_view(can_run_polls)
def promote(event):
    """Make themes of the ticked ideas, or of the board's top N."""
    require_form(ActionForm())
    if request.form.get("top"):
        themes = service.promote(event, top=request.form["top"][:12])
    else:
        themes = service.promote(event, idea_ids=request.form.getlist("idea")[:100])
    if themes:
        message = ngettext(
            "%(num)d idea promoted to a theme.", "%(num)d ideas promoted to themes.", len(themes)
        )
    else:
        message = _("No new theme: these ideas are themes already.")
    flash(message, "success")
    return _back(event)


def _back(event):
    """Return to the moderation page."""
    return redirect(url_for("ideas.manage", code=event.code))
