"""From burning themes to breakout sessions, end to end (issue 5): attendees propose and
upvote themes on their phones, staff approve and promote the top ones to sessions,
attendees rank them, the organiser previews and publishes the assignment, and the phones
that are already open show each attendee's sessions without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.boards import board_idea
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import (
    EVENT,
    assert_not_reloaded,
    seed_attendee,
    set_marker,
    sign_in,
    wait_online,
)

pytestmark = pytest.mark.browser

THEMES = {
    "lea": "Shared testbeds for hydrogen SMEs",
    "omar": "One data space for regional clusters",
    "zofia": "Green skills for cluster staff",
}
SLOT = "Burning themes"


@pytest.fixture(scope="module")
def server(start_server):
    """A server of its own: the journey adds themes and switches the demo to preferences."""
    return start_server("themes-to-breakouts")


def upvote(page: Page, text: str) -> None:
    """Upvote an idea from the phone's board and wait for the server's ack."""
    button = board_idea(page, text).get_by_role("button")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def staff_post(page: Page, button, flash: str) -> None:
    """Press a staff form's button and wait for the page it redirects to, with its flash."""
    with page.expect_navigation():
        button.click()
    expect(page.locator(".flash-success")).to_contain_text(flash)


def test_themes_become_sessions_and_the_open_phone_shows_the_assignment(
    server, devices, screenshot
):
    people = {
        key: seed_attendee(server, "checkin", "door staff password", first, last)
        for key, first, last in (
            ("lea", "Lea", "Novak"),
            ("omar", "Omar", "Haddad"),
            ("zofia", "Zofia", "Kowalska"),
        )
    }
    phones = {}
    for key, seeded in people.items():
        phone = devices.new(key, PHONE)
        phone.goto(seeded["link"])  # the personal link signs the attendee in on this phone
        phone.goto(f"/e/{EVENT}/ideas")
        wait_online(phone)
        phones[key] = phone

    # Each attendee proposes a theme from their phone.
    for key, phone in phones.items():
        phone.get_by_label("Your theme").fill(THEMES[key])
        phone.get_by_role("button", name="Send my idea").click()
        expect(phone.locator("[data-propose-status]")).to_contain_text("A moderator will")

    # Staff approve them; the phones' boards fill by themselves; everyone upvotes.
    laptop = devices.new("organiser", LAPTOP)
    sign_in(laptop, server.email, server.password)
    laptop.goto(f"/manage/{EVENT}/ideas")
    wait_online(laptop)
    for text in THEMES.values():
        idea = laptop.locator("li.mod-idea").filter(
            has=laptop.locator("p.idea-text", has_text=text)
        )
        with laptop.expect_navigation():
            idea.get_by_role("button", name="Approve", exact=True).click()
        wait_online(laptop)
    for phone in phones.values():
        for text in THEMES.values():
            expect(board_idea(phone, text)).to_be_visible()
    hydrogen, data, skills = THEMES["lea"], THEMES["omar"], THEMES["zofia"]
    for key in ("lea", "omar", "zofia"):
        upvote(phones[key], hydrogen)
    for key in ("lea", "omar"):
        upvote(phones[key], data)
    expect(phones["zofia"].locator("li.idea").first).to_contain_text(hydrogen)
    expect(board_idea(phones["zofia"], data).locator("[data-votes]")).to_have_text("2")
    screenshot(phones["zofia"], "1-phone-board", full_page=True)

    # The top two themes are promoted, then become sessions of a new slot.
    laptop.reload()
    wait_online(laptop)
    laptop.get_by_label("or the top").fill("2")
    staff_post(laptop, laptop.get_by_role("button", name="Promote the top ideas"), "promoted")
    expect(laptop.locator(".theme-list")).to_contain_text(hydrogen)
    expect(laptop.locator(".theme-list")).to_contain_text(data)
    expect(laptop.locator(".theme-list")).not_to_contain_text(skills)
    screenshot(laptop, "2-promoted", full_page=True)

    laptop.goto(f"/manage/{EVENT}/breakouts")
    adding = laptop.locator(".card").filter(
        has=laptop.get_by_role("heading", name="Add a breakout slot")
    )
    adding.get_by_label("Day").select_option(index=1)
    adding.get_by_label("Starts (HH:MM)").fill("16:00")
    adding.get_by_label("Ends (HH:MM)").fill("17:00")
    adding.get_by_label("Title (optional)").fill(SLOT)
    staff_post(laptop, adding.get_by_role("button", name="Add slot"), "The slot is added.")
    slot = laptop.locator("article.card").filter(
        has=laptop.get_by_role("heading", name=re.compile(f"^{SLOT}"))
    )
    slot.get_by_text("Create one session per theme").click()
    slot.get_by_label(hydrogen).check()
    slot.get_by_label(data).check()
    slot.get_by_label("Capacity of each").fill("10")
    slot.get_by_label("Rooms, one per line in theme order (optional)").fill("Agora\nForum")
    staff_post(laptop, slot.get_by_role("button", name="Create sessions"), "2 sessions are added.")
    expect(slot.get_by_role("link", name=hydrogen)).to_be_visible()

    # The event is still first come, first served: the assignment page explains that and
    # leads to the mode switch instead of offering buttons that would be refused.
    laptop.goto(f"/manage/{EVENT}/breakouts/assignment")
    expect(
        laptop.get_by_role("heading", name="Sessions are first come, first served")
    ).to_be_visible()
    expect(laptop.get_by_role("button", name="Run the assignment (preview)")).to_have_count(0)
    expect(laptop.get_by_role("button", name="Publish the assignment")).to_have_count(0)
    screenshot(laptop, "2b-assignment-in-signup-mode")
    laptop.get_by_role("link", name="Switch to preference mode").click()
    expect(laptop).to_have_url(re.compile(rf"/manage/{EVENT}/breakouts#signup-title$"))
    laptop.get_by_label("Mode", exact=True).select_option(
        label="Attendees rank sessions; an assignment places them"
    )
    staff_post(laptop, laptop.get_by_role("button", name="Save mode"), "is saved")

    # Attendees rank the new sessions on their phones.
    choices = {"lea": (hydrogen, data), "omar": (data, hydrogen), "zofia": (hydrogen, data)}
    for key, (first, second) in choices.items():
        phone = phones[key]
        phone.goto(f"/e/{EVENT}/breakouts/rank")
        fieldset = phone.locator("fieldset.slot").filter(has_text=SLOT)
        rooms = {hydrogen: "Agora", data: "Forum"}
        fieldset.get_by_label("1st choice").select_option(label=f"{first} ({rooms[first]})")
        fieldset.get_by_label("2nd choice").select_option(label=f"{second} ({rooms[second]})")
        phone.get_by_role("button", name="Save my choices").click()
        expect(phone.locator(".flash-success")).to_contain_text("Your choices are saved")
    screenshot(phones["lea"], "3-ranked", full_page=True)

    # The phones stay open: Lea on her ranking, Omar on the sessions, Zofia on her page.
    phones["omar"].goto(f"/e/{EVENT}/breakouts")
    phones["zofia"].goto(f"/e/{EVENT}/me")
    for phone in phones.values():
        wait_online(phone)
        set_marker(phone)
    expect(phones["lea"].get_by_role("heading", name="Your sessions")).to_be_hidden()
    expect(phones["omar"].get_by_role("heading", name="My sessions")).to_be_hidden()

    # The organiser previews: satisfaction figures, then publishes.
    laptop.goto(f"/manage/{EVENT}/breakouts/assignment")
    laptop.get_by_role("button", name="Run the assignment (preview)").click()
    expect(laptop.locator(".flash-success")).to_contain_text("Proposal ready")
    satisfaction = laptop.locator("table.figures")
    first_row = satisfaction.locator("tr").filter(
        has=laptop.get_by_role("rowheader", name="1st choice")
    )
    expect(first_row.locator("td").first).to_have_text("3")
    expect(satisfaction).to_contain_text("A session they did not rank")
    new_slot = laptop.locator("section.slot").filter(
        has=laptop.get_by_role("heading", name=re.compile(SLOT))
    )
    expect(new_slot).to_contain_text(people["lea"]["name"])
    screenshot(laptop, "4-preview")
    new_slot.scroll_into_view_if_needed()
    screenshot(laptop, "4b-preview-new-slot")
    staff_post(
        laptop, laptop.get_by_role("button", name="Publish the assignment"), "Attendees now see"
    )

    # Every open phone shows its own sessions, with no reload.
    lea = phones["lea"]
    expect(lea.get_by_role("heading", name="Your sessions")).to_be_visible()
    expect(lea.locator("[data-my-list]")).to_contain_text(hydrogen)
    expect(lea.locator("[data-my-list]")).not_to_contain_text(data)
    expect(lea.get_by_role("button", name="Save my choices")).to_be_hidden()
    expect(lea.locator(".flash-success")).to_have_count(0)  # "choices saved" no longer applies
    screenshot(lea, "5-rank-page-live", full_page=True)

    omar = phones["omar"]
    mine = omar.locator("section.my-card")
    expect(mine).to_be_visible()
    expect(mine.locator("[data-my-list]")).to_contain_text(data)
    expect(mine.locator("[data-my-list] li").filter(has_text=data)).to_contain_text(
        "Seat confirmed"
    )
    card = omar.locator("li.session-card").filter(has=omar.get_by_role("link", name=data))
    expect(card).to_have_class(re.compile(r"\bis-mine\b"))
    expect(card.locator(".my-status")).to_have_text("You have a seat here.")
    expect(omar.locator("[data-when-assigned]")).to_be_visible()
    screenshot(omar, "6-sessions-page-live")
    card.scroll_into_view_if_needed()
    screenshot(omar, "6b-sessions-page-live-card")

    zofia = phones["zofia"]
    my_sessions = zofia.locator("section").filter(
        has=zofia.get_by_role("heading", name="My sessions")
    )
    expect(my_sessions.locator("[data-my-list]")).to_contain_text(hydrogen)
    expect(my_sessions.locator("[data-my-list] li")).to_have_count(3)  # both demo slots too
    screenshot(zofia, "7-personal-page-live", full_page=True)

    for phone in phones.values():
        assert_not_reloaded(phone)
    assert devices.errors == []
