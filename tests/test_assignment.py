"""Preference mode: the assignment solver, the ranking and assignment service, pages and CLI."""

from __future__ import annotations

import itertools
import random

import pytest

from voting.breakouts.assignment import (
    Person,
    Session,
    Weights,
    figures,
    objective,
    solve,
)

COUNTRIES = ("BE", "DE", "FR")
ORGS = ("Alpha", "Beta", "")


# --- the solver -------------------------------------------------------------------------


def random_instance(rng: random.Random, people: int, sessions: int, slots: int = 1):
    """Return random people (some ranking nothing) and sessions with small capacities."""
    rooms = [
        Session(id=10 * slot + i, slot=slot, capacity=rng.randint(0, 3))
        for slot in range(slots)
        for i in range(sessions)
    ]
    crowd = []
    for number in range(people):
        choices = {}
        for slot in range(slots):
            ids = [room.id for room in rooms if room.slot == slot]
            ranked = rng.sample(ids, rng.randint(0, min(3, len(ids))))
            if ranked:
                choices[slot] = tuple(ranked)
        crowd.append(
            Person(
                id=number + 1,
                country=rng.choice(COUNTRIES),
                organisation=rng.choice(ORGS),
                choices=choices,
            )
        )
    return crowd, rooms


def brute_force(people, sessions, weights=None):
    """Return the best objective over every capacity-respecting assignment, slot by slot.

    The objective is a sum over slots and lexicographic order is compatible with
    addition, so the best per slot added up is the best overall.
    """
    best_total = None
    for slot in sorted({s.slot for s in sessions}):
        rooms = [s for s in sessions if s.slot == slot]
        options = [None, *(room.id for room in rooms)]
        best = None
        for picks in itertools.product(options, repeat=len(people)):
            counts = {room.id: picks.count(room.id) for room in rooms}
            if any(counts[room.id] > room.capacity for room in rooms):
                continue
            seats = {(p.id, slot): pick for p, pick in zip(people, picks, strict=True)}
            score = objective(people, sessions, seats, weights)
            best = score if best is None or score < best else best
        best_total = (
            best if best_total is None else tuple(map(sum, zip(best_total, best, strict=True)))
        )
    return best_total


def assert_within_capacity(sessions, seats):
    """Fail if any session has more people than seats."""
    for session in sessions:
        taken = sum(1 for chosen in seats.values() if chosen == session.id)
        assert taken <= session.capacity, (session, taken)


@pytest.mark.parametrize("seed", range(40))
def test_solver_is_optimal_on_small_instances_checked_by_brute_force(seed):
    rng = random.Random(seed)
    people, sessions = random_instance(rng, rng.randint(1, 6), rng.randint(1, 3))
    seats = solve(people, sessions)
    assert_within_capacity(sessions, seats)
    assert objective(people, sessions, seats) == brute_force(people, sessions)


@pytest.mark.parametrize("seed", range(8))
def test_solver_is_optimal_over_two_slots(seed):
    rng = random.Random(1000 + seed)
    people, sessions = random_instance(rng, 5, 2, slots=2)
    seats = solve(people, sessions)
    assert set(seats) == {(p.id, slot) for p in people for slot in (0, 1)}
    assert objective(people, sessions, seats) == brute_force(people, sessions)


@pytest.mark.parametrize("seed", range(10))
def test_more_people_than_seats_leaves_some_out_and_stays_optimal(seed):
    rng = random.Random(2000 + seed)
    sessions = [Session(id=1, slot=0, capacity=2), Session(id=2, slot=0, capacity=1)]
    people, _ = random_instance(rng, 6, 2)
    people = [
        Person(p.id, p.country, p.organisation, {0: tuple(rng.sample([1, 2], rng.randint(0, 2)))})
        for p in people
    ]
    seats = solve(people, sessions)
    assert_within_capacity(sessions, seats)
    assert sum(chosen is None for chosen in seats.values()) == 3
    assert objective(people, sessions, seats) == brute_force(people, sessions)


def test_capacities_never_exceeded_on_larger_instances():
    rng = random.Random(7)
    for _ in range(5):
        people, sessions = random_instance(rng, 60, 5, slots=2)
        seats = solve(people, sessions)
        assert_within_capacity(sessions, seats)
        seated = sum(chosen is not None for chosen in seats.values())
        assert seated == sum(
            min(60, sum(s.capacity for s in sessions if s.slot == slot)) for slot in (0, 1)
        )


def test_nobody_is_left_out_while_a_seat_is_free():
    sessions = [Session(1, 0, 1), Session(2, 0, 5)]
    people = [Person(i, choices={0: (1,)}) for i in range(1, 5)]
    seats = solve(people, sessions)
    assert sorted(seats.values()) == [1, 2, 2, 2]


def test_people_who_ranked_get_seats_before_those_who_did_not():
    sessions = [Session(1, 0, 2)]
    people = [Person(1), Person(2, choices={0: (1,)}), Person(3), Person(4, choices={0: (1,)})]
    seats = solve(people, sessions)
    assert seats == {(1, 0): None, (2, 0): 1, (3, 0): None, (4, 0): 1}


def test_first_choices_come_before_mixing():
    sessions = [Session(1, 0, 2), Session(2, 0, 2)]
    people = [Person(1, "BE", choices={0: (1, 2)}), Person(2, "BE", choices={0: (1, 2)})]
    assert solve(people, sessions) == {(1, 0): 1, (2, 0): 1}


def test_mixing_improves_when_it_costs_no_first_choice():
    sessions = [Session(1, 0, 2), Session(2, 0, 2)]
    # everyone is indifferent: mixing decides; two countries and two organisations
    people = [
        Person(1, "BE", "Alpha"),
        Person(2, "BE", "Alpha"),
        Person(3, "DE", "Beta"),
        Person(4, "DE", "Beta"),
    ]
    seats = solve(people, sessions)
    rooms = [{p.country for p in people if seats[(p.id, 0)] == room} for room in (1, 2)]
    assert rooms == [{"BE", "DE"}, {"BE", "DE"}]
    assert figures(people, sessions, seats).worst_country_share == 0.5


def test_mixing_of_organisations_within_a_country():
    sessions = [Session(1, 0, 2), Session(2, 0, 2)]
    people = [
        Person(1, "BE", "Alpha"),
        Person(2, "BE", "Alpha"),
        Person(3, "BE", "Beta"),
        Person(4, "BE", "Beta"),
    ]
    seats = solve(people, sessions)
    assert seats[(1, 0)] != seats[(2, 0)]
    assert seats[(3, 0)] != seats[(4, 0)]


def test_second_choices_are_mixed_when_firsts_cannot_change():
    # four people rank the same room first, it has two seats: two get it either way; the
    # two others go to their second choice, and mixing decides who they are
    sessions = [Session(1, 0, 2), Session(2, 0, 2)]
    people = [
        Person(i, c, choices={0: (1, 2)}) for i, c in [(1, "BE"), (2, "BE"), (3, "DE"), (4, "DE")]
    ]
    seats = solve(people, sessions)
    result = figures(people, sessions, seats)
    assert result.by_rank == {1: 2, 2: 2}
    assert result.same_country_pairs == 0


def test_solver_is_deterministic_whatever_the_input_order():
    rng = random.Random(3)
    people, sessions = random_instance(rng, 40, 4, slots=2)
    first = solve(people, sessions)
    assert solve(people, sessions) == first
    shuffled = people[:]
    random.Random(4).shuffle(shuffled)
    assert solve(shuffled, list(reversed(sessions))) == first


def test_only_slots_a_person_attends_are_filled():
    sessions = [Session(1, 0, 3), Session(2, 1, 3)]
    people = [Person(1, slots=frozenset({1})), Person(2)]
    assert solve(people, sessions) == {(1, 1): 2, (2, 0): 1, (2, 1): 2}


def test_weights_zero_means_no_mixing_preference():
    sessions = [Session(1, 0, 4)]
    people = [Person(i, "BE", "Alpha") for i in range(1, 5)]
    seats = solve(people, sessions, Weights(country=0, organisation=0))
    assert set(seats.values()) == {1}


@pytest.mark.parametrize(
    ("people", "sessions"),
    [
        ([Person(1), Person(1)], [Session(1, 0, 1)]),
        ([Person(1, choices={0: (2,)})], [Session(1, 0, 1), Session(2, 1, 1)]),
        ([Person(1, choices={0: (1, 1)})], [Session(1, 0, 1)]),
        ([Person(1, choices={0: (9,)})], [Session(1, 0, 1)]),
        ([Person(1)], [Session(1, 0, -1)]),
    ],
)
def test_solver_refuses_inconsistent_input(people, sessions):
    with pytest.raises(ValueError, match=r"."):
        solve(people, sessions)


def test_figures_count_choices_unranked_unassigned_and_mix():
    sessions = [Session(1, 0, 2), Session(2, 0, 2)]
    people = [
        Person(1, "BE", "Alpha", {0: (1, 2)}),
        Person(2, "BE", "Alpha", {0: (1, 2)}),
        Person(3, "DE", "", {0: (2,)}),
        Person(4, "FR", ""),
        Person(5, "FR", "", {0: (1,)}),
    ]
    seats = {(1, 0): 1, (2, 0): 2, (3, 0): 2, (4, 0): 1, (5, 0): None}
    result = figures(people, sessions, seats)
    assert result.places == 5
    assert result.by_rank == {1: 2, 2: 1}
    assert (result.unranked, result.unassigned) == (1, 1)
    assert result.share(result.by_rank[1]) == 0.4
    assert [(r.session_id, r.taken, r.countries) for r in result.rooms] == [(1, 2, 2), (2, 2, 2)]
    assert result.worst_country_share == 0.5
