"""Every surface speaks the language asked for: phone, registration, mail, display, console,
check-in and the report's CSV, in French and German."""

from __future__ import annotations

import html

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.test_registration_views import form as registration_form
from voting.polls.service import open_poll


def translated(lang: str, text: str, **values) -> str:
    """Return a text of the interface in one language, checking it is translated at all."""
    with force_locale(lang):
        result = _(text, **values)
    with force_locale("en"):
        assert result != _(text, **values), f"{text!r} has no {lang} translation"
    return result


def page(client, url: str, lang: str) -> str:
    """GET a page in a language (by ?lang=) and return its unescaped text."""
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}lang={lang}")
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def event(make_conference, make_poll):
    made = make_conference("SURF01", name="Partnering Day")
    open_poll(make_poll(made, title="Funding mix?", options=("Bigger", "Smaller")))
    return made


@pytest.fixture
def staff(app, event, make_user, login):
    client = app.test_client()
    login(client, make_user("admin", events=[event]))
    return client


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_participant_registration_and_display_pages(client, event, lang):
    assert translated(lang, "Vote") in page(client, "/e/SURF01", lang)
    assert translated(lang, "First name") in page(client, "/e/SURF01/register", lang)
    assert translated(lang, "Voting open") in page(client, "/e/SURF01/display", lang)


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_staff_console_check_in_and_report(staff, event, lang):
    assert translated(lang, "New poll") in page(staff, "/manage/SURF01/polls", lang)
    assert translated(lang, "Checked in") in page(staff, "/e/SURF01/checkin", lang)
    report = staff.get(f"/manage/SURF01/report.csv?lang={lang}").get_data(as_text=True)
    heading = report.lstrip("\ufeff").splitlines()[0]
    assert heading.startswith(translated(lang, "section"))


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_confirmation_mail_in_the_registrant_language(app, event, page_token, smtp, lang):
    phone = app.test_client()
    token = page_token(phone, f"/e/SURF01/register?lang={lang}")
    response = phone.post(f"/e/SURF01/register?lang={lang}", data=registration_form(event, token))
    assert response.status_code == 302
    [message] = smtp.to("Jonas.Berg@Example.org")
    assert message["Subject"] == translated(
        lang, "Your ticket for %(event)s", event="Partnering Day"
    )
