"""Who may vote: registered, checked-in attendees, one vote per organisation; turnout."""

from __future__ import annotations

import itertools
import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.conftest import csrf_from, events_named
from voting.errors import Conflict, Forbidden, VotingError
from voting.extensions import db
from voting.models import Participant, Poll, RegistrationStatus, Vote, utcnow
from voting.polls import eligibility, service

_vote_ids = itertools.count(1)


def vote(event, poll, key, choice=0, vote_id=None):
    """Cast a vote for the poll's n-th option with a fresh vote id unless one is given."""
    option = poll.options[choice].id
    return service.cast_vote(
        event, poll.id, key, [option], vote_id or f"elig-{next(_vote_ids):06d}"
    )


def key_of(registration) -> str:
    """Return the participant key the personal link puts into the attendee's session."""
    return db.session.scalar(
        select(Participant.public_id).where(Participant.registration_id == registration.id)
    )


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def restricted(event, make_poll):
    """Return a factory of open polls with a given eligibility."""

    def make(level: str, **fields) -> Poll:
        poll = make_poll(event, eligibility=level, **fields)
        return service.open_poll(poll)

    return make


@pytest.fixture
def attendee(event, make_registration):
    """Return a factory of attendees' participant keys: (registration, key)."""

    def make(status=RegistrationStatus.confirmed, **fields):
        registration, _token = make_registration(event, status=status, **fields)
        return registration, key_of(registration)

    return make


def check_in(registration) -> None:
    """Mark an attendee as checked in (what the door's check-in does)."""
    registration.checked_in_at = utcnow()
    db.session.commit()


# --- the service -----------------------------------------------------------------


def test_anyone_poll_takes_anonymous_votes(event, restricted):
    poll = restricted("anyone")
    vote(event, poll, "anonymous-phone")
    assert service.ballot_count(poll.id) == 1


@pytest.mark.parametrize("level", ["registered", "checked_in", "organisation"])
def test_restricted_polls_refuse_anonymous_participants(event, restricted, level):
    poll = restricted(level)
    with pytest.raises(Forbidden) as error:
        vote(event, poll, "anonymous-phone")
    assert error.value.code == "not_eligible"
    assert "personal link" in error.value.message
    assert service.ballot_count(poll.id) == 0
    # Nothing was written for the refused vote, not even a participant row.
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0


# Why a registration that is not confirmed may not vote, in English, French and German:
# a sentence of its own per status (a status word in one shared sentence read
# "Votre inscription est annulée(s)" in French).
NOT_CONFIRMED = {
    RegistrationStatus.pending: (
        "Your registration is pending, not confirmed.",
        "Votre inscription attend encore d'être validée\u00a0: elle n'est pas confirmée.",
        "Ihre Anmeldung wartet noch auf Freigabe und ist daher nicht bestätigt.",
    ),
    RegistrationStatus.waiting: (
        "Your registration is on the waiting list, not confirmed.",
        "Votre inscription est sur liste d'attente\u00a0: elle n'est pas confirmée.",
        "Ihre Anmeldung steht auf der Warteliste und ist daher nicht bestätigt.",
    ),
    RegistrationStatus.cancelled: (
        "Your registration is cancelled, not confirmed.",
        "Votre inscription est annulée\u00a0: elle n'est pas confirmée.",
        "Ihre Anmeldung ist storniert und daher nicht bestätigt.",
    ),
    RegistrationStatus.rejected: (
        "Your registration is rejected, not confirmed.",
        "Votre inscription a été refusée\u00a0: elle n'est pas confirmée.",
        "Ihre Anmeldung wurde abgelehnt und ist daher nicht bestätigt.",
    ),
}


def in_languages(error: VotingError) -> tuple[str, str, str]:
    """Return a refusal's message as English, French and German readers get it."""
    read = []
    for lang in ("en", "fr", "de"):
        with force_locale(lang):
            read.append(error.message)
    return tuple(read)


@pytest.mark.parametrize("status", sorted(NOT_CONFIRMED))
def test_registered_poll_takes_only_confirmed_attendees(event, restricted, attendee, status):
    poll = restricted("registered")
    _, confirmed = attendee()
    _, other = attendee(status=status)
    vote(event, poll, confirmed)
    with pytest.raises(Forbidden) as error:
        vote(event, poll, other)
    assert error.value.code == "not_eligible"
    # The status's own sentence in each language, after the poll's rule.
    for read, sentence in zip(in_languages(error.value), NOT_CONFIRMED[status], strict=True):
        assert read.endswith(" " + sentence), read
    assert service.ballot_count(poll.id) == 1


def test_a_status_without_a_sentence_of_its_own_reads_not_confirmed(event):
    voter = eligibility.Voter(event_id=event.id, status="paused")
    refusal = eligibility.refusal("registered", voter, event.id)
    assert in_languages(refusal) == (
        "Only registered attendees can vote in this poll. Your registration is not confirmed.",
        "Seuls les participants inscrits peuvent voter à ce sondage."
        " Votre inscription n'est pas confirmée.",
        "Bei dieser Umfrage können nur angemeldete Teilnehmende abstimmen."
        " Ihre Anmeldung ist nicht bestätigt.",
    )


def test_erased_registration_may_not_vote(event, restricted, attendee):
    poll = restricted("registered")
    registration, key = attendee()
    registration.erased_at = utcnow()
    db.session.commit()
    with pytest.raises(Forbidden):
        vote(event, poll, key)


def test_checked_in_poll_needs_check_in_at_vote_time(event, restricted, attendee):
    poll = restricted("checked_in")
    registration, key = attendee()
    with pytest.raises(Forbidden) as error:
        vote(event, poll, key)
    assert error.value.message.startswith("Only checked-in attendees can vote in this poll.")
    # Checked in after joining: the next vote is accepted (checked when the vote arrives).
    check_in(registration)
    assert vote(event, poll, key).receipt
    assert service.ballot_count(poll.id) == 1


def test_checked_in_but_cancelled_may_not_vote(event, restricted, attendee):
    poll = restricted("checked_in")
    registration, key = attendee(status=RegistrationStatus.cancelled)
    check_in(registration)
    with pytest.raises(Forbidden):
        vote(event, poll, key)


def test_attendee_of_another_event_may_not_vote(event, make_event, restricted, make_registration):
    poll = restricted("registered")
    other_event = make_event()
    registration, _ = make_registration(other_event)
    with pytest.raises(VotingError) as error:
        vote(event, poll, key_of(registration))
    assert error.value.code == "wrong_event"


def test_colleagues_share_one_ballot_that_the_later_vote_replaces(event, restricted, attendee):
    poll = restricted("organisation")
    _, alice = attendee(organisation="Cluster Org")
    _, bob = attendee(organisation="  cluster   ORG ")
    vote(event, poll, alice, choice=0)
    vote(event, poll, bob, choice=1)
    assert service.ballot_count(poll.id) == 1
    assert service.tally(poll) == {
        poll.options[0].id: 0,
        poll.options[1].id: 1,
        poll.options[2].id: 0,
    }
    # Each submission is logged under the colleague who made it (receipts, audits).
    owners = db.session.scalars(
        select(Participant.public_id).join(Vote, Vote.participant_id == Participant.id)
    ).all()
    assert sorted(owners) == sorted([alice, bob])


def test_organisation_ballot_is_not_replaced_when_changes_are_off(event, restricted, attendee):
    poll = restricted("organisation", allow_change=False)
    _, alice = attendee(organisation="Cluster Org")
    _, bob = attendee(organisation="Cluster Org")
    first = vote(event, poll, alice, choice=0, vote_id="alice-first-vote")
    with pytest.raises(Conflict) as error:
        vote(event, poll, bob, choice=1)
    assert error.value.code == "organisation_voted"
    # A resent vote of the colleague who voted still gets its receipt back.
    again = vote(event, poll, alice, choice=0, vote_id="alice-first-vote")
    assert again.duplicate
    assert again.receipt == first.receipt
    assert service.tally(poll)[poll.options[0].id] == 1


def test_two_organisations_cast_two_ballots(event, restricted, attendee):
    poll = restricted("organisation")
    _, alice = attendee(organisation="Cluster Org")
    _, carla = attendee(organisation="Other Org")
    vote(event, poll, alice)
    vote(event, poll, carla)
    assert service.ballot_count(poll.id) == 2


def test_organisation_poll_refuses_attendee_without_organisation(event, restricted, attendee):
    poll = restricted("organisation")
    _, key = attendee(organisation="")
    with pytest.raises(Forbidden) as error:
        vote(event, poll, key)
    assert "no organisation" in error.value.message


def test_organisation_key_is_derived_from_event_and_folded_name():
    assert eligibility.organisation_key(3, "ACME  Labs") == eligibility.organisation_key(
        3, " acme labs"
    )
    assert eligibility.organisation_key(3, "ACME") != eligibility.organisation_key(4, "ACME")
    assert len(eligibility.organisation_key(10**9, "x" * 200)) <= 64


def test_many_colleagues_racing_leave_exactly_one_ballot(app, event, restricted, attendee):
    """Forty colleagues of one organisation vote at once: one ballot, one vote accepted."""
    poll = restricted("organisation", allow_change=False)
    keys = [attendee(organisation="Racing Org")[1] for _ in range(40)]
    start = threading.Barrier(len(keys))
    accepted, refused, errors = [], [], []

    def submit(n: int, key: str) -> None:
        with app.app_context():
            start.wait()
            try:
                accepted.append(
                    service.cast_vote(
                        event.id, poll.id, key, [poll.options[n % 3].id], f"race-{n:04d}"
                    )
                )
            except Conflict as error:
                refused.append(error.code)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=pair) for pair in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(accepted) == 1
    assert refused == ["organisation_voted"] * 39
    assert service.ballot_count(poll.id) == 1


def test_database_constraint_keeps_one_organisation_ballot(
    event, restricted, attendee, monkeypatch
):
    """Another process stored the organisation's ballot after this batch read: the
    unique constraint refuses the second ballot and the vote is redone against it."""
    poll = restricted("organisation", allow_change=False)
    _, alice = attendee(organisation="Clash Org")
    _, bob = attendee(organisation="Clash Org")
    vote(event, poll, alice)
    real = service._ballot_ids
    stale = iter([True])
    # The first read misses alice's ballot, as a concurrent writer's read would.
    monkeypatch.setattr(
        service, "_ballot_ids", lambda pairs: {} if next(stale, False) else real(pairs)
    )
    with pytest.raises(Conflict) as error:
        vote(event, poll, bob, choice=1)
    assert error.value.code == "organisation_voted"
    assert service.ballot_count(poll.id) == 1


def test_anyone_batches_do_not_read_registrations(event, restricted, monkeypatch):
    poll = restricted("anyone")
    monkeypatch.setattr(eligibility, "voters", lambda keys: pytest.fail("registrations read"))
    vote(event, poll, "fast-path-phone")


def test_eligibility_cannot_change_once_a_poll_has_votes(event, restricted):
    poll = restricted("anyone")
    vote(event, poll, "someone")
    data = service.PollData(
        title=poll.title, options=[o.label for o in poll.options], eligibility="registered"
    )
    data.option_ids = [o.id for o in poll.options]
    with pytest.raises(Conflict):
        service.update_poll(poll, data)


def test_duplicate_keeps_eligibility_and_country_option(event, restricted):
    poll = restricted("checked_in", show_countries=True)
    copy = service.duplicate_poll(poll)
    assert copy.eligibility == "checked_in"
    assert copy.show_countries


# --- turnout ---------------------------------------------------------------------


def test_eligible_numbers_for_the_console(event, restricted, attendee):
    checked, _ = attendee(organisation="Org A")
    attendee(organisation="org a ")
    attendee(organisation="Org B")
    attendee(organisation="")
    attendee(status=RegistrationStatus.waiting, organisation="Org C")
    erased, _ = attendee(organisation="Org D")
    erased.erased_at = utcnow()
    check_in(checked)
    figures = {
        level: service.results_payload(restricted(level), staff=True)["eligible"]
        for level in ("anyone", "registered", "checked_in", "organisation")
    }
    assert figures == {"anyone": None, "registered": 4, "checked_in": 1, "organisation": 2}


def test_eligible_number_is_for_staff_only(event, restricted, attendee):
    attendee()
    poll = restricted("registered")
    assert "eligible" not in service.results_payload(poll, staff=False)
    staff = service.results_payload(poll, staff=True)
    assert "eligible" not in service.public_results(staff, True)
    assert "eligible" not in service.public_results(staff, False)


def test_turnout_by_country_counts_registered_and_anonymous_voters(event, restricted, attendee):
    poll = restricted("anyone", show_countries=True)
    for country in ("BE", "BE", "DE"):
        vote(event, poll, attendee(country=country)[1])
    vote(event, poll, "anonymous-phone")
    countries = service.results_payload(poll, staff=False)["countries"]
    assert countries == [
        {"country": "BE", "name": "Belgium", "count": 2},
        {"country": "DE", "name": "Germany", "count": 1},
        {"country": "", "name": "Not registered", "count": 1},
    ]


def test_turnout_by_country_is_off_unless_the_poll_asks(event, restricted):
    poll = restricted("anyone")
    vote(event, poll, "anonymous-phone")
    assert "countries" not in service.results_payload(poll, staff=True)


def test_turnout_by_country_stays_when_results_are_hidden(event, restricted, attendee):
    poll = restricted("anyone", show_countries=True, visibility="hidden")
    vote(event, poll, attendee(country="FR")[1])
    public = service.public_results(service.results_payload(poll, staff=True), False)
    assert "options" not in public
    assert public["countries"][0]["count"] == 1


def test_organisation_ballot_counts_under_the_last_voters_country(event, restricted, attendee):
    poll = restricted("organisation", show_countries=True)
    vote(event, poll, attendee(organisation="Org", country="BE")[1])
    vote(event, poll, attendee(organisation="Org", country="NL")[1])
    vote(event, poll, attendee(organisation="Other", country="BE")[1])
    countries = {row["country"]: row["count"] for row in service.countries_payload(poll)}
    assert countries == {"NL": 1, "BE": 1}


# --- sockets ---------------------------------------------------------------------


def as_attendee(client, event, key):
    """Do what the personal link does: put the attendee's participant id in the session."""
    with client.session_transaction() as session:
        session["participants"] = {str(event.id): key}
    return client


def phone(app, socket_for, event, key=None):
    """Return a joined participant socket (an attendee's when key is given) and its snapshot."""
    client = app.test_client()
    if key:
        as_attendee(client, event, key)
    sock = socket_for(client, f"/e/{event.code}")
    ack = sock.emit("join", {"event": event.code}, callback=True)
    assert ack["ok"], ack
    return sock, ack


def cast(sock, poll, vote_id):
    """Cast a vote for the poll's first option over the socket and return the ack."""
    payload = {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": vote_id}
    return sock.emit("cast_vote", payload, callback=True)


def test_socket_refuses_anonymous_vote_in_checked_in_poll(app, socket_for, event, restricted):
    poll = restricted("checked_in")
    sock, snap = phone(app, socket_for, event)
    assert snap["voter"]["eligible"] == ["anyone"]
    assert snap["voter"]["reasons"]["checked_in"].startswith("Only checked-in attendees")
    ack = cast(sock, poll, "anon-vote-1")
    assert ack["ok"] is False
    assert ack["error"] == "not_eligible"
    assert "Only checked-in attendees can vote in this poll." in ack["message"]
    assert service.ballot_count(poll.id) == 0


def test_socket_attendee_checked_in_after_join_votes(app, socket_for, event, restricted, attendee):
    poll = restricted("checked_in")
    registration, key = attendee()
    sock, snap = phone(app, socket_for, event, key)
    assert "checked_in" not in snap["voter"]["eligible"]
    assert snap["voter"]["registered"] is True
    assert cast(sock, poll, "attendee-vote-1")["error"] == "not_eligible"
    check_in(registration)
    ack = cast(sock, poll, "attendee-vote-2")
    assert ack["ok"], ack
    # A rejoin (what the page does when it may have become eligible) says so.
    again = sock.emit("join", {"event": event.code}, callback=True)
    assert "checked_in" in again["voter"]["eligible"]
    assert again["mine"] == {str(poll.id): [poll.options[0].id]}


def test_snapshot_reads_no_voter_without_restricted_polls(
    app, socket_for, event, restricted, monkeypatch
):
    restricted("anyone")
    monkeypatch.setattr(eligibility, "voter", lambda key: pytest.fail("registration read"))
    _, snap = phone(app, socket_for, event)
    assert snap["voter"] is None


def test_colleagues_see_their_organisations_ballot(app, socket_for, event, restricted, attendee):
    poll = restricted("organisation")
    _, alice = attendee(organisation="Cluster Org")
    _, bob = attendee(organisation="cluster org")
    sock, snap = phone(app, socket_for, event, alice)
    assert snap["voter"]["organisation"] == "Cluster Org"
    assert cast(sock, poll, "alice-org-vote")["ok"]
    _, colleague = phone(app, socket_for, event, bob)
    assert colleague["mine"] == {str(poll.id): [poll.options[0].id]}


def test_registered_attendee_joins_event_closed_to_anonymous(
    app, socket_for, make_event, make_poll, make_registration
):
    closed = make_event("CLOSED9", allow_anonymous=False)
    poll = service.open_poll(make_poll(closed, eligibility="registered"))
    registration, _ = make_registration(closed)
    sock, _ = phone(app, socket_for, closed, key_of(registration))
    assert cast(sock, poll, "closed-event-vote")["ok"]
    anonymous = socket_for(app.test_client(), "/e/CLOSED9")
    refused = anonymous.emit("join", {"event": "CLOSED9"}, callback=True)
    assert refused["error"] == "registration_required"


def test_console_gets_eligible_number_phones_and_displays_do_not(
    app, socket_for, make_user, login, event, restricted, attendee
):
    poll = restricted("registered")
    _, key = attendee()
    attendee()
    staff = login(app.test_client(), make_user("moderator", events=[event]))
    console = socket_for(staff, f"/manage/{event.code}/polls")
    snap = console.emit("join", {"event": event.code, "role": "console"}, callback=True)
    assert snap["results"][str(poll.id)]["eligible"] == 2
    display = socket_for(app.test_client(), f"/e/{event.code}/display")
    shown = display.emit("join", {"event": event.code, "role": "display"}, callback=True)
    assert "eligible" not in shown["results"][str(poll.id)]
    console.get_received()
    display.get_received()
    sock, _ = phone(app, socket_for, event, key)
    assert cast(sock, poll, "turnout-vote")["ok"]
    pushed = events_named(console, "results")[-1]
    assert (pushed["total"], pushed["eligible"]) == (1, 2)
    assert all("eligible" not in message for message in events_named(display, "results"))


def test_refresh_turnout_pushes_new_eligible_number(
    app, socket_for, make_user, login, event, restricted, attendee
):
    poll = restricted("checked_in")
    registration, _ = attendee()
    staff = login(app.test_client(), make_user("moderator", events=[event]))
    console = socket_for(staff, f"/manage/{event.code}/polls")
    console.emit("join", {"event": event.code, "role": "console"}, callback=True)
    console.get_received()
    check_in(registration)
    service.refresh_turnout(event.id)
    pushed = [m for m in events_named(console, "results") if m["poll_id"] == poll.id]
    assert pushed[-1]["eligible"] == 1


# --- pages -----------------------------------------------------------------------


def test_page_shows_restricted_poll_without_form_to_anonymous(client, event, restricted):
    poll = restricted("checked_in")
    html = client.get(f"/e/{event.code}").get_data(as_text=True)
    assert "Checked-in attendees vote in this poll." in html
    assert "Only checked-in attendees can vote in this poll." in html
    assert "Open your personal link from the confirmation email to vote." in html
    assert f"/polls/{poll.id}/vote" not in html


def test_page_shows_form_to_eligible_attendee(client, event, restricted, attendee):
    poll = restricted("checked_in")
    registration, key = attendee()
    check_in(registration)
    html = as_attendee(client, event, key).get(f"/e/{event.code}").get_data(as_text=True)
    assert f"/polls/{poll.id}/vote" in html
    assert "Only checked-in attendees can vote" not in html


def test_page_names_the_organisation_a_vote_counts_for(client, event, restricted, attendee):
    restricted("organisation")
    _, key = attendee(organisation="Analytical Engines")
    html = as_attendee(client, event, key).get(f"/e/{event.code}").get_data(as_text=True)
    assert "One vote per organisation" in html
    assert "Your vote counts for <strong>Analytical Engines</strong>" in html


def post_vote(client, event, poll, vote_id):
    """Send the no-JS vote form for the poll's first option."""
    html = client.get(f"/e/{event.code}").get_data(as_text=True)
    return client.post(
        f"/e/{event.code}/polls/{poll.id}/vote",
        data={"csrf_token": csrf_from(html), "vote_id": vote_id, "choice": str(poll.options[0].id)},
    )


def test_no_js_vote_of_ineligible_participant_is_refused_with_403(client, event, restricted):
    poll = restricted("registered")
    response = post_vote(client, event, poll, "nojs-anon-vote")
    assert response.status_code == 403
    assert "Only registered attendees can vote in this poll." in response.get_data(as_text=True)
    assert service.ballot_count(poll.id) == 0


def test_no_js_vote_of_attendee_is_recorded(client, event, restricted, attendee):
    poll = restricted("registered")
    _, key = attendee()
    response = post_vote(as_attendee(client, event, key), event, poll, "nojs-attendee-vote")
    assert response.status_code == 302
    assert service.ballot_count(poll.id) == 1


# --- console, display, API ---------------------------------------------------------


def test_console_form_sets_who_may_vote(client, login, make_user, event, page_token, attendee):
    attendee()
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, f"/manage/{event.code}/polls/new")
    response = client.post(
        f"/manage/{event.code}/polls/new",
        data={
            "csrf_token": token,
            "title": "Which theme first?",
            "kind": "single",
            "visibility": "live",
            "allow_change": "y",
            "eligibility": "registered",
            "show_countries": "y",
            "option": ["Energy", "Health"],
            "option_id": ["", ""],
        },
    )
    assert response.status_code == 302
    poll = event.polls[-1]
    assert poll.eligibility == "registered"
    assert poll.show_countries
    console = client.get(f"/manage/{event.code}/polls").get_data(as_text=True)
    assert "registered attendees vote" in console
    assert "<span data-eligible>1</span> eligible" in console
    edit = client.get(f"/manage/{event.code}/polls/{poll.id}/edit").get_data(as_text=True)
    assert '<option selected value="registered">' in edit


def test_console_form_refuses_unknown_eligibility(client, login, make_user, event, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, f"/manage/{event.code}/polls/new")
    response = client.post(
        f"/manage/{event.code}/polls/new",
        data={
            "csrf_token": token,
            "title": "X",
            "kind": "single",
            "visibility": "live",
            "eligibility": "everyone",
            "option": ["A", "B"],
        },
    )
    assert response.status_code == 400
    assert event.polls == []


def test_display_page_shows_turnout_by_country_as_text(client, event, restricted, attendee):
    poll = restricted("anyone", show_countries=True)
    vote(event, poll, attendee(country="BE")[1])
    vote(event, poll, "anonymous-phone")
    html = client.get(f"/e/{event.code}/display").get_data(as_text=True)
    assert "Turnout by country" in html
    assert '<span class="country-name">Belgium</span> <span class="country-count">1</span>' in html
    assert '<span class="country-name">Not registered</span>' in html


def test_display_page_hides_countries_unless_asked(client, event, restricted):
    restricted("anyone")
    html = client.get(f"/e/{event.code}/display").get_data(as_text=True)
    assert 'data-countries aria-label="Turnout by country" hidden' in html


def test_api_poll_summary_has_eligibility(client, event, restricted):
    restricted("organisation")
    body = client.get(f"/api/v1/events/{event.code}").get_json()
    assert body["polls"][0]["eligibility"] == "organisation"
