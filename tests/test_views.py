"""HTTP views through Flask's test client: public pages, the no-JS vote, console, admin."""

from __future__ import annotations

import re

import pytest

from voting.models import Event, PollStatus
from voting.polls import service


@pytest.fixture
def event(make_event):
    return make_event("VIEW01", name="View test event")


@pytest.fixture
def poll(event, make_poll):
    poll = make_poll(event, title="Best colour?")
    service.open_poll(poll)
    return poll


def form_fields(html: str) -> dict:
    """Return the hidden inputs (csrf_token, vote_id) of the first vote form."""
    return dict(re.findall(r'name="(csrf_token|vote_id)" (?:type="hidden" )?value="([^"]+)"', html))


def test_home_lists_upcoming_events_and_joins_by_code(client, event, page_token):
    page = client.get("/")
    assert "View test event" in page.get_data(as_text=True)
    token = page_token(client, "/")
    response = client.post("/", data={"code": " view01 ", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/e/VIEW01")


def test_unknown_code_gets_clear_message(client, event, page_token):
    token = page_token(client, "/")
    response = client.post("/", data={"code": "NOPE", "csrf_token": token})
    assert response.status_code == 404
    assert "No event has this code" in response.get_data(as_text=True)


def test_join_without_csrf_is_refused(client, event):
    response = client.post("/", data={"code": "VIEW01"})
    assert response.status_code == 400


def test_event_code_is_case_insensitive(client, event):
    response = client.get("/e/view01")
    assert response.status_code == 302
    assert client.get("/e/VIEW01").status_code == 200


def test_unknown_event_page_is_404(client):
    response = client.get("/e/NOSUCH")
    assert response.status_code == 404
    assert "No event has this code" in response.get_data(as_text=True)


def test_vote_without_javascript(client, poll):
    html = client.get("/e/VIEW01").get_data(as_text=True)
    assert "Best colour?" in html
    fields = form_fields(html)
    data = {**fields, "choice": str(poll.options[1].id)}
    response = client.post(f"/e/VIEW01/polls/{poll.id}/vote", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Your vote is recorded. Receipt:" in response.get_data(as_text=True)
    # The same form sent twice (double click, back button) is recorded once.
    client.post(f"/e/VIEW01/polls/{poll.id}/vote", data=data)
    assert service.ballot_count(poll.id) == 1


def test_vote_form_on_closed_poll_is_refused(client, poll):
    fields = form_fields(client.get("/e/VIEW01").get_data(as_text=True))
    service.close_poll(poll)
    response = client.post(
        f"/e/VIEW01/polls/{poll.id}/vote", data={**fields, "choice": str(poll.options[0].id)}
    )
    assert response.status_code == 409
    assert "not open" in response.get_data(as_text=True)
    assert service.ballot_count(poll.id) == 0


@pytest.mark.parametrize("choice", [None, "abc", "999999"])
def test_bad_vote_form_is_refused(client, poll, choice):
    fields = form_fields(client.get("/e/VIEW01").get_data(as_text=True))
    data = {**fields} if choice is None else {**fields, "choice": choice}
    response = client.post(f"/e/VIEW01/polls/{poll.id}/vote", data=data)
    assert 400 <= response.status_code < 500
    assert service.ballot_count(poll.id) == 0


def test_vote_form_without_csrf_is_refused(client, poll):
    client.get("/e/VIEW01")
    response = client.post(
        f"/e/VIEW01/polls/{poll.id}/vote",
        data={"vote_id": "abcdefgh1234", "choice": str(poll.options[0].id)},
    )
    assert response.status_code == 400
    assert service.ballot_count(poll.id) == 0


def test_user_text_is_escaped(client, make_event, make_poll):
    event = make_event("XSS001", name="<script>alert(1)</script>")
    poll = make_poll(event, title="<img src=x onerror=alert(2)>", options=["<b>bold</b>", "plain"])
    service.open_poll(poll)
    for url in ("/", "/e/XSS001", "/e/XSS001/display"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "<b>bold</b>" not in html


def test_display_page_has_qr_and_code(client, poll):
    html = client.get("/e/VIEW01/display").get_data(as_text=True)
    assert "/e/VIEW01/qr.svg" in html
    assert "VIEW01" in html
    assert "Best colour?" in html
    svg = client.get("/e/VIEW01/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data


def test_pages_send_content_security_policy(client, event):
    response = client.get("/e/VIEW01")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )


def test_vendor_files_come_from_npm(client):
    with client.get("/vendor/socket.io.min.js") as response:
        assert response.status_code == 200
        assert b"io" in response.data
    assert client.get("/vendor/../package.json").status_code == 404
    assert client.get("/vendor/other.js").status_code == 404


# --- staff -------------------------------------------------------------------------


def test_console_needs_sign_in(client, event):
    response = client.get("/manage/VIEW01/polls")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, make_user, page_token):
    user = make_user()
    token = page_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": "wrong-password", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_login_redirect_stays_on_site(client, make_user, page_token):
    user = make_user()
    token = page_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("role", ["checkin", "moderator-elsewhere"])
def test_console_refuses_other_staff(client, login, make_user, make_event, event, role):
    if role == "checkin":
        user = make_user("checkin", events=[event])
    else:
        user = make_user("moderator", events=[make_event()])
    login(client, user)
    assert client.get("/manage/VIEW01/polls").status_code == 403


def test_moderator_prepares_opens_and_closes_a_poll(client, login, make_user, event, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/VIEW01/polls/new")
    response = client.post(
        "/manage/VIEW01/polls/new",
        data={
            "csrf_token": token,
            "title": "Which day was best?",
            "kind": "multiple",
            "max_choices": "2",
            "visibility": "after_close",
            "allow_change": "y",
            "option": ["Monday", "Tuesday", "", "Wednesday"],
            "option_id": ["", "", "", ""],
        },
    )
    assert response.status_code == 302
    poll = event.polls[-1]
    assert [o.label for o in poll.options] == ["Monday", "Tuesday", "Wednesday"]
    assert poll.max_choices == 2
    console = client.get("/manage/VIEW01/polls").get_data(as_text=True)
    assert "Which day was best?" in console
    assert (
        client.post(f"/manage/VIEW01/polls/{poll.id}/open", data={"csrf_token": token}).status_code
        == 302
    )
    assert poll.status == PollStatus.open
    assert (
        client.post(f"/manage/VIEW01/polls/{poll.id}/close", data={"csrf_token": token}).status_code
        == 302
    )
    assert poll.status == PollStatus.closed
    # Closing twice explains itself with a 409 instead of failing.
    again = client.post(f"/manage/VIEW01/polls/{poll.id}/close", data={"csrf_token": token})
    assert again.status_code == 409
    assert "not open" in again.get_data(as_text=True)


def test_invalid_poll_form_shows_message(client, login, make_user, event, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/VIEW01/polls/new")
    response = client.post(
        "/manage/VIEW01/polls/new",
        data={
            "csrf_token": token,
            "title": "Lonely",
            "kind": "single",
            "visibility": "live",
            "option": ["Only one"],
        },
    )
    assert response.status_code == 400
    assert "A poll needs 2 to" in response.get_data(as_text=True)
    assert event.polls == []


def test_edit_poll_keeps_option_ids(client, login, make_user, event, poll, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, f"/manage/VIEW01/polls/{poll.id}/edit")
    ids = [str(o.id) for o in poll.options]
    response = client.post(
        f"/manage/VIEW01/polls/{poll.id}/edit",
        data={
            "csrf_token": token,
            "title": "Best colour now?",
            "kind": "single",
            "visibility": "live",
            "option": ["Rot", "Grün", "Blau", ""],
            "option_id": [*ids, ""],
        },
    )
    assert response.status_code == 302
    assert [str(o.id) for o in poll.options] == ids
    assert poll.options[1].label == "Grün"


def test_reset_needs_confirmation(client, login, make_user, event, poll, page_token):
    service.cast_vote(event, poll.id, "someone", [poll.options[0].id], "reset-vote-1")
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/VIEW01/polls")
    refused = client.post(f"/manage/VIEW01/polls/{poll.id}/reset", data={"csrf_token": token})
    assert refused.status_code == 400
    assert service.ballot_count(poll.id) == 1
    done = client.post(
        f"/manage/VIEW01/polls/{poll.id}/reset", data={"csrf_token": token, "confirm": "yes"}
    )
    assert done.status_code == 302
    assert service.ballot_count(poll.id) == 0


def test_console_actions_need_csrf(client, login, make_user, event, poll):
    login(client, make_user("moderator", events=[event]))
    assert client.post(f"/manage/VIEW01/polls/{poll.id}/close").status_code == 400
    assert poll.status == PollStatus.open


def test_unknown_action_and_poll(client, login, make_user, event, poll, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/VIEW01/polls")
    assert (
        client.post(
            f"/manage/VIEW01/polls/{poll.id}/explode", data={"csrf_token": token}
        ).status_code
        == 400
    )
    assert (
        client.post("/manage/VIEW01/polls/999999/open", data={"csrf_token": token}).status_code
        == 404
    )


def test_show_on_display_and_clear(client, login, make_user, event, poll, make_poll, page_token):
    other = make_poll(event, title="Second")
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/VIEW01/polls")
    client.post(f"/manage/VIEW01/polls/{other.id}/show", data={"csrf_token": token})
    assert event.display_poll_id == other.id
    client.post("/manage/VIEW01/polls/display/clear", data={"csrf_token": token})
    assert event.display_poll_id is None


def test_admin_creates_and_edits_event_and_gives_access(client, login, make_user, page_token, app):
    login(client, make_user("admin"))
    moderator = make_user("moderator")
    token = page_token(client, "/manage/new")
    data = {
        "csrf_token": token,
        "name": "Autumn assembly",
        "code": "fall26",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-02",
        "venue": "Ghent",
        "allow_anonymous": "y",
    }
    assert client.post("/manage/new", data=data).status_code == 302
    event = Event.query.filter_by(code="FALL26").one()
    bad = client.post("/manage/FALL26/settings", data={**data, "ends_on": "2026-11-01"})
    assert bad.status_code == 400
    assert "cannot end before it starts" in bad.get_data(as_text=True)
    clash = client.post("/manage/new", data=data)
    assert clash.status_code == 409
    assert (
        client.post(
            "/manage/FALL26/staff", data={"csrf_token": token, "email": moderator.email}
        ).status_code
        == 302
    )
    assert [s.user.email for s in event.staff] == [moderator.email]
    assert (
        client.post(
            "/manage/FALL26/staff", data={"csrf_token": token, "email": "nobody@example.org"}
        ).status_code
        == 404
    )


def test_moderator_cannot_create_events(client, login, make_user):
    login(client, make_user("moderator"))
    assert client.get("/manage/new").status_code == 403


def test_staff_home_lists_own_events(client, login, make_user, make_event):
    mine = make_event(name="Mine")
    make_event(name="Not mine")
    login(client, make_user("moderator", events=[mine]))
    html = client.get("/manage/").get_data(as_text=True)
    assert "Mine" in html
    assert "Not mine" not in html


def test_display_uses_public_url_when_set(app, client, event):
    app.config["PUBLIC_URL"] = "http://10.1.2.3:8000/"
    html = client.get("/e/VIEW01/display").get_data(as_text=True)
    assert "10.1.2.3:8000" in html


def test_ids_too_large_for_the_database_are_404_everywhere(
    app, client, make_event, make_user, login
):
    """Every URL with an <int:...> part answers 404, never a database overflow (500)."""
    make_event("HUGE01")
    login(client, make_user("admin"))
    huge = str(10**20)  # beyond SQLite's 64-bit integers and PostgreSQL's 32-bit ids
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:\w+>", huge, rule.rule.replace("<code>", "HUGE01"))
        url = re.sub(r"<\w+>", "csv", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (400, 404, 405), (method, url, response.status_code)
