"""A plenary sequence with a timed secret ballot, end to end: the moderator prepares two
polls, presses Next; a 390x844 phone votes in secret and keeps its receipt; the
1920x1080 projector counts down and the poll closes itself; the receipts are published
and the phone's "Check your receipt" finds its ballot counted; Next opens the second poll.

Screenshots go to /tmp/shots-timer/ as well as to the usual test-artifacts folder.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import (
    EVENT,
    RECEIPT,
    RECORDED,
    assert_not_reloaded,
    console_action,
    console_poll,
    open_console,
    poll_card,
    set_marker,
    sign_in,
    wait_online,
)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-timer")  # noqa: S108 - where the reviewers look at them
SECRET_NOTE = "no one, staff included, can see how you voted; you cannot change it once cast."


@pytest.fixture
def shot(screenshot):
    """Save a screenshot to the artifacts folder and a copy to /tmp/shots-timer/."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str, *, full_page: bool = False) -> None:
        path = screenshot(page, name, full_page=full_page)
        shutil.copy(path, SHOTS / f"{name}.png")

    return save


def close_a_lead_in_poll(server, title: str) -> None:
    """Run the agenda item before ours: a poll opened and closed, left on the display.

    Next opens the first prepared poll after the one on the display; the shared server
    keeps other tests' drafts, so ours must come right after the display's poll.
    """
    from voting import create_app
    from voting.events.service import find_event
    from voting.extensions import db
    from voting.polls.service import PollData, close_poll, create_poll, open_poll

    app = create_app({"INSTANCE_PATH": str(server.instance), "SOCKETIO_ASYNC_MODE": "threading"})
    with app.app_context():
        poll = create_poll(find_event(EVENT), PollData(title=title, options=["Yes", "No"]))
        close_poll(open_poll(poll))
        db.session.remove()
        db.engine.dispose()


def prepare_poll(console: Page, title: str, options: list[str], **settings) -> None:
    """Fill in the console's New poll form like a moderator would."""
    console.get_by_role("link", name="New poll").click()
    console.get_by_label("Question", exact=True).fill(title)
    for i, option in enumerate(options, start=1):
        console.get_by_label(f"Option {i}", exact=True).fill(option)
    if settings.get("secret"):
        console.get_by_label("Secret ballot").check()
    if settings.get("weighted"):
        console.get_by_label("Weighted: each ballot counts with its voter's weight").check()
    if settings.get("duration"):
        console.get_by_label("Timer in seconds (empty: no timer)").fill(str(settings["duration"]))
    with console.expect_navigation():
        console.get_by_role("button", name="Save").click()
    expect(console.locator(".flash-success")).to_contain_text("is prepared")
    wait_online(console)


def test_timed_secret_ballot_then_next(devices, server, shot):
    suffix = secrets.token_hex(2)
    secret_title = f"Adopt the joint statement on cluster funding? ({suffix})"
    next_title = f"Which breakout should report first? ({suffix})"
    close_a_lead_in_poll(server, f"Agree the agenda? ({suffix})")

    console = devices.new("moderator", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    prepare_poll(console, secret_title, ["For", "Against", "Abstain"], secret=True, duration=5)
    prepare_poll(console, next_title, ["Digital", "Green", "Skills"])
    secret_entry = console_poll(console, secret_title)
    expect(secret_entry.locator('[data-tag="secret"]')).to_have_text(re.compile("Secret ballot"))
    expect(secret_entry.locator('[data-tag="timer"]')).to_have_text(re.compile(r"Timer 5 s"))
    expect(console.locator("#next-hint")).to_contain_text(f"Opens “{secret_title}”")
    shot(console, "console-prepared")
    expect(console.get_by_role("link", name="Audit log")).to_have_attribute(
        "href", f"/manage/{EVENT}/polls/audit"
    )

    projector = devices.new("projector", DISPLAY)
    projector.goto(f"/e/{EVENT}/display")
    wait_online(projector)
    phone = devices.new("phone", PHONE)
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)
    set_marker(phone)

    # Next: the 5-second secret ballot opens everywhere. The phone votes at once.
    with console.expect_navigation():
        console.locator("[data-next-poll]").click()
    expect(console.locator(".flash-success")).to_have_text(f"Now open: “{secret_title}”.")
    card = phone.locator("article.poll-card").filter(has_text=secret_title)
    expect(card.locator("[data-secret-note]")).to_contain_text("Secret ballot: " + SECRET_NOTE)
    expect(card.locator("[data-timer-for]")).to_contain_text(re.compile(r"00:0[1-5]"))
    shot(phone, "phone-secret-before-vote")
    card.get_by_label("For", exact=True).check()
    card.get_by_role("button", name="Vote").click()
    status = card.locator("[data-vote-status]")
    expect(status).to_have_text(RECORDED)
    receipt = re.search(RECEIPT, status.inner_text()).group(0)
    # A cast secret ballot is not shown back as an (empty) form, and says it is final.
    expect(card.locator("fieldset")).to_have_count(0)
    expect(card.locator("[data-secret-note]")).to_contain_text("cannot be changed")
    shot(phone, "phone-secret-voted")

    # The projector counts down in big figures and says what kind of ballot it is.
    timer = projector.locator("[data-display-poll] [data-timer-for]")
    expect(projector.locator("[data-question]")).to_have_text(secret_title)
    expect(projector.locator("[data-tags]")).to_contain_text("Secret ballot")
    expect(timer).to_have_attribute("data-phase", "last")  # 5 s: all of it is the last 10
    expect(timer).to_have_attribute("role", "timer")
    expect(timer.locator(".timer-label")).to_have_text("Last seconds!")
    shot(projector, "projector-countdown")
    expect(timer.locator(".timer-clock")).to_have_text(re.compile(r"00:0[12]"))
    shot(console, "console-time-left")

    # At zero the server closes the poll by itself; nobody reloads anything.
    expect(projector.locator("[data-status]")).to_have_text("Voting closed", timeout=15_000)
    expect(timer).to_have_count(0)
    expect(card.locator(".poll-closed")).to_have_text("This poll is closed.")
    expect(phone.locator("[data-timer-announce]")).to_have_text("Time is up")
    expect(card.locator("[data-receipt-link]")).to_have_count(0)
    expect(card.locator(".my-receipt")).to_have_text(f"Your receipt: {receipt}")
    assert_not_reloaded(phone)
    shot(projector, "projector-closed")
    shot(phone, "phone-closed")

    # The moderator publishes the receipts; the phone offers to check its own.
    expect(console_poll(console, secret_title)).to_have_class(re.compile(r"\bstatus-closed\b"))
    wait_online(console)
    console_action(console, secret_title, "Publish receipts", "Receipts published.")
    entry = console_poll(console, secret_title)
    expect(entry.get_by_role("button", name="Withdraw receipts")).to_be_visible()
    expect(entry.locator("[data-receipts-link]")).to_have_attribute(
        "href", re.compile(r"/polls/\d+/receipts$")
    )
    entry.scroll_into_view_if_needed()
    shot(console, "console-receipts-published")
    check = card.get_by_role("link", name="Check your receipt")
    expect(check).to_have_attribute("href", re.compile(re.escape(f"?receipt={receipt}") + "$"))
    assert_not_reloaded(phone)
    shot(phone, "phone-check-receipt")
    check.click()
    expect(phone.get_by_role("status")).to_contain_text(f"Receipt {receipt} is counted")
    shot(phone, "phone-receipt-counted", full_page=True)

    # Next again: the second poll opens on the display and on the phone.
    phone.go_back()
    wait_online(phone)
    with console.expect_navigation():
        console.locator("[data-next-poll]").click()
    expect(console.locator(".flash-success")).to_have_text(f"Now open: “{next_title}”.")
    expect(projector.locator("[data-question]")).to_have_text(next_title)
    expect(projector.locator("[data-status]")).to_have_text("Voting open")
    expect(projector.locator("[data-tags]")).to_be_hidden()
    expect(projector.locator("[data-timer-for]")).to_have_count(0)
    second = poll_card(phone, int(console_poll(console, next_title).get_attribute("data-poll")))
    expect(second.get_by_role("button", name="Vote")).to_be_visible()
    expect(second.locator("[data-secret-note]")).to_have_count(0)
    shot(projector, "projector-next")
    shot(phone, "phone-next")
    assert devices.errors == []


def test_countdown_reads_time_left_until_the_last_seconds(devices, server, shot):
    """A longer timer: mm:ss with "Time left" on the projector, the phone and the console;
    a weighted poll says so on the projector, with the total weight beside the voters."""
    suffix = secrets.token_hex(2)
    title = f"Rate the morning plenary ({suffix})"
    console = devices.new("moderator", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    prepare_poll(console, title, ["Useful", "Not useful"], duration=90, weighted=True)
    projector = devices.new("projector", DISPLAY)
    projector.goto(f"/e/{EVENT}/display")
    wait_online(projector)
    phone = devices.new("phone", PHONE)
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)
    console_action(console, title, "Open", "Poll opened.")

    timer = projector.locator("[data-display-poll] [data-timer-for]")
    expect(timer).to_have_attribute("data-phase", "running")
    expect(timer.locator(".timer-label")).to_have_text("Time left")
    expect(timer.locator(".timer-clock")).to_have_text(re.compile(r"01:(2\d|30)"))
    card = phone.locator("article.poll-card").filter(has_text=title)
    expect(card.locator("[data-timer-for] .timer-clock")).to_have_text(re.compile(r"01:[0-3]\d"))
    expect(card.locator("[data-secret-note]")).to_have_count(0)
    entry = console_poll(console, title)
    expect(entry.locator("[data-timer-for] .timer-clock")).to_have_text(re.compile(r"01:[0-3]\d"))
    expect(phone.locator("[data-timer-announce]")).to_have_text("")  # nothing said yet
    card.get_by_label("Useful", exact=True).check()
    card.get_by_role("button", name="Vote").click()
    expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(projector.locator("[data-tags]")).to_have_text("Weighted votes")
    total = projector.locator("[data-display-poll] .total")
    expect(total).to_have_text(re.compile(r"^1 vote · weighted · total weight 1$"))
    shot(projector, "projector-time-left")
    shot(phone, "phone-time-left")
    shot(console, "console-time-left-90")

    # Closed early by the moderator: every countdown goes, and no "Time is up" is said.
    console_action(console, title, "Close", "Poll closed.")
    expect(projector.locator("[data-status]")).to_have_text("Voting closed")
    expect(timer).to_have_count(0)
    expect(card.locator("[data-timer-for]")).to_have_count(0)
    expect(phone.locator("[data-timer-announce]")).to_have_text("")
    assert devices.errors == []
