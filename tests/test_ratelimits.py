"""Rate limits per person: votes, questions, proposals, upvotes, registration and sign-in.

Each test gives one person a small quota, spends it, and checks that the next attempt
is refused with a clear message and changes nothing, while another person behind the
same address (a venue's wifi) is not held back.
"""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, select

from tests.authorisation_helpers import database_fingerprint
from tests.board_helpers import join_board
from tests.conftest import PASSWORD, app_settings, csrf_from
from tests.test_registration_views import form as registration_form
from voting import create_app, ratelimits
from voting.api.views import _counted_by_ratelimits
from voting.extensions import db, limiter
from voting.ideas import service as ideas
from voting.models import Idea, QnaQuestion, Registration
from voting.polls.service import open_poll


@pytest.fixture
def limited(app):
    """Turn the per-person limits on with small quotas: `limited(vote="2 per minute")`."""

    def set_limits(**rates: str) -> None:
        app.config["RATELIMIT_ENABLED"] = True
        app.config["PERSON_RATE_LIMITS"] = rates
        ratelimits.init_app(app)

    return set_limits


def phone_socket(app, socket_for, code: str, page: str = "", join: str = "join"):
    """A phone that opened a page of the event and joined over its socket."""
    client = app.test_client()
    sock, _ = join_board(socket_for, client, f"/e/{code}{page}", join, {"event": code})
    return client, sock


def vote(sock, poll, option) -> dict:
    """Cast a vote for one option with a fresh vote id; return the ack."""
    payload = {"poll_id": poll.id, "choices": [option.id], "vote_id": str(uuid.uuid4())}
    return sock.emit("cast_vote", payload, callback=True)


def test_votes_over_the_quota_are_refused_and_change_nothing(
    app, socket_for, make_event, make_poll, limited
):
    limited(vote="3 per minute")
    event = make_event("RATE01", allow_anonymous=True)
    poll = make_poll(event, options=("Bigger", "Smaller"))
    open_poll(poll)
    _, sock = phone_socket(app, socket_for, "RATE01")
    bigger, smaller = poll.options
    for option in (bigger, smaller, bigger):  # people change their minds
        assert vote(sock, poll, option)["ok"]
    before = database_fingerprint()
    refused = vote(sock, poll, smaller)
    assert refused["ok"] is False
    assert refused["error"] == "rate_limited"
    assert "Wait a moment" in refused["message"]
    assert 1 <= refused["retry_after"] <= 60  # when the minute's window ends
    assert database_fingerprint() == before
    # The neighbour on the same wifi votes as usual.
    _, neighbour = phone_socket(app, socket_for, "RATE01")
    assert vote(neighbour, poll, smaller)["ok"]


def test_results_api_reads_are_limited_per_address(app, make_event, make_poll, limited):
    """A script polling the results API is held back by its address; others still read."""
    limited(results="3 per minute")
    poll = make_poll(make_event("RATE09"), options=("Bigger", "Smaller"))
    open_poll(poll)
    url = f"/api/v1/events/RATE09/polls/{poll.id}/results"
    script = app.test_client()
    script.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert [script.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = script.get(url)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert "Wait a moment" in refused.get_json()["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    stage = app.test_client()
    stage.environ_base["REMOTE_ADDR"] = "198.51.100.2"
    assert stage.get(url).get_json()["total"] == 0


def test_questions_share_one_quota_over_socket_and_form(app, socket_for, make_event, limited):
    limited(question="2 per minute")
    make_event("RATE02")
    client, sock = phone_socket(app, socket_for, "RATE02", "/qna", "join_qna")
    for text in ("Who chairs the call?", "When is the deadline?"):
        assert sock.emit("ask_question", {"text": text}, callback=True)["ok"]
    refused = sock.emit("ask_question", {"text": "Is there a third call?"}, callback=True)
    assert refused["error"] == "rate_limited"
    # The same person through the page without JavaScript: the same quota, a 429 page.
    token = csrf_from(client.get("/e/RATE02/qna").get_data(as_text=True))
    response = client.post("/e/RATE02/qna", data={"csrf_token": token, "text": "Anyone else?"})
    assert response.status_code == 429
    assert "You have sent many questions" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert db.session.scalar(select(func.count()).select_from(QnaQuestion)) == 2


def test_proposals_and_upvotes_are_limited_per_phone(app, socket_for, make_event, limited):
    limited(proposal="1 per minute", upvote="2 per minute")
    event = make_event("RATE03")
    _, sock = phone_socket(app, socket_for, "RATE03", "/ideas", "join_ideas")
    first = sock.emit("propose_idea", {"text": "Scaling-up of SMEs"}, callback=True)
    assert first["ok"]
    second = sock.emit("propose_idea", {"text": "Skills for clusters"}, callback=True)
    assert second["error"] == "rate_limited"
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 1
    # Upvotes: toggling on and off counts every time.
    ideas.approve(event, first["idea"]["id"])
    _, voter = phone_socket(app, socket_for, "RATE03", "/ideas", "join_ideas")
    idea_id = first["idea"]["id"]
    assert voter.emit("upvote_idea", {"idea_id": idea_id}, callback=True)["ok"]
    assert voter.emit("upvote_idea", {"idea_id": idea_id, "up": False}, callback=True)["ok"]
    refused = voter.emit("upvote_idea", {"idea_id": idea_id}, callback=True)
    assert refused["error"] == "rate_limited"


def test_registration_is_limited_per_email_not_per_address(
    app, make_conference, page_token, limited, smtp
):
    limited(register="1 per minute")
    event = make_conference("RATE04")
    client = app.test_client()
    token = page_token(client, "/e/RATE04/register")
    assert client.post("/e/RATE04/register", data=registration_form(event, token)).status_code in (
        302,
        303,
    )
    # The same address again (e.g. cancelled and retried at once): held back, clearly.
    again = app.test_client()
    token = page_token(again, "/e/RATE04/register")
    response = again.post(
        "/e/RATE04/register", data=registration_form(event, token, email="jonas.berg@example.org")
    )
    assert response.status_code == 429
    assert "Too many registrations for this email address" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # A colleague on the same wifi registers as usual.
    colleague = app.test_client()
    token = page_token(colleague, "/e/RATE04/register")
    data = registration_form(event, token, email="ana.lima@example.org", first_name="Ana")
    assert colleague.post("/e/RATE04/register", data=data).status_code in (302, 303)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_failed_sign_ins_are_limited_per_account(app, make_user, page_token, limited):
    limited(login="3 per minute")
    target, colleague = make_user(email="chair@example.org"), make_user(email="desk@example.org")
    # Signing in successfully, again and again (several devices), is never held back.
    owner = app.test_client()
    token = page_token(owner, "/login")
    for _ in range(5):
        data = {"email": colleague.email, "password": PASSWORD, "csrf_token": token}
        assert owner.post("/login", data=data).status_code == 302
    guesser = app.test_client()
    token = page_token(guesser, "/login")
    for guess in ("one", "two", "three"):
        data = {"email": target.email, "password": guess, "csrf_token": token}
        assert guesser.post("/login", data=data).status_code == 401
    # Even the right password waits now: the account is being guessed.
    data = {"email": " Chair@Example.org ", "password": PASSWORD, "csrf_token": token}
    response = guesser.post("/login", data=data)
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Another account from the same address signs in.
    data = {"email": colleague.email, "password": PASSWORD, "csrf_token": token}
    assert guesser.post("/login", data=data).status_code == 302


def test_the_wait_is_until_the_last_full_window_ends(app, limited, monkeypatch):
    """Two windows: the refusal names the later end of the windows that are full."""
    limited(vote="2 per 10 seconds; 3 per minute")
    clock = [1000.0]
    storage = app.extensions["person_rate_limits"].strategy.storage
    monkeypatch.setattr(storage, "now", lambda: clock[0])
    for moment in (1000.0, 1001.0, 1011.0):
        clock[0] = moment
        ratelimits.check("vote", "phone-1")
    clock[0] = 1012.0
    with pytest.raises(ratelimits.RateLimited) as refused:
        ratelimits.check("vote", "phone-1")  # 2 of 2 in its 10 s, 4 of 3 in the minute
    assert refused.value.retry_after == 48  # the minute's window ends at 1060
    assert refused.value.as_ack()["retry_after"] == 48
    clock[0] = 1059.5
    with pytest.raises(ratelimits.RateLimited) as refused:
        ratelimits.check("vote", "phone-1")
    assert refused.value.retry_after == 1  # half a second, in whole seconds


def test_limits_are_off_when_rate_limiting_is_disabled(app, socket_for, make_event, make_poll):
    # The test app disables rate limiting: many quick votes of one phone all count.
    event = make_event("RATE05", allow_anonymous=True)
    poll = make_poll(event, options=("Bigger", "Smaller"))
    open_poll(poll)
    _, sock = phone_socket(app, socket_for, "RATE05")
    assert all(vote(sock, poll, poll.options[i % 2])["ok"] for i in range(30))


def test_the_longer_wait_wins_over_flask_limiters_header(tmp_path):
    """Flask-Limiter sends its own Retry-After on the sign-in form: a refusal for 15 minutes
    must not be told the end of Flask-Limiter's one-minute window."""
    config = app_settings(
        tmp_path,
        RATELIMIT_ENABLED=True,
        SERVER_NAME=None,
        PERSON_RATE_LIMITS={"login": "2 per 15 minutes"},
    )
    app = create_app(config)
    try:
        with app.app_context():
            db.create_all()
            client = app.test_client()
            token = csrf_from(client.get("/login").get_data(as_text=True))
            data = {"email": "chair@example.org", "password": "wrong", "csrf_token": token}
            answers = [client.post("/login", data=data) for _ in range(3)]
            assert [a.status_code for a in answers] == [401, 401, 429]
            assert int(answers[0].headers["Retry-After"]) <= 60  # Flask-Limiter's window
            assert 14 * 60 < int(answers[2].headers["Retry-After"]) <= 15 * 60
            db.engine.dispose()
    finally:
        limiter.enabled = False  # or the next app built without the setting inherits it


def test_unknown_rate_syntax_fails_at_start(app):
    app.config["PERSON_RATE_LIMITS"] = {"vote": "often"}
    with pytest.raises(ValueError, match="couldn't parse rate limit"):
        ratelimits.init_app(app)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from("abc")), max_size=40))
def test_swept_memory_counts_as_the_limits_package_memory_storage(steps):
    """Within a window, the same answers as `limits`' fixed window on its memory storage."""
    rate = parse_many("3 per minute")[0]
    ours = FixedWindowRateLimiter(storage_from_string("swept-memory://"))
    theirs = FixedWindowRateLimiter(MemoryStorage())
    for counted, person in steps:
        if counted:
            assert ours.hit(rate, "vote", person) == theirs.hit(rate, "vote", person)
        else:
            assert ours.test(rate, "vote", person) == theirs.test(rate, "vote", person)
        assert ours.get_window_stats(rate, "vote", person).remaining == (
            theirs.get_window_stats(rate, "vote", person).remaining
        )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("abc"), max_size=40))
def test_counting_all_windows_at_once_answers_as_limits_hit_per_window(people):
    """hit_all (a vote's two windows in one call) counts and answers as limits' hits do,
    in the same counters, which `test` then reads."""
    rates = parse_many("3 per second; 5 per minute")
    ours = FixedWindowRateLimiter(storage_from_string("swept-memory://"))
    theirs = FixedWindowRateLimiter(MemoryStorage())
    for person in people:
        windows = [(rate.key_for("vote", person), rate.get_expiry(), rate.amount) for rate in rates]
        answers = [theirs.hit(rate, "vote", person) for rate in rates]  # each one counts
        assert ours.storage.hit_all(windows) == all(answers)
        for rate in rates:
            assert ours.test(rate, "vote", person) == theirs.test(rate, "vote", person)


def test_swept_memory_windows_restart_after_their_period_and_ended_ones_go(monkeypatch):
    clock = [1000.0]
    storage = ratelimits.SweptMemoryStorage()
    monkeypatch.setattr(storage, "now", lambda: clock[0])
    windows = FixedWindowRateLimiter(storage)
    rate = parse_many("2 per second")[0]
    assert windows.hit(rate, "vote", "p1")
    assert windows.hit(rate, "vote", "p1")
    assert not windows.test(rate, "vote", "p1")
    assert not windows.hit(rate, "vote", "p1")
    assert windows.get_window_stats(rate, "vote", "p1").reset_time == 1001.0
    assert windows.hit(rate, "vote", "p2")  # another person's window
    clock[0] += 1.01
    assert windows.test(rate, "vote", "p1")
    assert windows.hit(rate, "vote", "p1")  # a new window; this hit also sweeps p2's out
    assert len(storage._windows) == 1
    storage.clear(rate.key_for("vote", "p1"))
    assert storage.get(rate.key_for("vote", "p1")) == 0
    assert windows.hit(rate, "vote", "p3")
    assert storage.reset() == 1
    assert storage.check()


def test_http_limits_count_in_the_swept_memory_by_default(tmp_path):
    """Flask-Limiter's HTTP limits use the same timer-free storage as the per-person ones."""
    # Explicitly on: Flask-Limiter keeps the last app's setting when the config has none.
    app = create_app(app_settings(tmp_path, RATELIMIT_ENABLED=True, SERVER_NAME=None))
    try:
        with app.app_context():
            db.create_all()
            client = app.test_client()
            url = "/api/v1/events/NOPE/polls/1/receipts"
            left = [int(client.get(url).headers["X-RateLimit-Remaining"]) for _ in range(3)]
            assert left == [599, 598, 597]
            for _ in range(597):
                client.get(url)
            refused = client.get(url)
            assert refused.status_code == 429
            assert refused.get_json()["error"] == "rate_limited"  # as the app's own limits
            assert int(refused.headers["Retry-After"]) > 0
            # The results are counted by voting.ratelimits alone: Flask-Limiter skips them.
            results = client.get("/api/v1/events/NOPE/polls/1/results")
            assert results.status_code == 404
            assert "X-RateLimit-Remaining" not in results.headers
            with app.test_request_context("/api/v1/events/NOPE/polls/1/results"):
                assert _counted_by_ratelimits()  # skipped before Flask-Limiter's lookup
            with app.test_request_context(url):
                assert not _counted_by_ratelimits()
            assert isinstance(limiter.storage, ratelimits.SweptMemoryStorage)
            person_limits = app.extensions["person_rate_limits"].strategy
            assert isinstance(person_limits.storage, ratelimits.SweptMemoryStorage)
            db.engine.dispose()
    finally:
        limiter.enabled = False  # or the next app built without the setting inherits it


def test_unreachable_counters_count_in_this_process_and_say_so_once(
    limited, app, caplog, monkeypatch
):
    """Redis down (or its pool busy): limits hold per process, and the log says why, once."""
    limited(vote="2 per minute")
    uri = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    options = ratelimits._storage_options(uri)
    assert options["connection_pool"].max_connections == ratelimits.REDIS_POOL_SIZE
    limits = app.extensions["person_rate_limits"]
    unreachable = FixedWindowRateLimiter(storage_from_string(uri, **options))
    app.extensions["person_rate_limits"] = ratelimits.PersonLimits(limits.rates, unreachable)
    ratelimits._last_failure_log[0] = -1e9
    ratelimits.check("vote", "phone-1")
    ratelimits.refuse_if_spent("vote", "phone-1")
    ratelimits.spend("vote", "phone-1")  # the second of two
    with pytest.raises(ratelimits.RateLimited):
        ratelimits.refuse_if_spent("vote", "phone-1")
    # The wait comes from the counters that refused: this process's, whose clock is
    # moved 20 s into the minute (the dead Redis would give the whole minute).
    fallback = app.extensions["person_rate_limits"].fallback.storage
    started = time.time()
    monkeypatch.setattr(fallback, "now", lambda: started + 20)
    with pytest.raises(ratelimits.RateLimited) as refused:
        ratelimits.check("vote", "phone-1")
    assert 38 <= refused.value.retry_after <= 40  # its window began just before `started`
    ratelimits.check("vote", "phone-2")  # another person's own count
    assert caplog.text.count("rate limits counted in this process only") == 1
