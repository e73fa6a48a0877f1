"""Breakout outcomes, the plenary dot-vote and the event report (service, views, exports)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from voting.breakouts import outcomes
from voting.breakouts.outcomes import OutcomeData
from voting.errors import Conflict, Forbidden, InvalidInput
from voting.extensions import db
from voting.models import Breakout, BreakoutOutcome, EventDay, Slot
from voting.polls.service import cast_vote, open_poll


@pytest.fixture
def event(make_event):
    """An event with one slot and two breakout sessions."""
    event = make_event("REPO01", name="Report Day")
    day = EventDay(date=dt.date.today(), title="Partnering day")
    event.days = [day]
    db.session.commit()
    slot = Slot(event_id=event.id, day_id=day.id, starts_at=dt.time(14), ends_at=dt.time(15, 30))
    db.session.add(slot)
    db.session.flush()
    for title in ("Scaling up SMEs", "Skills"):
        db.session.add(
            Breakout(event_id=event.id, slot_id=slot.id, title=title, room="R1", capacity=20)
        )
    db.session.commit()
    return event


def breakouts(event):
    """Return the event's breakouts in order."""
    return db.session.query(Breakout).filter_by(event_id=event.id).order_by(Breakout.id).all()


def test_outcome_rules(event, make_registration):
    first, second = breakouts(event)
    with pytest.raises(Forbidden):
        outcomes.submit_outcome(first, OutcomeData("Summary", ["A"]), allowed=False)
    for bad in (
        OutcomeData("", ["A"]),
        OutcomeData("S", []),
        OutcomeData("S", ["a", "b", "c", "d"]),
        OutcomeData("S", ["same", "SAME"]),
        OutcomeData("S", ["x" * 201]),
        OutcomeData("x" * 2001, ["A"]),
    ):
        with pytest.raises(InvalidInput):
            outcomes.submit_outcome(first, bad, allowed=True)
    assert db.session.query(BreakoutOutcome).count() == 0
    outcomes.submit_outcome(
        first,
        OutcomeData(" Good talk ", ["More cross-border matchmaking", "", "Shared training"]),
        allowed=True,
    )
    stored = outcomes.outcome_of(first)
    assert stored.summary == "Good talk"
    assert stored.proposals == ["More cross-border matchmaking", "Shared training"]
    outcomes.submit_outcome(second, OutcomeData("Skills gaps", ["Skills academy"]), allowed=True)
    poll = outcomes.prepare_dot_vote(event)
    assert [o.label for o in poll.options] == [
        "More cross-border matchmaking (Scaling up SMEs)",
        "Shared training (Scaling up SMEs)",
        "Skills academy (Skills)",
    ]
    assert poll.max_choices == 3
    with pytest.raises(Conflict):
        outcomes.prepare_dot_vote(event)
    with pytest.raises(Conflict):
        outcomes.submit_outcome(first, OutcomeData("Changed", ["A"]), allowed=True)


def test_dot_vote_needs_two_proposals(event):
    outcomes.submit_outcome(breakouts(event)[0], OutcomeData("S", ["Only one"]), allowed=True)
    with pytest.raises(Conflict):
        outcomes.prepare_dot_vote(event)


def test_facilitator_submits_from_their_phone(
    app, event, make_registration, page_token, make_user, login
):
    first = breakouts(event)[0]
    facilitator, link = make_registration(event, email="facilitator@example.org")
    first.facilitator_id = facilitator.id
    db.session.commit()
    url = f"/e/REPO01/breakouts/{first.id}/outcome"
    stranger = app.test_client()
    assert stranger.get(url).status_code == 403
    _other, other_link = make_registration(event, email="other@example.org")
    stranger.get(f"/e/REPO01/r/{other_link}")
    assert stranger.get(url).status_code == 403
    phone = app.test_client()
    phone.get(f"/e/REPO01/r/{link}")
    token = page_token(phone, url)
    bad = phone.post(url, data={"csrf_token": token, "summary": "", "proposal": ["A"]})
    assert bad.status_code == 400
    assert "short summary" in bad.get_data(as_text=True)
    done = phone.post(
        url,
        data={
            "csrf_token": token,
            "summary": "We agreed",
            "proposal": ["Mentoring", "Vouchers", ""],
        },
    )
    assert done.status_code == 302
    assert outcomes.outcome_of(first).proposals == ["Mentoring", "Vouchers"]
    assert phone.post(url, data={"summary": "No token", "proposal": ["X"]}).status_code == 400
    assert outcomes.outcome_of(first).summary == "We agreed"
    moderator = login(app.test_client(), make_user("moderator", events=[event]))
    assert moderator.get(url).status_code == 200
    assert app.test_client().get(f"/e/REPO01/breakouts/{10**20}/outcome").status_code == 404


def test_report_page_and_exports(
    app, client, event, make_poll, make_user, login, make_registration, page_token
):
    make_registration(event, country="FR")
    poll = make_poll(event, title="Funding mix?", options=("Bigger", "=Smaller"))
    open_poll(poll)
    cast_vote(event, poll.id, "phone-one", [poll.options[1].id], "vote-id-0001")
    make_poll(event, title="Draft poll not in the report")
    outcomes.submit_outcome(
        breakouts(event)[0], OutcomeData("Sum", ["Alpha", "Beta"]), allowed=True
    )
    assert client.get("/manage/REPO01/report").status_code == 302  # to login
    login(client, make_user("moderator", events=[event]))
    html = client.get("/manage/REPO01/report").get_data(as_text=True)
    assert "Funding mix?" in html
    assert "Draft poll" not in html
    assert "France 1" in html
    assert "Alpha" in html
    dump = json.loads(client.get("/manage/REPO01/report.json").get_data())
    assert dump["attendance"]["confirmed"] == 1
    assert dump["polls"][0]["options"][1] == {"label": "=Smaller", "count": 1, "percent": 100}
    rows = list(
        csv.reader(
            io.StringIO(client.get("/manage/REPO01/report.csv").get_data().decode("utf-8-sig"))
        )
    )
    assert rows[0] == ["section", "item", "option", "count", "percent"]
    assert ["poll", "Funding mix?", "'=Smaller", "1", "100"] in rows  # formula neutralised
    token = page_token(client, "/manage/REPO01/report")
    response = client.post("/manage/REPO01/report/dot-vote", data={"csrf_token": token})
    assert response.status_code == 302
    assert outcomes.dot_vote_poll(event.id) is not None


def test_check_in_staff_cannot_see_the_report(app, event, make_user, login):
    door = login(app.test_client(), make_user("checkin", events=[event]))
    assert door.get("/manage/REPO01/report").status_code == 403
    assert door.get("/manage/REPO01/report.csv").status_code == 403
