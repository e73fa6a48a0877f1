"""The attendee's whole journey: register on a phone, open the mailed link, be checked in,
vote in a poll for checked-in attendees only. Mails go through a real SMTP server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import EVENT, console_action, open_console, sign_in, wait_online
from tests.conftest import mail_text, start_smtp

pytestmark = pytest.mark.browser

QUESTION = "Should the next partnering day run over two days?"


@pytest.fixture(scope="module")
def smtp_server():
    """A local SMTP server (aiosmtpd) that keeps what the app sends."""
    catcher, port, controller = start_smtp()
    yield catcher, port
    controller.stop()


@pytest.fixture(scope="module")
def server(start_server, smtp_server):
    """A Plenum server of its own (for `devices` too) that mails through the SMTP server."""
    _catcher, port = smtp_server
    return start_server("mail", env={"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)})


def test_register_open_link_check_in_and_vote(server, smtp_server, devices, screenshot):
    catcher, _port = smtp_server
    _journey(devices, server, catcher, screenshot)
    assert devices.errors == []


def _journey(devices, server, catcher, screenshot) -> None:
    """Run the journey step by step."""
    # 1. Register on a phone, finding every field by its label.
    phone = devices.new("phone", PHONE)
    phone.goto(f"/e/{EVENT}/register")
    phone.get_by_label("First name").fill("Sofia")
    phone.get_by_label("Last name").fill("Lindqvist")
    phone.get_by_label("Email").fill("sofia.lindqvist@example.org")
    phone.get_by_label("Organisation").fill("Baltic Bio Cluster")
    phone.get_by_label("Country").select_option(label="Sweden")
    phone.get_by_label("Role").select_option("Cluster manager")
    phone.get_by_label("Cluster partnership you represent").select_option(
        label="Baltic Bioeconomy Partnership"
    )
    phone.get_by_label("Partnering day").check()
    phone.get_by_label("Accessibility or dietary needs (optional)").fill("Vegetarian")
    screenshot(phone, "register-form", full_page=True)
    # The consent is required: without it the form comes back with the message at the box.
    phone.get_by_role("button", name="Register").click()
    expect(phone.locator("#consent_privacy-error")).to_contain_text("privacy notice")
    phone.get_by_label("I have read the privacy notice and agree to it").check()
    phone.get_by_role("button", name="Register").click()
    expect(phone.get_by_role("heading", name="Your place is confirmed")).to_be_visible()
    expect(phone.get_by_text("We have sent your confirmation")).to_be_visible()
    screenshot(phone, "registered", full_page=True)

    # 2. The mail arrived over SMTP; its link signs in on another phone.
    [message] = catcher.to("sofia.lindqvist@example.org")
    link = re.search(r"http://\S+/e/\w+/r/[\w-]+", mail_text(message)).group(0)
    ticket = re.search(r"[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}", mail_text(message)).group(0)
    second = devices.new("second phone", PHONE)
    second.goto(link)
    expect(second).to_have_url(re.compile(rf"/e/{EVENT}/me$"))
    expect(second.get_by_role("heading", name="Hello Sofia")).to_be_visible()
    expect(second.get_by_text(ticket)).to_be_visible()
    expect(second.get_by_role("img", name=re.compile("QR code of your ticket"))).to_be_visible()

    # 3. The moderator prepares a poll for checked-in attendees and opens it.
    laptop = devices.new("laptop", LAPTOP)
    sign_in(laptop, server.email, server.password)
    laptop.goto(f"/manage/{EVENT}/polls/new")
    laptop.get_by_label("Question", exact=True).fill(QUESTION)
    laptop.get_by_label("Option 1").fill("Yes, two days")
    laptop.get_by_label("Option 2").fill("No, one day is enough")
    laptop.get_by_label("Who may vote").select_option(label="Checked-in attendees")
    laptop.get_by_role("button", name="Save").click()
    open_console(laptop)
    console_action(laptop, QUESTION, "Open", "Poll opened.")

    # Not yet checked in: the phone sees the poll but no vote form.
    second.goto(f"/e/{EVENT}")
    wait_online(second)
    card = second.locator("article.poll-card").filter(has_text=QUESTION)
    expect(card).to_contain_text("checked-in attendees")
    expect(card.get_by_role("button", name="Vote")).to_have_count(0)

    # 4. Door staff check her in by typing the ticket code.
    door = devices.new("door", PHONE)
    sign_in(door, server.email, server.password)
    door.goto(f"/e/{EVENT}/checkin")
    door.get_by_label("Ticket code or name").fill(ticket.lower())
    door.get_by_role("button", name="Find").click()
    door.get_by_role("button", name="Check in Sofia").click()
    expect(door.locator(".flash-success")).to_contain_text("Sofia Lindqvist is checked in.")
    screenshot(door, "checked-in", full_page=True)

    # 5. Now she votes as herself.
    second.reload()
    wait_online(second)
    card = second.locator("article.poll-card").filter(has_text=QUESTION)
    card.get_by_label("Yes, two days", exact=True).check()
    card.get_by_role("button", name="Vote").click()
    expect(card.locator("[data-vote-status]")).to_contain_text("Vote recorded")
    screenshot(second, "voted", full_page=True)
    expect(
        laptop.locator("li.console-poll").filter(has_text=QUESTION).locator("[data-voters]")
    ).to_have_text("1")
