"""The event report: attendance, every poll's final results, themes, breakouts, the ranking.

One function gathers everything as plain data; the HTML page, the CSV and the JSON dump
are three renderings of it, so they never disagree. Labels people read (a poll's measure
and summary, the CSV's headings and sections) are in the request's language; JSON keys
and codes are not translated.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
MEASURES = {"points": _l("average points"), "ranking": _l("Borda score"), "text": _l("answers")}


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
        "measure": _measure(poll),
        "summary": _summary(poll, results),
        "secret": poll.secret,
        "options": options,
    }


def _measure(poll) -> str:
    """Return what a poll's bars show, as the reader says it."""
    measure = MEASURES.get(str(poll.kind))
    if measure is not None:
        return str(measure)
    return _("weighted votes") if poll.weighted else _("votes")


def _summary(poll, results: dict) -> str:
    """Return the one-line figure a kind adds to its bars (mean, outcome, answer...)."""
    if poll.kind == "rating" and results.get("mean") is not None:
        return _("mean %(mean)s, median %(median)s", mean=results["mean"], median=results["median"])
    if poll.kind == "yes_no" and results.get("outcome"):
        return _outcome(results["outcome"], two_thirds=poll.majority == "two_thirds")
    if poll.kind == "quiz":
        right = [row["label"] for row in results.get("options", []) if row.get("correct")]
        return _("correct answer: %(answers)s", answers=", ".join(right)) if right else ""
    if poll.kind == "points":
        return _("average of %(points)d points per voter", points=poll.budget)
    return ""


def _outcome(outcome: str, *, two_thirds: bool) -> str:
    """Return a yes/no poll's outcome ("adopted" or "rejected") with its majority rule."""
    if two_thirds:
        if outcome == "adopted":
            return _("adopted (two-thirds majority of yes and no)")
        return _("rejected (two-thirds majority of yes and no)")
    if outcome == "adopted":
        return _("adopted (simple majority of yes and no)")
    return _("rejected (simple majority of yes and no)")


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


def _attendance_labels() -> dict[str, str]:
    """Return the attendance figures' names as the CSV shows them, in the request's language."""
    return {
        "confirmed": _("confirmed"),
        "waiting": _("waiting"),
        "pending": _("pending"),
        "cancelled": _("cancelled"),
        "checked_in": _("checked_in"),
    }


def csv_rows(report: dict) -> list[list]:
    """Return every figure of the report as rows: section, item, option, count, percent.

    The headings and section names are in the request's language.
    """
    rows = [[_("section"), _("item"), _("option"), _("count"), _("percent")]]
    attendance = report["attendance"]
    section = _("attendance")
    for key, label in _attendance_labels().items():
        rows.append([section, label, "", attendance[key], ""])
    section = _("attendance by country")
    rows += [[section, c["name"], "", c["count"], ""] for c in attendance["by_country"]]
    section = _("attendance by day")
    rows += [[section, d["day"], "", d["count"], ""] for d in attendance["by_day"]]
    section = _("poll")
    for poll in report["polls"]:
        rows.append([section, poll["title"], _("(voters)"), poll["voters"], ""])
        rows += [
            [section, poll["title"], o["label"], o["count"], o["percent"]] for o in poll["options"]
        ]
    section, upvotes = _("theme"), _("(upvotes)")
    rows += [
        [section, t["title"], upvotes, t["upvotes"] if t["upvotes"] is not None else "", ""]
        for t in report["themes"]
    ]
    section, proposal = _("breakout"), _("breakout proposal")
    for breakout in report["breakouts"]:
        rows.append([section, breakout["title"], _("(participants)"), breakout["participants"], ""])
        rows += [[proposal, breakout["title"], text, "", ""] for text in breakout["proposals"]]
    if report["ranking"]:
        section = _("plenary ranking")
        rows += [
            [section, o["label"], "", o["count"], o["percent"]]
            for o in report["ranking"]["options"]
        ]
    return rows
