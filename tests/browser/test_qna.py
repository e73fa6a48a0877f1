"""The Q&A end to end: a phone asks, the moderator approves and highlights it, the
projector shows it big, another phone upvotes, and every screen follows without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.boards import mod_item, moderate
from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import EVENT, assert_not_reloaded, set_marker, sign_in, wait_online

pytestmark = pytest.mark.browser

QUESTION = "Will the next call fund joint missions to Latin America for cluster SMEs?"
NAME = "Katarzyna Nowak"
NO_JS = "Is there a template for the partnership's internationalisation strategy?"


@pytest.fixture(scope="module")
def server(start_server):
    """A server of its own: highlighting and answering change the demo's Q&A."""
    return start_server("qna")


def phone_question(page: Page, text: str):
    """A question on the phone's list."""
    return page.locator("li.question").filter(has_text=text)


def test_phone_asks_moderator_highlights_display_shows_other_phone_upvotes(
    server, devices, screenshot
):
    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/qna/display")
    wait_online(display)
    set_marker(display)
    stage = display.locator("[data-stage]")
    expect(stage).to_be_hidden()
    # The demo's questions are ranked by upvotes on the projector.
    expect(display.locator("li.qna-item").first).to_contain_text("funding mix")

    moderator = devices.new("moderator", LAPTOP)
    sign_in(moderator, server.email, server.password)
    moderator.goto(f"/manage/{EVENT}/qna")
    wait_online(moderator)

    asker = devices.new("asker", PHONE)
    asker.goto(f"/e/{EVENT}/qna")
    wait_online(asker)
    set_marker(asker)
    asker.get_by_label("Your question", exact=True).fill(QUESTION)
    asker.get_by_label("Your name (optional)").fill(NAME)
    asker.get_by_role("button", name="Send my question").click()
    expect(asker.locator("[data-ask-status]")).to_contain_text("once a moderator approves")
    expect(asker.locator("[data-my-pending]")).to_contain_text(QUESTION)
    expect(asker.get_by_label("Your question", exact=True)).to_have_value("")

    # The moderator's queue fills by itself; nothing reaches the public screens before.
    expect(mod_item(moderator, QUESTION)).to_be_visible()
    expect(display.get_by_text(QUESTION)).to_have_count(0)
    moderate(moderator, QUESTION, "Approve")
    moderate(moderator, QUESTION, "Highlight")
    expect(moderator.locator(".mod-stage")).to_contain_text(QUESTION)

    # The projector shows it big, with the asker's name; the asker's phone marks it.
    expect(stage).to_be_visible()
    expect(display.locator("[data-stage-text]")).to_have_text(QUESTION)
    expect(display.locator("[data-stage-name]")).to_have_text(NAME)
    expect(phone_question(asker, QUESTION).locator(".live-badge")).to_have_text("Being answered")
    expect(asker.locator("[data-my-pending]")).to_be_hidden()
    expect(asker.locator("[data-now]")).to_contain_text(QUESTION)

    # Another phone upvotes it; the projector counts the vote without a reload.
    voter = devices.new("voter", PHONE)
    voter.goto(f"/e/{EVENT}/qna")
    wait_online(voter)
    upvote = phone_question(voter, QUESTION).get_by_role("button")
    upvote.click()
    expect(upvote).to_have_attribute("aria-pressed", "true")
    expect(display.locator("[data-stage-votes]")).to_have_text("1")
    expect(phone_question(asker, QUESTION).locator("[data-votes]")).to_have_text("1")

    # Sorting: by votes the demo's top question leads, by time the newest one.
    expect(voter.locator("li.question").first).to_contain_text("funding mix")
    voter.get_by_role("link", name="Recent").click()
    expect(voter.locator("li.question").first).to_contain_text(QUESTION)
    expect(voter).to_have_url(re.compile(r"sort=recent$"))

    asker.evaluate("() => window.scrollTo(0, 0)")
    screenshot(asker, "phone-asker")
    screenshot(voter, "phone-voter-recent")
    screenshot(display, "display-stage")
    moderator.reload()
    wait_online(moderator)
    screenshot(moderator, "moderation", full_page=True)

    # Answered: it leaves the stage and the list, and shows under "Answered".
    moderate(moderator, QUESTION, "Mark answered")
    expect(stage).to_be_hidden()
    expect(voter.locator("[data-now]")).to_be_hidden()
    expect(phone_question(voter, QUESTION)).to_have_count(0)
    expect(voter.locator("[data-answered]")).to_contain_text(QUESTION)
    screenshot(display, "display-list")

    for page in (display, asker):
        assert_not_reloaded(page)
    assert devices.errors == []


def test_phone_without_javascript_asks_and_upvotes(server, devices, screenshot):
    phone = devices.new("nojs", PHONE, java_script_enabled=False)
    phone.goto(f"/e/{EVENT}/qna")
    phone.get_by_label("Your question", exact=True).fill("x")
    phone.get_by_role("button", name="Send my question").click()
    expect(phone.locator("[data-ask-error]")).to_contain_text("3 to 300 characters")
    phone.get_by_label("Your question", exact=True).fill(NO_JS)
    phone.get_by_role("button", name="Send my question").click()
    expect(phone.locator(".flash-success")).to_contain_text("once a moderator approves")
    expect(phone.locator("[data-my-pending]")).to_contain_text(NO_JS)
    top = phone.locator("li.question").first
    top.get_by_role("button").click()
    expect(phone.locator("li.question").first.get_by_role("button")).to_have_attribute(
        "aria-pressed", "true"
    )
    screenshot(phone, "phone-no-js")
