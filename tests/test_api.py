"""JSON API: tokens, roles and results visibility."""

from __future__ import annotations

import pytest

from voting.accounts.service import create_token
from voting.models import PollStatus
from voting.polls import service


@pytest.fixture
def event(make_event):
    return make_event("API001")


@pytest.fixture
def poll(event, make_poll):
    return make_poll(event, title="API poll")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_event_lists_public_polls(client, event, poll, make_poll):
    opened = make_poll(event, title="Open one")
    service.open_poll(opened)
    data = client.get("/api/v1/events/api001").get_json()
    assert data["code"] == "API001"
    assert [p["title"] for p in data["polls"]] == ["Open one"]
    assert set(data["polls"][0]) >= {"id", "title", "kind", "status", "options"}


def test_staff_token_sees_drafts(client, event, poll, make_user):
    token = create_token(make_user("moderator", events=[event]))
    data = client.get("/api/v1/events/API001", headers=bearer(token)).get_json()
    assert [p["title"] for p in data["polls"]] == ["API poll"]


def test_open_and_close_need_a_staff_token(client, event, poll, make_user, make_event):
    url = f"/api/v1/events/API001/polls/{poll.id}/open"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=bearer("made-up")).status_code == 401
    other = create_token(make_user("moderator", events=[make_event()]))
    assert client.post(url, headers=bearer(other)).status_code == 403
    checkin = create_token(make_user("checkin", events=[event]))
    assert client.post(url, headers=bearer(checkin)).status_code == 403
    assert poll.status == PollStatus.draft
    token = create_token(make_user("moderator", events=[event]))
    response = client.post(url, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["status"] == "open"
    again = client.post(url, headers=bearer(token))
    assert again.status_code == 409
    assert again.get_json()["error"] == "poll_open"
    closed = client.post(f"/api/v1/events/API001/polls/{poll.id}/close", headers=bearer(token))
    assert closed.get_json()["status"] == "closed"


def test_results_honour_visibility(client, event, make_poll, make_user):
    poll = make_poll(event, visibility="hidden")
    service.open_poll(poll)
    service.cast_vote(event, poll.id, "voter-1", [poll.options[0].id], "api-vote-1")
    public = client.get(f"/api/v1/events/API001/polls/{poll.id}/results").get_json()
    assert public["total"] == 1
    assert public["visible"] is False
    assert public["options"] is None
    token = create_token(make_user("moderator", events=[event]))
    staff = client.get(
        f"/api/v1/events/API001/polls/{poll.id}/results", headers=bearer(token)
    ).get_json()
    assert staff["options"][0]["count"] == 1


def test_draft_results_are_not_public(client, event, poll):
    assert client.get(f"/api/v1/events/API001/polls/{poll.id}/results").status_code == 403


@pytest.mark.parametrize(
    "url", ["/api/v1/events/NOPE00", "/api/v1/events/API001/polls/999/results"]
)
def test_unknown_things_are_json_404(client, event, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]


POLL_BODIES = [
    {"title": "Funding mix", "kind": "points", "budget": 100, "options": ["Bigger", "Smaller"]},
    {"title": "Priorities", "kind": "ranking", "options": ["Internationalisation", "Uptake"]},
    {"title": "Useful?", "kind": "rating", "scale": 10, "low_label": "No", "high_label": "Very"},
    {"title": "Adopt the mix?", "kind": "yes_no", "majority": "simple"},
    {"title": "One word", "kind": "text", "moderate_answers": True},
    {"title": "Capital?", "kind": "quiz", "options": ["Oslo", "Rome"], "correct": [1]},
    {"title": "Pick", "kind": "multiple", "max_choices": 2, "options": ["A", "B", "C"]},
]


@pytest.mark.parametrize("body", POLL_BODIES, ids=[b["kind"] for b in POLL_BODIES])
def test_staff_token_creates_a_poll_of_each_kind(client, event, make_user, body):
    token = create_token(make_user("moderator", events=[event]))
    response = client.post("/api/v1/events/API001/polls", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["kind"] == body["kind"]
    assert data["status"] == "draft"
    created = event.polls[-1]
    assert created.title == body["title"]
    if body["kind"] == "points":
        assert data["budget"] == 100
    if body["kind"] == "rating":
        assert len(data["options"]) == 10
        assert data["high_label"] == "Very"
    if body["kind"] == "quiz":
        assert [o["correct"] for o in data["options"]] == [False, True]
    # Public listing of a quiz never carries its answer before close.
    service.open_poll(created)
    public = client.get("/api/v1/events/API001").get_json()["polls"][0]
    assert all("correct" not in option for option in public["options"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (None, "invalid_json"),
        ([1, 2], "invalid_json"),
        ({"kind": "single", "options": ["A", "B"]}, "invalid_title"),
        ({"title": 5, "options": ["A", "B"]}, "invalid_field"),
        ({"title": "T", "options": "A,B"}, "invalid_field"),
        ({"title": "T", "options": [1, 2]}, "invalid_options"),
        ({"title": "T", "options": ["A", "B"], "kind": "lottery"}, "invalid_kind"),
        ({"title": "T", "options": ["A", "B"], "max_choices": True}, "invalid_field"),
        ({"title": "T", "options": ["A", "B"], "colour": "red"}, "invalid_field"),
        ({"title": "T", "kind": "points", "options": ["A", "B"], "budget": 0}, "invalid_budget"),
        ({"title": "T", "kind": "rating", "scale": 1}, "invalid_scale"),
        ({"title": "T", "kind": "quiz", "options": ["A", "B"]}, "invalid_correct"),
    ],
)
def test_bad_poll_bodies_are_refused_and_nothing_created(client, event, make_user, body, code):
    token = create_token(make_user("moderator", events=[event]))
    if body is None:
        response = client.post(
            "/api/v1/events/API001/polls", data="not json", headers=bearer(token)
        )
    else:
        response = client.post("/api/v1/events/API001/polls", json=body, headers=bearer(token))
    assert response.status_code == 400
    assert response.get_json()["error"] == code
    assert event.polls == []


def test_creating_polls_needs_a_staff_token_of_the_event(client, event, make_event, make_user):
    body = {"title": "T", "options": ["A", "B"]}
    assert client.post("/api/v1/events/API001/polls", json=body).status_code == 401
    other = make_event("API002")
    token = create_token(make_user("moderator", events=[other]))
    forbidden = client.post("/api/v1/events/API001/polls", json=body, headers=bearer(token))
    assert forbidden.status_code == 403
    checkin = create_token(make_user("checkin", events=[event]))
    assert (
        client.post("/api/v1/events/API001/polls", json=body, headers=bearer(checkin)).status_code
        == 403
    )
    assert event.polls == []


def test_public_results_are_cached_for_a_tally_interval_but_never_past_a_staff_action(
    app, client, event, make_poll, held_back_pushes
):
    poll = make_poll(event, visibility="hidden")
    service.open_poll(poll)
    app.config["TALLY_INTERVAL"] = 60  # long enough to see the cache at work
    url = f"/api/v1/events/API001/polls/{poll.id}/results"
    assert client.get(url).get_json()["total"] == 0
    service.cast_vote(event, poll.id, "p1", [poll.options[0].id], "cache-vote-1")
    assert client.get(url).get_json()["total"] == 0  # within the interval: the same tally
    service.reveal_results(poll)  # a staff action drops it at once
    fresh = client.get(url).get_json()
    assert fresh["total"] == 1
    assert fresh["visible"] is True
    service.reveal_results(poll, revealed=False)
    hidden = client.get(url).get_json()
    assert hidden["visible"] is False
    assert hidden["options"] is None


def test_tally_pushes_keep_the_public_results_cache_current_for_their_own_event_only(
    app, client, event, make_event, make_poll, held_back_pushes
):
    poll = make_poll(event)
    draft = make_poll(event)
    service.open_poll(poll)
    other = make_event(code="API002")
    app.config["TALLY_INTERVAL"] = 60  # no expiry during the test: only pushes refresh it
    url = f"/api/v1/events/API001/polls/{poll.id}/results"
    assert client.get(url).get_json()["total"] == 0
    service.cast_vote(event, poll.id, "p1", [poll.options[0].id], "push-vote-1")
    assert client.get(url).get_json()["total"] == 0  # cached, not yet pushed
    service.push_results(poll.id, participants=False)
    pushed = client.get(url).get_json()
    assert pushed["total"] == 1
    assert "echo" not in pushed
    assert "seq" not in pushed
    # The cache answers only for the poll's own event; another event's code is a 404.
    assert client.get(f"/api/v1/events/{other.code}/polls/{poll.id}/results").status_code == 404
    # A draft pushed by a staff action is never served from the cache to the public.
    service.push_results(draft.id, participants=True)
    refused = client.get(f"/api/v1/events/API001/polls/{draft.id}/results")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "not_public"
