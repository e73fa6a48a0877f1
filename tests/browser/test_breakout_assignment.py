"""Preference mode end to end: an attendee ranks sessions on a phone, the organiser runs
and publishes the assignment, and the attendee finds their sessions on their phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import EVENT, seed_attendee, sign_in

pytestmark = pytest.mark.browser

FIRST = "Finding the right international counterparts"
SECOND = "Helping SMEs scale up across borders"


@pytest.fixture(scope="module")
def server(start_server):
    """A server of its own (for `devices` too): this test switches the demo event to
    preference mode."""
    return start_server("assignment")


def test_rank_assign_publish_and_see_it_on_the_phone(server, devices, screenshot):
    seeded = seed_attendee(server, "checkin", "door staff password", "Lea", "Novak")
    laptop = devices.new("laptop", LAPTOP)
    sign_in(laptop, server.email, server.password)
    laptop.goto(f"/manage/{EVENT}/breakouts")
    laptop.get_by_label("Mode", exact=True).select_option(
        label="Attendees rank sessions; an assignment places them"
    )
    laptop.get_by_role("button", name="Save mode").click()
    expect(
        laptop.get_by_role("link", name="Assignment from preferences: preview, adjust, publish")
    ).to_be_visible()

    # The attendee ranks on a phone, signed in by the personal link.
    phone = devices.new("phone", PHONE)
    phone.goto(seeded["link"])
    phone.goto(f"/e/{EVENT}/breakouts/rank")
    first_slot, second_slot = phone.locator("fieldset.slot").all()
    first_slot.get_by_label("1st choice").select_option(label=f"{FIRST} (Spinelli)")
    second_slot.get_by_label("1st choice").select_option(label=f"{SECOND} (Monnet)")
    phone.get_by_role("button", name="Save my choices").click()
    expect(phone.locator(".flash-success")).to_contain_text("Your choices are saved")
    screenshot(phone, "ranked", full_page=True)

    # The organiser previews, sees the satisfaction figures, publishes.
    laptop.goto(f"/manage/{EVENT}/breakouts/assignment")
    laptop.get_by_role("button", name="Run the assignment (preview)").click()
    expect(laptop.get_by_role("heading", name="Satisfaction")).to_be_visible()
    expect(laptop.get_by_text(seeded["name"]).first).to_be_visible()
    screenshot(laptop, "preview", full_page=True)
    laptop.get_by_role("button", name="Publish the assignment").click()
    expect(laptop.locator(".flash-success")).to_be_visible()

    # The attendee's phone shows both first choices.
    phone.goto(f"/e/{EVENT}/me")
    sessions = phone.locator("section").filter(has=phone.get_by_role("heading", name="My sessions"))
    expect(sessions).to_contain_text(FIRST)
    expect(sessions).to_contain_text(SECOND)
    screenshot(phone, "my-sessions", full_page=True)
    assert devices.errors == []
