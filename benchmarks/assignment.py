"""Time the breakout assignment solver on conference-sized instances (no server, no database).

python benchmarks/assignment.py            # 120 and 1,000 people, 13 sessions x 2 slots
python benchmarks/assignment.py 500 2000   # other sizes
"""

from __future__ import annotations

import random
import sys
import time

from voting.breakouts.assignment import Person, Session, figures, solve

COUNTRIES = ("BE", "DE", "FR", "IT", "ES", "NL", "PL", "AT", "SE", "DK", "PT", "CZ")
SESSIONS_PER_SLOT = 13
SLOTS = 2


def instance(people: int, seed: int = 1) -> tuple[list[Person], list[Session]]:
    """Return people ranking 3 sessions per slot (popular themes skewed) and sessions with spare seats."""
    rng = random.Random(seed)
    seats = -(-people // SESSIONS_PER_SLOT) + 2  # a little more room than people
    sessions = [
        Session(id=slot * 100 + i, slot=slot, capacity=seats)
        for slot in range(SLOTS)
        for i in range(SESSIONS_PER_SLOT)
    ]
    popularity = [1 / (k + 1) for k in range(SESSIONS_PER_SLOT)]  # Zipf: a few themes draw most
    crowd = []
    for number in range(people):
        choices = {}
        for slot in range(SLOTS):
            ids = [s.id for s in sessions if s.slot == slot]
            ranked: list[int] = []
            while len(ranked) < 3:
                pick = rng.choices(ids, popularity)[0]
                if pick not in ranked:
                    ranked.append(pick)
            choices[slot] = tuple(ranked)
        country = rng.choice(COUNTRIES)
        organisation = f"{country}-{rng.randrange(8)}"
        crowd.append(Person(number, country, organisation, choices))
    return crowd, sessions


def run(people: int) -> None:
    """Solve one instance and print its time and figures."""
    crowd, sessions = instance(people)
    started = time.perf_counter()
    seats = solve(crowd, sessions)
    elapsed = time.perf_counter() - started
    result = figures(crowd, sessions, seats)
    shares = ", ".join(f"{rank}: {result.share(n):.0%}" for rank, n in result.by_rank.items())
    print(
        f"{people} people x {SESSIONS_PER_SLOT} sessions x {SLOTS} slots: {elapsed:.2f} s; "
        f"choices {shares}; unranked {result.share(result.unranked):.0%}, "
        f"unassigned {result.unassigned}; largest same-country share "
        f"{result.worst_country_share:.0%}"
    )


if __name__ == "__main__":
    for size in [int(arg) for arg in sys.argv[1:]] or [120, 1000]:
        run(size)
