"""Registration settings: the service and the admin page."""

from __future__ import annotations

import datetime as dt

import pytest

from voting.errors import Conflict, InvalidInput
from voting.extensions import db
from voting.models import EventDay, Partnership, RegistrationStatus
from voting.registration import setup


@pytest.fixture
def event(make_event):
    """An event with one day."""
    event = make_event("SETUP1")
    event.days = [EventDay(date=dt.date.today(), title="Main day")]
    db.session.commit()
    return event


def test_more_seats_promote_the_waiting_list(event, make_registration):
    waiting, _link = make_registration(event, status=RegistrationStatus.waiting)
    settings = setup.current_settings(event)
    settings.capacity = 10
    assert setup.update_settings(event, settings) == [waiting]
    assert waiting.status == RegistrationStatus.confirmed


def test_bad_settings_are_refused(event):
    settings = setup.current_settings(event)
    settings.capacity = -1
    with pytest.raises(InvalidInput):
        setup.update_settings(event, settings)
    settings.capacity, settings.contact_email = None, "not an email"
    with pytest.raises(InvalidInput):
        setup.update_settings(event, settings)
    settings.contact_email, settings.day_capacities = "", {999: 3}
    with pytest.raises(InvalidInput):
        setup.update_settings(event, settings)


def test_partnerships_from_lines_keep_those_in_use(event, make_registration):
    setup.set_partnerships(event, "Blue Bio\n  Go  Green \nblue bio\n\n")
    assert [p.name for p in event.partnerships] == ["Blue Bio", "Go Green"]
    used = event.partnerships[0]
    make_registration(event, partnership_id=used.id)
    with pytest.raises(Conflict):
        setup.set_partnerships(event, "Go Green")
    assert db.session.query(Partnership).count() == 2


def test_questions(event):
    question = setup.add_question(event, "Diet", "choice", "Vegan\nVegetarian", True)
    assert question.choices == ["Vegan", "Vegetarian"]
    with pytest.raises(InvalidInput):
        setup.add_question(event, "Only one", "choice", "Vegan", False)
    with pytest.raises(InvalidInput):
        setup.add_question(event, "", "text", "", False)
    with pytest.raises(InvalidInput):
        setup.add_question(event, "What?", "essay", "", False)
    setup.remove_question(event, question.id)
    assert event.questions == []


def test_settings_page_for_admins_only(client, event, make_user, login, page_token):
    moderator = make_user("moderator", events=[event])
    login(client, moderator)
    assert client.get("/manage/SETUP1/registration").status_code == 403
    other = client.application.test_client()
    login(other, make_user("admin"))
    page = other.get("/manage/SETUP1/registration")
    assert page.status_code == 200
    assert "Seats on Main day" in page.get_data(as_text=True)
    token = page_token(other, "/manage/SETUP1/registration")
    day = event.days[0]
    response = other.post(
        "/manage/SETUP1/registration",
        data={
            "csrf_token": token,
            "registration_open": "y",
            "capacity": "120",
            f"day_{day.id}": "80",
            "contact_email": "team@example.org",
            "retention_days": "90",
            "partnerships": "Blue Bio\nGo Green",
        },
    )
    assert response.status_code == 302
    assert (event.capacity, day.capacity, event.retention_days) == (120, 80, 90)
    assert [p.name for p in event.partnerships] == ["Blue Bio", "Go Green"]
    bad = other.post("/manage/SETUP1/registration", data={"csrf_token": token, "capacity": "lots"})
    assert bad.status_code == 400
    assert event.capacity == 120
    added = other.post(
        "/manage/SETUP1/registration/questions",
        data={"csrf_token": token, "label": "T-shirt size", "kind": "choice", "choices": "S\nM\nL"},
    )
    assert added.status_code == 302
    assert event.questions[0].label == "T-shirt size"
    refused = other.post(
        "/manage/SETUP1/registration/questions",
        data={"csrf_token": token, "label": "Size", "kind": "choice", "choices": "S"},
    )
    assert refused.status_code == 400
    assert len(event.questions) == 1
    removed = other.post(
        f"/manage/SETUP1/registration/questions/{event.questions[0].id}/remove",
        data={"csrf_token": token},
    )
    assert removed.status_code == 302
    assert event.questions == []


def test_purge_command(app, event, make_registration):
    from voting.models import Registration

    make_registration(event, email="purge@example.org")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["purge-personal-data"]).exit_code != 0
    assert runner.invoke(args=["purge-personal-data", "--event", "NOPE42", "--yes"]).exit_code != 0
    assert (
        runner.invoke(args=["purge-personal-data", "--event", "SETUP1"], input="n\n").exit_code != 0
    )
    assert db.session.query(Registration).one().email == "purge@example.org"
    result = runner.invoke(args=["purge-personal-data", "--event", "setup1", "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased the personal data of 1" in result.output
    db.session.expire_all()
    assert db.session.query(Registration).one().email is None
    assert "No event" in runner.invoke(args=["purge-personal-data", "--due"]).output


def test_serve_applies_retention_periods_by_itself(app, event, make_registration, monkeypatch):
    from voting import cli
    from voting.extensions import socketio
    from voting.models import Registration

    class Stop(Exception):
        """Ends the loop after its first run."""

    def stop(_seconds):
        raise Stop

    make_registration(event, email="old@example.org")
    event.retention_days = 0
    event.starts_on = event.ends_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    event_id = event.id
    monkeypatch.setattr(socketio, "sleep", stop)
    with pytest.raises(Stop):
        cli._purge_when_due(app)
    assert db.session.query(Registration).filter_by(event_id=event_id).one().email is None
