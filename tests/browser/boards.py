"""Locators and steps the ideas board's and the Q&A's browser tests share: both
moderation pages list items as li.mod-idea with their text in p.idea-text."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from tests.browser.pages import wait_online


def board_idea(page: Page, text: str) -> Locator:
    """An idea on the phone's board."""
    return page.locator("li.idea").filter(has_text=text)


def mod_item(page: Page, text: str) -> Locator:
    """An idea or question in a list of a moderation page."""
    return page.locator("li.mod-idea").filter(has=page.locator("p.idea-text", has_text=text))


def moderate(page: Page, text: str, button: str) -> None:
    """Press a moderation button of an item and wait for the page it redirects to."""
    with page.expect_navigation():
        mod_item(page, text).get_by_role("button", name=button, exact=True).click()
    wait_online(page)
