"""Q&A: the service's rules, the pages, the socket handlers, the API and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.board_helpers import check_join_refusals, join_board, phone_page, refused, staff_page
from tests.conftest import csrf_from, events_named
from voting.extensions import db
from voting.models import Participant, QnaQuestion, QnaSettings, QnaStatus, QnaUpvote
from voting.qna import service


@pytest.fixture
def event(make_event):
    return make_event("QNA001")


@pytest.fixture
def other(make_event):
    return make_event("QNA002")


def question(event, key="phone-a", text="How will funding be shared?", approve=True, **kw):
    """Ask (and approve) a question through the service."""
    made = service.ask(event, key, text, **kw)
    if approve and made.status == QnaStatus.pending:
        service.approve(event, made.id)
    return made


def vote_count(question_id: int) -> int:
    return db.session.scalar(select(func.count()).where(QnaUpvote.question_id == question_id))


def state() -> tuple:
    """Everything bad input must leave alone: questions with status and text, upvotes, settings."""
    questions = db.session.execute(
        select(QnaQuestion.id, QnaQuestion.status, QnaQuestion.text).order_by(QnaQuestion.id)
    ).all()
    settings = db.session.execute(
        select(QnaSettings.needs_approval, QnaSettings.open, QnaSettings.highlighted_id)
    ).all()
    db.session.rollback()
    return (
        [tuple(row) for row in questions],
        db.session.scalar(select(func.count()).select_from(QnaUpvote)),
        [tuple(row) for row in settings],
    )


# --- service ---------------------------------------------------------------------------


def test_ask_trims_and_waits_for_approval_by_default(event):
    made = service.ask(event, "phone-a", "  How   will\n funding be shared? ")
    assert made.text == "How will funding be shared?"
    assert made.status == QnaStatus.pending
    assert db.session.get(Participant, made.participant_id).public_id == "phone-a"
    assert service.board(event.id)["questions"] == []
    assert [q["text"] for q in service.queue(event.id)] == ["How will funding be shared?"]
    assert service.asked(event.id, "phone-a") == [
        {"id": made.id, "text": made.text, "status": "pending"}
    ]
    assert service.asked(event.id, "phone-b") == []


def test_without_approval_questions_go_straight_to_the_list(event):
    service.update_settings(event, needs_approval=False, open_=True)
    made = service.ask(event, "phone-a", "Straight on the list?")
    assert made.status == QnaStatus.approved
    assert [q["id"] for q in service.board(event.id)["questions"]] == [made.id]


@pytest.mark.parametrize("text", ["", "  ", "ab", "x" * 301, None, 42, ["list"], {"a": 1}])
def test_ask_refuses_bad_text(event, text):
    refused("invalid_text", service.ask, event, "phone-a", text)
    assert state() == ([], 0, [])


@pytest.mark.parametrize(("name", "code"), [("n" * 61, "invalid_name"), (7, "invalid_name")])
def test_ask_refuses_bad_names(event, name, code):
    refused(code, service.ask, event, "phone-a", "A fine question", name)
    refused("invalid_payload", service.ask, event, "phone-a", "A fine question", None, "yes")
    assert state() == ([], 0, [])


def test_names_anonymous_typed_and_attendees_by_choice(event, make_registration):
    typed = question(event, "phone-a", "Typed name question", name="  Ana   from Porto ")
    anonymous = question(event, "phone-b", "Anonymous question")
    registration, _ = make_registration(event, first_name="Jonas", last_name="Berg")
    attendee_key = db.session.scalar(
        select(Participant.public_id).where(Participant.registration_id == registration.id)
    )
    named = question(event, attendee_key, "Attendee named", show_name=True, name="Fake Name")
    unnamed = question(event, attendee_key, "Attendee not named", show_name=False)
    names = {q["id"]: q["name"] for q in service.board(event.id)["questions"]}
    assert names == {
        typed.id: "Ana from Porto",
        anonymous.id: None,
        named.id: "Jonas Berg",  # the registration's name, never a typed one
        unnamed.id: None,
    }
    # Erasing the registration's personal data takes the name off the screens.
    registration.first_name = registration.last_name = ""
    db.session.commit()
    names = {q["id"]: q["name"] for q in service.board(event.id)["questions"]}
    assert names[named.id] is None


def test_duplicates_point_to_the_question_to_upvote(event):
    first = question(event, text="What about SMEs?")
    error = refused("duplicate_question", service.ask, event, "phone-b", " what ABOUT smes? ")
    assert error.question_id == first.id
    service.hide(event, first.id)
    service.ask(event, "phone-b", "What about SMEs?")  # a hidden question blocks nothing


def test_participant_limit_and_closed_qna(event):
    made = [service.ask(event, "phone-a", f"Question number {n}") for n in range(5)]
    refused("too_many_questions", service.ask, event, "phone-a", "One too many")
    service.approve(event, made[0].id)
    service.mark_answered(event, made[0].id)
    service.ask(event, "phone-a", "Room again after an answer")
    service.update_settings(event, needs_approval=True, open_=False)
    refused("qna_closed", service.ask, event, "phone-b", "Closed now?")
    assert service.board(event.id)["open"] is False


def test_key_of_another_event_is_refused(event, other):
    service.ask(other, "phone-a", "Belongs elsewhere")
    refused("wrong_event", service.ask, event, "phone-a", "Sneaky question")
    refused("no_session", service.ask, event, None, "No key question")


def test_ranking_by_votes_then_age_and_recent_order(event):
    old = question(event, "a", "Oldest question")
    mid = question(event, "b", "Middle question")
    new = question(event, "c", "Newest question")
    service.upvote(event, "v1", mid.id)
    service.upvote(event, "v2", mid.id)
    service.upvote(event, "v1", new.id)
    ranked = service.board(event.id)["questions"]
    assert [q["id"] for q in ranked] == [mid.id, new.id, old.id]
    assert [q["votes"] for q in ranked] == [2, 1, 0]
    recent = service.sort_questions(ranked, "recent")
    assert [q["id"] for q in recent] == [new.id, mid.id, old.id]


def test_upvote_toggles_once_per_participant(event):
    made = question(event)
    assert service.upvote(event, "v", made.id).votes == 1
    assert service.upvote(event, "v", made.id).votes == 1
    assert service.mine(event.id, "v") == [made.id]
    result = service.upvote(event, "v", made.id, up=False)
    assert (result.votes, result.mine) == (0, False)
    assert service.upvote(event, "w", made.id, up=False).votes == 0
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 2  # a, v


def test_only_live_questions_take_upvotes(event):
    pending = question(event, approve=False)
    refused("not_live", service.upvote, event, "v", pending.id)
    answered = question(event, "b", "Answered one")
    service.mark_answered(event, answered.id)
    refused("not_live", service.upvote, event, "v", answered.id)
    refused("unknown_question", service.upvote, event, "v", 10**30)
    refused("invalid_payload", service.upvote, event, "v", answered.id, "yes")
    assert vote_count(pending.id) == vote_count(answered.id) == 0


def test_highlight_one_at_a_time_and_cleared_by_answer_or_hide(event):
    a = question(event, "a", "First on stage")
    b = question(event, "b", "Second on stage")
    service.highlight(event, a.id)
    assert service.board(event.id)["highlighted"] == a.id
    service.highlight(event, b.id)
    assert service.board(event.id)["highlighted"] == b.id
    service.mark_answered(event, b.id)
    board = service.board(event.id)
    assert board["highlighted"] is None
    assert [q["id"] for q in board["answered"]] == [b.id]
    assert board["answered"][0]["answered_at"]
    service.highlight(event, a.id)
    service.hide(event, a.id)
    assert service.board(event.id)["highlighted"] is None
    refused("not_live", service.highlight, event, a.id)
    pending = question(event, "c", "Pending one", approve=False)
    refused("not_live", service.highlight, event, pending.id)
    refused("not_live", service.mark_answered, event, pending.id)
    service.approve(event, b.id)  # back on the list from answered
    assert service.board(event.id)["answered"] == []
    service.highlight(event, b.id)
    service.clear_highlight(event)
    assert service.board(event.id)["highlighted"] is None


def test_edit_keeps_votes_and_refuses_duplicates(event):
    a = question(event, "a", "Typo in questoin")
    b = question(event, "b", "Another question")
    service.upvote(event, "v", a.id)
    service.edit(event, a.id, "  Typo in question ")
    assert service.board(event.id)["questions"][0] == {
        **service.board(event.id)["questions"][0],
        "text": "Typo in question",
        "votes": 1,
    }
    refused("duplicate_question", service.edit, event, a.id, "another QUESTION")
    refused("invalid_text", service.edit, event, b.id, "x")
    assert db.session.get(QnaQuestion, b.id).text == "Another question"


def test_other_events_ids_are_unknown(event, other):
    foreign = question(other, "z", "Foreign question")
    for action in (service.approve, service.hide, service.highlight, service.mark_answered):
        refused("unknown_question", action, event, foreign.id)
    refused("unknown_question", service.upvote, event, "v", foreign.id)
    refused("unknown_question", service.edit, event, foreign.id, "Rewritten")
    assert db.session.get(QnaQuestion, foreign.id).status == QnaStatus.approved


def test_settings_must_be_booleans(event):
    refused("invalid_settings", service.update_settings, event, needs_approval="no", open_=True)
    assert state() == ([], 0, [])


# --- the phone's pages ------------------------------------------------------------------


def phone(app, page_token, code="QNA001"):
    return phone_page(app, page_token, f"/e/{code}/qna")


def test_phone_asks_without_js_and_sees_own_pending(app, event, page_token):
    client, token = phone(app, page_token)
    data = {"csrf_token": token, "text": "Will the call open in May?", "name": "Ana"}
    response = client.post("/e/QNA001/qna", data=data)
    assert response.status_code == 302
    page = client.get("/e/QNA001/qna").get_data(as_text=True)
    assert "Your question shows once a moderator approves it" in page
    assert "Your questions waiting for a moderator" in page
    assert "Will the call open in May?" in page
    other_phone, _ = phone(app, page_token)
    assert "Will the call open in May?" not in other_phone.get("/e/QNA001/qna").get_data(
        as_text=True
    )
    assert "Will the call open in May?" not in app.test_client().get(
        "/e/QNA001/qna/display"
    ).get_data(as_text=True)


def test_phone_bad_asks_are_4xx_and_change_nothing(app, event, page_token):
    client, token = phone(app, page_token)
    for data, status in (
        ({"csrf_token": token, "text": "x"}, 400),
        ({"csrf_token": token, "text": "q" * 5000}, 400),
        ({"csrf_token": token, "text": "Fine text", "name": "n" * 500}, 400),
        ({"text": "No token question"}, 400),
    ):
        response = client.post("/e/QNA001/qna", data=data)
        assert response.status_code == status
    assert "3 to 300 characters" in client.get("/e/QNA001/qna").get_data(as_text=True)
    assert state() == ([], 0, [])


def test_phone_upvotes_without_js_and_text_is_escaped(app, event, page_token):
    made = question(event, text="<script>alert(1)</script> & more", name="<b>Eve</b>")
    client, token = phone(app, page_token)
    page = client.get("/e/QNA001/qna").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page
    assert "<script>alert" not in page
    url = f"/e/QNA001/qna/{made.id}/upvote?sort=recent"
    response = client.post(url, data={"csrf_token": token, "up": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"sort=recent#q-{made.id}")
    client.post(url, data={"csrf_token": token, "up": "1"})
    assert vote_count(made.id) == 1
    assert 'aria-pressed="true"' in client.get("/e/QNA001/qna").get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "up": "0"})
    assert vote_count(made.id) == 0


@pytest.mark.parametrize("question_id", ["99999", "99999999999999999999", "abc"])
def test_phone_upvote_unknown_ids(app, event, page_token, question_id):
    question(event)
    client, token = phone(app, page_token)
    response = client.post(f"/e/QNA001/qna/{question_id}/upvote", data={"csrf_token": token})
    assert response.status_code == 404
    assert vote_count(1) == 0


def test_phone_upvote_other_events_question_and_without_token(app, event, other, page_token):
    foreign = question(other, key="z")
    client, token = phone(app, page_token)
    response = client.post(f"/e/QNA001/qna/{foreign.id}/upvote", data={"csrf_token": token})
    assert response.status_code == 404
    own = question(event, "y", "Own event question")
    assert client.post(f"/e/QNA001/qna/{own.id}/upvote", data={}).status_code == 400
    assert vote_count(foreign.id) == vote_count(own.id) == 0


def test_attendee_sees_name_choice_and_registration_only_event(
    app, make_event, make_registration, page_token
):
    closed = make_event("CLOSEDQ", allow_anonymous=False)
    client = app.test_client()
    page = client.get("/e/CLOSEDQ/qna").get_data(as_text=True)
    assert "register before they take part" in page
    token = csrf_from(page)
    response = client.post("/e/CLOSEDQ/qna", data={"text": "Let me in", "csrf_token": token})
    assert response.status_code == 403
    _, link = make_registration(closed, first_name="Sanna", last_name="Virtanen")
    attendee = app.test_client()
    attendee.get(f"/e/CLOSEDQ/r/{link}")
    page = attendee.get("/e/CLOSEDQ/qna").get_data(as_text=True)
    assert "Show my name (Sanna Virtanen)" in page
    token = csrf_from(page)
    data = {"csrf_token": token, "text": "Named attendee question", "show_name": "y"}
    assert attendee.post("/e/CLOSEDQ/qna", data=data).status_code == 302
    assert service.queue(closed.id)[0]["name"] == "Sanna Virtanen"


def test_display_page_shows_stage_and_ranking(app, client, event):
    first = question(event, "a", "Less voted question")
    second = question(event, "b", "Most voted question")
    on_stage = question(event, "c", "The one on stage", name="Luca")
    service.upvote(event, "v1", second.id)
    service.highlight(event, on_stage.id)
    page = client.get("/e/QNA001/qna/display").get_data(as_text=True)
    assert "Now answering" in page
    assert page.index("The one on stage") < page.index("Most voted question")
    assert page.index("Most voted question") < page.index("Less voted question")
    assert "Luca" in page
    assert first.id
    assert client.get("/e/QNA001/qna/qr.svg").mimetype == "image/svg+xml"
    assert client.get("/e/NOPE/qna/display").status_code == 404


def test_live_page_and_staff_pages_link_to_qna(app, client, event, make_user, login):
    assert "/e/QNA001/qna" in client.get("/e/QNA001").get_data(as_text=True)
    staff = app.test_client()
    login(staff, make_user("moderator", events=[event]))
    home = staff.get("/manage/").get_data(as_text=True)
    assert "/manage/QNA001/qna" in home
    assert "/e/QNA001/qna/display" in home
    assert "/e/QNA001/qna/display" in staff.get("/manage/QNA001/ideas").get_data(as_text=True)


# --- moderation pages ---------------------------------------------------------------------


@pytest.fixture
def moderator(app, event, make_user, login, page_token):
    return staff_page(app, make_user, login, page_token, event, "/manage/QNA001/qna")


def test_staff_page_access(app, event, other, make_user, login, page_token):
    made = question(event, approve=False)
    assert app.test_client().get("/manage/QNA001/qna").status_code in (302, 401)
    for role, events in (("moderator", [other]), ("checkin", [event])):
        client = app.test_client()
        login(client, make_user(role, events=events))
        assert client.get("/manage/QNA001/qna").status_code == 403
        token = page_token(client, "/manage/")
        url = f"/manage/QNA001/qna/{made.id}/approve"
        assert client.post(url, data={"csrf_token": token}).status_code == 403
        data = {"csrf_token": token, "needs_approval": "", "open": "y"}
        assert client.post("/manage/QNA001/qna/settings", data=data).status_code == 403
    admin = app.test_client()
    login(admin, make_user("admin"))
    assert admin.get("/manage/QNA001/qna").status_code == 200
    assert db.session.get(QnaQuestion, made.id).status == QnaStatus.pending
    assert service.settings_of(event.id).needs_approval is True


def test_moderator_of_other_event_gets_404_for_foreign_ids(app, event, other, make_user, login):
    made = question(event, approve=False)
    client = app.test_client()
    login(client, make_user("moderator", events=[other]))
    token = csrf_from(client.get("/manage/QNA002/qna").get_data(True))
    response = client.post(f"/manage/QNA002/qna/{made.id}/approve", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.get(QnaQuestion, made.id).status == QnaStatus.pending


def test_moderator_runs_the_qna(moderator, event):
    client, token = moderator
    made = question(event, "a", "Pending for the console", approve=False)
    page = client.get("/manage/QNA001/qna").get_data(as_text=True)
    assert "Pending for the console" in page
    assert "/e/QNA001/qna/display" in page

    def post(path, **data):
        response = client.post(f"/manage/QNA001/qna/{path}", data={"csrf_token": token, **data})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    post(f"{made.id}/approve")
    post(f"{made.id}/highlight")
    assert service.board(event.id)["highlighted"] == made.id
    assert "Stop highlighting" in client.get("/manage/QNA001/qna").get_data(as_text=True)
    post(f"{made.id}/edit", text="Edited for the console")
    post("unhighlight")
    post(f"{made.id}/highlight")
    post(f"{made.id}/answer")
    board = service.board(event.id)
    assert (board["highlighted"], board["answered"][0]["text"]) == (None, "Edited for the console")
    post(f"{made.id}/hide")
    assert service.board(event.id)["answered"] == []
    response = post("settings", open="y")  # approval unticked
    assert response.headers["Location"].endswith("/manage/QNA001/qna")
    settings = service.settings_of(event.id)
    assert (settings.needs_approval, settings.open) == (False, True)
    assert service.ask(event, "b", "Now straight on the list").status == QnaStatus.approved
    assert post("settings?sort=recent").headers["Location"].endswith("?sort=recent")
    assert service.settings_of(event.id).open is False


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("{id}/edit", {"text": ""}),
        ("{id}/edit", {"text": "q" * 5000}),
        ("99999999999/approve", {}),
        ("99999999999999999999999/hide", {}),
        ("0/hide", {}),
        ("{id}/highlight", {}),  # pending: not live
        ("{id}/answer", {}),  # pending: not live
        ("{id}/explode", {}),
        ("{id}/approve", {"csrf_token": "forged"}),
        ("settings", {"csrf_token": "forged", "open": "y"}),
    ],
)
def test_moderation_bad_input_is_4xx_and_changes_nothing(moderator, event, path, data):
    client, token = moderator
    made = question(event, approve=False)
    before = state()
    path = path.format(id=made.id)
    data = {key: value.format(id=made.id) for key, value in data.items()}
    response = client.post(f"/manage/QNA001/qna/{path}", data={"csrf_token": token, **data})
    assert 400 <= response.status_code < 500, response.status_code
    assert state() == before


# --- sockets -------------------------------------------------------------------------------


def socket_phone(app, socket_for, code="QNA001"):
    return join_board(socket_for, app.test_client(), f"/e/{code}/qna", "join_qna", {"event": code})


def socket_staff(app, socket_for, make_user, login, event, code="QNA001"):
    staff = app.test_client()
    login(staff, make_user("moderator", events=[event]))
    payload = {"event": code, "role": "moderator"}
    return join_board(socket_for, staff, f"/manage/{code}/qna", "join_qna", payload)


def test_socket_join_snapshot_and_live_upvotes(app, socket_for, event):
    made = question(event, text="Live question", name="Ana")
    phone_sock, ack = socket_phone(app, socket_for)
    assert [(q["id"], q["text"], q["name"], q["votes"]) for q in ack["questions"]] == [
        (made.id, "Live question", "Ana", 0)
    ]
    assert (ack["mine"], ack["asked"], ack["highlighted"], ack["open"]) == ([], [], None, True)
    display = socket_for(app.test_client(), "/e/QNA001/qna/display")
    assert display.emit("join_qna", {"event": "QNA001", "role": "display"}, callback=True)["ok"]
    display.get_received()
    ack = phone_sock.emit("upvote_question", {"question_id": made.id, "up": True}, callback=True)
    assert ack == {"ok": True, "question_id": made.id, "votes": 1, "mine": True}
    boards = events_named(display, "qna_board")
    assert boards[-1]["questions"][0]["votes"] == 1
    assert boards[-1]["seq"] > 0
    assert phone_sock.emit("upvote_question", {"question_id": made.id}, callback=True)["votes"] == 1
    ack = phone_sock.emit("upvote_question", {"question_id": made.id, "up": False}, callback=True)
    assert ack["votes"] == 0


def test_socket_ask_reaches_moderators_only_until_approved(
    app, socket_for, event, make_user, login
):
    staff_sock, ack = socket_staff(app, socket_for, make_user, login, event)
    assert ack["pending"] == []
    phone_sock, _ = socket_phone(app, socket_for)
    display = socket_for(app.test_client(), "/e/QNA001/qna/display")
    display.emit("join_qna", {"event": "QNA001", "role": "display"}, callback=True)
    for sock in (staff_sock, phone_sock, display):
        sock.get_received()
    payload = {"text": "  Secret   until approved ", "name": "Ingrid"}
    ack = phone_sock.emit("ask_question", payload, callback=True)
    assert ack["ok"]
    assert ack["question"] == {"id": ack["question"]["id"], "text": "Secret until approved",
                               "status": "pending"}  # fmt: skip
    queue = events_named(staff_sock, "qna_queue")
    assert queue[-1]["pending"][0]["text"] == "Secret until approved"
    assert "participant" not in str(queue)  # who asked never leaves the server
    for sock in (phone_sock, display):
        received = sock.get_received()
        assert "Secret until approved" not in str(received)
    service.approve(event, ack["question"]["id"])
    service.highlight(event, ack["question"]["id"])
    last = events_named(display, "qna_board")[-1]
    assert last["questions"][0]["text"] == "Secret until approved"
    assert last["highlighted"] == ack["question"]["id"]
    service.hide(event, ack["question"]["id"])
    last = events_named(phone_sock, "qna_board")[-1]
    assert "Secret until approved" not in str(last)
    assert last["highlighted"] is None


def test_socket_ask_by_attendee_with_name_choice(app, socket_for, event, make_registration):
    _, link = make_registration(event, first_name="Marie", last_name="Dubois")
    client = app.test_client()
    client.get(f"/e/QNA001/r/{link}")
    sock = socket_for(client, "/e/QNA001/qna")
    assert sock.emit("join_qna", {"event": "QNA001"}, callback=True)["ok"]
    ack = sock.emit("ask_question", {"text": "Named?", "show_name": True}, callback=True)
    assert ack["ok"], ack
    assert service.queue(event.id)[0]["name"] == "Marie Dubois"
    ack = sock.emit("join_qna", {"event": "QNA001"}, callback=True)
    assert [q["status"] for q in ack["asked"]] == ["pending"]


def test_socket_refusals(app, socket_for, event, other, make_user, login):
    sock = socket_for(app.test_client(), "/e/QNA001/qna")
    assert sock.emit("upvote_question", {"question_id": 1}, callback=True)["error"] == "not_joined"
    assert sock.emit("ask_question", {"text": "Too early"}, callback=True)["error"] == "not_joined"
    check_join_refusals(app, socket_for, make_user, login, sock, "qna", event, other)
    checkin = app.test_client()
    login(checkin, make_user("checkin", events=[event]))
    checkin_sock = socket_for(checkin, "/manage/")
    ack = checkin_sock.emit("join_qna", {"event": "QNA001", "role": "moderator"}, callback=True)
    assert ack["error"] == "forbidden"
    display = socket_for(app.test_client(), "/e/QNA001/qna/display")
    display.emit("join_qna", {"event": "QNA001", "role": "display"}, callback=True)
    assert (
        display.emit("ask_question", {"text": "From the projector"}, callback=True)["error"]
        == "not_joined"
    )
    no_key = socket_for(app.test_client(), "/e/QNA001/qna/display")
    assert no_key.emit("join_qna", {"event": "QNA001"}, callback=True)["error"] == "no_session"
    assert state() == ([], 0, [])


def test_socket_connect_without_csrf_is_refused(app, socket_for, event):
    sock = socket_for(app.test_client(), "/e/QNA001/qna", csrf="forged")
    assert not sock.is_connected()


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "text",
        [1, 2],
        {},
        {"text": ""},
        {"text": "w" * 5000},
        {"text": ["a", "b", "c"]},
        {"text": "Fine question", "name": {"x": 1}},
        {"text": "Fine question", "name": "n" * 100},
        {"text": "Fine question", "show_name": "yes"},
    ],
)
def test_socket_bad_asks(app, socket_for, event, payload):
    sock, _ = socket_phone(app, socket_for)
    ack = sock.emit("ask_question", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] in ("invalid_payload", "invalid_text", "invalid_name")
    assert ack["message"]
    assert state() == ([], 0, [])


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [1],
        "1",
        {"question_id": "abc"},
        {"question_id": 2**63},
        {"question_id": 10**40},
        {"question_id": -5},
        {"question_id": 1.5},
        {"question_id": "{id}", "up": "yes"},
        {"question_id": "{foreign}"},
        {"question_id": "{pending}"},
    ],
)
def test_socket_bad_upvotes(app, socket_for, event, other, payload):
    made = question(event)
    pending = question(event, "b", "Still pending", approve=False)
    foreign = question(other, "z", "Foreign question")
    ids = {"{id}": made.id, "{foreign}": foreign.id, "{pending}": pending.id}
    sock, _ = socket_phone(app, socket_for)
    if isinstance(payload, dict) and payload.get("question_id") in ids:
        payload = {**payload, "question_id": ids[payload["question_id"]]}
    before = state()
    ack = sock.emit("upvote_question", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] in ("invalid_payload", "unknown_question", "not_live")
    assert state() == before


def test_socket_duplicate_ack_carries_question_id(app, socket_for, event):
    made = question(event, text="Food systems?")
    sock, _ = socket_phone(app, socket_for)
    ack = sock.emit("ask_question", {"text": "FOOD systems?"}, callback=True)
    assert ack["error"] == "duplicate_question"
    assert ack["question_id"] == made.id


def test_registration_only_event_refuses_anonymous_sockets(app, socket_for, make_event):
    make_event("CLOSEDS", allow_anonymous=False)
    sock = socket_for(app.test_client(), "/e/CLOSEDS/qna")
    ack = sock.emit("join_qna", {"event": "CLOSEDS"}, callback=True)
    assert ack["error"] == "registration_required"


# --- API -----------------------------------------------------------------------------------


def test_api_lists_public_questions_only(app, client, event):
    live = question(event, "a", "Live for the API", name="Nikos")
    answered = question(event, "b", "Answered for the API")
    service.mark_answered(event, answered.id)
    question(event, "c", "Pending, never in the API", approve=False)
    hidden = question(event, "d", "Hidden, never in the API")
    service.hide(event, hidden.id)
    service.upvote(event, "v", live.id)
    service.highlight(event, live.id)
    response = client.get("/api/v1/events/QNA001/questions")
    assert response.status_code == 200
    data = response.get_json()
    assert data["highlighted"] == live.id
    assert [(q["text"], q["name"], q["votes"]) for q in data["questions"]] == [
        ("Live for the API", "Nikos", 1)
    ]
    assert [q["text"] for q in data["answered"]] == ["Answered for the API"]
    assert "never" not in response.get_data(as_text=True)
    assert "participant" not in response.get_data(as_text=True)
    recent = client.get("/api/v1/events/QNA001/questions?sort=recent").get_json()
    assert recent["sort"] == "recent"
    assert client.get("/api/v1/events/QNA001/questions?sort=junk").get_json()["sort"] == "top"
    missing = client.get("/api/v1/events/NOPE/questions")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "http_404"


def test_demo_event_has_sample_questions(app):
    from voting.demo import create_demo_event

    event = create_demo_event()
    board = service.board(event.id)
    assert [q["votes"] for q in board["questions"]] == [14, 9, 6]
    assert board["questions"][0]["name"] == "Ana Pereira, Cluster Norte"
    assert board["questions"][1]["name"] is None
    assert len(board["answered"]) == 1
    assert len(service.queue(event.id)) == 1
    assert all(len(q["text"]) <= service.MAX_LENGTH for q in board["questions"])
