"""What the browser tests do on Plenum's pages, named the way a person would say it."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DISPLAY, LAPTOP, PHONE

EVENT = "EUCP18"
FUNDING = "How should future EU funding for cluster partnerships be shared?"
FOCUS = "What should joint cluster initiatives focus on?"
BIGGER = "Fewer, bigger partnerships"
SMALLER = "More, smaller partnerships"
MIX = "A mix of bigger and smaller partnerships"
# Receipts are two groups of 4 from an alphabet without 0/O, 1/I.
RECEIPT = r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}"
RECORDED = re.compile(r"Vote recorded\. Receipt: " + RECEIPT)


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign a staff member in through the login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/manage/?$"))


def open_console(page: Page) -> None:
    """Go to the event's poll console and wait until its socket has joined."""
    page.goto(f"/manage/{EVENT}/polls")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Polls")
    wait_online(page)


def open_phone(devices, name: str, kind: dict = PHONE, *, path: str = "", **options) -> Page:
    """A phone (or another device of `kind`) on a participant page, its socket joined."""
    page = devices.new(name, kind, **options)
    page.goto(path or f"/e/{EVENT}")
    wait_online(page)
    return page


def open_display(devices, name: str, query: str = "", **options) -> Page:
    """A projector on the event's display page (`query`: "?lang=de"), its socket joined."""
    page = devices.new(name, DISPLAY, **options)
    page.goto(f"/e/{EVENT}/display{query}")
    wait_online(page)
    return page


def open_staff_console(devices, server, name: str, **options) -> Page:
    """A laptop signed in as the server's staff login, on the event's poll console."""
    page = devices.new(name, LAPTOP, **options)
    sign_in(page, server.email, server.password)
    open_console(page)
    return page


def console_poll(page: Page, title: str) -> Locator:
    """The console's entry of a poll."""
    return page.locator("li.console-poll").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def poll_id(page: Page, title: str) -> int:
    """The id of a poll, read from the console."""
    return int(console_poll(page, title).get_attribute("data-poll"))


def console_action(page: Page, title: str, button: str, flash: str) -> None:
    """Press a poll's button in the console and wait for the confirmation it flashes."""
    # The form posts and redirects back to the console: wait for that new page, so the
    # flash checked below cannot be the one of the page before.
    with page.expect_navigation():
        console_poll(page, title).get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".flash-success")).to_have_text(flash)
    wait_online(page)


def open_next(page: Page, flash: str) -> None:
    """Press the console's Next poll and wait for the confirmation it flashes."""
    with page.expect_navigation():
        page.get_by_role("button", name="Next poll").click()
    expect(page.locator(".flash-success")).to_have_text(flash)
    wait_online(page)


def ensure_open(page: Page, title: str) -> None:
    """Open a poll from the console unless it is open already."""
    item = console_poll(page, title)
    expect(item).to_have_count(1)
    classes = item.get_attribute("class") or ""
    if "status-open" in classes:
        return
    if "status-closed" in classes:
        console_action(page, title, "Reopen", "Poll reopened.")
    else:
        console_action(page, title, "Open", "Poll opened.")


def wait_online(page: Page, timeout: float | None = None) -> None:
    """Wait until the page's socket is connected and has joined (live.js marks <body>)."""
    expect(page.locator("body")).to_have_attribute("data-conn-state", "online", timeout=timeout)


def set_marker(page: Page) -> None:
    """Put a value in the page's window; it survives anything but a reload."""
    page.evaluate("() => { window.plenumNotReloaded = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.plenumNotReloaded === true"), "the page was reloaded"


def poll_card(page: Page, poll: int) -> Locator:
    """A poll's card on the participant page."""
    return page.locator(f"article#poll-{poll}")


def display_bar(page: Page, label: str) -> Locator:
    """One option's bar on the display."""
    return page.locator("[data-display-poll] li.bar").filter(
        has=page.locator(".bar-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def results_api(base_url: str, poll: int) -> dict:
    """The poll's public results from the JSON API (counts shown when results are live)."""
    url = f"{base_url}/api/v1/events/{EVENT}/polls/{poll}/results"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def seed_attendee(server, staff_role: str, password: str, first_name: str, last_name: str) -> dict:
    """Add a staff account and a confirmed attendee of the demo event to a running server.

    Written through the app's own services into the server's database, so the test starts
    from what an organiser would have set up. Names get a random suffix: the shared server
    keeps other tests' attendees.
    """
    import secrets

    from voting import create_app
    from voting.accounts.service import create_user, grant_access
    from voting.events.service import find_event
    from voting.extensions import db
    from voting.registration.service import RegistrationData, register

    app = create_app({"INSTANCE_PATH": str(server.instance), "SOCKETIO_ASYNC_MODE": "threading"})
    suffix = secrets.token_hex(3)
    with app.app_context():
        event = find_event(EVENT)
        staff = create_user(f"{staff_role}-{suffix}@example.org", password, staff_role)
        grant_access(event, staff)
        partnership = event.partnerships[0]
        registered = register(
            event,
            RegistrationData(
                first_name=first_name,
                last_name=f"{last_name}{suffix}",
                email=f"{first_name}-{suffix}@example.org".lower(),
                organisation="Analytical Engines Ltd",
                country="BE",
                partnership_id=partnership.id,
                needs="Vegetarian meal",
                day_ids=[day.id for day in event.days],
            ),
            by_staff=True,
        )
        registration = registered.registration
        seeded = {
            "link": f"/e/{EVENT}/r/{registered.token}",
            "email": staff.email,
            "name": registration.full_name,
            "last_name": registration.last_name,
            "ticket": registration.ticket_code,
            "partnership": partnership.name,
            "suffix": suffix,
        }
        db.session.remove()
        db.engine.dispose()
    return seeded
