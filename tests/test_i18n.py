"""Interface languages: how a page's language is chosen, the picker, the projector's own."""

from __future__ import annotations

import re

import pytest

from voting.events.service import EventData, update_event
from voting.i18n import COOKIE, supported


def page_language(response) -> str:
    """Return the lang attribute of a page's <html> element."""
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, "page has no lang attribute"
    return match.group(1)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("de-AT", "de"),
        ("fr_BE", "fr"),
        ("xx", None),
        ("", None),
        (3, None),
    ],
)
def test_supported_languages(code, expected):
    assert supported(code) == expected


def test_browser_preference_is_the_default(client, make_event):
    make_event("LANG01")
    assert page_language(client.get("/e/LANG01")) == "en"
    assert (
        page_language(client.get("/e/LANG01", headers={"Accept-Language": "de-DE,de;q=0.9"}))
        == "de"
    )
    assert (
        page_language(client.get("/e/LANG01", headers={"Accept-Language": "it, fr;q=0.5"})) == "fr"
    )
    assert page_language(client.get("/e/LANG01", headers={"Accept-Language": "it"})) == "en"


def test_picked_language_is_remembered_and_a_link_can_override_it(client, make_event, page_token):
    make_event("LANG02")
    token = page_token(client, "/e/LANG02")
    response = client.post(
        "/language", data={"csrf_token": token, "language": "fr", "next": "/e/LANG02?lang=de&x=1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/e/LANG02?x=1")  # the one-off ?lang dropped
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=fr")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    german_browser = {"Accept-Language": "de"}
    assert page_language(client.get("/e/LANG02", headers=german_browser)) == "fr"
    assert page_language(client.get("/e/LANG02?lang=de")) == "de"
    assert page_language(client.get("/e/LANG02")) == "fr"


@pytest.mark.parametrize(
    "data",
    [
        {"language": "xx"},
        {"language": ""},
        {},
        {"language": "fr" * 2000},
    ],
)
def test_picker_refuses_unknown_languages(client, make_event, page_token, data):
    make_event("LANG03")
    token = page_token(client, "/e/LANG03")
    response = client.post("/language", data={"csrf_token": token, **data})
    assert response.status_code == 400
    assert "Pick one of the languages offered" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]


def test_picker_needs_csrf_and_never_sends_elsewhere(client, make_event, page_token):
    make_event("LANG04")
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    token = page_token(client, "/e/LANG04")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", None):
        data = {"csrf_token": token, "language": "de", "next": target}
        response = client.post("/language", data={k: v for k, v in data.items() if v})
        assert response.headers["Location"] in ("/", "http://plenum.test/")


def test_projector_follows_the_language_its_moderators_chose(client, make_event):
    event = make_event("LANG05")
    assert page_language(client.get("/e/LANG05/display", headers={"Accept-Language": "de"})) == "de"
    data = EventData(
        code=event.code,
        name=event.name,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        display_language="fr",
    )
    update_event(event, data)
    for path in ("/e/LANG05/display", "/e/LANG05/qna/display", "/e/LANG05/ideas/display"):
        assert page_language(client.get(path, headers={"Accept-Language": "de"})) == "fr"
    # The phone pages keep their own language.
    assert page_language(client.get("/e/LANG05", headers={"Accept-Language": "de"})) == "de"
