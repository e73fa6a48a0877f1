"""Devices that lose their network and get it back: no vote lost, none counted twice.

Each device that loses its network reaches the server through a NetCut proxy of its own
(tests/browser/netcut.py); the server and every other device carry on meanwhile. A phone
keeps a vote it could not send in localStorage and sends it again, with the same vote
id, once it is back; the projector and the moderator's console catch up by themselves.
"""

from __future__ import annotations

import json
import re
import time
from typing import NamedTuple

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PHONE, Devices
from tests.browser.netcut import NetCut
from tests.browser.pages import (
    BIGGER,
    EVENT,
    FOCUS,
    FUNDING,
    RECORDED,
    SMALLER,
    assert_not_reloaded,
    console_action,
    console_poll,
    display_bar,
    ensure_open,
    open_console,
    open_display,
    open_next,
    open_staff_console,
    poll_card,
    poll_id,
    results_api,
    set_marker,
    wait_online,
)

pytestmark = [pytest.mark.browser, pytest.mark.reliability]

# socket.io-client retries with a backoff of up to 5 s (plus 50 % jitter).
RECONNECT_TIMEOUT = 20_000
OUTAGE = 30.0  # seconds the projector and the console are cut off
RANKING = "Rank the priorities for the next joint actions"
SENDING = "Sending…"
OFFLINE = "Reconnecting…"
STORY = "Which partnership story should open next year's event?"
RETRYING = re.compile(r"Not recorded yet\. Sending again in \d+ s…")


@pytest.fixture(scope="module")
def screens_server(own_servers):
    """The module's second server, for the display and console test: it runs the poll
    sequence from its start, whatever the phone tests (on own_server) opened."""
    return own_servers("screens")


@pytest.fixture
def nets():
    """Factory of NetCut proxies; all closed after the test."""
    made: list[NetCut] = []

    def make(server, name: str) -> NetCut:
        net = NetCut(server.port, name)
        made.append(net)
        return net

    yield make
    for net in made:
        net.close()


def wait_until(condition, what: str, timeout: float = 15.0, via: Page | None = None) -> None:
    """Wait for a condition outside the browser (a proxy's counter, the results API).

    With `via`, waits through that page: Playwright's sync API runs the page's routes
    only inside its own calls, so a condition set by a route needs the page's wait.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        if via is None:
            time.sleep(0.05)
        else:
            via.wait_for_timeout(50)


def record_votes(page: Page) -> dict:
    """Record the cast_vote packets a page sends and their acks, from its sockets.

    Call before the page opens its socket: Playwright reports sockets opened afterwards.
    """
    seen: dict = {"sent": [], "acks": []}
    asked: dict[tuple, dict] = {}

    def packet(ws, payload) -> tuple:
        # Socket.IO over engine.io: "42<ack id>[name, data]" or "43<ack id>[data]".
        text = payload if isinstance(payload, str) else ""
        match = re.match(r"4([23])(\d*)(\[.*)$", text, re.S)
        if not match:
            return None, None, None
        return match.group(1), (id(ws), match.group(2)), json.loads(match.group(3))

    def on_socket(ws) -> None:
        def sent(payload) -> None:
            kind, ack_id, body = packet(ws, payload)
            if kind == "2" and body[0] == "cast_vote":
                seen["sent"].append(body[1])
                asked[ack_id] = body[1]

        def received(payload) -> None:
            kind, ack_id, body = packet(ws, payload)
            if kind == "3" and ack_id in asked:
                seen["acks"].append({**body[0], "vote_id": asked.pop(ack_id)["vote_id"]})

        ws.on("framesent", sent)
        ws.on("framereceived", received)

    page.on("websocket", on_socket)
    return seen


def pending_votes(page: Page) -> dict:
    """The votes the phone keeps until they are acknowledged (participant.js)."""
    return page.evaluate(
        "(key) => JSON.parse(localStorage.getItem(key) || '{}')", f"plenum-pending-{EVENT}"
    )


def phone_on(devices: Devices, name: str, via: NetCut | None = None) -> tuple[Page, dict]:
    """A phone on the participant page, and the record of the votes it sends."""
    phone = devices.new(name, PHONE, via=via)
    votes = record_votes(phone)
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)
    set_marker(phone)
    return phone, votes


class Opened(NamedTuple):
    """A poll the console just opened, on the projector and on a phone behind its own proxy."""

    poll: int
    display: Page
    net: NetCut
    phone: Page
    votes: dict
    card: Locator


def open_on_a_phone(devices: Devices, server, nets, title: str) -> Opened:
    """Open a poll from the console with a projector and a phone (behind a proxy) watching."""
    console = open_staff_console(devices, server, "console")
    poll = poll_id(console, title)
    display = open_display(devices, "display")
    net = nets(server, "phone")
    phone, votes = phone_on(devices, "phone", via=net)
    console_action(console, title, "Open", "Poll opened.")
    expect(display.locator("[data-question]")).to_have_text(title)
    card = poll_card(phone, poll)
    expect(card.get_by_role("button", name="Vote")).to_be_visible()
    return Opened(poll, display, net, phone, votes, card)


def vote(card: Locator, *answers: str) -> Locator:
    """Tick these answers on a poll's card and press Vote; return the card's vote status."""
    for answer in answers:
        card.get_by_label(answer, exact=True).check()
    card.get_by_role("button", name="Vote").click()
    return card.locator("[data-vote-status]")


def go_offline(page: Page, net: NetCut) -> None:
    net.cut()
    expect(page.locator("body")).to_have_attribute("data-conn-state", "offline")
    expect(page.locator(".conn")).to_have_text(OFFLINE)


def test_vote_cast_offline_is_sent_once_the_phone_is_back(
    own_server, own_devices, nets, screenshot
):
    devices, server = own_devices, own_server
    funding, display, net, phone, votes, card = open_on_a_phone(devices, server, nets, FUNDING)

    # No network: the vote waits on the phone, which says so.
    go_offline(phone, net)
    status = vote(card, BIGGER)
    expect(status).to_have_text(SENDING)
    pending = pending_votes(phone)
    assert list(pending) == [str(funding)]
    vote_id = pending[str(funding)]["vote_id"]
    screenshot(phone, "phone-sending")

    # The phone tries to get back and cannot: nothing reaches the server meanwhile.
    tries = net.refused
    wait_until(lambda: net.refused > tries, "the phone tries to reconnect")
    expect(status).to_have_text(SENDING)
    assert results_api(server.url, funding)["total"] == 0
    expect(display.locator(".total-count")).to_have_text("0")

    # Network back: the phone reconnects by itself and sends the vote it kept.
    net.restore()
    wait_online(phone, timeout=RECONNECT_TIMEOUT)
    expect(status).to_have_text(RECORDED)
    expect(phone.locator(".conn")).to_have_text("")
    expect(display.locator(".total-count")).to_have_text("1")
    expect(display_bar(display, BIGGER).locator(".bar-count")).to_have_text("1")
    assert results_api(server.url, funding)["total"] == 1
    assert pending_votes(phone) == {}
    assert {vote["vote_id"] for vote in votes["sent"]} == {vote_id}
    assert votes["acks"][-1]["ok"], votes["acks"]
    assert_not_reloaded(phone)
    assert not devices.errors


def test_vote_whose_ack_was_lost_is_counted_once(own_server, own_devices, nets, screenshot):
    devices, server = own_devices, own_server
    focus, display, net, phone, votes, card = open_on_a_phone(devices, server, nets, FOCUS)

    # The vote reaches the server and is stored; the answer never comes back.
    net.drop_replies()
    status = vote(card, "Skills", "Scaling-up of SMEs")
    expect(status).to_have_text(SENDING)
    wait_until(lambda: results_api(server.url, focus)["total"] == 1, "the server stores the vote")
    expect(display.locator(".total-count")).to_have_text("1")
    expect(status).to_have_text(SENDING)
    (vote_id,) = {vote["vote_id"] for vote in votes["sent"]}
    assert pending_votes(phone)[str(focus)]["vote_id"] == vote_id

    # Then the network goes; when it is back the phone resends the same vote id.
    go_offline(phone, net)
    net.restore()
    wait_online(phone, timeout=RECONNECT_TIMEOUT)
    expect(status).to_have_text(RECORDED)
    assert {vote["vote_id"] for vote in votes["sent"]} == {vote_id}
    assert len(votes["sent"]) >= 2, "the vote was sent again after the reconnect"
    assert votes["acks"], "the resend was acknowledged"
    assert all(ack["duplicate"] for ack in votes["acks"])
    expect(display.locator(".total-count")).to_have_text("1")
    expect(display_bar(display, "Skills").locator(".bar-count")).to_have_text("1")
    assert results_api(server.url, focus)["total"] == 1
    assert pending_votes(phone) == {}
    assert_not_reloaded(phone)
    screenshot(phone, "phone-recorded")
    assert not devices.errors


def test_pending_vote_survives_a_reload_while_offline(own_server, own_devices, nets):
    devices, server = own_devices, own_server
    ranking, display, net, phone, votes, card = open_on_a_phone(devices, server, nets, RANKING)

    go_offline(phone, net)
    expect(vote(card)).to_have_text(SENDING)
    vote_id = pending_votes(phone)[str(ranking)]["vote_id"]

    # Reloaded without a network the page cannot load (the app keeps no offline copy of
    # it): the browser shows its error page, which Chromium reloads now and then by
    # itself. The person closes it; opened again in the same browser once the network is
    # back, the page sends the vote the phone kept.
    with pytest.raises(PlaywrightError, match="net::ERR_"):
        phone.reload()
    context = phone.context
    phone.close()
    assert results_api(server.url, ranking)["total"] == 0
    net.restore()
    again = context.new_page()
    again.on("pageerror", lambda error: devices.errors.append(f"phone again: {error}"))
    votes_again = record_votes(again)
    again.goto(f"/e/{EVENT}")
    wait_online(again)
    expect(poll_card(again, ranking).locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(display.locator(".total-count")).to_have_text("1")
    assert results_api(server.url, ranking)["total"] == 1
    assert pending_votes(again) == {}
    assert votes["sent"] == []  # never sent while offline
    assert {vote["vote_id"] for vote in votes_again["sent"]} == {vote_id}
    assert not devices.errors


def answer_first_votes(page: Page, acks: list[dict]) -> list[str]:
    """Answer the page's first cast_vote packets with these acks in the server's stead.

    Every other packet passes both ways. Returns the vote ids of all cast_vote packets
    the page sends, answered here or passed on. Call before the page opens its socket.
    """
    left, sent = list(acks), []

    def route(ws) -> None:
        server = ws.connect_to_server()

        def from_page(message) -> None:
            match = re.match(
                r"42(\d+)(\[\"cast_vote\".*)$", message if isinstance(message, str) else ""
            )
            if match:
                sent.append(json.loads(match.group(2))[1]["vote_id"])
                if left:  # "43<ack id>[answer]": the ack of that packet
                    ws.send(f"43{match.group(1)}" + json.dumps([left.pop(0)]))
                    return
            server.send(message)

        ws.on_message(from_page)  # the server's packets still reach the page by themselves

    page.route_web_socket(re.compile(r"/socket\.io/"), route)
    return sent


def test_a_vote_the_server_could_not_store_is_sent_again_by_itself(
    own_server, own_devices, screenshot
):
    """Answered busy, then server_error: the phone waits a little and sends the same vote
    again, twice, without the person doing anything; it is counted once."""
    devices, server = own_devices, own_server
    console = open_staff_console(devices, server, "console")
    story = poll_id(console, STORY)
    phone = devices.new("phone", PHONE)
    busy = {"error": "busy", "message": "The server is busy; try again in a moment."}
    failed = {"error": "server_error", "message": "Something went wrong on the server."}
    sent = answer_first_votes(phone, [busy, failed])
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)
    set_marker(phone)
    console_action(console, STORY, "Open", "Poll opened.")

    status = vote(poll_card(phone, story), "Cluster excellence")
    expect(status).to_have_text(RETRYING)
    assert str(story) in pending_votes(phone)
    screenshot(phone, "phone-retrying")
    expect(status).to_have_text(RECORDED)
    assert len(sent) == 3, sent
    assert len(set(sent)) == 1, "every attempt carries the same vote id"
    assert pending_votes(phone) == {}
    assert results_api(server.url, story)["total"] == 1
    assert_not_reloaded(phone)
    assert not devices.errors


def test_a_poll_reset_while_a_vote_waits_to_be_sent_again_drops_that_vote(own_server, own_devices):
    """The vote answered busy waits to be sent again; the moderator resets the poll
    meanwhile. The wait ends without a send: that vote belonged to the votes the reset
    deleted, and bringing it back would count it in the new round."""
    devices, server = own_devices, own_server
    console = open_staff_console(devices, server, "console")
    story = poll_id(console, STORY)
    ensure_open(console, STORY)
    phone = devices.new("phone", PHONE)
    busy = {"error": "busy", "message": "The server is busy; try again in a moment."}
    # After the fourth busy the phone waits 8 s before its fifth send (a backoff of 1,
    # 2, 4, 8 s; its jitter, down to half the wait, is pinned to none): time enough to
    # press Reset in between, however slow the machine.
    sent = answer_first_votes(phone, [busy] * 4)
    phone.add_init_script("Math.random = () => 0.9999;")
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)

    status = vote(poll_card(phone, story), "Cluster excellence")
    wait_until(lambda: len(sent) == 4, "the fourth send answered busy", via=phone)
    expect(status).to_have_text(RETRYING)
    assert str(story) in pending_votes(phone)
    reset = console_poll(console, STORY).locator("form", has_text="Reset votes")
    reset.get_by_label("sure?").check()
    console_action(console, STORY, "Reset votes", "All votes of the poll were deleted.")
    choice = poll_card(phone, story).get_by_label("Cluster excellence", exact=True)
    expect(choice).not_to_be_checked()
    assert pending_votes(phone) == {}

    phone.wait_for_timeout(9_000)  # past the longest wait before the fifth send
    assert len(sent) == 4, sent
    assert results_api(server.url, story)["total"] == 0
    assert not devices.errors


def display_state(display: Page) -> dict:
    """What the projector shows: question, status, each bar's figures and the total."""
    area = display.locator("[data-display-poll]")
    return {
        "question": area.locator("[data-question]").inner_text(),
        "status": area.locator("[data-status]").inner_text(),
        "bars": area.locator("li.bar").evaluate_all(
            "bars => bars.map(b => [b.querySelector('.bar-label').textContent,"
            " b.querySelector('.bar-figures').textContent])"
        ),
        "total": area.locator(".total-count").inner_text(),
    }


def console_state(console: Page) -> list:
    """Each poll of the console: its status and display classes, badge and voter count."""
    return console.locator("li.console-poll").evaluate_all(
        "items => items.map(i => [i.dataset.poll, i.className,"
        " i.querySelector('[data-status]').textContent.trim(),"
        " i.querySelector('[data-voters]').textContent.trim(),"
        " Array.from(i.querySelectorAll('.actions button'), b => b.textContent.trim())])"
    )


def test_display_and_console_catch_up_after_30_s_cut_off(
    screens_server, devices_on, nets, screenshot
):
    devices, server = devices_on(screens_server), screens_server
    display_net, console_net = nets(server, "display"), nets(server, "console")
    console = open_staff_console(devices, server, "console", via=console_net)
    funding, focus = poll_id(console, FUNDING), poll_id(console, FOCUS)
    console_action(console, FUNDING, "Open", "Poll opened.")
    display = open_display(devices, "display", via=display_net)
    expect(display.locator("[data-question]")).to_have_text(FUNDING)
    phone, _ = phone_on(devices, "phone")
    expect(vote(poll_card(phone, funding), BIGGER)).to_have_text(RECORDED)
    expect(display.locator(".total-count")).to_have_text("1")
    expect(console_poll(console, FUNDING).locator("[data-voters]")).to_have_text("1")
    set_marker(display)
    set_marker(console)

    # Projector and console lose their network for 30 s.
    display_net.cut()
    console_net.cut()
    cut_at = time.monotonic()
    for page in (display, console):
        expect(page.locator("body")).to_have_attribute("data-conn-state", "offline")
        expect(page.locator(".conn")).to_have_text(OFFLINE)

    # Meanwhile: another vote, the moderator moves on from a second laptop (the poll on
    # screen closes, the next opens), and a vote on the new poll.
    other, _ = phone_on(devices, "phone 2")
    expect(vote(poll_card(other, funding), SMALLER)).to_have_text(RECORDED)
    spare = open_staff_console(devices, server, "spare console")
    open_next(spare, f"Now open: “{FOCUS}”.")
    expect(vote(poll_card(phone, focus), "Skills")).to_have_text(RECORDED)
    assert results_api(server.url, funding)["status"] == "closed"
    assert results_api(server.url, funding)["total"] == 2
    assert results_api(server.url, focus)["total"] == 1

    # The cut-off screens still show what they knew.
    expect(display.locator("[data-question]")).to_have_text(FUNDING)
    expect(display.locator("[data-status]")).to_have_text("Voting open")
    expect(display.locator(".total-count")).to_have_text("1")
    expect(console_poll(console, FUNDING)).to_have_class(re.compile(r"\bstatus-open\b"))
    time.sleep(max(0.0, cut_at + OUTAGE - time.monotonic()))
    assert display.locator("body").get_attribute("data-conn-state") == "offline"
    assert console.locator("body").get_attribute("data-conn-state") == "offline"
    assert_not_reloaded(console)  # a reload without a network would end on an error page

    # Network back: both catch up by themselves.
    display_net.restore()
    console_net.restore()
    wait_online(display, timeout=RECONNECT_TIMEOUT)
    expect(display.locator(".conn")).to_have_text("")
    expect(display.locator("[data-question]")).to_have_text(FOCUS)
    expect(display.locator("[data-status]")).to_have_text("Voting open")
    expect(display.locator("[data-display-poll] li.bar")).to_have_count(6)
    expect(display.locator(".total-count")).to_have_text("1")
    expect(display_bar(display, "Skills").locator(".bar-count")).to_have_text("1")
    assert_not_reloaded(display)
    screenshot(display, "display-back")

    # Exactly what a projector opened just now shows.
    fresh = open_display(devices, "fresh display")
    expect(fresh.locator("[data-question]")).to_have_text(FOCUS)
    expect(fresh.locator(".total-count")).to_have_text("1")
    assert display_state(display) == display_state(fresh)

    # The console shows the statuses and counts a freshly loaded console shows. Its buttons
    # are the server's page: it reloads itself (when idle) after polls changed elsewhere,
    # as it does for another console's change while it is online.
    wait_online(console, timeout=RECONNECT_TIMEOUT)
    expect(console_poll(console, FUNDING)).to_have_class(re.compile(r"\bstatus-closed\b"))
    expect(console_poll(console, FUNDING).locator("[data-status]")).to_have_text("closed")
    expect(console_poll(console, FUNDING).locator("[data-voters]")).to_have_text("2")
    expect(console_poll(console, FOCUS)).to_have_class(
        re.compile(r"\bstatus-open\b.*\bon-display\b")
    )
    expect(console_poll(console, FOCUS).locator("[data-voters]")).to_have_text("1")
    wait_online(console)
    open_console(spare)
    assert console_state(console) == console_state(spare)
    assert not devices.errors
