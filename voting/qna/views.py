"""Q&A pages: the phone's questions, the projector and the moderation console."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

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
from voting.extensions import db, limiter
from voting.models import Participant, QnaStatus, Registration
from voting.qna import service
from voting.qna.forms import ActionForm, AskForm, EditForm, SettingsForm
from voting.web import event_or_404, participant_key, public_url, staff_view

bp = Blueprint("qna", __name__)


def _sort() -> str:
    """Return the order asked for in ?sort= (top by default)."""
    sort = request.args.get("sort", "top")
    return sort if sort in service.SORTS else "top"


# --- the phone -----------------------------------------------------------------------


@bp.get("/e/<code>/qna")
def questions(code: str):
    """Show the ask form and the questions with this phone's upvotes."""
    event = event_or_404(code)
    if code != event.code:
        return redirect(url_for("qna.questions", code=event.code))
    key = participant_key(event, create=event.allow_anonymous)
    return render_template("qna/questions.html", **_phone_context(event, key, AskForm()))


def _phone_context(event, key, form, error: str | None = None, duplicate=None) -> dict:
    """Collect what the phone's page shows."""
    board = service.board(event.id)
    sort = _sort()
    return {
        "event": event,
        "board": board,
        "questions": service.sort_questions(board["questions"], sort),
        "sort": sort,
        "mine": set(service.mine(event.id, key)),
        "asked": service.asked(event.id, key),
        "attendee_name": _attendee_name(key),
        "limit": service.MAX_OPEN_PER_PARTICIPANT,
        "max_length": service.MAX_LENGTH,
        "blocked": blocked(event, key),
        "form": form,
        "action_form": ActionForm(),
        "error": error,
        "duplicate_id": duplicate,
    }


def _attendee_name(key: str | None) -> str | None:
    """Return the registered name of this phone's attendee, or None for anonymous phones."""
    if not key:
        return None
    row = db.session.execute(
        select(Registration.first_name, Registration.last_name, Registration.erased_at)
        .join(Participant, Participant.registration_id == Registration.id)
        .where(Participant.public_id == key)
    ).first()
    if row is None or row.erased_at is not None:
        return None
    return f"{row.first_name} {row.last_name}".strip() or None


@bp.post("/e/<code>/qna")
@limiter.limit("600 per minute")  # flood guard per address; per person: ratelimits
def ask(code: str):
    """Take a question sent as a plain form."""
    event = event_or_404(code)
    key = phone_participant(event)
    form = AskForm()
    try:
        require_phone_form(form)
        question = service.ask(
            event, key, form.text.data, form.name.data, bool(form.show_name.data)
        )
    except VotingError as error:
        duplicate = getattr(error, "question_id", None)
        context = _phone_context(event, key, form, error.message, duplicate)
        return render_template("qna/questions.html", **context), error.status
    if question.status == QnaStatus.pending:
        flash(_("Thank you! Your question shows once a moderator approves it."), "success")
    else:
        flash(_("Thank you! Your question is on the list."), "success")
    return redirect(url_for("qna.questions", code=event.code))


@bp.post("/e/<code>/qna/<int:question_id>/upvote")
@limiter.limit("1200 per minute")  # flood guard per address; per person: ratelimits
def upvote(code: str, question_id: int):
    """Upvote a question (or withdraw the upvote with up=0) from a plain form."""
    event = event_or_404(code)
    key = phone_participant(event)
    require_form(ActionForm())
    service.upvote(event, key, question_id, up_from_form(request.form))
    sort = _sort()
    return redirect(
        url_for(
            "qna.questions",
            code=event.code,
            sort=None if sort == "top" else sort,
            _anchor=f"q-{question_id}",
        )
    )


# --- the projector ---------------------------------------------------------------------

DISPLAY_LIMIT = 7  # questions below the title, or
STAGE_LIMIT = 4  # below a highlighted question


@bp.get("/e/<code>/qna/display")
def display(code: str):
    """Show the highlighted question big and the top questions, live."""
    event = event_or_404(code)
    board = service.board(event.id)
    sort = _sort()
    return render_template(
        "qna/display.html",
        event=event,
        board=board,
        questions=service.sort_questions(board["questions"], sort),
        sort=sort,
        limit=DISPLAY_LIMIT,
        stage_limit=STAGE_LIMIT,
        questions_url=public_url("qna.questions", code=event.code),
    )


@bp.get("/e/<code>/qna/qr.svg")
def qr(code: str):
    """Return the QR code of the phone's Q&A page as SVG."""
    event = event_or_404(code)
    return qr_response(public_url("qna.questions", code=event.code))


# --- moderation -------------------------------------------------------------------------


@bp.get("/manage/<code>/qna")
@staff_view(can_run_polls)
def manage(event):
    """Show the settings, the stage, the queue, the live list, answered and hidden questions."""
    return render_template("qna/manage.html", **_manage_context(event))


def _manage_context(event) -> dict:
    """Collect what the moderation console shows."""
    board = service.board(event.id)
    settings = service.settings_of(event.id)
    sort = _sort()
    live = service.sort_questions(board["questions"], sort)
    highlighted = next((q for q in live if q["id"] == board["highlighted"]), None)
    return {
        "event": event,
        "board": board,
        "highlighted": highlighted,
        "pending": service.queue(event.id),
        "live": live,
        "sort": sort,
        "keep": None if sort == "top" else sort,
        "answered": board["answered"],
        "hidden": service.staff_list(event.id, QnaStatus.hidden),
        "settings_form": SettingsForm(
            formdata=None, needs_approval=settings.needs_approval, open=settings.open
        ),
        "action_form": ActionForm(),
        "edit_form": EditForm(),
        "max_length": service.MAX_LENGTH,
    }


MODERATION = {
    "approve": (service.approve, _l("Question approved: it is on the list.")),
    "hide": (service.hide, _l("Question hidden.")),
    "answer": (service.mark_answered, _l("Question marked answered.")),
    "highlight": (service.highlight, _l("Question highlighted on the display.")),
}


@bp.post("/manage/<code>/qna/<int:question_id>/<any(approve, hide, answer, highlight):action>")
@staff_view(can_run_polls)
def moderate(event, question_id: int, action: str):
    """Approve, hide, mark answered or highlight one question."""
    moderate_one(ActionForm(), MODERATION, action, event, question_id)
    return _back(event)


@bp.post("/manage/<code>/qna/unhighlight")
@staff_view(can_run_polls)
def unhighlight(event):
    """Leave the display's stage empty."""
    require_form(ActionForm())
    service.clear_highlight(event)
    flash(_("No question is highlighted now."), "success")
    return _back(event)


@bp.post("/manage/<code>/qna/<int:question_id>/edit")
@staff_view(can_run_polls)
def edit(event, question_id: int):
    """Correct a question's text."""
    save_text(EditForm(), service.edit, event, question_id, _("Question saved."))
    return _back(event)


@bp.post("/manage/<code>/qna/settings")
@staff_view(can_run_polls)
def settings(event):
    """Change whether questions need approval and whether phones may ask now."""
    form = SettingsForm()
    require_form(form)
    service.update_settings(
        event, needs_approval=bool(form.needs_approval.data), open_=bool(form.open.data)
    )
    flash(_("Q&A settings saved."), "success")
    return _back(event)


def _back(event):
    """Return to the moderation console, keeping its order."""
    sort = request.args.get("sort")
    return redirect(
        url_for("qna.manage", code=event.code, sort=sort if sort in service.SORTS else None)
    )
