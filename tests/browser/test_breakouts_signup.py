"""An attendee signs up for a breakout session on a phone; a second phone sees the seats
left drop live, then rise again when the first withdraws."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import EVENT, assert_not_reloaded, set_marker, sign_in, wait_online

pytestmark = pytest.mark.browser


def seed_linked_attendees(server, *names: str) -> list[str]:
    """Register confirmed attendees of the demo event; return their personal link paths."""
    import secrets

    from voting import create_app
    from voting.events.service import find_event
    from voting.extensions import db
    from voting.registration.service import RegistrationData, new_link, register

    app = create_app({"INSTANCE_PATH": str(server.instance), "SOCKETIO_ASYNC_MODE": "threading"})
    links = []
    with app.app_context():
        event = find_event(EVENT)
        for name in names:
            suffix = secrets.token_hex(3)
            registration = register(
                event,
                RegistrationData(
                    first_name=name,
                    last_name=f"Tester{suffix}",
                    email=f"{name}-{suffix}@example.org".lower(),
                    organisation="Analytical Engines Ltd",
                    country="BE",
                    day_ids=[day.id for day in event.days],
                ),
                by_staff=True,
            ).registration
            links.append(f"/e/{EVENT}/r/{new_link(registration)}")
        db.session.remove()
        db.engine.dispose()
    return links


def first_session(server) -> dict:
    """Return the first breakout session of the demo event from the public API."""
    url = f"{server.url}/api/v1/events/{EVENT}/breakouts"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["sessions"][0]


def seats_left(count: int) -> str:
    """Return the wording of the seats-left figure."""
    return "Full" if count == 0 else ("1 seat left" if count == 1 else f"{count} seats left")


def test_sign_up_seen_live_on_another_phone_then_withdraw(server, devices, screenshot):
    ana_link, ben_link = seed_linked_attendees(server, "Ana", "Ben")
    session = first_session(server)
    left = session["left"]
    ana = devices.new("ana", PHONE)
    ana.goto(ana_link)
    expect(ana.get_by_role("heading", name="My sessions")).to_be_visible()
    ana.get_by_role("link", name="Choose breakout sessions").click()
    wait_online(ana)
    ben = devices.new("ben", PHONE)
    ben.goto(ben_link)
    ben.goto(f"/e/{EVENT}/breakouts")
    wait_online(ben)
    set_marker(ben)
    ben_card = ben.locator(f'li[data-session="{session["id"]}"]')
    expect(ben_card.locator("[data-left]")).to_have_text(seats_left(left))
    screenshot(ana, "sessions-page", full_page=True)

    ana_card = ana.locator(f'li[data-session="{session["id"]}"]')
    ana_card.get_by_role("button", name="Sign up").click()
    expect(ana.locator(".flash-success")).to_contain_text("You are signed up for")
    ana_card = ana.locator(f'li[data-session="{session["id"]}"]')
    expect(ana_card).to_contain_text("You have a seat here.")
    expect(ana_card.get_by_role("button", name="Withdraw")).to_be_visible()
    # the other sessions of the slot now offer a switch
    slot = ana.locator(f"#slot-{session['slot']['id']}")
    expect(slot.get_by_role("button", name="Switch here").first).to_be_visible()
    ana_card.scroll_into_view_if_needed()
    screenshot(ana, "signed-up")

    expect(ben_card.locator("[data-left]")).to_have_text(seats_left(left - 1))
    assert_not_reloaded(ben)
    ben_card.scroll_into_view_if_needed()
    screenshot(ben, "second-phone-live")

    ana.goto(f"/e/{EVENT}/me")
    expect(ana.locator("#my-sessions-title + ul")).to_contain_text(session["title"])
    expect(ana.locator("#my-sessions-title + ul")).to_contain_text("Seat confirmed")
    ana.locator("#my-sessions-title").scroll_into_view_if_needed()
    screenshot(ana, "my-sessions")

    ana.goto(f"/e/{EVENT}/breakouts")
    ana.locator(f'li[data-session="{session["id"]}"]').get_by_role(
        "button", name="Withdraw"
    ).click()
    expect(ana.locator(".flash-success")).to_contain_text("You withdrew from")
    expect(ben_card.locator("[data-left]")).to_have_text(seats_left(left))
    assert_not_reloaded(ben)
    assert devices.errors == []


def test_staff_page_and_agenda(server, devices, screenshot):
    laptop = devices.new("organiser", LAPTOP)
    sign_in(laptop, server.email, server.password)
    laptop.get_by_role("link", name="Breakouts and agenda").first.click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Breakouts and agenda")
    expect(laptop.get_by_text("Sign-up is open.")).to_be_visible()
    expect(laptop.locator("#slot-1 tbody tr")).to_have_count(7)
    screenshot(laptop, "staff-page", full_page=True)
    phone = devices.new("visitor", PHONE)
    phone.goto(f"/e/{EVENT}")
    phone.get_by_role("link", name="Agenda").click()
    expect(phone.get_by_role("heading", level=2).nth(1)).to_contain_text("Partnering day")
    expect(phone.locator(".agenda-entry").first).to_contain_text("Opening")
    screenshot(phone, "agenda", full_page=True)
    assert devices.errors == []
