"""A breakout's own polls: only its members vote, its facilitator runs them from a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import csrf_from
from voting.breakouts import service as breakouts
from voting.breakouts.service import SessionData, TimeData
from voting.errors import Forbidden
from voting.extensions import db
from voting.models import EventDay, Poll, PollStatus
from voting.polls import service as polls
from voting.registration.service import participant_id_for


@pytest.fixture
def setup(make_event, make_registration):
    """An event with one session: a facilitator, a member and an outsider (all attendees)."""
    event = make_event("BPOL01")
    event.days = [EventDay(date=dt.date.today(), title="Partnering day")]
    event.breakout_signup_open = True
    db.session.commit()
    slot = breakouts.create_slot(event, TimeData(event.days[0].id, "11:00", "12:00", "Breakouts"))
    facilitator, facilitator_link = make_registration(event, first_name="Fay")
    session = breakouts.create_session(
        event, slot, SessionData(title="Skills", capacity=5, facilitator_id=facilitator.id)
    )
    member, member_link = make_registration(event, first_name="Max")
    breakouts.sign_up(member, session)
    outsider, outsider_link = make_registration(event, first_name="Olga")
    links = {"facilitator": facilitator_link, "member": member_link, "outsider": outsider_link}
    people = {"facilitator": facilitator, "member": member, "outsider": outsider}
    return event, session, people, links


def breakout_poll(event, session) -> Poll:
    """Create and open a poll of the session."""
    poll = polls.create_poll(
        event,
        polls.PollData(
            title="Which next step?", options=["Pilot", "Study"], breakout_id=session.id
        ),
    )
    return polls.open_poll(poll)


def test_only_members_and_the_facilitator_vote(setup):
    event, session, people, _links = setup
    poll = breakout_poll(event, session)
    pilot = poll.options[0].id
    for who in ("member", "facilitator"):
        result = polls.cast_vote(
            event, poll.id, participant_id_for(people[who]), [pilot], f"bp-vote-{who}"
        )
        assert result.receipt
    with pytest.raises(Forbidden) as refused:
        polls.cast_vote(
            event, poll.id, participant_id_for(people["outsider"]), [pilot], "bp-vote-outsider"
        )
    assert refused.value.code == "not_member"
    with pytest.raises(Forbidden):
        polls.cast_vote(event, poll.id, "anonymous-phone", [pilot], "bp-vote-anonymous")
    assert polls.ballot_count(poll.id) == 2


def test_breakout_polls_stay_off_the_plenary(setup):
    event, session, _people, _links = setup
    poll = breakout_poll(event, session)
    assert event.display_poll_id != poll.id
    assert poll not in polls.public_polls(event)
    assert all(p["id"] != poll.id for p in polls.public_snapshot(event.id)["polls"])


def test_facilitator_runs_polls_from_a_phone_and_members_vote(app, setup):
    event, session, _people, links = setup
    base = f"/e/BPOL01/breakouts/{session.id}/polls"
    facilitator = app.test_client()
    facilitator.get(f"/e/BPOL01/r/{links['facilitator']}")
    page = facilitator.get(base)
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    bad = facilitator.post(base, data={"csrf_token": token, "title": "", "options": "A"})
    assert bad.status_code == 303
    assert db.session.query(Poll).count() == 0
    created = facilitator.post(
        base, data={"csrf_token": token, "title": "Next step?", "options": "Pilot\nStudy"}
    )
    assert created.status_code == 302
    poll = db.session.query(Poll).one()
    assert poll.breakout_id == session.id
    assert facilitator.post(f"{base}/{poll.id}/open", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Poll, poll.id).status == PollStatus.open

    member = app.test_client()
    member.get(f"/e/BPOL01/r/{links['member']}")
    page = member.get(base).get_data(as_text=True)
    assert "Next step?" in page
    assert "Prepare a poll" not in page
    member_token = csrf_from(page)
    assert (
        member.post(f"{base}/{poll.id}/open", data={"csrf_token": member_token}).status_code == 403
    )
    vote = member.post(
        f"{base}/{poll.id}/vote",
        data={
            "csrf_token": member_token,
            "choice": str(poll.options[0].id),
            "vote_id": "member-vote-0001",
        },
    )
    assert vote.status_code == 302
    assert polls.ballot_count(poll.id) == 1

    outsider = app.test_client()
    outsider.get(f"/e/BPOL01/r/{links['outsider']}")
    assert outsider.get(base).status_code == 403
    assert app.test_client().get(base).status_code == 403
    assert app.test_client().get(f"/e/BPOL01/breakouts/{10**20}/polls").status_code == 404


def test_moderators_run_breakout_polls_check_in_staff_do_not(app, setup, make_user, login):
    event, session, _people, _links = setup
    base = f"/e/BPOL01/breakouts/{session.id}/polls"
    moderator = login(app.test_client(), make_user("moderator", events=[event]))
    assert "Prepare a poll" in moderator.get(base).get_data(as_text=True)
    door = login(app.test_client(), make_user("checkin", events=[event]))
    assert door.get(base).status_code == 403
