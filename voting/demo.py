"""The demo event: a partnering day of European cluster partnerships (code EUCP18)."""

from __future__ import annotations

import datetime as dt

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
        ),
        EventDay(
            date=start + dt.timedelta(days=1),
            title="Partnering day",
            description="Partnership stories, breakouts on the burning themes and live votes.",
        ),
    ]
    event.themes = [Theme(title=title, position=i) for i, title in enumerate(THEMES, start=1)]
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
    return event
