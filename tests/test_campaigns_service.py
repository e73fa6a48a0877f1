"""Campaign service: campaigns, admins, organisers' listings and their validation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from voting.campaigns import service
from voting.campaigns.service import CampaignData, ListingData
from voting.errors import Conflict, FieldErrors, NotFound
from voting.extensions import db
from voting.models import Campaign, Listing, ListingStatus, Role

START = dt.date(2026, 11, 1)
END = dt.date(2027, 4, 30)
THEMES = ["Green transition", "Digital transition", "Resilience"]


def campaign_data(**fields) -> CampaignData:
    """Return valid campaign fields, changed by `fields`."""
    values = {
        "slug": "eccp-2026",
        "name": "European Cluster Campaign",
        "starts_on": START,
        "ends_on": END,
        "description": "Events across Europe.",
        "contact_name": "Campaign office",
        "contact_email": "office@example.org",
        "themes": THEMES,
    }
    return CampaignData(**{**values, **fields})


def listing_data(**fields) -> ListingData:
    """Return a valid listing, changed by `fields`."""
    values = {
        "organisation": "Cluster Nord",
        "contact_name": "Ana Lima",
        "contact_email": "Ana@Example.org",
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
        "language": "fr",
    }
    return ListingData(**{**values, **fields})


@pytest.fixture
def campaign(app):
    """A campaign from November to April with three themes."""
    return service.create_campaign(campaign_data())


def count(model) -> int:
    """Return how many rows a table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_campaign_keeps_its_fields(campaign):
    """Is a campaign stored with its slug, period and themes?"""
    assert service.find_campaign("ECCP-2026") is campaign
    assert campaign.themes == THEMES
    assert (campaign.starts_on, campaign.ends_on) == (START, END)
    assert campaign.logo == ""


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"slug": "Not a slug!"}, "slug"),
        ({"slug": "x" * 41}, "slug"),
        ({"name": "  "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"ends_on": START - dt.timedelta(days=1)}, "ends_on"),
        ({"starts_on": None}, "starts_on"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"themes": ["t" * 101]}, "themes"),
    ],
)
def test_create_campaign_refuses_bad_fields(app, fields, bad):
    """Is a bad campaign refused at its field, with nothing stored?"""
    with pytest.raises(FieldErrors) as caught:
        service.create_campaign(campaign_data(**fields))
    assert bad in caught.value.fields
    assert count(Campaign) == 0


def test_duplicate_slug_is_refused(campaign):
    """Can two campaigns share an address?"""
    with pytest.raises(FieldErrors) as caught:
        service.create_campaign(campaign_data(name="Other"))
    assert caught.value.code == "slug_taken"
    assert count(Campaign) == 1


def test_who_administers_a_campaign(campaign, make_user):
    """Do global admins and the campaign's own admins administer it, and nobody else?"""
    other = service.create_campaign(campaign_data(slug="other"))
    mine = make_user(Role.campaign_admin)
    theirs = make_user(Role.campaign_admin)
    moderator = make_user(Role.moderator)
    admin = make_user(Role.admin)
    service.add_campaign_admin(campaign, mine)
    service.add_campaign_admin(campaign, mine)  # twice: still once
    service.add_campaign_admin(other, theirs)
    assert service.can_administer(mine, campaign)
    assert not service.can_administer(mine, other)
    assert not service.can_administer(theirs, campaign)
    assert not service.can_administer(moderator, campaign)
    assert not service.can_administer(None, campaign)
    assert service.can_administer(admin, campaign)
    assert service.can_administer(admin, other)
    assert service.administered_campaigns(mine) == [campaign]
    assert [u.email for u in campaign.admins] == [mine.email]


def test_a_linked_moderator_does_not_administer(campaign, make_user):
    """Does the campaign_admin role matter, not just the link?"""
    moderator = make_user(Role.moderator)
    service.add_campaign_admin(campaign, moderator)
    assert not service.can_administer(moderator, campaign)


def test_submit_listing_waits_for_review_and_opens_by_token(campaign):
    """Is a submission pending, and does only its token open it?"""
    listing, token = service.submit_listing(campaign, listing_data())
    assert listing.status == ListingStatus.pending
    assert listing.contact_email == "ana@example.org"
    assert listing.edit_token_hash != token
    assert len(token) >= 40
    assert service.listing_for_token(campaign, token) is listing
    for wrong in ("", "x", token[:-1] + ("A" if token[-1] != "A" else "B"), "t" * 500):
        with pytest.raises(NotFound):
            service.listing_for_token(campaign, wrong)
    other = service.create_campaign(campaign_data(slug="other"))
    with pytest.raises(NotFound):
        service.listing_for_token(other, token)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"starts_on": dt.date(2026, 10, 31)}, "starts_on"),
        ({"ends_on": dt.date(2027, 5, 1)}, "ends_on"),
        ({"starts_on": dt.date(2026, 11, 18), "ends_on": dt.date(2026, 11, 17)}, "ends_on"),
        ({"starts_on": None}, "starts_on"),
        ({"country": "XX"}, "country"),
        ({"country": "EU"}, "country"),
        ({"format": "party"}, "format"),
        ({"themes": ["Space travel"]}, "themes"),
        ({"title": "t" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"organisation": "o" * 201}, "organisation"),
        ({"city": "c" * 101}, "city"),
        ({"description": "d" * 5001}, "description"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"expected_participants": 0}, "expected_participants"),
        ({"expected_participants": -5}, "expected_participants"),
        ({"expected_participants": 10**9}, "expected_participants"),
        ({"expected_participants": None}, "expected_participants"),
        ({"expected_participants": True}, "expected_participants"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "ftp://example.org"}, "website"),
        ({"website": "https://"}, "website"),
        ({"website": "https://exa mple.org"}, "website"),
    ],
)
def test_submit_listing_refuses_bad_input_at_its_field(campaign, fields, bad):
    """Is bad input refused at the field it concerns, with nothing stored?"""
    with pytest.raises(FieldErrors) as caught:
        service.submit_listing(campaign, listing_data(**fields))
    assert bad in caught.value.fields
    assert caught.value.status == 400
    assert count(Listing) == 0


def test_several_bad_fields_are_all_named(campaign):
    """Does one refusal name every bad field at once?"""
    with pytest.raises(FieldErrors) as caught:
        service.submit_listing(campaign, listing_data(country="XX", website="nope", title=""))
    assert set(caught.value.fields) == {"country", "website", "title"}


def test_empty_website_and_unknown_language_are_accepted(campaign):
    """Is a listing without website kept, and an unknown language replaced by English?"""
    listing, _token = service.submit_listing(campaign, listing_data(website="", language="xx"))
    assert listing.website == ""
    assert listing.language == "en"
    assert listing.public_url == ""


def test_update_listing_while_editable_returns_to_pending(campaign):
    """Can an organiser edit a listing asked to change, which then waits for review again?"""
    listing, _token = service.submit_listing(campaign, listing_data())
    listing.status = ListingStatus.changes_requested
    db.session.commit()
    service.update_listing(listing, listing_data(city="Roubaix"))
    assert (listing.city, listing.status) == ("Roubaix", ListingStatus.pending)


def test_update_listing_refuses_bad_input_and_changes_nothing(campaign):
    """Does a bad edit leave the stored listing as it was?"""
    listing, _token = service.submit_listing(campaign, listing_data())
    with pytest.raises(FieldErrors):
        service.update_listing(listing, listing_data(city="Roubaix", country="XX"))
    db.session.expire_all()
    assert (listing.city, listing.country) == ("Lille", "FR")


@pytest.mark.parametrize("status", [ListingStatus.approved, ListingStatus.rejected])
def test_settled_listing_cannot_be_edited(campaign, status):
    """Can an approved or rejected listing still be changed by its organiser?"""
    listing, _token = service.submit_listing(campaign, listing_data())
    listing.status = status
    db.session.commit()
    with pytest.raises(Conflict):
        service.update_listing(listing, listing_data(city="Roubaix"))
    db.session.expire_all()
    assert listing.city == "Lille"
    assert listing.status == status
