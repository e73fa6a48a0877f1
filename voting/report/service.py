"""The event report: attendance, every poll's final results, themes, breakouts, the ranking.

One function gathers everything as plain data; the HTML page, the CSV and the JSON dump
are three renderings of it, so they never disagree.
"""

from __future__ import annotations

from sqlalchemy import func, select

from voting.breakouts.outcomes import dot_vote_poll, outcomes
from voting.extensions import db
from voting.models import (
    BreakoutSeat,
    Event,
    IdeaVote,
    PollStatus,
    SeatStatus,
    Theme,
    utcnow,
)
from voting.polls.service import results_payload
from voting.polls.tallies import percent
from voting.registration import service as registration
from voting.registration.countries import country_name


def build_report(event: Event) -> dict:
    """Return the whole report of an event as JSON-ready data."""
    ranking = dot_vote_poll(event.id)
    return {
        "event": {
            "code": event.code,
            "name": event.name,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat(),
            "venue": event.venue,
        },
        "generated_at": utcnow().isoformat(),
        "attendance": _attendance(event),
        "polls": [_poll(poll) for poll in event.polls if poll.status != PollStatus.draft],
        "themes": _themes(event),
        "breakouts": _breakouts(event),
        "ranking": _ranking(ranking) if ranking is not None else None,
    }


def _attendance(event: Event) -> dict:
    """Return the registration and check-in figures (no names)."""
    counts = registration.counts(event)
    return {
        "confirmed": counts["confirmed"],
        "waiting": counts["waiting"],
        "pending": counts["pending"],
        "cancelled": counts["cancelled"],
        "checked_in": counts["checked_in"],
        "by_country": [
            {"country": code, "name": country_name(code) if code else "—", "count": count}
            for code, count in counts["by_country"]
        ],
        "by_partnership": [
            {"name": name, "count": count} for name, count in counts["by_partnership"]
        ],
        "by_day": [
            {"day": day.title, "date": day.date.isoformat(), "count": n}
            for day, n in counts["by_day"]
        ],
    }


# What `count` holds for each kind in the report (the bar's figure).
MEASURES = {"points": "average points", "ranking": "Borda score", "text": "answers"}


def _poll(poll) -> dict:
    """Return a poll's final (or current) results: per option a figure and a share.

    The figure is the count of ballots, or what the kind tallies (average points, Borda
    score; for open text, each answer of the word cloud with how many gave it).
    """
    results = results_payload(poll, staff=True)
    if poll.kind == "text":
        shown = results.get("shown") or 0
        options = [
            {
                "label": entry["text"],
                "count": entry["count"],
                "percent": percent(entry["count"], shown),
            }
            for entry in results.get("cloud", [])
        ]
    else:
        figure = {"points": "average", "ranking": "borda"}.get(str(poll.kind), "count")
        options = [
            {"label": row["label"], "count": row[figure], "percent": row["percent"]}
            for row in results.get("options") or []
        ]
    return {
        "id": poll.id,
        "title": poll.title,
        "kind": str(poll.kind),
        "status": str(poll.status),
        "eligibility": str(poll.eligibility),
        "voters": results["total"],
        "measure": MEASURES.get(str(poll.kind), "weighted votes" if poll.weighted else "votes"),
        "summary": _summary(poll, results),
        "secret": poll.secret,
        "options": options,
    }


def _summary(poll, results: dict) -> str:
    """Return the one-line figure a kind adds to its bars (mean, outcome, answer...)."""
    if poll.kind == "rating" and results.get("mean") is not None:
        return f"mean {results['mean']}, median {results['median']}"
    if poll.kind == "yes_no" and results.get("outcome"):
        rule = "two-thirds" if poll.majority == "two_thirds" else "simple"
        return f"{results['outcome']} ({rule} majority of yes and no)"
    if poll.kind == "quiz":
        right = [row["label"] for row in results.get("options", []) if row.get("correct")]
        return f"correct answer: {', '.join(right)}" if right else ""
    if poll.kind == "points":
        return f"average of {poll.budget} points per voter"
    return ""


def _themes(event: Event) -> list[dict]:
    """Return the themes with the upvotes of the idea they came from."""
    votes = dict(
        db.session.execute(select(IdeaVote.idea_id, func.count()).group_by(IdeaVote.idea_id)).all()
    )
    themes = db.session.scalars(
        select(Theme).where(Theme.event_id == event.id).order_by(Theme.position, Theme.id)
    )
    return [
        {"title": theme.title, "upvotes": votes.get(theme.idea_id, 0) if theme.idea_id else None}
        for theme in themes
    ]


def _breakouts(event: Event) -> list[dict]:
    """Return each breakout with its seats taken and its outcome."""
    taken = dict(
        db.session.execute(
            select(BreakoutSeat.breakout_id, func.count())
            .where(BreakoutSeat.status == SeatStatus.confirmed)
            .group_by(BreakoutSeat.breakout_id)
        ).all()
    )
    return [
        {
            "title": breakout.title,
            "room": breakout.room,
            "capacity": breakout.capacity,
            "participants": taken.get(breakout.id, 0),
            "summary": outcome.summary if outcome else None,
            "proposals": list(outcome.proposals) if outcome else [],
        }
        for breakout, outcome in outcomes(event)
    ]


def _ranking(poll) -> dict:
    """Return the plenary dot-vote's proposals, most supported first."""
    results = _poll(poll)
    results["options"] = sorted(results["options"], key=lambda option: -option["count"])
    return results


def csv_rows(report: dict) -> list[list]:
    """Return every figure of the report as rows: section, item, option, count, percent."""
    rows = [["section", "item", "option", "count", "percent"]]
    attendance = report["attendance"]
    for key in ("confirmed", "waiting", "pending", "cancelled", "checked_in"):
        rows.append(["attendance", key, "", attendance[key], ""])
    rows += [
        ["attendance by country", c["name"], "", c["count"], ""] for c in attendance["by_country"]
    ]
    rows += [["attendance by day", d["day"], "", d["count"], ""] for d in attendance["by_day"]]
    for poll in report["polls"]:
        rows.append(["poll", poll["title"], "(voters)", poll["voters"], ""])
        rows += [
            ["poll", poll["title"], o["label"], o["count"], o["percent"]] for o in poll["options"]
        ]
    rows += [
        ["theme", t["title"], "(upvotes)", t["upvotes"] if t["upvotes"] is not None else "", ""]
        for t in report["themes"]
    ]
    for breakout in report["breakouts"]:
        rows.append(["breakout", breakout["title"], "(participants)", breakout["participants"], ""])
        rows += [
            ["breakout proposal", breakout["title"], text, "", ""] for text in breakout["proposals"]
        ]
    if report["ranking"]:
        rows += [
            ["plenary ranking", o["label"], "", o["count"], o["percent"]]
            for o in report["ranking"]["options"]
        ]
    return rows
