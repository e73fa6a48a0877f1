"""The projector and phones ride out a server restart and follow what happens after it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import (
    EVENT,
    FOCUS,
    FUNDING,
    RECORDED,
    assert_not_reloaded,
    console_action,
    console_poll,
    open_console,
    poll_card,
    poll_id,
    results_api,
    set_marker,
    sign_in,
    wait_online,
)

pytestmark = pytest.mark.browser

# socket.io-client retries with a backoff of up to 5 s (plus 50 % jitter).
RECONNECT_TIMEOUT = 20_000


def test_display_and_phone_reconnect_after_server_restart(own_server, own_devices, screenshot):
    devices = own_devices
    console = devices.new("console", LAPTOP)
    sign_in(console, own_server.email, own_server.password)
    open_console(console)
    funding, focus = poll_id(console, FUNDING), poll_id(console, FOCUS)

    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    set_marker(display)
    phone = devices.new("phone", PHONE)
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)
    set_marker(phone)

    console_action(console, FUNDING, "Open", "Poll opened.")
    expect(display.locator("[data-question]")).to_have_text(FUNDING)
    expect(poll_card(phone, funding).get_by_role("button", name="Vote")).to_be_visible()

    # The server goes away: both pages say they are reconnecting.
    own_server.stop()
    expect(display.locator("body")).to_have_attribute("data-conn-state", "offline")
    expect(display.locator(".conn")).to_have_text("Reconnecting…")
    expect(phone.locator(".conn")).to_have_text("Reconnecting…")
    screenshot(display, "display-offline")

    # Same port, same instance folder: they reconnect by themselves and show the state.
    own_server.start()
    wait_online(display, timeout=RECONNECT_TIMEOUT)
    wait_online(phone, timeout=RECONNECT_TIMEOUT)
    expect(display.locator(".conn")).to_have_text("")
    expect(display.locator("[data-question]")).to_have_text(FUNDING)
    expect(display.locator("[data-status]")).to_have_text("Voting open")

    # The moderator's session survived the restart; the next poll opens.
    open_console(console)
    console_action(console, FOCUS, "Open", "Poll opened.")
    expect(console_poll(console, FOCUS)).to_have_class(re.compile(r"\bon-display\b"))
    expect(display.locator("[data-question]")).to_have_text(FOCUS)
    expect(display.locator("[data-status]")).to_have_text("Voting open")
    expect(display.locator("[data-display-poll] li.bar")).to_have_count(6)

    # The phone that lived through the restart votes on it; the display counts it.
    card = poll_card(phone, focus)
    card.get_by_label("Skills", exact=True).check()
    card.get_by_label("Scaling-up of SMEs", exact=True).check()
    expect(card.get_by_label("Internationalisation", exact=True)).to_be_disabled()
    card.get_by_role("button", name="Vote").click()
    expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(display.locator(".total-count")).to_have_text("1")
    assert_not_reloaded(display)
    assert_not_reloaded(phone)
    screenshot(display, "display-after-restart")
    assert results_api(own_server.url, focus)["total"] == 1
    assert not devices.errors
