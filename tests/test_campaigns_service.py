"""Campaign service: campaigns, admins, organisers' listings and their validation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests import calendar_helpers
from tests.conftest import mail_text
from voting.accounts import service as accounts
from voting.campaigns import service
from voting.campaigns.service import CampaignData, ListingData
from voting.errors import Conflict, FieldErrors, Forbidden, NotFound
from voting.extensions import db
from voting.models import Campaign, CampaignAdmin, Event, Listing, ListingStatus, Role, User

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
    """Return a valid listing by a French organiser (an address to normalise), changed by `fields`."""
    return calendar_helpers.listing_data(
        **{"contact_email": "Ana@Example.org", "language": "fr", **fields}
    )


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


def test_only_campaign_admin_accounts_can_be_linked(campaign, make_user):
    """Can a moderator be made a campaign admin, and would a stray link give it power?"""
    moderator = make_user(Role.moderator)
    with pytest.raises(FieldErrors):
        service.add_campaign_admin(campaign, moderator)
    assert count(CampaignAdmin) == 0
    db.session.add(CampaignAdmin(campaign_id=campaign.id, user_id=moderator.id))
    db.session.commit()
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


# --- review, mails, events made from listings -----------------------------------------


@pytest.fixture
def reviewer(campaign, make_user):
    """A campaign admin of the campaign."""
    user = make_user(Role.campaign_admin)
    service.add_campaign_admin(campaign, user)
    return user


def link_in(message) -> str:
    """Return the path of the organiser's private link in a mail."""
    match = re.search(r"https?://[^/\s]+(/c/[\w-]+/listing/[\w-]+)", mail_text(message))
    assert match, mail_text(message)
    return match.group(1)


def test_submission_mails_the_private_link_in_the_organisers_language(campaign, smtp):
    """Does the organiser get a French mail whose link opens their listing?"""
    listing, token = service.submit_listing(campaign, listing_data(language="fr"))
    [message] = smtp.to("ana@example.org")
    assert "Cross-border cluster conference" in message["Subject"]
    assert "nous avons reçu" in message["Subject"]
    assert "Votre lien privé" in mail_text(message)
    assert link_in(message) == f"/c/{campaign.slug}/listing/{token}"


def test_request_changes_mails_the_note_and_a_new_link(campaign, reviewer, smtp):
    """Is the organiser asked for changes with the note and a link that works (the old one not)?"""
    listing, old = service.submit_listing(campaign, listing_data(language="en"))
    service.request_changes(listing, reviewer, "  Please add the venue.  ")
    assert listing.status == ListingStatus.changes_requested
    assert listing.review_note == "Please add the venue."
    assert listing.reviewed_by_id == reviewer.id
    assert listing.reviewed_at is not None
    message = smtp.to("ana@example.org")[-1]
    assert "Please add the venue." in mail_text(message)
    new = link_in(message).rsplit("/", 1)[1]
    assert service.listing_for_token(campaign, new) is listing
    with pytest.raises(NotFound):
        service.listing_for_token(campaign, old)
    service.update_listing(listing, listing_data(city="Roubaix"))
    assert listing.status == ListingStatus.pending


def test_approve_and_reject_mail_the_organiser(campaign, reviewer, smtp):
    """Are approval and rejection (with its reason) mailed?"""
    first, _token = service.submit_listing(campaign, listing_data(language="en"))
    second, _token = service.submit_listing(
        campaign, listing_data(contact_email="bo@example.org", language="de")
    )
    service.approve(first, reviewer)
    service.reject(second, reviewer, "Outside the campaign's scope.")
    assert first.status == ListingStatus.approved
    assert second.status == ListingStatus.rejected
    approved = smtp.to("ana@example.org")[-1]
    assert "approved" in approved["Subject"]
    assert "Create the Plenum event" in mail_text(approved)
    rejected = smtp.to("bo@example.org")[-1]
    assert "Outside the campaign's scope." in mail_text(rejected)
    assert "wurde nicht angenommen" in rejected["Subject"]
    assert service.listings_of(campaign, ListingStatus.approved) == [first]


@pytest.mark.parametrize("act", ["request_changes", "reject"])
def test_note_and_reason_are_required(campaign, reviewer, act):
    """Can changes be asked or a listing rejected without saying why?"""
    listing, _token = service.submit_listing(campaign, listing_data())
    with pytest.raises(FieldErrors):
        getattr(service, act)(listing, reviewer, "   ")
    db.session.expire_all()
    assert listing.status == ListingStatus.pending


def test_only_the_campaigns_admins_review(campaign, make_user):
    """Are reviews refused to a moderator and to another campaign's admin?"""
    other = service.create_campaign(campaign_data(slug="other"))
    stranger = make_user(Role.campaign_admin)
    service.add_campaign_admin(other, stranger)
    listing, _token = service.submit_listing(campaign, listing_data())
    for user in (stranger, make_user(Role.moderator), make_user(Role.checkin)):
        with pytest.raises(Forbidden):
            service.approve(listing, user)
        with pytest.raises(Forbidden):
            service.reject(listing, user, "No.")
    db.session.expire_all()
    assert listing.status == ListingStatus.pending
    assert listing.reviewed_by_id is None
    service.approve(listing, make_user(Role.admin))  # a global admin reviews every campaign
    assert listing.status == ListingStatus.approved


def test_the_organiser_turns_an_approved_listing_into_an_event(campaign, reviewer, smtp):
    """Does the organiser's one action make an event they administer, and a way to sign in?"""
    listing, token = service.submit_listing(campaign, listing_data(language="en"))
    with pytest.raises(Conflict):
        service.create_event_from_listing(listing, token=token)  # not approved yet
    service.approve(listing, reviewer)
    token = link_in(smtp.to("ana@example.org")[-1]).rsplit("/", 1)[1]
    event = service.create_event_from_listing(listing, token=token)
    assert listing.event_id == event.id
    assert event.name == "Cross-border cluster conference"
    assert (event.starts_on, event.ends_on) == (dt.date(2026, 11, 17), dt.date(2026, 11, 18))
    assert [day.date for day in event.days] == [dt.date(2026, 11, 17), dt.date(2026, 11, 18)]
    assert event.venue == "Lille, France"
    assert listing.public_url.endswith(f"/e/{event.code}")
    organiser = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert organiser.role == Role.moderator
    assert accounts.can_manage_registrations(organiser, event)
    assert accounts.can_run_polls(organiser, event)
    assert accounts.can_handle_attendees(organiser, event)
    assert not service.can_administer(organiser, campaign)
    # The new account has no password anyone knows: the mail carries a link to set one.
    assert accounts.authenticate("ana@example.org", "") is None
    message = smtp.to("ana@example.org")[-1]
    assert event.code in mail_text(message)
    match = re.search(r"/password/([\w.-]+)", mail_text(message))
    assert match
    assert accounts.user_for_password_link(match.group(1), "test-secret") == organiser
    with pytest.raises(Conflict):
        service.create_event_from_listing(listing, token=token)  # once only
    assert count(Event) == 1


def test_an_organisers_event_gives_no_power_elsewhere(campaign, reviewer, make_event):
    """Does the organiser's event admin right stop at their event?"""
    elsewhere = make_event("ELSEWHERE")
    listing, _token = service.submit_listing(campaign, listing_data())
    service.approve(listing, reviewer)
    event = service.create_event_from_listing(listing, by=reviewer)
    organiser = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert accounts.is_event_admin(organiser, event)
    for right in (
        accounts.is_event_staff,
        accounts.can_run_polls,
        accounts.can_handle_attendees,
        accounts.can_manage_registrations,
    ):
        assert not right(organiser, elsewhere)
    assert not organiser.is_admin
    # The campaign admin who made it is not its staff.
    assert not accounts.is_event_staff(reviewer, event)


def test_an_existing_account_is_reused_for_the_organiser(campaign, reviewer, make_user, smtp):
    """Is the organiser's existing account given the event, with no password link mailed?"""
    existing = make_user(Role.checkin, email="ana@example.org")
    listing, _token = service.submit_listing(campaign, listing_data())
    service.approve(listing, reviewer)
    event = service.create_event_from_listing(listing, by=reviewer)
    assert accounts.can_manage_registrations(existing, event)
    assert count(User) == 2
    assert "/password/" not in mail_text(smtp.to("ana@example.org")[-1])


def test_creating_the_event_is_refused_to_others(campaign, reviewer, make_user):
    """Can a wrong token, a moderator or another campaign's admin make the event?"""
    listing, token = service.submit_listing(campaign, listing_data())
    service.approve(listing, reviewer)
    other = service.create_campaign(campaign_data(slug="other"))
    stranger = make_user(Role.campaign_admin)
    service.add_campaign_admin(other, stranger)
    for kwargs in (
        {"token": token},  # replaced by the approval mail's link
        {"token": "wrong"},
        {"by": stranger},
        {"by": make_user(Role.moderator)},
        {},
    ):
        with pytest.raises(Forbidden):
            service.create_event_from_listing(listing, **kwargs)
    assert count(Event) == 0
    assert listing.event_id is None


def test_review_cannot_change_a_listing_that_became_an_event(campaign, reviewer):
    """Once a listing is an event, is its review settled?"""
    listing, _token = service.submit_listing(campaign, listing_data())
    service.approve(listing, reviewer)
    service.create_event_from_listing(listing, by=reviewer)
    with pytest.raises(Conflict):
        service.reject(listing, reviewer, "Too late.")
    assert listing.status == ListingStatus.approved


def test_password_link_works_once_and_expires(app, make_user):
    """Is a set-password link refused when tampered with, expired or used?"""
    user = make_user(Role.moderator)
    token = accounts.password_link_token(user, "test-secret")
    assert accounts.user_for_password_link(token, "test-secret") == user
    for bad in (token + "x", "nonsense", ""):
        with pytest.raises(NotFound):
            accounts.user_for_password_link(bad, "test-secret")
    with pytest.raises(NotFound):
        accounts.user_for_password_link(token, "other-secret")
    with pytest.raises(NotFound):
        accounts.user_for_password_link(token, "test-secret", max_age=-1)
    accounts.set_password(user, "a new long password")
    with pytest.raises(NotFound):
        accounts.user_for_password_link(token, "test-secret")


def test_campaign_logo_is_checked_and_stored(app, tmp_path):
    """Is a PNG logo kept, and an SVG or oversized file refused with nothing stored?"""
    folder = tmp_path / "logos"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    for bad in (b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"", b"\xff\xd8\xff" + b"0" * 2**20):
        with pytest.raises(FieldErrors) as caught:
            service.create_campaign(campaign_data(), bad, folder)
        assert "logo" in caught.value.fields
    assert count(Campaign) == 0
    campaign = service.create_campaign(campaign_data(), png, folder)
    assert campaign.logo.endswith(".png")
    assert (folder / campaign.logo).read_bytes() == png


# --- editing a campaign ----------------------------------------------------------------------


def stored(campaign) -> dict:
    """Return a campaign's stored fields, read afresh."""
    db.session.expire_all()
    names = ("slug", "name", "description", "contact_name", "contact_email", "themes")
    return {name: getattr(campaign, name) for name in (*names, "starts_on", "ends_on")}


def test_update_campaign_keeps_the_slug_and_saves_the_rest(campaign, reviewer, make_user):
    """Do the campaign's admin and a global admin edit its fields, the slug staying?"""
    service.update_campaign(
        campaign,
        campaign_data(
            slug="elsewhere",
            name="  ECCP 2026/27 ",
            ends_on=END + dt.timedelta(days=31),
            contact_email="Team@Example.org",
            themes=[*THEMES, "Skills", " Skills ", ""],
        ),
        reviewer,
    )
    row = stored(campaign)
    assert row["slug"] == "eccp-2026"
    assert row["name"] == "ECCP 2026/27"
    assert row["ends_on"] == END + dt.timedelta(days=31)
    assert row["contact_email"] == "team@example.org"
    assert row["themes"] == [*THEMES, "Skills"]
    service.update_campaign(campaign, campaign_data(name="By the admin"), make_user(Role.admin))
    assert stored(campaign)["name"] == "By the admin"


def test_update_campaign_is_refused_to_others(campaign, make_user):
    """Can another campaign's admin or a moderator edit the campaign?"""
    other = service.create_campaign(campaign_data(slug="other"))
    theirs = make_user(Role.campaign_admin)
    service.add_campaign_admin(other, theirs)
    before = stored(campaign)
    for user in (theirs, make_user(Role.moderator), None):
        with pytest.raises(Forbidden):
            service.update_campaign(campaign, campaign_data(name="Taken over"), user)
    assert stored(campaign) == before


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"ends_on": START - dt.timedelta(days=1)}, "ends_on"),
        ({"starts_on": None}, "starts_on"),
        ({"name": ""}, "name"),
        ({"description": "d" * 5001}, "description"),
        ({"contact_name": "c" * 201}, "contact_name"),
        ({"contact_email": "nobody@"}, "contact_email"),
        ({"themes": ["t" * 101]}, "themes"),
    ],
)
def test_update_campaign_refuses_bad_fields_and_changes_nothing(campaign, reviewer, fields, bad):
    """Is a bad edit refused at its field by the create form's rules, nothing changed?"""
    before = stored(campaign)
    with pytest.raises(FieldErrors) as caught:
        service.update_campaign(campaign, campaign_data(**{"name": "New name", **fields}), reviewer)
    assert bad in caught.value.fields
    assert stored(campaign) == before


def test_a_new_period_must_hold_pending_and_approved_listings(campaign, reviewer):
    """Is a period that leaves pending or approved listings out refused, naming how many and which?"""
    early, _token = service.submit_listing(campaign, listing_data(title="Opening"))  # 17-18 Nov
    late, _token = service.submit_listing(
        campaign,
        listing_data(title="Closing", starts_on=dt.date(2027, 4, 20), ends_on=dt.date(2027, 4, 29)),
    )
    service.approve(late, reviewer)
    gone, _token = service.submit_listing(
        campaign,
        listing_data(title="Dropped", starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 2)),
    )
    service.reject(gone, reviewer, "Out of scope.")  # a rejected listing does not hold the period
    before = stored(campaign)
    narrow = campaign_data(starts_on=dt.date(2026, 11, 18), ends_on=dt.date(2027, 4, 28))
    with pytest.raises(FieldErrors) as caught:
        service.update_campaign(campaign, narrow, reviewer)
    assert caught.value.fields["starts_on"] == (
        "1 pending or approved listing would fall outside this period: Opening."
    )
    assert caught.value.fields["ends_on"] == (
        "1 pending or approved listing would fall outside this period: Closing."
    )
    assert stored(campaign) == before
    # Both ends still hold them: saved, though the rejected listing falls outside.
    fits = campaign_data(starts_on=dt.date(2026, 11, 17), ends_on=dt.date(2027, 4, 29))
    service.update_campaign(campaign, fits, reviewer)
    assert stored(campaign)["starts_on"] == dt.date(2026, 11, 17)
    assert early.status == ListingStatus.pending


def test_a_refusal_names_a_few_listings_and_counts_all(campaign, reviewer):
    """Does a period refusal with many listings count them all and name the first few?"""
    for number in range(7):
        service.submit_listing(campaign, listing_data(title=f"Event {number}"))
    with pytest.raises(FieldErrors) as caught:
        service.update_campaign(campaign, campaign_data(starts_on=dt.date(2026, 12, 1)), reviewer)
    message = caught.value.fields["starts_on"]
    assert message.startswith("7 pending or approved listings would fall outside")
    assert "Event 4" in message
    assert "Event 5" not in message
    assert message.endswith(", ….")


def test_a_theme_in_use_cannot_be_removed(campaign, reviewer):
    """Is removing a theme a listing uses refused at the themes, naming it and the listing?"""
    listing, _token = service.submit_listing(
        campaign, listing_data(title="Opening", themes=["Resilience"])
    )
    service.reject(listing, reviewer, "Out of scope.")  # still a listing that uses it
    before = stored(campaign)
    with pytest.raises(FieldErrors) as caught:
        service.update_campaign(
            campaign, campaign_data(themes=["Green transition", "Skills"]), reviewer
        )
    assert caught.value.fields["themes"] == (
        "Resilience cannot be removed: 1 listing uses it (Opening)."
    )
    assert stored(campaign) == before
    # Removing an unused theme and adding one is fine.
    service.update_campaign(campaign, campaign_data(themes=["Resilience", "Skills"]), reviewer)
    assert stored(campaign)["themes"] == ["Resilience", "Skills"]
