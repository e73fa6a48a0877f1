"""Poll kinds end to end on a phone-sized page and the projector: points allocation with
sliders, ranking by drag and by buttons, open text into the word cloud (moderated and
not), yes/no with its outcome, quiz with its answer, rating with mean and median.

Screenshots of every kind (phone and projector) go to /tmp/shots-kinds/ as well as to
the usual test-artifacts folder.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DISPLAY, LAPTOP, PHONE
from tests.browser.pages import (
    EVENT,
    RECORDED,
    console_action,
    console_poll,
    open_console,
    poll_card,
    sign_in,
    wait_online,
)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-kinds")  # noqa: S108 - where the reviewers look at them


@pytest.fixture
def shot(screenshot):
    """Save a screenshot to the artifacts folder and a copy to /tmp/shots-kinds/."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str, *, full_page: bool = False) -> None:
        path = screenshot(page, name, full_page=full_page)
        shutil.copy(path, SHOTS / f"{name}.png")

    return save


def seed_polls(server, *polls: dict, blocked_words: str | None = None) -> dict[str, int]:
    """Prepare polls (drafts) of the demo event through the app's own service.

    Titles get a random suffix, as the shared server keeps other tests' polls; returns
    the poll ids by the given title.
    """
    from voting import create_app
    from voting.events.service import find_event
    from voting.extensions import db
    from voting.polls.service import PollData, create_poll

    app = create_app({"INSTANCE_PATH": str(server.instance), "SOCKETIO_ASYNC_MODE": "threading"})
    suffix = secrets.token_hex(2)
    ids = {}
    with app.app_context():
        event = find_event(EVENT)
        if blocked_words is not None:
            event.blocked_words = blocked_words
            db.session.commit()
        for fields in polls:
            fields = dict(fields)
            title = fields.pop("title")
            poll = create_poll(event, PollData(title=f"{title} ({suffix})", **fields))
            ids[title] = poll.id
        titles = {title: f"{title} ({suffix})" for title in ids}
        db.session.remove()
        db.engine.dispose()
    return {"ids": ids, "titles": titles}


def open_on_display(console: Page, title: str) -> None:
    console_action(console, title, "Open", "Poll opened.")
    expect(console_poll(console, title)).to_have_class(re.compile(r"\bon-display\b"))


def phone_on_event(devices, name: str) -> Page:
    phone = devices.new(name, PHONE)
    phone.goto(f"/e/{EVENT}")
    wait_online(phone)
    return phone


def drag_slider_to(page: Page, slider, fraction: float) -> None:
    """Drag a range input's thumb with the pointer to a fraction of its track."""
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    value = int(slider.input_value())
    maximum = int(slider.get_attribute("max"))
    page.mouse.move(box["x"] + 12 + (box["width"] - 24) * value / maximum, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 12 + (box["width"] - 24) * fraction, y, steps=8)
    page.mouse.up()


def nudge_slider(slider, target: int) -> None:
    """Bring a slider to an exact value with the arrow keys, as a keyboard user would."""
    slider.focus()
    for _ in range(200):
        value = int(slider.input_value())
        if value == target:
            return
        slider.press("ArrowRight" if value < target else "ArrowLeft")
    raise AssertionError(f"slider stuck at {slider.input_value()}, wanted {target}")


def touch_drag(page: Page, handle, target) -> None:
    """Drag with a finger (CDP touch events, so the page sees pointerType "touch")."""
    start = handle.bounding_box()
    end = target.bounding_box()
    x = start["x"] + start["width"] / 2
    y0 = start["y"] + start["height"] / 2
    y1 = end["y"] + end["height"] / 4  # a finger lands on the upper part of the row
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y0}]})
    for step in range(1, 13):
        y = y0 + (y1 - y0) * step / 12
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def mouse_drag(page: Page, item, target) -> None:
    """Drag a row with the mouse by its label onto another row's place."""
    start = item.locator(".rank-label").bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 10, end["y"] + end["height"] / 4, steps=10)
    page.mouse.up()


def rank_labels(card) -> list[str]:
    return card.locator(".rank-item .rank-label").all_inner_texts()


def display_row(display: Page, label: str):
    return display.locator("[data-display-poll] li.bar").filter(has_text=label)


def test_points_and_ranking_on_phones_projector_shows_averages_and_borda(server, devices, shot):
    seeded = seed_polls(
        server,
        {
            "title": "Split the cluster budget",
            "kind": "points",
            "budget": 100,
            "options": ["Bigger partnerships", "Smaller partnerships", "Joint actions"],
        },
        {
            "title": "Rank the priorities",
            "kind": "ranking",
            "options": ["Skills", "Green transition", "Digital tools", "Internationalisation"],
        },
    )
    points_title, ranking_title = seeded["titles"].values()
    points_id, ranking_id = seeded["ids"].values()

    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    console = devices.new("console", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    open_on_display(console, points_title)
    expect(display.locator("[data-question]")).to_have_text(points_title)

    # Phone 1 splits the points with the sliders; the sum can never pass 100.
    phone = phone_on_event(devices, "phone1")
    card = poll_card(phone, points_id)
    sliders = card.locator("input[type=range]")
    boxes = card.locator("input[type=number]")
    left = card.locator("[data-points-left]")
    submit = card.get_by_role("button", name="Vote")
    expect(left).to_have_text("100 of 100 left")
    expect(submit).to_be_disabled()
    drag_slider_to(phone, sliders.nth(0), 1.0)
    expect(sliders.nth(0)).to_have_value("100")
    expect(left).to_have_text("✓ All 100 points given")
    expect(submit).to_be_enabled()
    # Nothing is left, so the second slider cannot take any.
    drag_slider_to(phone, sliders.nth(1), 0.8)
    expect(sliders.nth(1)).to_have_value("0")
    expect(boxes.nth(1)).to_have_value("0")
    # Give back: about 60 with the pointer, then exactly 60 with the arrow keys.
    drag_slider_to(phone, sliders.nth(0), 0.6)
    nudge_slider(sliders.nth(0), 60)
    expect(boxes.nth(0)).to_have_value("60")
    expect(left).to_have_text("40 of 100 left")
    expect(submit).to_be_disabled()
    # The number boxes work too, and are held to what is left.
    boxes.nth(1).fill("30")
    expect(sliders.nth(1)).to_have_value("30")
    boxes.nth(2).fill("25")
    expect(boxes.nth(2)).to_have_value("10")
    expect(left).to_have_text("✓ All 100 points given")
    shot(phone, "points-phone-allocated", full_page=True)
    card.locator("h3").scroll_into_view_if_needed()
    shot(phone, "points-phone-viewport")
    submit.click()
    expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(card.get_by_role("button", name="Change my vote")).to_be_visible()

    # Phone 2 uses "Split evenly": 34 + 33 + 33.
    second = phone_on_event(devices, "phone2")
    card2 = poll_card(second, points_id)
    card2.get_by_role("button", name="Split evenly").click()
    expect(card2.locator("input[type=number]").nth(0)).to_have_value("34")
    expect(card2.locator("input[type=number]").nth(2)).to_have_value("33")
    card2.get_by_role("button", name="Vote").click()
    expect(card2.locator("[data-vote-status]")).to_have_text(RECORDED)

    # The projector shows the average allocation: (60+34)/2, (30+33)/2, (10+33)/2.
    expect(display.locator(".total-count")).to_have_text("2")
    expect(display_row(display, "Bigger partnerships").locator(".bar-avg")).to_have_text("47 pts")
    expect(display_row(display, "Smaller partnerships").locator(".bar-avg")).to_have_text(
        "31.5 pts"
    )
    expect(display_row(display, "Joint actions").locator(".bar-avg")).to_have_text("21.5 pts")
    expect(display_row(display, "Bigger partnerships").locator(".bar-pct")).to_have_text("47%")
    expect(display.locator(".kind-note")).to_have_text("Average points per participant, out of 100")
    shot(display, "points-display")

    # A reload (a new join) restores the phone's allocation from `mine`.
    phone.reload()
    wait_online(phone)
    card = poll_card(phone, points_id)
    expect(card.locator("input[type=number]").nth(0)).to_have_value("60")
    expect(card.locator("input[type=number]").nth(2)).to_have_value("10")
    expect(card.locator("[data-points-left]")).to_have_text("✓ All 100 points given")

    # Ranking: phone 1 drags with a finger, then fine-tunes with the buttons.
    open_on_display(console, ranking_title)
    expect(display.locator("[data-question]")).to_have_text(ranking_title)
    card = poll_card(phone, ranking_id)
    items = card.locator(".rank-item")
    expect(items).to_have_count(4)
    touch_drag(
        phone, items.filter(has_text="Internationalisation").locator(".rank-handle"), items.nth(0)
    )
    expect(card.locator(".rank-item .rank-label")).to_have_text(
        ["Internationalisation", "Skills", "Green transition", "Digital tools"]
    )
    announce = card.locator("[data-rank-announce]")
    expect(announce).to_have_text("“Internationalisation” is now number 1 of 4.")
    # Keyboard: "Skills" down one place; the focus stays on the moved row's button.
    down = card.get_by_role("button", name="Move “Skills” down")
    down.focus()
    phone.keyboard.press("Enter")
    expect(announce).to_have_text("“Skills” is now number 3 of 4.")
    expect(card.get_by_role("button", name="Move “Skills” down")).to_be_focused()
    assert rank_labels(card) == [
        "Internationalisation",
        "Green transition",
        "Skills",
        "Digital tools",
    ]
    expect(card.get_by_role("button", name="Move “Internationalisation” up")).to_be_disabled()
    shot(phone, "ranking-phone-ordered", full_page=True)
    # Long option words wrap inside the card: the phone page never scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card.get_by_role("button", name="Vote").click()
    expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)

    # Phone 2 drags with the mouse: "Digital tools" to the top.
    card2 = poll_card(second, ranking_id)
    items2 = card2.locator(".rank-item")
    mouse_drag(second, items2.filter(has_text="Digital tools"), items2.nth(0))
    expect(card2.locator(".rank-item .rank-label")).to_have_text(
        ["Digital tools", "Skills", "Green transition", "Internationalisation"]
    )
    card2.get_by_role("button", name="Vote").click()
    expect(card2.locator("[data-vote-status]")).to_have_text(RECORDED)

    # Borda with 4 options (3, 2, 1, 0 points): Digital tools 0+3=3, Green 2+1=3,
    # Skills 1+2=3, Internationalisation 3+0=3 would tie; so phone 2 changes its mind.
    card2.get_by_role("button", name="Move “Skills” up").click()
    card2.get_by_role("button", name="Change my vote").click()
    expect(card2.locator("[data-vote-status]")).to_have_text(RECORDED)
    # Now: Skills 1+3=4, Digital tools 0+2=2, Green 2+1=3, Internationalisation 3+0=3.
    rows = display.locator("[data-display-poll] li.bar .bar-label")
    expect(rows).to_have_text(
        [
            "1. Skills",
            "2. Green transition",
            "3. Internationalisation",
            "4. Digital tools",
        ]
    )
    expect(display_row(display, "Skills").locator(".bar-borda")).to_have_text("4 points")
    expect(display_row(display, "Skills").locator(".bar-avgrank")).to_have_text("average rank 2")
    expect(display_row(display, "Digital tools").locator(".bar-avgrank")).to_have_text(
        "average rank 3"
    )
    shot(display, "ranking-display")

    # The phone's ranking comes back after a reload.
    second.reload()
    wait_online(second)
    expect(poll_card(second, ranking_id).locator(".rank-item .rank-label")).to_have_text(
        ["Skills", "Digital tools", "Green transition", "Internationalisation"]
    )
    shot(second, "ranking-phone-restored", full_page=True)
    assert not devices.errors


def test_open_text_reaches_the_word_cloud_moderated_only_when_shown(server, devices, shot):
    seeded = seed_polls(
        server,
        {"title": "One word for this event", "kind": "text", "options": []},
        {
            "title": "What should we fund next",
            "kind": "text",
            "options": [],
            "moderate_answers": True,
        },
        blocked_words="frobnicate",
    )
    open_title, moderated_title = seeded["titles"].values()
    open_id, moderated_id = seeded["ids"].values()
    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    console = devices.new("console", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    open_on_display(console, open_title)
    expect(display.locator(".cloud-empty")).to_have_text("No answers yet.")

    phones = [phone_on_event(devices, f"phone{i}") for i in range(3)]
    card = poll_card(phones[0], open_id)
    box = card.get_by_label("Your answer")
    box.fill("Open science")
    expect(card.locator(".char-counter")).to_have_text("12 / 140")
    # A blocked word is refused with a message the participant can act on.
    box.fill("frobnicate it")
    card.get_by_role("button", name="Send answer").click()
    expect(card.locator("[data-vote-status]")).to_have_text(
        "Your answer contains a word that is not allowed at this event. Please rephrase it."
    )
    box.fill("Open science")
    box.press("Enter")
    expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(display.locator(".cloud .word")).to_have_count(1)
    expect(display.locator(".cloud .word .word-text")).to_have_text("Open science")

    # The cloud grows live: the same answer (other spelling) counts twice, bigger.
    for phone, answer in zip(phones[1:], ["open science!", "Synergies"], strict=True):
        c = poll_card(phone, open_id)
        c.get_by_label("Your answer").fill(answer)
        c.get_by_role("button", name="Send answer").click()
        expect(c.locator("[data-vote-status]")).to_have_text(RECORDED)
    big = display.locator(".cloud .word").filter(has_text="Open science")
    expect(big.locator(".word-count")).to_have_text("2")
    small = display.locator(".cloud .word").filter(has_text="Synergies")
    expect(small.locator(".word-count")).to_have_text("1")
    big_size = float(big.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    small_size = float(small.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    assert big_size > small_size * 1.5
    expect(display.locator(".latest-list li").first).to_have_text("Synergies")
    display.wait_for_timeout(1000)  # the newest word's entrance animation
    shot(display, "text-display-cloud")
    shot(phones[0], "text-phone-recorded", full_page=True)

    # Moderated: the answer waits until the moderator shows it.
    open_on_display(console, moderated_title)
    expect(display.locator("[data-question]")).to_have_text(moderated_title)
    mod_card = poll_card(phones[1], moderated_id)
    mod_card.get_by_label("Your answer").fill("Hydrogen valleys")
    mod_card.get_by_role("button", name="Send answer").click()
    expect(mod_card.locator("[data-vote-status]")).to_contain_text("A moderator will read it")
    other = poll_card(phones[2], moderated_id)
    other.get_by_label("Your answer").fill("Nonsense")
    other.get_by_role("button", name="Send answer").click()
    expect(other.locator("[data-vote-status]")).to_have_text(re.compile("Vote recorded"))

    item = console_poll(console, moderated_title)
    expect(item.locator("[data-pending]")).to_have_text("2")
    expect(item.locator("[data-pending-badge]")).to_have_class(re.compile(r"\bhas-pending\b"))
    answers = item.locator("[data-answer-list] li.answer")
    expect(answers).to_have_count(2)
    expect(display.locator(".cloud-empty")).to_have_text("No answers yet.")
    expect(display.locator(".cloud .word")).to_have_count(0)
    shot(console, "text-console-moderation", full_page=True)

    answers.filter(has_text="Hydrogen valleys").get_by_role("button", name="Show").click()
    expect(display.locator(".cloud .word .word-text")).to_have_text(["Hydrogen valleys"])
    answers.filter(has_text="Nonsense").get_by_role("button", name="Hide").click()
    expect(item.locator("[data-pending]")).to_have_text("0")
    expect(answers.filter(has_text="Nonsense").locator(".answer-status")).to_have_text("hidden")
    expect(answers.filter(has_text="Hydrogen valleys").locator(".answer-status")).to_have_text(
        "on screen"
    )
    expect(display.locator(".cloud .word")).to_have_count(1)
    expect(display.locator(".latest-list li")).to_have_text(["Hydrogen valleys"])
    shot(display, "text-display-moderated")
    shot(console, "text-console-after-moderation", full_page=True)
    assert not devices.errors


def test_yes_no_quiz_and_rating_show_outcome_answer_and_figures(server, devices, shot):
    seeded = seed_polls(
        server,
        {
            "title": "Adopt the joint declaration",
            "kind": "yes_no",
            "options": [],
            "majority": "two_thirds",
        },
        {
            "title": "Which city hosts the cluster secretariat",
            "kind": "quiz",
            "options": ["Brussels", "Luxembourg", "Strasbourg"],
            "correct": [0],
        },
        {
            "title": "How useful was this session",
            "kind": "rating",
            "options": [],
            "scale": 5,
            "scale_low_label": "Not at all",
            "scale_high_label": "Very",
        },
    )
    yes_no_title, quiz_title, rating_title = seeded["titles"].values()
    yes_no_id, quiz_id, rating_id = seeded["ids"].values()
    display = devices.new("display", DISPLAY)
    display.goto(f"/e/{EVENT}/display")
    wait_online(display)
    console = devices.new("console", LAPTOP)
    sign_in(console, server.email, server.password)
    open_console(console)
    phones = [phone_on_event(devices, f"phone{i}") for i in range(3)]

    # Yes / no: three big tiles; 2 yes and 1 no is exactly two thirds: adopted.
    open_on_display(console, yes_no_title)
    for phone, answer in zip(phones, ["Yes", "Yes", "No"], strict=True):
        card = poll_card(phone, yes_no_id)
        card.get_by_role("radio", name=answer).check()
        card.get_by_role("button", name="Vote").click()
        expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    shot(phones[2], "yes-no-phone", full_page=True)
    expect(display.locator(".total-count")).to_have_text("3")
    expect(display.locator(".outcome")).to_have_count(0)  # announced only at close
    expect(display.locator(".majority-rule")).to_contain_text("Two-thirds majority")
    console_action(console, yes_no_title, "Close", "Poll closed.")
    expect(display.locator(".outcome-word")).to_have_text("✓ ADOPTED")
    expect(display.locator(".outcome-why")).to_contain_text("2 yes, 1 no.")
    shot(display, "yes-no-display-closed")

    # Quiz: after close, the right option is marked and each phone hears how it did.
    open_on_display(console, quiz_title)
    for phone, answer in zip(phones, ["Brussels", "Strasbourg", "Brussels"], strict=True):
        card = poll_card(phone, quiz_id)
        card.get_by_label(answer, exact=True).check()
        card.get_by_role("button", name="Vote").click()
        expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    expect(display.locator(".tag-correct")).to_have_count(0)
    shot(phones[0], "quiz-phone-open", full_page=True)
    console_action(console, quiz_title, "Close", "Poll closed.")
    expect(display_row(display, "Brussels")).to_have_class(re.compile(r"\bis-correct\b"))
    expect(display_row(display, "Brussels").locator(".tag-correct")).to_have_text(
        "✓ Correct answer"
    )
    expect(poll_card(phones[0], quiz_id).locator(".quiz-verdict")).to_have_text("✓ Correct!")
    expect(poll_card(phones[1], quiz_id).locator(".quiz-verdict")).to_have_text("✗ Not quite.")
    expect(poll_card(phones[1], quiz_id).locator(".quiz-answer")).to_have_text(
        "The correct answer: Brussels"
    )
    shot(display, "quiz-display-closed")
    shot(phones[1], "quiz-phone-not-quite", full_page=True)

    # Rating: a row of numbered buttons with the end labels; mean and median big.
    open_on_display(console, rating_title)
    for phone, value in zip(phones, ["5 – Very", "4", "2"], strict=True):
        card = poll_card(phone, rating_id)
        card.get_by_role("radio", name=value, exact=True).check()
        card.get_by_role("button", name="Vote").click()
        expect(card.locator("[data-vote-status]")).to_have_text(RECORDED)
    shot(phones[0], "rating-phone", full_page=True)
    expect(display.locator(".stat-mean .stat-value")).to_have_text("3.67 / 5")
    expect(display.locator(".stat-median .stat-value")).to_have_text("4 / 5")
    expect(display_row(display, "Not at all").locator(".bar-count")).to_have_text("0")
    shot(display, "rating-display")
    shot(console, "kinds-console", full_page=True)

    # Reloaded phones show their own answers again.
    phones[1].reload()
    wait_online(phones[1])
    expect(
        poll_card(phones[1], rating_id).get_by_role("radio", name="4", exact=True)
    ).to_be_checked()
    assert not devices.errors
