"""Ideas board: the service's rules, the pages, the socket handlers and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.board_helpers import check_join_refusals, join_board, phone_page, refused, staff_page
from tests.conftest import csrf_from, events_named
from voting.extensions import db
from voting.ideas import service
from voting.models import Idea, IdeaStatus, IdeaVote, Participant, Theme


@pytest.fixture
def event(make_event):
    return make_event("IDEA01")


@pytest.fixture
def other(make_event):
    return make_event("IDEA02")


def idea(event, key="phone-a", text="Open science in practice", approve=True):
    """Propose (and approve) an idea through the service."""
    made = service.propose(event, key, text)
    if approve:
        service.approve(event, made.id)
    return made


def vote_count(idea_id: int) -> int:
    return db.session.scalar(select(func.count()).where(IdeaVote.idea_id == idea_id))


def counts() -> tuple[int, int, int]:
    """Ideas, upvotes and themes stored: bad input must change none of them."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Idea, IdeaVote, Theme)
    )


# --- service ---------------------------------------------------------------------------


def test_propose_trims_and_stores_pending_with_lazy_participant(event):
    made = service.propose(event, "phone-a", "   Green   mobility\n now ")
    assert made.text == "Green mobility now"
    assert made.status == IdeaStatus.pending
    participant = db.session.get(Participant, made.participant_id)
    assert participant.public_id == "phone-a"
    assert participant.event_id == event.id
    assert service.ranked(event.id) == []
    assert [i["text"] for i in service.queue(event.id)] == ["Green mobility now"]


@pytest.mark.parametrize("text", ["", "  ", "ab", "x" * 201, "x" * 5000, None, 42, ["list"]])
def test_propose_refuses_bad_text(event, text):
    refused("invalid_text", service.propose, event, "phone-a", text)
    assert counts() == (0, 0, 0)


def test_propose_accepts_unicode_and_200_chars(event):
    assert service.propose(event, "k", "Énergie ☀️ für alle — 日本").text.startswith("Énergie")
    assert len(service.propose(event, "k", "y" * 200).text) == 200


def test_propose_needs_participant_key(event):
    refused("no_session", service.propose, event, None, "A fine idea")


def test_duplicate_text_points_to_the_idea_to_upvote(event):
    first = idea(event, text="Circular economy")
    error = refused("duplicate_idea", service.propose, event, "phone-b", "  circular   ECONOMY ")
    assert error.idea_id == first.id
    assert "upvote" in error.message
    pending = idea(event, text="Skills for the future", approve=False)
    error = refused("duplicate_idea", service.propose, event, "phone-b", "skills for the FUTURE")
    assert error.idea_id is None
    assert pending.id
    assert len(service.queue(event.id)) == 1


def test_same_text_in_another_event_is_fine(event, other):
    idea(event, text="Circular economy")
    idea(other, key="phone-z", text="Circular economy")


def test_participant_limit_counts_pending_and_approved_only(event):
    made = [service.propose(event, "phone-a", f"Idea number {n}") for n in range(5)]
    refused("too_many_ideas", service.propose, event, "phone-a", "One too many")
    service.hide(event, made[0].id)
    service.propose(event, "phone-a", "Room again after a hide")
    service.propose(event, "phone-b", "Others are not limited")


def test_key_of_another_event_is_refused(event, other):
    service.propose(other, "phone-a", "Belongs elsewhere")
    refused("wrong_event", service.propose, event, "phone-a", "Sneaky idea")


def test_moderation_approve_hide_edit(event):
    made = idea(event, approve=False)
    service.approve(event, made.id)
    assert [i["id"] for i in service.ranked(event.id)] == [made.id]
    service.edit(event, made.id, "  Open science,   in practice ")
    assert service.ranked(event.id)[0]["text"] == "Open science, in practice"
    service.hide(event, made.id)
    assert service.ranked(event.id) == []
    assert [i["id"] for i in service.hidden(event.id)] == [made.id]


def test_edit_refuses_duplicates_and_bad_text(event):
    first = idea(event, text="Digital twins")
    second = idea(event, key="phone-b", text="Smart cities")
    refused("duplicate_idea", service.edit, event, second.id, "digital TWINS")
    refused("invalid_text", service.edit, event, second.id, "")
    service.edit(event, first.id, "DIGITAL twins")  # its own text in another case is fine
    assert db.session.get(Idea, second.id).text == "Smart cities"


def test_upvote_is_idempotent_and_withdrawable(event):
    made = idea(event)
    assert service.upvote(event, "voter-1", made.id).votes == 1
    assert service.upvote(event, "voter-1", made.id).votes == 1
    assert service.upvote(event, "voter-2", made.id).votes == 2
    result = service.upvote(event, "voter-1", made.id, up=False)
    assert (result.votes, result.mine) == (1, False)
    assert service.upvote(event, "voter-1", made.id, up=False).votes == 1
    assert service.mine(event.id, "voter-2") == [made.id]


def test_withdrawing_creates_no_participant(event):
    made = idea(event)
    before = db.session.scalar(select(func.count()).select_from(Participant))
    service.upvote(event, "never-voted", made.id, up=False)
    assert db.session.scalar(select(func.count()).select_from(Participant)) == before


@pytest.mark.parametrize("status", ["pending", "hidden", "merged"])
def test_only_approved_ideas_take_upvotes(event, status):
    made = idea(event, approve=status != "pending")
    if status == "hidden":
        service.hide(event, made.id)
    if status == "merged":
        target = idea(event, key="phone-b", text="The target idea")
        service.merge(event, made.id, target.id)
    refused("idea_not_open", service.upvote, event, "voter-1", made.id)
    assert vote_count(made.id) == 0


@pytest.mark.parametrize("idea_id", [None, "x", -1, 0, 2**31, 10**30, True, 1.5, [1]])
def test_upvote_bad_ids(event, idea_id):
    idea(event)
    refused("unknown_idea", service.upvote, event, "voter-1", idea_id)


def test_upvote_idea_of_another_event(event, other):
    foreign = idea(other, key="phone-z")
    refused("unknown_idea", service.upvote, event, "voter-1", foreign.id)
    refused("unknown_idea", service.approve, event, foreign.id)
    refused("unknown_idea", service.merge, event, idea(event).id, foreign.id)


def test_ranked_by_votes_then_oldest(event):
    old = idea(event, key="a", text="Oldest idea")
    mid = idea(event, key="b", text="Middle idea")
    new = idea(event, key="c", text="Newest idea")
    for voter in ("v1", "v2"):
        service.upvote(event, voter, new.id)
    service.upvote(event, "v1", mid.id)
    assert [i["id"] for i in service.ranked(event.id)] == [new.id, mid.id, old.id]
    service.upvote(event, "v3", old.id)
    assert [i["id"] for i in service.ranked(event.id)] == [new.id, old.id, mid.id]


def test_merge_moves_votes_once_per_participant(event):
    source = idea(event, key="a", text="Renewable energy")
    target = idea(event, key="b", text="Green energy")
    for voter in ("both", "only-source"):
        service.upvote(event, voter, source.id)
    for voter in ("both", "only-target"):
        service.upvote(event, voter, target.id)
    service.merge(event, source.id, target.id)
    assert vote_count(target.id) == 3
    assert vote_count(source.id) == 0
    merged = db.session.get(Idea, source.id)
    assert merged.status == IdeaStatus.merged
    assert merged.merged_into_id == target.id
    assert [i["id"] for i in service.ranked(event.id)] == [target.id]
    assert service.mine(event.id, "only-source") == [target.id]


def test_merge_chains_and_refusals(event):
    a = idea(event, key="a", text="First wording")
    b = idea(event, key="b", text="Second wording")
    c = idea(event, key="c", text="Third wording")
    service.merge(event, a.id, b.id)
    service.merge(event, b.id, c.id)
    assert db.session.get(Idea, a.id).merged_into_id == c.id
    refused("invalid_merge", service.merge, event, c.id, c.id)
    refused("invalid_merge", service.merge, event, c.id, a.id)
    refused("idea_merged", service.merge, event, a.id, c.id)
    error = refused("duplicate_idea", service.propose, event, "d", "first WORDING")
    assert error.idea_id == c.id


def test_promote_creates_themes_once_after_existing(event):
    db.session.add(Theme(event_id=event.id, title="Existing theme", position=7))
    db.session.commit()
    first = idea(event, key="a", text="Water management")
    second = idea(event, key="b", text="existing THEME")
    service.upvote(event, "v", first.id)
    themes = service.promote(event, top=5)
    assert [(t.title, t.position, t.idea_id) for t in themes] == [("Water management", 8, first.id)]
    assert service.promote(event, idea_ids=[first.id, second.id]) == []
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 2
    assert service.ranked(event.id)[0]["theme"] is True


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"top": 0}, "invalid_promote"),
        ({"top": "lots"}, "invalid_promote"),
        ({"top": 10**9}, "invalid_promote"),
        ({"idea_ids": []}, "invalid_promote"),
        ({"idea_ids": "1"}, "invalid_promote"),
        ({"idea_ids": [10**12]}, "unknown_idea"),
        ({"idea_ids": ["abc"]}, "unknown_idea"),
    ],
)
def test_promote_bad_input(event, kwargs, code):
    idea(event)
    refused(code, service.promote, event, **kwargs)
    assert counts()[2] == 0


def test_promote_refuses_pending_and_other_events(event, other):
    pending = idea(event, approve=False)
    foreign = idea(other, key="z")
    good = idea(event, key="b", text="A good one")
    refused("idea_not_open", service.promote, event, idea_ids=[good.id, pending.id])
    refused("unknown_idea", service.promote, event, idea_ids=[good.id, foreign.id])
    assert counts()[2] == 0


# --- the phone's pages --------------------------------------------------------------------


def phone(app, page_token, code="IDEA01"):
    return phone_page(app, page_token, f"/e/{code}/ideas")


def test_phone_proposes_without_js(app, event, page_token):
    client, token = phone(app, page_token)
    response = client.post(
        "/e/IDEA01/ideas", data={"text": "Youth in science", "csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A moderator will put your idea on the board" in page
    assert "You have 1 of 5 ideas open" in page
    assert "Youth in science" not in page  # pending ideas stay off the board


@pytest.mark.parametrize("text", ["", "no", "z" * 5000])
def test_phone_bad_text_is_400_and_stores_nothing(app, event, page_token, text):
    client, token = phone(app, page_token)
    response = client.post("/e/IDEA01/ideas", data={"text": text, "csrf_token": token})
    assert response.status_code == 400
    assert "3 to 200 characters" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)


def test_phone_duplicate_links_to_the_idea(app, event, page_token):
    made = idea(event, text="Ocean plastics")
    client, token = phone(app, page_token)
    response = client.post("/e/IDEA01/ideas", data={"text": "OCEAN plastics", "csrf_token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "upvote it instead" in page
    assert f'href="#idea-{made.id}"' in page


def test_missing_csrf_changes_nothing(app, event, page_token):
    made = idea(event)
    client, _ = phone(app, page_token)
    assert client.post("/e/IDEA01/ideas", data={"text": "No token idea"}).status_code == 400
    assert client.post(f"/e/IDEA01/ideas/{made.id}/upvote", data={}).status_code == 400
    assert counts() == (1, 0, 0)


def test_phone_upvotes_and_withdraws_without_js(app, event, page_token):
    made = idea(event, text="<script>alert(1)</script> & more")
    client, token = phone(app, page_token)
    page = client.get("/e/IDEA01/ideas").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    url = f"/e/IDEA01/ideas/{made.id}/upvote"
    response = client.post(url, data={"csrf_token": token, "up": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#idea-{made.id}")
    client.post(url, data={"csrf_token": token, "up": "1"})
    assert vote_count(made.id) == 1
    page = client.get("/e/IDEA01/ideas").get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    client.post(url, data={"csrf_token": token, "up": "0"})
    assert vote_count(made.id) == 0


@pytest.mark.parametrize("idea_id", ["99999", "99999999999999999999"])
def test_phone_upvote_unknown_ids(app, event, page_token, idea_id):
    idea(event)
    client, token = phone(app, page_token)
    response = client.post(f"/e/IDEA01/ideas/{idea_id}/upvote", data={"csrf_token": token})
    assert response.status_code == 404
    assert counts()[1] == 0


def test_phone_upvote_other_events_idea(app, event, other, page_token):
    foreign = idea(other, key="z")
    client, token = phone(app, page_token)
    response = client.post(f"/e/IDEA01/ideas/{foreign.id}/upvote", data={"csrf_token": token})
    assert response.status_code == 404
    assert counts()[1] == 0


def test_registration_only_event_blocks_anonymous_phones(app, make_event, page_token):
    closed = make_event("CLOSED1", allow_anonymous=False)
    client = app.test_client()
    page = client.get("/e/CLOSED1/ideas").get_data(as_text=True)
    assert "register before they take part" in page
    token = csrf_from(page)
    response = client.post("/e/CLOSED1/ideas", data={"text": "Let me in", "csrf_token": token})
    assert response.status_code == 403
    assert closed.id
    assert counts() == (0, 0, 0)


def test_display_page_ranks_with_counts_as_text(app, client, event):
    first = idea(event, key="a", text="Less voted")
    second = idea(event, key="b", text="Most voted")
    service.upvote(event, "v1", second.id)
    service.upvote(event, "v2", second.id)
    service.upvote(event, "v1", first.id)
    page = client.get("/e/IDEA01/ideas/display").get_data(as_text=True)
    assert page.index("Most voted") < page.index("Less voted")
    assert "2</span> votes" in page
    assert "1</span> vote<" in page
    assert client.get("/e/IDEA01/ideas/qr.svg").mimetype == "image/svg+xml"
    assert client.get("/e/NOPE/ideas/display").status_code == 404


def test_live_page_and_staff_home_link_to_ideas(app, client, event, make_user, login):
    assert "/e/IDEA01/ideas" in client.get("/e/IDEA01").get_data(as_text=True)
    staff = app.test_client()
    login(staff, make_user("moderator", events=[event]))
    assert "/manage/IDEA01/ideas" in staff.get("/manage/").get_data(as_text=True)


# --- moderation pages ---------------------------------------------------------------------


@pytest.fixture
def moderator(app, event, make_user, login, page_token):
    return staff_page(app, make_user, login, page_token, event, "/manage/IDEA01/ideas")


def test_staff_page_access(app, event, other, make_user, login):
    assert app.test_client().get("/manage/IDEA01/ideas").status_code in (302, 401)
    for role, events in (("moderator", [other]), ("checkin", [event])):
        client = app.test_client()
        login(client, make_user(role, events=events))
        assert client.get("/manage/IDEA01/ideas").status_code == 403
    admin = app.test_client()
    login(admin, make_user("admin"))
    assert admin.get("/manage/IDEA01/ideas").status_code == 200


def test_checkin_staff_cannot_moderate(app, event, make_user, login, page_token):
    made = idea(event, approve=False)
    client = app.test_client()
    login(client, make_user("checkin", events=[event]))
    token = page_token(client, "/manage/")
    response = client.post(f"/manage/IDEA01/ideas/{made.id}/approve", data={"csrf_token": token})
    assert response.status_code == 403
    assert db.session.get(Idea, made.id).status == IdeaStatus.pending


def test_moderator_of_other_event_cannot_moderate(app, event, other, make_user, login, page_token):
    made = idea(event, approve=False)
    client = app.test_client()
    login(client, make_user("moderator", events=[other]))
    token = page_token(client, "/manage/IDEA02/ideas")
    response = client.post(f"/manage/IDEA01/ideas/{made.id}/approve", data={"csrf_token": token})
    assert response.status_code == 403
    # Its own event's URL with this event's idea id: not found there.
    response = client.post(f"/manage/IDEA02/ideas/{made.id}/approve", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.get(Idea, made.id).status == IdeaStatus.pending


def test_moderator_approves_edits_merges_hides_promotes(moderator, event):
    client, token = moderator
    a = idea(event, key="a", text="Clean air", approve=False)
    b = idea(event, key="b", text="Clean air for cities", approve=False)
    page = client.get("/manage/IDEA01/ideas").get_data(as_text=True)
    assert "Clean air for cities" in page
    assert "Waiting for moderation" in page
    for made in (a, b):
        response = client.post(
            f"/manage/IDEA01/ideas/{made.id}/approve", data={"csrf_token": token}
        )
        assert response.status_code == 302
    service.upvote(event, "v", a.id)
    service.upvote(event, "v", b.id)
    data = {"csrf_token": token, "text": "Clean air in cities"}
    assert client.post(f"/manage/IDEA01/ideas/{b.id}/edit", data=data).status_code == 302
    data = {"csrf_token": token, "into": str(b.id)}
    assert client.post(f"/manage/IDEA01/ideas/{a.id}/merge", data=data).status_code == 302
    assert [(i["text"], i["votes"]) for i in service.ranked(event.id)] == [
        ("Clean air in cities", 1)
    ]
    data = {"csrf_token": token, "idea": [str(b.id)]}
    assert client.post("/manage/IDEA01/ideas/promote", data=data).status_code == 302
    assert client.post("/manage/IDEA01/ideas/promote", data=data).status_code == 302
    assert [t.title for t in event.themes] == ["Clean air in cities"]
    assert (
        client.post(f"/manage/IDEA01/ideas/{b.id}/hide", data={"csrf_token": token}).status_code
        == 302
    )
    assert service.ranked(event.id) == []


def test_moderator_promotes_top_n(moderator, event):
    client, token = moderator
    made = [idea(event, key=f"k{n}", text=f"Idea {n} text") for n in range(4)]
    service.upvote(event, "v", made[3].id)
    response = client.post("/manage/IDEA01/ideas/promote", data={"csrf_token": token, "top": "2"})
    assert response.status_code == 302
    assert [t.idea_id for t in event.themes] == [made[3].id, made[0].id]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("{id}/edit", {"text": ""}),
        ("{id}/edit", {"text": "q" * 5000}),
        ("{id}/merge", {"into": ""}),
        ("{id}/merge", {"into": "99999999999999999999"}),
        ("{id}/merge", {"into": "{id}"}),
        ("99999999999/approve", {}),
        ("0/hide", {}),
        ("promote", {}),
        ("promote", {"top": "-3"}),
        ("promote", {"idea": ["1e9"]}),
    ],
)
def test_moderation_bad_input_is_4xx_and_changes_nothing(moderator, event, path, data):
    client, token = moderator
    made = idea(event, approve=False)
    path = path.format(id=made.id)
    data = {
        key: value.format(id=made.id) if isinstance(value, str) else value
        for key, value in data.items()
    }
    response = client.post(f"/manage/IDEA01/ideas/{path}", data={"csrf_token": token, **data})
    assert 400 <= response.status_code < 500, response.status_code
    assert db.session.get(Idea, made.id).text == "Open science in practice"
    assert db.session.get(Idea, made.id).status == IdeaStatus.pending
    assert counts() == (1, 0, 0)


def test_moderation_without_csrf_is_refused(moderator, event):
    client, _ = moderator
    made = idea(event, approve=False)
    assert client.post(f"/manage/IDEA01/ideas/{made.id}/approve").status_code == 400
    assert db.session.get(Idea, made.id).status == IdeaStatus.pending


# --- sockets -------------------------------------------------------------------------------


def socket_phone(app, socket_for, code="IDEA01"):
    return join_board(
        socket_for, app.test_client(), f"/e/{code}/ideas", "join_ideas", {"event": code}
    )


def test_socket_join_snapshot_and_live_board(app, socket_for, event):
    made = idea(event, text="Mobility hubs")
    phone_sock, ack = socket_phone(app, socket_for)
    assert ack["ideas"] == [{"id": made.id, "text": "Mobility hubs", "votes": 0, "theme": False}]
    assert ack["mine"] == []
    display = socket_for(app.test_client(), "/e/IDEA01/ideas/display")
    assert display.emit("join_ideas", {"event": "IDEA01", "role": "display"}, callback=True)["ok"]
    display.get_received()
    ack = phone_sock.emit("upvote_idea", {"idea_id": made.id, "up": True}, callback=True)
    assert ack == {"ok": True, "idea_id": made.id, "votes": 1, "mine": True}
    boards = events_named(display, "ideas_board")
    assert boards[-1]["ideas"][0]["votes"] == 1
    assert boards[-1]["seq"] > 0
    again = phone_sock.emit("upvote_idea", {"idea_id": made.id}, callback=True)
    assert again["votes"] == 1
    assert (
        phone_sock.emit("upvote_idea", {"idea_id": made.id, "up": False}, callback=True)["votes"]
        == 0
    )


def test_socket_propose_reaches_moderators_not_the_board(app, socket_for, event, make_user, login):
    staff = app.test_client()
    login(staff, make_user("moderator", events=[event]))
    staff_sock = socket_for(staff, "/manage/IDEA01/ideas")
    ack = staff_sock.emit("join_ideas", {"event": "IDEA01", "role": "moderator"}, callback=True)
    assert ack["ok"]
    assert ack["pending"] == []
    phone_sock, _ = socket_phone(app, socket_for)
    staff_sock.get_received()
    ack = phone_sock.emit("propose_idea", {"text": "  Rural  broadband "}, callback=True)
    assert ack["ok"]
    assert ack["idea"]["text"] == "Rural broadband"
    queue = events_named(staff_sock, "ideas_queue")
    assert queue[-1]["pending"][0]["text"] == "Rural broadband"
    assert "participant" not in str(queue)  # who proposed never leaves the server
    assert events_named(phone_sock, "ideas_queue") == []
    service.approve(event, ack["idea"]["id"])
    assert events_named(phone_sock, "ideas_board")[-1]["ideas"][0]["text"] == "Rural broadband"


def test_socket_refusals(app, socket_for, event, other, make_user, login):
    sock = socket_for(app.test_client(), "/e/IDEA01/ideas")
    assert sock.emit("upvote_idea", {"idea_id": 1}, callback=True)["error"] == "not_joined"
    check_join_refusals(app, socket_for, make_user, login, sock, "ideas", event, other)
    # A display joins without a participant id, but may not propose or upvote.
    display = socket_for(app.test_client(), "/e/IDEA01/ideas/display")
    display.emit("join_ideas", {"event": "IDEA01", "role": "display"}, callback=True)
    ack = display.emit("propose_idea", {"text": "From the projector"}, callback=True)
    assert ack["error"] == "not_joined"


def test_socket_participant_without_session_key(app, socket_for, event):
    sock = socket_for(app.test_client(), "/e/IDEA01/ideas/display")  # display sets no key
    ack = sock.emit("join_ideas", {"event": "IDEA01"}, callback=True)
    assert ack["error"] == "no_session"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "text",
        {},
        {"text": ""},
        {"text": "w" * 5000},
        {"text": ["a", "b", "c"]},
    ],
)
def test_socket_bad_proposals(app, socket_for, event, payload):
    sock, _ = socket_phone(app, socket_for)
    ack = sock.emit("propose_idea", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] in ("invalid_payload", "invalid_text")
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [1],
        {"idea_id": "abc"},
        {"idea_id": 2**63},
        {"idea_id": 10**40},
        {"idea_id": -5},
        {"idea_id": "{id}", "up": "yes"},
    ],
)
def test_socket_bad_upvotes(app, socket_for, event, payload):
    made = idea(event)
    sock, _ = socket_phone(app, socket_for)
    if isinstance(payload, dict) and payload.get("idea_id") == "{id}":
        payload = {**payload, "idea_id": made.id}
    ack = sock.emit("upvote_idea", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] in ("invalid_payload", "unknown_idea")
    assert counts() == (1, 0, 0)


def test_socket_duplicate_ack_carries_idea_id(app, socket_for, event):
    made = idea(event, text="Food systems")
    sock, _ = socket_phone(app, socket_for)
    ack = sock.emit("propose_idea", {"text": "FOOD systems"}, callback=True)
    assert ack["error"] == "duplicate_idea"
    assert ack["idea_id"] == made.id


def test_socket_upvote_other_events_idea(app, socket_for, event, other):
    foreign = idea(other, key="z")
    sock, _ = socket_phone(app, socket_for)
    ack = sock.emit("upvote_idea", {"idea_id": foreign.id}, callback=True)
    assert ack["error"] == "unknown_idea"
    assert vote_count(foreign.id) == 0


def test_attendee_joins_registration_only_event(app, socket_for, make_event, make_registration):
    closed = make_event("CLOSED2", allow_anonymous=False)
    _, token = make_registration(closed)
    client = app.test_client()
    client.get(f"/e/CLOSED2/r/{token}")
    sock = socket_for(client, "/e/CLOSED2/ideas")
    ack = sock.emit("join_ideas", {"event": "CLOSED2"}, callback=True)
    assert ack["ok"], ack
    assert sock.emit("propose_idea", {"text": "Attendee idea"}, callback=True)["ok"]
    anonymous = socket_for(app.test_client(), "/e/CLOSED2/ideas")
    ack = anonymous.emit("join_ideas", {"event": "CLOSED2"}, callback=True)
    assert ack["error"] == "registration_required"
