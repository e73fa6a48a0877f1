"""Service tests of the poll kinds: each validates its ballot, stores it, tallies it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from voting.errors import Conflict, InvalidInput, NotFound
from voting.extensions import db
from voting.models import Ballot, BallotChoice, PollStatus, Vote
from voting.polls import service


def cast(event, poll, who, ballot, vote_id=None):
    """Cast a ballot with a fresh vote id unless one is given."""
    cast.counter = getattr(cast, "counter", 0) + 1
    return service.cast_vote(event, poll.id, who, ballot, vote_id or f"kind-{cast.counter:06d}")


def stored_rows():
    """Count what the database holds, to show a refused ballot changed nothing."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Ballot, BallotChoice, Vote)
    )


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def open_poll(event, make_poll):
    def make(kind, options=("A", "B", "C"), **fields):
        poll = make_poll(event, options=options, kind=kind, **fields)
        service.open_poll(poll)
        return poll

    return make


def ids(poll):
    return [option.id for option in poll.options]


def staff_results(poll):
    db.session.refresh(poll)
    return service.results_payload(poll, staff=True)


def public_results(poll):
    db.session.refresh(poll)
    return service.results_payload(poll, staff=False)


# --- points -----------------------------------------------------------------------


def test_points_average_per_option_adds_up_to_the_budget(event, open_poll):
    poll = open_poll("points", options=("Bigger partnerships", "Smaller partnerships"))
    big, small = ids(poll)
    result = cast(event, poll, "p1", {"points": {str(big): 70, str(small): 30}})
    assert result.ballot == {"points": {str(big): 70, str(small): 30}}
    cast(event, poll, "p2", {"points": {big: 100}})
    results = staff_results(poll)
    by_id = {row["id"]: row for row in results["options"]}
    assert by_id[big]["average"] == 85.0
    assert by_id[small]["average"] == 15.0
    assert by_id[big]["sum"] == 170
    assert by_id[big]["percent"] == 85
    assert results["budget"] == 100
    assert service.my_choices([poll.id], "p2") == {poll.id: {"points": {str(big): 100}}}


@pytest.mark.parametrize(
    ("points", "code"),
    [
        ({"A": 100}, "invalid_points"),
        ({"1": -5}, "invalid_points"),
        ({"1": 50.5}, "invalid_points"),
        ({"1": True}, "invalid_points"),
        ([], "invalid_points"),
        ("100", "invalid_points"),
    ],
)
def test_points_of_wrong_shape_are_refused(event, open_poll, points, code):
    poll = open_poll("points")
    before = stored_rows()
    with pytest.raises(InvalidInput) as error:
        cast(event, poll, "p1", {"points": points})
    assert error.value.code == code
    assert stored_rows() == before


def test_points_must_add_up_to_the_budget(event, open_poll):
    poll = open_poll("points", budget=10)
    a, b, _ = ids(poll)
    before = stored_rows()
    with pytest.raises(InvalidInput) as error:
        cast(event, poll, "p1", {"points": {a: 6, b: 5}})
    assert error.value.code == "points_sum"
    assert stored_rows() == before
    cast(event, poll, "p1", {"points": {a: 6, b: 4}})


def test_points_for_an_option_of_another_poll_are_refused(event, open_poll):
    poll, other = open_poll("points"), open_poll("points")
    with pytest.raises(InvalidInput) as error:
        cast(event, poll, "p1", {"points": {ids(other)[0]: 100}})
    assert error.value.code == "invalid_option"


def test_changing_points_replaces_the_allocation(event, open_poll):
    poll = open_poll("points")
    a, b, c = ids(poll)
    cast(event, poll, "p1", {"points": {a: 100}})
    cast(event, poll, "p1", {"points": {b: 50, c: 50}})
    by_id = {row["id"]: row for row in staff_results(poll)["options"]}
    assert (by_id[a]["sum"], by_id[b]["sum"], by_id[c]["sum"]) == (0, 50, 50)


# --- ranking ------------------------------------------------------------------------


def test_ranking_tallies_borda_and_average_rank(event, open_poll):
    poll = open_poll("ranking")
    a, b, c = ids(poll)
    cast(event, poll, "p1", {"ranking": [a, b, c]})
    cast(event, poll, "p2", {"ranking": [b, a, c]})
    cast(event, poll, "p3", {"ranking": [a, c, b]})
    by_id = {row["id"]: row for row in staff_results(poll)["options"]}
    # 3 options: first place 2 points, second 1, last 0.
    assert by_id[a]["borda"] == 5
    assert by_id[b]["borda"] == 3
    assert by_id[c]["borda"] == 1
    assert by_id[a]["average_rank"] == pytest.approx(4 / 3, abs=0.01)
    assert by_id[a]["percent"] == round(100 * 5 / 6)
    assert service.my_choices([poll.id], "p2") == {poll.id: {"ranking": [b, a, c]}}


@pytest.mark.parametrize("ranking", ["partial", "repeated", "foreign", "strings"])
def test_ranking_must_be_a_permutation_of_the_options(event, open_poll, ranking):
    poll = open_poll("ranking")
    a, b, c = ids(poll)
    other = open_poll("single")
    bad = {
        "partial": [a, b],
        "repeated": [a, b, b],
        "foreign": [a, b, ids(other)[0]],
        "strings": ["x", "y", "z"],
    }[ranking]
    before = stored_rows()
    with pytest.raises(InvalidInput) as error:
        cast(event, poll, "p1", {"ranking": bad})
    assert error.value.code in {"incomplete_ranking", "invalid_ballot", "invalid_option"}
    assert stored_rows() == before


# --- rating -------------------------------------------------------------------------


def test_rating_histogram_mean_and_median(event, make_poll):
    poll = make_poll(
        event, kind="rating", options=[], scale=5, scale_low_label="Poor", scale_high_label="Great"
    )
    service.open_poll(poll)
    assert [option.label for option in poll.options] == ["1", "2", "3", "4", "5"]
    for who, rating in (("p1", 5), ("p2", 4), ("p3", 4), ("p4", 1)):
        cast(event, poll, who, {"rating": rating})
    results = public_results(poll)
    assert [row["count"] for row in results["options"]] == [1, 0, 0, 2, 1]
    assert results["mean"] == 3.5
    assert results["median"] == 4
    assert service.my_choices([poll.id], "p4") == {poll.id: {"rating": 1}}
    assert service.poll_payload(poll)["low_label"] == "Poor"


@pytest.mark.parametrize("rating", [0, 6, -1, 2.5, "3", None, True])
def test_rating_out_of_the_scale_is_refused(event, make_poll, rating):
    poll = make_poll(event, kind="rating", options=[], scale=5)
    service.open_poll(poll)
    before = stored_rows()
    with pytest.raises(InvalidInput):
        cast(event, poll, "p1", {"rating": rating})
    assert stored_rows() == before


def test_rating_scale_must_be_2_to_10(event, make_poll):
    with pytest.raises(InvalidInput) as error:
        make_poll(event, kind="rating", options=[], scale=11)
    assert error.value.code == "invalid_scale"


# --- yes / no / abstain ----------------------------------------------------------------


def test_yes_no_outcome_shows_on_close_under_two_thirds(event, make_poll):
    poll = make_poll(event, kind="yes_no", options=[], majority="two_thirds")
    assert [option.label for option in poll.options] == ["Yes", "No", "Abstain"]
    service.open_poll(poll)
    yes, no, abstain = ids(poll)
    for who, choice in (("p1", yes), ("p2", yes), ("p3", no), ("p4", abstain), ("p5", abstain)):
        cast(event, poll, who, [choice])
    assert "outcome" not in public_results(poll)
    assert staff_results(poll)["outcome"] == "adopted"  # 2 of 3 yes-or-no votes
    service.close_poll(poll)
    results = public_results(poll)
    assert results["outcome"] == "adopted"
    assert results["majority"] == "two_thirds"


def test_yes_no_tie_is_rejected_under_simple_majority(event, make_poll):
    poll = make_poll(event, kind="yes_no", options=[], majority="simple")
    service.open_poll(poll)
    yes, no, _ = ids(poll)
    cast(event, poll, "p1", [yes])
    cast(event, poll, "p2", [no])
    service.close_poll(poll)
    assert public_results(poll)["outcome"] == "rejected"


# --- quiz ---------------------------------------------------------------------------


def test_quiz_answer_stays_on_the_server_until_close(event, make_poll):
    poll = make_poll(event, kind="quiz", options=["Lisbon", "Porto", "Faro"], correct=[0])
    service.open_poll(poll)
    cast(event, poll, "p1", [ids(poll)[1]])
    assert all("correct" not in row for row in service.poll_payload(poll)["options"])
    assert all("correct" not in row for row in public_results(poll)["options"])
    assert service.poll_payload(poll, staff=True)["options"][0]["correct"] is True
    service.close_poll(poll)
    assert [row["correct"] for row in service.poll_payload(poll)["options"]] == [True, False, False]
    assert [row["correct"] for row in public_results(poll)["options"]] == [True, False, False]


def test_quiz_needs_exactly_one_correct_option(event, make_poll):
    with pytest.raises(InvalidInput) as error:
        make_poll(event, kind="quiz", options=["A", "B"])
    assert error.value.code == "invalid_correct"


# --- open text ------------------------------------------------------------------------


def test_text_answers_make_a_cloud_of_equal_answers(event, make_poll):
    poll = make_poll(event, kind="text", options=[])
    service.open_poll(poll)
    for who, text in (("p1", "Scale-up"), ("p2", " scale-up! "), ("p3", "Skills")):
        cast(event, poll, who, {"text": text})
    results = public_results(poll)
    assert results["cloud"][0] == {"text": "Scale-up", "count": 2}
    assert {"text": "Skills", "count": 1} in results["cloud"]
    assert "id" not in results["answers"][0]
    assert service.my_choices([poll.id], "p3") == {poll.id: {"text": "Skills"}}


def test_blocked_words_are_refused_and_nothing_is_stored(event, make_poll):
    event.blocked_words = "darn\nfoo bar"
    db.session.commit()
    poll = make_poll(event, kind="text", options=[])
    service.open_poll(poll)
    before = stored_rows()
    for text in ("Darn it", "what a FOO  BAR"):
        with pytest.raises(InvalidInput) as error:
            cast(event, poll, "p1", {"text": text})
        assert error.value.code == "blocked_word"
    assert stored_rows() == before
    cast(event, poll, "p1", {"text": "darning socks"})  # whole words only


@pytest.mark.parametrize("text", ["", "   ", "x" * 141, 42, ["a"]])
def test_text_of_wrong_length_or_type_is_refused(event, make_poll, text):
    poll = make_poll(event, kind="text", options=[])
    service.open_poll(poll)
    with pytest.raises(InvalidInput):
        cast(event, poll, "p1", {"text": text})


def test_moderated_answers_reach_the_public_only_once_shown(event, make_poll):
    poll = make_poll(event, kind="text", options=[], moderate_answers=True)
    service.open_poll(poll)
    cast(event, poll, "p1", {"text": "Internationalisation"})
    assert public_results(poll)["cloud"] == []
    staff = staff_results(poll)
    assert staff["pending"] == 1
    answer = staff["answers"][0]
    assert answer["status"] == "pending"
    service.moderate_answer(poll, answer["id"], "shown")
    assert public_results(poll)["cloud"] == [{"text": "Internationalisation", "count": 1}]
    service.moderate_answer(poll, answer["id"], "hidden")
    assert public_results(poll)["answers"] == []


def test_moderating_an_unknown_answer_or_status_is_refused(event, make_poll):
    poll = make_poll(event, kind="text", options=[])
    other = make_poll(event, kind="text", options=[])
    service.open_poll(other)
    cast(event, other, "p1", {"text": "Elsewhere"})
    answer_id = staff_results(other)["answers"][0]["id"]
    with pytest.raises(NotFound) as error:
        service.moderate_answer(poll, answer_id, "shown")
    assert error.value.code == "unknown_answer"
    with pytest.raises(InvalidInput):
        service.moderate_answer(other, answer_id, "deleted")


# --- across kinds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "ballot"),
    [
        ("single", {"points": {"1": 100}}),
        ("points", {"choices": [1]}),
        ("ranking", {"rating": 2}),
        ("text", {"choices": [1]}),
    ],
)
def test_a_ballot_form_the_kind_does_not_take_is_refused(event, make_poll, kind, ballot):
    options = [] if kind == "text" else ["A", "B"]
    poll = make_poll(event, kind=kind, options=options)
    service.open_poll(poll)
    with pytest.raises(InvalidInput) as error:
        cast(event, poll, "p1", ballot)
    assert error.value.code == "wrong_ballot_form"


@pytest.mark.parametrize(
    "ballot", [{}, {"choices": [1], "rating": 3}, {"unknown": 1}, "text", 5, None]
)
def test_a_ballot_with_no_or_two_forms_is_refused(event, open_poll, ballot):
    poll = open_poll("single")
    with pytest.raises(InvalidInput) as error:
        cast(event, poll, "p1", ballot)
    assert error.value.code == "invalid_ballot"


def test_resent_vote_returns_the_stored_ballot(event, open_poll):
    poll = open_poll("ranking")
    a, b, c = ids(poll)
    first = cast(event, poll, "p1", {"ranking": [c, b, a]}, "resend-0001")
    again = cast(event, poll, "p1", {"ranking": [c, b, a]}, "resend-0001")
    assert again.duplicate
    assert again.receipt == first.receipt
    assert again.ballot == {"ranking": [c, b, a]}
    assert again.choices == [c, b, a]


def test_budget_cannot_change_once_a_points_poll_has_votes(event, open_poll):
    poll = open_poll("points")
    cast(event, poll, "p1", {"points": {ids(poll)[0]: 100}})
    data = service.PollData(title=poll.title, options=["A", "B", "C"], kind="points", budget=50)
    data.option_ids = ids(poll)
    with pytest.raises(Conflict):
        service.update_poll(poll, data)


def test_yes_no_poll_keeps_its_options_when_edited(event, make_poll):
    poll = make_poll(event, kind="yes_no", options=[])
    service.open_poll(poll)
    cast(event, poll, "p1", [ids(poll)[0]])
    before = ids(poll)
    service.update_poll(
        poll, service.PollData(title="Renamed?", options=[], kind="yes_no", majority="simple")
    )
    assert ids(poll) == before
    assert poll.title == "Renamed?"
    assert poll.status == PollStatus.open


# --- the console form and the event's blocked words ----------------------------------


def test_console_form_prepares_each_kind(client, login, make_user, event, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, f"/manage/{event.code}/polls/new")
    base = {"csrf_token": token, "visibility": "live", "allow_change": "y"}
    forms = [
        {"title": "Split the fund", "kind": "points", "budget": "10", "option": ["Big", "Small"]},
        {"title": "Order these", "kind": "ranking", "option": ["A", "B", "C"]},
        {"title": "How useful?", "kind": "rating", "scale": "7", "scale_low_label": "Not"},
        {"title": "Adopt?", "kind": "yes_no", "majority": "two_thirds"},
        {"title": "One word", "kind": "text", "moderate_answers": "y"},
        {"title": "Capital?", "kind": "quiz", "option": ["", "Rome", "Oslo"], "correct": "2"},
    ]
    for form in forms:
        response = client.post(f"/manage/{event.code}/polls/new", data=base | form)
        assert response.status_code == 302, form
    points, ranking, rating, yes_no, text, quiz = event.polls
    assert points.budget == 10
    assert [o.label for o in ranking.options] == ["A", "B", "C"]
    assert len(rating.options) == 7
    assert rating.scale_low_label == "Not"
    assert yes_no.majority == "two_thirds"
    assert text.moderate_answers is True
    assert [o.correct for o in quiz.options] == [False, True]  # the blank row is left out


def test_console_form_refuses_a_quiz_without_answer(client, login, make_user, event, page_token):
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, f"/manage/{event.code}/polls/new")
    response = client.post(
        f"/manage/{event.code}/polls/new",
        data={
            "csrf_token": token,
            "title": "Q",
            "kind": "quiz",
            "visibility": "live",
            "option": ["A", "B"],
        },
    )
    assert response.status_code == 400
    assert "Mark exactly one option" in response.get_data(as_text=True)
    assert event.polls == []


def test_moderator_shows_and_hides_an_answer(
    client, login, make_user, event, make_poll, page_token
):
    poll = make_poll(event, kind="text", options=[], moderate_answers=True)
    service.open_poll(poll)
    cast(event, poll, "p1", {"text": "Matchmaking"})
    answer_id = staff_results(poll)["answers"][0]["id"]
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, f"/manage/{event.code}/polls")
    url = f"/manage/{event.code}/polls/{poll.id}/answers/{answer_id}"
    assert client.post(url, data={"csrf_token": token, "status": "shown"}).status_code == 302
    assert public_results(poll)["cloud"] == [{"text": "Matchmaking", "count": 1}]
    assert client.post(url, data={"csrf_token": token, "status": "gone"}).status_code == 400
    assert client.post(url, data={"status": "hidden"}).status_code == 400  # no CSRF token
    assert public_results(poll)["cloud"] == [{"text": "Matchmaking", "count": 1}]
    other = f"/manage/{event.code}/polls/{poll.id}/answers/999999"
    assert client.post(other, data={"csrf_token": token, "status": "hidden"}).status_code == 404


def test_admin_sets_blocked_words(client, login, make_user, event, page_token):
    login(client, make_user("admin"))
    url = f"/manage/{event.code}/settings"
    token = page_token(client, url)
    data = {
        "csrf_token": token,
        "name": event.name,
        "code": event.code,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "blocked_words": "darn,  heck\n\nfoo bar",
    }
    assert client.post(url, data=data).status_code == 302
    assert event.blocked_words == "darn\nheck\nfoo bar"
    too_long = client.post(url, data=data | {"blocked_words": "x" * 61})
    assert too_long.status_code == 400
    assert "at most 60 characters" in too_long.get_data(as_text=True)
    db.session.refresh(event)
    assert event.blocked_words == "darn\nheck\nfoo bar"


def test_report_and_its_exports_cover_every_kind(client, login, make_user, event, make_poll):
    polls = [
        make_poll(event, kind="points", options=["Big", "Small"], budget=10, title="Mix"),
        make_poll(event, kind="ranking", options=["Intl", "Uptake", "Scale"], title="Order"),
        make_poll(event, kind="rating", options=[], scale=5, title="Useful"),
        make_poll(event, kind="yes_no", options=[], majority="simple", title="Adopt"),
        make_poll(event, kind="quiz", options=["Oslo", "Rome"], correct=[1], title="Capital"),
        make_poll(event, kind="text", options=[], title="One word"),
    ]
    points, ranking, rating, yes_no, quiz, text = polls
    for poll in polls:
        service.open_poll(poll)
    cast(event, points, "r1", {"points": {points.options[0].id: 10}})
    cast(event, ranking, "r1", {"ranking": [o.id for o in ranking.options]})
    cast(event, rating, "r1", {"rating": 4})
    cast(event, yes_no, "r1", [yes_no.options[0].id])
    cast(event, quiz, "r1", [quiz.options[1].id])
    cast(event, text, "r1", {"text": "Scale-up <now>"})
    for poll in polls:
        service.close_poll(poll)
    login(client, make_user("admin"))
    page = client.get(f"/manage/{event.code}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "mean 4.0, median 4" in html
    assert "adopted (simple majority of yes and no)" in html
    assert "correct answer: Rome" in html
    assert "Scale-up &lt;now&gt;" in html
    assert "Borda score" in html
    assert client.get(f"/manage/{event.code}/report.csv").status_code == 200
    dump = client.get(f"/manage/{event.code}/report.json").get_json()
    by_title = {poll["title"]: poll for poll in dump["polls"]}
    assert by_title["Mix"]["options"][0]["count"] == 10
    assert by_title["Order"]["options"][0]["count"] == 2
