"""The event's own texts in several languages: the staff grid, and pages in each language."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.authorisation_helpers import database_fingerprint
from tests.conftest import csrf_from
from voting.breakouts import service as breakouts
from voting.breakouts.service import SessionData, TimeData
from voting.events.translations import rows
from voting.extensions import db
from voting.models import EventDay, Theme


@pytest.fixture
def event(make_event):
    made = make_event("TRAN01", name="Partnering Day", description="A day of project meetings.")
    made.themes.append(Theme(title="Scaling-up of SMEs", position=1))
    db.session.commit()
    return made


@pytest.fixture
def staff(app, event, make_user, login):
    client = app.test_client()
    login(client, make_user("moderator", events=[event]))
    return client


def grid_token(staff) -> tuple[str, str]:
    """Open the grid; return its HTML and CSRF token."""
    page = staff.get("/manage/TRAN01/translations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html, csrf_from(html)


def test_grid_lists_every_text_and_stores_translations(staff, event):
    theme = event.themes[0]
    html, token = grid_token(staff)
    assert "Partnering Day" in html
    assert "Scaling-up of SMEs" in html
    assert f'name="t:theme:{theme.id}:title:fr"' in html
    assert 'name="t:event:' in html
    assert ':en"' not in html  # no column for the event's own language
    data = {
        "csrf_token": token,
        f"t:event:{event.id}:name:fr": "  Journée de partenariat ",
        f"t:event:{event.id}:name:de": "Partnerschaftstag",
        f"t:theme:{theme.id}:title:de": "Wachstum von KMU",
        f"t:theme:{theme.id}:title:fr": "",
    }
    response = staff.post("/manage/TRAN01/translations", data=data)
    assert response.status_code == 302
    assert event.translations == {
        "fr": {"name": "Journée de partenariat"},
        "de": {"name": "Partnerschaftstag"},
    }
    assert theme.translations == {"de": {"title": "Wachstum von KMU"}}
    by_text = {row.original: row for row in rows(event)}
    assert by_text["Scaling-up of SMEs"].translations == {
        "en": "",
        "fr": "",
        "de": "Wachstum von KMU",
    }
    # Emptied again: the translation is gone.
    data[f"t:event:{event.id}:name:de"] = ""
    staff.post("/manage/TRAN01/translations", data=data)
    assert event.translations == {"fr": {"name": "Journée de partenariat"}}


def test_pages_show_the_event_in_each_language(app, staff, event):
    _, token = grid_token(staff)
    staff.post(
        "/manage/TRAN01/translations",
        data={"csrf_token": token, f"t:event:{event.id}:name:fr": "Journée de partenariat"},
    )
    phone = app.test_client()
    assert "Journée de partenariat" in phone.get("/e/TRAN01?lang=fr").get_data(as_text=True)
    assert "Partnering Day" in phone.get("/e/TRAN01?lang=de").get_data(as_text=True)
    display = phone.get("/e/TRAN01/display?lang=fr").get_data(as_text=True)
    assert "Journée de partenariat" in display


def test_breakout_from_a_theme_takes_its_translations(app, event):
    theme = event.themes[0]
    theme.translations = {"fr": {"title": "Croissance des PME"}}
    db.session.commit()
    event.days = [EventDay(date=dt.date.today(), title="Partnering day")]
    db.session.commit()
    slot = breakouts.create_slot(
        event, TimeData(day_id=event.days[0].id, starts_at="14:00", ends_at="15:00")
    )
    session = breakouts.create_session(event, slot, SessionData(theme_id=theme.id, capacity=20))
    assert session.translations == {"fr": {"title": "Croissance des PME"}}
    html = app.test_client().get("/e/TRAN01/breakouts?lang=fr").get_data(as_text=True)
    assert "Croissance des PME" in html


@pytest.mark.parametrize(
    "name",
    [
        "t:unknown:1:title:fr",
        "t:event:1:name:xx",
        "t:event:1:venue:fr",
        "t:event:x:name:fr",
        "t:event:1:name",
        "t:theme:999:title:fr",
    ],
)
def test_bad_grid_input_is_refused_and_changes_nothing(staff, event, name):
    _, token = grid_token(staff)
    before = database_fingerprint()
    data = {"csrf_token": token, f"t:event:{event.id}:name:fr": "Journée", name: "x"}
    response = staff.post("/manage/TRAN01/translations", data=data)
    assert response.status_code == 400
    assert "unknown text" in response.get_data(
        as_text=True
    ) or "another event" in response.get_data(as_text=True)
    assert database_fingerprint() == before


def test_overlong_text_and_other_events_items_are_refused(staff, event, make_event):
    other = make_event("TRAN02")
    other.themes.append(Theme(title="Skills", position=1))
    db.session.commit()
    _, token = grid_token(staff)
    before = database_fingerprint()
    for name, value, message in (
        (f"t:event:{event.id}:name:fr", "n" * 201, "at most 200 characters"),
        (f"t:theme:{other.themes[0].id}:title:fr", "Compétences", "another event"),
        (f"t:event:{other.id}:name:fr", "Autre", "another event"),
    ):
        response = staff.post(
            "/manage/TRAN01/translations", data={"csrf_token": token, name: value}
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert database_fingerprint() == before
    assert staff.post("/manage/TRAN01/translations", data={}).status_code == 400  # no CSRF token


def test_grid_is_for_the_event_staff_only(app, event, make_user, login):
    assert app.test_client().get("/manage/TRAN01/translations").status_code in (302, 401)
    outsider = app.test_client()
    login(outsider, make_user("moderator"))
    assert outsider.get("/manage/TRAN01/translations").status_code == 403


def test_grid_and_poll_translations_refuse_a_bad_text_alike(event):
    """Do the grid and a poll's translations refuse with the same code and words?"""
    from voting.errors import InvalidInput
    from voting.events.translations import save
    from voting.polls.service import PollData, create_poll

    before = database_fingerprint()
    refusals = []
    for attempt in (
        lambda: save(event, {f"t:event:{event.id}:name:fr": "n" * 201}),
        lambda: create_poll(
            event,
            PollData(
                title="Q?", options=["A", "B"], translations={"fr": {"options": ["a", "b" * 201]}}
            ),
        ),
        lambda: save(event, {f"t:event:{event.id}:name:fr": 5}),
        lambda: create_poll(
            event, PollData(title="Q?", options=["A", "B"], translations={"fr": {"title": 5}})
        ),
    ):
        with pytest.raises(InvalidInput) as refused:
            attempt()
        db.session.rollback()
        refusals.append((refused.value.code, str(refused.value.message)))
    assert (
        refusals
        == [
            ("invalid_translation", "A translation can have at most 200 characters."),
        ]
        * 2
        + [("invalid_translation", "A translation must be text.")] * 2
    )
    assert database_fingerprint() == before


def test_saving_the_grid_reads_each_kind_of_text_once(event):
    """Does a save read the event's items with one query per kind, not one per input?"""
    from sqlalchemy import event as sql_event

    from voting.events.translations import save
    from voting.models import Event

    event.themes.extend(Theme(title=f"Theme {n}", position=n + 2) for n in range(5))
    db.session.commit()
    event_id, theme_ids = event.id, [theme.id for theme in event.themes]
    db.session.expunge_all()  # nothing in the session: every item must be read
    event = db.session.get(Event, event_id)
    form = {f"t:theme:{theme_id}:title:fr": f"Thème {theme_id}" for theme_id in theme_ids}
    form[f"t:event:{event_id}:name:de"] = "Partnertag"
    selects = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    sql_event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert save(event, form) == len(theme_ids) + 1
    finally:
        sql_event.remove(db.engine, "before_cursor_execute", count)
    assert len(selects) == 1, selects  # the themes; the event is at hand
    db.session.expire_all()
    assert [theme.translations["fr"]["title"] for theme in event.themes] == [
        f"Thème {theme_id}" for theme_id in theme_ids
    ]
    assert event.translations["de"]["name"] == "Partnertag"
