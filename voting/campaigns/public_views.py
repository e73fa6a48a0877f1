"""The campaign's public calendar (list and month grid), its iCalendar feeds and the CSV exports.

The calendar shows approved listings only. Its filters travel in the address (a GET
form that works without JavaScript), so a filtered view can be shared; a value that
makes no sense is named above the results (HTTP 400) and left out of the filter.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from babel.dates import format_interval, get_day_names
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from voting.campaigns import calendar, exporting, ical
from voting.campaigns.service import can_administer, find_campaign
from voting.errors import NotFound
from voting.extensions import db
from voting.models import Campaign, Listing, ListingStatus
from voting.registration.countries import country_name
from voting.web import log_refusal, public_url

bp = Blueprint("calendar", __name__)


def campaign_or_404(slug: str) -> Campaign:
    """Return the campaign of a URL's slug or answer 404."""
    try:
        return find_campaign(slug)
    except NotFound as error:
        abort(404, description=error.message)


def _locale() -> str:
    """Return the page's language code."""
    return str(get_locale() or "en")


@bp.app_template_filter("listing_dates")
def listing_dates(listing: Listing) -> str:
    """Return a listing's dates in the page's language ("26–28 nov. 2026")."""
    if listing.starts_on == listing.ends_on:
        return format_date(listing.starts_on, "medium")
    return format_interval(listing.starts_on, listing.ends_on, "yMMMd", locale=_locale())


@bp.app_template_filter("country_name")
def country_label(code: str) -> str:
    """Return a country's name in the page's language."""
    return country_name(code, _locale())


@bp.get("/c/<slug>")
def show(slug: str):
    """Show the campaign's approved events as a list by month or as a month grid."""
    campaign = campaign_or_404(slug)
    query = calendar.read_query(campaign, request.args)
    months = calendar.campaign_months(campaign)
    today = dt.date.today()
    context: dict = {"campaign": campaign, "query": query, "months": months, "today": today}
    if query.view == "grid":
        # The grid shows one month: the chosen one, else this month within the period.
        query.month = calendar.grid_month(campaign, query, today)
    listings = calendar.approved_listings(campaign, query)
    if query.view == "grid":
        index = months.index(query.month)
        context.update(
            grid=calendar.month_grid(query.month, listings),
            weekdays=_weekdays(),
            previous_month=months[index - 1] if index > 0 else None,
            next_month=months[index + 1] if index + 1 < len(months) else None,
        )
    context.update(
        listings=listings,
        groups=calendar.by_month(listings, query.month),
        countries=_country_choices(campaign, query),
        formats=calendar.FORMAT_LABELS,
        period=_period(campaign),
        links=CalendarLinks(campaign, query),
    )
    status = 400 if query.errors else 200
    return render_template("campaigns/calendar.html", **context), status


class CalendarLinks:
    """The calendar page's addresses, each keeping the filters that apply to it."""

    def __init__(self, campaign: Campaign, query: calendar.CalendarQuery) -> None:
        self.campaign = campaign
        self.query = query
        slug = campaign.slug
        # In the grid the month is where the grid stands, not a filter the visitor chose.
        chosen_month = query.args().get("month") if query.view == "list" else None
        narrowing = query.args(view=None, month=chosen_month)
        self.feed = url_for("calendar.feed", slug=slug, **narrowing)
        self.list = url_for("calendar.show", slug=slug, **narrowing)
        self.grid = url_for("calendar.show", slug=slug, **query.args(view="grid"))
        kept = {"view": "grid", "month": query.args()["month"]} if query.view == "grid" else {}
        self.clear = (
            url_for("calendar.show", slug=slug, **kept)
            if query.country or query.theme or query.format or chosen_month
            else None
        )
        self.submit = url_for("campaigns.submit", slug=slug)
        self.logo = url_for("campaigns.logo", slug=slug) if campaign.logo else None

    def month(self, month: dt.date) -> str:
        """Return the grid of another month, with the same filters."""
        args = self.query.args(view="grid", month=month.strftime("%Y-%m"))
        return url_for("calendar.show", slug=self.campaign.slug, **args)

    def card(self, listing: Listing) -> str:
        """Return the listing's card in the list of its month (from the grid)."""
        month = max(listing.starts_on, self.query.month or listing.starts_on).strftime("%Y-%m")
        args = self.query.args(view="list", month=month)
        return url_for("calendar.show", slug=self.campaign.slug, **args) + f"#listing-{listing.id}"

    def listing_feed(self, listing: Listing) -> str:
        """Return the iCalendar file of one listing."""
        return url_for("calendar.listing_feed", slug=self.campaign.slug, listing_id=listing.id)


def _period(campaign: Campaign) -> str:
    """Return the campaign's period in the page's language."""
    return format_interval(campaign.starts_on, campaign.ends_on, "yMMMd", locale=_locale())


def _weekdays() -> list[tuple[str, str]]:
    """Return (short, full) names of the days of the week, Monday first, in the page's language."""
    short = get_day_names("abbreviated", locale=_locale())
    full = get_day_names("wide", locale=_locale())
    return [(short[day], full[day]) for day in range(7)]


def _country_choices(campaign: Campaign, query: calendar.CalendarQuery) -> list[tuple[str, str]]:
    """Return (code, name) of the countries to filter by, sorted by name in the page's language."""
    codes = set(calendar.countries_on_calendar(campaign))
    if query.country:
        codes.add(query.country)  # a shared link may name a country with no event (yet)
    return sorted(((code, country_label(code)) for code in codes), key=lambda pair: pair[1])


@bp.get("/c/<slug>/calendar.ics")
def feed(slug: str):
    """Answer the iCalendar feed of the campaign's approved events (the calendar's filters apply)."""
    campaign = campaign_or_404(slug)
    query = calendar.read_query(campaign, request.args)
    if query.errors:
        abort(400, description=" ".join(query.errors.values()))
    body = ical.feed(
        campaign,
        calendar.approved_listings(campaign, query),
        host=_host(campaign),
        link=_link,
        locale=_locale(),
    )
    return _ics(body, f"{campaign.slug}.ics")


@bp.get("/c/<slug>/events/<int:listing_id>.ics")
def listing_feed(slug: str, listing_id: int):
    """Answer one approved event as an iCalendar file, to add it to a calendar."""
    campaign = campaign_or_404(slug)
    listing = db.session.get(Listing, listing_id)
    if (
        listing is None
        or listing.campaign_id != campaign.id
        or listing.status != ListingStatus.approved
    ):
        abort(404, description=_("This event is not on the campaign's calendar."))
    body = ical.feed(
        campaign,
        [listing],
        host=_host(campaign),
        link=_link,
        name=listing.title,
        locale=_locale(),
    )
    return _ics(body, f"{campaign.slug}-{listing.id}.ics")


def _host(campaign: Campaign) -> str:
    """Return the host name the UIDs carry: the public address's, else this request's."""
    return urlsplit(public_url("calendar.show", slug=campaign.slug)).hostname or "plenum"


def _link(listing: Listing) -> str:
    """Return the absolute address of a listing: its Plenum event, its website, or its card."""
    if listing.event is not None:
        return public_url("events.live", code=listing.event.code)
    if listing.website:
        return listing.website
    month = listing.starts_on.strftime("%Y-%m")
    anchor = f"#listing-{listing.id}"
    return public_url("calendar.show", slug=listing.campaign.slug, month=month) + anchor


def _ics(body: bytes, filename: str) -> Response:
    """Return an iCalendar answer that calendars can subscribe to or open."""
    response = Response(body, content_type=ical.CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- exports for the campaign's admins ------------------------------------------------


def _administered_or_403(slug: str) -> Campaign:
    """Return the campaign if the signed-in account administers it, else answer 403."""
    campaign = campaign_or_404(slug)
    if not can_administer(current_user, campaign):
        log_refusal(request.endpoint, None, current_user)
        abort(403, description=_("Only this campaign's admins may do that."))
    return campaign


@bp.get("/manage/campaigns/<slug>/listings.csv")
@login_required
def listings_csv(slug: str):
    """Download every submission of the campaign, whatever its status, as CSV."""
    campaign = _administered_or_403(slug)
    return _download(exporting.listings_csv(campaign), f"{campaign.slug}-listings.csv")


@bp.get("/manage/campaigns/<slug>/summary.csv")
@login_required
def summary_csv(slug: str):
    """Download the approved events counted per country, month and format, as CSV."""
    campaign = _administered_or_403(slug)
    return _download(exporting.summary_csv(campaign), f"{campaign.slug}-summary.csv")


def _download(body: bytes, filename: str) -> Response:
    """Return a CSV file download."""
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
