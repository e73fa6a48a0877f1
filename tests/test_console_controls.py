"""The console's plenary controls: Next poll, receipts, badges and links, each shown only
where it applies; and the phone page's secret-ballot note and receipts link without JS."""

from __future__ import annotations

import re

import pytest

from voting.polls import service

CODE = "CTRL01"


@pytest.fixture
def event(make_event):
    return make_event(CODE, name="Controls event")


@pytest.fixture
def moderator(client, login, make_user, event):
    login(client, make_user("moderator", events=[event]))


def console(client) -> str:
    return client.get(f"/manage/{CODE}/polls").get_data(as_text=True)


def entry(html: str, poll) -> str:
    """The console's entry of one poll (up to the next poll's entry)."""
    start = html.index(f'id="poll-{poll.id}"')
    end = html.find('<li class="console-poll', start)
    return html[start : end if end != -1 else len(html)]


def test_console_header_links_to_audit_log_and_qna(client, event, moderator):
    html = console(client)
    assert f'href="/manage/{CODE}/polls/audit"' in html
    assert f'href="/manage/{CODE}/qna"' in html
    assert f'href="/e/{CODE}/qna/display"' in html
    assert ">Audit log<" in html
    assert re.search(r">Q&(amp;)?A console<", html)
    assert re.search(r">Q&(amp;)?A display<", html)


def test_badges_mark_secret_weighted_and_timed_polls_only(client, event, make_poll, moderator):
    plain = make_poll(event, title="Plain")
    secret = make_poll(event, title="Secret", secret=True)
    weighted = make_poll(event, title="Weighted", weighted=True)
    timed = make_poll(event, title="Timed", duration=90)
    html = console(client)
    assert 'class="poll-tags"' not in entry(html, plain)
    assert 'data-tag="secret"' in entry(html, secret)
    assert "Secret ballot" in entry(html, secret)
    assert 'data-tag="weighted"' not in entry(html, secret)
    assert 'data-tag="weighted"' in entry(html, weighted)
    assert 'data-tag="timer"' not in entry(html, weighted)
    assert "Timer 90 s" in entry(html, timed)
    assert 'data-tag="secret"' not in entry(html, timed)


def test_time_left_has_a_place_only_on_an_open_timed_poll(client, event, make_poll, moderator):
    timed = make_poll(event, title="Timed", duration=60)
    untimed = make_poll(event, title="Untimed")
    assert "data-timer-slot" not in console(client)  # prepared: no clock runs yet
    service.open_poll(timed)
    service.open_poll(untimed)
    html = console(client)
    assert f'data-timer-slot="{timed.id}"' in entry(html, timed)
    assert "data-timer-slot" not in entry(html, untimed)


def test_next_poll_names_what_it_opens_and_posts_with_the_token(
    client, event, make_poll, moderator, page_token
):
    first = make_poll(event, title="First question")
    second = make_poll(event, title="Second question")
    html = console(client)
    form = re.search(
        rf'<form method="post" action="/manage/{CODE}/polls/next"[^>]*>(.*?)</form>', html, re.S
    )
    assert form, "no Next poll form"
    assert 'name="csrf_token"' in form.group(1)
    assert "Opens “First question”" in form.group(1)
    assert "disabled" not in form.group(1)
    token = page_token(client, f"/manage/{CODE}/polls")
    response = client.post(f"/manage/{CODE}/polls/next", data={"csrf_token": token})
    assert response.status_code == 302
    assert first.status == "open"
    html = console(client)
    assert "Opens “Second question”" in html
    assert "and closes the poll on the display" in html
    client.post(f"/manage/{CODE}/polls/next", data={"csrf_token": token})
    assert second.status == "open"
    assert first.status == "closed"
    html = console(client)
    assert re.search(r"<button[^>]*data-next-poll[^>]*disabled", html)
    assert "No prepared poll comes after the one on the display." in html


def test_next_with_nothing_prepared_says_so_on_the_console(
    client, event, make_poll, moderator, page_token
):
    service.open_poll(make_poll(event, title="Only one"))
    token = page_token(client, f"/manage/{CODE}/polls")
    response = client.post(f"/manage/{CODE}/polls/next", data={"csrf_token": token})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "No prepared poll comes after this one." in html
    assert 'class="console-polls"' in html  # the console, not an error page


def test_receipt_buttons_only_on_closed_polls_and_link_once_published(
    client, event, make_poll, moderator, page_token
):
    draft = make_poll(event, title="Draft")
    opened = make_poll(event, title="Opened")
    closed = make_poll(event, title="Closed", secret=True)
    service.open_poll(opened)
    service.open_poll(closed)
    service.cast_vote(
        event, closed.id, "voter-1", {"choices": [closed.options[0].id]}, "vote-ctl-0001"
    )
    service.close_poll(closed)
    html = console(client)
    publish = f"/manage/{CODE}/polls/{closed.id}/publish_receipts"
    receipts = f"/e/{CODE}/polls/{closed.id}/receipts"
    for poll in (draft, opened):
        assert "Publish receipts" not in entry(html, poll)
        assert "Withdraw receipts" not in entry(html, poll)
    assert f'action="{publish}"' in entry(html, closed)
    assert f'href="{receipts}"' not in html  # not public yet: no link
    token = page_token(client, f"/manage/{CODE}/polls")
    assert client.post(publish, data={"csrf_token": token}).status_code == 302
    html = console(client)
    assert "Publish receipts" not in entry(html, closed)
    assert f'action="/manage/{CODE}/polls/{closed.id}/withdraw_receipts"' in entry(html, closed)
    assert f'href="{receipts}"' in entry(html, closed)
    withdraw = f"/manage/{CODE}/polls/{closed.id}/withdraw_receipts"
    assert client.post(withdraw, data={"csrf_token": token}).status_code == 302
    html = console(client)
    assert f'href="{receipts}"' not in html
    assert f'action="{publish}"' in entry(html, closed)


def test_weighted_results_show_the_total_weight(client, event, make_poll, moderator):
    weighted = make_poll(event, title="Weighted", weighted=True)
    plain = make_poll(event, title="Plain")
    service.open_poll(weighted)
    service.cast_vote(
        event, weighted.id, "voter-1", {"choices": [weighted.options[0].id]}, "vote-ctl-0002"
    )
    html = console(client)
    assert "total weight" in entry(html, weighted)
    assert "total weight" not in entry(html, plain)


def test_phone_page_explains_a_secret_ballot_before_the_vote(client, event, make_poll):
    secret = make_poll(event, title="Secret", secret=True)
    plain = make_poll(event, title="Plain")
    service.open_poll(secret)
    service.open_poll(plain)
    html = client.get(f"/e/{CODE}").get_data(as_text=True)
    note = "no one, staff included, can see how you voted; you cannot change it once cast."
    assert html.count(note) == 2  # the card's note and the script's text, once each
    card = html[html.index(f'id="poll-{secret.id}"') :]
    assert "data-secret-note" in card[: card.index("</article>")]
    card = html[html.index(f'id="poll-{plain.id}"') :]
    assert "data-secret-note" not in card[: card.index("</article>")]


def test_phone_page_links_published_receipts_of_closed_polls(client, event, make_poll):
    poll = make_poll(event, title="Published")
    service.open_poll(poll)
    service.close_poll(poll)
    assert "data-receipt-link" not in client.get(f"/e/{CODE}").get_data(as_text=True)
    service.publish_receipts(poll)
    html = client.get(f"/e/{CODE}").get_data(as_text=True)
    assert f'href="/e/{CODE}/polls/{poll.id}/receipts"' in html
