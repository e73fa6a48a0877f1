"""The moderator console: prepare polls, open and close them, steer the display."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from voting.database import as_id
from voting.display import options as display_options
from voting.errors import InvalidInput, VotingError
from voting.i18n import LANGUAGES
from voting.polls import audit, service
from voting.polls.forms import ActionForm, DisplayOptionsForm, PollForm
from voting.web import staff_view

bp = Blueprint("polls", __name__, url_prefix="/manage/<code>/polls")
EMPTY_OPTION_ROWS = 3


@bp.get("")
@staff_view()
def console(event):
    """Show the console: every poll with its status, votes and actions."""
    return render_template(
        "polls/console.html",
        event=event,
        polls=event.polls,
        results={poll.id: service.results_payload(poll, staff=True) for poll in event.polls},
        action_form=ActionForm(),
        next_up=service.next_draft(event),
        display_form=DisplayOptionsForm(
            contrast=event.display_contrast, large_text=event.display_large_text
        ),
    )


@bp.get("/audit")
@staff_view()
def audit_log(event):
    """Show the event's hash-chained log of poll actions and whether the chain holds."""
    return render_template(
        "polls/audit.html",
        event=event,
        entries=audit.entries(event.id),
        verification=audit.verify(event.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_view()
def create(event):
    """Prepare a new poll."""
    form = PollForm()
    if form.validate_on_submit():
        try:
            poll = service.create_poll(event, _poll_data(form))
        except VotingError as error:
            return _form_page(event, form, None, error.message), error.status
        flash(_("Poll “%(title)s” is prepared.", title=poll.title), "success")
        return redirect(url_for("polls.console", code=event.code))
    return _form_page(event, form, None), 400 if form.errors else 200


@bp.route("/<int:poll_id>/edit", methods=["GET", "POST"])
@staff_view()
def edit(event, poll_id: int):
    """Change a poll's question, options and settings."""
    poll = service.find_poll(event, poll_id)
    form = PollForm(obj=poll) if request.method == "GET" else PollForm()
    if request.method == "GET" and poll.kind == "rating":
        form.scale.data = len(poll.options)
    if request.method == "GET":
        form.duration.data = poll.duration_seconds
    if form.validate_on_submit():
        try:
            service.update_poll(poll, _poll_data(form))
        except VotingError as error:
            return _form_page(event, form, poll, error.message), error.status
        flash(_("Poll saved."), "success")
        return redirect(url_for("polls.console", code=event.code))
    return _form_page(event, form, poll), 400 if form.errors else 200


def _form_page(event, form, poll, error: str | None = None):
    """Render the poll form with its option rows (kept from the submission if any)."""
    if request.method == "POST":
        rows = list(
            zip(request.form.getlist("option_id"), request.form.getlist("option"), strict=False)
        )
        correct = request.form.get("correct", "")
    elif poll is not None:
        rows = [(str(option.id), option.label) for option in poll.options]
        correct = next((str(i) for i, o in enumerate(poll.options) if o.correct), "")
    else:
        rows, correct = [], ""
    rows += [("", "")] * max(EMPTY_OPTION_ROWS, 4 - len(rows))
    if error:
        flash(error, "error")
    return render_template(
        "polls/form.html",
        event=event,
        form=form,
        poll=poll,
        rows=rows,
        correct=correct,
        translated=_translation_rows(event, poll),
    )


def _translation_rows(event, poll) -> list[dict]:
    """Return the form's translation fields: one group per language but the event's own."""
    rows = []
    for lang, name in LANGUAGES.items():
        if lang == event.main_language:
            continue
        if request.method == "POST":
            title, description, answers = (
                request.form.get(f"{part}_{lang}", "")
                for part in ("title", "description", "options")
            )
        else:
            stored = (poll.translations or {}).get(lang, {}) if poll is not None else {}
            labels = stored.get("options", {})
            title, description = stored.get("title", ""), stored.get("description", "")
            answers = "\n".join(labels.get(o.label, "") for o in poll.options) if labels else ""
        rows.append(
            {
                "lang": lang,
                "name": name,
                "title": title,
                "description": description,
                "options": answers,
            }
        )
    return rows


def _translations_from_form() -> dict:
    """Read the translation fields: {lang: {title, description, options: [lines]}}."""
    given = {}
    for lang in LANGUAGES:
        texts = {part: request.form.get(f"{part}_{lang}", "") for part in ("title", "description")}
        lines = request.form.get(f"options_{lang}", "").strip("\n")
        texts["options"] = lines.splitlines() if lines.strip() else []
        if any(texts.values()):
            given[lang] = texts
    return given


def _poll_data(form: PollForm) -> service.PollData:
    """Build the service's PollData from the form and the repeated option fields."""
    labels = request.form.getlist("option")
    raw_ids = request.form.getlist("option_id")
    raw_ids += [""] * (len(labels) - len(raw_ids))
    option_ids: list[int | None] = []
    for raw in raw_ids[: len(labels)]:
        if raw and as_id(raw) is None:
            raise InvalidInput(_("An option id is not a number."), "invalid_options")
        option_ids.append(as_id(raw) if raw else None)
    return service.PollData(
        title=form.title.data,
        description=form.description.data or "",
        options=labels,
        option_ids=option_ids,
        kind=form.kind.data,
        max_choices=form.max_choices.data or 1,
        visibility=form.visibility.data,
        allow_change=form.allow_change.data,
        eligibility=form.eligibility.data,
        show_countries=form.show_countries.data,
        budget=form.budget.data or 100,
        scale=form.scale.data or 5,
        scale_low_label=form.scale_low_label.data or "",
        scale_high_label=form.scale_high_label.data or "",
        majority=form.majority.data,
        correct=[int(raw)]
        if (raw := request.form.get("correct", "")).isdecimal() and len(raw) <= 4
        else [],
        moderate_answers=form.moderate_answers.data,
        secret=form.secret.data,
        weighted=form.weighted.data,
        duration=form.duration.data,
        translations=_translations_from_form(),
    )


ACTIONS = {
    "open": (service.open_poll, _l("Poll opened.")),
    "close": (service.close_poll, _l("Poll closed.")),
    "reopen": (service.open_poll, _l("Poll reopened.")),
    "reset": (service.reset_poll, _l("All votes of the poll were deleted.")),
    "reveal": (service.reveal_results, _l("Results revealed.")),
    "hide": (lambda poll: service.reveal_results(poll, revealed=False), _l("Results hidden.")),
    "duplicate": (service.duplicate_poll, _l("Poll duplicated.")),
    "delete": (service.delete_poll, _l("Poll deleted.")),
    "publish_receipts": (service.publish_receipts, _l("Receipts published.")),
    "withdraw_receipts": (
        lambda poll: service.publish_receipts(poll, published=False),
        _l("Receipts withdrawn."),
    ),
}


@bp.post("/<int:poll_id>/<action>")
@staff_view()
def act(event, poll_id: int, action: str):
    """Run a console button's action on a poll (open, close, reset, show, ...)."""
    form = ActionForm()
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the console."), "invalid_form")
    poll = service.find_poll(event, poll_id)
    try:
        _run_action(event, poll, action)
    except VotingError as error:
        flash(error.message, "error")
        return console.__wrapped__(event), error.status
    return redirect(url_for("polls.console", code=event.code) + f"#poll-{poll_id}")


def _run_action(event, poll, action: str) -> None:
    """Call the service behind a console button and flash what happened."""
    if action in ("reset", "delete") and request.form.get("confirm") != "yes":
        raise InvalidInput(_("Tick the confirmation box to do that."), "confirmation_required")
    if action == "show":
        service.show_on_display(event, poll)
        flash(_("The display shows “%(title)s”.", title=poll.title), "success")
    elif action in ACTIONS:
        function, message = ACTIONS[action]
        function(poll)
        flash(str(message), "success")
    else:
        raise InvalidInput(_("Unknown action."), "unknown_action")


@bp.post("/<int:poll_id>/answers/<int:ballot_id>")
@staff_view()
def moderate_answer(event, poll_id: int, ballot_id: int):
    """Show, hide or hold back one open-text answer (the form's `status`)."""
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the console."), "invalid_form")
    poll = service.find_poll(event, poll_id)
    service.moderate_answer(poll, ballot_id, request.form.get("status", ""))
    flash(_("Answer moderated."), "success")
    return redirect(url_for("polls.console", code=event.code) + f"#poll-{poll_id}")


@bp.post("/next")
@staff_view()
def next_poll(event):
    """Close the poll on the display and open the next prepared one (a sequence)."""
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the console."), "invalid_form")
    try:
        poll = service.open_next(event)
    except VotingError as error:  # e.g. another console opened the last prepared poll
        flash(error.message, "error")
        return console.__wrapped__(event), error.status
    flash(_("Now open: “%(title)s”.", title=poll.title), "success")
    return redirect(url_for("polls.console", code=event.code) + f"#poll-{poll.id}")


@bp.post("/display/clear")
@staff_view()
def clear_display(event):
    """Put the display back to its join screen."""
    if not ActionForm().validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the console."), "invalid_form")
    service.show_on_display(event, None)
    flash(_("The display shows the join screen."), "success")
    return redirect(url_for("polls.console", code=event.code))


@bp.post("/display/options")
@staff_view()
def display_look(event):
    """Switch the projector's high-contrast theme and large-text mode; screens follow live."""
    form = DisplayOptionsForm()
    if not form.validate_on_submit():
        raise InvalidInput(_("Your form expired. Reload the console."), "invalid_form")
    chosen = display_options.set_options(
        event, contrast=form.contrast.data, large_text=form.large_text.data
    )
    names = [
        str(label)
        for on, label in (
            (chosen["contrast"], _("high contrast")),
            (chosen["large_text"], _("large text")),
        )
        if on
    ]
    if names:
        flash(_("The display shows: %(options)s.", options=", ".join(names)), "success")
    else:
        flash(_("The display shows its standard look."), "success")
    return redirect(url_for("polls.console", code=event.code))
