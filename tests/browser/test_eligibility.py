"""A poll for checked-in attendees: an anonymous phone sees it without a form, an
attendee votes once checked in, and the display shows the turnout by country."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import EVENT, console_action, open_console, sign_in, wait_online

pytestmark = pytest.mark.browser

QUESTION = "Which breakout should run twice?"
NOT_ELIGIBLE = "Only checked-in attendees can vote in this poll."


def prepare_checked_in_poll(laptop) -> None:
    """The moderator prepares a checked-in-only poll with turnout by country and opens it."""
    laptop.goto(f"/manage/{EVENT}/polls/new")
    laptop.get_by_label("Question", exact=True).fill(QUESTION)
    laptop.get_by_label("Option 1").fill("Energy transition")
    laptop.get_by_label("Option 2").fill("Digital skills")
    laptop.get_by_label("Who may vote").select_option(label="Checked-in attendees")
    laptop.get_by_label("Show turnout by country on the display").check()
    laptop.get_by_role("button", name="Save").click()
    open_console(laptop)
    console_action(laptop, QUESTION, "Open", "Poll opened.")


def register(phone, email: str) -> None:
    """Register on the phone; the registration signs the phone in as the attendee."""
    phone.goto(f"/e/{EVENT}/register")
    phone.get_by_label("First name").fill("Jonas")
    phone.get_by_label("Last name").fill("Petraitis")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Organisation").fill("Vilnius Laser Cluster")
    phone.get_by_label("Country").select_option(label="Lithuania")
    phone.get_by_label("Partnering day").check()
    phone.get_by_label("I have read the privacy notice and agree to it").check()
    phone.get_by_role("button", name="Register").click()
    expect(phone.get_by_role("heading", name="Your place is confirmed")).to_be_visible()


@pytest.fixture(scope="module")
def server(start_server):
    """A server of its own (overrides the shared one for `devices` too): this test leaves a
    poll on the display, which other tests must not see."""
    return start_server("eligibility")


def test_anonymous_phone_cannot_vote_attendee_can(devices, server, screenshot):
    laptop = devices.new("laptop", LAPTOP)
    sign_in(laptop, server.email, server.password)
    prepare_checked_in_poll(laptop)
    poll_item = laptop.locator("li.console-poll").filter(has_text=QUESTION)
    expect(poll_item).to_contain_text("checked-in attendees vote")

    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    expect(display.locator("[data-question]")).to_have_text(QUESTION)

    # An anonymous phone sees the poll and why it cannot vote, but no form.
    anonymous = devices.new("anonymous", PHONE)
    anonymous.goto(f"/e/{EVENT}")
    wait_online(anonymous)
    card = anonymous.locator("article.poll-card").filter(has_text=QUESTION)
    expect(card.locator(".poll-who")).to_have_text("Checked-in attendees vote in this poll.")
    expect(card.locator("[data-not-eligible]")).to_contain_text(NOT_ELIGIBLE)
    expect(card.locator("[data-not-eligible]")).to_contain_text("Open your personal link")
    expect(card.get_by_role("button", name="Vote")).to_have_count(0)
    expect(card.get_by_role("radio")).to_have_count(0)
    screenshot(anonymous, "anonymous-phone", full_page=True)

    # A registered attendee, not checked in yet: still no form, told to check in.
    attendee = devices.new("attendee", PHONE)
    register(attendee, "jonas.petraitis@example.org")
    attendee.goto(f"/e/{EVENT}")
    wait_online(attendee)
    card = attendee.locator("article.poll-card").filter(has_text=QUESTION)
    expect(card.locator("[data-not-eligible]")).to_contain_text("Check in at the entrance")
    expect(card.get_by_role("button", name="Vote")).to_have_count(0)

    # Door staff check the attendee in; the attendee reloads through the hint and votes.
    door = devices.new("door", PHONE)
    sign_in(door, server.email, server.password)
    door.goto(f"/e/{EVENT}/checkin")
    door.get_by_label("Ticket code or name").fill("Petraitis")
    door.get_by_role("button", name="Find").click()
    # A name search may list matches (other tests' attendees share the server) or open one.
    match = door.get_by_role("link", name="Jonas Petraitis")
    button = door.get_by_role("button", name="Check in Jonas")
    expect(match.or_(button).first).to_be_visible()
    if match.count():
        match.first.click()
    button.click()
    expect(door.locator(".flash-success")).to_contain_text("is checked in")

    card.get_by_role("link", name=re.compile("Reload this page")).click()
    wait_online(attendee)
    card = attendee.locator("article.poll-card").filter(has_text=QUESTION)
    card.get_by_label("Digital skills", exact=True).check()
    card.get_by_role("button", name="Vote").click()
    expect(card.locator("[data-vote-status]")).to_contain_text("Vote recorded")
    screenshot(attendee, "attendee-voted", full_page=True)

    # The console counts the vote against the checked-in attendees; the display by country.
    expect(poll_item.locator("[data-voters]")).to_have_text("1")
    expect(poll_item.locator("[data-eligible]")).not_to_have_text("0")
    countries = display.locator("[data-countries]")
    expect(countries).to_be_visible()
    expect(countries.locator('[data-country="LT"]')).to_have_text("Lithuania 1")
    screenshot(display, "display-countries")

    # The anonymous phone is still refused if it tries anyway (no form: send it by hand).
    poll_id = int(poll_item.get_attribute("data-poll"))
    with urllib.request.urlopen(f"{server.url}/api/v1/events/{EVENT}") as answer:
        polls = json.load(answer)["polls"]
    option = next(p for p in polls if p["id"] == poll_id)["options"][0]["id"]
    ack = anonymous.evaluate(
        """([code, poll, option]) => new Promise((resolve) => {
            const token = document.querySelector("meta[name=csrf-token]").content;
            const s = io({auth: {csrf_token: token}, transports: ["websocket"]});
            s.on("connect", () => s.emit("join", {event: code}, () =>
                s.emit("cast_vote", {poll_id: poll, choices: [option], vote_id: "anon-by-hand-1"},
                       resolve)));
        })""",
        [EVENT, poll_id, option],
    )
    assert ack["error"] == "not_eligible"
