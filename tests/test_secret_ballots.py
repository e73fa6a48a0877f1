"""Secret ballots, receipts and vote weights: what is stored, what links, what counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.test_sockets import participant
from voting import driversql
from voting.errors import Conflict, InvalidInput
from voting.extensions import db
from voting.groupcommit import Ticket
from voting.models import Ballot, Participant, PollVoter, RegistrationStatus, Vote
from voting.polls import secrecy, service


@pytest.fixture
def event(make_event):
    return make_event("LIVE01")


def secret_poll(event, make_poll, **fields):
    poll = make_poll(event, options=("For", "Against"), secret=True, **fields)
    service.open_poll(poll)
    return poll


def test_a_secret_ballot_names_no_one_and_nothing_names_it(event, make_poll):
    poll = secret_poll(event, make_poll)
    result = service.cast_vote(event, poll.id, "alice", [poll.options[0].id], "secret-alice-1")
    service.cast_vote(event, poll.id, "bob", [poll.options[1].id], "secret-bob-001")
    ballots = db.session.scalars(select(Ballot).where(Ballot.poll_id == poll.id)).all()
    assert {b.participant_id for b in ballots} == {None}
    assert {b.created_at for b in ballots} == {None}
    assert result.receipt in {b.receipt for b in ballots}
    log = db.session.scalars(select(Vote).where(Vote.poll_id == poll.id)).all()
    assert {v.participant_id for v in log} == {None}
    assert {v.vote_id for v in log} == {
        secrecy.hashed_vote_id("secret-alice-1"),
        secrecy.hashed_vote_id("secret-bob-001"),
    }
    assert result.receipt not in {v.receipt for v in log}  # only sealed
    assert all(v.choices == [] for v in log)
    alice = db.session.scalar(select(Participant.id).where(Participant.public_id == "alice"))
    assert db.session.get(PollVoter, (poll.id, alice)) is not None
    assert service.tally(poll) == {poll.options[0].id: 1, poll.options[1].id: 1}
    assert service.my_choices([poll.id], "alice") == {}
    assert service.secret_voted([poll.id], "alice") == [poll.id]


def test_a_secret_ballot_cannot_be_changed_or_doubled(event, make_poll):
    poll = secret_poll(event, make_poll)
    assert poll.allow_change is False
    service.cast_vote(event, poll.id, "alice", [poll.options[0].id], "secret-first-1")
    with pytest.raises(Conflict) as error:
        service.cast_vote(event, poll.id, "alice", [poll.options[1].id], "secret-second")
    assert error.value.code == "already_voted"
    assert service.ballot_count(poll.id) == 1


def test_a_resent_secret_vote_gets_its_receipt_back(event, make_poll):
    poll = secret_poll(event, make_poll)
    first = service.cast_vote(event, poll.id, "alice", [poll.options[0].id], "secret-resend1")
    again = service.cast_vote(event, poll.id, "alice", [poll.options[0].id], "secret-resend1")
    assert again.duplicate
    assert again.receipt == first.receipt
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 1


def test_sealed_receipts_open_only_with_their_vote_id():
    sealed = secrecy.seal_receipt("K7QM-2XPA", "vote-id-one")
    assert sealed != "K7QM-2XPA"
    assert secrecy.open_receipt(sealed, "vote-id-one") == "K7QM-2XPA"
    assert secrecy.open_receipt(sealed, "vote-id-two") != "K7QM-2XPA"


def test_secret_ballots_cannot_show_turnout_by_country(event, make_poll):
    with pytest.raises(InvalidInput) as error:
        make_poll(event, secret=True, show_countries=True)
    assert error.value.code == "secret_countries"


def test_phone_sees_it_voted_in_a_secret_poll_after_rejoining(app, socket_for, event, make_poll):
    poll = secret_poll(event, make_poll)
    phone, first = participant(app, socket_for)
    assert first["polls"][0]["secret"] is True
    ack = phone.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "secret-phone1"},
        callback=True,
    )
    assert ack["ok"] is True
    rejoin = phone.emit("join", {"event": "LIVE01"}, callback=True)
    assert rejoin["mine"][str(poll.id)] == {"secret": True}


def test_reset_clears_who_voted_too(event, make_poll):
    poll = secret_poll(event, make_poll)
    service.cast_vote(event, poll.id, "alice", [poll.options[0].id], "secret-reset-1")
    service.reset_poll(poll)
    assert db.session.scalar(select(func.count()).select_from(PollVoter)) == 0
    service.cast_vote(event, poll.id, "alice", [poll.options[1].id], "secret-reset-2")


# --- receipts ---------------------------------------------------------------------------


def test_receipts_list_every_ballot_sorted_by_receipt(event, make_poll):
    poll = make_poll(event, kind="points", options=("Big", "Small"), budget=10)
    service.open_poll(poll)
    big, small = (o.id for o in poll.options)
    mine = service.cast_vote(event, poll.id, "p1", {"points": {big: 7, small: 3}}, "rcpt-000001")
    service.cast_vote(event, poll.id, "p2", {"points": {big: 10}}, "rcpt-000002")
    listed = service.receipts(poll)
    assert [row["receipt"] for row in listed] == sorted(row["receipt"] for row in listed)
    assert {"receipt": mine.receipt, "ballot": {"points": {str(big): 7, str(small): 3}}} in listed
    # Anyone can recount from the list: the sums match the tally.
    recount = sum(row["ballot"]["points"].get(str(big), 0) for row in listed)
    assert recount == 17


def test_a_changed_vote_lists_only_its_latest_receipt(event, make_poll):
    poll = make_poll(event)
    service.open_poll(poll)
    service.cast_vote(event, poll.id, "p1", [poll.options[0].id], "change-0001")
    latest = service.cast_vote(event, poll.id, "p1", [poll.options[1].id], "change-0002")
    assert service.receipts(poll) == [
        {"receipt": latest.receipt, "ballot": {"choices": [poll.options[1].id]}}
    ]


def test_receipts_are_published_only_after_close(event, make_poll):
    poll = secret_poll(event, make_poll)
    with pytest.raises(Conflict):
        service.publish_receipts(poll)
    service.close_poll(poll)
    service.publish_receipts(poll)
    assert poll.receipts_published


def test_hidden_answers_are_listed_without_their_text(event, make_poll):
    poll = make_poll(event, kind="text", options=[], moderate_answers=True)
    service.open_poll(poll)
    result = service.cast_vote(event, poll.id, "p1", {"text": "Rude words"}, "text-rcpt-01")
    assert service.receipts(poll) == [{"receipt": result.receipt, "ballot": {"text": None}}]


# --- weights ----------------------------------------------------------------------------


def test_weighted_tally_counts_each_ballot_with_its_voters_weight(
    event, make_poll, make_registration
):
    poll = make_poll(event, options=("Mix A", "Mix B"), weighted=True)
    service.open_poll(poll)
    heavy, _ = make_registration(event, status=RegistrationStatus.confirmed)
    light, _ = make_registration(event, status=RegistrationStatus.confirmed)
    heavy.vote_weight, light.vote_weight = 1.0, 0.25
    db.session.commit()
    keys = [
        db.session.scalar(select(Participant.public_id).where(Participant.registration_id == r.id))
        for r in (heavy, light)
    ]
    service.cast_vote(event, poll.id, keys[0], [poll.options[0].id], "weight-0001")
    service.cast_vote(event, poll.id, keys[1], [poll.options[1].id], "weight-0002")
    service.cast_vote(event, poll.id, "anonymous-1", [poll.options[1].id], "weight-0003")
    results = service.results_payload(poll, staff=True)
    assert results["total"] == 3
    assert results["total_weight"] == 2.25
    counts = {row["id"]: row["count"] for row in results["options"]}
    assert counts == {poll.options[0].id: 1, poll.options[1].id: 1.25}
    assert results["options"][1]["percent"] == round(100 * 1.25 / 2.25)


def closed_published(event, make_poll):
    poll = make_poll(event, options=("For", "Against"))
    service.open_poll(poll)
    result = service.cast_vote(event, poll.id, "p1", [poll.options[0].id], "page-rcpt-01")
    service.close_poll(poll)
    return poll, result


def test_receipts_page_appears_once_published(client, event, make_poll):
    poll, result = closed_published(event, make_poll)
    url = f"/e/LIVE01/polls/{poll.id}/receipts"
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/events/LIVE01/polls/{poll.id}/receipts").status_code == 403
    service.publish_receipts(poll)
    page = client.get(url + f"?receipt={result.receipt.lower()}").get_data(as_text=True)
    assert f"Receipt {result.receipt} is counted" in page
    assert "For" in page
    missing = client.get(url + "?receipt=AAAA-AAAA").get_data(as_text=True)
    assert "No ballot carries receipt AAAA-AAAA" in missing
    csv_text = client.get(url + "?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[1] == f"{result.receipt},1,0"
    api = client.get(f"/api/v1/events/LIVE01/polls/{poll.id}/receipts").get_json()
    assert api["receipts"] == [
        {"receipt": result.receipt, "ballot": {"choices": [poll.options[0].id]}}
    ]


def test_staff_publish_receipts_from_the_console(
    client, login, make_user, event, make_poll, page_token
):
    poll, _ = closed_published(event, make_poll)
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/LIVE01/polls")
    assert client.get(f"/e/LIVE01/polls/{poll.id}/receipts").status_code == 200  # preview
    response = client.post(
        f"/manage/LIVE01/polls/{poll.id}/publish_receipts", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert poll.receipts_published
    service.open_poll(poll)  # reopening withdraws them: new votes would be missing
    assert not poll.receipts_published
    refused = client.post(
        f"/manage/LIVE01/polls/{poll.id}/publish_receipts", data={"csrf_token": token}
    )
    assert refused.status_code == 409


def test_split_one_vote_per_organisation_among_its_delegates(event, make_registration):
    from voting.registration import weights

    a1, _ = make_registration(event, organisation="Cluster Alpha")
    a2, _ = make_registration(event, organisation="  cluster   ALPHA ")
    b1, _ = make_registration(event, organisation="Cluster Beta")
    waiting, _ = make_registration(
        event, organisation="Cluster Beta", status=RegistrationStatus.waiting
    )
    weights.split_per_group(event, "organisation")
    assert (a1.vote_weight, a2.vote_weight, b1.vote_weight) == (0.5, 0.5, 1.0)
    assert waiting.vote_weight == 1.0  # not confirmed: holds no share
    assert weights.total(event) == 2
    with pytest.raises(InvalidInput):
        weights.split_per_group(event, "country")


@pytest.mark.parametrize("raw", ["abc", "-1", "1e9", "nan", "inf", ""])
def test_bad_weights_are_refused_and_nothing_changes(event, make_registration, raw):
    from voting.registration import weights

    first, _ = make_registration(event)
    second, _ = make_registration(event)
    with pytest.raises(InvalidInput):
        weights.set_weights(event, {first.id: "0,5", second.id: raw})
    db.session.refresh(first)
    assert first.vote_weight == 1.0


def test_weights_page_is_for_admins_and_saves(
    client, login, make_user, event, make_registration, page_token
):
    person, _ = make_registration(event, organisation="Cluster <Gamma>")
    moderator = make_user("moderator", events=[event])
    login(client, moderator)
    assert client.get("/manage/LIVE01/registrations/weights").status_code == 403
    client.get("/logout")
    login(client, make_user("admin"))
    token = page_token(client, "/manage/LIVE01/registrations/weights")
    page = client.get("/manage/LIVE01/registrations/weights").get_data(as_text=True)
    assert "Cluster &lt;Gamma&gt;" in page
    url = "/manage/LIVE01/registrations/weights"
    saved = client.post(
        url, data={"csrf_token": token, "action": "save", f"weight-{person.id}": "0.25"}
    )
    assert saved.status_code == 302
    db.session.refresh(person)
    assert person.vote_weight == 0.25
    bad = client.post(
        url, data={"csrf_token": token, "action": "save", f"weight-{person.id}": "lots"}
    )
    assert bad.status_code == 400
    assert client.post(url, data={"action": "reset"}).status_code == 400  # no CSRF token
    db.session.refresh(person)
    assert person.vote_weight == 0.25


def test_a_batchs_secret_rows_are_written_in_unrelated_orders(event, make_poll, monkeypatch):
    """PostgreSQL keeps rows in insertion order: who voted (poll_voters), the ballots and the
    log must not be inserted in the same order, or the files would pair voter and ballot."""
    poll = secret_poll(event, make_poll)
    inserted: dict[str, list] = {}
    real = driversql.insert_rows

    def recording(sql, params, returning=""):
        inserted[sql.split()[2]] = list(params)
        return real(sql, params, returning)

    monkeypatch.setattr(driversql, "insert_rows", recording)
    people = [f"secret-voter-{n:02d}" for n in range(40)]
    tickets = [
        Ticket(
            service.VoteRequest(event.id, poll.id, key, [poll.options[n % 2].id], f"sv-{n:05d}x")
        )
        for n, key in enumerate(people)
    ]
    service._write_vote_batch(tickets)
    assert all(t.error is None and t.result is not None for t in tickets)
    assert service.ballot_count(poll.id) == 40
    ids = dict(db.session.execute(select(Participant.id, Participant.public_id)).all())
    assert inserted["poll_voters"] == sorted(inserted["poll_voters"])  # by participant id
    voter_order = [ids[pid] for _, pid in inserted["poll_voters"]]
    by_receipt = {t.result.receipt: t.item.participant_key for t in tickets}
    ballot_order = [by_receipt[receipt] for _, _, receipt, _ in inserted["ballots"]]
    assert [row[0] for row in inserted["ballots"]] == sorted(row[0] for row in inserted["ballots"])
    sealed = {secrecy.hashed_vote_id(t.item.vote_id): t.item.participant_key for t in tickets}
    log_order = [sealed[row[0]] for row in inserted["votes"]]
    assert sorted(voter_order) == sorted(ballot_order) == sorted(log_order) == sorted(people)
    # 40 rows: the same order by chance has a probability of 1 in 40!.
    assert voter_order != ballot_order
    assert ballot_order != log_order
    assert voter_order != log_order
