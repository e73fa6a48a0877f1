"""Pure tally arithmetic per poll kind: no database, so property tests can drive it."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from voting.models import Majority

# Answers that differ only in case, spacing or surrounding punctuation are one entry.
_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " .,;:!?\"'()[]{}"


def percent(part: float, whole: float) -> int:
    """Return part as a whole-number percentage of whole (0 when whole is 0)."""
    return round(100 * part / whole) if whole else 0


def figure(value: float) -> int | float:
    """Return a tally figure as a whole number when it is one, else to 2 decimals."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def points_summary(allocations: Iterable[tuple], option_ids: list[int], ballots: float):
    """Sum and average the points per option.

    `allocations` are (option id, points, weight) rows; `ballots` is the number of
    ballots (their total weight in weighted polls). The average is over all ballots (an
    option a voter gave nothing counts as 0), so the averages add up to the budget.
    """
    sums = dict.fromkeys(option_ids, 0.0)
    for option_id, points, weight in allocations:
        sums[option_id] += points * weight
    return {
        option_id: {"sum": figure(total), "average": round(total / ballots, 2) if ballots else 0.0}
        for option_id, total in sums.items()
    }


def borda(ranks: Iterable[tuple], option_ids: list[int]):
    """Borda score and average rank per option; `ranks` are (option id, rank, weight) rows.

    With n options, rank r earns n - r points (first place n - 1, last 0), times the
    ballot's weight; the average rank is weighted the same way.
    """
    n = len(option_ids)
    score = dict.fromkeys(option_ids, 0.0)
    rank_sum = dict.fromkeys(option_ids, 0.0)
    times = dict.fromkeys(option_ids, 0.0)
    for option_id, rank, weight in ranks:
        score[option_id] += (n - rank) * weight
        rank_sum[option_id] += rank * weight
        times[option_id] += weight
    return {
        option_id: {
            "borda": figure(score[option_id]),
            "average_rank": round(rank_sum[option_id] / times[option_id], 2)
            if times[option_id]
            else None,
        }
        for option_id in option_ids
    }


def rating_summary(histogram: list[float]) -> dict:
    """Mean and median of a rating scale from its histogram (index 0 is the value 1).

    The histogram holds counts, or total weights in weighted polls.
    """
    total = sum(histogram)
    if not total:
        return {"mean": None, "median": None}
    mean = sum((value + 1) * count for value, count in enumerate(histogram)) / total
    return {"mean": round(mean, 2), "median": weighted_median(histogram)}


def weighted_median(histogram: list[float]) -> float:
    """Return the median value of a histogram (values 1..n) whose bars may be weights.

    Where exactly half the weight lies at or below a value, the median is halfway to
    the next value that has any: with whole counts this is the usual median.
    """
    half = sum(histogram) / 2
    below = 0.0
    for index, weight in enumerate(histogram):
        below += weight
        if math.isclose(below, half, rel_tol=1e-9, abs_tol=1e-12):
            later = next(i for i in range(index + 1, len(histogram)) if histogram[i] > 0)
            return (index + 1 + later + 1) / 2
        if below > half:
            return index + 1
    raise ValueError("empty histogram")


def majority_outcome(yes: int, no: int, rule: Majority) -> str | None:
    """Say whether a yes/no vote passed under its rule: "adopted", "rejected" or None.

    Abstentions are not counted (the usual rule of assemblies: a majority of the votes
    cast for or against); a tie is not a majority.
    """
    if rule == Majority.none:
        return None
    if rule == Majority.simple:
        return "adopted" if yes > no else "rejected"
    return "adopted" if yes + no > 0 and 3 * yes >= 2 * (yes + no) else "rejected"


def normalise_answer(text: str) -> str:
    """Return the form of an answer under which equal answers are counted together."""
    return _SPACES.sub(" ", text).strip(_EDGE_PUNCTUATION).casefold()


def word_cloud(answers: Iterable[str], limit: int = 60) -> list[dict]:
    """Count equal answers (case and spacing aside); the most frequent first.

    Each entry keeps the spelling most people used (edge punctuation aside), so the
    cloud shows what was typed.
    """
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for answer in answers:
        key = normalise_answer(answer)
        if not key:
            continue
        counts[key] += 1
        spelling = _SPACES.sub(" ", answer).strip(_EDGE_PUNCTUATION)
        spellings.setdefault(key, Counter())[spelling] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"text": _usual_spelling(spellings[key]), "count": n} for key, n in ranked]


def _usual_spelling(spellings: Counter[str]) -> str:
    """Return the spelling used most; on a tie the one sorting first (capitals first)."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]


def blocked_word_in(text: str, blocked: Iterable[str]) -> str | None:
    """Return the first blocked word that occurs in text as a whole word, else None."""
    words = set(re.findall(r"\w+", text.casefold()))
    folded = normalise_answer(text)
    for word in blocked:
        target = word.strip().casefold()
        if not target:
            continue
        # Single words match whole words (so "ass" does not block "class"); phrases
        # match as a phrase.
        if (" " in target and target in folded) or target in words:
            return word.strip()
    return None


def parse_blocked_words(text: str) -> list[str]:
    """Split an event's blocked-word setting (one per line or comma-separated)."""
    return [word.strip() for word in re.split(r"[\n,]", text or "") if word.strip()]
