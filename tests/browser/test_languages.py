"""Plenum in several languages (issue 8), end to end: a French phone, a German phone, an
English console, and projectors in German and French, all on one poll with one tally.

A page's language comes from ?lang, then (projector pages) the language its moderators
chose, then the browser's pick in the header (a cookie), then the browser's own
preference. Polls and the event's texts carry their translations; votes count per option,
so the French and the German vote for the same answer make one result.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import (
    BIGGER,
    EVENT,
    FUNDING,
    MIX,
    RECEIPT,
    SMALLER,
    console_action,
    display_bar,
    open_display,
    open_phone,
    open_staff_console,
    poll_card,
    poll_id,
    results_api,
    wait_online,
)

pytestmark = pytest.mark.browser

# The demo's funding poll in French and German (voting/demo.py).
FUNDING_FR = "Comment partager le futur financement européen des partenariats de clusters ?"
FUNDING_DE = "Wie soll die künftige EU-Förderung für Clusterpartnerschaften aufgeteilt werden?"
ANSWERS_FR = [
    "Des partenariats moins nombreux et plus grands",
    "Des partenariats plus nombreux et plus petits",
    "Un mélange de grands et de petits partenariats",
]
ANSWERS_DE = [
    "Weniger, größere Partnerschaften",
    "Mehr, kleinere Partnerschaften",
    "Eine Mischung aus größeren und kleineren Partnerschaften",
]
MIX_FR, MIX_DE = ANSWERS_FR[2], ANSWERS_DE[2]
NAME_DE = "Europäische Clusterpartnerschaften: Partnerschaftstag"
# The first burning theme, its German as the demo has it, and as the admin rewrites it.
THEME = "Co-designing new cluster services with and for SMEs"
THEME_DE = "Neue Clusterdienste mit und für KMU gemeinsam entwickeln"
THEME_FR = "Concevoir avec et pour les PME de nouveaux services de clusters"
THEME_DE_NEW = "Clusterdienste gemeinsam mit KMU neu gestalten"

# The interface catalogues (voting/translations/*/LC_MESSAGES/messages.po); French puts a
# no-break space before a colon.
RECORDED_FR = re.compile("^Vote enregistré\\. Reçu\u00a0: " + RECEIPT + "$")
RECORDED_DE = re.compile("^Stimme erfasst\\. Quittung: " + RECEIPT + "$")


def picker(page: Page):
    """The language select in the page header."""
    return page.locator("header.topbar select[name=language]")


def expect_language(page: Page, lang: str) -> None:
    """The page is in this language (its <html lang>)."""
    expect(page.locator("html")).to_have_attribute("lang", lang)


def expect_projector(page: Page, lang: str, question: str, status: str, answers: list[str]):
    """The projector shows the funding poll in this language: question, status, answers."""
    expect_language(page, lang)
    expect(page.locator("[data-question]")).to_have_text(question)
    expect(page.locator("[data-status]")).to_have_text(status)
    expect(page.locator("[data-display-poll] .bar-label")).to_have_text(answers)


def session_card(page: Page, title: str):
    """The card of a breakout session on the breakouts page, by its title."""
    return page.locator("li.session-card").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def expect_funding_poll(page: Page, poll: int, question: str, answers: list[str]) -> None:
    """The phone's card of the funding poll shows this question and these answers."""
    card = poll_card(page, poll)
    expect(card.get_by_role("heading", level=3)).to_have_text(question)
    expect(card.locator("label")).to_have_text(answers)


def test_french_and_german_phones_vote_into_one_tally(own_server, own_devices, screenshot):
    devices = own_devices

    # 1. The moderator's console, in English, opens the funding poll.
    console = open_staff_console(devices, own_server, "console", locale="en-GB")
    funding = poll_id(console, FUNDING)
    console_action(console, FUNDING, "Open", "Poll opened.")

    # The projector asks for German in its address, whatever its browser speaks.
    display = open_display(devices, "display-de", "?lang=de", locale="en-GB")
    expect_projector(display, "de", FUNDING_DE, "Abstimmung läuft", ANSWERS_DE)

    # 2. A phone whose browser prefers French gets the page and the poll in French.
    phone_fr = open_phone(devices, "phone-fr", locale="fr-FR")
    expect_language(phone_fr, "fr")
    expect(picker(phone_fr)).to_have_value("fr")
    expect(picker(phone_fr).locator("option:checked")).to_have_text("Français")
    expect_funding_poll(phone_fr, funding, FUNDING_FR, ANSWERS_FR)
    card_fr = poll_card(phone_fr, funding)
    card_fr.get_by_label(MIX_FR, exact=True).check()
    card_fr.get_by_role("button", name="Voter", exact=True).click()
    expect(card_fr.locator("[data-vote-status]")).to_have_text(RECORDED_FR)
    screenshot(phone_fr, "phone-fr")
    # The German projector counts it under its German label, live.
    expect(display_bar(display, MIX_DE).locator(".bar-count")).to_have_text("1")
    expect(display.locator(".total-count")).to_have_text("1")

    # 3. An English phone picks German in the header: the page comes back in German.
    phone_de = open_phone(devices, "phone-de", locale="en-GB")
    expect_language(phone_de, "en")
    expect_funding_poll(phone_de, funding, FUNDING, [BIGGER, SMALLER, MIX])
    picker(phone_de).select_option(label="Deutsch")
    with phone_de.expect_navigation():
        phone_de.get_by_role("button", name="Change language").click()
    expect_language(phone_de, "de")
    expect(picker(phone_de).locator("option:checked")).to_have_text("Deutsch")
    expect(phone_de.get_by_role("button", name="Sprache ändern")).to_be_visible()
    expect(phone_de.get_by_role("heading", level=1)).to_have_text(NAME_DE)
    wait_online(phone_de)
    expect_funding_poll(phone_de, funding, FUNDING_DE, ANSWERS_DE)
    card_de = poll_card(phone_de, funding)
    card_de.get_by_label(MIX_DE, exact=True).check()
    card_de.get_by_role("button", name="Abstimmen", exact=True).click()
    expect(card_de.locator("[data-vote-status]")).to_have_text(RECORDED_DE)
    card_de.locator("[data-vote-status]").scroll_into_view_if_needed()
    screenshot(phone_de, "phone-de")
    # The pick is remembered: a reload (no ?lang, an English browser) is still German.
    phone_de.reload()
    wait_online(phone_de)
    expect_language(phone_de, "de")
    expect(picker(phone_de)).to_have_value("de")
    expect_funding_poll(phone_de, funding, FUNDING_DE, ANSWERS_DE)
    expect(poll_card(phone_de, funding).get_by_label(MIX_DE, exact=True)).to_be_checked()

    # 4. One answer, two languages, one result: the German projector and the API say 2.
    expect(display_bar(display, MIX_DE).locator(".bar-count")).to_have_text("2")
    expect(display.locator(".total-count")).to_have_text("2")
    expect(display.locator("[data-display-poll] .bar-label")).to_have_text(ANSWERS_DE)
    expect(display.locator(".total-label")).to_have_text("Stimmen")
    screenshot(display, "display-de")
    results = results_api(own_server.url, funding)
    assert results["total"] == 2
    counts = {option["label"]: option["count"] for option in results["options"]}
    assert counts == {BIGGER: 0, SMALLER: 0, MIX: 2}
    mix_id = next(option["id"] for option in results["options"] if option["label"] == MIX)
    assert display_bar(display, MIX_DE).get_attribute("data-option") == str(mix_id)

    # 5. The admin makes the projector French: a projector without ?lang, in an English
    # browser, shows French; the console stays in its own language.
    console.goto(f"/manage/{EVENT}/settings")
    console.get_by_label("Language of the projector's screens").select_option(label="Français")
    with console.expect_navigation():
        console.get_by_role("button", name="Save", exact=True).click()
    expect(console.locator(".flash-success")).to_have_text("Event saved.")
    expect(console.get_by_label("Language of the projector's screens")).to_have_value("fr")
    display_fr = open_display(devices, "display-fr", locale="en-GB")
    expect_projector(display_fr, "fr", FUNDING_FR, "Vote ouvert", ANSWERS_FR)
    expect(display_bar(display_fr, MIX_FR).locator(".bar-count")).to_have_text("2")
    screenshot(display_fr, "display-fr")
    # ?lang still wins over the projector language.
    display.reload()
    wait_online(display)
    expect_projector(display, "de", FUNDING_DE, "Abstimmung läuft", ANSWERS_DE)

    # 6. The admin rewrites the first burning theme's German in the translation grid; the
    # German phone sees it on that theme's breakout session.
    console.goto(f"/manage/{EVENT}/translations")
    row = (
        console.locator("table tbody tr")
        .filter(has=console.locator("th .meta", has_text="Burning theme"))
        .filter(has=console.locator("th", has_text=THEME))
    )
    expect(row).to_have_count(1)
    german = row.locator("input[lang=de]")
    expect(german).to_have_value(THEME_DE)
    expect(german).to_have_attribute("name", re.compile(r"^t:theme:\d+:title:de$"))
    german.fill(THEME_DE_NEW)
    with console.expect_navigation():
        console.get_by_role("button", name="Save translations").click()
    expect(console.locator(".flash-success")).to_have_text(
        re.compile(r"^Translations saved \(\d+ texts\)\.$")
    )
    expect(row.locator("input[lang=de]")).to_have_value(THEME_DE_NEW)

    phone_de.goto(f"/e/{EVENT}/breakouts")
    expect_language(phone_de, "de")
    # The session made from the theme keeps its own (German) title; the theme's new
    # German shows beside it.
    session = session_card(phone_de, THEME_DE)
    expect(session).to_have_count(1)
    expect(session.locator("p.meta").first).to_have_text(f"Thema: {THEME_DE_NEW}")
    with phone_de.expect_navigation():
        session.get_by_role("link", name=THEME_DE, exact=True).click()
    expect(
        phone_de.locator("dt", has_text="Thema").locator("xpath=following-sibling::dd[1]")
    ).to_have_text(THEME_DE_NEW)
    screenshot(phone_de, "phone-de-theme")
    # The German edit left the French alone: the French phone's session shows its theme
    # in French (the session and its theme agree, so no separate theme line).
    phone_fr.goto(f"/e/{EVENT}/breakouts")
    expect_language(phone_fr, "fr")
    session_fr = session_card(phone_fr, THEME_FR)
    expect(session_fr).to_have_count(1)
    expect(session_fr.get_by_text("Thème", exact=False)).to_have_count(0)
    assert not devices.errors
