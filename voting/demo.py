"""The demo event: a partnering day of European cluster partnerships (code EUCP18)."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from pathlib import Path

from sqlalchemy import select

from voting.events.service import EventData, create_event
from voting.extensions import db
from voting.models import Event, EventDay, Theme
from voting.polls.service import PollData, create_poll

DEMO_CODE = "EUCP18"

THEMES = [
    "Co-designing new cluster services with and for SMEs",
    "Finding the right international counterparts",
    "Learning and community services on the European Cluster Collaboration Platform",
    "Training and interregional mobility of cluster staff",
    "Cooperating on skills with the sectoral Blueprint",
    "From cluster partnerships to joint cluster initiatives",
    "Making partnering strategic rather than occasional",
    "Keeping partnerships sustainable after the funding ends",
    "Partnerships that fit together: compatible goals and services",
    "Channelling innovation support to more SMEs",
    "Helping SMEs scale up across borders",
    "Smart specialisation investments and industrial modernisation",
    "New industrial value chains, including dual-use technologies",
]
# The themes in French and German, in the order above: phones show their language's.
THEMES_FR = [
    "Concevoir avec et pour les PME de nouveaux services de clusters",
    "Trouver les bons partenaires internationaux",
    "Services d'apprentissage et de communauté sur la plateforme européenne de collaboration des clusters",
    "Formation et mobilité interrégionale du personnel des clusters",
    "Coopérer sur les compétences avec le Blueprint sectoriel",
    "Des partenariats de clusters aux initiatives conjointes de clusters",
    "Rendre le partenariat stratégique plutôt qu'occasionnel",
    "Faire durer les partenariats après la fin du financement",
    "Des partenariats qui s'accordent : objectifs et services compatibles",
    "Apporter le soutien à l'innovation à davantage de PME",
    "Aider les PME à croître au-delà des frontières",
    "Investissements de spécialisation intelligente et modernisation industrielle",
    "Nouvelles chaînes de valeur industrielles, y compris les technologies à double usage",
]
THEMES_DE = [
    "Neue Clusterdienste mit und für KMU gemeinsam entwickeln",
    "Die richtigen internationalen Partner finden",
    "Lern- und Community-Angebote auf der Europäischen Cluster-Kooperationsplattform",
    "Weiterbildung und interregionale Mobilität des Clusterpersonals",
    "Zusammenarbeit bei Kompetenzen mit dem sektoralen Blueprint",
    "Von Clusterpartnerschaften zu gemeinsamen Clusterinitiativen",
    "Partnerschaften strategisch statt gelegentlich gestalten",
    "Partnerschaften über das Ende der Förderung hinaus erhalten",
    "Partnerschaften, die zusammenpassen: vereinbare Ziele und Dienste",
    "Innovationsförderung zu mehr KMU bringen",
    "KMU beim grenzüberschreitenden Wachstum helfen",
    "Investitionen in intelligente Spezialisierung und industrielle Modernisierung",
    "Neue industrielle Wertschöpfungsketten, einschließlich Dual-Use-Technologien",
]


def create_demo_event(today: dt.date | None = None) -> Event:
    """Create the demo event with its two days, 13 themes and prepared polls."""
    existing = db.session.scalar(select(Event).where(Event.code == DEMO_CODE))
    if existing is not None:
        return existing
    # The demo runs from today, so it is listed as upcoming and ready to try.
    start = today or dt.date.today()
    event = create_event(
        EventData(
            code=DEMO_CODE,
            name="European Cluster Partnerships: Partnering Event",
            starts_on=start,
            ends_on=start + dt.timedelta(days=1),
            venue="Brussels",
            description=(
                "Representatives of some 50 European cluster partnerships, reaching around "
                "40,000 SMEs between them, share what their partnerships learned, work on "
                "the burning themes they raise themselves, and vote on where the next "
                "generation of EU cluster initiatives should go."
            ),
            allow_anonymous=True,
        )
    )
    event.days = [
        EventDay(
            date=start,
            title="Project meetings",
            description="Meetings of the partnership projects, run by the executive agency.",
            translations={
                "fr": {"title": "Réunions de projets"},
                "de": {"title": "Projekttreffen"},
            },
        ),
        EventDay(
            date=start + dt.timedelta(days=1),
            title="Partnering day",
            description="Partnership stories, breakouts on the burning themes and live votes.",
            translations={
                "fr": {"title": "Journée de partenariat"},
                "de": {"title": "Partnerschaftstag"},
            },
        ),
    ]
    event.translations = {
        "fr": {"name": "Partenariats européens de clusters : journée de partenariat"},
        "de": {"name": "Europäische Clusterpartnerschaften: Partnerschaftstag"},
    }
    event.themes = [
        Theme(
            title=title,
            position=i,
            translations={"fr": {"title": french}, "de": {"title": german}},
        )
        for i, (title, french, german) in enumerate(
            zip(THEMES, THEMES_FR, THEMES_DE, strict=True), start=1
        )
    ]
    db.session.commit()
    create_poll(
        event,
        PollData(
            title="How should future EU funding for cluster partnerships be shared?",
            options=[
                "Fewer, bigger partnerships",
                "More, smaller partnerships",
                "A mix of bigger and smaller partnerships",
            ],
            kind="single",
            translations={
                "fr": {
                    "title": "Comment partager le futur financement européen des partenariats de clusters ?",
                    "options": [
                        "Des partenariats moins nombreux et plus grands",
                        "Des partenariats plus nombreux et plus petits",
                        "Un mélange de grands et de petits partenariats",
                    ],
                },
                "de": {
                    "title": "Wie soll die künftige EU-Förderung für Clusterpartnerschaften aufgeteilt werden?",
                    "options": [
                        "Weniger, größere Partnerschaften",
                        "Mehr, kleinere Partnerschaften",
                        "Eine Mischung aus größeren und kleineren Partnerschaften",
                    ],
                },
            },
        ),
    )
    create_poll(
        event,
        PollData(
            title="What should joint cluster initiatives focus on?",
            options=[
                "Internationalisation",
                "Innovation uptake",
                "Scaling-up of SMEs",
                "Skills",
                "Interregional mobility and training",
                "Smart specialisation investments",
            ],
            kind="multiple",
            max_choices=2,
            translations={
                "fr": {
                    "title": "Sur quoi les initiatives conjointes de clusters doivent-elles se concentrer ?",
                    "options": [
                        "Internationalisation",
                        "Adoption de l'innovation",
                        "Croissance des PME",
                        "Compétences",
                        "Mobilité interrégionale et formation",
                        "Investissements de spécialisation intelligente",
                    ],
                },
                "de": {
                    "title": "Worauf sollen sich gemeinsame Clusterinitiativen konzentrieren?",
                    "options": [
                        "Internationalisierung",
                        "Übernahme von Innovationen",
                        "Wachstum von KMU",
                        "Kompetenzen",
                        "Interregionale Mobilität und Weiterbildung",
                        "Investitionen in intelligente Spezialisierung",
                    ],
                },
            },
        ),
    )
    create_poll(
        event,
        PollData(
            title="Which partnership story should open next year's event?",
            options=[
                "Going international",
                "Cluster excellence",
                "Smart specialisation investments",
            ],
            kind="single",
            visibility="hidden",
            allow_change=False,
        ),
    )
    _add_richer_polls(event)
    _add_registration_setup(event)
    _add_programme(event)
    _add_questions(event)
    return event


def _add_richer_polls(event: Event) -> None:
    """Prepare one poll of each richer kind, on the questions the partnering day debated."""
    for data in (
        PollData(
            title="Split 100 points of a future call between partnership sizes",
            options=["Bigger partnerships", "Smaller partnerships"],
            kind="points",
            budget=100,
        ),
        PollData(
            title="Rank the priorities for the next joint actions",
            options=["Internationalisation", "Innovation uptake", "Scaling-up of SMEs", "Skills"],
            kind="ranking",
        ),
        PollData(
            title="Adopt the funding mix as the plenary's recommendation?",
            options=[],
            kind="yes_no",
            majority="two_thirds",
            secret=True,
            weighted=True,
        ),
        PollData(
            title="How useful were today's breakouts?",
            options=[],
            kind="rating",
            scale=5,
            scale_low_label="Not useful",
            scale_high_label="Very useful",
            duration=90,
        ),
        PollData(
            title="One word for European cluster cooperation",
            options=[],
            kind="text",
            moderate_answers=True,
        ),
    ):
        create_poll(event, data)


PARTNERSHIPS = [
    "Aerospace and Defence Supply Chains",
    "Agri-Food Smart Farming Alliance",
    "Alpine Sustainable Mobility",
    "Atlantic Blue Economy",
    "Baltic Bioeconomy Partnership",
    "Circular Plastics Europe",
    "Creative Industries Link",
    "Danube Digital Health",
    "Hydrogen Valleys Partnership",
    "Medtech Across Borders",
    "Space Data for Regions",
    "Textile Innovation Network",
    "Tourism Innovation Partnership",
    "Wood and Construction Alliance",
]

# (first name, last name, organisation, country, partnership index or None)
ATTENDEES = [
    ("Ana", "Pereira", "Cluster Norte", "PT", 3),
    ("Jonas", "Berg", "Nordic Bio Cluster", "SE", 4),
    ("Katarzyna", "Nowak", "Silesian Plastics Cluster", "PL", 5),
    ("Luca", "Bianchi", "Lombardy Aerospace", "IT", 0),
    ("Marie", "Dubois", "Pôle Santé Grand Est", "FR", 7),
    ("Pieter", "Janssens", "Flanders Food", "BE", 1),
    ("Eva", "Horváth", "Pannon Textile Cluster", "HU", 11),
    ("Nikos", "Papadakis", "Aegean Tourism Cluster", "GR", 12),
    ("Sanna", "Virtanen", "Wood Finland", "FI", 13),
    ("Tomás", "Ó Briain", "Irish Medtech Network", "IE", 9),
    ("Ingrid", "Hansen", "Hydrogen Norway", "NO", 8),
    ("Mehmet", "Yılmaz", "Istanbul Creative Hub", "TR", None),
]


def _demo_email(first: str, last: str) -> str:
    """Return an ASCII example.org address made from a name."""
    name = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore")
    return name.decode().replace(" ", "") + "@example.org"


def _add_registration_setup(event: Event) -> None:
    """Give the demo partnerships, seats, a question and a few registered attendees."""
    from voting.registration import setup
    from voting.registration.service import RegistrationData, register

    settings = setup.current_settings(event)
    settings.capacity = 130
    settings.contact_email = "organisers@plenum.local"
    settings.retention_days = 90
    # The partnering day's room seats fewer than the whole two-day programme.
    settings.day_capacities = {event.days[1].id: 120}
    setup.update_settings(event, settings)
    setup.set_partnerships(event, "\n".join(PARTNERSHIPS))
    setup.add_question(event, "Will you join the networking dinner?", "yesno", "", False)
    partnerships = {p.name: p.id for p in event.partnerships}
    for first, last, organisation, country, index in ATTENDEES:
        register(
            event,
            RegistrationData(
                first_name=first,
                last_name=last,
                email=_demo_email(first, last),
                organisation=organisation,
                country=country,
                partnership_id=None if index is None else partnerships[PARTNERSHIPS[index]],
                partnership_other="" if index is not None else "Bosphorus Creative Partnership",
                role="Cluster manager",
                day_ids=[day.id for day in event.days],
            ),
            by_staff=True,
        )


# Plenary items of the partnering day: (start, end, title, description).
PLENARY = [
    ("09:00", "09:45", "Opening", "Welcome by the organisers and the executive agency."),
    ("09:45", "11:00", "Partnership stories", "Five partnerships on what worked and what did not."),
    ("14:15", "15:15", "Plenary vote", "The proposals of the breakouts, dot-voted live."),
    ("15:15", "15:45", "Closing", "Next steps for the new generation of cluster initiatives."),
]
# Breakout slots of the partnering day: (start, end, title, how many themes).
BREAKOUT_SLOTS = [("11:15", "12:30", "Breakouts I", 7), ("13:30", "14:15", "Breakouts II", 6)]
ROOMS = ["Sakharov", "Spinelli", "Weiss", "Monnet", "Schuman", "Veil", "Havel"]


def _add_programme(event: Event) -> None:
    """Give the partnering day its plenary items and two breakout slots over the 13 themes."""
    from voting.breakouts import service
    from voting.breakouts.service import SessionData, TimeData

    day = event.days[1].id
    for start, end, title, description in PLENARY:
        service.create_agenda_item(event, TimeData(day, start, end, title, description))
    themes = iter(event.themes)
    for start, end, title, count in BREAKOUT_SLOTS:
        slot = service.create_slot(event, TimeData(day, start, end, title))
        for index in range(count):
            theme = next(themes)
            service.create_session(
                event,
                slot,
                SessionData(theme_id=theme.id, room=ROOMS[index], capacity=15 + (index * 3) % 6),
            )
    service.set_signup_open(event, True)


# Q&A: (question, name typed or "" for anonymous, status, upvotes).
QUESTIONS = [
    (
        "How will the next call balance the funding mix between a few large partnerships "
        "and many smaller ones?",
        "Ana Pereira, Cluster Norte",
        "approved",
        14,
    ),
    (
        "Can SMEs from outside the partnership join our internationalisation missions, "
        "for instance to Japan or Canada?",
        "",
        "approved",
        9,
    ),
    (
        "Once the project ends, what support is left for SMEs that want to scale up "
        "beyond their home region?",
        "Jonas Berg",
        "approved",
        6,
    ),
    (
        "Will the partner search on the European Cluster Collaboration Platform get "
        "matchmaking by value chain?",
        "",
        "answered",
        11,
    ),
    (
        "Could the agency publish the evaluation criteria for joint cluster initiatives "
        "before the call opens?",
        "",
        "pending",
        0,
    ),
]


def _add_questions(event: Event) -> None:
    """Give the demo Q&A a few questions: ranked, one answered, one waiting for a moderator."""
    from voting.events.service import new_participant_id
    from voting.models import Participant, QnaQuestion, QnaStatus, QnaUpvote, utcnow

    # Stored directly rather than through the service: nobody is connected yet to be told.
    voters = [Participant(event_id=event.id, public_id=new_participant_id()) for _ in range(15)]
    db.session.add_all(voters)
    db.session.flush()
    start = utcnow() - dt.timedelta(minutes=len(QUESTIONS) * 7)
    for index, (text, name, status, votes) in enumerate(QUESTIONS):
        asked_at = start + dt.timedelta(minutes=index * 7)
        question = QnaQuestion(
            event_id=event.id,
            text=text,
            participant_id=voters[index].id,
            show_name=bool(name),
            author_name=name,
            status=QnaStatus(status),
            created_at=asked_at,
            answered_at=asked_at + dt.timedelta(minutes=3) if status == "answered" else None,
        )
        db.session.add(question)
        db.session.flush()
        db.session.add_all(
            QnaUpvote(question_id=question.id, participant_id=voter.id) for voter in voters[:votes]
        )
    db.session.commit()


# --- the campaign the partnering day launched ------------------------------------------
# The story's call: national, regional and local cluster events all over Europe for six
# months (November to April), opened by a joint cross-border cluster conference and an
# innovation week. The demo's campaign starts in the current month, as the demo event
# starts today, so its calendar is live whenever the demo is made.

DEMO_CAMPAIGN = "eu-cluster-weeks"
DEMO_CAMPAIGN_ADMIN = "campaigns@plenum.local"
CAMPAIGN_LOGIN_FILE = "demo-campaign-login.txt"
OPENING = "Joint Romanian-Hungarian Cluster Conference"
CAMPAIGN_THEMES = [
    "Internationalisation",
    "Innovation uptake",
    "Scaling up SMEs",
    "Skills",
    "Smart specialisation",
    "Dual-use technologies",
]

# (status, month of the campaign (0 first, None: from today), its day (or days after today),
# days, title, organisation, city, country, format, themes, expected participants, website,
# review note). The first two open the campaign: the opening conference is the demo event.
CAMPAIGN_LISTINGS = [
    (
        "approved",
        None,
        0,
        2,
        OPENING,
        "Romanian and Hungarian cluster associations",
        "Oradea",
        "RO",
        "conference",
        ["Internationalisation", "Scaling up SMEs"],
        300,
        "",
        "",
    ),
    (
        "approved",
        None,
        2,
        5,
        "Future Week Denmark",
        "Cluster Excellence Denmark",
        "Copenhagen",
        "DK",
        "workshop",
        ["Innovation uptake", "Skills"],
        800,
        "https://example.org/future-week",
        "",
    ),
    (
        "approved",
        1,
        11,
        1,
        "Baltic bioeconomy matchmaking day",
        "Baltic Bioeconomy Partnership",
        "Tallinn",
        "EE",
        "matchmaking",
        ["Internationalisation", "Innovation uptake"],
        120,
        "https://example.org/baltic-bioeconomy",
        "",
    ),
    (
        "approved",
        2,
        9,
        2,
        "Aerospace supply chains: regional cluster days",
        "Lombardy Aerospace",
        "Milan",
        "IT",
        "conference",
        ["Dual-use technologies", "Smart specialisation"],
        250,
        "https://example.org/aerospace-days",
        "",
    ),
    (
        "approved",
        3,
        16,
        1,
        "Scaling up across borders: an online clinic for SMEs",
        "Danube Digital Health",
        "Vienna",
        "AT",
        "online",
        ["Scaling up SMEs"],
        400,
        "https://example.org/scale-up-clinic",
        "",
    ),
    (
        "approved",
        4,
        7,
        2,
        "Textile innovation workshop",
        "Pannon Textile Cluster",
        "Győr",
        "HU",
        "workshop",
        ["Innovation uptake", "Skills"],
        60,
        "",
        "",
    ),
    (
        "approved",
        5,
        14,
        1,
        "Hydrogen valleys matchmaking",
        "Hydrogen Norway",
        "Stavanger",
        "NO",
        "matchmaking",
        ["Smart specialisation", "Internationalisation"],
        150,
        "https://example.org/hydrogen-valleys",
        "",
    ),
    (
        "pending",
        2,
        20,
        1,
        "Wood and construction cluster day",
        "Wood Finland",
        "Lahti",
        "FI",
        "conference",
        ["Innovation uptake"],
        90,
        "https://example.org/wood-day",
        "",
    ),
    (
        "changes_requested",
        3,
        5,
        1,
        "Medtech meet-up",
        "Irish Medtech Network",
        "Galway",
        "IE",
        "matchmaking",
        ["Scaling up SMEs"],
        40,
        "",
        "Please add a website with the programme and say whether the meet-up is open to "
        "SMEs from outside Ireland.",
    ),
]


# What each organiser wrote about their event, by title.
CAMPAIGN_DESCRIPTIONS = {
    OPENING: "Cluster managers from both sides of the border open the campaign together: "
    "joint projects, cross-border value chains, and a live vote on next year's priorities.",
    "Future Week Denmark": "A week of open labs, company visits and workshops on how "
    "clusters bring new technologies to small firms.",
    "Baltic bioeconomy matchmaking day": "Pre-booked one-to-one meetings between SMEs, "
    "research centres and clusters of the Baltic Sea region.",
    "Aerospace supply chains: regional cluster days": "Suppliers and primes map the gaps in "
    "their value chains and meet the regions that invest in them.",
    "Scaling up across borders: an online clinic for SMEs": "Two hours online: firms bring "
    "their expansion plans, cluster advisers from five countries answer.",
    "Textile innovation workshop": "Hands-on sessions on recycled fibres and smart textiles "
    "for the region's small manufacturers.",
    "Hydrogen valleys matchmaking": "Project ideas for hydrogen valleys looking for partners, "
    "pitched in five minutes each, then met over coffee.",
    "Wood and construction cluster day": "Timber builders, architects and the cluster on "
    "low-carbon housing.",
    "Medtech meet-up": "An evening for start-ups and hospitals to meet.",
}


def _add_months(month: dt.date, count: int) -> dt.date:
    """Return the first day of the month `count` months after `month` (a first day)."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def create_demo_campaign(today: dt.date | None = None):
    """Create the demo campaign with its listings (once), the opening one linked to EUCP18."""
    from voting.campaigns import service as campaigns
    from voting.errors import NotFound
    from voting.models import Listing, ListingStatus, utcnow

    try:
        return campaigns.find_campaign(DEMO_CAMPAIGN)
    except NotFound:
        pass
    start = today or dt.date.today()
    first = start.replace(day=1)
    campaign = campaigns.create_campaign(
        campaigns.CampaignData(
            slug=DEMO_CAMPAIGN,
            name="EU Cluster Weeks",
            starts_on=first,
            ends_on=_add_months(first, 6) - dt.timedelta(days=1),
            description=(
                "Cluster organisations in every corner of Europe open their doors for six "
                "months: conferences, workshops, matchmaking days and online sessions, run "
                "nationally, regionally or locally, all in one calendar.\n\n"
                "Organising one? Submit it below: once the campaign team has approved it, "
                "it shows here, and it can run its registration, breakouts and live polls "
                "on Plenum."
            ),
            contact_name="EU Cluster Weeks team",
            contact_email="clusterweeks@plenum.local",
            themes=CAMPAIGN_THEMES,
        )
    )
    opening_event = db.session.scalar(select(Event).where(Event.code == DEMO_CODE))
    for (
        status,
        month,
        day,
        days,
        title,
        organisation,
        city,
        country,
        kind,
        themes,
        expected,
        website,
        note,
    ) in CAMPAIGN_LISTINGS:
        if month is None:
            starts_on = start + dt.timedelta(days=day)
        else:
            starts_on = _add_months(first, month) + dt.timedelta(days=day - 1)
        contact = organisation.split()[0]
        values = campaigns.check_listing(
            campaign,
            campaigns.ListingData(
                organisation=organisation,
                contact_name=f"{contact} events team",
                contact_email=_demo_email(contact, "events"),
                title=title,
                starts_on=starts_on,
                ends_on=starts_on + dt.timedelta(days=days - 1),
                city=city,
                country=country,
                format=kind,
                themes=themes,
                expected_participants=expected,
                website=website,
                description=CAMPAIGN_DESCRIPTIONS[title],
            ),
        )
        listing = Listing(
            campaign=campaign,
            status=ListingStatus(status),
            edit_token_hash=campaigns.token_hash(campaigns.new_token()),
            review_note=note,
            reviewed_at=utcnow() if status != "pending" else None,
            **values,
        )
        # The opening conference runs on Plenum: it is the demo event itself.
        if title == OPENING and opening_event is not None:
            listing.event_id = opening_event.id
        # Stored directly rather than reviewed through the service: nobody is to be mailed.
        db.session.add(listing)
    db.session.commit()
    return campaign


def save_login(path: Path, email: str, password: str) -> None:
    """Keep a demo login in a file only its owner may read (it holds a password)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{email}\n{password}\n")


def saved_login(path: Path) -> tuple[str, str] | None:
    """Return the demo login kept in a file, or None once the file is deleted."""
    if not path.exists():
        return None
    email, password = path.read_text().split("\n")[:2]
    return email, password


def ensure_demo_campaign_admin(instance_path: str) -> tuple[str, str] | None:
    """Make the demo campaign's admin account once; return its login while the file is kept."""
    import secrets

    from voting.accounts.service import create_user
    from voting.campaigns.service import add_campaign_admin, find_campaign
    from voting.models import User

    path = Path(instance_path) / CAMPAIGN_LOGIN_FILE
    campaign = find_campaign(DEMO_CAMPAIGN)
    if db.session.scalar(select(User).where(User.email == DEMO_CAMPAIGN_ADMIN)) is None:
        password = secrets.token_urlsafe(9)
        user = create_user(DEMO_CAMPAIGN_ADMIN, password, "campaign_admin")
        add_campaign_admin(campaign, user)
        save_login(path, DEMO_CAMPAIGN_ADMIN, password)
    return saved_login(path)
