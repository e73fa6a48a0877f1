"""Property tests (Hypothesis) of the tally arithmetic in voting.polls.tallies."""

from __future__ import annotations

import itertools
import statistics

from hypothesis import given
from hypothesis import strategies as st

from voting.models import Majority
from voting.polls import tallies

OPTION_IDS = st.lists(st.integers(1, 10_000), min_size=2, max_size=8, unique=True)


@st.composite
def allocations(draw):
    """Options, a budget and ballots that each split the budget across the options."""
    option_ids = draw(OPTION_IDS)
    budget = draw(st.integers(1, 1000))
    ballots = []
    for _ in range(draw(st.integers(0, 30))):
        cuts = sorted(
            draw(
                st.lists(
                    st.integers(0, budget),
                    min_size=len(option_ids) - 1,
                    max_size=len(option_ids) - 1,
                )
            )
        )
        parts = [b - a for a, b in itertools.pairwise([0, *cuts, budget])]
        ballots.append(dict(zip(option_ids, parts, strict=True)))
    return option_ids, budget, ballots


@given(allocations())
def test_point_averages_add_up_to_the_budget(case):
    option_ids, budget, ballots = case
    rows = [(oid, n, 1.0) for ballot in ballots for oid, n in ballot.items() if n]
    summary = tallies.points_summary(rows, option_ids, len(ballots))
    assert sum(entry["sum"] for entry in summary.values()) == budget * len(ballots)
    if ballots:
        total = sum(entry["average"] for entry in summary.values())
        assert abs(total - budget) <= 0.005 * len(option_ids) + 1e-9
    assert all(entry["sum"] >= 0 for entry in summary.values())


@st.composite
def rankings(draw):
    """Options and ballots that each order all of them."""
    option_ids = draw(OPTION_IDS)
    ballots = [draw(st.permutations(option_ids)) for _ in range(draw(st.integers(0, 25)))]
    return option_ids, ballots


@given(rankings())
def test_borda_scores_sum_to_the_points_handed_out(case):
    option_ids, ballots = case
    n = len(option_ids)
    rows = [(oid, rank, 1) for ballot in ballots for rank, oid in enumerate(ballot, start=1)]
    summary = tallies.borda(rows, option_ids)
    assert sum(entry["borda"] for entry in summary.values()) == len(ballots) * n * (n - 1) // 2
    for oid in option_ids:
        ranks = [ballot.index(oid) + 1 for ballot in ballots]
        expected = round(sum(ranks) / len(ranks), 2) if ranks else None
        assert summary[oid]["average_rank"] == expected
        # Borda and average rank say the same: score = ballots x (n - average rank).
        if ranks:
            assert summary[oid]["borda"] == sum(n - r for r in ranks)


@given(rankings())
def test_an_option_everyone_ranks_first_wins(case):
    option_ids, ballots = case
    favourite = option_ids[0]
    ballots = [[favourite, *[o for o in ballot if o != favourite]] for ballot in ballots]
    rows = [(oid, rank, 1) for ballot in ballots for rank, oid in enumerate(ballot, start=1)]
    summary = tallies.borda(rows, option_ids)
    best = max(entry["borda"] for entry in summary.values())
    assert summary[favourite]["borda"] == best


@given(st.lists(st.integers(0, 50), min_size=2, max_size=10))
def test_rating_mean_and_median_match_the_raw_values(histogram):
    values = [v + 1 for v, count in enumerate(histogram) for _ in range(count)]
    summary = tallies.rating_summary(histogram)
    if not values:
        assert summary == {"mean": None, "median": None}
        return
    assert summary["mean"] == round(statistics.mean(values), 2)
    assert summary["median"] == statistics.median(values)
    assert 1 <= summary["mean"] <= len(histogram)


@given(st.integers(0, 500), st.integers(0, 500))
def test_majorities(yes, no):
    assert tallies.majority_outcome(yes, no, Majority.none) is None
    simple = tallies.majority_outcome(yes, no, Majority.simple)
    assert simple == ("adopted" if yes > no else "rejected")
    two_thirds = tallies.majority_outcome(yes, no, Majority.two_thirds)
    if two_thirds == "adopted":
        assert 3 * yes >= 2 * (yes + no)
        assert yes > 0
        assert simple == "adopted" or yes == no == 0
    else:
        assert 3 * yes < 2 * (yes + no) or yes + no == 0


@given(st.lists(st.text(max_size=20), max_size=40))
def test_word_cloud_counts_every_non_empty_answer_once(answers):
    cloud = tallies.word_cloud(answers, limit=1000)
    counted = [a for a in answers if tallies.normalise_answer(a)]
    assert sum(entry["count"] for entry in cloud) == len(counted)
    keys = [tallies.normalise_answer(entry["text"]) for entry in cloud]
    assert len(keys) == len(set(keys))
    assert [e["count"] for e in cloud] == sorted((e["count"] for e in cloud), reverse=True)


@given(st.text(max_size=60), st.lists(st.text(min_size=1, max_size=10), max_size=5))
def test_blocked_word_found_is_one_of_the_list(text, blocked):
    found = tallies.blocked_word_in(text, blocked)
    assert found is None or found in [w.strip() for w in blocked]


@given(st.lists(st.integers(0, 50), min_size=2, max_size=10), st.integers(1, 7))
def test_weights_scale_every_figure_alike(histogram, factor):
    """Giving every ballot the same weight changes no mean, median or share."""
    plain = tallies.rating_summary(histogram)
    weighted = tallies.rating_summary([count * factor / 3 for count in histogram])
    assert weighted["median"] == plain["median"]
    if plain["mean"] is not None:
        assert abs(weighted["mean"] - plain["mean"]) < 0.011


@given(rankings(), st.lists(st.floats(0.1, 5), min_size=25, max_size=25))
def test_weighted_borda_is_the_weighted_sum_of_places(case, weights):
    option_ids, ballots = case
    n = len(option_ids)
    rows = [
        (oid, rank, weights[i])
        for i, ballot in enumerate(ballots)
        for rank, oid in enumerate(ballot, start=1)
    ]
    summary = tallies.borda(rows, option_ids)
    total = sum(entry["borda"] for entry in summary.values())
    expected = sum(weights[: len(ballots)]) * n * (n - 1) / 2
    assert abs(total - expected) <= 0.01 * n + 1e-6
