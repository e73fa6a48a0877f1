"""Attendee pages through Flask's test client, with mails read from a real SMTP server."""

from __future__ import annotations

import json

import pytest

from tests.conftest import mail_text, personal_link_in
from voting.extensions import db
from voting.models import Registration, RegistrationStatus


@pytest.fixture
def event(make_conference):
    """A two-day event with a partnership, a required custom question and a contact."""
    return make_conference("REG2026", contact_email="team@example.org")


def form(event, token: str, **changes) -> dict:
    """Return a valid registration form submission."""
    values = {
        "csrf_token": token,
        "first_name": "Jonas",
        "last_name": "Berg",
        "email": "Jonas.Berg@Example.org",
        "organisation": "Nordic Cluster",
        "country": "SE",
        "partnership_id": str(event.partnerships[0].id),
        "role": "Cluster manager",
        "day_ids": [str(day.id) for day in event.days],
        f"q_{event.questions[0].id}": "Vegetarian",
        "consent_privacy": "y",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_form_has_every_labelled_field_and_eu_first(client, event):
    html = client.get("/e/REG2026/register").get_data(as_text=True)
    for label in (
        "First name",
        "Last name",
        "Email",
        "Organisation",
        "Country",
        "Role",
        "Cluster partnership",
        "Days you attend",
        "Lunch",
        "privacy notice",
    ):
        assert label in html
    assert html.index('label="European Union"') < html.index('label="Other European countries"')
    assert html.index('label="Other European countries"') < html.index('label="Rest of the world"')
    assert "team@example.org" in html  # the default privacy notice names the contact


def test_register_mails_link_and_ticket_then_link_signs_in(app, client, event, page_token, smtp):
    token = page_token(client, "/e/REG2026/register")
    response = client.post("/e/REG2026/register", data=form(event, token))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have sent your confirmation" in page
    assert "Your place is confirmed" in page
    [message] = smtp.to("Jonas.Berg@Example.org")
    assert "Your ticket for Partnering Day" in message["Subject"]
    registration = db.session.query(Registration).one()
    text = mail_text(message)
    assert registration.ticket_code[:5] in text
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    # The link from the mail signs in on another phone.
    phone = app.test_client()
    opened = phone.get(personal_link_in(message))
    assert opened.status_code == 302
    me = phone.get("/e/REG2026/me").get_data(as_text=True)
    assert "Hello Jonas" in me
    assert "Nordic Cluster" in me
    qr = phone.get("/e/REG2026/me/ticket.svg")
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"


def test_bad_input_is_shown_at_the_fields_and_changes_nothing(client, event, page_token):
    token = page_token(client, "/e/REG2026/register")
    bad = form(
        event, token, first_name="", email="nope", country="ZZ", consent_privacy=None, day_ids=[]
    )
    response = client.post("/e/REG2026/register", data=bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This field is required." in html
    assert "Enter a valid email address" in html
    assert "Choose a country from the list." in html
    assert "You need to accept the privacy notice" in html
    assert "Choose at least one day" in html
    assert 'value="Nordic Cluster"' in html  # what was typed is kept
    assert db.session.query(Registration).count() == 0


def test_missing_csrf_is_refused(client, event):
    response = client.post("/e/REG2026/register", data=form(event, "forged"))
    assert response.status_code == 400
    assert db.session.query(Registration).count() == 0


def test_duplicate_email_message(client, event, page_token):
    token = page_token(client, "/e/REG2026/register")
    client.post("/e/REG2026/register", data=form(event, token))
    other = type(client)(client.application, client.response_wrapper)
    token = page_token(other, "/e/REG2026/register")
    response = other.post(
        "/e/REG2026/register", data=form(event, token, email="JONAS.BERG@example.org")
    )
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)


def test_unknown_link_and_no_link(client, event):
    assert client.get("/e/REG2026/r/not-a-real-token").status_code == 404
    assert client.get("/e/REG2026/me").status_code == 401
    assert client.get("/e/REG2026/me/data.json").status_code == 401
    assert client.get("/e/NOPE99/register").status_code == 404


def test_full_event_waiting_list_and_promotion_mail(
    app, client, event, page_token, smtp, make_registration
):
    event.capacity = 1
    db.session.commit()
    seat_holder, seat_token = make_registration(event, email="holder@example.org")
    token = page_token(client, "/e/REG2026/register")
    client.post("/e/REG2026/register", data=form(event, token))
    page = client.get("/e/REG2026/me").get_data(as_text=True)
    assert "You are on the waiting list" in page
    assert "number 1" in page
    assert "waiting list" in smtp.to("Jonas.Berg@Example.org")[0]["Subject"]
    holder = app.test_client()
    holder.get(f"/e/REG2026/r/{seat_token}")
    csrf = page_token(holder, "/e/REG2026/me")
    assert holder.post("/e/REG2026/me/cancel", data={"csrf_token": csrf}).status_code == 302
    assert db.session.get(Registration, seat_holder.id).status == RegistrationStatus.cancelled
    promoted = smtp.to("Jonas.Berg@Example.org")[-1]
    assert "You have a place" in promoted["Subject"]
    assert "Your place is confirmed" in client.get("/e/REG2026/me").get_data(as_text=True)


def test_edit_details_and_errors(client, event, page_token, make_registration):
    registration, link = make_registration(event, email="edit@example.org", country="FR")
    client.get(f"/e/REG2026/r/{link}")
    token = page_token(client, "/e/REG2026/me/edit")
    changed = form(event, token, email="edit@example.org", organisation="New Org")
    assert client.post("/e/REG2026/me/edit", data=changed).status_code == 302
    assert db.session.get(Registration, registration.id).organisation == "New Org"
    bad = form(event, token, email="edit@example.org", organisation="x" * 300)
    response = client.post("/e/REG2026/me/edit", data=bad)
    assert response.status_code == 400
    assert "at most 200" in response.get_data(as_text=True)
    assert db.session.get(Registration, registration.id).organisation == "New Org"


def test_download_and_delete_my_data(client, event, page_token, make_registration):
    registration, link = make_registration(event, email="mine@example.org")
    client.get(f"/e/REG2026/r/{link}")
    data = client.get("/e/REG2026/me/data.json")
    assert data.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(data.get_data())["email"] == "mine@example.org"
    token = page_token(client, "/e/REG2026/me")
    # Without the confirmation box nothing happens.
    assert client.post("/e/REG2026/me/delete", data={"csrf_token": token}).status_code == 303
    assert db.session.get(Registration, registration.id) is not None
    response = client.post("/e/REG2026/me/delete", data={"csrf_token": token, "confirm": "delete"})
    assert response.status_code == 302
    assert db.session.query(Registration).count() == 0
    assert client.get("/e/REG2026/me").status_code == 401


def test_one_attendee_cannot_reach_another(app, event, make_registration):
    first, first_link = make_registration(event, email="one@example.org", first_name="One")
    second, _second_link = make_registration(event, email="two@example.org", first_name="Two")
    phone = app.test_client()
    phone.get(f"/e/REG2026/r/{first_link}")
    # The session names the registration; tampering is impossible (signed), and a forged
    # id with the other's hash prefix is not in the session to begin with.
    page = phone.get("/e/REG2026/me").get_data(as_text=True)
    assert "Hello One" in page
    assert "two@example.org" not in page


def test_new_link_signs_old_devices_out(app, event, make_registration):
    from voting.registration import service

    registration, link = make_registration(event)
    phone = app.test_client()
    phone.get(f"/e/REG2026/r/{link}")
    assert phone.get("/e/REG2026/me").status_code == 200
    service.new_link(registration)
    assert phone.get("/e/REG2026/me").status_code == 401


def test_staff_made_registration_asks_for_consent(client, event, page_token, make_registration):
    registration, link = make_registration(event)
    client.get(f"/e/REG2026/r/{link}")
    page = client.get("/e/REG2026/me").get_data(as_text=True)
    assert "Save my consent" in page
    token = page_token(client, "/e/REG2026/me")
    client.post("/e/REG2026/me/consent", data={"csrf_token": token, "consent_privacy": "y"})
    stored = db.session.get(Registration, registration.id)
    assert stored.consent_privacy_at is not None
    assert stored.consent_version


def test_closed_registration(client, event, page_token):
    event.registration_open = False
    db.session.commit()
    assert "closed" in client.get("/e/REG2026/register").get_data(as_text=True)


def test_outbox_without_smtp(app, client, event, page_token, tmp_path):
    token = page_token(client, "/e/REG2026/register")
    client.post("/e/REG2026/register", data=form(event, token))
    outbox = list((tmp_path / "instance" / "outbox").glob("*.eml"))
    assert len(outbox) == 1
    assert b"Your ticket for Partnering Day" in outbox[0].read_bytes()


def test_live_page_links_to_registration_or_my_ticket(app, client, event, make_registration):
    assert "Register for this event" in client.get("/e/REG2026").get_data(as_text=True)
    assert "/e/REG2026/register" in client.get("/").get_data(as_text=True)
    _registration, link = make_registration(event, first_name="Mia", last_name="Kovač")
    client.get(f"/e/REG2026/r/{link}")
    page = client.get("/e/REG2026").get_data(as_text=True)
    assert "Signed in as Mia Kovač" in page
    assert "My registration and ticket" in page
