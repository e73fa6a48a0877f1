"""The hash-chained audit log of poll actions: what is logged, verification, tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from voting.extensions import db
from voting.models import PollAuditEntry
from voting.polls import audit, service


@pytest.fixture
def event(make_event):
    return make_event("AUDIT1")


def actions(event):
    return [(entry.action, entry.poll_id) for entry in audit.entries(event.id)]


def test_poll_life_is_logged_in_a_chain_that_verifies(event, make_poll):
    poll = make_poll(event, options=("Yes please", "No thanks"))
    service.open_poll(poll)
    service.cast_vote(event, poll.id, "voter-1", [poll.options[0].id], "audit-vote-1")
    service.close_poll(poll)
    service.reveal_results(poll)
    service.reset_poll(poll)
    service.delete_poll(poll)
    assert [action for action, _ in actions(event)] == [
        "created",
        "opened",
        "closed",
        "revealed",
        "reset",
        "deleted",
    ]
    closed = audit.entries(event.id)[2]
    assert closed.details["total"] == 1
    assert closed.details["count"] == {str(poll.options[0].id): 1, str(poll.options[1].id): 0}
    assert closed.actor == "system"  # no request: a service call, as the poll timer makes
    chain = audit.entries(event.id)
    assert chain[0].prev_hash == audit.GENESIS
    assert all(
        later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:], strict=False)
    )
    assert audit.verify(event.id).ok
    assert audit.verify(event.id).entries == 6


def test_each_event_has_its_own_chain(event, make_event, make_poll):
    other = make_event("AUDIT2")
    make_poll(event)
    make_poll(other)
    assert [e.seq for e in audit.entries(event.id)] == [1]
    assert [e.seq for e in audit.entries(other.id)] == [1]


def test_a_changed_entry_breaks_the_chain_there(event, make_poll):
    poll = make_poll(event)
    service.open_poll(poll)
    service.close_poll(poll)
    db.session.execute(
        update(PollAuditEntry)
        .where(PollAuditEntry.event_id == event.id, PollAuditEntry.seq == 3)
        .values(details={"title": poll.title, "total": 999})
    )
    db.session.commit()
    result = audit.verify(event.id)
    assert not result.ok
    assert result.broken_seq == 3
    assert "changed" in result.reason


def test_a_removed_entry_breaks_the_chain(event, make_poll):
    poll = make_poll(event)
    service.open_poll(poll)
    service.close_poll(poll)
    db.session.execute(
        delete(PollAuditEntry).where(PollAuditEntry.event_id == event.id, PollAuditEntry.seq == 2)
    )
    db.session.commit()
    result = audit.verify(event.id)
    assert result.broken_seq == 3
    assert "missing" in result.reason


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(event, make_poll):
    poll = make_poll(event)
    service.open_poll(poll)
    service.close_poll(poll)
    forged = audit.entries(event.id)[1]
    forged.actor = "someone-else@example.org"
    forged.hash = audit.entry_hash(forged)  # a forger can rehash one entry...
    db.session.commit()
    result = audit.verify(event.id)
    assert result.broken_seq == 3  # ...but not the entries after it
    assert "follow" in result.reason


def test_verify_command_reports_and_fails_on_a_broken_chain(app, event, make_poll):
    poll = make_poll(event)
    service.open_poll(poll)
    runner = app.test_cli_runner()
    good = runner.invoke(args=["verify-audit", "audit1"])
    assert good.exit_code == 0
    assert "AUDIT1: 2 entries, chain intact." in good.output
    db.session.execute(update(PollAuditEntry).values(action="closed"))
    db.session.commit()
    bad = runner.invoke(args=["verify-audit"])
    assert bad.exit_code == 1
    assert "BROKEN at entry 1" in bad.output
    unknown = runner.invoke(args=["verify-audit", "NOPE99"])
    assert unknown.exit_code != 0


def test_staff_see_the_log_with_who_acted(client, login, make_user, event, make_poll, page_token):
    moderator = make_user("moderator", events=[event])
    login(client, moderator)
    poll = make_poll(event, title="Funding <mix>")
    token = page_token(client, "/manage/AUDIT1/polls")
    assert (
        client.post(f"/manage/AUDIT1/polls/{poll.id}/open", data={"csrf_token": token}).status_code
        == 302
    )
    page = client.get("/manage/AUDIT1/polls/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chain intact: 2 entries checked." in html
    assert moderator.email in html
    assert "Funding &lt;mix&gt;" in html
    assert audit.entries(event.id)[-1].actor == moderator.email


def test_the_log_page_is_for_the_event_staff_only(client, login, make_user, make_event, event):
    assert client.get("/manage/AUDIT1/polls/audit").status_code in (302, 401)
    login(client, make_user("moderator", events=[make_event("AUDIT3")]))
    assert client.get("/manage/AUDIT1/polls/audit").status_code == 403
