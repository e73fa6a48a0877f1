"""The phone page without JavaScript for every poll kind, and the console's moderation.

The plain vote form carries each kind's ballot (docs/realtime.md): ticks for choice
kinds, a number per option for points, a place per option for ranking, one scale point
for rating, a line of text for open text. Bad input is refused with a 4xx and a clear
message, and nothing is stored.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import func, select

from voting.extensions import db
from voting.models import Ballot, BallotChoice, Vote
from voting.polls import service

CODE = "KIND01"


@pytest.fixture
def event(make_event):
    return make_event(CODE, name="Kinds event", blocked_words="spam\nscam")


@pytest.fixture
def opened(event, make_poll):
    """Factory: an open poll of a kind, shown on the phone page."""

    def make(kind, options=("North", "South", "East"), **fields):
        poll = make_poll(event, title=f"A {kind} poll?", options=list(options), kind=kind, **fields)
        service.open_poll(poll)
        return poll

    return make


def page(client) -> str:
    return client.get(f"/e/{CODE}").get_data(as_text=True)


def form_fields(html: str) -> dict:
    """The hidden inputs (csrf_token, vote_id) of the first vote form."""
    return dict(re.findall(r'name="(csrf_token|vote_id)" (?:type="hidden" )?value="([^"]+)"', html))


def post_vote(client, poll, data: dict, *, follow: bool = False):
    fields = form_fields(page(client))
    return client.post(
        f"/e/{CODE}/polls/{poll.id}/vote", data={**fields, **data}, follow_redirects=follow
    )


def stored_rows() -> tuple[int, int, int]:
    """Rows of ballots, their choices and the vote log: a refused vote changes none."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Ballot, BallotChoice, Vote)
    )


def alert_of(html: str) -> str:
    """The error message the page shows in its alert."""
    match = re.search(r'<p class="field-error" role="alert">([^<]*)</p>', html)
    assert match, "no alert on the page"
    return htmllib.unescape(match.group(1))


def staff_results(poll) -> dict:
    db.session.refresh(poll)
    return service.results_payload(poll, staff=True)


# --- the page shows each kind's inputs ---------------------------------------------


def test_phone_page_offers_each_kinds_inputs_without_javascript(client, opened):
    points = opened("points", budget=10)
    ranking = opened("ranking")
    rating = opened("rating", (), scale=5, scale_low_label="Poor", scale_high_label="Great")
    text = opened("text", ())
    yes_no = opened("yes_no", (), majority="two_thirds")
    html = page(client)
    for option in points.options:
        assert f'name="points-{option.id}"' in html
    assert "Split 10 points between the options" in html
    for option in ranking.options:
        assert f'name="rank-{option.id}"' in html
    assert html.count('name="rating"') == 5
    assert 'aria-label="1 – Poor"' in html
    assert 'aria-label="5 – Great"' in html
    assert 'name="text"' in html
    assert 'maxlength="140"' in html
    for option in yes_no.options:
        assert f'value="{option.id}"' in html
    assert "Two-thirds majority" in html
    assert text.id  # every kind renders on one page
    assert rating.id


# --- good ballots of each kind are stored as their wire form --------------------------


def test_points_form_is_stored_as_an_allocation(client, opened):
    poll = opened("points", budget=100)
    a, b, c = (o.id for o in poll.options)
    response = post_vote(
        client, poll, {f"points-{a}": "60", f"points-{b}": "40", f"points-{c}": ""}
    )
    assert response.status_code == 302
    results = staff_results(poll)
    assert {o["id"]: o["average"] for o in results["options"]} == {a: 60, b: 40, c: 0}
    # The page shows the allocation back, ready to change.
    html = page(client)
    assert re.search(rf'name="points-{a}"\s+value="60"', html)
    assert "Change my vote" in html


def test_ranking_form_is_stored_in_the_order_of_the_places(client, opened):
    poll = opened("ranking")
    a, b, c = (o.id for o in poll.options)
    response = post_vote(client, poll, {f"rank-{a}": "3", f"rank-{b}": "1", f"rank-{c}": "2"})
    assert response.status_code == 302
    results = {o["id"]: o for o in staff_results(poll)["options"]}
    assert results[b]["borda"] == 2
    assert results[c]["borda"] == 1
    assert results[a]["borda"] == 0
    assert results[a]["average_rank"] == 3
    html = page(client)
    # The selects show the stored places again.
    assert re.search(rf'name="rank-{b}">\s*<option value="1" selected', html)


def test_rating_form_is_stored(client, opened):
    poll = opened("rating", (), scale=5)
    assert post_vote(client, poll, {"rating": "4"}).status_code == 302
    results = staff_results(poll)
    assert results["mean"] == 4
    assert results["median"] == 4
    assert re.search(r'name="rating" value="4"\s+checked', page(client))


def test_text_form_is_stored_and_shown_in_the_cloud(client, opened):
    poll = opened("text", ())
    response = post_vote(client, poll, {"text": "  Open   science "}, follow=True)
    assert response.status_code == 200
    assert "Your vote is recorded. Receipt:" in response.get_data(as_text=True)
    results = staff_results(poll)
    assert results["cloud"] == [{"text": "Open science", "count": 1}]
    assert 'value="Open science"' in page(client)


@pytest.mark.parametrize("kind", ["single", "quiz", "yes_no"])
def test_one_choice_kinds_take_a_ticked_option(client, opened, kind):
    fields = {"correct": [0]} if kind == "quiz" else {}
    poll = opened(kind, **fields) if kind != "yes_no" else opened(kind, ())
    chosen = poll.options[1].id
    assert post_vote(client, poll, {"choice": str(chosen)}).status_code == 302
    counts = {o["id"]: o["count"] for o in staff_results(poll)["options"]}
    assert counts[chosen] == 1
    assert sum(counts.values()) == 1


def test_multiple_choice_takes_several_ticks(client, opened):
    poll = opened("multiple", max_choices=2)
    ids = [str(o.id) for o in poll.options[:2]]
    assert post_vote(client, poll, {"choice": ids}).status_code == 302
    assert staff_results(poll)["total"] == 1


# --- bad input: a 4xx with a clear message, nothing stored -------------------------


def _points(poll, values):
    return {f"points-{o.id}": v for o, v in zip(poll.options, values, strict=True)}


def _ranks(poll, values):
    return {f"rank-{o.id}": v for o, v in zip(poll.options, values, strict=True)}


BAD_FORMS = [
    (
        "points",
        {"budget": 100},
        lambda p: _points(p, ["60", "30", "0"]),
        "add up to 100; these add up to 90",
    ),
    (
        "points",
        {"budget": 100},
        lambda p: _points(p, ["60", "50", "0"]),
        "add up to 100; these add up to 110",
    ),
    (
        "points",
        {"budget": 100},
        lambda p: _points(p, ["abc", "100", "0"]),
        "whole number of points",
    ),
    (
        "points",
        {"budget": 100},
        lambda p: _points(p, ["-10", "110", "0"]),
        "whole number of points",
    ),
    ("points", {"budget": 100}, lambda p: _points(p, ["1e2", "0", "0"]), "whole number of points"),
    ("points", {"budget": 100}, lambda p: {}, "add up to 100; these add up to 0"),
    ("points", {"budget": 100}, lambda p: _points(p, ["99999999999", "0", "0"]), "whole number"),
    ("ranking", {}, lambda p: _ranks(p, ["1", "1", "2"]), "different place"),
    ("ranking", {}, lambda p: _ranks(p, ["1", "2", "4"]), "place from 1 to 3"),
    ("ranking", {}, lambda p: _ranks(p, ["1", "2", ""]), "place from 1 to 3"),
    ("ranking", {}, lambda p: _ranks(p, ["1", "2", "x"]), "place from 1 to 3"),
    ("ranking", {}, lambda p: {}, "place from 1 to 3"),
    ("rating", {"scale": 5}, lambda p: {"rating": "0"}, "from 1 to 5"),
    ("rating", {"scale": 5}, lambda p: {"rating": "6"}, "from 1 to 5"),
    ("rating", {"scale": 5}, lambda p: {"rating": "four"}, "Pick a point on the scale"),
    ("rating", {"scale": 5}, lambda p: {}, "Pick a point on the scale"),
    ("text", {}, lambda p: {"text": "   "}, "1 to 140 characters"),
    ("text", {}, lambda p: {}, "1 to 140 characters"),
    ("text", {}, lambda p: {"text": "x" * 141}, "1 to 140 characters"),
    ("text", {}, lambda p: {"text": "This is SPAM really"}, "not allowed"),
    ("single", {}, lambda p: {}, "Choose at least one option"),
    ("single", {}, lambda p: {"choice": "abc"}, "distinct option numbers"),
    ("yes_no", {}, lambda p: {"choice": [str(o.id) for o in p.options[:2]]}, "at most 1"),
    ("quiz", {"correct": [1]}, lambda p: {"choice": "999999"}, "option"),
]


@pytest.mark.parametrize(
    ("kind", "fields", "data", "message"),
    BAD_FORMS,
    ids=[f"{kind}-{i}" for i, (kind, *_rest) in enumerate(BAD_FORMS)],
)
def test_bad_vote_forms_are_refused_clearly_and_change_nothing(
    client, opened, kind, fields, data, message
):
    options = () if kind in ("rating", "text", "yes_no") else ("North", "South", "East")
    poll = opened(kind, options, **fields)
    before = stored_rows()
    response = post_vote(client, poll, data(poll))
    assert 400 <= response.status_code < 500
    assert message.casefold() in alert_of(response.get_data(as_text=True)).casefold()
    assert stored_rows() == before
    assert staff_results(poll)["total"] == 0


def test_refused_forms_keep_what_was_sent(client, opened):
    points = opened("points", budget=100)
    a, b, c = (o.id for o in points.options)
    html = post_vote(client, points, {f"points-{a}": "70", f"points-{b}": "20"}).get_data(
        as_text=True
    )
    assert re.search(rf'name="points-{a}"\s+value="70"', html)
    assert re.search(rf'name="points-{b}"\s+value="20"', html)
    assert "Vote</button>" in html  # nothing is recorded, so not "Change my vote"

    ranking = opened("ranking")
    x, y, z = (o.id for o in ranking.options)
    html = post_vote(client, ranking, {f"rank-{x}": "2", f"rank-{y}": "2", f"rank-{z}": "1"})
    html = html.get_data(as_text=True)
    assert re.search(rf'name="rank-{z}">\s*<option value="1" selected', html)
    assert re.search(
        rf'name="rank-{x}">\s*<option value="1" >Place 1</option>\s*<option value="2" selected',
        html,
    )

    text = opened("text", ())
    html = post_vote(client, text, {"text": "spam & eggs"}).get_data(as_text=True)
    assert 'value="spam &amp; eggs"' in html


def test_points_on_a_closed_poll_are_refused(client, opened):
    poll = opened("points", budget=10)
    fields = form_fields(page(client))
    service.close_poll(poll)
    response = client.post(
        f"/e/{CODE}/polls/{poll.id}/vote", data={**fields, **_points(poll, ["10", "0", "0"])}
    )
    assert response.status_code == 409
    assert staff_results(poll)["total"] == 0


# --- after close ------------------------------------------------------------------


def test_closed_quiz_tells_the_phone_whether_it_was_right(client, opened):
    poll = opened("quiz", ("Lisbon", "Porto", "Braga"), correct=[0])
    post_vote(client, poll, {"choice": str(poll.options[1].id)})
    html = page(client)
    assert "The correct answer" not in html  # not before close
    service.close_poll(poll)
    html = page(client)
    assert 'data-verdict="wrong"' in html
    assert "Not quite." in html
    assert "The correct answer: Lisbon" in html
    assert "✓ Correct answer" in html  # marked in the results too


def test_closed_yes_no_shows_the_outcome_with_its_rule(client, opened):
    poll = opened("yes_no", (), majority="simple")
    post_vote(client, poll, {"choice": str(poll.options[0].id)})
    assert "ADOPTED" not in page(client)
    service.close_poll(poll)
    html = page(client)
    assert "✓ ADOPTED" in html
    assert "1 yes, 0 no." in html
    assert "Simple majority" in html


def test_closed_rating_points_and_ranking_show_their_figures(client, opened):
    rating = opened("rating", (), scale=4, scale_low_label="Low", scale_high_label="High")
    points = opened("points", budget=10)
    ranking = opened("ranking")
    post_vote(client, rating, {"rating": "3"})
    post_vote(client, points, _points(points, ["7", "3", "0"]))
    post_vote(client, ranking, _ranks(ranking, ["2", "1", "3"]))
    for poll in (rating, points, ranking):
        service.close_poll(poll)
    html = page(client)
    assert 'class="stat-value">3<span class="stat-of"> / 4' in html
    assert "7 pts" in html
    assert "Average points per participant, out of 10" in html
    # Ranking results are listed best first, with the Borda points and average rank.
    south = html.index('<span class="rank-place">1.</span> South')
    north = html.index('<span class="rank-place">2.</span> North')
    assert south < north
    assert "average rank 1" in html


# --- the console's moderation of open-text answers ---------------------------------


@pytest.fixture
def moderator(client, login, make_user, event):
    login(client, make_user("moderator", events=[event]))


def test_console_lists_answers_to_moderate_and_shows_one(
    app, client, opened, moderator, page_token, socket_for
):
    poll = opened("text", (), moderate_answers=True)
    service.cast_vote(poll.event, poll.id, "someone", {"text": "Green deal"}, "vote-mod-0001")
    service.cast_vote(poll.event, poll.id, "another", {"text": "<b>Skills</b>"}, "vote-mod-0002")
    html = client.get(f"/manage/{CODE}/polls").get_data(as_text=True)
    assert "<span data-pending>2</span> waiting for moderation" in html
    assert "&lt;b&gt;Skills&lt;/b&gt;" in html
    assert "<b>Skills</b>" not in html
    ballots = dict(
        db.session.execute(select(Ballot.text, Ballot.id).where(Ballot.poll_id == poll.id)).all()
    )
    action = f"/manage/{CODE}/polls/{poll.id}/answers/{ballots['Green deal']}"
    assert f'action="{action}"' in html
    # Nothing reaches the phones or the display before a moderator shows it.
    db.session.refresh(poll)
    assert service.results_payload(poll, staff=False)["cloud"] == []
    token = page_token(client, f"/manage/{CODE}/polls")
    response = client.post(action, data={"csrf_token": token, "status": "shown"})
    assert response.status_code == 302
    db.session.refresh(poll)
    public = service.results_payload(poll, staff=False)
    assert public["cloud"] == [{"text": "Green deal", "count": 1}]
    assert public["answers"] == [{"text": "Green deal"}]
    html = client.get(f"/manage/{CODE}/polls").get_data(as_text=True)
    assert "<span data-pending>1</span> waiting for moderation" in html


def test_moderation_refuses_bad_status_and_missing_token(client, opened, moderator, page_token):
    poll = opened("text", (), moderate_answers=True)
    service.cast_vote(poll.event, poll.id, "someone", {"text": "Hydrogen"}, "vote-mod-0003")
    ballot_id = db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll.id))
    action = f"/manage/{CODE}/polls/{poll.id}/answers/{ballot_id}"
    assert client.post(action, data={"status": "shown"}).status_code == 400
    token = page_token(client, f"/manage/{CODE}/polls")
    assert client.post(action, data={"csrf_token": token, "status": "loud"}).status_code == 400
    wrong = f"/manage/{CODE}/polls/{poll.id}/answers/999999"
    assert client.post(wrong, data={"csrf_token": token, "status": "shown"}).status_code == 404
    db.session.refresh(poll)
    assert service.results_payload(poll, staff=True)["pending"] == 1


def test_console_names_each_kind_and_renders_its_results(client, opened, moderator):
    opened("points", budget=50)
    opened("ranking")
    opened("rating", (), scale=7)
    opened("yes_no", (), majority="two_thirds")
    opened("quiz", correct=[2])
    opened("text", ())
    html = client.get(f"/manage/{CODE}/polls").get_data(as_text=True)
    for words in (
        "Points allocation, 50 points",
        "Ranking",
        "Rating 1 to 7",
        "Yes / no / abstain",
        "two-thirds majority",
        "Quiz",
        "Open text",
    ):
        assert words in html
    # Staff see the quiz answer and the yes/no outcome as it stands.
    assert "✓ Correct answer" in html
    assert "As it stands:" in html
