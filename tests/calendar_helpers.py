"""Factories of the calendar, feed and export tests: a campaign and its listings."""

from __future__ import annotations

import datetime as dt

from voting.campaigns import service
from voting.campaigns.service import CampaignData, ListingData
from voting.events.service import EventData, create_event
from voting.extensions import db
from voting.models import Campaign, Event, Listing, ListingStatus

START = dt.date(2026, 11, 1)
END = dt.date(2027, 4, 30)
THEMES = ["Green transition", "Digital transition", "Skills"]


def make_campaign(slug: str = "cluster-weeks", **fields) -> Campaign:
    """Create a campaign from November to April with three themes."""
    values = {
        "slug": slug,
        "name": "Cluster Weeks",
        "starts_on": START,
        "ends_on": END,
        "description": "Cluster events all over Europe.",
        "contact_name": "Campaign office",
        "contact_email": "office@example.org",
        "themes": THEMES,
    }
    return service.create_campaign(CampaignData(**{**values, **fields}))


# A valid listing: the opening conference in Lille, in the campaign's period.
LISTING = {
    "organisation": "Cluster Nord",
    "contact_name": "Ana Lima",
    "contact_email": "ana@example.org",
    "title": "Cross-border cluster conference",
    "starts_on": dt.date(2026, 11, 17),
    "ends_on": dt.date(2026, 11, 18),
    "city": "Lille",
    "country": "FR",
    "format": "conference",
    "themes": ["Green transition"],
    "expected_participants": 250,
    "website": "https://example.org/conference",
    "description": "Opening of the campaign.",
}


def listing_data(**fields) -> ListingData:
    """Return the valid listing, changed by `fields`."""
    return ListingData(**{**LISTING, **fields})


def run_on_plenum(listing: Listing, code: str = "LILLE26") -> Event:
    """Make a Plenum event on the listing's dates and link the listing to it."""
    event = create_event(
        EventData(
            code=code, name=listing.city, starts_on=listing.starts_on, ends_on=listing.ends_on
        )
    )
    listing.event_id = event.id
    db.session.commit()
    return event


def add_listing(campaign: Campaign, status: str = "approved", **fields) -> Listing:
    """Submit a listing to the campaign and put it in `status` (approved by default)."""
    values = {**LISTING, "title": "Cluster conference", "expected_participants": 120}
    values["description"] = "A day of talks."
    # Stored directly (checked by the service's rules, no mail) and put straight into the
    # state a test needs: submission and review are tested with the service.
    checked = service.check_listing(campaign, ListingData(**{**values, **fields}))
    listing = Listing(
        campaign=campaign,
        status=ListingStatus(status),
        edit_token_hash=service.token_hash(service.new_token()),
        **checked,
    )
    db.session.add(listing)
    db.session.commit()
    return listing
