"""A campaign's journey in real Chromium: an organiser submits an event from a phone, the
campaign admin approves it on a laptop, and it is found on the public calendar by country
and in the month grid; a listing still waiting for review shows nowhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.test_accessibility import BLOCKING, run_axe

pytestmark = pytest.mark.browser

CAMPAIGN = "eu-cluster-weeks"  # the demo campaign (voting/demo.py)
PENDING = "Wood and construction cluster day"  # the demo's listing waiting for review
TITLE = "Atlantic blue economy cluster workshop"
CAMPAIGN_LOGIN = re.compile(r"Campaign admin:\s+(\S+) / (\S+)")


def first_of_month_after(day: dt.date, months: int) -> dt.date:
    """Return the first day of the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def campaign_login(server) -> tuple[str, str]:
    """Read the demo campaign admin's login that `voting serve` printed."""
    match = CAMPAIGN_LOGIN.search(server.output())
    assert match, server.output()
    return match.group(1), match.group(2)


def submit_from_phone(page: Page, starts_on: dt.date, screenshot) -> None:
    """Fill the campaign's submission form on a phone and send it."""
    page.goto(f"/c/{CAMPAIGN}")
    page.get_by_role("link", name="Submit your event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit your event")
    page.get_by_label("Organisation").fill("Cluster Atlântico")
    page.get_by_label("Contact person").fill("Inês Duarte")
    page.get_by_label("Contact email").fill("ines.duarte@example.org")
    page.get_by_label("Event title").fill(TITLE)
    page.get_by_label("First day").fill(starts_on.isoformat())
    page.get_by_label("Last day").fill((starts_on + dt.timedelta(days=1)).isoformat())
    page.get_by_label("City").fill("Aveiro")
    page.get_by_label("Country").select_option("PT")
    page.get_by_label("Format").select_option("workshop")
    page.get_by_label("Expected participants").fill("80")
    page.get_by_label("Innovation uptake").check()
    page.get_by_label("Description").fill("Ports, fisheries and blue biotech; two days.")
    screenshot(page, "phone-form", full_page=True)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your event waits for review"
    )


def blocking_findings(page: Page) -> list[str]:
    """Return axe-core's serious and critical findings on the page."""
    return [
        f"{page.url}: {v['id']} {v['help']} {[n['target'] for n in v['nodes']]}"
        for v in run_axe(page)["violations"]
        if v["impact"] in BLOCKING
    ]


def card(page: Page, title: str):
    """The calendar card of a listing."""
    return page.locator("li.listing-card").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def test_submit_on_phone_approve_and_find_on_the_calendar(own_devices, own_server, screenshot):
    """Can an organiser's event, submitted from a phone and approved by the campaign admin,
    be found by country and in its month's grid, while a pending one never shows?"""
    starts_on = first_of_month_after(dt.date.today(), 2) + dt.timedelta(days=11)
    month = starts_on.strftime("%Y-%m")
    phone = own_devices.new("organiser", PHONE)
    submit_from_phone(phone, starts_on, screenshot)

    # Waiting for review: not on the public calendar, even filtered by its country.
    phone.goto(f"/c/{CAMPAIGN}?country=PT")
    expect(phone.get_by_text("No event matches these filters.")).to_be_visible()
    expect(phone.get_by_text(TITLE)).to_have_count(0)

    laptop = own_devices.new("campaign-admin", LAPTOP)
    email, password = campaign_login(own_server)
    laptop.goto("/login")
    laptop.get_by_label("Email").fill(email)
    laptop.get_by_label("Password").fill(password)
    laptop.get_by_role("button", name="Sign in").click()
    laptop.goto("/manage/campaigns")
    laptop.get_by_role("link", name="EU Cluster Weeks").first.click()
    queued = laptop.locator("li.listing-card").filter(
        has=laptop.get_by_role("heading", name=TITLE, exact=True)
    )
    expect(queued).to_have_count(1)
    expect(laptop.locator("li.listing-card").filter(has_text=PENDING)).to_have_count(1)
    screenshot(laptop, "admin-queue", full_page=True)
    with laptop.expect_navigation():
        queued.get_by_role("button", name="Approve").click()
    expect(laptop.locator(".flash-success")).to_be_visible()
    # The reporting export, downloaded from the admin page, has it as approved.
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="Download all submissions (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = {row["Title"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[TITLE]["Status"] == "Approved"
    assert rows[TITLE]["Country name"] == "Portugal"
    assert rows[PENDING]["Status"] == "Waiting for review"

    # The public calendar: filter by Portugal with the form, as a visitor would.
    visitor = own_devices.new("visitor", PHONE)
    visitor.goto(f"/c/{CAMPAIGN}")
    expect(card(visitor, "Future Week Denmark")).to_have_count(1)
    expect(visitor.get_by_text(PENDING)).to_have_count(0)
    visitor.get_by_label("Country", exact=True).select_option("PT")
    visitor.get_by_role("button", name="Show events").click()
    expect(visitor).to_have_url(re.compile(r"[?&]country=PT(&|$)"))
    found = card(visitor, TITLE)
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Aveiro, Portugal")
    expect(found).to_contain_text("Workshop")
    expect(found.get_by_role("link", name=re.compile("Add to calendar"))).to_be_visible()
    expect(visitor.locator("li.listing-card")).to_have_count(1)
    screenshot(visitor, "filtered-list", full_page=True)
    assert blocking_findings(visitor) == []
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390

    # The month grid of that month, reached with the view switch and the month filter.
    desk = own_devices.new("visitor-desk", LAPTOP)
    desk.goto(f"/c/{CAMPAIGN}?country=PT")
    desk.get_by_role("link", name="Month grid").click()
    desk.get_by_label("Month", exact=True).select_option(month)
    desk.get_by_role("button", name="Show events").click()
    expect(desk).to_have_url(re.compile(rf"view=grid.*month={month}|month={month}.*view=grid"))
    grid = desk.get_by_role("table")
    expect(grid.locator("caption")).to_have_text(re.compile(starts_on.strftime("%B %Y")))
    expect(grid.get_by_role("columnheader")).to_have_count(7)
    expect(grid.get_by_role("columnheader").first).to_have_text("Mon")
    entries = grid.get_by_role("link", name=TITLE)
    expect(entries).to_have_count(2)  # on each of its two days
    first_day = grid.locator("td").filter(has_text=starts_on.strftime("%A, %B %-d, %Y"))
    expect(first_day.get_by_role("link", name=TITLE)).to_have_count(1)
    expect(desk.get_by_text(PENDING)).to_have_count(0)
    screenshot(desk, "month-grid", full_page=True)
    assert blocking_findings(desk) == []
    # By keyboard: the event's link in the grid takes focus and leads to its card.
    entries.first.focus()
    desk.keyboard.press("Enter")
    expect(card(desk, TITLE)).to_be_visible()
    expect(desk).to_have_url(re.compile(r"#listing-\d+$"))

    phone_grid = own_devices.new("visitor-grid", PHONE)
    phone_grid.goto(f"/c/{CAMPAIGN}?view=grid&month={month}&country=PT")
    expect(phone_grid.get_by_role("link", name=TITLE)).to_have_count(2)
    screenshot(phone_grid, "month-grid-phone", full_page=True)
    assert blocking_findings(phone_grid) == []
    assert phone_grid.evaluate("document.documentElement.scrollWidth") <= 390
    assert own_devices.errors == []
