"""CSV exports of a campaign for its admins: every submission, and the summary figures."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.calendar_helpers import add_listing, make_campaign, run_on_plenum
from voting.campaigns.service import add_campaign_admin
from voting.models import RegistrationStatus

LISTINGS_URL = "/manage/campaigns/cluster-weeks/listings.csv"
SUMMARY_URL = "/manage/campaigns/cluster-weeks/summary.csv"


@pytest.fixture
def campaign(app):
    """A campaign from November 2026 to April 2027."""
    return make_campaign()


@pytest.fixture
def listings(campaign, make_registration):
    """Listings of every status; the Lille one runs on Plenum with registrations."""
    lille = add_listing(campaign, title="Lille cluster conference", expected_participants=200)
    event = run_on_plenum(lille)
    for status in (
        RegistrationStatus.confirmed,
        RegistrationStatus.confirmed,
        RegistrationStatus.pending,
        RegistrationStatus.waiting,
        RegistrationStatus.cancelled,
        RegistrationStatus.rejected,
    ):
        make_registration(event, status=status)
    return {
        "lille": lille,
        "brno": add_listing(
            campaign,
            title="Brno matchmaking day",
            city="Brno",
            country="CZ",
            format="matchmaking",
            starts_on=dt.date(2027, 1, 20),
            ends_on=dt.date(2027, 1, 20),
            expected_participants=60,
        ),
        "paris": add_listing(
            campaign,
            title='=HYPERLINK("http://evil.example")',
            city="Paris",
            organisation="+33 Cluster",
            starts_on=dt.date(2027, 1, 5),
            ends_on=dt.date(2027, 1, 6),
            format="workshop",
            expected_participants=30,
        ),
        "pending": add_listing(campaign, "pending", title="Pending gathering", country="DK"),
        "changes": add_listing(campaign, "changes_requested", title="Changes forum"),
        "rejected": add_listing(campaign, "rejected", title="Rejected summit", country="PT"),
    }


@pytest.fixture
def campaign_admin(campaign, make_user):
    """A campaign admin linked to the campaign."""
    user = make_user(role="campaign_admin")
    add_campaign_admin(campaign, user)
    return user


def rows_of(response) -> list[list[str]]:
    """Check a CSV download (UTF-8 with a BOM) and return its rows."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    """Return the rows after the heading as dicts keyed by heading."""
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_listings_csv_holds_every_submission_with_registered_participants(
    client, login, campaign_admin, listings
):
    """Does the export list every submission, whatever its status, with its fields and figures?"""
    rows = as_dicts(rows_of(login(client, campaign_admin).get(LISTINGS_URL)))
    by_title = {row["Title"]: row for row in rows}
    assert set(by_title) == {
        "Lille cluster conference",
        "Brno matchmaking day",
        '\'=HYPERLINK("http://evil.example")',  # neutralised: no formula in a spreadsheet
        "Pending gathering",
        "Changes forum",
        "Rejected summit",
    }
    lille = by_title["Lille cluster conference"]
    assert lille["Status"] == "Approved"
    assert lille["Country"] == "FR"
    assert lille["Country name"] == "France"
    assert lille["Format"] == "Conference"
    assert lille["Starts on"] == "2026-11-17"
    assert lille["Ends on"] == "2026-11-18"
    assert lille["Expected participants"] == "200"
    # Confirmed, pending and waiting count; cancelled and rejected do not.
    assert lille["Registered participants"] == "4"
    assert lille["Plenum event"] == "LILLE26"
    assert lille["Contact email"] == "ana@example.org"
    assert lille["Themes"] == "Green transition"
    assert by_title["Brno matchmaking day"]["Registered participants"] == ""
    assert by_title["Changes forum"]["Status"] == "Changes requested"
    assert by_title["Rejected summit"]["Status"] == "Rejected"
    assert by_title['\'=HYPERLINK("http://evil.example")']["Organisation"] == "'+33 Cluster"


def test_summary_csv_counts_approved_events_per_country_month_and_format(
    client, login, campaign_admin, listings
):
    """Are approved listings counted per country, month and format with participant totals?"""
    rows = rows_of(login(client, campaign_admin).get(SUMMARY_URL))
    assert rows[0] == [
        "Breakdown",
        "Category",
        "Events",
        "Expected participants",
        "Registered participants",
    ]
    assert rows[1:] == [
        ["All approved events", "Cluster Weeks", "3", "290", "4"],
        ["Country", "Czechia", "1", "60", "0"],
        ["Country", "France", "2", "230", "4"],
        ["Month", "2026-11 November 2026", "1", "200", "4"],
        ["Month", "2027-01 January 2027", "2", "90", "0"],
        ["Format", "Conference", "1", "200", "4"],
        ["Format", "Workshop", "1", "30", "0"],
        ["Format", "Matchmaking", "1", "60", "0"],
    ]


def test_exports_of_an_empty_campaign_have_their_headings(client, login, campaign_admin):
    """Does a campaign without listings still give both files with their headings?"""
    client = login(client, campaign_admin)
    assert len(rows_of(client.get(LISTINGS_URL))) == 1
    assert rows_of(client.get(SUMMARY_URL))[1] == [
        "All approved events",
        "Cluster Weeks",
        "0",
        "0",
        "0",
    ]


def test_headings_follow_the_language(client, login, campaign_admin, listings):
    """Are the headings in the language of the page the admin asked in?"""
    rows = rows_of(login(client, campaign_admin).get(SUMMARY_URL + "?lang=de"))
    assert rows[0][0] != "Breakdown"
    assert rows[0][2] == "Veranstaltungen"


def test_global_admin_may_export(client, login, make_user, listings):
    """May a global admin, who administers every campaign, download both files?"""
    client = login(client, make_user(role="admin"))
    assert client.get(LISTINGS_URL).status_code == 200
    assert client.get(SUMMARY_URL).status_code == 200


@pytest.mark.parametrize("url", [LISTINGS_URL, SUMMARY_URL])
def test_exports_are_refused_to_everyone_else(client, login, make_user, listings, url, caplog):
    """Are the exports refused to visitors, other staff and another campaign's admin?"""
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    other = make_campaign(slug="other-campaign", name="Other")
    outsider = make_user(role="campaign_admin")
    add_campaign_admin(other, outsider)
    for user in (make_user(role="moderator"), make_user(role="checkin"), outsider):
        signed_in = login(client.application.test_client(), user)
        caplog.clear()
        assert signed_in.get(url).status_code == 403
        assert any(hasattr(record, "refusal") for record in caplog.records)


def test_export_of_unknown_campaign_is_a_404(client, login, make_user):
    """Is an export of a campaign that does not exist a 404 for an admin?"""
    client = login(client, make_user(role="admin"))
    assert client.get("/manage/campaigns/nowhere/listings.csv").status_code == 404


def test_review_page_links_both_exports(client, login, campaign_admin, listings):
    """Does the campaign's admin page offer both CSV files?"""
    html = (
        login(client, campaign_admin).get("/manage/campaigns/cluster-weeks").get_data(as_text=True)
    )
    assert 'href="/manage/campaigns/cluster-weeks/listings.csv"' in html
    assert 'href="/manage/campaigns/cluster-weeks/summary.csv"' in html
