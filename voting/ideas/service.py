"""Ideas board rules: propose, moderate, merge, upvote, rank and promote to themes.

Views and socket handlers call these functions only; every change is published after
its commit (docs/realtime.md, "Ideas board").
"""

from __future__ import annotations

from functools import partial

from flask_babel import gettext as _
from sqlalchemy import Integer, delete, func, insert, literal, select, update

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
from voting.database import as_id
from voting.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from voting.extensions import db
from voting.models import Event, Idea, IdeaStatus, IdeaVote, Participant, Theme, utcnow

MIN_LENGTH = 3
MAX_LENGTH = 200
MAX_OPEN_PER_PARTICIPANT = 5  # pending + approved ideas one participant may have
MAX_IDEAS_PER_EVENT = 2000
MAX_PROMOTE = 50
OPEN = (IdeaStatus.pending, IdeaStatus.approved)


class DuplicateIdea(Conflict):
    """The text repeats an idea of the event; carries that idea's id when it is public."""

    code = "duplicate_idea"

    def __init__(self, message: str, idea_id: int | None) -> None:
        super().__init__(message)
        self.idea_id = idea_id

    def as_ack(self) -> dict:
        """Return the error ack with the id of the idea to upvote instead."""
        return {**super().as_ack(), "idea_id": self.idea_id}


UPVOTES = Upvotes(IdeaVote.idea_id, Idea)


# --- payloads ------------------------------------------------------------------------


def idea_payload(idea: Idea, votes: int, theme: bool = False) -> dict:
    """Return what everyone may see of an approved idea."""
    return {"id": idea.id, "text": idea.text, "votes": votes, "theme": theme}


def staff_payload(idea: Idea, votes: int = 0) -> dict:
    """Return what moderators see of an idea (never who proposed it)."""
    return {
        "id": idea.id,
        "text": idea.text,
        "status": str(idea.status),
        "votes": votes,
        "created_at": idea.created_at.isoformat() if idea.created_at else None,
    }


# --- reading -----------------------------------------------------------------------


def _promoted_ids(event_id: int) -> set[int]:
    """Return the ids of ideas that became themes of the event."""
    rows = db.session.scalars(
        select(Theme.idea_id).where(Theme.event_id == event_id, Theme.idea_id.is_not(None))
    )
    return set(rows)


def _ideas(event_id: int, *statuses: IdeaStatus) -> list[Idea]:
    """Return the event's ideas of some statuses, oldest first."""
    query = select(Idea).where(Idea.event_id == event_id, Idea.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Idea.created_at, Idea.id)))


def ranked(event_id: int) -> list[dict]:
    """Return the board: approved ideas by upvotes (most first), then oldest first."""
    counts = UPVOTES.counts(event_id)
    themes = _promoted_ids(event_id)
    ideas = _ideas(event_id, IdeaStatus.approved)  # oldest first; sort is stable
    ideas.sort(key=lambda idea: -counts.get(idea.id, 0))
    return [idea_payload(i, counts.get(i.id, 0), i.id in themes) for i in ideas]


def queue(event_id: int) -> list[dict]:
    """Return the ideas waiting for moderation, oldest first."""
    return [staff_payload(idea) for idea in _ideas(event_id, IdeaStatus.pending)]


def hidden(event_id: int) -> list[dict]:
    """Return the hidden ideas (moderators may approve them after all)."""
    counts = UPVOTES.counts(event_id)
    ideas = _ideas(event_id, IdeaStatus.hidden)
    return [staff_payload(idea, counts.get(idea.id, 0)) for idea in ideas]


def board_snapshot(event_id: int) -> dict:
    """Return the board with a sequence number, as pushed and as acked on join."""
    return {"seq": realtime.next_seq(), "ideas": ranked(event_id)}


def mine(event_id: int, participant_key: str | None) -> list[int]:
    """Return the ids of the event's ideas this participant upvoted."""
    return UPVOTES.by(event_id, participant_key)


def my_open_count(event_id: int, participant_key: str | None) -> int:
    """Return how many pending or approved ideas this participant proposed."""
    if not participant_key:
        return 0
    return db.session.scalar(
        select(func.count())
        .select_from(Idea)
        .join(Participant, Participant.id == Idea.participant_id)
        .where(
            Participant.public_id == participant_key,
            Idea.event_id == event_id,
            Idea.status.in_(OPEN),
        )
    )


def find_idea(event: Event | int, idea_id) -> Idea:
    """Return the event's idea with this id or raise NotFound."""
    idea = in_event(Idea, event_id_of(event), idea_id)
    if idea is None:
        raise NotFound(_("This idea does not exist in this event."), "unknown_idea")
    return idea


# --- text rules --------------------------------------------------------------------


def clean_text(text) -> str:
    """Return the idea text trimmed with inner spaces collapsed, or refuse it."""
    not_text = _("Write your idea as text.")
    bad_length = _("An idea needs %(min)d to %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH)
    return boards.clean_text(text, MIN_LENGTH, MAX_LENGTH, not_text, bad_length)


def _check_unique(event_id: int, text: str, exclude: int | None = None) -> None:
    """Refuse a text that repeats another idea of the event (any case or spacing)."""
    key = text_key(text)
    for idea in db.session.scalars(select(Idea).where(Idea.event_id == event_id)):
        if idea.id != exclude and text_key(idea.text) == key:
            raise _duplicate(idea)


def _duplicate(idea: Idea) -> DuplicateIdea:
    """Return the refusal for a repeated text, pointing to the idea to upvote if public."""
    target = idea
    if idea.status == IdeaStatus.merged and idea.merged_into_id:
        target = db.session.get(Idea, idea.merged_into_id) or idea
    if target.status == IdeaStatus.approved:
        message = _("This idea is already on the board: upvote it instead.")
        return DuplicateIdea(message, target.id)
    if target.status == IdeaStatus.pending:
        return DuplicateIdea(_("This idea was proposed already and awaits moderation."), None)
    return DuplicateIdea(_("This idea was proposed already."), None)


# --- proposing ---------------------------------------------------------------------


def propose(event: Event, participant_key: str | None, text) -> Idea:
    """Store a proposed idea as pending; moderators see it at once."""
    text = clean_text(text)
    if not participant_key:
        raise NotAuthenticated(_("Open the event page first."), "no_session")
    ratelimits.check("proposal", participant_key)
    locked_event(event.id)
    try:
        participant = participant_row(event.id, participant_key, create=True)
        _check_proposal(event.id, participant, text)
    except Exception:
        db.session.rollback()
        raise
    idea = Idea(event_id=event.id, text=text, participant_id=participant.id, created_at=utcnow())
    db.session.add(idea)
    db.session.commit()
    CHANNEL.push_queue(event.id)
    return idea


def _check_proposal(event_id: int, participant: Participant, text: str) -> None:
    """Refuse a repeated text, a participant's sixth open idea and a full board."""
    _check_unique(event_id, text)
    mine_open = db.session.scalar(
        select(func.count()).where(
            Idea.participant_id == participant.id, Idea.status.in_(OPEN), Idea.event_id == event_id
        )
    )
    if mine_open >= MAX_OPEN_PER_PARTICIPANT:
        raise Conflict(
            _("You have %(n)d ideas on the board or waiting already.", n=mine_open),
            "too_many_ideas",
        )
    total = db.session.scalar(select(func.count()).where(Idea.event_id == event_id))
    if total >= MAX_IDEAS_PER_EVENT:
        raise Conflict(_("The board takes no more ideas."), "board_full")


# --- moderation --------------------------------------------------------------------


def _moderated(event: Event, idea_id) -> Idea:
    """Lock the event and return one of its ideas that is not merged away."""
    locked_event(event.id)
    idea = _found_or_rollback(event.id, idea_id)
    if idea.status == IdeaStatus.merged:
        db.session.rollback()
        raise Conflict(_("This idea was merged into another one."), "idea_merged")
    return idea


def _found_or_rollback(event_id: int, idea_id) -> Idea:
    """Return the event's idea, ending the write transaction if there is none."""
    try:
        return find_idea(event_id, idea_id)
    except NotFound:
        db.session.rollback()
        raise


def approve(event: Event, idea_id) -> Idea:
    """Put a pending or hidden idea on the board."""
    return _set_status(event, idea_id, IdeaStatus.approved)


def hide(event: Event, idea_id) -> Idea:
    """Take an idea off the board (its upvotes are kept should it come back)."""
    return _set_status(event, idea_id, IdeaStatus.hidden)


def _set_status(event: Event, idea_id, status: IdeaStatus) -> Idea:
    """Change an idea's moderation status and tell every screen."""
    idea = _moderated(event, idea_id)
    idea.status = status
    db.session.commit()
    CHANNEL.push_all(event.id)
    return idea


def edit(event: Event, idea_id, text) -> Idea:
    """Correct an idea's text (typos, clearer wording); the upvotes stay."""
    text = clean_text(text)
    idea = _moderated(event, idea_id)
    try:
        _check_unique(event.id, text, exclude=idea.id)
    except DuplicateIdea:
        db.session.rollback()
        raise
    idea.text = text
    db.session.commit()
    CHANNEL.push_all(event.id)
    return idea


def merge(event: Event, source_id, target_id) -> Idea:
    """Fold a duplicate into another idea: its upvotes move there, one per participant."""
    source = _moderated(event, source_id)
    target = _found_or_rollback(event.id, target_id)
    if target.id == source.id or target.status == IdeaStatus.merged:
        db.session.rollback()
        raise InvalidInput(_("Choose another idea to merge into."), "invalid_merge")
    _move_votes(source.id, target.id)
    db.session.execute(
        update(Idea).where(Idea.merged_into_id == source.id).values(merged_into_id=target.id)
    )
    source.status = IdeaStatus.merged
    source.merged_into_id = target.id
    db.session.commit()
    CHANNEL.push_all(event.id)
    return target


def _move_votes(source_id: int, target_id: int) -> None:
    """Give the target the source's voters who had not upvoted it, then drop the source's."""
    already = select(IdeaVote.participant_id).where(IdeaVote.idea_id == target_id)
    moved = select(literal(target_id, Integer), IdeaVote.participant_id, IdeaVote.created_at).where(
        IdeaVote.idea_id == source_id, IdeaVote.participant_id.not_in(already)
    )
    columns = ["idea_id", "participant_id", "created_at"]
    db.session.execute(insert(IdeaVote).from_select(columns, moved))
    db.session.execute(delete(IdeaVote).where(IdeaVote.idea_id == source_id))


# --- upvotes -----------------------------------------------------------------------


def upvote(
    event: Event | int, participant_key: str | None, idea_id, up: bool = True
) -> UpvoteResult:
    """Add (or withdraw) this participant's upvote of an approved idea; idempotent."""
    event_id = event_id_of(event)
    upvotable = partial(_upvotable, event_id, idea_id)  # checked inside the write lock
    result = UPVOTES.toggle(event_id, participant_key, up, upvotable)
    CHANNEL.push_board(event_id)
    return result


def _upvotable(event_id: int, idea_id) -> Idea:
    """Return an idea of the event that is on the board, or refuse the upvote."""
    idea = find_idea(event_id, idea_id)
    if idea.status != IdeaStatus.approved:
        raise Conflict(_("Only ideas on the board can be upvoted."), "idea_not_open")
    return idea


# --- promoting ---------------------------------------------------------------------


def promote(event: Event, idea_ids=None, top=None) -> list[Theme]:
    """Make themes of chosen ideas (or the board's top N), each once, after the others."""
    ids = _promotion_ids(event.id, idea_ids, top)
    locked_event(event.id)
    try:
        ideas = [_promotable(event.id, idea_id) for idea_id in ids]
    except Exception:
        db.session.rollback()
        raise
    themes = _new_themes(event.id, ideas)
    db.session.commit()
    if themes:
        CHANNEL.push_all(event.id)
    return themes


def _promotion_ids(event_id: int, idea_ids, top) -> list[int]:
    """Return the idea ids to promote, from a list of ids or a top-N count."""
    if top is not None:
        count = as_id(top)
        if count is None or count > MAX_PROMOTE:
            raise InvalidInput(
                _("Promote between 1 and %(n)d ideas.", n=MAX_PROMOTE), "invalid_promote"
            )
        return [idea["id"] for idea in ranked(event_id)[:count]]
    if not isinstance(idea_ids, list | tuple) or not 0 < len(idea_ids) <= MAX_PROMOTE:
        raise InvalidInput(_("Choose the ideas to promote."), "invalid_promote")
    ids = [as_id(value) for value in idea_ids]
    if None in ids:
        raise NotFound(_("This idea does not exist in this event."), "unknown_idea")
    return list(dict.fromkeys(ids))


def _promotable(event_id: int, idea_id: int) -> Idea:
    """Return an approved idea of the event, or refuse the promotion."""
    idea = find_idea(event_id, idea_id)
    if idea.status != IdeaStatus.approved:
        raise Conflict(_("Only ideas on the board can become themes."), "idea_not_open")
    return idea


def _new_themes(event_id: int, ideas: list[Idea]) -> list[Theme]:
    """Add a theme per idea unless it was promoted or its title is a theme already."""
    existing = list(db.session.scalars(select(Theme).where(Theme.event_id == event_id)))
    titles = {text_key(theme.title) for theme in existing}
    promoted = {theme.idea_id for theme in existing if theme.idea_id}
    position = max((theme.position for theme in existing), default=0)
    themes = []
    for idea in ideas:
        if idea.id in promoted or text_key(idea.text) in titles:
            continue
        position += 1
        titles.add(text_key(idea.text))
        themes.append(Theme(event_id=event_id, title=idea.text, position=position, idea_id=idea.id))
    db.session.add_all(themes)
    return themes


# --- publishing --------------------------------------------------------------------

# Defined last, after the readers it publishes; the functions above use it only when run.
# Rooms ideas:<id> and ideas-staff:<id>, server events ideas_board and ideas_queue.
CHANNEL = Channel("ideas", board_snapshot, queue)
