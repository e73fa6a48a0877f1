"""Campaign rules: campaigns and their admins, organisers' listings, review, events made from them.

An organiser has no account: they see and edit their own listing through a private link
whose token is mailed to them; only the token's SHA-256 is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from voting.accounts.service import EMAIL_RE
from voting.campaigns import mails
from voting.errors import Conflict, FieldErrors, Forbidden, NotFound
from voting.extensions import db
from voting.i18n import LANGUAGES
from voting.models import (
    Campaign,
    CampaignAdmin,
    Event,
    EventDay,
    EventFormat,
    EventStaff,
    Listing,
    ListingStatus,
    Role,
    User,
    utcnow,
)
from voting.registration.countries import country_name, is_country

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
MAX_TEXT = 5000  # descriptions
MAX_THEMES = 30  # a campaign's theme list
MAX_PARTICIPANTS = 1_000_000
# Listings an organiser may still edit; approved or rejected ones are settled.
EDITABLE = frozenset({ListingStatus.pending, ListingStatus.changes_requested})


@dataclass
class CampaignData:
    """The editable fields of a campaign."""

    slug: str
    name: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    description: str = ""
    contact_name: str = ""
    contact_email: str = ""
    themes: list[str] = field(default_factory=list)


@dataclass
class ListingData:
    """What an organiser submits about their event (dates and numbers None when missing)."""

    organisation: str
    contact_name: str
    contact_email: str
    title: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    city: str
    country: str
    format: str
    themes: list[str] = field(default_factory=list)
    expected_participants: int | None = None
    website: str = ""
    description: str = ""
    language: str = "en"  # the organiser's interface language: their mails' language


# --- campaigns and their admins ---------------------------------------------------


def create_campaign(
    data: CampaignData, logo: bytes | None = None, folder: Path | None = None
) -> Campaign:
    """Create a campaign with a unique slug, and its logo (kept in `folder`) when given."""
    values = _check_campaign(data)
    kind = logo_kind(logo) if logo is not None else None
    campaign = Campaign(**values)
    if kind is not None and folder is not None:
        campaign.logo = f"{values['slug']}-{secrets.token_hex(8)}.{kind}"
    db.session.add(campaign)
    try:
        db.session.commit()
    except IntegrityError:
        # The unique index on slug is the one place that sees concurrent creations.
        db.session.rollback()
        raise FieldErrors(
            {"slug": _("Another campaign uses this address.")}, "slug_taken"
        ) from None
    if campaign.logo:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / campaign.logo).write_bytes(logo)
    return campaign


def update_campaign(campaign: Campaign, data: CampaignData, by: User) -> Campaign:
    """Apply a campaign admin's edit of a campaign; its slug stays (public links use it)."""
    require_campaign_admin(by, campaign)
    values = _check_campaign(replace(data, slug=campaign.slug), campaign)
    for key, value in values.items():
        setattr(campaign, key, value)
    db.session.commit()
    return campaign


def _check_campaign(data: CampaignData, existing: Campaign | None = None) -> dict:
    """Return a campaign's checked and trimmed fields, or raise FieldErrors.

    For an `existing` campaign, the new period must still hold its pending and approved
    listings, and the themes its listings use must stay.
    """
    errors: dict[str, str] = {}
    slug = (data.slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        errors["slug"] = _("Use 1 to 40 lower-case letters, digits and hyphens.")
    name = _text(errors, "name", data.name, 200, required=True)
    description = _text(errors, "description", data.description, MAX_TEXT)
    contact_name = _text(errors, "contact_name", data.contact_name, 200)
    contact_email = (data.contact_email or "").strip().lower()
    if contact_email and (len(contact_email) > 254 or not EMAIL_RE.match(contact_email)):
        errors["contact_email"] = _("Enter a valid email address.")
    _check_period(errors, data.starts_on, data.ends_on)
    themes = []
    for theme in data.themes or []:
        theme = (theme or "").strip()
        if theme and theme not in themes:
            themes.append(theme)
    if len(themes) > MAX_THEMES or any(len(theme) > 100 for theme in themes):
        errors["themes"] = _(
            "Up to %(most)d themes of at most 100 characters each.", most=MAX_THEMES
        )
    if existing is not None:
        if not {"starts_on", "ends_on"} & errors.keys():
            _check_period_holds(errors, existing, data.starts_on, data.ends_on)
        if "themes" not in errors:
            _check_themes_kept(errors, existing, themes)
    if errors:
        raise FieldErrors(errors)
    return {
        "slug": slug,
        "name": name,
        "description": description,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "themes": themes,
    }


# Listings a new period must still hold: those on or waiting for the calendar.
HELD_BY_PERIOD = (ListingStatus.pending, ListingStatus.approved)
MAX_NAMED = 5  # listings named in a refusal; more are counted only


def _titles(listings: list[Listing]) -> str:
    """Return the first few listings' titles for a message, with an ellipsis for the rest."""
    titles = ", ".join(listing.title for listing in listings[:MAX_NAMED])
    return titles + (", …" if len(listings) > MAX_NAMED else "")


def _check_period_holds(
    errors: dict[str, str], campaign: Campaign, starts_on: dt.date, ends_on: dt.date
) -> None:
    """Note, at the date that excludes them, the pending or approved listings a period leaves out."""
    held = [listing for listing in campaign.listings if listing.status in HELD_BY_PERIOD]
    before = [listing for listing in held if listing.starts_on < starts_on]
    after = [listing for listing in held if listing.ends_on > ends_on]
    for name, outside in (("starts_on", before), ("ends_on", after)):
        if outside:
            errors[name] = ngettext(
                "%(num)d pending or approved listing would fall outside this period: %(titles)s.",
                "%(num)d pending or approved listings would fall outside this period: %(titles)s.",
                len(outside),
                titles=_titles(outside),
            )


def _check_themes_kept(errors: dict[str, str], campaign: Campaign, themes: list[str]) -> None:
    """Note the removed themes that listings of the campaign still use."""
    removed = set(campaign.themes) - set(themes)
    users = [listing for listing in campaign.listings if removed & set(listing.themes or [])]
    if users:
        used = {theme for listing in users for theme in listing.themes}
        in_use = [theme for theme in campaign.themes if theme in removed & used]
        errors["themes"] = ngettext(
            "%(themes)s cannot be removed: %(num)d listing uses it (%(titles)s).",
            "%(themes)s cannot be removed: %(num)d listings use it (%(titles)s).",
            len(users),
            themes=", ".join(in_use),
            titles=_titles(users),
        )


MAX_LOGO_BYTES = 1024 * 1024
# Logos are recognised by their first bytes, not by the name or type the browser sent;
# SVG is refused, as it can carry script.
LOGO_KINDS = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def logo_kind(data: bytes) -> str:
    """Return the file extension of a PNG or JPEG logo, or raise FieldErrors."""
    if not data:
        raise FieldErrors({"logo": _("The file is empty.")}, "invalid_logo")
    if len(data) > MAX_LOGO_BYTES:
        raise FieldErrors({"logo": _("The logo may be at most 1 MB.")}, "invalid_logo")
    for magic, kind in LOGO_KINDS.items():
        if data.startswith(magic):
            return kind
    raise FieldErrors({"logo": _("The logo must be a PNG or JPEG image.")}, "invalid_logo")


def set_logo(campaign: Campaign, data: bytes, folder: Path) -> str:
    """Store a campaign's logo in `folder` under a fresh name; return that name."""
    kind = logo_kind(data)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{campaign.slug}-{secrets.token_hex(8)}.{kind}"
    (folder / name).write_bytes(data)
    old = campaign.logo
    campaign.logo = name
    db.session.commit()
    if old and old != name:
        (folder / old).unlink(missing_ok=True)
    return name


def find_campaign(slug: str) -> Campaign:
    """Return the campaign with this slug or raise NotFound."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == (slug or "").lower()))
    if campaign is None:
        raise NotFound(_("There is no such campaign."), "unknown_campaign")
    return campaign


def all_campaigns() -> list[Campaign]:
    """Return every campaign, latest start first."""
    return list(db.session.scalars(select(Campaign).order_by(Campaign.starts_on.desc())))


def add_campaign_admin(campaign: Campaign, user: User) -> None:
    """Make a campaign_admin account an admin of the campaign (idempotent)."""
    if user.role != Role.campaign_admin:
        raise FieldErrors(
            {"email": _("Only accounts with the campaign_admin role can be linked.")},
            "not_campaign_admin",
        )
    if not is_campaign_admin(user, campaign):
        db.session.add(CampaignAdmin(campaign_id=campaign.id, user_id=user.id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # given meanwhile by someone else: the same outcome


def is_campaign_admin(user, campaign: Campaign) -> bool:
    """Say whether the account is linked to the campaign as one of its admins."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CampaignAdmin)
            .where(CampaignAdmin.campaign_id == campaign.id, CampaignAdmin.user_id == user.id)
        )
        > 0
    )


def can_administer(user, campaign: Campaign) -> bool:
    """Say whether the user may review the campaign's listings: its admins and global admins."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == Role.admin:
        return True
    return user.role == Role.campaign_admin and is_campaign_admin(user, campaign)


def administered_campaigns(user) -> list[Campaign]:
    """Return the campaigns this account administers (every one for a global admin)."""
    return [campaign for campaign in all_campaigns() if can_administer(user, campaign)]


def require_campaign_admin(user, campaign: Campaign) -> None:
    """Raise Forbidden unless the user administers the campaign."""
    if not can_administer(user, campaign):
        raise Forbidden(_("Only this campaign's admins may do that."), "forbidden")


# --- listings by organisers --------------------------------------------------------


def submit_listing(campaign: Campaign, data: ListingData) -> tuple[Listing, str]:
    """Record an organiser's event as pending; return it and the private edit link's token."""
    values = check_listing(campaign, data)
    token = new_token()
    listing = Listing(
        campaign=campaign,
        status=ListingStatus.pending,
        edit_token_hash=token_hash(token),
        **values,
    )
    db.session.add(listing)
    db.session.commit()
    mails.send_submitted(listing, token)
    return listing, token


def listing_for_token(campaign: Campaign, token: str) -> Listing:
    """Return the campaign's listing this edit token opens, or raise NotFound."""
    listing = None
    if token and len(token) <= 100:
        listing = db.session.scalar(
            select(Listing).where(
                Listing.campaign_id == campaign.id, Listing.edit_token_hash == token_hash(token)
            )
        )
    if listing is None:
        raise NotFound(
            _(
                "This link does not open a submission: it may be mistyped or replaced by a newer one."
            ),
            "unknown_link",
        )
    return listing


def update_listing(listing: Listing, data: ListingData) -> Listing:
    """Apply an organiser's edit to a pending or changes-requested listing; it waits for review again."""
    if listing.status not in EDITABLE:
        raise Conflict(
            _("This submission was reviewed already and can no longer be changed."),
            "listing_settled",
        )
    values = check_listing(listing.campaign, data)
    for key, value in values.items():
        setattr(listing, key, value)
    listing.status = ListingStatus.pending
    listing.updated_at = utcnow()
    db.session.commit()
    return listing


def check_listing(campaign: Campaign, data: ListingData) -> dict:
    """Return a listing's checked and trimmed fields, or raise FieldErrors naming each bad one."""
    errors: dict[str, str] = {}
    values = {
        "organisation": _text(errors, "organisation", data.organisation, 200, required=True),
        "contact_name": _text(errors, "contact_name", data.contact_name, 200, required=True),
        "title": _text(errors, "title", data.title, 200, required=True),
        "city": _text(errors, "city", data.city, 100, required=True),
        "description": _text(errors, "description", data.description, MAX_TEXT),
    }
    email = (data.contact_email or "").strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        errors["contact_email"] = _("Enter a valid email address.")
    values["contact_email"] = email
    _check_dates(errors, campaign, data.starts_on, data.ends_on)
    values["starts_on"], values["ends_on"] = data.starts_on, data.ends_on
    country = (data.country or "").strip().upper()
    if not is_country(country):
        errors["country"] = _("Pick a country from the list.")
    values["country"] = country
    try:
        values["format"] = EventFormat(data.format)
    except ValueError:
        errors["format"] = _("Pick one of the formats offered.")
    themes = list(dict.fromkeys(data.themes or []))
    if any(theme not in campaign.themes for theme in themes):
        errors["themes"] = _("Pick themes from the campaign's list.")
    values["themes"] = themes
    expected = data.expected_participants
    if (
        not isinstance(expected, int)
        or isinstance(expected, bool)
        or not 1 <= expected <= MAX_PARTICIPANTS
    ):
        errors["expected_participants"] = _(
            "Enter a number of participants from 1 to %(most)s.", most=f"{MAX_PARTICIPANTS:,}"
        )
    values["expected_participants"] = expected
    website = (data.website or "").strip()
    if website and not _is_web_address(website):
        errors["website"] = _("Enter a web address starting with http:// or https://.")
    values["website"] = website
    values["language"] = data.language if data.language in LANGUAGES else "en"
    if errors:
        raise FieldErrors(errors)
    return values


def _is_web_address(url: str) -> bool:
    """Say whether a text is an http(s) address with a host, short enough to keep."""
    if len(url) > 500 or any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in parts.hostname


def _check_dates(
    errors: dict[str, str], campaign: Campaign, starts_on: dt.date | None, ends_on: dt.date | None
) -> None:
    """Note what is wrong with a listing's dates: missing, reversed or outside the campaign."""
    period = {
        "start": format_date(campaign.starts_on, "medium"),
        "end": format_date(campaign.ends_on, "medium"),
    }
    outside = _("Pick a date from %(start)s to %(end)s, the campaign's period.", **period)
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = _("Enter the first day.")
    elif not campaign.starts_on <= starts_on <= campaign.ends_on:
        errors["starts_on"] = outside
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = _("Enter the last day.")
    elif not campaign.starts_on <= ends_on <= campaign.ends_on:
        errors["ends_on"] = outside
    elif isinstance(starts_on, dt.date) and ends_on < starts_on:
        errors["ends_on"] = _("The event cannot end before it starts.")


def _check_period(errors: dict[str, str], starts_on, ends_on) -> None:
    """Note what is wrong with a campaign's period."""
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = _("Enter the first day.")
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = _("Enter the last day.")
    elif isinstance(starts_on, dt.date) and ends_on < starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")


def _text(errors: dict[str, str], name: str, value, most: int, *, required: bool = False) -> str:
    """Return a trimmed text field, noting in errors when it is missing or too long."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > most:
        errors[name] = _("At most %(most)d characters.", most=most)
    return text


def new_token() -> str:
    """Return a fresh secret edit token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Hash an edit token for storage and lookup."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- review by campaign admins ----------------------------------------------------


def approve(listing: Listing, by: User) -> Listing:
    """Approve a listing: it shows on the calendar; the organiser is told with a fresh link."""
    token = _review(listing, by, ListingStatus.approved, "")
    mails.send_approved(listing, token)
    return listing


def request_changes(listing: Listing, by: User, note: str) -> Listing:
    """Ask the organiser for changes (the note says which); they get a link to edit."""
    token = _review(listing, by, ListingStatus.changes_requested, _note(note, "note"))
    mails.send_changes_requested(listing, token)
    return listing


def reject(listing: Listing, by: User, reason: str) -> Listing:
    """Reject a listing with a reason, which the organiser is told."""
    _review(listing, by, ListingStatus.rejected, _note(reason, "reason"))
    mails.send_rejected(listing)
    return listing


def _note(text: str, name: str) -> str:
    """Return a required review note, trimmed, or raise FieldErrors."""
    errors: dict[str, str] = {}
    text = _text(errors, name, text, MAX_TEXT, required=True)
    if errors:
        raise FieldErrors(errors)
    return text


def _review(listing: Listing, by: User, status: ListingStatus, note: str) -> str:
    """Record a review decision; return the organiser's new edit token.

    The token is only kept hashed, so a mail that carries the link needs a fresh one;
    it replaces the earlier link, which stops working.
    """
    require_campaign_admin(by, listing.campaign)
    if listing.event_id is not None:
        raise Conflict(
            _("This listing is a Plenum event already; its review cannot change."),
            "listing_has_event",
        )
    if listing.status == status:
        raise Conflict(_("The listing has this status already."), "same_status")
    token = new_token()
    listing.status = status
    listing.review_note = note
    listing.reviewed_by_id = by.id
    listing.reviewed_at = utcnow()
    listing.edit_token_hash = token_hash(token)
    db.session.commit()
    return token


def listings_of(campaign: Campaign, status: ListingStatus | None = None) -> list[Listing]:
    """Return the campaign's listings, optionally of one status, oldest submission first."""
    query = select(Listing).where(Listing.campaign_id == campaign.id)
    if status is not None:
        query = query.where(Listing.status == status)
    return list(db.session.scalars(query.order_by(Listing.submitted_at, Listing.id)))


def find_listing(campaign: Campaign, listing_id: int) -> Listing:
    """Return the campaign's listing with this id, or raise NotFound."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.campaign_id != campaign.id:
        raise NotFound(_("There is no such listing in this campaign."), "unknown_listing")
    return listing


# --- from listing to Plenum event ---------------------------------------------------

MAX_EVENT_DAYS = 31  # days made for the new event's programme


def create_event_from_listing(
    listing: Listing, *, by: User | None = None, token: str | None = None
) -> Event:
    """Turn an approved listing into a Plenum event administered by its organiser.

    Allowed to the organiser (`token`: their private link's) and to the campaign's
    admins (`by`). The organiser's account (found by the contact email, or made with no
    usable password and a mailed link to set one) gets access to this event only, as
    its event admin.
    """
    organiser_link = bool(token) and hmac.compare_digest(token_hash(token), listing.edit_token_hash)
    if not organiser_link and not can_administer(by, listing.campaign):
        raise Forbidden(_("Only the organiser or the campaign's admins may do that."), "forbidden")
    if listing.status != ListingStatus.approved:
        raise Conflict(_("Only an approved listing can become an event."), "not_approved")
    if listing.event_id is not None:
        raise Conflict(_("This listing is a Plenum event already."), "listing_has_event")
    event = _new_event(listing)
    organiser, new = _organiser_account(listing.contact_email)
    db.session.add(EventStaff(event=event, user=organiser, event_admin=True))
    db.session.flush()
    # Conditional, so that of two concurrent clicks exactly one makes the event.
    linked = db.session.execute(
        update(Listing)
        .where(Listing.id == listing.id, Listing.event_id.is_(None))
        .values(event_id=event.id, updated_at=utcnow())
    )
    if linked.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("This listing is a Plenum event already."), "listing_has_event")
    try:
        db.session.commit()
    except IntegrityError:
        # An event code taken meanwhile, or the organiser's account made meanwhile.
        db.session.rollback()
        raise Conflict(_("Please try again."), "clash") from None
    db.session.refresh(listing)
    mails.send_event_created(listing, event, organiser, new)
    return event


def _new_event(listing: Listing) -> Event:
    """Add (uncommitted) the event a listing describes, with its days."""
    from voting.events.service import suggest_code

    language = listing.language if listing.language in LANGUAGES else "en"
    country = country_name(listing.country, language)
    event = Event(
        code=suggest_code(),
        name=listing.title,
        description=listing.description,
        venue=f"{listing.city}, {country}"[:200],
        starts_on=listing.starts_on,
        ends_on=listing.ends_on,
        main_language=language,
        contact_email=listing.contact_email,
    )
    days = (listing.ends_on - listing.starts_on).days + 1
    with force_locale(language):
        event.days = [
            EventDay(
                date=listing.starts_on + dt.timedelta(days=number),
                title=_("Day %(number)d", number=number + 1),
            )
            for number in range(min(days, MAX_EVENT_DAYS))
        ]
    db.session.add(event)
    return event


def _organiser_account(email: str) -> tuple[User, bool]:
    """Return the staff account for an organiser's email and whether it is new (uncommitted).

    A new account is a moderator with no usable password: its event admin right on the
    one event gives it power there; the role gives none elsewhere, as it has no other
    event. Its owner sets a password through the mailed link.
    """
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(
        email=email,
        password_hash=generate_password_hash(secrets.token_urlsafe(32), method="scrypt"),
        role=Role.moderator,
    )
    db.session.add(user)
    return user, True
