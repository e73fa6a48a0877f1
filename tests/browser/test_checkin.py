"""Check-in at the door on a phone: find a ticket, check the attendee in, warn on a repeat."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LAPTOP, PHONE
from tests.browser.pages import EVENT, seed_attendee, sign_in, wait_online

pytestmark = pytest.mark.browser

PASSWORD = "door staff password"


def seed(server) -> dict:
    """Create a checkin account and a confirmed attendee of the demo event."""
    return seed_attendee(server, "checkin", PASSWORD, "Ada", "Lovelace")


def qr_video(path, text: str, width: int = 640, height: int = 480) -> None:
    """Write a Y4M video of a QR code for Chromium's fake camera."""
    import segno

    matrix = segno.make(text, error="m", micro=False).matrix
    modules = len(matrix) + 8  # with the quiet zone
    scale = min(width, height) // modules
    left = (width - modules * scale) // 2 + 4 * scale
    top = (height - modules * scale) // 2 + 4 * scale
    luma = bytearray([235]) * (width * height)
    for row, line in enumerate(matrix):
        for column, dark in enumerate(line):
            if dark:
                for y in range(top + row * scale, top + (row + 1) * scale):
                    start = y * width + left + column * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 3)


def count(page, key: str) -> int:
    """Read one of the live counts shown on the check-in page."""
    return int(page.locator(f'[data-count="{key}"]').inner_text())


@pytest.mark.browser
def test_door_staff_checks_in_by_typed_ticket_and_is_warned_on_repeat(server, devices, screenshot):
    seeded = seed(server)
    console_errors: list[str] = []

    # A second staff screen (the admin's laptop) watches the counts.
    laptop = devices.new("laptop", LAPTOP)
    sign_in(laptop, server.email, server.password)
    laptop.goto(f"/e/{EVENT}/checkin")
    wait_online(laptop)
    before = count(laptop, "checked_in")

    # The door phone signs in with a check-in account and opens the page.
    phone = devices.new("door", PHONE)
    phone.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(phone, seeded["email"], PASSWORD)
    phone.goto(f"/e/{EVENT}/checkin")
    wait_online(phone)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Check-in")
    # The camera scanner's decoder (jsQR from npm, served by the app) loaded.
    assert phone.evaluate("() => window.PlenumCheckin.decoderReady()")
    expect(phone.get_by_role("button", name="Scan ticket")).to_be_visible()
    screenshot(phone, "door-start")

    # The attendee shows the ticket; staff type its code as printed (with the dash).
    code = seeded["ticket"]
    phone.get_by_label("Ticket code or name").fill(f"{code[:5]}-{code[5:]}".lower())
    phone.get_by_role("button", name="Find").click()
    card = phone.locator("article.attendee")
    expect(card.get_by_role("heading", name=seeded["name"])).to_be_visible()
    expect(card).to_contain_text("Analytical Engines Ltd")
    expect(card).to_contain_text("Belgium")
    expect(card).to_contain_text("Vegetarian meal")
    if seeded["partnership"]:
        expect(card).to_contain_text(seeded["partnership"])
    screenshot(phone, "door-attendee")

    phone.get_by_role("button", name="Check in Ada").click()
    expect(phone.locator(".flash-success")).to_have_text(f"{seeded['name']} is checked in.")
    wait_online(phone)
    expect(phone.locator('[data-count="checked_in"]')).to_have_text(str(before + 1))
    # The other staff screen updates live, without a reload.
    expect(laptop.locator('[data-count="checked_in"]')).to_have_text(str(before + 1))

    # A second scan of the same ticket, searched by name this time: a clear warning.
    phone.get_by_label("Ticket code or name").fill(seeded["last_name"].lower())
    phone.get_by_role("button", name="Find").click()
    phone.get_by_role("link", name=seeded["name"]).click()
    warning = phone.get_by_role("alert")
    expect(warning).to_contain_text("Already checked in")
    expect(warning).to_contain_text(seeded["email"])
    expect(phone.get_by_role("button", name=re.compile("^Check in"))).to_have_count(0)
    wait_online(phone)
    screenshot(phone, "door-already-checked-in", full_page=True)

    # Typing the ticket again shows the same warning.
    phone.get_by_label("Ticket code or name").fill(code)
    phone.get_by_role("button", name="Find").click()
    expect(phone.get_by_role("alert")).to_contain_text("Already checked in")

    # Nothing is wider than the phone.
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], width
    assert devices.errors == []
    assert console_errors == []


@pytest.mark.browser
def test_badges_print_eight_to_an_a4_page(server, devices, screenshot):
    seeded = seed(server)
    laptop = devices.new("badges", LAPTOP)
    sign_in(laptop, server.email, server.password)
    laptop.goto(f"/manage/{EVENT}/badges")
    expect(laptop.get_by_role("heading", level=1)).to_contain_text("Badges")
    badges = laptop.locator("article.name-badge")
    expect(badges.filter(has_text=seeded["last_name"])).to_have_count(1)
    expect(badges.filter(has_text=seeded["last_name"]).locator("svg")).to_be_visible()
    expect(laptop.get_by_role("button", name="Print")).to_be_visible()
    total = badges.count()
    laptop.emulate_media(media="print")
    screenshot(laptop, "badges-print", full_page=True)
    pdf = laptop.pdf(prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == -(-total // 8), (pages, total)
    assert devices.errors == []


@pytest.mark.browser
def test_camera_scan_finds_the_ticket(server, browser, tmp_path, screenshot):
    """Chromium's fake camera shows a printed ticket's QR code; the page reads it."""
    seeded = seed(server)
    video = tmp_path / "ticket.y4m"
    qr_video(video, seeded["ticket"])
    camera_args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + camera_args
    )
    try:
        context = with_camera.new_context(base_url=server.url, permissions=["camera"], **PHONE)
        phone = context.new_page()
        errors: list[str] = []
        phone.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(phone, seeded["email"], PASSWORD)
        phone.goto(f"/e/{EVENT}/checkin")
        wait_online(phone)
        phone.get_by_role("button", name="Scan ticket").click()
        # The decoded code is looked up like a typed one: the attendee's card opens.
        card = phone.locator("article.attendee")
        expect(card.get_by_role("heading", name=seeded["name"])).to_be_visible()
        expect(phone.get_by_label("Ticket code or name")).to_have_value(seeded["ticket"])
        screenshot(phone, "scanned")
        assert errors == []
    finally:
        with_camera.close()
