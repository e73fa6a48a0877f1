"""Authorisation matrix: every role x every action, over HTTP, the API and Socket.IO (issue 7).

The tables below say who may do what; tests/authorisation_helpers.py says how each action
is performed with valid input. Every cell is sent: allowed roles must succeed (a 2xx or
3xx answer, an ok ack, and a POST must have changed the database), refused roles must get
401, 403 or 404, the sign-in page, or an error ack with a known code, with the database
unchanged (a hash of every row of every table) and, for staff actions, a warning in the
app's log (voting.web.log_refusal). A URL rule, API endpoint or socket event added to the
app without a line in these tables fails test_every_route_and_socket_event_is_in_the_matrix.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.authorisation_helpers import (
    ADMIN,
    API_REQUESTS,
    ATTENDEE,
    CAMPAIGN_ADMIN,
    CHECKIN,
    CODE,
    HTTP_REQUESTS,
    MODERATOR,
    PARTICIPANT,
    ROLES,
    STAFF_ROLES,
    World,
    build_world,
    database_fingerprint,
    socket_steps,
)
from tests.conftest import csrf_from
from voting.extensions import socketio

# --- who may do what ----------------------------------------------------------------------
# From docs/api.md, docs/realtime.md and voting.accounts.service: can_run_polls (moderators
# of the event and admins), can_handle_attendees (check-in staff of the event and admins),
# can_manage_registrations and the admin pages (admins). Admins are staff of every event;
# the moderator of another event is no one here. The event admits anonymous phones, so
# any browser (staff included) may take part as a phone.

EVERYONE = frozenset(ROLES)
SIGNED_IN = STAFF_ROLES  # any staff account (login_required)
RUN_POLLS = frozenset({MODERATOR, ADMIN})  # can_run_polls
DOOR = frozenset({CHECKIN, ADMIN})  # can_handle_attendees
ADMINS = frozenset({ADMIN})  # can_manage_registrations, event administration
CAMPAIGN_ADMINS = frozenset({CAMPAIGN_ADMIN, ADMIN})  # campaigns.service.can_administer
PHONES = frozenset({PARTICIPANT, ATTENDEE})  # a participant id in the session
ATTENDEES = frozenset({ATTENDEE})  # signed in by the personal link
MEMBERS_AND_RUNNERS = frozenset({ATTENDEE, MODERATOR, ADMIN})  # the attendee holds a seat

# HTTP: "METHOD endpoint [variant]" -> roles allowed. Every POST rule and every page that
# shows staff-only or personal data; public pages are listed in PUBLIC_PAGES below.
HTTP: dict[str, frozenset[str]] = {
    "GET admin.home": SIGNED_IN,
    "GET admin.create_event": ADMINS,
    "POST admin.create_event": ADMINS,
    "GET admin.settings": ADMINS,
    "POST admin.settings": ADMINS,
    "POST admin.add_staff": ADMINS,
    "POST admin.remove_staff": ADMINS,
    "GET admin.registration_settings": ADMINS,
    "POST admin.registration_settings": ADMINS,
    "POST admin.add_question": ADMINS,
    "POST admin.remove_question": ADMINS,
    "POST accounts.logout": SIGNED_IN,
    "POST events.index": EVERYONE,
    "POST events.vote": EVERYONE,
    "POST events.vote registered": ATTENDEES,
    "GET receipts.receipts published": EVERYONE,
    "GET receipts.receipts unpublished": RUN_POLLS,
    "GET polls.console": RUN_POLLS,
    "GET polls.audit_log": RUN_POLLS,
    "GET polls.create": RUN_POLLS,
    "POST polls.create": RUN_POLLS,
    "GET polls.edit": RUN_POLLS,
    "POST polls.edit": RUN_POLLS,
    "POST polls.act open": RUN_POLLS,
    "POST polls.act close": RUN_POLLS,
    "POST polls.act reopen": RUN_POLLS,
    "POST polls.act reset": RUN_POLLS,
    "POST polls.act reveal": RUN_POLLS,
    "POST polls.act hide": RUN_POLLS,
    "POST polls.act duplicate": RUN_POLLS,
    "POST polls.act delete": RUN_POLLS,
    "POST polls.act show": RUN_POLLS,
    "POST polls.act publish_receipts": RUN_POLLS,
    "POST polls.act withdraw_receipts": RUN_POLLS,
    "POST polls.moderate_answer": RUN_POLLS,
    "POST polls.next_poll": RUN_POLLS,
    "POST polls.clear_display": RUN_POLLS,
    "POST polls.display_look": RUN_POLLS,
    "POST ideas.propose": EVERYONE,
    "POST ideas.upvote": EVERYONE,
    "GET ideas.manage": RUN_POLLS,
    "POST ideas.moderate approve": RUN_POLLS,
    "POST ideas.moderate hide": RUN_POLLS,
    "POST ideas.edit": RUN_POLLS,
    "POST ideas.merge": RUN_POLLS,
    "POST ideas.promote": RUN_POLLS,
    "POST qna.ask": EVERYONE,
    "POST qna.upvote": EVERYONE,
    "GET qna.manage": RUN_POLLS,
    "GET admin.translations": RUN_POLLS,
    "POST admin.translations": RUN_POLLS,
    "POST i18n.choose": EVERYONE,
    "POST qna.moderate approve": RUN_POLLS,
    "POST qna.moderate hide": RUN_POLLS,
    "POST qna.moderate answer": RUN_POLLS,
    "POST qna.moderate highlight": RUN_POLLS,
    "POST qna.edit": RUN_POLLS,
    "POST qna.settings": RUN_POLLS,
    "POST qna.unhighlight": RUN_POLLS,
    "GET checkin.index": DOOR,
    "GET checkin.attendee": DOOR,
    "POST checkin.check_in": DOOR,
    "POST checkin.undo": DOOR,
    "GET checkin.badges": DOOR,
    "GET checkin.badge": DOOR,
    "GET breakouts.manage": RUN_POLLS,
    "POST breakouts.staff_action slot-create": RUN_POLLS,
    "POST breakouts.staff_action slot-update": RUN_POLLS,
    "POST breakouts.staff_action slot-delete": RUN_POLLS,
    "POST breakouts.staff_action item-create": RUN_POLLS,
    "POST breakouts.staff_action item-update": RUN_POLLS,
    "POST breakouts.staff_action item-delete": RUN_POLLS,
    "POST breakouts.staff_action session-create": RUN_POLLS,
    "POST breakouts.staff_action theme-sessions": RUN_POLLS,
    "POST breakouts.staff_action session-update": RUN_POLLS,
    "POST breakouts.staff_action session-delete": RUN_POLLS,
    "POST breakouts.staff_action mode": RUN_POLLS,
    "POST breakouts.staff_action signup": RUN_POLLS,
    "POST breakouts.act signup": ATTENDEES,
    "POST breakouts.act switch": ATTENDEES,
    "POST breakouts.act withdraw": ATTENDEES,
    "POST breakouts.rosters": ATTENDEES,
    "GET assignment.rank": ATTENDEES,
    "POST assignment.rank": ATTENDEES,
    "GET assignment.manage": ADMINS,
    "POST assignment.act preview": ADMINS,
    "POST assignment.act move": ADMINS,
    "POST assignment.act publish": ADMINS,
    "GET breakout_polls.index": MEMBERS_AND_RUNNERS,
    "POST breakout_polls.create": RUN_POLLS,  # or the session's facilitator
    "POST breakout_polls.run open": RUN_POLLS,
    "POST breakout_polls.run close": RUN_POLLS,
    "POST breakout_polls.vote": ATTENDEES,  # members of the session
    "GET report.outcome": RUN_POLLS,  # or the session's facilitator
    "POST report.outcome": RUN_POLLS,
    "GET report.report": RUN_POLLS,
    "GET report.report_csv": RUN_POLLS,
    "GET report.report_json": RUN_POLLS,
    "POST report.prepare_dot_vote": RUN_POLLS,
    "GET registrations.index": ADMINS,
    "GET registrations.access": ADMINS,
    "GET registrations.export csv": ADMINS,
    "GET registrations.export xlsx": ADMINS,
    "GET registrations.new": ADMINS,
    "POST registrations.new": ADMINS,
    "GET registrations.detail": ADMINS,
    "POST registrations.detail": ADMINS,
    "POST registrations.act approve": ADMINS,
    "POST registrations.act reject": ADMINS,
    "POST registrations.act move": ADMINS,
    "POST registrations.act cancel": ADMINS,
    "POST registrations.act resend": ADMINS,
    "GET registrations.import_upload": ADMINS,
    "POST registrations.import_upload": ADMINS,
    "GET registrations.import_mapping": ADMINS,
    "GET registrations.import_preview": ADMINS,
    "POST registrations.import_run": ADMINS,
    "GET weights.weights_page": ADMINS,
    "POST weights.weights_page": ADMINS,
    "POST registration.register": EVERYONE,
    "GET registration.me": ATTENDEES,
    "GET registration.ticket_svg": ATTENDEES,
    "GET registration.download": ATTENDEES,
    "GET registration.edit": ATTENDEES,
    "POST registration.edit": ATTENDEES,
    "POST registration.consent": ATTENDEES,
    "POST registration.cancel": ATTENDEES,
    "POST registration.delete": ATTENDEES,
    "POST registration.sign_out": EVERYONE,
    # A campaign's exports: its campaign admins and global admins (can_administer).
    "GET calendar.listings_csv": CAMPAIGN_ADMINS,
    "GET calendar.summary_csv": CAMPAIGN_ADMINS,
    # Campaigns: anyone submits; the organiser's private link is the key to their listing
    # (each cell uses a fresh listing's link); its admins and global admins review.
    "POST campaigns.submit": EVERYONE,
    "POST campaigns.listing": EVERYONE,
    "POST campaigns.create_event": EVERYONE,
    "GET campaigns.index": SIGNED_IN,  # lists the campaigns one administers (maybe none)
    "POST campaigns.create_campaign": ADMINS,
    "GET campaigns.review": CAMPAIGN_ADMINS,
    "POST campaigns.approve": CAMPAIGN_ADMINS,
    "POST campaigns.request_changes": CAMPAIGN_ADMINS,
    "POST campaigns.reject": CAMPAIGN_ADMINS,
    "POST campaigns.admin_create_event": CAMPAIGN_ADMINS,
    "GET campaigns.edit_campaign": CAMPAIGN_ADMINS,
    "POST campaigns.edit_campaign": CAMPAIGN_ADMINS,
    "POST campaigns.add_admin": ADMINS,
    "POST campaigns.change_logo": CAMPAIGN_ADMINS,
    # The mailed set-password link is the key (each cell uses a fresh account's link).
    "POST accounts.set_password_page": EVERYONE,
}

# Pages anyone may see (nothing staff-only or personal on them), and the sign-in form.
PUBLIC_PAGES = {
    "GET events.index",
    "GET events.live",
    "GET display.display",
    "GET display.join_qr",
    "GET display.display_options",
    "GET ideas.board",
    "GET ideas.display",
    "GET ideas.qr",
    "GET qna.questions",
    "GET qna.display",
    "GET qna.qr",
    "GET breakouts.index",
    "GET breakouts.agenda",
    "GET breakouts.session_page",
    "GET registration.open_link",
    "GET registration.register",
    "GET calendar.show",  # a campaign's calendar, its feeds: approved listings only
    "GET calendar.feed",
    "GET calendar.listing_feed",
    "GET campaigns.submit",  # the submission form
    "GET campaigns.listing",  # the organiser's page: its unguessable link is the key
    "GET campaigns.logo",
    "GET accounts.set_password_page",  # its signed link is the key
    "GET accounts.login",
    "POST accounts.login",  # the sign-in form: a right password makes you that account
    "GET static",
    "GET vendor.asset",
    "GET socketio",
    "GET socketio_ws",
}

# The JSON API with bearer tokens (phones and browsers send none).
API: dict[str, frozenset[str]] = {
    "GET api.event_detail": EVERYONE,
    "GET api.breakouts": EVERYONE,
    "GET api.questions": EVERYONE,
    "GET api.results open": EVERYONE,
    "GET api.results draft": RUN_POLLS,
    "GET api.receipts published": EVERYONE,
    "GET api.receipts unpublished": RUN_POLLS,
    "POST api.create_poll": RUN_POLLS,
    "POST api.open_poll": RUN_POLLS,
    "POST api.close_poll": RUN_POLLS,
    "POST api.next_poll": RUN_POLLS,
    "GET api.registrations": DOOR,
    "POST api.check_in": DOOR,
}

# Socket.IO: "event [variant]" -> roles allowed (every socket connects from the home page,
# so no role gets a participant id it did not have).
SOCKETS: dict[str, frozenset[str]] = {
    "join participant": PHONES,
    "join display": EVERYONE,
    "join console": RUN_POLLS,
    "cast_vote": PHONES,
    "cast_vote registered": ATTENDEES,
    "join_checkin": DOOR,
    "join_breakouts": EVERYONE,
    "join_ideas participant": PHONES,
    "join_ideas display": EVERYONE,
    "join_ideas moderator": RUN_POLLS,
    "upvote_idea": PHONES,
    "propose_idea": PHONES,
    "join_qna participant": PHONES,
    "join_qna display": EVERYONE,
    "join_qna moderator": RUN_POLLS,
    "upvote_question": PHONES,
    "ask_question": PHONES,
}

# How a refusal shows where it is not 401/403/404 or the sign-in page (the database must
# still be unchanged).
REFUSED_AS = {
    "POST breakout_polls.vote": {303},  # back to the page with the refusal flashed
}
# Allowed actions that write nothing (the session cookie is all they change).
WRITES_NOTHING = {
    "POST accounts.logout",
    "POST events.index",
    "POST i18n.choose",  # a cookie in the browser, nothing on the server
    "POST registration.sign_out",
    "POST registrations.import_upload",  # the file is kept on disk until the import runs
}
# Socket events that store something when allowed.
SOCKET_WRITES = {"cast_vote", "upvote_idea", "propose_idea", "upvote_question", "ask_question"}
KNOWN_ACK_ERRORS = {
    "forbidden",
    "no_session",
    "not_joined",
    "not_eligible",
    "registration_required",
}
ARTIFACT = Path(__file__).resolve().parent.parent / "test-artifacts" / "authorisation-matrix.json"


def record_cells(part: str, allowed: int, denied: int) -> None:
    """Add one channel's cell counts to the figures file (for docs/reliability.md).

    Each matrix test writes its own part, so the totals are right whichever of them ran.
    """
    figures = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    figures[part] = {"allowed": allowed, "denied": denied}
    parts = [figures[key] for key in ("http", "api", "sockets") if key in figures]
    figures["allowed"] = sum(entry["allowed"] for entry in parts)
    figures["denied"] = sum(entry["denied"] for entry in parts)
    figures["cells"] = figures["allowed"] + figures["denied"]
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2) + "\n")


def is_staff_action(allowed: frozenset[str]) -> bool:
    """Say whether only staff accounts may do this (its refusals are then logged)."""
    return bool(allowed) and allowed <= STAFF_ROLES


@pytest.fixture
def world(app, make_event, make_user, login, make_poll, make_registration) -> World:
    """The matrix's events, staff accounts and factories."""
    return build_world(app, make_event, make_user, login, make_poll, make_registration)


def refusals(caplog) -> list[dict]:
    """Return the refusals voting.web.log_refusal logged since the last clear."""
    return [record.refusal for record in caplog.records if hasattr(record, "refusal")]


def rule_keys(app) -> set[str]:
    """Return "METHOD endpoint" of every URL rule of the app."""
    return {
        f"{method} {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def base_key(key: str) -> str:
    """Return "METHOD endpoint" of a table key (without its variant)."""
    return " ".join(key.split(" ")[:2])


def test_every_route_and_socket_event_is_in_the_matrix(app):
    """Is every URL rule, API endpoint and socket event in a table, and every line doable?"""
    covered = {base_key(key) for key in (*HTTP, *API)} | PUBLIC_PAGES
    assert sorted(rule_keys(app) - covered) == [], "add these routes to the matrix"
    assert sorted(covered - rule_keys(app)) == [], "these table lines name no route"
    assert set(HTTP) == set(HTTP_REQUESTS)
    assert set(API) == set(API_REQUESTS)
    handlers = set(socketio.server.handlers["/"]) - {"connect", "disconnect"}
    assert {key.split(" ")[0] for key in SOCKETS} == handlers, "add these events to SOCKETS"
    assert all(key.startswith("GET api.") or key.startswith("POST api.") for key in API)
    assert not any(key.split(" ")[1].startswith("api.") for key in HTTP)


def logged_as(world: World, role: str, logged: list[dict], event: str | None = CODE) -> bool:
    """Say whether exactly one refusal was logged, for this role's account and the event."""
    user = world.users.get(role)
    expected = (user.role.value, user.id) if user else ("anonymous", None)
    return [(entry["role"], entry["user_id"], entry["event"]) for entry in logged] == [
        (*expected, event)
    ]


def check_http_cell(world, caplog, key, allowed, role, builder, *, api: bool) -> list[str]:
    """Send one action as one role; return what went wrong (empty when the cell holds)."""
    who = world.who(role)
    request = builder(world, who)
    kwargs: dict = {}
    if api:
        kwargs["headers"] = who.api_headers()
        if request.json is not None:
            kwargs["json"] = request.json
    elif request.method == "POST":
        token = csrf_from(who.client.get("/").get_data(as_text=True))
        kwargs["data"] = {**request.data, "csrf_token": token}
        if request.multipart:
            kwargs["content_type"] = "multipart/form-data"
    before = database_fingerprint()
    caplog.clear()
    response = who.client.open(request.url, method=request.method, **kwargs)
    after = database_fingerprint()
    status, location = response.status_code, response.headers.get("Location", "")
    logged = refusals(caplog)
    cell = f"{key} as {role}: {status} {location}".strip()
    problems = []
    if role in allowed:
        if status >= 400 or "/login" in location:
            problems.append(f"{cell}: refused, should be allowed")
        elif request.method == "POST" and key not in WRITES_NOTHING and before == after:
            problems.append(f"{cell}: allowed but stored nothing")
        if logged:
            problems.append(f"{cell}: allowed but logged as refused {logged}")
        if key == "POST accounts.logout":
            world.sign_in_again(role)
        return problems
    sign_in_page = status == 302 and "/login" in location
    if sign_in_page and role in STAFF_ROLES:
        problems.append(f"{cell}: a signed-in account was sent to the sign-in page")
    if not (status in {401, 403, 404} or sign_in_page or status in REFUSED_AS.get(key, ())):
        problems.append(f"{cell}: should be refused")
    if before != after:
        problems.append(f"{cell}: refused but the database changed")
    event = CODE if f"/{CODE}" in request.url else None  # /manage/ and /logout name none
    if is_staff_action(allowed) and not logged_as(world, role, logged, event):
        problems.append(f"{cell}: refusal not logged as {role} ({logged})")
    return problems


def run_matrix(world, caplog, table, requests, *, api: bool, name: str) -> None:
    """Check every cell of a table; fail with the list of the cells that do not hold."""
    caplog.set_level(logging.WARNING)
    problems: list[str] = []
    allowed_cells = denied_cells = 0
    for key, allowed in table.items():
        for role in ROLES:
            problems += check_http_cell(world, caplog, key, allowed, role, requests[key], api=api)
            if role in allowed:
                allowed_cells += 1
            else:
                denied_cells += 1
    record_cells(name, allowed_cells, denied_cells)
    assert problems == [], "\n".join(problems)


def test_every_role_gets_exactly_its_rights_over_http(world, caplog):
    """Does every role get exactly its rights on every page and form?"""
    run_matrix(world, caplog, HTTP, HTTP_REQUESTS, api=False, name="http")


def test_every_role_gets_exactly_its_rights_over_the_api(world, caplog):
    """Does every role's bearer token (or none) get exactly its rights on the API?"""
    run_matrix(world, caplog, API, API_REQUESTS, api=True, name="api")


def test_every_role_gets_exactly_its_rights_over_sockets(world, caplog, socket_for):
    """Does every role get exactly its rights on every Socket.IO event?"""
    caplog.set_level(logging.WARNING)
    problems: list[str] = []
    allowed_cells = denied_cells = 0
    for key, allowed in SOCKETS.items():
        for role in ROLES:
            who = world.who(role)
            steps = socket_steps(world, who, key)
            sock = socket_for(who.client, "/")
            for name, payload in steps[:-1]:
                sock.emit(name, payload, callback=True)  # the joins the action needs
            before = database_fingerprint()
            caplog.clear()
            ack = sock.emit(steps[-1][0], steps[-1][1], callback=True)
            after = database_fingerprint()
            sock.disconnect()
            logged = refusals(caplog)
            cell = f"{key} as {role}: {ack.get('ok')} {ack.get('error', '')}"
            writes = key.split(" ")[0] in SOCKET_WRITES
            if role in allowed:
                allowed_cells += 1
                if ack.get("ok") is not True:
                    problems.append(f"{cell}: refused, should be allowed")
                elif writes and before == after:
                    problems.append(f"{cell}: allowed but stored nothing")
                if logged:
                    problems.append(f"{cell}: allowed but logged as refused {logged}")
                continue
            denied_cells += 1
            if ack.get("ok") is not False or ack.get("error") not in KNOWN_ACK_ERRORS:
                problems.append(f"{cell}: should be refused with a known code")
            if before != after:
                problems.append(f"{cell}: refused but the database changed")
            if is_staff_action(allowed) and not logged_as(world, role, logged):
                problems.append(f"{cell}: refusal not logged as {role} ({logged})")
    record_cells("sockets", allowed_cells, denied_cells)
    assert problems == [], "\n".join(problems)
