"""The campaign's iCalendar feeds, read back with a real parser (the `icalendar` package)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from tests.calendar_helpers import add_listing, make_campaign, run_on_plenum
from voting.extensions import db

TRICKY = "Cluster-Konferenz, Süd; «Ödön» 2026\nzweite Zeile — 東京"


@pytest.fixture
def campaign(app):
    """A campaign from November 2026 to April 2027."""
    return make_campaign(description="Events, workshops; and more\nall over Europe.")


@pytest.fixture
def listings(campaign):
    """Two approved listings (one with tricky text), one pending, one rejected."""
    return {
        "lille": add_listing(campaign, title="Lille cluster conference"),
        "tricky": add_listing(
            campaign,
            title=TRICKY,
            organisation="Cluster Süd; Verbund, e.V.",
            description="Erste Zeile, mit Komma; und Semikolon.\nZweite Zeile: Grüße!",
            city="München",
            country="DE",
            format="workshop",
            themes=["Digital transition", "Skills"],
            starts_on=dt.date(2026, 12, 30),
            ends_on=dt.date(2027, 1, 2),
            website="",
            expected_participants=40,
        ),
        "pending": add_listing(campaign, "pending", title="Pending gathering"),
        "changes": add_listing(campaign, "changes_requested", title="Changes forum"),
        "rejected": add_listing(campaign, "rejected", title="Rejected summit"),
    }


def parse(response) -> Calendar:
    """Check an iCalendar answer's type and parse it."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.get_data())


def events_of(calendar: Calendar) -> dict[str, object]:
    """Return the calendar's VEVENTs by summary."""
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_feed_holds_every_approved_listing_and_no_other(client, listings):
    """Does the feed list the approved listings only, named after the campaign?"""
    calendar = parse(client.get("/c/cluster-weeks/calendar.ics"))
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Plenum//Campaign calendar//EN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert Calendar.from_ical(calendar.to_ical())["X-WR-CALNAME"] == calendar["X-WR-CALNAME"]
    assert "Cluster Weeks" in calendar.to_ical().decode()
    assert sorted(events_of(calendar)) == sorted(["Lille cluster conference", TRICKY])


def test_feed_event_has_every_field(client, listings):
    """Does a listing become an all-day VEVENT with each field the brief asks for?"""
    listing = listings["lille"]
    event = events_of(parse(client.get("/c/cluster-weeks/calendar.ics")))[listing.title]
    assert str(event["UID"]) == f"listing-{listing.id}.cluster-weeks@plenum.test"
    assert event["DTSTART"].dt == dt.date(2026, 11, 17)
    assert event["DTSTART"].params["VALUE"] == "DATE"
    # DTEND is exclusive: the day after the last one.
    assert event["DTEND"].dt == dt.date(2026, 11, 19)
    assert event["DTEND"].params["VALUE"] == "DATE"
    stamp = event["DTSTAMP"].dt
    assert isinstance(stamp, dt.datetime)
    assert stamp.utcoffset() == dt.timedelta(0)
    assert event["LAST-MODIFIED"].dt == stamp
    # A review later than the last edit moves the stamp, so calendars see the change.
    listing.reviewed_at = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    db.session.commit()
    event = events_of(parse(client.get("/c/cluster-weeks/calendar.ics")))[listing.title]
    assert event["DTSTAMP"].dt == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert str(event["LOCATION"]) == "Lille, France"
    assert str(event["URL"]) == "https://example.org/conference"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["Conference", "Green transition"]
    assert str(event["DESCRIPTION"]) == (
        "Cluster Nord\n\nA day of talks.\n\nhttps://example.org/conference"
    )
    assert str(event["STATUS"]) == "CONFIRMED"


def test_text_with_commas_semicolons_newlines_and_accents_survives(client, listings):
    """Do commas, semicolons, line breaks and non-ASCII text come back exactly?"""
    listing = listings["tricky"]
    raw = client.get("/c/cluster-weeks/calendar.ics").get_data()
    assert b"Cluster-Konferenz\\, S\xc3\xbcd\\; " in raw  # escaped as RFC 5545 asks
    event = events_of(Calendar.from_ical(raw))[TRICKY]
    assert str(event["SUMMARY"]) == TRICKY
    assert str(event["LOCATION"]) == "München, Germany"
    assert str(event["DESCRIPTION"]).startswith(
        "Cluster Süd; Verbund, e.V.\n\nErste Zeile, mit Komma; und Semikolon.\nZweite Zeile: Grüße!"
    )
    assert [str(c) for c in event["CATEGORIES"].cats] == [
        "Workshop",
        "Digital transition",
        "Skills",
    ]
    # Across the new year, DTEND still the day after the last.
    assert (event["DTSTART"].dt, event["DTEND"].dt) == (dt.date(2026, 12, 30), dt.date(2027, 1, 3))
    # No website and no Plenum event: the URL is the listing's card on the calendar.
    assert str(event["URL"]) == (
        f"http://plenum.test/c/cluster-weeks?month=2026-12#listing-{listing.id}"
    )
    # Long lines are folded at 75 octets and unfolded by the parser.
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))


def test_calendar_name_with_special_characters_survives(client, listings, campaign):
    """Does the calendar's name come back whole, however it is punctuated?"""
    campaign.name = "Semaines, des clusters; «2026»"
    db.session.commit()
    raw = client.get("/c/cluster-weeks/calendar.ics").get_data()
    calendar = Calendar.from_ical(raw)
    name = calendar["X-WR-CALNAME"]
    text = name.to_ical().decode() if hasattr(name, "to_ical") else str(name)
    assert text == "Semaines\\, des clusters\\; «2026»"
    assert b"X-WR-CALDESC:Events\\, workshops\\; and more\\nall over Europe." in raw


def test_uid_and_bytes_are_stable(client, listings):
    """Does the same listing give the same UID and the same bytes in every download?"""
    first = client.get("/c/cluster-weeks/calendar.ics").get_data()
    assert client.get("/c/cluster-weeks/calendar.ics").get_data() == first
    one = parse(client.get(f"/c/cluster-weeks/events/{listings['lille'].id}.ics"))
    whole = parse(client.get("/c/cluster-weeks/calendar.ics"))
    assert (
        events_of(one)["Lille cluster conference"]["UID"]
        == events_of(whole)["Lille cluster conference"]["UID"]
    )


def test_feed_honours_the_calendar_filters(client, listings):
    """Does the feed apply the same filters as the page?"""
    calendar = parse(client.get("/c/cluster-weeks/calendar.ics?country=DE"))
    assert list(events_of(calendar)) == [TRICKY]
    calendar = parse(client.get("/c/cluster-weeks/calendar.ics?month=2027-01"))
    assert list(events_of(calendar)) == [TRICKY]
    calendar = parse(client.get("/c/cluster-weeks/calendar.ics?format=conference&theme=Skills"))
    assert list(events_of(calendar)) == []


@pytest.mark.parametrize("query", ["country=ZZ", "month=2030-01", "format=party", "theme=x"])
def test_feed_with_bad_filters_is_a_400(client, listings, query):
    """Is a feed asked with a nonsense filter refused with a 400 rather than a wrong feed?"""
    response = client.get(f"/c/cluster-weeks/calendar.ics?{query}")
    assert response.status_code == 400


def test_one_listing_feed(client, listings):
    """Does /events/<id>.ics give exactly that approved listing?"""
    listing = listings["lille"]
    response = client.get(f"/c/cluster-weeks/events/{listing.id}.ics")
    calendar = parse(response)
    assert list(events_of(calendar)) == ["Lille cluster conference"]
    assert str(calendar["X-WR-CALNAME"]) == "Lille cluster conference"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="cluster-weeks-{listing.id}.ics"'
    )


@pytest.mark.parametrize("which", ["pending", "changes", "rejected"])
def test_unapproved_listing_feed_is_a_404(client, listings, which):
    """Is a listing that is not approved absent from the feeds, and its own file a 404?"""
    listing = listings[which]
    assert client.get(f"/c/cluster-weeks/events/{listing.id}.ics").status_code == 404
    assert listing.title.encode() not in client.get("/c/cluster-weeks/calendar.ics").get_data()


def test_listing_of_another_campaign_or_unknown_is_a_404(client, listings):
    """Is a listing looked up under another campaign's slug, or an unknown id, a 404?"""
    make_campaign(slug="other-campaign", name="Other")
    listing = listings["lille"]
    assert client.get(f"/c/other-campaign/events/{listing.id}.ics").status_code == 404
    assert client.get("/c/cluster-weeks/events/999999.ics").status_code == 404
    assert client.get("/c/cluster-weeks/events/99999999999999999999.ics").status_code == 404
    assert client.get("/c/nowhere/calendar.ics").status_code == 404


def test_listing_on_plenum_links_to_its_event(client, listings):
    """Does the URL of a listing that became a Plenum event point to the event's page?"""
    event = run_on_plenum(listings["lille"])
    calendar = parse(client.get(f"/c/cluster-weeks/events/{listings['lille'].id}.ics"))
    event = events_of(calendar)["Lille cluster conference"]
    assert str(event["URL"]) == "http://plenum.test/e/LILLE26"
    assert str(event["DESCRIPTION"]).endswith("http://plenum.test/e/LILLE26")


def test_feed_categories_follow_the_language(client, listings):
    """Are the format's category and the location's country in the language asked for?"""
    calendar = parse(client.get("/c/cluster-weeks/calendar.ics?lang=fr"))
    event = events_of(calendar)["Lille cluster conference"]
    assert str(event["LOCATION"]) == "Lille, France"
    assert str(event["CATEGORIES"].cats[0]) == "Conférence"


def test_calendar_page_links_the_feeds(client, listings):
    """Does the calendar page offer the feed to subscribe to and a file per card?"""
    html = client.get("/c/cluster-weeks").get_data(as_text=True)
    assert 'href="/c/cluster-weeks/calendar.ics"' in html
    assert 'type="text/calendar"' in html
    assert f'href="/c/cluster-weeks/events/{listings["lille"].id}.ics"' in html
