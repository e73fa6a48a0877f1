"""Campaign pages over HTTP: submission, the organiser's private link, review, logo, passwords."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.calendar_helpers import listing_data
from tests.conftest import PASSWORD, mail_text
from voting.campaigns import service
from voting.campaigns.service import CampaignData
from voting.extensions import db
from voting.models import Campaign, Event, EventStaff, Listing, ListingStatus, Role, User

SLUG = "eccp"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def campaign(app):
    """A campaign from November to April with three themes."""
    return service.create_campaign(
        CampaignData(
            slug=SLUG,
            name="European Cluster Campaign",
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2027, 4, 30),
            contact_email="office@example.org",
            themes=["Green transition", "Digital transition", "Resilience"],
        )
    )


@pytest.fixture
def reviewer(campaign, make_user):
    """A campaign admin of the campaign."""
    user = make_user(Role.campaign_admin)
    service.add_campaign_admin(campaign, user)
    return user


def form(token: str, **fields) -> dict:
    """Return a valid submission form, changed by `fields`."""
    values = {
        "csrf_token": token,
        "organisation": "Cluster Nord",
        "contact_name": "Ana Lima",
        "contact_email": "ana@example.org",
        "title": "Cross-border cluster conference",
        "starts_on": "2026-11-17",
        "ends_on": "2026-11-18",
        "city": "Lille",
        "country": "FR",
        "format": "conference",
        "themes": ["Green transition", "Resilience"],
        "expected_participants": "250",
        "website": "https://example.org/conference",
        "description": "Opening of the campaign.",
    }
    values.update(fields)
    return values


def submitted(campaign, **fields) -> tuple[Listing, str]:
    """Submit a listing through the service; return it and its token."""
    return service.submit_listing(campaign, listing_data(**fields))


def count(model) -> int:
    """Return how many rows a table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def listing_path(token: str) -> str:
    """Return the organiser's private page."""
    return f"/c/{SLUG}/listing/{token}"


def link_in(message) -> str:
    """Return the token of the organiser's private link in a mail."""
    match = re.search(r"https?://[^/\s]+/c/[\w-]+/listing/([\w-]+)", mail_text(message))
    assert match, mail_text(message)
    return match.group(1)


# --- submission ----------------------------------------------------------------------------


def test_submit_form_shows_every_field(client, campaign):
    """Does the form offer the countries, formats, the campaign's themes and date inputs?"""
    page = client.get(f"/c/{SLUG}/submit").get_data(as_text=True)
    for name in ("organisation", "contact_email", "title", "city", "expected_participants"):
        assert f'name="{name}"' in page
    assert 'type="date"' in page
    assert '<option value="FR"' in page
    assert '<option value="matchmaking"' in page
    assert page.count('type="checkbox" name="themes"') == 3


def test_submission_waits_for_review_and_mails_the_link(client, campaign, page_token, smtp):
    """Does a phone's submission store a pending listing and mail a link that opens it?"""
    token = page_token(client, f"/c/{SLUG}/submit")
    response = client.post(f"/c/{SLUG}/submit", data=form(token))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "waits for review" in page
    assert "ana@example.org" in page
    listing = db.session.scalars(select(Listing)).one()
    assert listing.status == ListingStatus.pending
    assert listing.themes == ["Green transition", "Resilience"]
    [message] = smtp.to("ana@example.org")
    private = client.get(listing_path(link_in(message)))
    assert private.status_code == 200
    assert "Waiting for review" in private.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "bad", "message"),
    [
        ({"starts_on": "2026-10-01"}, "starts_on", "the campaign&#39;s period"),
        ({"ends_on": "2026-11-16"}, "ends_on", "cannot end before it starts"),
        ({"country": "ZZ"}, "country", "Pick a country"),
        ({"title": "x" * 201}, "title", "At most 200 characters"),
        ({"description": "x" * 5001}, "description", "At most 5000 characters"),
        ({"expected_participants": "-3"}, "expected_participants", "from 1 to"),
        ({"expected_participants": "many"}, "expected_participants", ""),
        ({"starts_on": "17/11/2026"}, "starts_on", ""),
        ({"themes": ["Space"]}, "themes", "campaign&#39;s list"),
        ({"format": "rave"}, "format", "formats offered"),
        ({"website": "javascript:alert(1)"}, "website", "http://"),
    ],
)
def test_bad_submission_is_shown_at_the_field_and_stores_nothing(
    client, campaign, page_token, fields, bad, message
):
    """Is bad input answered 400 with a message at its field, and nothing stored?"""
    token = page_token(client, f"/c/{SLUG}/submit")
    response = client.post(f"/c/{SLUG}/submit", data=form(token, **fields))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{bad}-error"' in page
    assert message in page
    assert count(Listing) == 0


def test_submission_without_csrf_is_refused(client, campaign):
    """Is a form without its CSRF token refused?"""
    response = client.post(f"/c/{SLUG}/submit", data=form(""))
    assert response.status_code == 400
    assert count(Listing) == 0


def test_user_text_is_escaped(client, campaign, page_token):
    """Is an organiser's markup shown as text on their page and in the review queue?"""
    listing, token = submitted(campaign, title="<script>alert(1)</script>")
    page = client.get(listing_path(token)).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


def test_unknown_campaign_is_404(client, app):
    """Does a wrong campaign address answer 404?"""
    assert client.get("/c/nothing/submit").status_code == 404
    assert client.get("/c/nothing/logo").status_code == 404


# --- the organiser's private link ----------------------------------------------------------


def test_wrong_token_gets_a_clear_404(client, campaign):
    """Does a mistyped or foreign link answer a 404 that says so, with nothing shown?"""
    listing, token = submitted(campaign)
    for path in (listing_path("wrong"), listing_path(token[:-2])):
        response = client.get(path)
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "does not open a submission" in page
        assert "Cluster Nord" not in page
    other = service.create_campaign(
        CampaignData("other", "Other", dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    )
    assert client.get(f"/c/{other.slug}/listing/{token}").status_code == 404


def test_organiser_edits_while_pending(client, campaign, page_token):
    """Can the organiser change their listing through the link, and does it stay pending?"""
    listing, token = submitted(campaign)
    csrf = page_token(client, listing_path(token))
    response = client.post(listing_path(token), data=form(csrf, city="Roubaix"))
    assert response.status_code == 302
    db.session.expire_all()
    assert listing.city == "Roubaix"
    assert listing.status == ListingStatus.pending


def test_bad_edit_changes_nothing(client, campaign, page_token):
    """Does a bad edit answer 400 at the field and leave the listing as it was?"""
    listing, token = submitted(campaign)
    csrf = page_token(client, listing_path(token))
    response = client.post(
        listing_path(token), data=form(csrf, city="Roubaix", ends_on="2027-05-02")
    )
    assert response.status_code == 400
    assert 'id="ends_on-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert listing.city == "Lille"


def test_settled_listing_cannot_be_edited(client, campaign, reviewer, page_token):
    """Is an edit of a rejected listing refused (409) with nothing changed?"""
    listing, token = submitted(campaign)
    service.reject(listing, reviewer, "Not in scope.")
    token = service.new_token()
    listing.edit_token_hash = service.token_hash(token)
    db.session.commit()
    page = client.get(listing_path(token)).get_data(as_text=True)
    assert "Not in scope." in page
    assert 'name="city"' not in page
    csrf = page_token(client, listing_path(token))
    response = client.post(listing_path(token), data=form(csrf, city="Roubaix"))
    assert response.status_code == 409
    db.session.expire_all()
    assert listing.city == "Lille"


def test_changes_requested_show_the_note_and_the_form(client, campaign, reviewer, smtp):
    """Does the organiser see the admin's note and can edit after changes were asked?"""
    listing, _token = submitted(campaign)
    service.request_changes(listing, reviewer, "Please add the venue.")
    token = link_in(smtp.to("ana@example.org")[-1])
    page = client.get(listing_path(token)).get_data(as_text=True)
    assert "Please add the venue." in page
    assert "Changes requested" in page
    assert 'name="city"' in page


def test_organiser_creates_the_event_once(client, campaign, reviewer, page_token, smtp):
    """Does the button make one event the organiser administers, and a password link work?"""
    listing, _token = submitted(campaign)
    service.approve(listing, reviewer)
    token = link_in(smtp.to("ana@example.org")[-1])
    page = client.get(listing_path(token)).get_data(as_text=True)
    assert "Create the Plenum event" in page
    csrf = page_token(client, listing_path(token))
    response = client.post(listing_path(token) + "/create-event", data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.scalars(select(Event)).one()
    assert listing.event_id == event.id
    again = client.post(listing_path(token) + "/create-event", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert count(Event) == 1
    # The organiser sets a password through the mailed link, signs in, runs their event.
    text = mail_text(smtp.to("ana@example.org")[-1])
    path = re.search(r"https?://[^/\s]+(/password/[\w.-]+)", text).group(1)
    csrf = page_token(client, path)
    mismatch = client.post(path, data={"csrf_token": csrf, "password": "x" * 10, "confirm": "y"})
    assert mismatch.status_code == 400
    short = client.post(path, data={"csrf_token": csrf, "password": "short", "confirm": "short"})
    assert short.status_code == 400
    new = "a long new password"
    done = client.post(path, data={"csrf_token": csrf, "password": new, "confirm": new})
    assert done.status_code == 200
    assert "Your password is set" in done.get_data(as_text=True)
    assert client.get(path).status_code == 404  # used: the link works once
    csrf = page_token(client, "/login")
    client.post("/login", data={"email": "ana@example.org", "password": new, "csrf_token": csrf})
    assert client.get(f"/manage/{event.code}/registrations").status_code == 200
    assert client.get(f"/manage/{event.code}/polls").status_code == 200
    home = client.get("/manage/").get_data(as_text=True)
    assert f"/manage/{event.code}/registrations" in home
    assert client.get(f"/manage/{event.code}/registration").status_code == 200
    assert client.get(f"/manage/{event.code}/settings").status_code == 200
    assert f"/manage/{event.code}/settings" in home
    assert client.get("/manage/new").status_code == 403
    assert client.get(f"/manage/campaigns/{SLUG}").status_code == 403


def test_an_organiser_administers_no_other_event(client, campaign, reviewer, make_event, login):
    """Are the organiser's event admin pages refused for another event?"""
    elsewhere = make_event("ELSEWHERE")
    listing, _token = submitted(campaign)
    service.approve(listing, reviewer)
    service.create_event_from_listing(listing, by=reviewer)
    organiser = db.session.scalars(select(User).where(User.email == "ana@example.org")).one()
    organiser.password_hash = db.session.get(User, reviewer.id).password_hash  # PASSWORD
    db.session.commit()
    login(client, organiser)
    for page in ("registration", "settings", "registrations", "polls", "badges"):
        assert client.get(f"/manage/{elsewhere.code}/{page}").status_code == 403, page
    assert "ELSEWHERE" not in client.get("/manage/").get_data(as_text=True)


def test_create_event_is_refused_before_approval_and_with_a_wrong_token(
    client, campaign, page_token
):
    """Can a pending listing become an event, or a wrong link make one?"""
    listing, token = submitted(campaign)
    csrf = page_token(client, listing_path(token))
    assert (
        client.post(listing_path(token) + "/create-event", data={"csrf_token": csrf}).status_code
        == 409
    )
    assert (
        client.post(listing_path("wrong") + "/create-event", data={"csrf_token": csrf}).status_code
        == 404
    )
    assert client.post(listing_path(token) + "/create-event", data={}).status_code == 400
    assert count(Event) == 0


def test_bad_password_link_is_404(client, app):
    """Does a forged set-password link answer 404?"""
    assert client.get("/password/forged.token").status_code == 404


# --- campaign admins -----------------------------------------------------------------------


def test_staff_home_links_to_campaigns_for_their_admins(client, reviewer, make_user, login):
    """Does the staff home show the campaigns link to a campaign admin and not to a moderator?"""
    login(client, reviewer)
    assert "/manage/campaigns" in client.get("/manage/").get_data(as_text=True)
    other = client.application.test_client()
    login(other, make_user(Role.moderator))
    assert "/manage/campaigns" not in other.get("/manage/").get_data(as_text=True)


def test_campaign_admin_sees_only_their_campaigns(client, campaign, reviewer, login):
    """Does the campaigns list show a campaign admin theirs only, without the create form?"""
    service.create_campaign(
        CampaignData("other", "Other campaign", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    )
    login(client, reviewer)
    page = client.get("/manage/campaigns").get_data(as_text=True)
    assert "European Cluster Campaign" in page
    assert "Other campaign" not in page
    assert 'name="slug"' not in page
    assert client.get("/manage/campaigns/other").status_code == 403


def test_review_queue_filters_by_status(client, campaign, reviewer, login):
    """Does the queue show pending listings by default and others when asked?"""
    first, _token = submitted(campaign, title="First event")
    second, _token = submitted(campaign, title="Second event")
    service.approve(second, reviewer)
    login(client, reviewer)
    page = client.get(f"/manage/campaigns/{SLUG}").get_data(as_text=True)
    assert "First event" in page
    assert "Second event" not in page
    page = client.get(f"/manage/campaigns/{SLUG}?status=approved").get_data(as_text=True)
    assert "Second event" in page
    assert "First event" not in page
    page = client.get(f"/manage/campaigns/{SLUG}?status=all").get_data(as_text=True)
    assert "First event" in page
    assert "Second event" in page
    assert client.get(f"/manage/campaigns/{SLUG}?status=nonsense").status_code == 200


def test_review_actions_change_status_and_mail(client, campaign, reviewer, login, page_token, smtp):
    """Do approve, ask for changes and reject work from the queue and mail the organiser?"""
    one, _t = submitted(campaign, title="One", contact_email="one@example.org")
    two, _t = submitted(campaign, title="Two", contact_email="two@example.org")
    three, _t = submitted(campaign, title="Three", contact_email="three@example.org")
    login(client, reviewer)
    csrf = page_token(client, f"/manage/campaigns/{SLUG}")
    base = f"/manage/campaigns/{SLUG}/listings"
    assert client.post(f"{base}/{one.id}/approve", data={"csrf_token": csrf}).status_code == 302
    response = client.post(
        f"{base}/{two.id}/request-changes", data={"csrf_token": csrf, "note": "Add the venue."}
    )
    assert response.status_code == 302
    response = client.post(
        f"{base}/{three.id}/reject", data={"csrf_token": csrf, "note": "Off topic."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [one.status, two.status, three.status] == [
        ListingStatus.approved,
        ListingStatus.changes_requested,
        ListingStatus.rejected,
    ]
    assert "approved" in smtp.to("one@example.org")[-1]["Subject"]
    assert "Add the venue." in mail_text(smtp.to("two@example.org")[-1])
    assert "Off topic." in mail_text(smtp.to("three@example.org")[-1])


def test_reject_without_reason_is_refused_at_the_field(
    client, campaign, reviewer, login, page_token
):
    """Is a rejection without a reason answered 400 with the message at the note?"""
    listing, _token = submitted(campaign)
    login(client, reviewer)
    csrf = page_token(client, f"/manage/campaigns/{SLUG}")
    response = client.post(
        f"/manage/campaigns/{SLUG}/listings/{listing.id}/reject",
        data={"csrf_token": csrf, "note": " "},
    )
    assert response.status_code == 400
    assert f'id="note-{listing.id}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert listing.status == ListingStatus.pending


def test_review_is_refused_to_others(client, campaign, make_user, login, page_token):
    """Can a moderator, another campaign's admin or a signed-out browser review a listing?"""
    listing, _token = submitted(campaign)
    other = service.create_campaign(
        CampaignData("other", "Other", dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    )
    stranger = make_user(Role.campaign_admin)
    service.add_campaign_admin(other, stranger)
    url = f"/manage/campaigns/{SLUG}/listings/{listing.id}/approve"
    anonymous = client.application.test_client()
    csrf = page_token(anonymous, f"/c/{SLUG}/submit")
    assert anonymous.post(url, data={"csrf_token": csrf}).status_code == 302  # to sign-in
    for user in (stranger, make_user(Role.moderator)):
        browser = client.application.test_client()
        login(browser, user)
        csrf = page_token(browser, "/manage/")
        assert browser.post(url, data={"csrf_token": csrf}).status_code == 403
        # another campaign's listing id through one's own campaign: not found
    login(client, stranger)
    csrf = page_token(client, "/manage/")
    wrong = f"/manage/campaigns/other/listings/{listing.id}/approve"
    assert client.post(wrong, data={"csrf_token": csrf}).status_code == 404
    db.session.expire_all()
    assert listing.status == ListingStatus.pending


def campaign_form(csrf: str, **fields) -> dict:
    """Return the new-campaign form's fields for a valid campaign, changed by `fields`."""
    values = {
        "csrf_token": csrf,
        "name": "Innovation week",
        "slug": "innovation-week",
        "starts_on": "2026-11-01",
        "ends_on": "2027-04-30",
    }
    return {**values, **fields}


def test_admin_creates_a_campaign_with_a_logo(client, make_user, login, page_token):
    """Can a global admin create a campaign with a PNG logo, served at /c/<slug>/logo?"""
    login(client, make_user(Role.admin))
    csrf = page_token(client, "/manage/campaigns")
    data = campaign_form(csrf, themes="Green\nDigital\n", logo=(io.BytesIO(PNG), "logo.png"))
    response = client.post("/manage/campaigns/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.themes == ["Green", "Digital"]
    logo = client.get("/c/innovation-week/logo")
    assert logo.status_code == 200
    assert logo.data == PNG
    assert logo.mimetype == "image/png"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"logo": (io.BytesIO(b"<svg onload='alert(1)'/>"), "logo.png")}, "logo"),
        ({"logo": (io.BytesIO(b"\xff\xd8\xff" + b"0" * 5000), "big.jpg")}, "logo"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"ends_on": "2026-01-01"}, "ends_on"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_campaign_is_refused_and_stores_nothing(
    client, make_user, login, page_token, monkeypatch, fields, bad
):
    """Is a bad campaign (SVG or huge logo, bad address, period) refused at its field?"""
    # A small limit here: a real 1 MB upload is spooled to a file the test client leaves open.
    monkeypatch.setattr(service, "MAX_LOGO_BYTES", 4096)
    login(client, make_user(Role.admin))
    csrf = page_token(client, "/manage/campaigns")
    data = campaign_form(csrf, **fields)
    response = client.post("/manage/campaigns/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert f'id="{bad}-error"' in response.get_data(as_text=True)
    assert count(Campaign) == 0


def test_only_global_admins_create_campaigns_and_link_admins(
    client, campaign, reviewer, login, page_token
):
    """Are campaign creation and linking admins refused to a campaign admin?"""
    login(client, reviewer)
    csrf = page_token(client, "/manage/campaigns")
    data = {
        "csrf_token": csrf,
        "name": "X",
        "slug": "x",
        "starts_on": "2026-01-01",
        "ends_on": "2026-02-01",
    }
    assert client.post("/manage/campaigns/new", data=data).status_code == 403
    response = client.post(
        f"/manage/campaigns/{SLUG}/admins", data={"csrf_token": csrf, "email": reviewer.email}
    )
    assert response.status_code == 403
    assert count(Campaign) == 1


def test_admin_links_a_campaign_admin(client, campaign, make_user, login, page_token):
    """Can a global admin link a campaign_admin account, and is a moderator refused?"""
    login(client, make_user(Role.admin))
    newcomer = make_user(Role.campaign_admin)
    moderator = make_user(Role.moderator)
    csrf = page_token(client, f"/manage/campaigns/{SLUG}")
    url = f"/manage/campaigns/{SLUG}/admins"
    assert client.post(url, data={"csrf_token": csrf, "email": newcomer.email}).status_code == 302
    assert service.can_administer(newcomer, campaign)
    assert client.post(url, data={"csrf_token": csrf, "email": moderator.email}).status_code == 400
    assert (
        client.post(url, data={"csrf_token": csrf, "email": "nobody@example.org"}).status_code
        == 404
    )
    assert not service.is_campaign_admin(moderator, campaign)


def test_campaign_admin_role_in_create_user(app):
    """Does `voting create-user` make campaign_admin accounts?"""
    result = app.test_cli_runner().invoke(
        args=["create-user", "camp@example.org", "--role", "campaign_admin", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "camp@example.org")).one()
    assert user.role == Role.campaign_admin
    assert count(EventStaff) == 0


@pytest.mark.parametrize(
    ("language", "heading", "error"),
    [
        ("fr", "Proposez votre événement", "Choisissez un pays dans la liste."),
        ("de", "Reichen Sie Ihre Veranstaltung ein", "Wählen Sie ein Land aus der Liste."),
    ],
)
def test_submission_form_speaks_french_and_german(client, campaign, language, heading, error):
    """Are the form and its field messages in the browser's language?"""
    headers = {"Accept-Language": language}
    page = client.get(f"/c/{SLUG}/submit", headers=headers).get_data(as_text=True)
    assert heading in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(f"/c/{SLUG}/submit", data=form(token, country="ZZ"), headers=headers)
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)


def test_campaign_admin_replaces_the_logo(
    client, campaign, reviewer, login, page_token, monkeypatch
):
    """Can the campaign's admin upload a logo, and is an SVG or no file refused at the field?"""
    monkeypatch.setattr(service, "MAX_LOGO_BYTES", 4096)
    login(client, reviewer)
    csrf = page_token(client, f"/manage/campaigns/{SLUG}")
    url = f"/manage/campaigns/{SLUG}/logo"
    for bad in ({"logo": (io.BytesIO(b"<svg/>"), "x.png")}, {}):
        response = client.post(
            url, data={"csrf_token": csrf, **bad}, content_type="multipart/form-data"
        )
        assert response.status_code == 400
        assert 'id="logo-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert campaign.logo == ""
    data = {"csrf_token": csrf, "logo": (io.BytesIO(PNG), "new.png")}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    first = campaign.logo
    logo = client.get(f"/c/{SLUG}/logo")
    assert logo.data == PNG
    jpeg = b"\xff\xd8\xff" + b"1" * 32
    data = {"csrf_token": csrf, "logo": (io.BytesIO(jpeg), "new.jpg")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 302
    db.session.expire_all()
    assert campaign.logo.endswith(".jpg")
    assert campaign.logo != first
    assert client.get(f"/c/{SLUG}/logo").mimetype == "image/jpeg"
    folder = Path(client.application.instance_path) / "campaign-logos"
    assert sorted(p.name for p in folder.iterdir()) == [campaign.logo]  # the old one is gone


# --- editing a campaign ----------------------------------------------------------------------


def edit_form(token: str, **fields) -> dict:
    """Return a valid campaign edit form, changed by `fields`."""
    values = {
        "csrf_token": token,
        "name": "European Cluster Campaign 2026/27",
        "starts_on": "2026-10-15",
        "ends_on": "2027-05-15",
        "description": "Cluster events across Europe.",
        "contact_name": "Campaign office",
        "contact_email": "Team@Example.org",
        "themes": "Green transition\nDigital transition\nResilience\nSkills\n",
    }
    values.update(fields)
    return values


def campaign_row(campaign) -> dict:
    """Return a campaign's stored fields, read afresh."""
    db.session.expire_all()
    names = ("slug", "name", "description", "contact_name", "contact_email", "themes")
    return {name: getattr(campaign, name) for name in (*names, "starts_on", "ends_on", "logo")}


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_campaign_admins_edit_the_campaign(
    client, campaign, reviewer, make_user, login, page_token, role
):
    """Can a global admin and the campaign's admin edit its fields, the slug staying?"""
    login(client, make_user(Role.admin) if role == "admin" else reviewer)
    review = client.get(f"/manage/campaigns/{SLUG}").get_data(as_text=True)
    assert f'href="/manage/campaigns/{SLUG}/edit"' in review
    page = client.get(f"/manage/campaigns/{SLUG}/edit").get_data(as_text=True)
    assert 'value="European Cluster Campaign"' in page
    assert "Green transition\nDigital transition\nResilience</textarea>" in page
    assert 'name="slug"' not in page
    csrf = page_token(client, f"/manage/campaigns/{SLUG}/edit")
    response = client.post(f"/manage/campaigns/{SLUG}/edit", data=edit_form(csrf, slug="hijacked"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/campaigns/{SLUG}")
    row = campaign_row(campaign)
    assert row["slug"] == SLUG
    assert row["name"] == "European Cluster Campaign 2026/27"
    assert (row["starts_on"], row["ends_on"]) == (dt.date(2026, 10, 15), dt.date(2027, 5, 15))
    assert row["contact_email"] == "team@example.org"
    assert row["themes"] == ["Green transition", "Digital transition", "Resilience", "Skills"]
    assert client.get(f"/c/{SLUG}").status_code == 200


def test_editing_a_campaign_is_refused_to_others(client, campaign, make_user, login, page_token):
    """Are another campaign's admin and a moderator refused (403), a signed-out browser sent to sign in?"""
    other = service.create_campaign(
        CampaignData("other", "Other", dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    )
    stranger = make_user(Role.campaign_admin)
    service.add_campaign_admin(other, stranger)
    before = campaign_row(campaign)
    url = f"/manage/campaigns/{SLUG}/edit"
    anonymous = client.application.test_client()
    csrf = page_token(anonymous, f"/c/{SLUG}/submit")
    for response in (anonymous.get(url), anonymous.post(url, data=edit_form(csrf))):
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    for user in (stranger, make_user(Role.moderator)):
        browser = client.application.test_client()
        login(browser, user)
        csrf = page_token(browser, "/manage/")
        assert browser.get(url).status_code == 403
        assert browser.post(url, data=edit_form(csrf)).status_code == 403
    assert campaign_row(campaign) == before


@pytest.mark.parametrize(
    ("fields", "bad", "message"),
    [
        ({"ends_on": "2026-10-01"}, "ends_on", "cannot end before it starts"),
        ({"starts_on": "2026-11-20"}, "starts_on", "1 pending or approved listing"),
        ({"ends_on": "2026-11-17"}, "ends_on", "Cross-border cluster conference"),
        ({"themes": "Digital transition\nResilience"}, "themes", "Green transition cannot"),
        ({"name": "x" * 201}, "name", "At most 200 characters"),
        ({"description": "x" * 5001}, "description", "At most 5000 characters"),
        ({"contact_email": "not an address"}, "contact_email", "valid email address"),
        ({"name": " "}, "name", "This field is required"),
    ],
)
def test_bad_campaign_edit_is_refused_at_the_field_and_changes_nothing(
    client, campaign, reviewer, login, page_token, fields, bad, message
):
    """Is each bad edit answered 400 with its message at the field, the row unchanged?"""
    submitted(campaign)  # pending, 17-18 Nov 2026, Green transition
    before = campaign_row(campaign)
    login(client, reviewer)
    csrf = page_token(client, f"/manage/campaigns/{SLUG}/edit")
    response = client.post(f"/manage/campaigns/{SLUG}/edit", data=edit_form(csrf, **fields))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{bad}-error"' in page
    error = page.split(f'id="{bad}-error">')[1].split("</p>")[0]
    assert message in error
    assert campaign_row(campaign) == before


def test_campaign_edit_without_csrf_changes_nothing(client, campaign, reviewer, login):
    """Is an edit without its CSRF token refused, the row unchanged?"""
    before = campaign_row(campaign)
    login(client, reviewer)
    response = client.post(f"/manage/campaigns/{SLUG}/edit", data=edit_form(""))
    assert response.status_code == 400
    assert campaign_row(campaign) == before


def test_review_queue_shows_each_listings_facts_at_a_glance(client, campaign, reviewer, login):
    """Does each queue card say dates, place, format, organisation and participants in the page's language?"""
    submitted(campaign, country="DE", city="Köln", expected_participants=1250, format="workshop")
    login(client, reviewer)
    page = client.get(f"/manage/campaigns/{SLUG}").get_data(as_text=True)
    glance = page.split('class="listing-glance">')[1].split("</p>")[0]
    for fact in ("17", "18", "Nov", "2026", "Köln, Germany", "Workshop", "Cluster Nord"):
        assert fact in glance
    assert "1,250 participants expected" in glance
    assert "<details" in page  # the full facts stay collapsible
    page = client.get(f"/manage/campaigns/{SLUG}", headers={"Accept-Language": "fr"})
    glance = page.get_data(as_text=True).split('class="listing-glance">')[1].split("</p>")[0]
    assert "Allemagne" in glance
    assert "nov." in glance
    assert "participants attendus" in glance
    page = client.get(f"/manage/campaigns/{SLUG}/edit", headers={"Accept-Language": "de"})
    assert "Kampagne bearbeiten" in page.get_data(as_text=True)
    assert "1\u202f250" in glance or "1 250" in glance or "1\xa0250" in glance
