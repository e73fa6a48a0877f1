"""Accessibility in the browser (issue 8, WCAG 2.1 AA): axe-core on every surface in each
language, voting by keyboard alone with what a screen reader hears, the display's
high-contrast and large-text modes, reduced motion, and pages at 320 px and 200 % zoom.

axe-core comes from npm (package.json, devDependencies) and is never served by the app.
Playwright's `add_script_tag` would add it as an inline script, which the app's
Content-Security-Policy (`script-src 'self'`) refuses; the tests evaluate its source
through the DevTools protocol instead (`page.evaluate`), which runs outside the page's
CSP, so every page is audited with its real CSP in force.

Every audit's findings, of all impacts, go to test-artifacts/a11y/axe-<language>.json;
the tests fail on any "serious" or "critical" one. Screenshots of the display's modes
and of the phone at 320 px go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE, ROOT, Devices
from tests.browser.pages import (
    EVENT,
    FOCUS,
    FUNDING,
    RECEIPT,
    RECORDED,
    SMALLER,
    assert_not_reloaded,
    console_action,
    console_poll,
    open_console,
    open_display,
    open_phone,
    poll_card,
    poll_id,
    set_marker,
    sign_in,
    wait_online,
)

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "test-artifacts" / "a11y"
BLOCKING = ("serious", "critical")
LOCALES = {"en": "en-GB", "fr": "fr-FR", "de": "de-DE"}

# The demo event's prepared polls opened for the audits, and the two kinds it lacks
# (a quiz, and a rating with a timer long enough to stay open through the tests).
POINTS = "Split 100 points of a future call between partnership sizes"
RANKING = "Rank the priorities for the next joint actions"
YES_NO = "Adopt the funding mix as the plenary's recommendation?"
TEXT = "One word for European cluster cooperation"
QUIZ = "Which city hosts the European Commission?"
RATING = "How clear was this morning's plenary?"
DEMO_POLLS = (FUNDING, FOCUS, POINTS, RANKING, YES_NO, TEXT)
KIND_TITLES = {
    "single": FUNDING,
    "multiple": FOCUS,
    "points": POINTS,
    "ranking": RANKING,
    "yes_no": YES_NO,
    "text": TEXT,
    "quiz": QUIZ,
    "rating": RATING,
}


@pytest.fixture(scope="module")
def seeded(own_server) -> dict[str, str]:
    """Add the quiz and the timed rating to the demo event; return every title by kind."""
    from voting import create_app
    from voting.events.service import find_event
    from voting.extensions import db
    from voting.polls.service import PollData, create_poll

    app = create_app(
        {"INSTANCE_PATH": str(own_server.instance), "SOCKETIO_ASYNC_MODE": "threading"}
    )
    with app.app_context():
        event = find_event(EVENT)
        create_poll(
            event,
            PollData(
                title=QUIZ,
                options=["Brussels", "Strasbourg", "Luxembourg"],
                kind="quiz",
                correct=[0],
            ),
        )
        create_poll(
            event,
            PollData(
                title=RATING,
                options=[],
                kind="rating",
                scale=5,
                scale_low_label="Not clear",
                scale_high_label="Very clear",
                duration=3600,
            ),
        )
        db.session.remove()
        db.engine.dispose()
    return KIND_TITLES


@pytest.fixture(scope="module")
def staff_state(browser, own_server, seeded) -> dict:
    """A signed-in staff browser's cookies; every poll of the audits opened once."""
    context = browser.new_context(base_url=own_server.url, **LAPTOP)
    page = context.new_page()
    sign_in(page, own_server.email, own_server.password)
    open_console(page)
    for title in seeded.values():
        item = console_poll(page, title)
        if "status-open" not in (item.get_attribute("class") or ""):
            console_action(page, title, "Open", "Poll opened.")
    state = context.storage_state()
    context.close()
    return state


# --- axe ----------------------------------------------------------------------------


def run_axe(page: Page) -> dict[str, list[dict]]:
    """Run axe-core (all its WCAG and best-practice rules) on the page.

    Returns its violations and the checks it could not decide ("incomplete": e.g. a
    contrast over a gradient), which the report keeps for a person to look at.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;void 0")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations", "incomplete"] });
            const brief = v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({ target: n.target.join(" "), summary: n.failureSummary,
                                           html: n.html.slice(0, 160) })),
            });
            return { violations: result.violations.map(brief), incomplete: result.incomplete.map(brief) };
        }"""
    )


class Audits:
    """Runs axe on pages and keeps every finding, by page, for the report and the assert."""

    def __init__(self, language: str):
        self.language = language
        self.found: dict[str, dict] = {}
        self.pages = 0

    def __call__(self, page: Page, name: str) -> None:
        self.found[name] = run_axe(page)
        self.pages += 1

    def blocking(self) -> list[str]:
        lines = []
        for name, found in self.found.items():
            for v in found["violations"]:
                if v["impact"] in BLOCKING:
                    targets = "; ".join(n["target"] for n in v["nodes"][:6])
                    more = f" (+{len(v['nodes']) - 6} more)" if len(v["nodes"]) > 6 else ""
                    lines.append(
                        f"[{self.language}] {name}: {v['id']} ({v['impact']}) {v['help']}"
                        f" -> {targets}{more}\n      {v['nodes'][0]['summary']}"
                    )
        return lines

    def save(self) -> Path:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"axe-{self.language}.json"
        path.write_text(json.dumps(self.found, indent=1, ensure_ascii=False))
        return path


def phone(devices: Devices, name: str, language: str, kind=PHONE, **options) -> Page:
    """A device of `kind` on a participant page (the live page unless `path`) in a language."""
    return open_phone(devices, name, kind, locale=LOCALES[language], **options)


def staff(devices: Devices, state: dict, name: str, language: str, kind=LAPTOP) -> Page:
    """A staff member's device (signed in: `state`) in a language, on no page yet."""
    return devices.new(name, kind, locale=LOCALES[language], storage_state=state)


def staff_console(devices: Devices, state: dict) -> tuple[Page, dict[str, int]]:
    """A staff laptop in English on the poll console; and the audits' poll ids by kind."""
    console = staff(devices, state, "console", "en")
    open_console(console)
    return console, poll_ids(console)


def poll_ids(console: Page) -> dict[str, int]:
    """The ids of the audits' polls by kind, read from the console."""
    return {kind: poll_id(console, title) for kind, title in KIND_TITLES.items()}


# --- the audit --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_surface_passes_axe(language, own_server, own_devices, seeded, staff_state):
    devices = own_devices
    audit = Audits(language)
    console = staff(devices, staff_state, "console", language)
    console.goto(f"/manage/{EVENT}/polls")
    wait_online(console)
    ids = poll_ids(console)

    # The display, idle: the join screen.
    with console.expect_navigation():
        console.locator("form[action$='/display/clear'] button").click()
    display = open_display(devices, "display", locale=LOCALES[language])
    audit(display, "display idle")

    # The phone with an open poll of every kind, before voting.
    mobile = phone(devices, "phone", language)
    for poll in ids.values():
        expect(poll_card(mobile, poll).locator("form.vote-form")).to_be_visible()
    audit(mobile, "participant, polls open")

    # ... and after voting in each.
    vote_everywhere(mobile, ids)
    audit(mobile, "participant, voted")

    # The display with each kind's results, and the console beside it.
    for kind, poll in ids.items():
        with console.expect_navigation():
            console.locator(
                f"li.console-poll[data-poll='{poll}'] form[action$='/show'] button"
            ).click()
        expect(display.locator("[data-display-poll]")).to_have_attribute("data-kind", kind)
        expect(display.locator(".total-count")).not_to_have_text("0")
        audit(display, f"display, {kind} results")
    console.reload()
    wait_online(console)
    audit(console, "console")

    # Registration (empty, then refused with its errors), check-in, Q&A, ideas, grid.
    registration = devices.new("registration", PHONE, locale=LOCALES[language])
    registration.goto(f"/e/{EVENT}/register")
    audit(registration, "registration")
    registration.locator("form button[type=submit]").last.click()
    expect(registration.locator(".field-error").first).to_be_visible()
    audit(registration, "registration, refused")
    checkin = staff(devices, staff_state, "checkin", language, PHONE)
    checkin.goto(f"/e/{EVENT}/checkin?q=Pereira")
    expect(checkin.locator(".matches a")).to_have_count(1)
    audit(checkin, "check-in, search")
    checkin.locator(".matches a").click()
    expect(checkin.locator(".attendee")).to_be_visible()
    audit(checkin, "check-in, attendee")
    qna = phone(devices, "qna", language, path=f"/e/{EVENT}/qna")
    audit(qna, "Q&A")
    ideas = phone(devices, "ideas", language, path=f"/e/{EVENT}/ideas")
    audit(ideas, "ideas")
    grid = staff(devices, staff_state, "translations", language)
    grid.goto(f"/manage/{EVENT}/translations")
    audit(grid, "translation grid")

    audit.save()
    problems = audit.blocking()
    assert not problems, f"{len(problems)} serious or critical axe violations:\n" + "\n".join(
        problems
    )
    assert not devices.errors


def vote_everywhere(page: Page, ids: dict[str, int]) -> None:
    """Vote in every open poll with plain clicks (the keyboard test does it by keys)."""
    for kind, poll in ids.items():
        card = poll_card(page, poll)
        if kind in ("single", "quiz", "multiple", "yes_no"):
            card.locator("input").first.check()
        elif kind == "rating":
            card.locator("input.rating-input").nth(3).check()
        elif kind == "points":
            card.locator("[data-key=even]").click()
        elif kind == "text":
            card.locator("textarea").fill("Trust")
        card.locator("button[data-key=submit]").click()
        expect(card.locator("[data-vote-status] .receipt")).to_have_text(re.compile(RECEIPT))


# --- voting by keyboard alone, and what a screen reader hears ----------------------------


def tab_to(page: Page, target, limit: int = 250) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", handle):
            # The focus must show (2.4.7): the browser's keyboard focus style applies.
            assert page.evaluate("el => el.matches(':focus-visible')", handle)
            return
    raise AssertionError(f"Tab never reached {target} in {limit} presses")


def focused(page: Page) -> str:
    """The focused element, described for an assertion message."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName + ' ' + "
        "(e.getAttribute('aria-label') || e.textContent || e.value || '').trim(); }"
    )


def expect_recorded(card, announced) -> None:
    """The card says the vote is recorded, and the live region said so too."""
    expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(announced).to_have_text(RECORDED)


def test_every_kind_is_voted_with_the_keyboard_alone(own_server, own_devices, seeded, staff_state):
    devices = own_devices
    console, ids = staff_console(devices, staff_state)
    # A phone-sized page with a keyboard (a person with a switch or a Bluetooth keyboard).
    page = phone(devices, "keyboard", "en", {**PHONE, "has_touch": False, "is_mobile": False})
    announced = page.locator("[data-announce]")
    # The phone starts at the top of the page, as after a load.
    page.locator("body").focus()

    # Single choice: Tab into the group, an arrow key picks, Enter on the button votes.
    card = poll_card(page, ids["single"])
    radios = card.locator("input[type=radio]")
    tab_to(page, radios.first)
    page.keyboard.press("ArrowDown")
    expect(radios.nth(1)).to_be_checked()
    expect(card.get_by_label(SMALLER, exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page) == "BUTTON Vote", focused(page)
    page.keyboard.press("Enter")
    expect_recorded(card, announced)

    # Multiple choice: Space ticks a box, Tab goes to the next one.
    card = poll_card(page, ids["multiple"])
    boxes = card.locator("input[type=checkbox]")
    tab_to(page, boxes.first)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(2)).to_be_checked()
    # Two chosen of at most two: the others cannot be ticked, and Tab skips them.
    expect(boxes.nth(1)).to_be_disabled()
    tab_to(page, card.get_by_role("button", name="Vote"), limit=3)
    page.keyboard.press("Space")
    expect_recorded(card, announced)

    # Ranking without dragging: the move buttons, named in words, keep the focus on the
    # moved row, and each move is said.
    card = poll_card(page, ids["ranking"])
    said = card.locator("[data-rank-announce]")
    first = card.get_by_role("button", name="Move “Internationalisation” down")
    tab_to(page, first)
    page.keyboard.press("Enter")
    expect(said).to_have_text("“Internationalisation” is now number 2 of 4.")
    page.keyboard.press("Space")
    expect(said).to_have_text("“Internationalisation” is now number 3 of 4.")
    assert focused(page) == "BUTTON Move “Internationalisation” down", focused(page)
    tab_to(page, card.get_by_role("button", name="Move “Skills” up"))
    page.keyboard.press("Enter")
    expect(said).to_have_text("“Skills” is now number 3 of 4.")
    expect(card.locator(".rank-item .rank-label")).to_have_text(
        ["Innovation uptake", "Scaling-up of SMEs", "Skills", "Internationalisation"]
    )
    tab_to(page, card.get_by_role("button", name="Vote"))
    page.keyboard.press("Enter")
    expect_recorded(card, announced)

    # Points: End gives a slider all that is left, arrows take some back; the rest goes
    # to the second option the same way; the button is usable once all are given.
    card = poll_card(page, ids["points"])
    sliders = card.locator("input[type=range]")
    tab_to(page, sliders.first)
    page.keyboard.press("End")
    expect(sliders.first).to_have_value("100")
    for _ in range(35):
        page.keyboard.press("ArrowLeft")
    expect(sliders.first).to_have_value("65")
    expect(card.locator("[data-points-left]")).to_have_text("35 of 100 left")
    tab_to(page, sliders.nth(1), limit=3)
    page.keyboard.press("End")
    expect(sliders.nth(1)).to_have_value("35")
    expect(card.locator("[data-points-left]")).to_have_text("✓ All 100 points given")
    tab_to(page, card.get_by_role("button", name="Vote"))
    page.keyboard.press("Enter")
    expect_recorded(card, announced)

    # Yes / no and a rating: tiles are radios underneath, so arrows move between them.
    for kind, steps, expected in (("yes_no", 1, 1), ("rating", 3, 3)):
        card = poll_card(page, ids[kind])
        radios = card.locator("input[type=radio]")
        tab_to(page, radios.first)
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        expect(radios.nth(expected)).to_be_checked()
        tab_to(page, card.get_by_role("button", name="Vote"), limit=3)
        page.keyboard.press("Enter")
        expect_recorded(card, announced)

    # Open text: type, Enter sends.
    card = poll_card(page, ids["text"])
    tab_to(page, card.get_by_label("Your answer"))
    page.keyboard.type("Trust")
    page.keyboard.press("Enter")
    expect(card.locator("[data-vote-status]")).to_contain_text(RECORDED)

    # A poll opening while the phone is open is said, with its question.
    story = "Which partnership story should open next year's event?"
    console_action(console, story, "Open", "Poll opened.")
    expect(announced).to_have_text(f"New poll open: {story}")
    story_card = poll_card(page, poll_id(console, story))
    tab_to(page, story_card.locator("input[type=radio]").first, limit=400)
    assert not devices.errors


def test_untranslated_poll_texts_say_their_language(own_server, own_devices, seeded, staff_state):
    """A French phone: translated polls read as French, the rest is marked lang="en"."""
    console, _ids = staff_console(own_devices, staff_state)
    page = phone(own_devices, "phone", "fr")
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    funding = poll_card(page, poll_id(console, FUNDING))
    expect(funding.locator("h3")).to_have_text(re.compile("^Comment partager"))
    expect(funding.locator("h3")).not_to_have_attribute("lang", re.compile("."))
    expect(funding.locator("label.choice span").first).not_to_have_attribute(
        "lang", re.compile(".")
    )
    quiz = poll_card(page, poll_id(console, QUIZ))
    expect(quiz.locator("h3")).to_have_attribute("lang", "en")
    expect(quiz.locator("label.choice span")).to_have_count(3)
    for span in quiz.locator("label.choice span").all():
        expect(span).to_have_attribute("lang", "en")
    # The interface's own words stay French: the vote button.
    expect(quiz.locator("button[data-key=submit]")).to_have_text("Voter")


# --- the display: high contrast and large text, chosen in the console -------------------


def body_classes(page: Page) -> list[str]:
    return page.evaluate("() => Array.from(document.body.classList)")


def test_display_look_is_switched_live_from_the_console(
    own_server, own_devices, seeded, staff_state, screenshot
):
    devices = own_devices
    console, ids = staff_console(devices, staff_state)
    display = open_display(devices, "display")
    set_marker(display)
    assert "display-contrast" not in body_classes(display)
    look = console.locator("[data-display-look]")
    # A phone votes yes, and for Brussels in the quiz: results to show.
    voter = phone(devices, "phone", "en")
    vote_everywhere(voter, {kind: ids[kind] for kind in ("single", "yes_no", "quiz")})

    def choose(contrast: bool, large: bool, flash: str) -> None:
        look.get_by_label("High contrast").set_checked(contrast)
        look.get_by_label("Large text").set_checked(large)
        with console.expect_navigation():
            look.get_by_role("button", name="Apply to the display").click()
        expect(console.locator(".flash-success")).to_have_text(flash)
        wait_online(console)

    def show(kind: str) -> None:
        console_poll(console, seeded[kind]).get_by_role("button", name="Show on display").click()
        expect(display.locator("[data-display-poll]")).to_have_attribute("data-kind", kind)
        wait_online(console)

    choose(True, True, "The display shows: high contrast, large text.")
    expect(display.locator("body")).to_have_class(re.compile(r"\bdisplay-contrast\b"))
    expect(display.locator("body")).to_have_class(re.compile(r"\bdisplay-large-text\b"))
    # The console remembers what it chose.
    expect(look.get_by_label("High contrast")).to_be_checked()
    expect(look.get_by_label("Large text")).to_be_checked()

    # Results as text beside the bars: every bar has its count and percentage in words,
    # whatever the theme (a person who cannot tell bar lengths still reads the result).
    if console_poll(console, FUNDING).get_by_role("button", name="Show on display").count():
        show("single")
    bars = display.locator("[data-display-poll] li.bar")
    expect(bars).to_have_count(3)
    for bar in bars.all():
        expect(bar.locator(".bar-count")).to_have_text(re.compile(r"^\d+$"))
        # In the page's language: 67% in English, 67 % in French and German.
        expect(bar.locator(".bar-pct")).to_have_text(re.compile(r"^\d+([.,]\d+)?\s?%$"))
    screenshot(display, "display-contrast-large-single")
    problems = [v for v in run_axe(display)["violations"] if v["impact"] in BLOCKING]
    assert not problems, problems

    # Colour is never the only carrier: the yes/no outcome is a word once voting ends, ...
    show("yes_no")
    console_action(console, YES_NO, "Close", "Poll closed.")
    expect(display.locator(".outcome-word")).to_have_text("✓ ADOPTED")
    for answer, word in (("yes", "Yes"), ("no", "No"), ("abstain", "Abstain")):
        expect(display.locator(f"li.bar[data-answer={answer}] .bar-label")).to_have_text(word)
    screenshot(display, "display-contrast-large-yes-no")
    # ... a "no" bar is striped, not only another colour, in high contrast.
    no_fill = display.locator("li.bar[data-answer=no] .bar-fill")
    assert "repeating-linear-gradient" in no_fill.evaluate(
        "e => getComputedStyle(e).backgroundImage"
    )
    console_action(console, YES_NO, "Reopen", "Poll reopened.")

    # ... and the quiz's right answer is said in words once the quiz closes.
    show("quiz")
    console_action(console, QUIZ, "Close", "Poll closed.")
    correct = display.locator("li.bar.is-correct")
    expect(correct).to_have_count(1)
    expect(correct.locator(".tag-correct")).to_have_text("✓ Correct answer")
    expect(correct.locator(".bar-label")).to_contain_text("Brussels")
    screenshot(display, "display-contrast-large-quiz")
    problems = [v for v in run_axe(display)["violations"] if v["impact"] in BLOCKING]
    assert not problems, problems
    console_action(console, QUIZ, "Reopen", "Poll reopened.")

    # One at a time; a reloaded screen starts with the chosen look.
    show("rating")
    choose(True, False, "The display shows: high contrast.")
    expect(display.locator("body")).not_to_have_class(re.compile(r"\bdisplay-large-text\b"))
    expect(display.locator("body")).to_have_class(re.compile(r"\bdisplay-contrast\b"))
    screenshot(display, "display-contrast-rating")
    choose(False, True, "The display shows: large text.")
    expect(display.locator("body")).to_have_class(re.compile(r"\bdisplay-large-text\b"))
    expect(display.locator("body")).not_to_have_class(re.compile(r"\bdisplay-contrast\b"))
    screenshot(display, "display-large-rating")
    assert_not_reloaded(display)
    display.reload()
    wait_online(display)
    assert "display-large-text" in body_classes(display)
    assert "display-contrast" not in body_classes(display)

    # Large text really is larger: the question and the bars' figures grow.
    def sizes() -> tuple[float, float]:
        return display.evaluate(
            "() => [parseFloat(getComputedStyle(document.querySelector('[data-question]')).fontSize),"
            " parseFloat(getComputedStyle(document.querySelector('li.bar')).fontSize)]"
        )

    large = sizes()
    choose(False, False, "The display shows its standard look.")
    expect(display.locator("body")).not_to_have_class(re.compile(r"\bdisplay-large-text\b"))
    standard = sizes()
    assert large[0] >= standard[0] * 1.3, (large, standard)
    assert large[1] >= standard[1] * 1.3, (large, standard)
    screenshot(display, "display-standard-rating")
    assert not devices.errors


# --- reduced motion --------------------------------------------------------------------

MOVING = """() => Array.from(document.querySelectorAll("*")).filter(e => {
    const s = getComputedStyle(e);
    const moves = v => v.split(",").some(d => parseFloat(d) > 0);
    return moves(s.transitionDuration) || (s.animationName !== "none" && moves(s.animationDuration));
}).map(e => e.tagName.toLowerCase() + "." + Array.from(e.classList).join("."))"""


def test_reduced_motion_stops_every_animation(own_server, own_devices, seeded, staff_state):
    devices = own_devices
    console, ids = staff_console(devices, staff_state)
    rating = ids["rating"]
    if console_poll(console, RATING).get_by_role("button", name="Show on display").count():
        console_poll(console, RATING).get_by_role("button", name="Show on display").click()
        expect(console.locator(".flash-success")).to_contain_text(RATING)
    # Without the request the bars grow (the check below can see motion) ...
    moving = open_display(devices, "display")
    expect(moving.locator("[data-display-poll]")).to_have_attribute("data-kind", "rating")
    assert any("bar-fill" in e for e in moving.evaluate(MOVING))
    # ... with it nothing moves: not the display's bars, nor anything on a phone.
    still = open_display(devices, "still display", reduced_motion="reduce")
    expect(still.locator("[data-display-poll]")).to_have_attribute("data-kind", "rating")
    assert still.evaluate(MOVING) == []
    page = phone(devices, "still phone", "en", reduced_motion="reduce")
    expect(poll_card(page, rating).locator(".rating-point")).to_have_count(5)
    assert page.evaluate(MOVING) == []
    for path in (f"/e/{EVENT}/qna", f"/e/{EVENT}/ideas", f"/e/{EVENT}/ideas/display"):
        page.goto(path)
        assert page.evaluate(MOVING) == [], path


# --- 320 px wide, and 200 % zoom -------------------------------------------------------

NARROW = {
    "viewport": {"width": 320, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# A 1280 x 800 window at 200 % zoom: the browser lays pages out 640 CSS px wide, each
# CSS px two screen pixels (what the zoom does), so text is twice as large.
ZOOMED = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}
OVERFLOW = """() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
    wide: Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .slice(0, 5).map(e => e.tagName.toLowerCase() + "." + Array.from(e.classList).join(".")) })"""


@pytest.mark.parametrize("size", ["320px", "zoom200"])
def test_pages_reflow_without_sideways_scrolling(
    size, own_server, own_devices, seeded, staff_state, screenshot
):
    devices = own_devices
    kind = NARROW if size == "320px" else ZOOMED
    wide = []
    for language in ("en", "de"):  # German words are the longest
        page = phone(devices, f"phone {language}", language, kind)
        # Every poll of the audits is open on the page (another test may have opened more).
        expect(
            page.locator("article.poll-card form.vote-form").nth(len(seeded) - 1)
        ).to_be_visible()
        pages = {
            "participant": None,
            "registration": f"/e/{EVENT}/register",
            "Q&A": f"/e/{EVENT}/qna",
            "ideas": f"/e/{EVENT}/ideas",
        }
        for name, path in pages.items():
            if path:
                page.goto(path)
            found = page.evaluate(OVERFLOW)
            if found["scroll"] > found["client"]:
                wide.append(f"{language} {name}: {found}")
            if language == "de":
                screenshot(page, f"{name}-{size}", full_page=True)
        staff_page = staff(devices, staff_state, f"staff {language}", language, kind)
        for name, path in {
            "check-in": f"/e/{EVENT}/checkin?q=Pereira",
            "console": f"/manage/{EVENT}/polls",
        }.items():
            staff_page.goto(path)
            found = staff_page.evaluate(OVERFLOW)
            if found["scroll"] > found["client"]:
                wide.append(f"{language} {name}: {found}")
    assert not wide, "pages wider than the screen:\n" + "\n".join(wide)
