"""The campaign's public calendar: approved listings only, filters, list by month, month grid."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.calendar_helpers import START, add_listing, make_campaign, run_on_plenum
from voting.campaigns import calendar
from voting.extensions import db


@pytest.fixture
def campaign(app):
    """A campaign from November 2026 to April 2027."""
    return make_campaign()


@pytest.fixture
def listings(campaign):
    """Approved listings in three countries and months, and one of every other status."""
    return {
        "lille": add_listing(campaign, title="Lille cluster conference"),
        "brno": add_listing(
            campaign,
            title="Brno matchmaking day",
            city="Brno",
            country="CZ",
            format="matchmaking",
            themes=["Digital transition", "Skills"],
            starts_on=dt.date(2027, 1, 20),
            ends_on=dt.date(2027, 1, 20),
            website="",
        ),
        "week": add_listing(
            campaign,
            title="Innovation week Aarhus",
            city="Aarhus",
            country="DK",
            format="workshop",
            themes=["Skills"],
            starts_on=dt.date(2026, 11, 28),
            ends_on=dt.date(2026, 12, 3),
        ),
        "pending": add_listing(campaign, "pending", title="Pending gathering", country="DK"),
        "changes": add_listing(
            campaign, "changes_requested", title="Changes requested forum", country="DK"
        ),
        "rejected": add_listing(campaign, "rejected", title="Rejected summit", country="DK"),
    }


def page(client, url: str) -> tuple[int, str]:
    """GET a page; return its status and text (Babel's thin spaces as plain ones)."""
    response = client.get(url)
    html = response.get_data(as_text=True)
    return response.status_code, html.replace("\u2009", " ").replace("\u202f", " ")


def card_of(html: str, listing) -> str:
    """Return the HTML of one listing's card."""
    return html.split(f'id="listing-{listing.id}"')[1].split("\n  </li>")[0]


def card_titles(html: str) -> list[str]:
    """Return the titles of the listing cards, in page order."""
    return re.findall(r'<h4 class="listing-title">([^<]+)</h4>', html)


def test_calendar_shows_only_approved_listings_by_date(client, campaign, listings):
    """Does the calendar list the approved listings only, sorted by date, under their month?"""
    status, html = page(client, "/c/cluster-weeks")
    assert status == 200
    assert card_titles(html) == [
        "Lille cluster conference",
        "Innovation week Aarhus",
        "Brno matchmaking day",
    ]
    for hidden in ("Pending gathering", "Changes requested forum", "Rejected summit"):
        assert hidden not in html
    months = re.findall(r'<h3 id="month-(\d{4}-\d\d)">([^<]+)</h3>', html)
    assert months == [("2026-11", "November 2026"), ("2027-01", "January 2027")]


def test_calendar_shows_the_campaign_and_each_card_its_facts(client, campaign, listings):
    """Does the page show the campaign's name, period, contact, and each card its facts?"""
    _status, html = page(client, "/c/cluster-weeks")
    assert "<h1>Cluster Weeks</h1>" in html
    assert "Nov 1, 2026 – Apr 30, 2027" in html
    assert 'href="mailto:office@example.org"' in html
    assert "Campaign office" in html
    card = card_of(html, listings["week"])
    assert "Nov 28 – Dec 3, 2026" in card
    assert "Aarhus, Denmark" in card
    assert "Workshop" in card
    assert "<li>Skills</li>" in card
    assert "Cluster Nord" in card
    assert 'href="https://example.org/conference"' in card
    assert f'href="/c/cluster-weeks/events/{listings["week"].id}.ics"' in card


def test_card_links_to_the_plenum_event_and_its_registration(client, campaign, listings):
    """Does a listing that became a Plenum event link to its page and registration form?"""
    event = run_on_plenum(listings["lille"])
    _status, html = page(client, "/c/cluster-weeks")
    card = card_of(html, listings["lille"])
    assert 'href="/e/LILLE26"' in card
    assert 'href="/e/LILLE26/register"' in card
    assert "example.org/conference" not in card  # the Plenum event replaces the website
    event.registration_open = False
    db.session.commit()
    _status, html = page(client, "/c/cluster-weeks")
    card = card_of(html, listings["lille"])
    assert 'href="/e/LILLE26"' in card
    assert "/register" not in card


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("country=CZ", ["Brno matchmaking day"]),
        ("country=dk", ["Innovation week Aarhus"]),
        ("month=2026-12", ["Innovation week Aarhus"]),  # began in November, runs into December
        ("month=2026-11", ["Lille cluster conference", "Innovation week Aarhus"]),
        ("theme=Skills", ["Innovation week Aarhus", "Brno matchmaking day"]),
        ("format=matchmaking", ["Brno matchmaking day"]),
        ("theme=Skills&format=workshop&country=DK", ["Innovation week Aarhus"]),
    ],
)
def test_filters_narrow_the_calendar(client, listings, query, titles):
    """Does each filter (and their combination) keep exactly the matching approved listings?"""
    status, html = page(client, f"/c/cluster-weeks?{query}")
    assert status == 200
    assert card_titles(html) == titles


def test_filters_are_kept_in_the_form_and_links(client, listings):
    """Does a filtered page show its filters selected, so the address can be shared?"""
    _status, html = page(client, "/c/cluster-weeks?country=CZ&format=matchmaking")
    assert '<option value="CZ" selected>Czechia</option>' in html
    assert '<option value="matchmaking" selected>Matchmaking</option>' in html
    assert 'href="/c/cluster-weeks/calendar.ics?country=CZ&amp;format=matchmaking"' in html
    assert 'href="/c/cluster-weeks?view=grid&amp;country=CZ&amp;format=matchmaking"' in html


def test_filter_offers_the_countries_of_approved_listings(client, listings):
    """Does the country filter offer the countries on the calendar, not those of hidden ones?"""
    _status, html = page(client, "/c/cluster-weeks")
    form = html.split('id="filter-country"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([A-Z]{2})"', form) == ["CZ", "DK", "FR"]
    months = html.split('id="filter-month"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\d{4}-\d\d)"', months) == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
        "2027-03",
        "2027-04",
    ]


def test_empty_result_says_so_and_offers_to_clear(client, listings):
    """Does a filter that matches nothing say so and link to the unfiltered calendar?"""
    status, html = page(client, "/c/cluster-weeks?country=PT")
    assert status == 200
    assert card_titles(html) == []
    assert "No event matches these filters." in html
    assert '<a class="button" href="/c/cluster-weeks">Clear the filters</a>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=XX", "That is not a country we know."),
        ("country=France", "That is not a country we know."),
        ("month=2026-10", "That month is outside the campaign"),
        ("month=2027-05", "That month is outside the campaign"),
        ("month=2026-13", "Give the month as year and month"),
        ("month=nonsense", "Give the month as year and month"),
        ("theme=Space", "The campaign has no such theme."),
        ("format=party", "Pick a format from the list."),
        ("view=table", "Choose the list or the month grid."),
        ("country=" + "A" * 5000, "That is not a country we know."),
        ("month=%00", "Give the month as year and month"),
    ],
)
def test_bad_filter_values_get_a_message_and_a_400(client, listings, query, message):
    """Is a filter value that makes no sense named above the results with a 400, never a 500?"""
    status, html = page(client, f"/c/cluster-weeks?{query}")
    assert status == 400
    errors = html.split('class="flash flash-error calendar-errors"')[1].split("</div>")[0]
    assert message in errors.replace("&#39;", "'")
    # The bad filter is left out: every approved listing is still shown.
    assert len(card_titles(html)) == 3


FILTER_NAMES = st.sampled_from(["view", "country", "month", "theme", "format", "lang", "x"])
FILTER_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["grid", "list", "DK", "cz", "2026-12", "2027-13", "Skills", "online"]),
    st.text(alphabet="0123456789-", max_size=10),
)


@settings(
    max_examples=80,
    deadline=None,
    # The examples only read: one campaign serves them all.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.lists(st.tuples(FILTER_NAMES, FILTER_VALUES), max_size=6))
def test_any_query_string_gets_the_calendar_or_a_clear_400(client, listings, query):
    """Does any mix of filter values (junk, repeats, control characters) get a page or a
    400 naming the problem, and the feed a calendar or a 400, never a 500?"""
    for url in ("/c/cluster-weeks", "/c/cluster-weeks/calendar.ics"):
        response = client.get(url, query_string=query)
        assert response.status_code in (200, 400), (url, query, response.status_code)
        body = response.get_data(as_text=True)
        if url.endswith(".ics") and response.status_code == 200:
            assert body.startswith("BEGIN:VCALENDAR")
        elif response.status_code == 400:
            assert "calendar-errors" in body or "Sorry, that did not work" in body
        assert "Pending gathering" not in body


def test_unknown_campaign_is_a_404_page(client, campaign):
    """Does an unknown slug answer the 404 page?"""
    status, html = page(client, "/c/no-such-campaign")
    assert status == 404
    assert "There is no such campaign." in html


def test_month_grid_is_a_table_of_weeks_monday_first(client, listings):
    """Does the grid show the month as weeks from Monday, each listing on every day it spans?"""
    status, html = page(client, "/c/cluster-weeks?view=grid&month=2026-11")
    assert status == 200
    assert "<caption>November 2026</caption>" in html
    headers = re.findall(r'<th scope="col"><abbr title="(\w+)">', html)
    assert headers == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 6  # 1 November 2026 is a Sunday: six weeks touch the month
    first_week = rows[0].split("<td")[1:]
    assert [cell.startswith(' class="outside"') for cell in first_week] == [True] * 6 + [False]
    days_of = {}
    for cell in html.split("<td")[1:]:
        label = re.search(r'<span class="day-label">([^<]+)</span>', cell)
        if label:
            days_of[label.group(1)] = re.findall(r'<a href="[^"]+">([^<]+)</a>', cell)
    assert days_of["Tuesday, November 17, 2026"] == ["Lille cluster conference"]
    assert days_of["Wednesday, November 18, 2026"] == ["Lille cluster conference"]
    assert days_of["Saturday, November 28, 2026"] == ["Innovation week Aarhus"]
    assert days_of["Monday, November 30, 2026"] == ["Innovation week Aarhus"]
    assert days_of["Thursday, November 19, 2026"] == []
    assert "day 3 of 6" in html
    assert "Pending gathering" not in html


def test_month_grid_links_to_neighbouring_months_within_the_period(client, listings):
    """Does the grid link to the previous and next months, but not beyond the period?"""
    _status, html = page(client, "/c/cluster-weeks?view=grid&month=2026-12&country=DK")
    assert 'href="/c/cluster-weeks?view=grid&amp;country=DK&amp;month=2026-11" rel="prev"' in html
    assert 'href="/c/cluster-weeks?view=grid&amp;country=DK&amp;month=2027-01" rel="next"' in html
    assert (
        re.findall(r'<a href="[^"]+">([^<]+)</a>\s*<span class="day-event-where">', html)
        == ["Innovation week Aarhus"] * 3
    )
    _status, first = page(client, "/c/cluster-weeks?view=grid&month=2026-11")
    assert 'rel="prev"' not in first
    _status, last = page(client, "/c/cluster-weeks?view=grid&month=2027-04")
    assert 'rel="next"' not in last
    assert "No event this month." in last


def test_grid_without_month_opens_this_month_within_the_period(campaign):
    """Does the grid open on today's month within the period, else the nearest end?"""
    query = calendar.CalendarQuery(view="grid")
    assert calendar.grid_month(campaign, query, dt.date(2027, 2, 14)) == dt.date(2027, 2, 1)
    assert calendar.grid_month(campaign, query, dt.date(2026, 6, 1)) == START
    assert calendar.grid_month(campaign, query, dt.date(2028, 1, 1)) == dt.date(2027, 4, 1)


def test_calendar_speaks_the_page_language(client, listings):
    """Are dates, month names, countries and formats in the page's language?"""
    _status, html = page(client, "/c/cluster-weeks?lang=fr")
    assert "28 nov. – 3 déc. 2026" in html
    assert "Aarhus, Danemark" in html
    assert "novembre 2026" in html
    _status, html = page(client, "/c/cluster-weeks?lang=de&view=grid&month=2026-11")
    assert '<abbr title="Montag">' in html
    assert "Dienstag, 17. November 2026" in html


def test_demo_campaign_is_on_its_calendar_once(app, client, tmp_path):
    """Does the demo make its campaign once: approved listings in several countries, the
    opening conference linked to EUCP18, a pending and a changes-requested one, an admin?"""
    from voting.campaigns.service import can_administer
    from voting.demo import (
        DEMO_CAMPAIGN,
        DEMO_CAMPAIGN_ADMIN,
        OPENING,
        create_demo_campaign,
        create_demo_event,
        ensure_demo_campaign_admin,
    )
    from voting.models import Listing, User

    today = dt.date(2026, 11, 26)
    event = create_demo_event(today)
    campaign = create_demo_campaign(today)
    assert (campaign.starts_on, campaign.ends_on) == (dt.date(2026, 11, 1), dt.date(2027, 4, 30))
    listings = list(campaign.listings)
    approved = [listing for listing in listings if listing.status == "approved"]
    assert len({listing.country for listing in approved}) >= 5
    assert sorted(listing.status.value for listing in listings if listing.status != "approved") == [
        "changes_requested",
        "pending",
    ]
    opening = next(listing for listing in listings if listing.title == OPENING)
    assert opening.event_id == event.id
    assert (opening.starts_on, opening.ends_on) == (event.starts_on, event.ends_on)
    assert all(campaign.starts_on <= listing.starts_on for listing in listings)
    assert all(listing.ends_on <= campaign.ends_on for listing in listings)

    login = ensure_demo_campaign_admin(str(tmp_path))
    assert login is not None
    assert login[0] == DEMO_CAMPAIGN_ADMIN
    admin = db.session.scalar(db.select(User).where(User.email == DEMO_CAMPAIGN_ADMIN))
    assert admin.role == "campaign_admin"
    assert can_administer(admin, campaign)
    # Idempotent: a second run changes nothing and keeps the same login.
    assert create_demo_campaign(today) is campaign
    assert ensure_demo_campaign_admin(str(tmp_path)) == login
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == len(listings)

    _status, html = page(client, f"/c/{DEMO_CAMPAIGN}")
    assert card_titles(html)[0] == OPENING
    assert 'href="/e/EUCP18"' in card_of(html, opening)
    assert len(card_titles(html)) == len(approved)


def test_calendar_shows_the_logo_and_links_the_submission_form(client, campaign, listings):
    """Does the page show the campaign's logo (through its route) once it has one, and link
    the submission form?"""
    _status, html = page(client, "/c/cluster-weeks")
    assert "campaign-logo" not in html
    assert 'href="/c/cluster-weeks/submit"' in html
    campaign.logo = "cluster-weeks.png"
    db.session.commit()
    _status, html = page(client, "/c/cluster-weeks")
    assert (
        '<img class="campaign-logo" src="/c/cluster-weeks/logo" alt="Logo of Cluster Weeks">'
        in html
    )
