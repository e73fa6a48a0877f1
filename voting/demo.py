"""The demo event: a partnering day of European cluster partnerships (code EUCP18)."""

from __future__ import annotations

import datetime as dt
import unicodedata

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
