"""CSV exports of a campaign for its reporting: every submission, and the summary figures.

The CSV itself (UTF-8 with a BOM, every cell guarded against formulas) is written by
voting.registration.exporting.csv_bytes, like the registrations and the event report.
Headings and labels are in the request's language; codes and dates stay as they are, so
that a spreadsheet can sort and count them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from voting.campaigns.calendar import FORMAT_LABELS
from voting.extensions import db
from voting.models import Campaign, Listing, ListingStatus, Registration, RegistrationStatus
from voting.registration.countries import country_name
from voting.registration.exporting import _time, csv_bytes

# Registrations that do not hold (or ask for) a place are not participants.
NOT_REGISTERED = (RegistrationStatus.cancelled, RegistrationStatus.rejected)


def registered_counts(listings: Iterable[Listing]) -> dict[int, int]:
    """Return event id -> registrations not cancelled or rejected, for the listings' events."""
    event_ids = {listing.event_id for listing in listings if listing.event_id is not None}
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, func.count(Registration.id))
        .where(Registration.event_id.in_(event_ids), Registration.status.not_in(NOT_REGISTERED))
        .group_by(Registration.event_id)
    ).all()
    return dict(rows)


def _registered(listing: Listing, counts: dict[int, int]) -> int | str:
    """Return a listing's registered participants, or "" when it has no Plenum event."""
    if listing.event_id is None:
        return ""
    return counts.get(listing.event_id, 0)


def status_label(status: ListingStatus) -> str:
    """Return a listing status for people, in the request's language."""
    return {
        ListingStatus.pending: _("Waiting for review"),
        ListingStatus.changes_requested: _("Changes requested"),
        ListingStatus.approved: _("Approved"),
        ListingStatus.rejected: _("Rejected"),
    }[ListingStatus(status)]


def listings_rows(campaign: Campaign) -> list[list]:
    """Return a heading row and one row per submission of every status, oldest first."""
    listings = sorted(campaign.listings, key=lambda listing: (listing.submitted_at, listing.id))
    counts = registered_counts(listings)
    rows: list[list] = [
        [
            _("ID"),
            _("Status"),
            _("Title"),
            _("Organisation"),
            _("Contact name"),
            _("Contact email"),
            _("Starts on"),
            _("Ends on"),
            _("City"),
            _("Country"),
            _("Country name"),
            _("Format"),
            _("Themes"),
            _("Expected participants"),
            _("Registered participants"),
            _("Website"),
            _("Description"),
            _("Plenum event"),
            _("Review note"),
            _("Reviewed by"),
            _("Reviewed at"),
            _("Submitted at"),
            _("Updated at"),
        ]
    ]
    for listing in listings:
        rows.append(
            [
                listing.id,
                status_label(listing.status),
                listing.title,
                listing.organisation,
                listing.contact_name,
                listing.contact_email,
                listing.starts_on.isoformat(),
                listing.ends_on.isoformat(),
                listing.city,
                listing.country,
                country_name(listing.country, _locale()),
                str(FORMAT_LABELS[listing.format]),
                "; ".join(listing.themes or []),
                listing.expected_participants,
                _registered(listing, counts),
                listing.website,
                listing.description,
                listing.event.code if listing.event is not None else "",
                listing.review_note,
                listing.reviewed_by.email if listing.reviewed_by is not None else "",
                _time(listing.reviewed_at),
                _time(listing.submitted_at),
                _time(listing.updated_at),
            ]
        )
    return rows


def summary_rows(campaign: Campaign) -> list[list]:
    """Return approved listings counted per country, month and format, with participants."""
    listings = [
        listing for listing in campaign.listings if listing.status == ListingStatus.approved
    ]
    listings.sort(key=lambda listing: (listing.starts_on, listing.id))
    counts = registered_counts(listings)
    rows: list[list] = [
        [
            _("Breakdown"),
            _("Category"),
            _("Events"),
            _("Expected participants"),
            _("Registered participants"),
        ]
    ]

    def add(section: str, groups: dict[str, list[Listing]]) -> None:
        for item, members in groups.items():
            expected = sum(listing.expected_participants or 0 for listing in members)
            registered = sum(counts.get(listing.event_id, 0) for listing in members)
            rows.append([section, item, len(members), expected, registered])

    add(_("All approved events"), {campaign.name: listings})
    by_country = _group(listings, lambda listing: country_name(listing.country, _locale()))
    add(_("Country"), dict(sorted(by_country.items())))
    add(_("Month"), _group(listings, lambda listing: _month(listing.starts_on)))
    by_format = _group(listings, lambda listing: listing.format)
    add(
        _("Format"),
        {str(FORMAT_LABELS[kind]): by_format[kind] for kind in FORMAT_LABELS if kind in by_format},
    )
    return rows


def _group(listings: list[Listing], key) -> dict[str, list[Listing]]:
    """Group listings by a label, keeping the order in which labels first appear."""
    groups: dict[str, list[Listing]] = defaultdict(list)
    for listing in listings:
        groups[key(listing)].append(listing)
    return dict(groups)


def _locale() -> str:
    """Return the request's language code (country names follow it)."""
    return str(get_locale() or "en")


def _month(day: dt.date) -> str:
    """Return a month as YYYY-MM (sortable) followed by its name in the request's language."""
    return f"{day:%Y-%m} {format_date(day, 'LLLL y')}"


def listings_csv(campaign: Campaign) -> bytes:
    """Return every submission of the campaign as CSV."""
    return csv_bytes(listings_rows(campaign))


def summary_csv(campaign: Campaign) -> bytes:
    """Return the campaign's summary figures as CSV."""
    return csv_bytes(summary_rows(campaign))
