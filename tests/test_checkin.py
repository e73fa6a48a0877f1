"""Check-in at the door, badges, live counts and the staff registrations API."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from tests.conftest import events_named
from voting.accounts.service import create_token
from voting.checkin import service
from voting.errors import Conflict, NotFound
from voting.extensions import db
from voting.models import AccessLog, Registration, RegistrationStatus, User
from voting.registration.tickets import format_ticket

CODE = "DOOR01"


@pytest.fixture
def event(make_event):
    return make_event(CODE)


@pytest.fixture
def other_event(make_event):
    return make_event("DOOR02")


@pytest.fixture
def attendee(event, make_registration):
    registration, _ = make_registration(
        event, first_name="Ada", last_name="Lovelace", organisation="Analytical Engines"
    )
    return registration


@pytest.fixture
def door(event, make_user):
    """A check-in staff member of the event."""
    return make_user("checkin", events=[event], email="door@example.org")


@pytest.fixture
def door_client(app, door, login):
    """A signed-in check-in staff member's browser."""
    return login(app.test_client(), door)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def fresh(registration: Registration) -> Registration:
    """Reload a registration from the database."""
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


def post_checkin(client, page_token, registration, code=CODE):
    """Press the check-in button of an attendee's page."""
    url = f"/e/{code}/checkin/{registration.id}"
    token = page_token(client, f"/e/{CODE}/checkin")
    return client.post(url, data={"csrf_token": token})


# --- service ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        format_ticket,
        lambda code: f"  {format_ticket(code).lower()} ",
        lambda code: f"https://plenum.test/t/{code}",
    ],
)
def test_ticket_is_found_however_it_is_typed_or_scanned(event, attendee, typed):
    assert service.find_by_ticket(event, typed(attendee.ticket_code)).id == attendee.id


@pytest.mark.parametrize("text", ["", "   ", "NOPE", "%", "'; DROP TABLE x; --", "x" * 500])
def test_unknown_ticket_is_not_found(event, attendee, text):
    with pytest.raises(NotFound) as caught:
        service.find_by_ticket(event, text)
    assert caught.value.code == "unknown_ticket"


def test_ticket_of_another_event_is_not_found(event, other_event, make_registration):
    elsewhere, _ = make_registration(other_event)
    with pytest.raises(NotFound):
        service.find_by_ticket(event, elsewhere.ticket_code)


def test_search_by_name_organisation_email_and_ticket(event, other_event, make_registration):
    ada, _ = make_registration(event, first_name="Ada", last_name="Lovelace", organisation="Eng")
    grace, _ = make_registration(
        event, first_name="Grace", last_name="Hopper", organisation="Navy", email="gh@navy.mil"
    )
    make_registration(other_event, first_name="Ada", last_name="Elsewhere")
    assert [r.id for r in service.search(event, "ada")] == [ada.id]
    assert [r.id for r in service.search(event, "LOVELACE")] == [ada.id]
    assert [r.id for r in service.search(event, "ada love")] == [ada.id]
    assert [r.id for r in service.search(event, "navy")] == [grace.id]
    assert [r.id for r in service.search(event, "GH@NAVY")] == [grace.id]
    assert [r.id for r in service.search(event, format_ticket(grace.ticket_code))] == [grace.id]
    assert service.search(event, "") == []
    assert service.search(event, "%") == []
    assert service.search(event, "_") == []


def test_search_is_limited(event, make_registration):
    for _ in range(5):
        make_registration(event, first_name="Sam")
    assert len(service.search(event, "sam", limit=3)) == 3


def test_check_in_marks_once_and_second_says_who_and_when(event, attendee, door, make_user):
    checked = service.check_in(attendee, door)
    assert checked.checked_in_at is not None
    assert checked.checked_in_by_id == door.id
    first_time = checked.checked_in_at
    with pytest.raises(service.AlreadyCheckedIn) as caught:
        service.check_in(attendee, make_user("checkin", events=[event]))
    error = caught.value
    assert error.status == 409
    assert error.code == "already_checked_in"
    assert error.checked_in_by == "door@example.org"
    assert error.checked_in_at == service.as_utc(first_time)
    assert "door@example.org" in error.message
    assert fresh(attendee).checked_in_by_id == door.id


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (RegistrationStatus.cancelled, "registration_cancelled"),
        (RegistrationStatus.rejected, "registration_rejected"),
        (RegistrationStatus.waiting, "registration_waiting"),
        (RegistrationStatus.pending, "registration_pending"),
    ],
)
def test_check_in_refuses_registrations_without_a_seat(
    event, door, make_registration, status, code
):
    registration, _ = make_registration(event, status=status)
    with pytest.raises(Conflict) as caught:
        service.check_in(registration, door)
    assert caught.value.code == code
    assert fresh(registration).checked_in_at is None


def test_concurrent_check_ins_of_one_ticket_succeed_exactly_once(app, event, attendee, make_user):
    users = [make_user("checkin", events=[event]).id for _ in range(8)]
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def scan(user_id: int) -> None:
        with app.app_context():
            registration = db.session.get(Registration, attendee.id)
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                service.check_in(registration, user)
                outcomes.append("ok")
            except service.AlreadyCheckedIn:
                outcomes.append("already")
            except Exception as error:  # any other outcome fails the test below
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scan, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already"] * (len(users) - 1) + ["ok"]
    assert fresh(attendee).checked_in_by_id in users


def test_undo_check_in(event, attendee, door):
    service.check_in(attendee, door)
    undone = service.undo_check_in(attendee)
    assert undone.checked_in_at is None
    assert undone.checked_in_by_id is None
    with pytest.raises(Conflict) as caught:
        service.undo_check_in(attendee)
    assert caught.value.code == "not_checked_in"


def test_counts(event, other_event, door, make_registration):
    first, _ = make_registration(event)
    make_registration(event)
    make_registration(event, status=RegistrationStatus.waiting)
    make_registration(event, status=RegistrationStatus.pending)
    make_registration(event, status=RegistrationStatus.cancelled)
    make_registration(other_event)
    service.check_in(first, door)
    counts = service.counts(event.id)
    assert counts["confirmed"] == 2
    assert counts["checked_in"] == 1
    assert counts["expected"] == 1
    assert counts["waiting"] == 1
    assert counts["pending"] == 1
    assert counts["cancelled"] == 1
    assert counts["total"] == 5


@pytest.mark.parametrize("junk", [None, "", "abc", -1, 0, 2**70, "1; DROP"])
def test_junk_registration_ids_are_not_found(event, junk):
    with pytest.raises(NotFound):
        service.find_registration(event, junk)


# --- the check-in page -----------------------------------------------------------------


def test_check_in_page_needs_sign_in(client, event):
    response = client.get(f"/e/{CODE}/checkin")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_check_in_staff_of_another_event_gets_403(app, event, other_event, make_user, login):
    outsider = login(app.test_client(), make_user("checkin", events=[other_event]))
    assert outsider.get(f"/e/{CODE}/checkin").status_code == 403


def test_moderators_run_polls_not_the_door(app, event, attendee, make_user, login, page_token):
    moderator = login(app.test_client(), make_user("moderator", events=[event]))
    assert moderator.get(f"/e/{CODE}/checkin").status_code == 403
    assert moderator.get(f"/manage/{CODE}/badges").status_code == 403
    token = page_token(moderator, f"/manage/{CODE}/polls")
    response = moderator.post(f"/e/{CODE}/checkin/{attendee.id}", data={"csrf_token": token})
    assert response.status_code == 403
    assert attendee.checked_in_at is None


def test_admin_may_check_in(app, event, attendee, make_user, login, page_token):
    admin = login(app.test_client(), make_user("admin"))
    assert admin.get(f"/e/{CODE}/checkin").status_code == 200
    assert post_checkin(admin, page_token, attendee).status_code == 302


def test_moderator_of_another_event_gets_403(app, event, other_event, make_user, login):
    outsider = login(app.test_client(), make_user("moderator", events=[other_event]))
    assert outsider.get(f"/e/{CODE}/checkin").status_code == 403
    assert outsider.get(f"/manage/{CODE}/badges").status_code == 403


def test_check_in_staff_cannot_reach_polls(door_client, event):
    assert door_client.get(f"/manage/{CODE}/polls").status_code == 403


def test_page_shows_counts_and_labelled_search(door_client, event, attendee):
    html = door_client.get(f"/e/{CODE}/checkin").get_data(as_text=True)
    assert '<label for="checkin-q">Ticket code or name</label>' in html
    assert 'data-count="expected">1<' in html
    assert "/vendor/jsQR.js" in html
    assert "<script>" not in html  # no inline script (CSP script-src 'self')


def test_typed_ticket_shows_the_attendee(door_client, event, make_registration):
    registration, _ = make_registration(
        event,
        first_name="Ada",
        last_name="Lovelace",
        organisation="Analytical Engines",
        country="GB",
        partnership_other="Cluster X",
        needs="Wheelchair access",
    )
    query = format_ticket(registration.ticket_code).lower()
    response = door_client.get(f"/e/{CODE}/checkin", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("Ada Lovelace", "Analytical Engines", "United Kingdom", "Cluster X", "Wheelchair"):
        assert text in html
    assert "Check in Ada" in html


def test_search_by_name_lists_matches(door_client, event, make_registration):
    make_registration(event, first_name="Ada", last_name="One")
    make_registration(event, first_name="Ada", last_name="Two")
    html = door_client.get(f"/e/{CODE}/checkin?q=ada").get_data(as_text=True)
    assert "2 matches" in html
    assert "Ada One" in html
    assert "Ada Two" in html


def test_unknown_ticket_or_name_answers_404_with_a_message(door_client, event, attendee):
    response = door_client.get(f"/e/{CODE}/checkin?q=ZZZZZ-ZZZZZ")
    assert response.status_code == 404
    assert "No ticket or attendee matches" in response.get_data(as_text=True)


def test_check_in_by_form_then_second_attempt_warns(door_client, page_token, event, attendee):
    response = post_checkin(door_client, page_token, attendee)
    assert response.status_code == 302
    page = door_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ada Lovelace is checked in." in page
    assert fresh(attendee).checked_in_by.email == "door@example.org"
    again = post_checkin(door_client, page_token, attendee)
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "Already checked in" in html
    assert "door@example.org" in html
    assert "Check in Ada" not in html


def test_second_scan_shows_the_warning(door_client, event, attendee, door):
    service.check_in(attendee, door)
    html = door_client.get(f"/e/{CODE}/checkin?q={attendee.ticket_code}").get_data(as_text=True)
    assert "Already checked in" in html
    assert "door@example.org" in html
    assert "Undo check-in" in html


def test_check_in_without_csrf_is_refused(door_client, event, attendee):
    response = door_client.post(f"/e/{CODE}/checkin/{attendee.id}")
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert fresh(attendee).checked_in_at is None


def test_check_in_of_another_events_registration_is_404(
    door_client, page_token, other_event, make_registration
):
    elsewhere, _ = make_registration(other_event)
    assert post_checkin(door_client, page_token, elsewhere).status_code == 404
    assert fresh(elsewhere).checked_in_at is None


@pytest.mark.parametrize("path", ["abc", "0", "99999", "-1", "1.5", "99999999999999999999999"])
def test_junk_ids_answer_404(door_client, event, page_token, path):
    assert door_client.get(f"/e/{CODE}/checkin/{path}").status_code == 404
    token = page_token(door_client, f"/e/{CODE}/checkin")
    response = door_client.post(f"/e/{CODE}/checkin/{path}", data={"csrf_token": token})
    assert response.status_code in (404, 405)


def test_cancelled_registration_is_refused_on_the_page(
    door_client, page_token, event, make_registration
):
    registration, _ = make_registration(event, status=RegistrationStatus.cancelled)
    html = door_client.get(f"/e/{CODE}/checkin/{registration.id}").get_data(as_text=True)
    assert "Do not check in" in html
    assert "was cancelled" in html
    assert 'action="/e/DOOR01/checkin/' not in html.split("data-attendee")[1].split("undo")[0]
    response = post_checkin(door_client, page_token, registration)
    assert response.status_code == 409
    assert fresh(registration).checked_in_at is None


def test_undo_needs_the_confirmation_box(door_client, page_token, event, attendee, door):
    service.check_in(attendee, door)
    token = page_token(door_client, f"/e/{CODE}/checkin")
    url = f"/e/{CODE}/checkin/{attendee.id}/undo"
    refused = door_client.post(url, data={"csrf_token": token})
    assert refused.status_code == 400
    assert "Tick the confirmation box" in refused.get_data(as_text=True)
    assert fresh(attendee).checked_in_at is not None
    done = door_client.post(url, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302
    assert fresh(attendee).checked_in_at is None


def test_user_text_is_escaped(door_client, event, make_registration):
    registration, _ = make_registration(
        event, first_name="<script>alert(1)</script>", organisation="<b>Org</b>"
    )
    html = door_client.get(f"/e/{CODE}/checkin/{registration.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Org</b>" not in html


def test_scanner_module_is_served(client):
    with client.get("/vendor/jsQR.js") as response:
        assert response.status_code == 200
        assert b"jsQR" in response.data[:2000]
    with client.get("/static/js/checkin.js") as response:
        assert response.status_code == 200


# --- badges ------------------------------------------------------------------------------


def test_badges_need_event_staff(client, app, event, other_event, make_user, login):
    assert client.get(f"/manage/{CODE}/badges").status_code == 302
    outsider = login(app.test_client(), make_user("checkin", events=[other_event]))
    assert outsider.get(f"/manage/{CODE}/badges").status_code == 403


def test_badges_print_several_to_a_page_and_log_the_access(
    door_client, event, door, make_registration
):
    people = [make_registration(event, first_name=f"Person{i}")[0] for i in range(10)]
    make_registration(event, first_name="Gone", status=RegistrationStatus.cancelled)
    response = door_client.get(f"/manage/{CODE}/badges")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="name-badge"') == 10
    assert html.count('class="badge-sheet"') == 2
    assert html.count("<svg") == 10
    assert "Gone" not in html
    assert format_ticket(people[0].ticket_code) in html
    log = db.session.scalars(select(AccessLog).where(AccessLog.event_id == event.id)).all()
    assert [(entry.action, entry.user_id) for entry in log] == [("badges", door.id)]


def test_badges_filtered_by_status_and_ids(door_client, event, make_registration):
    ada, _ = make_registration(event, first_name="Ada")
    bob, _ = make_registration(event, first_name="Bob", status=RegistrationStatus.waiting)
    make_registration(event, first_name="Cy")
    html = door_client.get(f"/manage/{CODE}/badges?status=waiting").get_data(as_text=True)
    assert html.count('class="name-badge"') == 1
    assert "Bob" in html
    html = door_client.get(f"/manage/{CODE}/badges?ids={ada.id},{bob.id}").get_data(as_text=True)
    assert html.count('class="name-badge"') == 2
    assert "Cy" not in html


@pytest.mark.parametrize("query", ["status=king", "ids=1,abc", "ids=;DROP", "ids=" + "9" * 30])
def test_badges_with_bad_filters_answer_400(door_client, event, attendee, query):
    response = door_client.get(f"/manage/{CODE}/badges?{query}")
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_single_badge(door_client, event, attendee, other_event, make_registration):
    html = door_client.get(f"/manage/{CODE}/badges/{attendee.id}").get_data(as_text=True)
    assert html.count('class="name-badge"') == 1
    assert "Lovelace" in html
    elsewhere, _ = make_registration(other_event)
    assert door_client.get(f"/manage/{CODE}/badges/{elsewhere.id}").status_code == 404


# --- live counts over Socket.IO ------------------------------------------------------


def test_staff_screen_joins_and_receives_counts_after_check_in(
    door_client, socket_for, page_token, event, attendee, app, make_user, login
):
    sock = socket_for(door_client, f"/e/{CODE}/checkin")
    ack = sock.emit("join_checkin", {"event": CODE.lower()}, callback=True)
    assert ack["ok"] is True
    assert ack["counts"]["expected"] == 1
    other_screen = login(app.test_client(), make_user("admin"))
    watcher = socket_for(other_screen, f"/e/{CODE}/checkin")
    assert watcher.emit("join_checkin", {"event": CODE}, callback=True)["ok"]
    sock.get_received()
    watcher.get_received()
    post_checkin(door_client, page_token, attendee)
    for screen in (sock, watcher):
        pushes = events_named(screen, "checkin_counts")
        assert pushes, "no counts pushed"
        assert pushes[-1]["counts"]["checked_in"] == 1
        assert pushes[-1]["seq"] > ack["seq"]


def test_counts_reach_only_the_events_staff(
    app, socket_for, page_token, door_client, event, other_event, attendee, make_user, login
):
    outsider = login(app.test_client(), make_user("checkin", events=[other_event]))
    other_sock = socket_for(outsider, "/e/DOOR02/checkin")
    assert other_sock.emit("join_checkin", {"event": "DOOR02"}, callback=True)["ok"]
    ack = other_sock.emit("join_checkin", {"event": CODE}, callback=True)
    assert ack["error"] == "forbidden"
    other_sock.get_received()
    post_checkin(door_client, page_token, attendee)
    assert events_named(other_sock, "checkin_counts") == []


def test_anonymous_socket_cannot_follow_check_in(app, socket_for, event):
    sock = socket_for(app.test_client(), f"/e/{CODE}")
    ack = sock.emit("join_checkin", {"event": CODE}, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "forbidden"


def test_check_in_staff_cannot_join_the_polls_console(door_client, socket_for, event):
    sock = socket_for(door_client, f"/e/{CODE}/checkin")
    ack = sock.emit("join", {"event": CODE, "role": "console"}, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "forbidden"


@pytest.mark.parametrize("payload", [None, CODE, {}, {"event": 5}, [CODE]])
def test_bad_join_checkin_payload(door_client, socket_for, event, payload):
    sock = socket_for(door_client, f"/e/{CODE}/checkin")
    ack = sock.emit("join_checkin", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "invalid_payload"


def test_join_checkin_unknown_event(door_client, socket_for, event):
    sock = socket_for(door_client, f"/e/{CODE}/checkin")
    ack = sock.emit("join_checkin", {"event": "NOPE99"}, callback=True)
    assert ack["error"] == "unknown_event"


# --- JSON API ----------------------------------------------------------------------------


def test_api_lists_registrations_for_staff_and_logs_it(
    client, event, attendee, door, other_event, make_registration
):
    make_registration(other_event)
    service.check_in(attendee, door)
    token = create_token(door)
    response = client.get(f"/api/v1/events/{CODE}/registrations", headers=bearer(token))
    assert response.status_code == 200
    data = response.get_json()
    assert data["count"] == 1
    row = data["registrations"][0]
    assert set(row) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "organisation",
        "country",
        "status",
        "checked_in_at",
    }
    assert row["last_name"] == "Lovelace"
    assert row["status"] == "confirmed"
    assert row["checked_in_at"].endswith("+00:00")
    log = db.session.scalars(select(AccessLog).where(AccessLog.event_id == event.id)).all()
    assert [entry.action for entry in log] == ["api_registrations"]


def test_api_registrations_need_a_token_of_the_events_staff(
    client, event, attendee, other_event, make_user
):
    url = f"/api/v1/events/{CODE}/registrations"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer("made-up")).status_code == 401
    outsider = create_token(make_user("moderator", events=[other_event]))
    response = client.get(url, headers=bearer(outsider))
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert client.get(f"/api/v1/events/{CODE}/registrations?status=king").status_code == 401
    moderator = create_token(make_user("moderator", events=[event]))
    assert client.get(url, headers=bearer(moderator)).status_code == 403
    door = create_token(make_user("checkin", events=[event]))
    bad = client.get(url + "?status=king", headers=bearer(door))
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "invalid_status"


def test_api_check_in_then_409_with_who_and_when(client, event, attendee, door, make_user):
    url = f"/api/v1/events/{CODE}/registrations/{attendee.id}/checkin"
    first = client.post(url, headers=bearer(create_token(door)))
    assert first.status_code == 200
    body = first.get_json()
    assert body["id"] == attendee.id
    assert body["checked_in_by"] == "door@example.org"
    assert body["checked_in_at"]
    second = client.post(url, headers=bearer(create_token(make_user("admin"))))
    assert second.status_code == 409
    conflict = second.get_json()
    assert conflict["error"] == "already_checked_in"
    assert conflict["checked_in_by"] == "door@example.org"
    assert conflict["checked_in_at"] == body["checked_in_at"]
    assert conflict["message"]


def test_api_check_in_refusals(client, event, door, other_event, make_registration, make_user):
    token = create_token(door)
    elsewhere, _ = make_registration(other_event)
    base = f"/api/v1/events/{CODE}/registrations"
    response = client.post(f"{base}/{elsewhere.id}/checkin", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_registration"
    assert client.post(f"{base}/abc/checkin", headers=bearer(token)).status_code == 404
    cancelled, _ = make_registration(event, status=RegistrationStatus.cancelled)
    response = client.post(f"{base}/{cancelled.id}/checkin", headers=bearer(token))
    assert response.status_code == 409
    assert response.get_json()["error"] == "registration_cancelled"
    outsider = create_token(make_user("checkin", events=[other_event]))
    attendee, _ = make_registration(event)
    response = client.post(f"{base}/{attendee.id}/checkin", headers=bearer(outsider))
    assert response.status_code == 403
    assert fresh(attendee).checked_in_at is None
    assert fresh(elsewhere).checked_in_at is None


def test_staff_home_links_check_in_and_hides_polls_from_check_in_staff(door_client, event):
    html = door_client.get("/manage/").get_data(as_text=True)
    assert f'href="/e/{CODE}/checkin"' in html
    assert f'href="/manage/{CODE}/polls"' not in html


def test_badge_qr_is_a_full_qr_code_not_micro_qr(event, attendee):
    from voting.checkin.views import ticket_qr

    svg = str(ticket_qr(attendee.ticket_code))
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    assert size - 4 >= 21  # Micro QR (at most 17 modules) is unreadable by phone scanners


def test_check_in_updates_the_turnout_of_checked_in_only_polls(
    app, event, attendee, door, make_poll, make_user, login, socket_for
):
    from voting.polls import service as polls

    poll = make_poll(event, eligibility="checked_in")
    polls.open_poll(poll)
    staff = login(app.test_client(), make_user("moderator", events=[event]))
    console = socket_for(staff, f"/manage/{CODE}/polls")
    assert console.emit("join", {"event": CODE, "role": "console"}, callback=True)["ok"]
    console.get_received()
    service.check_in(attendee, door)
    pushed = [m for m in events_named(console, "results") if m["poll_id"] == poll.id]
    assert pushed[-1]["eligible"] == 1
    console.get_received()
    service.undo_check_in(attendee)
    pushed = [m for m in events_named(console, "results") if m["poll_id"] == poll.id]
    assert pushed[-1]["eligible"] == 0
