"""Preference mode's assignment: people to breakout sessions, solved as a min-cost flow.

Pure: no database, no Flask. `solve(people, sessions)` returns one session (or none)
per person and slot; `figures(...)` measures any assignment, also one edited by hand.

The model, per slot (slots are independent: a person's choices and a room's mix concern
one slot only):

    person ──choice cost──▶ (session, country, organisation)
           ──k-th of that organisation: (k-1)·w_org──▶ (session, country)
           ──k-th of that country: (k-1)·w_country──▶ session ──capacity──▶ sink
    person ──unassigned cost──▶ sink

Each person sends one unit of flow. The arcs between group nodes are parallel arcs of
capacity 1 with increasing cost, so the k-th person of one country in a room costs
more than the (k-1)-th: the flow fills the cheap arcs first, which makes the penalty
of g people of one group in one room w·g(g-1)/2, i.e. w per pair of people who share
it. That convex cost is what spreads countries and organisations over the rooms. The
organisation level sits inside the country level, which is exact when an organisation
belongs to one country; an organisation spread over countries is mixed per country.
Empty country or organisation values carry no penalty.

The objective is lexicographic, in this order:
1. leave out as few people who ranked sessions as possible (nobody is left out while a
   seat is free: everyone has an arc to every session of the slot),
2. then as few people who ranked nothing (they take the seats the rankers leave),
3. then as many first choices as possible, then top-two, top-three ... choices,
4. then the least same-country and same-organisation pairs per room.
Weights make it exact: each level weighs more than everything below it can add up to
(base n+2 per level over the largest possible mixing penalty), so a first choice is
never traded for mixing. Python's integers keep such weights exact.

Solver: networkx's network simplex, an exact min-cost flow solver, maintained and pure
Python. With integer costs and capacities the optimal flow is integral, so it is a
genuine assignment and optimal for the objective above (the tests check this against
brute force on small instances).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SINK = ("sink",)


@dataclass(frozen=True)
class Person:
    """Someone to seat: id, country, organisation and ranked session ids per slot."""

    id: int
    country: str = ""
    organisation: str = ""
    # slot id -> session ids, first choice first
    choices: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # the slots this person takes part in; None: every slot
    slots: frozenset[int] | None = None

    def attends(self, slot: int) -> bool:
        """Say whether the person takes part in this slot."""
        return self.slots is None or slot in self.slots


@dataclass(frozen=True)
class Session:
    """A breakout session: id, slot and number of seats."""

    id: int
    slot: int
    capacity: int


@dataclass(frozen=True)
class Weights:
    """Relative weight of a same-country pair and of a same-organisation pair in a room."""

    country: int = 2
    organisation: int = 1


@dataclass
class RoomFigures:
    """How full a session is and how mixed: the largest group of one country or organisation."""

    session_id: int
    slot: int
    capacity: int
    taken: int
    top_country: str
    top_country_count: int
    top_organisation: str
    top_organisation_count: int
    countries: int

    @property
    def country_share(self) -> float:
        """Return the share of the room that comes from its most frequent country."""
        return self.top_country_count / self.taken if self.taken else 0.0

    @property
    def organisation_share(self) -> float:
        """Return the share of the room that comes from its most frequent organisation."""
        return self.top_organisation_count / self.taken if self.taken else 0.0


@dataclass
class Figures:
    """Satisfaction and mixing of an assignment, over every person and slot to fill."""

    places: int  # person-slot pairs to fill
    by_rank: dict[int, int]  # choice rank (1 = first) -> how many got it
    unranked: int  # seated in a session they did not rank (or they ranked nothing)
    unassigned: int
    same_country_pairs: int
    same_organisation_pairs: int
    rooms: list[RoomFigures]

    def share(self, count: int) -> float:
        """Return a count as a share of all places."""
        return count / self.places if self.places else 0.0

    @property
    def worst_country_share(self) -> float:
        """Return the largest same-country share of any room of two or more (lower: mixed)."""
        # a room of one is "100% one country" whatever the solver does: leave it out
        return max((r.country_share for r in self.rooms if r.taken > 1), default=0.0)


Seats = dict[tuple[int, int], int | None]  # (person id, slot) -> session id or None


def solve(
    people: Sequence[Person], sessions: Sequence[Session], weights: Weights | None = None
) -> Seats:
    """Return the optimal session (or None) for every person and slot they take part in."""
    weights = weights or Weights()
    _check(people, sessions)
    seats: Seats = {}
    for slot in sorted({session.slot for session in sessions}):
        in_slot = sorted((s for s in sessions if s.slot == slot), key=lambda s: s.id)
        present = sorted((p for p in people if p.attends(slot)), key=lambda p: p.id)
        seats.update(_solve_slot(slot, present, in_slot, weights))
    return seats


def _check(people: Sequence[Person], sessions: Sequence[Session]) -> None:
    """Refuse duplicate ids, negative capacities and choices of unknown or other slots' sessions."""
    if len({p.id for p in people}) != len(people):
        raise ValueError("duplicate person id")
    slot_of = {s.id: s.slot for s in sessions}
    if len(slot_of) != len(sessions) or any(s.capacity < 0 for s in sessions):
        raise ValueError("duplicate session id or negative capacity")
    for person in people:
        for slot, ranked in person.choices.items():
            if len(set(ranked)) != len(ranked) or any(slot_of.get(i) != slot for i in ranked):
                raise ValueError(f"person {person.id}: bad choices for slot {slot}")


def _solve_slot(
    slot: int, people: list[Person], sessions: list[Session], weights: Weights
) -> Seats:
    """Build the flow network of one slot, solve it and read the seats off the flow."""
    if not people:
        return {}
    import networkx as nx  # here, not at the top: ~20 MB that only this needs (voting serve's RSS)

    graph = _network(slot, people, sessions, weights)
    _cost, flow = nx.network_simplex(graph)
    seats: Seats = {}
    via: dict[tuple, list[int]] = {}  # "anywhere" node -> people who went through it
    for person in people:
        seats[(person.id, slot)] = None
        for target, by_key in flow[("person", person.id)].items():
            if target[0] == "group" and any(by_key.values()):
                seats[(person.id, slot)] = target[1]
            elif target[0] == "anywhere" and any(by_key.values()):
                via.setdefault(target, []).append(person.id)
    for node, person_ids in via.items():
        # people of one group are interchangeable past this node: none of these sessions
        # is one they ranked (else the flow would not be optimal), and their group is the same
        units = [
            t[1] for t, by_key in sorted(flow[node].items()) for _ in range(sum(by_key.values()))
        ]
        for person_id, session_id in zip(sorted(person_ids), units, strict=True):
            seats[(person_id, slot)] = session_id
    return seats


def _network(slot: int, people: list[Person], sessions: list[Session], weights: Weights):
    """Return the min-cost flow network of one slot (see the module docstring)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    costs = _Costs(slot, people, sessions, weights)
    graph.add_node(SINK, demand=len(people))
    for person in people:
        node = ("person", person.id)
        graph.add_node(node, demand=-1)
        graph.add_edge(node, SINK, capacity=1, weight=costs.unassigned(person))
        key = (_country(person), _organisation(person))
        ranked = person.choices.get(slot, ())
        for index, session_id in enumerate(ranked):
            group = ("group", session_id, *key)
            graph.add_edge(node, group, capacity=1, weight=costs.rank(person, index))
        # every other session at the one "unranked" cost, through a node shared by the
        # person's group: 1 arc per person instead of one per session (same optimum)
        graph.add_edge(node, ("anywhere", *key), capacity=1, weight=costs.rank(person, None))
    for key in sorted({(_country(p), _organisation(p)) for p in people}):
        for session in sessions:
            graph.add_edge(("anywhere", *key), ("group", session.id, *key), weight=0)
    for session in sessions:
        _add_group_arcs(graph, session, people, weights)
        graph.add_edge(("session", session.id), SINK, capacity=session.capacity, weight=0)
    return graph


def _add_group_arcs(graph, session: Session, people: list[Person], weights: Weights) -> None:
    """Add the increasing-cost parallel arcs: organisation -> country -> session."""
    by_org = Counter((_country(p), _organisation(p)) for p in people)
    for (country, org), size in sorted(by_org.items()):
        source = ("group", session.id, country, org)
        _ladder(
            graph,
            source,
            ("country", session.id, country),
            size,
            session,
            weights.organisation if org else 0,
        )
    by_country = Counter(_country(p) for p in people)
    for country, size in sorted(by_country.items()):
        source = ("country", session.id, country)
        _ladder(
            graph, source, ("session", session.id), size, session, weights.country if country else 0
        )


def _ladder(graph, source, target, size: int, session: Session, weight: int) -> None:
    """Add arcs whose k-th unit costs (k-1)·weight; one plain arc when there is no penalty."""
    steps = min(size, session.capacity)
    if weight == 0 or steps <= 1:
        graph.add_edge(source, target, capacity=steps, weight=0)
        return
    for k in range(steps):
        graph.add_edge(source, target, capacity=1, weight=k * weight)


class _Costs:
    """The lexicographic costs of one slot's outcomes (see the module docstring)."""

    def __init__(self, slot: int, people: list[Person], sessions: list[Session], weights: Weights):
        self.slot = slot
        self.depth = max((len(p.choices.get(slot, ())) for p in people), default=0)
        base = len(people) + 2
        unit = _max_mixing(people, sessions, weights) + 1
        # levels[j] weighs "did not get one of the top j+1 choices"; later levels weigh less
        self.levels = [unit * base ** (self.depth - 1 - j) for j in range(self.depth)]
        self.left_out_silent = unit * base**self.depth
        self.left_out_ranker = unit * base ** (self.depth + 1)

    def rank(self, person: Person, index: int | None) -> int:
        """Return the cost of the person's choice at index (0 = first; None: one not ranked)."""
        if not person.choices.get(self.slot):
            return 0
        return sum(self.levels[: self.depth if index is None else index])

    def unassigned(self, person: Person) -> int:
        """Return the cost of leaving the person without a seat in this slot."""
        if not person.choices.get(self.slot):
            return self.left_out_silent
        return self.left_out_ranker + sum(self.levels)


def _max_mixing(people: Sequence[Person], sessions: Sequence[Session], weights: Weights) -> int:
    """Return an upper bound of the mixing penalty: every room filled by one group."""
    total = 0
    for session in sessions:
        full = min(session.capacity, len(people))
        total += (weights.country + weights.organisation) * full * (full - 1) // 2
    return total


def _country(person: Person) -> str:
    """Return the person's country as a group key ('' = unknown)."""
    return person.country.strip().upper()


def _organisation(person: Person) -> str:
    """Return the person's organisation as a group key, case and spacing ignored."""
    return " ".join(person.organisation.split()).casefold()


def objective(
    people: Sequence[Person],
    sessions: Sequence[Session],
    seats: Seats,
    weights: Weights | None = None,
) -> tuple[int, ...]:
    """Return what solve() minimises, level by level (for tests and comparisons)."""
    weights = weights or Weights()
    depth = max((len(ranked) for p in people for ranked in p.choices.values()), default=0)
    left_out_rankers = left_out_silent = 0
    missed = [0] * depth  # missed[j]: rankers who did not get one of their top j+1
    for (person_id, slot), session_id in seats.items():
        ranked = _by_id(people)[person_id].choices.get(slot, ())
        if session_id is None:
            left_out_rankers += bool(ranked)
            left_out_silent += not ranked
        if not ranked:
            continue
        rank = ranked.index(session_id) if session_id in ranked else depth
        for j in range(depth):
            missed[j] += rank > j
    return (left_out_rankers, left_out_silent, *missed, _mixing(people, seats, weights))


def _by_id(people: Sequence[Person]) -> dict[int, Person]:
    """Index people by id."""
    return {p.id: p for p in people}


def _members(people: Sequence[Person], seats: Seats) -> dict[int, list[Person]]:
    """Return the people seated in each session."""
    index = _by_id(people)
    rooms: dict[int, list[Person]] = {}
    for (person_id, _slot), session_id in sorted(seats.items()):
        if session_id is not None:
            rooms.setdefault(session_id, []).append(index[person_id])
    return rooms


def _pairs(values: Iterable[str]) -> int:
    """Return how many pairs share a value, ignoring empty values."""
    return sum(n * (n - 1) // 2 for value, n in Counter(values).items() if value)


def _mixing(people: Sequence[Person], seats: Seats, weights: Weights) -> int:
    """Return the mixing penalty: weighted same-country and same-organisation pairs."""
    total = 0
    for members in _members(people, seats).values():
        total += weights.country * _pairs(_country(p) for p in members)
        orgs = (f"{_country(p)}\n{_organisation(p)}" if _organisation(p) else "" for p in members)
        total += weights.organisation * _pairs(orgs)
    return total


def figures(people: Sequence[Person], sessions: Sequence[Session], seats: Seats) -> Figures:
    """Measure an assignment: who got which choice, how full and how mixed each room is."""
    index = _by_id(people)
    by_rank: Counter[int] = Counter()
    unranked = unassigned = 0
    for (person_id, slot), session_id in seats.items():
        ranked = index[person_id].choices.get(slot, ())
        if session_id is None:
            unassigned += 1
        elif session_id in ranked:
            by_rank[ranked.index(session_id) + 1] += 1
        else:
            unranked += 1
    members = _members(people, seats)
    rooms = [_room(session, members.get(session.id, [])) for session in sessions]
    return Figures(
        places=len(seats),
        by_rank=dict(sorted(by_rank.items())),
        unranked=unranked,
        unassigned=unassigned,
        same_country_pairs=sum(_pairs(_country(p) for p in m) for m in members.values()),
        same_organisation_pairs=sum(_pairs(_organisation(p) for p in m) for m in members.values()),
        rooms=rooms,
    )


def _room(session: Session, members: list[Person]) -> RoomFigures:
    """Return one session's fill and its largest country and organisation."""
    country, country_n = _most_common(_country(p) for p in members)
    org, org_n = _most_common(p.organisation.strip() for p in members)
    return RoomFigures(
        session_id=session.id,
        slot=session.slot,
        capacity=session.capacity,
        taken=len(members),
        top_country=country,
        top_country_count=country_n,
        top_organisation=org,
        top_organisation_count=org_n,
        countries=len({_country(p) for p in members if _country(p)}),
    )


def _most_common(values: Iterable[str]) -> tuple[str, int]:
    """Return the most frequent non-empty value and its count ('' and 0 when none)."""
    counts = Counter(value for value in values if value)
    if not counts:
        return "", 0
    # ties go to the alphabetically first value, so the figure is stable
    value = min(counts, key=lambda v: (-counts[v], v))
    return value, counts[value]
