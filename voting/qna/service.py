"""Q&A rules: ask, moderate, highlight, answer, upvote and rank questions.

Views, socket handlers and the API call these functions only; every change is published
after its commit (docs/realtime.md, "Q&A"). Pending and hidden questions never leave
for a public room: only moderators and the asker's own phone see them.
"""

from __future__ import annotations

from functools import partial

from flask_babel import gettext as _
from sqlalchemy import func, select

from voting import boards, ratelimits, realtime
from voting.boards import (
    Channel,
    UpvoteResult,
    Upvotes,
    event_id_of,
    in_event,
    locked_event,
    participant_row,
    text_key,
)
from voting.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from voting.extensions import db
from voting.models import (
    Event,
    Participant,
    QnaQuestion,
    QnaSettings,
    QnaStatus,
    QnaUpvote,
    Registration,
    utcnow,
)

MIN_LENGTH = 3
MAX_LENGTH = 300
MAX_NAME = 60
MAX_OPEN_PER_PARTICIPANT = 5  # pending + approved questions one participant may have
MAX_QUESTIONS_PER_EVENT = 2000
PUBLIC = (QnaStatus.approved, QnaStatus.answered)
OPEN = (QnaStatus.pending, QnaStatus.approved)
SORTS = ("top", "recent")


class DuplicateQuestion(Conflict):
    """The text repeats a question of the event; carries its id when it is on the list."""

    code = "duplicate_question"

    def __init__(self, message: str, question_id: int | None) -> None:
        super().__init__(message)
        self.question_id = question_id

    def as_ack(self) -> dict:
        """Return the error ack with the id of the question to upvote instead."""
        return {**super().as_ack(), "question_id": self.question_id}


UPVOTES = Upvotes(QnaUpvote.question_id, QnaQuestion)


# --- payloads ------------------------------------------------------------------------


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def question_payload(question: QnaQuestion, name: str | None, votes: int) -> dict:
    """Return what everyone may see of an approved or answered question."""
    return {
        "id": question.id,
        "text": question.text,
        "name": name,
        "votes": votes,
        "status": str(question.status),
        "created_at": _iso(question.created_at),
        "answered_at": _iso(question.answered_at),
    }


# --- settings ----------------------------------------------------------------------


def settings_of(event_id: int) -> QnaSettings:
    """Return the event's Q&A settings (defaults, not stored, when never changed)."""
    settings = db.session.scalar(select(QnaSettings).where(QnaSettings.event_id == event_id))
    return settings or QnaSettings(event_id=event_id, needs_approval=True, open=True)


def _stored_settings(event_id: int) -> QnaSettings:
    """Return the event's settings row, created if missing (inside a write transaction)."""
    settings = db.session.scalar(select(QnaSettings).where(QnaSettings.event_id == event_id))
    if settings is None:
        settings = QnaSettings(event_id=event_id, needs_approval=True, open=True)
        db.session.add(settings)
    return settings


def update_settings(event: Event, *, needs_approval, open_) -> QnaSettings:
    """Change whether questions need approval and whether phones may ask now."""
    if not isinstance(needs_approval, bool) or not isinstance(open_, bool):
        raise InvalidInput(_("Settings must be true or false."), "invalid_settings")
    locked_event(event.id)
    settings = _stored_settings(event.id)
    settings.needs_approval = needs_approval
    settings.open = open_
    db.session.commit()
    CHANNEL.push_board(event.id)
    return settings


# --- reading -----------------------------------------------------------------------


def _with_names(event_id: int, *statuses: QnaStatus) -> list[tuple[QnaQuestion, str | None]]:
    """Return the event's questions of some statuses with the name shown, oldest first.

    An attendee who chose to be named shows their registration's current name (so an
    erased registration shows nobody); anyone else the name they typed.
    """
    rows = db.session.execute(
        select(QnaQuestion, Registration.first_name, Registration.last_name, Registration.erased_at)
        .outerjoin(Participant, Participant.id == QnaQuestion.participant_id)
        .outerjoin(Registration, Registration.id == Participant.registration_id)
        .where(QnaQuestion.event_id == event_id, QnaQuestion.status.in_(statuses))
        .order_by(QnaQuestion.created_at, QnaQuestion.id)
    )
    named = []
    for question, first, last, erased in rows.all():
        name = None
        if question.show_name:
            if first is not None or last is not None:
                name = None if erased else f"{first or ''} {last or ''}".strip() or None
            else:
                name = question.author_name or None
        named.append((question, name))
    return named


def _ranked(event_id: int, counts: dict[int, int]) -> list[dict]:
    """Return approved questions by upvotes (most first), then oldest first."""
    rows = _with_names(event_id, QnaStatus.approved)  # oldest first; sort is stable
    rows.sort(key=lambda row: -counts.get(row[0].id, 0))
    return [question_payload(q, name, counts.get(q.id, 0)) for q, name in rows]


def _answered(event_id: int, counts: dict[int, int]) -> list[dict]:
    """Return answered questions, the latest answered first."""
    rows = _with_names(event_id, QnaStatus.answered)
    rows.sort(key=lambda row: row[0].answered_at or row[0].created_at, reverse=True)
    return [question_payload(q, name, counts.get(q.id, 0)) for q, name in rows]


def board(event_id: int) -> dict:
    """Return the public Q&A: live questions ranked, answered ones, the highlighted one."""
    counts = UPVOTES.counts(event_id)
    settings = settings_of(event_id)
    questions = _ranked(event_id, counts)
    live = {q["id"] for q in questions}
    highlighted = settings.highlighted_id if settings.highlighted_id in live else None
    return {
        "open": settings.open,
        "needs_approval": settings.needs_approval,
        "highlighted": highlighted,
        "questions": questions,
        "answered": _answered(event_id, counts),
    }


def board_snapshot(event_id: int) -> dict:
    """Return the board with a sequence number, as pushed and as acked on join."""
    return {"seq": realtime.next_seq(), **board(event_id)}


def sort_questions(questions: list[dict], sort: str) -> list[dict]:
    """Return questions in the order asked for: top (as ranked) or recent (newest first)."""
    if sort == "recent":
        return sorted(questions, key=lambda q: (q["created_at"] or "", q["id"]), reverse=True)
    return questions


def staff_list(event_id: int, *statuses: QnaStatus) -> list[dict]:
    """Return questions of some statuses for moderators (pending and hidden ones too)."""
    counts = UPVOTES.counts(event_id)
    return [
        question_payload(q, name, counts.get(q.id, 0))
        for q, name in _with_names(event_id, *statuses)
    ]


def queue(event_id: int) -> list[dict]:
    """Return the questions waiting for moderation, oldest first."""
    return staff_list(event_id, QnaStatus.pending)


def mine(event_id: int, participant_key: str | None) -> list[int]:
    """Return the ids of the event's questions this participant upvoted."""
    return UPVOTES.by(event_id, participant_key)


def asked(event_id: int, participant_key: str | None) -> list[dict]:
    """Return this participant's own questions that are not hidden: {id, text, status}."""
    if not participant_key:
        return []
    rows = db.session.scalars(
        select(QnaQuestion)
        .join(Participant, Participant.id == QnaQuestion.participant_id)
        .where(
            Participant.public_id == participant_key,
            QnaQuestion.event_id == event_id,
            QnaQuestion.status != QnaStatus.hidden,
        )
        .order_by(QnaQuestion.created_at, QnaQuestion.id)
    )
    return [{"id": q.id, "text": q.text, "status": str(q.status)} for q in rows]


def find_question(event: Event | int, question_id) -> QnaQuestion:
    """Return the event's question with this id or raise NotFound."""
    question = in_event(QnaQuestion, event_id_of(event), question_id)
    if question is None:
        raise NotFound(_("This question does not exist in this event."), "unknown_question")
    return question


# --- text rules --------------------------------------------------------------------


def clean_text(text) -> str:
    """Return the question trimmed with inner spaces collapsed, or refuse it."""
    not_text = _("Write your question as text.")
    bad_length = _(
        "A question needs %(min)d to %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH
    )
    return boards.clean_text(text, MIN_LENGTH, MAX_LENGTH, not_text, bad_length)


def clean_name(name) -> str:
    """Return a typed name trimmed (empty: anonymous), or refuse it."""
    if name is None:
        return ""
    if not isinstance(name, str):
        raise InvalidInput(_("Write your name as text."), "invalid_name")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(
            _("A name has at most %(max)d characters.", max=MAX_NAME), "invalid_name"
        )
    return cleaned


def _check_unique(event_id: int, text: str, exclude: int | None = None) -> None:
    """Refuse a text that repeats a question of the event that is not hidden."""
    key = text_key(text)
    rows = db.session.scalars(
        select(QnaQuestion).where(
            QnaQuestion.event_id == event_id, QnaQuestion.status != QnaStatus.hidden
        )
    )
    for question in rows:
        if question.id != exclude and text_key(question.text) == key:
            raise _duplicate(question)


def _duplicate(question: QnaQuestion) -> DuplicateQuestion:
    """Return the refusal for a repeated text, pointing to the question to upvote if live."""
    if question.status == QnaStatus.approved:
        message = _("This question was asked already: upvote it instead.")
        return DuplicateQuestion(message, question.id)
    if question.status == QnaStatus.answered:
        return DuplicateQuestion(_("This question was answered already."), None)
    return DuplicateQuestion(_("This question was asked already and awaits moderation."), None)


# --- asking ------------------------------------------------------------------------


def ask(event: Event, participant_key: str | None, text, name=None, show_name=False) -> QnaQuestion:
    """Store a question: pending if the Q&A needs approval, else straight on the list.

    Attendees signed in by their personal link are named by their registration when
    they tick show_name; anyone else by the name they type (none: anonymous).
    """
    text = clean_text(text)
    name = clean_name(name)
    if not isinstance(show_name, bool):
        raise InvalidInput(_("show_name must be true or false."), "invalid_payload")
    if not participant_key:
        raise NotAuthenticated(_("Open the event page first."), "no_session")
    ratelimits.check("question", participant_key)
    locked_event(event.id)
    try:
        participant = participant_row(event.id, participant_key, create=True)
        settings = settings_of(event.id)
        _check_question(event.id, participant, text, settings)
    except Exception:
        db.session.rollback()
        raise
    attendee = participant.registration_id is not None
    question = QnaQuestion(
        event_id=event.id,
        text=text,
        participant_id=participant.id,
        show_name=show_name if attendee else bool(name),
        author_name="" if attendee else name,
        status=QnaStatus.pending if settings.needs_approval else QnaStatus.approved,
        created_at=utcnow(),
    )
    db.session.add(question)
    db.session.commit()
    if question.status == QnaStatus.approved:
        CHANNEL.push_board(event.id)
    CHANNEL.push_queue(event.id)
    return question


def _check_question(event_id: int, participant, text: str, settings: QnaSettings) -> None:
    """Refuse while closed, a repeated text, a participant's sixth open question, a full Q&A."""
    if not settings.open:
        raise Conflict(_("The Q&A takes no questions right now."), "qna_closed")
    _check_unique(event_id, text)
    mine_open = db.session.scalar(
        select(func.count()).where(
            QnaQuestion.participant_id == participant.id,
            QnaQuestion.event_id == event_id,
            QnaQuestion.status.in_(OPEN),
        )
    )
    if mine_open >= MAX_OPEN_PER_PARTICIPANT:
        raise Conflict(
            _("You have %(n)d questions waiting or on the list already.", n=mine_open),
            "too_many_questions",
        )
    total = db.session.scalar(select(func.count()).where(QnaQuestion.event_id == event_id))
    if total >= MAX_QUESTIONS_PER_EVENT:
        raise Conflict(_("The Q&A takes no more questions."), "qna_full")


# --- moderation --------------------------------------------------------------------


def _moderated(event: Event, question_id) -> QnaQuestion:
    """Lock the event and return one of its questions, ending the transaction if none."""
    locked_event(event.id)
    try:
        return find_question(event.id, question_id)
    except NotFound:
        db.session.rollback()
        raise


def _unhighlight_if(event_id: int, question_id: int) -> None:
    """Take a question off the display's stage if it is there."""
    settings = db.session.scalar(select(QnaSettings).where(QnaSettings.event_id == event_id))
    if settings is not None and settings.highlighted_id == question_id:
        settings.highlighted_id = None


def approve(event: Event, question_id) -> QnaQuestion:
    """Put a pending, hidden or answered question (back) on the list."""
    question = _moderated(event, question_id)
    question.status = QnaStatus.approved
    question.answered_at = None
    db.session.commit()
    CHANNEL.push_all(event.id)
    return question


def hide(event: Event, question_id) -> QnaQuestion:
    """Take a question off every public screen (its upvotes are kept should it come back)."""
    question = _moderated(event, question_id)
    question.status = QnaStatus.hidden
    _unhighlight_if(event.id, question.id)
    db.session.commit()
    CHANNEL.push_all(event.id)
    return question


def mark_answered(event: Event, question_id) -> QnaQuestion:
    """Mark a live question answered; it leaves the stage and the upvotable list."""
    question = _moderated(event, question_id)
    if question.status != QnaStatus.approved:
        db.session.rollback()
        raise Conflict(_("Only questions on the list can be marked answered."), "not_live")
    question.status = QnaStatus.answered
    question.answered_at = utcnow()
    _unhighlight_if(event.id, question.id)
    db.session.commit()
    CHANNEL.push_all(event.id)
    return question


def highlight(event: Event, question_id) -> QnaQuestion:
    """Put a live question on the display's stage, replacing the one there."""
    question = _moderated(event, question_id)
    if question.status != QnaStatus.approved:
        db.session.rollback()
        raise Conflict(_("Only questions on the list can be highlighted."), "not_live")
    _stored_settings(event.id).highlighted_id = question.id
    db.session.commit()
    CHANNEL.push_board(event.id)
    return question


def clear_highlight(event: Event) -> None:
    """Leave the display's stage empty."""
    locked_event(event.id)
    settings = db.session.scalar(select(QnaSettings).where(QnaSettings.event_id == event.id))
    if settings is not None:
        settings.highlighted_id = None
    db.session.commit()
    CHANNEL.push_board(event.id)


def edit(event: Event, question_id, text) -> QnaQuestion:
    """Correct a question's text (typos, clearer wording); name and upvotes stay."""
    text = clean_text(text)
    question = _moderated(event, question_id)
    try:
        _check_unique(event.id, text, exclude=question.id)
    except DuplicateQuestion:
        db.session.rollback()
        raise
    question.text = text
    db.session.commit()
    CHANNEL.push_all(event.id)
    return question


# --- upvotes -----------------------------------------------------------------------


def upvote(
    event: Event | int, participant_key: str | None, question_id, up: bool = True
) -> UpvoteResult:
    """Add (or withdraw) this participant's upvote of a live question; idempotent."""
    event_id = event_id_of(event)
    upvotable = partial(_upvotable, event_id, question_id)  # checked inside the write lock
    result = UPVOTES.toggle(event_id, participant_key, up, upvotable)
    CHANNEL.push_board(event_id)
    return result


def _upvotable(event_id: int, question_id) -> QnaQuestion:
    """Return a question of the event that is on the list, or refuse the upvote."""
    question = find_question(event_id, question_id)
    if question.status != QnaStatus.approved:
        raise Conflict(_("Only questions on the list can be upvoted."), "not_live")
    return question


# --- publishing --------------------------------------------------------------------

# Defined last, after the readers it publishes; the functions above use it only when run.
# Rooms qna:<id> and qna-staff:<id>, server events qna_board and qna_queue.
CHANNEL = Channel("qna", board_snapshot, queue)
