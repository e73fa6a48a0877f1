"""A poll in several languages: stored, validated, sent to clients, shown, and counted as one."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel

from tests.authorisation_helpers import database_fingerprint
from tests.test_sockets import participant
from voting.accounts.service import create_token
from voting.errors import InvalidInput
from voting.i18n import LANGUAGES
from voting.polls import service, translations
from voting.polls.service import PollData
from voting.polls.translations import for_clients, option_label

FUNDING = ["Bigger partnerships", "Smaller partnerships", "A mix of both"]
FRENCH = {
    "title": "Quel financement ?",
    "description": "Pour le prochain appel.",
    "options": ["Partenariats plus grands", "Partenariats plus petits", "Un mélange des deux"],
}
GERMAN = {"title": "Welche Förderung?", "options": ["Größere Partnerschaften", "", "Eine Mischung"]}


@pytest.fixture
def event(make_event):
    return make_event("LIVE01", allow_anonymous=True)


@pytest.fixture
def funding(event):
    data = PollData(
        title="Which funding?", options=FUNDING, translations={"fr": FRENCH, "de": GERMAN}
    )
    return service.create_poll(event, data)


def test_translations_are_stored_by_answer_and_sent_by_option_id(funding):
    ids = [option.id for option in funding.options]
    sent = for_clients(funding)
    assert sent["fr"]["title"] == "Quel financement ?"
    assert sent["fr"]["description"] == "Pour le prochain appel."
    assert sent["fr"]["options"] == dict(zip(map(str, ids), FRENCH["options"], strict=True))
    # A blank line keeps the answer in the event's language.
    assert sent["de"]["options"] == {
        str(ids[0]): "Größere Partnerschaften",
        str(ids[2]): "Eine Mischung",
    }
    assert "description" not in sent["de"]
    assert service.poll_payload(funding)["translations"] == sent


def test_changed_answer_drops_only_its_own_translation(funding):
    data = PollData(
        title="Which funding?",
        options=["Bigger partnerships", "Small partnerships", "A mix of both"],
        option_ids=[option.id for option in funding.options],
        translations=service._translations_by_position(funding),
    )
    # Saved together with the changed answer, its translation follows the new text.
    service.update_poll(funding, data)
    assert (
        for_clients(funding)["fr"]["options"][str(funding.options[1].id)]
        == "Partenariats plus petits"
    )
    stored = funding.translations["fr"]["options"]
    assert "Smaller partnerships" not in stored
    assert stored["Small partnerships"] == "Partenariats plus petits"


@pytest.mark.parametrize(
    "translations",
    [
        "fr",
        {"it": {"title": "Quale?"}},
        {"fr": "Quel ?"},
        {"fr": {"title": 5}},
        {"fr": {"title": "x" * 301}},
        {"fr": {"options": ["un", "deux"]}},  # three answers
        {"fr": {"options": ["un", "deux", "y" * 201]}},
        {"fr": {"options": 3}},
    ],
)
def test_bad_translations_are_refused_and_change_nothing(event, funding, translations):
    before = database_fingerprint()
    with pytest.raises(InvalidInput) as refused:
        service.create_poll(event, PollData(title="Q?", options=FUNDING, translations=translations))
    assert refused.value.code == "invalid_translation"
    assert database_fingerprint() == before


def test_yes_no_answers_come_from_the_catalogues(event):
    poll = service.create_poll(event, PollData(title="Adopt?", options=[], kind="yes_no"))
    sent = for_clients(poll)
    yes = str(poll.options[0].id)
    assert sent["fr"]["options"][yes] == "Oui"
    assert sent["de"]["options"][yes] == "Ja"
    assert "en" not in sent  # nothing to translate


def test_phones_in_different_languages_count_into_one_result(app, socket_for, funding):
    service.open_poll(funding)
    bigger = funding.options[0].id
    for _ in range(2):
        sock, ack = participant(app, socket_for)
        polls = {poll["id"]: poll for poll in ack["polls"]}
        assert polls[funding.id]["translations"]["de"]["title"] == "Welche Förderung?"
        vote = {"poll_id": funding.id, "choices": [bigger], "vote_id": str(uuid.uuid4())}
        assert sock.emit("cast_vote", vote, callback=True)["ok"]
    results = service.results_payload(funding, staff=True)
    assert results["total"] == 2
    assert [row["count"] for row in results["options"]] == [2, 0, 0]


def test_phone_page_without_javascript_shows_its_language(client, funding):
    service.open_poll(funding)
    french = client.get("/e/LIVE01?lang=fr").get_data(as_text=True)
    assert "Quel financement ?" in french
    assert "Partenariats plus grands" in french
    german = client.get("/e/LIVE01", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Welche Förderung?" in german
    assert "Smaller partnerships" in german  # left untranslated: the event's own text
    english = client.get("/e/LIVE01").get_data(as_text=True)
    assert "Which funding?" in english


def test_console_form_saves_and_shows_translations(app, event, make_user, login, page_token):
    staff = app.test_client()
    login(staff, make_user("moderator", events=[event]))
    token = page_token(staff, "/manage/LIVE01/polls/new")
    form = {
        "csrf_token": token,
        "title": "Which funding?",
        "kind": "single",
        "visibility": "live",
        "eligibility": "anyone",
        "option": FUNDING,
        "title_fr": "Quel financement ?",
        "options_fr": "\r\n".join(FRENCH["options"]),
        "title_de": "",
        "options_de": "",
    }
    assert staff.post("/manage/LIVE01/polls/new", data=form).status_code == 302
    poll = event.polls[-1]
    assert poll.translations == {
        "fr": {
            "title": "Quel financement ?",
            "options": dict(zip(FUNDING, FRENCH["options"], strict=True)),
        }
    }
    page = staff.get(f"/manage/LIVE01/polls/{poll.id}/edit").get_data(as_text=True)
    assert 'value="Quel financement ?"' in page
    assert "Partenariats plus grands\nPartenariats plus petits" in page
    # One line short: a clear message at 400, nothing changed.
    before = database_fingerprint()
    form["options_fr"] = "Un\nDeux"
    response = staff.post(f"/manage/LIVE01/polls/{poll.id}/edit", data=form)
    assert response.status_code == 400
    assert "one translated answer per answer (3)" in response.get_data(as_text=True)
    assert database_fingerprint() == before


def test_api_creates_a_translated_poll_and_refuses_bad_ones(client, event, make_user):
    token = create_token(make_user("moderator", events=[event]))
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Which funding?", "options": FUNDING, "translations": {"fr": FRENCH}}
    response = client.post("/api/v1/events/LIVE01/polls", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["translations"]["fr"]["title"] == "Quel financement ?"
    for bad in ({"fr": {"title": ["x"]}}, ["fr"], {"xx": {}}):
        body["translations"] = bad
        response = client.post("/api/v1/events/LIVE01/polls", json=body, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["error"] in ("invalid_translation", "invalid_field")


def test_yes_no_words_are_read_from_the_catalogue_once_per_language(event, monkeypatch):
    """Are Yes/No/Abstain looked up once per language, however many payloads and labels?"""
    switched = []
    real_force_locale = translations.force_locale

    def counting(lang):
        switched.append(lang)
        return real_force_locale(lang)

    monkeypatch.setattr(translations, "force_locale", counting)
    poll = service.create_poll(event, PollData(title="Adopt?", options=[], kind="yes_no"))
    for _ in range(3):
        assert for_clients(poll)["fr"]["options"][str(poll.options[0].id)] == "Oui"
        assert [option_label(o, "de") for o in poll.options] == ["Ja", "Nein", "Enthaltung"]
        assert [option_label(o, "xx") for o in poll.options] == ["Yes", "No", "Abstain"]
    assert sorted(switched) == sorted(LANGUAGES)


def test_an_app_with_other_catalogues_reads_its_own_yes_no_words(event, tmp_path):
    """Does a new app with a changed catalogue get its words, not the ones read before?"""
    poll = service.create_poll(event, PollData(title="Adopt?", options=[], kind="yes_no"))
    assert option_label(poll.options[0], "fr") == "Oui"
    shipped = Path(translations.__file__).parents[1] / "translations"
    copy = tmp_path / "translations"
    shutil.copytree(shipped, copy)
    french = copy / "fr" / "LC_MESSAGES"
    with (french / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    catalog["Yes"].string = "Ouais"
    with (french / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    other = Flask("other")
    other.config["BABEL_TRANSLATION_DIRECTORIES"] = str(copy)
    Babel(other)
    with other.test_request_context():
        assert translations.fixed_words("fr")["Yes"] == "Ouais"
    assert option_label(poll.options[0], "fr") == "Oui"  # this app keeps its own catalogue
