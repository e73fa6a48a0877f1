"""A live poll end to end: console, projector display and phones, with and without JS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import (
    BIGGER,
    EVENT,
    FOCUS,
    FUNDING,
    MIX,
    RECEIPT,
    RECORDED,
    assert_not_reloaded,
    console_action,
    console_poll,
    display_bar,
    ensure_open,
    open_console,
    poll_card,
    poll_id,
    results_api,
    set_marker,
    sign_in,
    wait_online,
)

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_moderator_opens_phones_vote_display_follows_live(server, devices, screenshot):
    # The projector shows the join screen, connected, before anything is opened.
    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    expect(display.locator("[data-question]")).to_have_text("Welcome")
    expect(display.locator(".join-code")).to_have_text(EVENT)
    expect(display.locator("img.qr")).to_be_visible()
    set_marker(display)
    screenshot(display, "display-join-screen")

    # Two phones wait on the event page before the poll opens.
    phones = [devices.new(f"phone{i}", PHONE) for i in (1, 2)]
    for phone in phones:
        phone.goto(f"/e/{EVENT}")
        wait_online(phone)
        expect(phone.locator("[data-polls] .empty")).to_contain_text("No poll is open right now")
        set_marker(phone)

    # The moderator signs in and opens the funding-mix poll.
    console = devices.new("console", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    poll = poll_id(console, FUNDING)
    expect(console_poll(console, FUNDING)).to_have_class(re.compile(r"\bstatus-draft\b"))
    console_action(console, FUNDING, "Open", "Poll opened.")
    item = console_poll(console, FUNDING)
    expect(item).to_have_class(re.compile(r"\bstatus-open\b"))
    expect(item).to_have_class(re.compile(r"\bon-display\b"))

    # The display switches to the poll by itself, without a reload.
    expect(display.locator("[data-question]")).to_have_text(FUNDING)
    expect(display.locator("[data-status]")).to_have_text("Voting open")
    expect(display.locator(".total-count")).to_have_text("0")
    expect(display.locator("[data-display-poll] li.bar")).to_have_count(3)
    assert_not_reloaded(display)

    # The waiting phones show the poll live; a third phone arrives now.
    for phone in phones:
        expect(poll_card(phone, poll).get_by_role("button", name="Vote")).to_be_visible()
        assert_not_reloaded(phone)
    third = devices.new("phone3", PHONE)
    third.goto(f"/e/{EVENT}")
    wait_online(third)
    phones.append(third)
    screenshot(third, "phone-poll-open", full_page=True)

    # Each phone picks an option and votes; each gets its receipt.
    for phone, choice in zip(phones, [MIX, BIGGER, MIX], strict=True):
        card = poll_card(phone, poll)
        card.get_by_label(choice, exact=True).check()
        card.get_by_role("button", name="Vote").click()
        expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
        expect(card.get_by_role("button", name="Change my vote")).to_be_visible()
        expect(card.get_by_label(choice, exact=True)).to_be_checked()
    screenshot(phones[0], "phone-vote-recorded", full_page=True)

    # The display shows 3 votes and the right bars, still without a reload.
    expect(display.locator(".total-count")).to_have_text("3")
    expect(display_bar(display, MIX).locator(".bar-count")).to_have_text("2")
    expect(display_bar(display, MIX).locator(".bar-pct")).to_have_text("67%")
    expect(display_bar(display, BIGGER).locator(".bar-count")).to_have_text("1")
    expect(display_bar(display, BIGGER).locator(".bar-pct")).to_have_text("33%")
    expect(display_bar(display, "More, smaller partnerships").locator(".bar-count")).to_have_text(
        "0"
    )
    expect(display_bar(display, MIX).locator(".bar-fill")).to_have_attribute(
        "style", re.compile(r"--pct:\s*67%")
    )
    assert_not_reloaded(display)
    screenshot(display, "display-three-votes")

    # The console counts them too.
    expect(console_poll(console, FUNDING).locator("[data-voters]")).to_have_text("3")
    screenshot(console, "console-poll-open", full_page=True)

    # A fourth phone (with JS) and a fifth one without JS have the form open...
    fourth = devices.new("phone4", PHONE)
    fourth.goto(f"/e/{EVENT}")
    wait_online(fourth)
    fourth_card = poll_card(fourth, poll)
    fourth_card.get_by_label(BIGGER, exact=True).check()
    expect(fourth_card.get_by_role("button", name="Vote")).to_be_visible()
    stale = devices.new("phone5-nojs", PHONE, java_script_enabled=False)
    stale.goto(f"/e/{EVENT}")
    stale_card = poll_card(stale, poll)
    stale_card.get_by_label(BIGGER, exact=True).check()

    # ... when the moderator closes the poll.
    console_action(console, FUNDING, "Close", "Poll closed.")
    expect(console_poll(console, FUNDING)).to_have_class(re.compile(r"\bstatus-closed\b"))
    expect(display.locator("[data-status]")).to_have_text("Voting closed")
    expect(display.locator(".total-count")).to_have_text("3")
    assert_not_reloaded(display)
    screenshot(display, "display-closed")

    # The phone with JS re-renders: no form any more, the poll says it is closed.
    expect(fourth_card.locator(".poll-closed")).to_have_text("This poll is closed.")
    expect(fourth_card.locator("form")).to_have_count(0)
    expect(fourth_card.get_by_role("button", name="Vote")).to_have_count(0)
    screenshot(fourth, "phone-poll-closed", full_page=True)

    # The page without JS still has the stale form: the server refuses the vote clearly.
    with stale.expect_response(re.compile(rf"/polls/{poll}/vote$")) as answer:
        stale_card.get_by_role("button", name="Vote").click()
    assert answer.value.status == 409
    expect(stale_card.get_by_role("alert")).to_have_text("This poll is not open for votes.")
    expect(stale_card.locator(".poll-closed")).to_have_text("This poll is closed.")
    expect(stale.locator(".flash-success")).to_have_count(0)
    screenshot(stale, "phone-nojs-refused", full_page=True)

    # What is stored: still 3 ballots, 2 for the mix and 1 for bigger partnerships.
    stored = results_api(server.url, poll)
    assert stored["status"] == "closed"
    assert stored["total"] == 3
    assert {o["label"]: o["count"] for o in stored["options"]} == {
        BIGGER: 1,
        "More, smaller partnerships": 0,
        MIX: 2,
    }
    assert not devices.errors


@pytest.mark.browser
def test_participant_without_javascript_votes_with_the_plain_form(server, devices, screenshot):
    console = devices.new("console", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    poll = poll_id(console, FOCUS)
    ensure_open(console, FOCUS)
    before = results_api(server.url, poll)["total"]

    phone = devices.new("phone-nojs", PHONE, java_script_enabled=False)
    phone.goto(f"/e/{EVENT}")
    card = poll_card(phone, poll)
    expect(card.locator("legend")).to_have_text("Choose up to 2")
    # Three choices are one too many: the server says so and keeps the form.
    for choice in ("Skills", "Innovation uptake", "Internationalisation"):
        card.get_by_label(choice, exact=True).check()
    card.get_by_role("button", name="Vote").click()
    expect(card.get_by_role("alert")).to_have_text("Choose at most 2 options.")

    # The error page keeps the ticks, so one untick corrects the vote.
    card = poll_card(phone, poll)
    for choice in ("Skills", "Innovation uptake", "Internationalisation"):
        expect(card.get_by_label(choice, exact=True)).to_be_checked()
    card.get_by_label("Internationalisation", exact=True).uncheck()
    card.get_by_role("button", name="Vote").click()
    # No anchor: the receipt flashed at the top of the page stays in view.
    expect(phone).to_have_url(re.compile(rf"/e/{EVENT}$"))
    expect(phone.locator(".flash-success")).to_have_text(
        re.compile(r"^Your vote is recorded\. Receipt: " + RECEIPT + "$")
    )
    # The page shows the vote as mine and offers to change it.
    card = poll_card(phone, poll)
    expect(card.get_by_label("Skills", exact=True)).to_be_checked()
    expect(card.get_by_label("Innovation uptake", exact=True)).to_be_checked()
    expect(card.get_by_label("Internationalisation", exact=True)).not_to_be_checked()
    expect(card.get_by_role("button", name="Change my vote")).to_be_visible()
    screenshot(phone, "phone-nojs-recorded", full_page=True)
    screenshot(phone, "phone-nojs-recorded-viewport")

    stored = results_api(server.url, poll)
    assert stored["total"] == before + 1
    counts = {o["label"]: o["count"] for o in stored["options"]}
    assert counts["Skills"] >= 1
    assert counts["Innovation uptake"] >= 1
    assert not devices.errors


@pytest.mark.browser
def test_display_shows_poll_and_join_code_side_by_side_on_1920x1080(server, devices, screenshot):
    console = devices.new("console", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    ensure_open(console, FOCUS)  # six options: the tallest poll of the demo
    if "on-display" not in (console_poll(console, FOCUS).get_attribute("class") or ""):
        console_action(console, FOCUS, "Show on display", f"The display shows “{FOCUS}”.")

    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    expect(display.locator("[data-question]")).to_have_text(FOCUS)
    expect(display.locator("[data-display-poll] li.bar")).to_have_count(6)
    screenshot(display, "display-layout")
    poll_box = display.locator("[data-display-poll]").bounding_box()
    for selector in ("img.qr", ".join-code"):
        box = display.locator(selector).bounding_box()
        assert box is not None, selector
        # Fully on the 1920x1080 screen, and beside the poll rather than under it.
        assert 0 <= box["x"] <= 1920 - box["width"], (selector, box)
        assert 0 <= box["y"] <= 1080 - box["height"], (selector, box)
        assert box["x"] >= poll_box["x"] + poll_box["width"], (selector, box, poll_box)
    assert not devices.errors
