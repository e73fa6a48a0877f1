"""The public calendar of a campaign: filters read from the address, approved listings only.

Nothing here reads the request: the views hand the query string in as a mapping, and
get back the filters, the messages about the values that made no sense, and the
listings, grouped by month or laid out as a month grid (weeks Monday first).
"""

from __future__ import annotations

import calendar as stdcalendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voting.extensions import db
from voting.models import Campaign, EventFormat, Listing, ListingStatus
from voting.registration.countries import is_country

# The formats in the order the filter offers them, with their names for people.
FORMAT_LABELS = {
    EventFormat.conference: _l("Conference"),
    EventFormat.workshop: _l("Workshop"),
    EventFormat.matchmaking: _l("Matchmaking"),
    EventFormat.online: _l("Online"),
}
VIEWS = ("list", "grid")
# Longest filter value read from the address; a longer one is junk, refused unread.
MAX_VALUE = 200


@dataclass
class CalendarQuery:
    """What the address asks the calendar for, once checked: each filter or None."""

    view: str = "list"
    country: str | None = None
    month: dt.date | None = None  # the first day of the month
    theme: str | None = None
    format: EventFormat | None = None
    # One message per value that made no sense; that filter is then left out.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def filtered(self) -> bool:
        """Say whether any filter narrows the calendar."""
        return any(
            value is not None for value in (self.country, self.month, self.theme, self.format)
        )

    def args(self, **changes) -> dict[str, str]:
        """Return the query string of these filters (with changes), for links that keep them."""
        values = {
            "view": self.view,
            "country": self.country,
            "month": self.month.strftime("%Y-%m") if self.month else None,
            "theme": self.theme,
            "format": self.format.value if self.format else None,
        }
        values.update(changes)
        if values.get("view") == "list":
            values.pop("view")
        return {key: value for key, value in values.items() if value}


def campaign_months(campaign: Campaign) -> list[dt.date]:
    """Return the first day of every month the campaign's period touches, in order."""
    months = []
    month = campaign.starts_on.replace(day=1)
    while month <= campaign.ends_on:
        months.append(month)
        month = next_month(month)
    return months


def next_month(month: dt.date) -> dt.date:
    """Return the first day of the month after `month`."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_end(month: dt.date) -> dt.date:
    """Return the last day of `month`'s month."""
    return next_month(month) - dt.timedelta(days=1)


def read_query(campaign: Campaign, args: Mapping[str, str]) -> CalendarQuery:
    """Check the calendar's filters from a query string; a bad value gets a message, not a 500."""
    query = CalendarQuery()
    errors = query.errors

    def value(name: str) -> str:
        raw = args.get(name) or ""
        return raw.strip() if isinstance(raw, str) and len(raw) <= MAX_VALUE else "\0"

    view = value("view") or "list"
    if view in VIEWS:
        query.view = view
    else:
        errors["view"] = str(_l("Choose the list or the month grid."))

    country = value("country").upper()
    if country:
        if len(country) == 2 and is_country(country):
            query.country = country
        else:
            errors["country"] = str(_l("That is not a country we know. Pick one from the list."))

    month = value("month")
    if month:
        query.month = _read_month(month)
        if query.month is None:
            errors["month"] = str(_l("Give the month as year and month, e.g. 2026-11."))
        elif query.month not in campaign_months(campaign):
            query.month = None
            errors["month"] = str(_l("That month is outside the campaign's period."))

    theme = value("theme")
    if theme:
        if theme in (campaign.themes or []):
            query.theme = theme
        else:
            errors["theme"] = str(_l("The campaign has no such theme. Pick one from the list."))

    kind = value("format")
    if kind:
        try:
            query.format = EventFormat(kind)
        except ValueError:
            errors["format"] = str(_l("Pick a format from the list."))
    return query


def _read_month(text: str) -> dt.date | None:
    """Return the first day of a month given as YYYY-MM, or None."""
    year, dash, month = text.partition("-")
    if not (dash and len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
        return None
    try:
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None


def approved_listings(campaign: Campaign, query: CalendarQuery | None = None) -> list[Listing]:
    """Return the campaign's approved listings that pass the filters, by date then title."""
    statement = select(Listing).where(
        Listing.campaign_id == campaign.id, Listing.status == ListingStatus.approved
    )
    if query is not None:
        if query.country:
            statement = statement.where(Listing.country == query.country)
        if query.format:
            statement = statement.where(Listing.format == query.format)
        if query.month:
            # Every listing that runs during the month, also one that began before it.
            statement = statement.where(
                Listing.starts_on <= month_end(query.month), Listing.ends_on >= query.month
            )
    listings = db.session.scalars(
        statement.order_by(Listing.starts_on, Listing.ends_on, Listing.title, Listing.id)
    ).all()
    if query is not None and query.theme:
        # Themes are a JSON list: filtered here, the same way on SQLite and PostgreSQL.
        listings = [listing for listing in listings if query.theme in (listing.themes or [])]
    return list(listings)


def by_month(listings: list[Listing], month: dt.date | None = None) -> list[tuple[dt.date, list]]:
    """Group listings under the month they start in (all under `month` when one is chosen)."""
    groups: dict[dt.date, list[Listing]] = {}
    for listing in listings:
        key = month or listing.starts_on.replace(day=1)
        groups.setdefault(key, []).append(listing)
    return sorted(groups.items())


@dataclass
class GridDay:
    """One cell of the month grid: its date, whether it belongs to the month, what runs."""

    date: dt.date
    in_month: bool
    # (listing, which day of the listing this is, how many days it runs)
    entries: list[tuple[Listing, int, int]]


def month_grid(month: dt.date, listings: list[Listing]) -> list[list[GridDay]]:
    """Return the month's weeks, Monday first; a listing shows on every day it spans."""
    weeks = stdcalendar.Calendar(firstweekday=stdcalendar.MONDAY).monthdatescalendar(
        month.year, month.month
    )
    grid = []
    for week in weeks:
        row = []
        for day in week:
            in_month = day.month == month.month
            entries = [
                (
                    listing,
                    (day - listing.starts_on).days + 1,
                    (listing.ends_on - listing.starts_on).days + 1,
                )
                for listing in listings
                if in_month and listing.starts_on <= day <= listing.ends_on
            ]
            row.append(GridDay(day, in_month, entries))
        grid.append(row)
    return grid


def grid_month(campaign: Campaign, query: CalendarQuery, today: dt.date) -> dt.date:
    """Return the month the grid shows: the chosen one, else this month within the period."""
    if query.month:
        return query.month
    months = campaign_months(campaign)
    current = today.replace(day=1)
    if current in months:
        return current
    return months[0] if current < months[0] else months[-1]


def countries_on_calendar(campaign: Campaign) -> list[str]:
    """Return the countries of the campaign's approved listings (what the filter offers)."""
    codes = db.session.scalars(
        select(Listing.country)
        .where(Listing.campaign_id == campaign.id, Listing.status == ListingStatus.approved)
        .distinct()
    ).all()
    return sorted(set(codes))
