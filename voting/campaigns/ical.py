"""iCalendar (RFC 5545) feeds of a campaign's calendar, written with the `icalendar` package.

Listings are whole days, so each one is an all-day VEVENT: DTSTART and DTEND are dates
(VALUE=DATE) and DTEND is exclusive, the day after the last one. The UID names the
listing, the campaign and the host, so a calendar that subscribed to the feed updates
the event rather than adding it twice when the listing is edited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from voting.campaigns.calendar import FORMAT_LABELS
from voting.models import Campaign, Listing
from voting.registration.countries import country_name

if TYPE_CHECKING:
    import icalendar

PRODID = "-//Plenum//Campaign calendar//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def listing_uid(listing: Listing, campaign: Campaign, host: str) -> str:
    """Return the listing's UID: the same in every feed and every download."""
    return f"listing-{listing.id}.{campaign.slug}@{host}"


def _utc(value: dt.datetime) -> dt.datetime:
    """Return a stored time as an aware UTC time (SQLite hands it back without its zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0)


def listing_event(
    listing: Listing, campaign: Campaign, *, host: str, url: str, locale: str = "en"
) -> icalendar.Event:
    """Return one approved listing as an all-day VEVENT."""
    import icalendar  # here, not at the top: 8 MB in every server process (RSS)

    event = icalendar.Event()
    event.add("uid", listing_uid(listing, campaign, host))
    # The listing's last change (an edit or a review), not the time of the download:
    # the same listing gives the same bytes, and calendars see when it really changed.
    changed = max(_utc(time) for time in (listing.updated_at, listing.reviewed_at) if time)
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("dtstart", listing.starts_on)
    event.add("dtend", listing.ends_on + dt.timedelta(days=1))
    event.add("summary", listing.title)
    event.add("location", f"{listing.city}, {country_name(listing.country, locale)}")
    event.add("description", _description(listing, url))
    if url:
        event.add("url", url)
    event.add("categories", [str(FORMAT_LABELS[listing.format]), *(listing.themes or [])])
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # an all-day listing does not make anyone busy
    return event


def _description(listing: Listing, url: str) -> str:
    """Return the event's text: who organises it, what it is, where to find out more."""
    parts = [listing.organisation, listing.description.strip(), url]
    return "\n\n".join(part for part in parts if part)


def feed(
    campaign: Campaign,
    listings: Iterable[Listing],
    *,
    host: str,
    link: Callable[[Listing], str],
    name: str | None = None,
    locale: str = "en",
) -> bytes:
    """Return a VCALENDAR of listings, named after the campaign (or `name`)."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # X- properties are stored as they are given: vText escapes commas, semicolons and
    # line breaks as in any other text value.
    calendar.add("x-wr-calname", icalendar.vText(name or campaign.name))
    if campaign.description:
        calendar.add("x-wr-caldesc", icalendar.vText(campaign.description))
    for listing in listings:
        calendar.add_component(
            listing_event(listing, campaign, host=host, url=link(listing), locale=locale)
        )
    return calendar.to_ical()
