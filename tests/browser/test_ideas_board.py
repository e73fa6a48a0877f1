"""The ideas board end to end: two phones propose and upvote, the moderator approves and
promotes, and the projector board follows live without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.boards import board_idea, mod_item, moderate
from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import EVENT, assert_not_reloaded, set_marker, sign_in, wait_online

pytestmark = pytest.mark.browser

HYDROGEN = "Hydrogen valleys for regional clusters"
SKILLS = "Skills academies for SMEs — één plan für alle"


@pytest.fixture(scope="module")
def server(start_server):
    """A server of its own: the promoted theme would change the demo's 13 for other tests."""
    return start_server("ideas")


def propose(phone: Page, text: str) -> None:
    """Send an idea from the phone's form (over the socket: the page stays)."""
    phone.get_by_label("Your theme").fill(text)
    phone.get_by_role("button", name="Send my idea").click()


def test_phones_propose_and_upvote_moderator_promotes_board_follows(server, devices, screenshot):
    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/ideas/display")
    wait_online(display)
    set_marker(display)

    moderator = devices.new("moderator", LAPTOP)
    sign_in(moderator, server.email, server.password)
    moderator.goto(f"/manage/{EVENT}/ideas")
    wait_online(moderator)

    phones = [devices.new(f"phone{i}", PHONE) for i in (1, 2)]
    for phone in phones:
        phone.goto(f"/e/{EVENT}/ideas")
        wait_online(phone)
        set_marker(phone)

    # Two phones propose; a repeat of a waiting idea is refused with a clear message.
    propose(phones[0], HYDROGEN)
    expect(phones[0].locator("[data-propose-status]")).to_contain_text("A moderator will")
    propose(phones[1], SKILLS)
    expect(phones[1].locator("[data-propose-status]")).to_contain_text("A moderator will")
    propose(phones[1], "  hydrogen VALLEYS for regional   clusters ")
    expect(phones[1].locator("[data-propose-error]")).to_have_text(
        "This idea was proposed already and awaits moderation."
    )
    expect(phones[0].get_by_label("Your theme")).to_have_value("")
    expect(phones[0].locator("[data-open-count-text]")).to_have_text("You have 1 of 5 ideas open.")

    # The moderator's queue fills by itself; nothing reaches the board before approval.
    expect(mod_item(moderator, HYDROGEN)).to_be_visible()
    expect(mod_item(moderator, SKILLS)).to_be_visible()
    expect(board_idea(phones[0], HYDROGEN)).to_have_count(0)
    moderate(moderator, HYDROGEN, "Approve")
    moderate(moderator, SKILLS, "Approve")

    # Phones and projector show both approved ideas without a reload; phones upvote.
    for phone in phones:
        expect(board_idea(phone, SKILLS)).to_be_visible()
    board_idea(phones[0], SKILLS).get_by_role("button").click()
    expect(board_idea(phones[0], SKILLS).get_by_role("button")).to_have_attribute(
        "aria-pressed", "true"
    )
    board_idea(phones[1], SKILLS).get_by_role("button").click()
    board_idea(phones[1], HYDROGEN).get_by_role("button").click()
    expect(board_idea(phones[1], HYDROGEN).get_by_role("button")).to_have_attribute(
        "aria-pressed", "true"
    )
    board = display.locator("[data-board] li.board-idea")
    expect(board.nth(0)).to_contain_text(SKILLS)
    expect(board.nth(0).locator(".board-votes")).to_have_text("2 votes")
    expect(board.nth(1)).to_contain_text(HYDROGEN)
    expect(board.nth(1).locator(".board-votes")).to_have_text("1 vote")
    expect(phones[0].locator("li.idea").first).to_contain_text(SKILLS)
    expect(board_idea(phones[0], SKILLS).locator("[data-votes]")).to_have_text("2")
    screenshot(phones[0], "phone-board")

    # Taking an upvote back is live too.
    board_idea(phones[1], HYDROGEN).get_by_role("button").click()
    expect(board.nth(1).locator(".board-votes")).to_have_text("0 votes")

    # The moderator promotes the top idea; it is a theme on every screen.
    moderator.reload()
    wait_online(moderator)
    moderator.get_by_label(SKILLS).check()
    with moderator.expect_navigation():
        moderator.get_by_role("button", name="Promote the ticked ideas to themes").click()
    expect(moderator.locator(".flash-success")).to_have_text("1 idea promoted to a theme.")
    expect(moderator.locator(".theme-list")).to_contain_text(SKILLS)
    expect(board.nth(0).locator(".theme-badge")).to_have_text("theme")
    expect(board_idea(phones[1], SKILLS).locator(".theme-badge")).to_be_visible()
    screenshot(moderator, "moderation", full_page=True)
    screenshot(display, "display-board")

    for page in (display, *phones):
        assert_not_reloaded(page)
    assert devices.errors == []


def test_phone_without_javascript_proposes_and_upvotes(server, devices, screenshot):
    phone = devices.new("nojs", PHONE, java_script_enabled=False)
    phone.goto(f"/e/{EVENT}/ideas")
    phone.get_by_label("Your theme").fill("x")
    phone.get_by_role("button", name="Send my idea").click()
    expect(phone.locator("[data-propose-error]")).to_contain_text("3 to 200 characters")
    phone.get_by_label("Your theme").fill("Cluster internationalisation without JavaScript")
    phone.get_by_role("button", name="Send my idea").click()
    expect(phone.locator(".flash-success")).to_contain_text("A moderator will")
    expect(phone.get_by_text(re.compile(r"You have 1 of 5 ideas open"))).to_be_visible()
    screenshot(phone, "phone-no-js")
