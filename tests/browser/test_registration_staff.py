"""Staff registrations in the browser: an organiser searches the list and imports a CSV."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP
from tests.browser.pages import EVENT, seed_attendee, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "organiser test password"


def seed(server) -> dict:
    """Create a admin account and a confirmed attendee of the demo event."""
    return seed_attendee(server, "admin", PASSWORD, "Grace", "Hopper")


@pytest.mark.browser
def test_organiser_searches_and_imports_a_csv(server, devices, screenshot):
    seeded = seed(server)
    suffix = seeded["suffix"]
    page = devices.new("laptop", LAPTOP)
    sign_in(page, seeded["email"], PASSWORD)

    # Search the list by name.
    page.goto(f"/manage/{EVENT}/registrations")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registrations")
    page.get_by_label("Search", exact=True).fill(seeded["last_name"])
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.registrations tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(seeded["last_name"])
    expect(rows.first).to_contain_text("Belgium")

    # Import two attendees from a small CSV (semicolons, as Excel writes in Europe).
    csv_text = (
        "First name;Last name;E-mail;Organisation;Country\n"
        f"Ada;Lovelace{suffix};ada-{suffix}@example.org;Engines Ltd;United Kingdom\n"
        f"Émile;Zola{suffix};emile-{suffix}@example.org;Paris Cluster;FR\n"
    )
    page.get_by_role("navigation", name="Registrations").get_by_role("link", name="Import").click()
    page.get_by_label("CSV or XLSX file").set_input_files(
        {"name": "attendees.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
    )
    page.get_by_role("button", name="Upload and choose columns").click()
    expect(page.get_by_label("Email (required)")).to_have_value("2")
    expect(page.get_by_label("Country (required)")).to_have_value("4")
    page.get_by_role("button", name="Preview the import").click()

    expect(page.locator("[data-preview-summary]")).to_have_text("All 2 rows are ready to import.")
    preview = page.locator("table.preview tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.nth(0)).to_contain_text(f"Lovelace{suffix}")
    expect(preview.nth(1)).to_contain_text("Émile")
    screenshot(page, "import-preview", full_page=True)
    page.get_by_role("button", name="Import 2 attendees").click()

    expect(page).to_have_url(re.compile(rf"/manage/{EVENT}/registrations$"))
    expect(page.locator(".flash-success").first).to_contain_text("2 attendees imported")
    page.get_by_label("Search", exact=True).fill(suffix)
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(3)
    expect(page.locator("table.registrations")).to_contain_text(f"Zola{suffix}, Émile")
    screenshot(page, "list-after-import", full_page=True)

    # One attendee's page: status, actions and the edit form, every field labelled.
    page.get_by_role("link", name=f"Lovelace{suffix}, Ada").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ada Lovelace{suffix}")
    expect(page.get_by_label("Organisation")).to_have_value("Engines Ltd")
    expect(page.get_by_label("Move to")).to_be_visible()
    screenshot(page, "detail", full_page=True)
