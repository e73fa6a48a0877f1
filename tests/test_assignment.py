"""Preference mode: the assignment solver, the ranking and assignment service, pages and CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from, events_named
from voting.breakouts import preferences
from voting.breakouts.assignment import (
    Person,
    Session,
    Weights,
    figures,
    objective,
    solve,
)
from voting.errors import Conflict, Forbidden, InvalidInput, NotFound
from voting.extensions import db
from voting.models import (
    AccessLog,
    Breakout,
    BreakoutMode,
    BreakoutPreference,
    BreakoutSeat,
    EventDay,
    RegistrationStatus,
    SeatStatus,
    Slot,
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


# --- the service: rankings, preview, adjust, publish -------------------------------------


@pytest.fixture
def conference(make_event):
    """An event in preference mode, ranking open: two slots of three sessions (2 seats each)."""
    event = make_event("PREF", name="Preference day")
    event.breakout_mode = BreakoutMode.preference
    event.breakout_signup_open = True
    day = EventDay(date=dt.date.today(), title="Day one")
    event.days = [day]
    db.session.flush()
    for hour, name in ((10, "Morning"), (14, "Afternoon")):
        slot = Slot(
            event_id=event.id,
            day_id=day.id,
            starts_at=dt.time(hour),
            ends_at=dt.time(hour + 1),
            title=name,
        )
        slot.breakouts = [
            Breakout(event_id=event.id, title=f"{name} {letter}", room=f"R{letter}", capacity=2)
            for letter in "ABC"
        ]
        db.session.add(slot)
    db.session.commit()
    return event


def sessions_of(event):
    """Return {slot title: [breakouts]} of the event."""
    return {slot.title: list(slot.breakouts) for slot in preferences.slots_of(event)}


def preference_rows(registration):
    """Return the stored ranking rows of an attendee as (slot, rank, breakout)."""
    rows = db.session.scalars(
        select(BreakoutPreference).where(BreakoutPreference.registration_id == registration.id)
    )
    return sorted((r.slot_id, r.rank, r.breakout_id) for r in rows)


def seat_rows(event):
    """Return every seat of the event as (registration, breakout, status)."""
    rows = db.session.scalars(
        select(BreakoutSeat).join(Breakout).where(Breakout.event_id == event.id)
    )
    return sorted((s.registration_id, s.breakout_id, s.status.value) for s in rows)


def test_save_ranking_replaces_the_previous_one(conference, make_registration):
    ada, _ = make_registration(conference)
    morning = sessions_of(conference)["Morning"]
    slot = morning[0].slot_id
    preferences.save_ranking(conference, ada, {slot: [morning[0].id, morning[1].id]})
    preferences.save_ranking(conference, ada, {slot: [str(morning[2].id), None, None]})
    assert preferences.ranking_of(ada) == {slot: [morning[2].id]}
    assert preference_rows(ada) == [(slot, 1, morning[2].id)]


@pytest.mark.parametrize(
    ("picks", "code"),
    [
        (lambda m, a: {m[0].slot_id: [m[0].id, m[0].id]}, "repeated_choice"),
        (lambda m, a: {m[0].slot_id: [a[0].id]}, "unknown_breakout"),
        (lambda m, a: {m[0].slot_id: [None, m[0].id]}, "gap_in_ranking"),
        (lambda m, a: {m[0].slot_id: ["x"]}, "unknown_breakout"),
        (lambda m, a: {m[0].slot_id: [m[0].id, m[1].id, m[2].id, m[0].id]}, "too_many_choices"),
        (lambda m, a: {999999: [m[0].id]}, "unknown_slot"),
    ],
)
def test_bad_rankings_are_refused_and_change_nothing(conference, make_registration, picks, code):
    ada, _ = make_registration(conference)
    found = sessions_of(conference)
    morning, afternoon = found["Morning"], found["Afternoon"]
    preferences.save_ranking(conference, ada, {morning[0].slot_id: [morning[1].id]})
    with pytest.raises(InvalidInput) as error:
        preferences.save_ranking(conference, ada, picks(morning, afternoon))
    assert error.value.code == code
    assert preference_rows(ada) == [(morning[0].slot_id, 1, morning[1].id)]


def test_whole_ranking_is_refused_if_one_slot_is_wrong(conference, make_registration):
    ada, _ = make_registration(conference)
    found = sessions_of(conference)
    morning, afternoon = found["Morning"], found["Afternoon"]
    with pytest.raises(InvalidInput):
        preferences.save_ranking(
            conference,
            ada,
            {morning[0].slot_id: [morning[0].id], afternoon[0].slot_id: [morning[1].id]},
        )
    assert preference_rows(ada) == []


def test_only_confirmed_attendees_rank_in_preference_mode_while_open(
    conference, make_registration, make_event
):
    morning = sessions_of(conference)["Morning"]
    choice = {morning[0].slot_id: [morning[0].id]}
    waiting, _ = make_registration(conference, status=RegistrationStatus.waiting)
    with pytest.raises(Forbidden):
        preferences.save_ranking(conference, waiting, choice)
    stranger, _ = make_registration(make_event("OTHER"))
    with pytest.raises(Forbidden):
        preferences.save_ranking(conference, stranger, choice)
    ada, _ = make_registration(conference)
    conference.breakout_signup_open = False
    db.session.commit()
    with pytest.raises(Conflict):
        preferences.save_ranking(conference, ada, choice)
    conference.breakout_signup_open = True
    conference.breakout_mode = BreakoutMode.signup
    db.session.commit()
    with pytest.raises(Conflict):
        preferences.save_ranking(conference, ada, choice)
    assert preference_rows(ada) == []


def rank_everyone(event, people, picks):
    """Store rankings: picks[i] = (morning letters, afternoon letters) for people[i]."""
    found = sessions_of(event)
    for person, (am, pm) in zip(people, picks, strict=True):
        ranking = {}
        for slot, letters in (("Morning", am), ("Afternoon", pm)):
            ids = [found[slot]["ABC".index(letter)].id for letter in letters]
            ranking[found[slot][0].slot_id] = ids
        preferences.save_ranking(event, person, ranking)


def test_preview_stores_proposals_that_attendees_do_not_see(conference, make_registration):
    people = [make_registration(conference, country=c)[0] for c in ("BE", "BE", "DE", "FR")]
    rank_everyone(conference, people, [("AB", "C"), ("AB", "C"), ("A", "CB"), ("BA", "")])
    result = preferences.preview(conference)
    assert result.figures.places == 8
    assert result.figures.unassigned == 0
    statuses = {status for _, _, status in seat_rows(conference)}
    assert statuses == {"proposed"}
    assert len(seat_rows(conference)) == 8
    assert all(preferences.published_seats(p) == [] for p in people)
    # a second preview replaces the first, it does not add to it
    preferences.preview(conference)
    assert len(seat_rows(conference)) == 8


def test_preview_never_fills_a_room_beyond_capacity(conference, make_registration):
    people = [make_registration(conference)[0] for _ in range(8)]
    rank_everyone(conference, people, [("A", "A")] * 8)
    result = preferences.preview(conference)
    # 6 seats per slot for 8 people: two left out in each slot
    assert result.figures.unassigned == 4
    assert result.figures.by_rank == {1: 4}
    for breakout in [b for group in sessions_of(conference).values() for b in group]:
        assert sum(1 for _, b, _ in seat_rows(conference) if b == breakout.id) <= 2


def test_move_adjusts_a_proposal_and_refuses_a_full_room(conference, make_registration):
    people = [make_registration(conference)[0] for _ in range(4)]
    rank_everyone(conference, people, [("A", "A")] * 4)
    preferences.preview(conference)
    morning = sessions_of(conference)["Morning"]
    in_b = [r for r, b, _ in seat_rows(conference) if b == morning[1].id]
    in_a = [r for r, b, _ in seat_rows(conference) if b == morning[0].id]
    with pytest.raises(Conflict) as error:
        preferences.move(conference, in_b[0], morning[0].id)  # A is full
    assert error.value.code == "full"
    seat = preferences.move(conference, in_a[0], morning[2].id)
    assert seat.breakout_id == morning[2].id
    assert preferences.current(conference).figures.by_rank == {1: 3}
    with pytest.raises(NotFound):
        preferences.move(conference, in_a[0], 999999)
    with pytest.raises(NotFound):
        preferences.move(conference, 999999, morning[0].id)


def test_publish_confirms_and_attendees_then_see_their_sessions(conference, make_registration):
    people = [make_registration(conference)[0] for _ in range(3)]
    rank_everyone(conference, people, [("A", "B"), ("B", "C"), ("C", "A")])
    with pytest.raises(Conflict):
        preferences.publish(conference)  # nothing proposed yet
    preferences.preview(conference)
    assert preferences.publish(conference) == 6
    assert conference.assignment_published_at is not None
    assert {status for _, _, status in seat_rows(conference)} == {"confirmed"}
    titles = [seat.breakout.title for seat in preferences.published_seats(people[0])]
    assert titles == ["Morning A", "Afternoon B"]
    # published seats are only replaced when a re-run is asked for
    with pytest.raises(Conflict):
        preferences.preview(conference)
    with pytest.raises(Conflict):
        preferences.save_ranking(conference, people[0], {})
    # a published seat can still be moved by hand, and stays confirmed
    morning = sessions_of(conference)["Morning"]
    seat = preferences.move(conference, people[0].id, morning[1].id)
    assert (seat.breakout_id, seat.status) == (morning[1].id, SeatStatus.confirmed)
    titles = [seat.breakout.title for seat in preferences.published_seats(people[0])]
    assert titles == ["Morning B", "Afternoon B"]
    preferences.preview(conference, rerun=True)
    assert conference.assignment_published_at is None
    assert {status for _, _, status in seat_rows(conference)} == {"proposed"}
    assert preferences.published_seats(people[0]) == []


def attendee_socket(app, socket_for, event, token):
    """Return a phone's socket on the sessions page, signed in by the personal link, joined."""
    client = app.test_client()
    sign_in_attendee(client, event, token)
    sock = socket_for(client, f"/e/{event.code}/breakouts")
    ack = sock.emit("join_breakouts", {"event": event.code}, callback=True)
    assert ack["ok"] is True
    return sock, ack


def test_published_assignment_reaches_each_phone_live_and_only_its_own(
    app, conference, make_registration, socket_for
):
    signed = [make_registration(conference, first_name=f"P{i}") for i in range(3)]
    people = [registration for registration, _ in signed]
    rank_everyone(conference, people, [("A", "B"), ("B", "C"), ("C", "A")])
    phones = []
    for _, token in signed:
        sock, ack = attendee_socket(app, socket_for, conference, token)
        assert ack["mine"]["published"] is False
        assert ack["mine"]["sessions"] == []
        phones.append(sock)
    anonymous = socket_for(app.test_client(), "/e/PREF/breakouts")
    ack = anonymous.emit("join_breakouts", {"event": "PREF"}, callback=True)
    assert ack["ok"] is True
    assert ack["mine"] is None

    preferences.preview(conference)  # a proposal: nobody hears of it
    assert all(events_named(sock, "my_breakouts") == [] for sock in [*phones, anonymous])

    preferences.publish(conference)
    expected = [
        ["Morning A", "Afternoon B"],
        ["Morning B", "Afternoon C"],
        ["Morning C", "Afternoon A"],
    ]
    for sock, titles in zip(phones, expected, strict=True):
        received = sock.get_received()
        (mine,) = [m["args"][0] for m in received if m["name"] == "my_breakouts"]
        assert mine["published"] is True
        assert [s["title"] for s in mine["sessions"]] == titles
        assert {s["status"] for s in mine["sessions"]} == {"confirmed"}
        assert [s["room"] for s in mine["sessions"]] == ["R" + title[-1] for title in titles]
        assert set(mine["sessions"][0]) == {
            "id",
            "slot_id",
            "title",
            "titles",
            "room",
            "date",
            "day",
            "starts",
            "ends",
            "status",
            "position",
        }
        # the public figures follow too: every session now has one seat taken
        (seats,) = [m["args"][0] for m in received if m["name"] == "breakout_seats"]
        assert {s["taken"] for s in seats["sessions"]} == {1}
    assert events_named(anonymous, "my_breakouts") == []  # no one's sessions reach others

    # Adjusting a published seat tells that attendee, and nobody else, at once.
    morning = sessions_of(conference)["Morning"]
    preferences.move(conference, people[0].id, morning[1].id)
    (mine,) = events_named(phones[0], "my_breakouts")
    assert [s["title"] for s in mine["sessions"]] == ["Morning B", "Afternoon B"]
    assert events_named(phones[1], "my_breakouts") == []
    assert events_named(anonymous, "my_breakouts") == []

    # A re-run withdraws the published seats from every phone until the next publish.
    preferences.preview(conference, rerun=True)
    for sock in phones:
        (mine,) = events_named(sock, "my_breakouts")
        assert (mine["published"], mine["sessions"]) == (False, [])

    # A reconnecting phone gets its sessions in the join ack.
    preferences.publish(conference)
    ack = phones[2].emit("join_breakouts", {"event": "PREF"}, callback=True)
    assert [s["title"] for s in ack["mine"]["sessions"]] == expected[2]


def test_attendee_pages_carry_the_live_sessions_box(conference, make_registration, client):
    ada, token = make_registration(conference)
    rank_everyone(conference, [ada], [("B", "C")])
    conference.breakout_signup_open = False  # ranking closed: the personal page hides the card
    db.session.commit()
    sign_in_attendee(client, conference, token)
    me = client.get("/e/PREF/me").get_data(as_text=True)
    assert re.search(r'<section [^>]*data-my-sessions data-event="PREF"[^>]*\shidden>', me)
    assert 'data-session-url="/e/PREF/breakouts/"' in me
    assert "js/breakouts.js" in me
    sessions = client.get("/e/PREF/breakouts").get_data(as_text=True)
    assert re.search(r'<section class="card my-card"[^>]*data-my-sessions[^>]*\shidden>', sessions)
    preferences.preview(conference)
    preferences.publish(conference)
    for url in ("/e/PREF/me", "/e/PREF/breakouts"):
        page = client.get(url).get_data(as_text=True)
        titles = re.findall(r'<li data-my-session="\d+"><a href="[^"]+">([^<]+)</a>', page)
        assert titles == ["Morning B", "Afternoon C"], url
        assert not re.search(r"<section [^>]*data-my-sessions[^>]*\shidden>", page), url


def test_staff_publish_over_http_pushes_to_the_phone(
    app, conference, make_registration, make_user, login, client, socket_for
):
    ada, token = make_registration(conference)
    rank_everyone(conference, [ada], [("B", "C")])
    phone, _ = attendee_socket(app, socket_for, conference, token)
    login(client, make_user("admin"))
    csrf = csrf_from(client.get("/manage/PREF/breakouts/assignment").get_data(as_text=True))
    assert (
        client.post(
            "/manage/PREF/breakouts/assignment/preview", data={"csrf_token": csrf}
        ).status_code
        == 303
    )
    assert events_named(phone, "my_breakouts") == []
    assert (
        client.post(
            "/manage/PREF/breakouts/assignment/publish", data={"csrf_token": csrf}
        ).status_code
        == 303
    )
    (mine,) = events_named(phone, "my_breakouts")
    assert [s["title"] for s in mine["sessions"]] == ["Morning B", "Afternoon C"]


def test_preview_mixes_countries_in_each_room(conference, make_registration):
    countries = ["BE", "BE", "BE", "DE", "DE", "DE"]
    people = [make_registration(conference, country=c, organisation=c)[0] for c in countries]
    rank_everyone(conference, people, [("", "")] * 6)
    result = preferences.preview(conference)
    assert result.figures.worst_country_share == 0.5


def test_preview_requires_preference_mode_and_sessions(conference, make_event):
    conference.breakout_mode = BreakoutMode.signup
    db.session.commit()
    with pytest.raises(Conflict):
        preferences.preview(conference)
    empty = make_event("EMPTY")
    empty.breakout_mode = BreakoutMode.preference
    db.session.commit()
    with pytest.raises(Conflict):
        preferences.plan(empty)


# --- the pages --------------------------------------------------------------------------


def sign_in_attendee(client, event, token):
    """Open the personal link with the client, as an attendee's phone does."""
    assert client.get(f"/e/{event.code}/r/{token}").status_code in (302, 303)


def rank_form(csrf, morning, afternoon=()):
    """Return the rank page's form data: the given ids as 1st, 2nd ... choices."""
    data = {"csrf_token": csrf}
    for slot_choices in (morning, afternoon):
        for rank, breakout in enumerate(slot_choices, start=1):
            data[f"slot-{breakout.slot_id}-{rank}"] = str(breakout.id)
    return data


def test_attendee_ranks_on_the_rank_page(conference, make_registration, client, page_token):
    ada, token = make_registration(conference)
    found = sessions_of(conference)
    sign_in_attendee(client, conference, token)
    page = client.get("/e/PREF/breakouts/rank").get_data(as_text=True)
    assert '<label for="slot-' in page
    assert "1st choice" in page
    csrf = page_token(client, "/e/PREF/breakouts/rank")
    morning = found["Morning"]
    response = client.post(
        "/e/PREF/breakouts/rank",
        data=rank_form(csrf, [morning[2], morning[0]], found["Afternoon"][:1]),
    )
    assert response.status_code == 303
    assert preferences.ranking_of(ada)[morning[0].slot_id] == [morning[2].id, morning[0].id]
    page = client.get("/e/PREF/breakouts/rank").get_data(as_text=True)
    assert f'<option value="{morning[2].id}" selected>' in page


def test_rank_page_refuses_bad_input_and_keeps_the_ranking(
    conference, make_registration, client, page_token
):
    ada, token = make_registration(conference)
    morning = sessions_of(conference)["Morning"]
    preferences.save_ranking(conference, ada, {morning[0].slot_id: [morning[1].id]})
    sign_in_attendee(client, conference, token)
    csrf = page_token(client, "/e/PREF/breakouts/rank")
    repeated = rank_form(csrf, [morning[0], morning[0]])
    assert client.post("/e/PREF/breakouts/rank", data=repeated).status_code == 400
    other_slot = rank_form(csrf, [sessions_of(conference)["Afternoon"][0]])
    other_slot = {
        k.replace(str(other_slot_id(conference)), str(morning[0].slot_id)): v
        for k, v in other_slot.items()
    }
    assert client.post("/e/PREF/breakouts/rank", data=other_slot).status_code == 400
    no_csrf = rank_form("", [morning[2]])
    assert client.post("/e/PREF/breakouts/rank", data=no_csrf).status_code == 400
    assert preferences.ranking_of(ada) == {morning[0].slot_id: [morning[1].id]}


def other_slot_id(event):
    """Return the afternoon slot's id."""
    return sessions_of(event)["Afternoon"][0].slot_id


def test_rank_page_without_sign_in_or_in_signup_mode(conference, client, make_event):
    response = client.get("/e/PREF/breakouts/rank")
    assert response.status_code == 403
    assert "personal link" in response.get_data(as_text=True)
    csrf = csrf_from(response.get_data(as_text=True))
    morning = sessions_of(conference)["Morning"]
    response = client.post("/e/PREF/breakouts/rank", data=rank_form(csrf, morning[:1]))
    assert response.status_code == 403
    make_event("SIGNUP")
    assert client.get("/e/SIGNUP/breakouts/rank").status_code == 404


def test_attendee_sees_the_assignment_only_after_publishing(conference, make_registration, client):
    ada, token = make_registration(conference)
    rank_everyone(conference, [ada], [("B", "C")])
    preferences.preview(conference)
    sign_in_attendee(client, conference, token)
    page = client.get("/e/PREF/breakouts/rank").get_data(as_text=True)
    # the sessions part is there for the live push, hidden and empty; the form shows
    assert re.search(r"<section [^>]*data-when-assigned hidden", page)
    assert "data-my-session=" not in page
    assert "<div data-until-assigned>" in page
    assert "Morning B" in page  # as an option of the form, not as a seat
    preferences.publish(conference)
    page = client.get("/e/PREF/breakouts/rank").get_data(as_text=True)
    assert re.search(r"<section [^>]*data-when-assigned\s", page)
    assert "<div data-until-assigned hidden>" in page
    sessions = re.findall(r'<li data-my-session="\d+"><a href="[^"]+">([^<]+)</a>', page)
    assert sessions == ["Morning B", "Afternoon C"]
    assert "js/breakouts.js" in page


def test_staff_preview_move_and_publish(conference, make_registration, make_user, login, client):
    people = [make_registration(conference, first_name=f"P{i}")[0] for i in range(4)]
    rank_everyone(conference, people, [("A", "A")] * 4)
    login(client, make_user("admin"))
    page = client.get("/manage/PREF/breakouts/assignment")
    assert page.status_code == 200
    csrf = csrf_from(page.get_data(as_text=True))
    response = client.post("/manage/PREF/breakouts/assignment/preview", data={"csrf_token": csrf})
    assert response.status_code == 303
    page = client.get("/manage/PREF/breakouts/assignment").get_data(as_text=True)
    assert "1st choice" in page
    assert "P0 Attendee" in page
    assert "Move to" in page
    assert db.session.scalar(select(AccessLog.action)) == "breakout_assignment"
    morning = sessions_of(conference)["Morning"]
    assert f'<option value="{morning[0].id}">' not in page  # A is full: never offered
    assert f'<option value="{morning[2].id}">' in page
    in_b = next(r for r, b, _ in seat_rows(conference) if b == morning[1].id)
    full = {"csrf_token": csrf, "registration_id": in_b, "breakout_id": morning[0].id}
    before = seat_rows(conference)
    assert client.post("/manage/PREF/breakouts/assignment/move", data=full).status_code == 409
    assert seat_rows(conference) == before
    bad = {"csrf_token": csrf, "registration_id": "x", "breakout_id": morning[0].id}
    assert client.post("/manage/PREF/breakouts/assignment/move", data=bad).status_code == 404
    ok = {"csrf_token": csrf, "registration_id": in_b, "breakout_id": morning[2].id}
    assert client.post("/manage/PREF/breakouts/assignment/move", data=ok).status_code == 303
    response = client.post("/manage/PREF/breakouts/assignment/publish", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert {status for _, _, status in seat_rows(conference)} == {SeatStatus.confirmed.value}


def test_signup_mode_page_explains_and_links_to_the_mode_switch(
    conference, make_registration, make_user, login, client
):
    ada, _ = make_registration(conference, first_name="Secret")
    conference.breakout_mode = BreakoutMode.signup
    db.session.commit()
    login(client, make_user("admin"))
    response = client.get("/manage/PREF/breakouts/assignment")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sessions are first come, first served" in page
    assert 'href="/manage/PREF/breakouts#signup-title"' in page
    assert "Switch to preference mode" in page
    # no buttons the service would refuse, no rosters or figures
    assert "/assignment/preview" not in page
    assert "/assignment/publish" not in page
    assert "/assignment/move" not in page
    assert "Satisfaction" not in page
    assert "Secret" not in page
    assert db.session.scalar(select(AccessLog.action)) is None  # no names shown, no look logged
    # a hand-made post is still refused with a clear message, changing nothing
    csrf = csrf_from(page)
    response = client.post("/manage/PREF/breakouts/assignment/preview", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "first come, first served" in response.get_data(as_text=True)
    assert seat_rows(conference) == []


def test_sign_up_seats_can_be_replaced_by_a_preference_assignment(
    conference, make_registration, make_user, login, client
):
    from voting.breakouts import service

    ada, _ = make_registration(conference)
    conference.breakout_mode = BreakoutMode.signup
    db.session.commit()
    service.sign_up(ada, sessions_of(conference)["Morning"][2])
    conference.breakout_mode = BreakoutMode.preference
    db.session.commit()
    rank_everyone(conference, [ada], [("A", "A")])
    login(client, make_user("admin"))
    page = client.get("/manage/PREF/breakouts/assignment").get_data(as_text=True)
    assert "Replace the 1 seats attendees signed up for themselves" in page
    csrf = csrf_from(page)
    url = "/manage/PREF/breakouts/assignment/preview"
    assert client.post(url, data={"csrf_token": csrf}).status_code == 409
    assert client.post(url, data={"csrf_token": csrf, "rerun": "1"}).status_code == 303
    assert {status for _, _, status in seat_rows(conference)} == {"proposed"}


def test_preference_page_without_sessions_offers_no_preview(make_event, make_user, login, client):
    event = make_event("NOSESS")
    event.breakout_mode = BreakoutMode.preference
    db.session.commit()
    login(client, make_user("admin"))
    page = client.get("/manage/NOSESS/breakouts/assignment").get_data(as_text=True)
    assert "There are no breakout sessions to assign yet." in page
    assert "/assignment/preview" not in page


def test_staff_actions_need_csrf(conference, make_registration, make_user, login, client):
    make_registration(conference)
    login(client, make_user("admin", events=[conference]))
    response = client.post("/manage/PREF/breakouts/assignment/preview", data={})
    assert response.status_code == 400
    assert seat_rows(conference) == []


@pytest.mark.parametrize(
    "who", ["anonymous", "attendee", "checkin", "moderator", "other_moderator"]
)
def test_only_organisers_run_the_assignment_it_shows_names(
    conference, make_registration, make_user, make_event, login, client, page_token, who
):
    ada, token = make_registration(conference)
    rank_everyone(conference, [ada], [("A", "A")])
    if who == "attendee":
        sign_in_attendee(client, conference, token)
    elif who == "checkin":
        login(client, make_user("checkin", events=[conference]))
    elif who == "moderator":
        # Moderators run polls; the rosters name people, which is for organisers (admins).
        login(client, make_user("moderator", events=[conference]))
    elif who == "other_moderator":
        login(client, make_user("moderator", events=[make_event("ELSE")]))
    csrf = page_token(client, "/e/PREF/breakouts/rank" if who == "attendee" else "/login")
    expected = (302,) if who in ("anonymous", "attendee") else (403,)
    assert client.get("/manage/PREF/breakouts/assignment").status_code in expected
    for action in ("preview", "publish"):
        response = client.post(
            f"/manage/PREF/breakouts/assignment/{action}", data={"csrf_token": csrf}
        )
        assert response.status_code in expected
    assert seat_rows(conference) == []


# --- the command ------------------------------------------------------------------------


def test_assign_breakouts_dry_run_prints_figures_and_stores_nothing(
    app, conference, make_registration
):
    people = [make_registration(conference, country=c)[0] for c in ("BE", "DE", "FR")]
    rank_everyone(conference, people, [("A", "B"), ("A", "B"), ("A", "C")])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assign-breakouts", "PREF", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "choice 1" in result.output
    assert "unassigned" in result.output
    assert "Dry run: nothing was stored" in result.output
    assert seat_rows(conference) == []
    result = runner.invoke(args=["assign-breakouts", "PREF"])
    assert result.exit_code == 0, result.output
    assert "NOT published" in result.output
    assert {status for _, _, status in seat_rows(conference)} == {"proposed"}
    assert conference.assignment_published_at is None


def test_assign_breakouts_unknown_event(app):
    result = app.test_cli_runner().invoke(args=["assign-breakouts", "NOPE", "--dry-run"])
    assert result.exit_code != 0
