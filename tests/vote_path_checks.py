"""What the vote batch writes, checked row by row: run on SQLite and on PostgreSQL.

The batch runs plain SQL on the driver's cursor (voting.driversql), so the values it
binds (times, JSON, enums) must read back through the ORM exactly as SQLAlchemy's own
writes would, on both engines.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from voting.errors import Conflict
from voting.extensions import db
from voting.models import AnswerStatus, Ballot, BallotChoice, Participant, PollVoter, Vote
from voting.polls import service
from voting.polls.service import PollData


def _opened(event, options=("Red", "Green", "Blue"), **fields):
    """Create and open a poll (three options unless told)."""
    poll = service.create_poll(event, PollData(title="Which?", options=list(options), **fields))
    return service.open_poll(poll)


def _cast(event, poll, who: str, ballot, vote_id: str):
    """Cast one vote through the group committer."""
    return service.cast_vote(event, poll.id, who, ballot, vote_id)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Return a stored time as aware UTC (SQLite keeps no offset, PostgreSQL does)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _choices_of(ballot: Ballot) -> dict[int, int | None]:
    """Return option id -> value of a stored ballot."""
    rows = db.session.execute(
        select(BallotChoice.option_id, BallotChoice.value).where(
            BallotChoice.ballot_id == ballot.id
        )
    )
    return dict(rows.all())


def check_every_ballot_form(event) -> None:
    """Vote in a poll of every form, change, repeat and clash; check the rows stored."""
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    single = _opened(event)
    red, green, _blue = (option.id for option in single.options)
    first = _cast(event, single, "phone-a", [red], "vote-form-0001")
    changed = _cast(event, single, "phone-a", [green], "vote-form-0002")
    again = _cast(event, single, "phone-a", [red], "vote-form-0001")
    assert again.duplicate
    assert again.receipt == first.receipt
    assert again.choices == [red]
    with pytest.raises(Conflict):
        _cast(event, single, "phone-b", [red], "vote-form-0001")

    points = _opened(event, kind="points", budget=10)
    p_ids = [option.id for option in points.options]
    _cast(event, points, "phone-a", {"points": {str(p_ids[0]): 7, str(p_ids[2]): 3}}, "vote-pts-1")
    ranking = _opened(event, kind="ranking")
    r_ids = [option.id for option in ranking.options][::-1]
    _cast(event, ranking, "phone-a", {"ranking": r_ids}, "vote-rank-1")
    text = _opened(event, kind="text", options=[], moderate_answers=True)
    _cast(event, text, "phone-a", {"text": "  more   scale-ups "}, "vote-text-1")
    secret = _opened(event, secret=True)
    secret_result = _cast(event, secret, "phone-a", [secret.options[1].id], "vote-secret-1")
    replay = _cast(event, secret, "phone-a", [secret.options[1].id], "vote-secret-1")
    assert replay.duplicate
    assert replay.receipt == secret_result.receipt
    db.session.rollback()

    phone = db.session.scalar(select(Participant).where(Participant.public_id == "phone-a"))
    assert phone.event_id == event.id
    assert _utc(phone.created_at) >= before
    ballot = db.session.scalar(select(Ballot).where(Ballot.poll_id == single.id))
    assert ballot.participant_id == phone.id
    assert ballot.receipt == changed.receipt
    assert _utc(ballot.created_at) >= before
    assert ballot.updated_at >= ballot.created_at
    assert _choices_of(ballot) == {green: None}
    assert service.tally(single) == {red: 0, green: 1, _blue: 0}

    logged = db.session.scalars(select(Vote).where(Vote.poll_id == single.id).order_by(Vote.id))
    assert [(v.vote_id, v.choices) for v in logged] == [
        ("vote-form-0001", [red]),
        ("vote-form-0002", [green]),
    ]
    log = db.session.scalar(select(Vote).where(Vote.vote_id == "vote-pts-1"))
    assert log.choices == {"points": {str(p_ids[0]): 7, str(p_ids[2]): 3}}
    assert _utc(log.created_at) >= before

    points_ballot = db.session.scalar(select(Ballot).where(Ballot.poll_id == points.id))
    assert _choices_of(points_ballot) == {p_ids[0]: 7, p_ids[2]: 3}
    ranking_ballot = db.session.scalar(select(Ballot).where(Ballot.poll_id == ranking.id))
    assert _choices_of(ranking_ballot) == {r_ids[0]: 1, r_ids[1]: 2, r_ids[2]: 3}
    answer = db.session.scalar(select(Ballot).where(Ballot.poll_id == text.id))
    assert answer.text == "more scale-ups"
    assert answer.answer_status == AnswerStatus.pending

    sealed = db.session.scalar(select(Ballot).where(Ballot.poll_id == secret.id))
    assert sealed.participant_id is None
    assert sealed.created_at is None
    assert _choices_of(sealed) == {secret.options[1].id: None}
    voter = db.session.scalar(select(PollVoter).where(PollVoter.poll_id == secret.id))
    assert voter.participant_id == phone.id
    secret_log = db.session.scalar(select(Vote).where(Vote.poll_id == secret.id))
    assert secret_log.participant_id is None
    assert secret_log.vote_id != "vote-secret-1"
    assert secret_log.choices == []

    # What a phone's join snapshot reads back (also driver-level SQL).
    assert service.my_choices([single.id, points.id, ranking.id, text.id], "phone-a") == {
        single.id: [green],
        points.id: {"points": {str(p_ids[0]): 7, str(p_ids[2]): 3}},
        ranking.id: {"ranking": r_ids},
        text.id: {"text": "more scale-ups"},
    }
    assert service.secret_voted([secret.id, single.id], "phone-a") == [secret.id]
    assert service.my_choices([single.id], "phone-b") == {}
