"""Cookie flags: the session cookie is HttpOnly and SameSite=Lax, and Secure over https."""

from __future__ import annotations

import datetime as dt

import pytest

from voting import create_app
from voting.events.service import EventData, create_event
from voting.extensions import db


def session_cookie(app, make_event_code: str = "COOK01") -> str:
    """Open an event page in a fresh browser and return the session cookie it was given."""
    with app.app_context():
        db.create_all()
        today = dt.date.today()
        create_event(
            EventData(code=make_event_code, name="Cookies", starts_on=today, ends_on=today)
        )
    client = app.test_client()
    response = client.get(f"/e/{make_event_code}", base_url="https://plenum.test")
    assert response.status_code == 200
    cookies = [
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def built(tmp_path, monkeypatch, https: bool):
    """An app as `voting serve` builds it from the environment, with or without VOTING_HTTPS."""
    if https:
        monkeypatch.setenv("VOTING_HTTPS", "1")
    else:
        monkeypatch.delenv("VOTING_HTTPS", raising=False)
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cookies.sqlite3'}",
            "SOCKETIO_ASYNC_MODE": "threading",
            "DEMO_ON_FIRST_START": False,
        }
    )


@pytest.mark.parametrize("https", [False, True])
def test_session_cookie_flags(tmp_path, monkeypatch, https):
    cookie = session_cookie(built(tmp_path, monkeypatch, https))
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert "httponly" in flags  # scripts (and injected ones) cannot read the session
    assert flags["samesite"].strip() == "SameSite=Lax"  # no cross-site form posts with it
    assert ("secure" in flags) is https  # over https, never sent in the clear
