"""Who may vote: registered, checked-in attendees, one vote per organisation; turnout."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import func, select

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


@pytest.mark.parametrize(
    "status",
    [
        RegistrationStatus.pending,
        RegistrationStatus.waiting,
        RegistrationStatus.cancelled,
        RegistrationStatus.rejected,
    ],
)
def test_registered_poll_takes_only_confirmed_attendees(event, restricted, attendee, status):
    poll = restricted("registered")
    _, confirmed = attendee()
    _, other = attendee(status=status)
    vote(event, poll, confirmed)
    with pytest.raises(Forbidden) as error:
        vote(event, poll, other)
    assert error.value.code == "not_eligible"
    assert str(status) in error.value.message
    assert service.ballot_count(poll.id) == 1


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
