"""Hostile input on every state-changing HTTP route: the HTML forms and the JSON API (issue 7).

Hypothesis takes each route's valid request (tests/authorisation_helpers.py builds it,
as the role that may send it, with a valid CSRF token) and spoils it: junk in real
fields (NUL, right-to-left marks, emoji, huge strings, bytes that are not UTF-8,
numbers of every size, ids of the other event's objects), fields left out, repeated or
added, another encoding, a missing or wrong CSRF token, junk in the URL's ids and codes
and in the query string; for the API any JSON value of any type, broken or deeply
nested JSON, a missing or wrong token. Every answer must be a success (2xx, or 3xx
without an error message) or a refusal: a 4xx with a message for a person (an HTML
page showing it, or JSON {error, message}), or a 3xx back to a page that shows an
error. Never a 500 or an exception, and a refusal leaves the database as it was (a
hash of every row of every table, the access log aside: see RECORDS_OF_LOOKS). A
state-changing URL rule added to the app without a line here (or in the authorisation
matrix, whose routes and valid requests this reuses) fails
test_every_state_changing_route_is_fuzzed.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote, quote_from_bytes, urlencode, urlsplit

import pytest
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.authorisation_helpers import (
    ANONYMOUS,
    API_REQUESTS,
    CODE,
    CSV_HEADER,
    HTTP_REQUESTS,
    MODERATOR,
    OTHER_CODE,
    PARTICIPANT,
    Request,
    Who,
    World,
)
from tests.conftest import PASSWORD, csrf_from
from tests.fuzz_helpers import (
    CODE_RE,
    EXAMPLES,
    INVALID_UTF8,
    MESSAGE_MARKERS,
    NASTY_TEXT,
    acting_role,
    changed_tables,
    id_like,
    json_value,
    junk_text,
    repair,
    run_fuzz,
    table_digests,
)
from tests.test_authorisation_matrix import API, HTTP
from voting.api.views import POLL_FIELDS as API_POLL_FIELDS
from voting.events.translations import KINDS as GRID_KINDS
from voting.i18n import LANGUAGES

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
E = f"/e/{CODE}"

# --- what each route takes ------------------------------------------------------------------
# The real field names of each route's form (the builder's valid request may send only
# some of them); dynamic names (day_<id>, points-<id>, weight-<id>, ...) come from the
# valid request.

EVENT_FIELDS = (
    "name",
    "code",
    "starts_on",
    "ends_on",
    "venue",
    "description",
    "allow_anonymous",
    "blocked_words",
)
POLL_FIELDS = (
    "title",
    "description",
    "kind",
    "max_choices",
    "visibility",
    "allow_change",
    "eligibility",
    "show_countries",
    "budget",
    "scale",
    "scale_low_label",
    "scale_high_label",
    "majority",
    "moderate_answers",
    "secret",
    "duration",
    "weighted",
    "option",
    "option_id",
    "correct",
)
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "organisation",
    "country",
    "partnership_id",
    "partnership_other",
    "role",
    "day_ids",
    "needs",
    "consent_photos",
)
VOTE_FIELDS = ("vote_id", "choice", "rating", "text")
TIME_FIELDS = ("day_id", "starts_at", "ends_at", "title", "description", "id")
SESSION_FIELDS = (
    "id",
    "slot_id",
    "title",
    "room",
    "capacity",
    "facilitator_id",
    "theme_id",
    "rooms",
)
LISTING_FIELDS = (
    "organisation",
    "contact_name",
    "contact_email",
    "title",
    "starts_on",
    "ends_on",
    "city",
    "country",
    "format",
    "themes",
    "expected_participants",
    "website",
    "description",
)

FIELDS: dict[str, tuple[str, ...]] = {
    "POST admin.create_event": EVENT_FIELDS,
    "POST admin.settings": EVENT_FIELDS,
    "POST admin.add_staff": ("email",),
    "POST admin.registration_settings": (
        "registration_open",
        "capacity",
        "requires_approval",
        "contact_email",
        "privacy_notice",
        "retention_days",
        "partnerships",
        "day_1",  # the seats of the event's days (ids 1 and 2), and of the other's day
        "day_2",
        "day_3",
    ),
    "POST admin.add_question": ("label", "kind", "choices", "required"),
    "POST accounts.login": ("email", "password"),
    "POST i18n.choose": ("language", "next"),
    "POST events.index": ("code",),
    "POST polls.create": POLL_FIELDS,
    "POST polls.edit": POLL_FIELDS,
    "POST polls.moderate_answer": ("status",),
    "POST polls.display_look": ("contrast", "large_text"),
    "POST ideas.propose": ("text",),
    "POST ideas.upvote": ("up",),
    "POST ideas.edit": ("text",),
    "POST ideas.merge": ("into",),
    "POST ideas.promote": ("idea", "top"),
    "POST qna.ask": ("text", "name", "show_name"),
    "POST qna.upvote": ("up",),
    "POST qna.edit": ("text",),
    "POST qna.settings": ("needs_approval", "open"),
    "POST checkin.undo": ("confirm",),
    "POST breakouts.rosters": ("show_on_rosters",),
    "POST assignment.act preview": ("rerun",),
    "POST assignment.act move": ("registration_id", "breakout_id"),
    "POST breakout_polls.create": ("title", "options", "kind"),
    "POST breakout_polls.vote": ("choice", "vote_id"),
    "POST report.outcome": ("summary", "proposal"),
    "POST registrations.new": PERSON_FIELDS,
    "POST registrations.detail": PERSON_FIELDS,
    "POST registrations.import_run": ("send_mail",),
    "POST weights.weights_page": ("action",),
    "POST registration.register": (*PERSON_FIELDS, "consent_privacy"),
    "POST registration.edit": PERSON_FIELDS,
    "POST registration.consent": ("consent_privacy", "consent_photos"),
    "POST registration.delete": ("confirm",),
    "POST campaigns.submit": LISTING_FIELDS,
    "POST campaigns.listing": LISTING_FIELDS,
    "POST campaigns.create_event": (),
    "POST campaigns.create_campaign": (
        "name",
        "slug",
        "starts_on",
        "ends_on",
        "description",
        "contact_name",
        "contact_email",
        "themes",
        "logo",
    ),
    "POST campaigns.edit_campaign": (
        "name",
        "starts_on",
        "ends_on",
        "description",
        "contact_name",
        "contact_email",
        "themes",
    ),
    "POST campaigns.approve": ("note",),
    "POST campaigns.request_changes": ("note",),
    "POST campaigns.reject": ("note",),
    "POST campaigns.admin_create_event": ("note",),
    "POST campaigns.add_admin": ("email",),
    "POST campaigns.change_logo": ("logo",),
    "POST accounts.set_password_page": ("password", "confirm"),
}
for _key in HTTP_REQUESTS:
    if _key.startswith("POST events.vote"):
        FIELDS[_key] = VOTE_FIELDS
    elif _key.startswith("POST polls.act"):
        FIELDS[_key] = ("confirm",)
    elif _key.startswith("POST breakouts.staff_action"):
        FIELDS[_key] = (*TIME_FIELDS, *SESSION_FIELDS, "mode", "open")
    elif _key.startswith("POST registrations.act"):
        FIELDS[_key] = ("status", "confirm", "back")

# Every field name any form takes, sent as extra fields elsewhere, and a few an attacker
# might try.
KNOWN_NAMES = sorted(
    {name for names in FIELDS.values() for name in names}
    | {"csrf_token", "id", "event_id", "user_id", "is_admin", "status", "participant", "up"}
)
# The words a URL's <action> takes somewhere (sent to the other routes too).
ACTION_WORDS = sorted(
    {key.split(" ")[2] for key in (*HTTP_REQUESTS, *API_REQUESTS) if key.count(" ") == 2}
)


def _vote_of_kind(kind: str) -> Callable[[World, Who], Request]:
    """Return a builder of a valid plain-form vote in an open poll of one kind."""

    def build(w: World, who: Who) -> Request:
        options = [] if kind in ("rating", "text") else ["Red", "Green", "Blue"]
        poll = w.open_poll(kind=kind, options=options)
        data: dict = {"vote_id": f"form-vote-{w.n()}"}
        if kind == "points":
            data |= {
                f"points-{o.id}": str(p) for o, p in zip(poll.options, (60, 40, 0), strict=True)
            }
        elif kind == "ranking":
            data |= {f"rank-{o.id}": str(place) for place, o in enumerate(poll.options, 1)}
        elif kind == "rating":
            data["rating"] = "3"
        elif kind == "text":
            data["text"] = "An answer"
        else:
            data["choice"] = [str(o.id) for o in poll.options[:2]]
        return Request("POST", f"{E}/polls/{poll.id}/vote", data=data)

    return build


def _login(w: World, who: Who) -> Request:
    data = {"email": w.users["admin"].email, "password": PASSWORD}
    return Request("POST", "/login?next=/manage/", data=data)


def base_key(key: str) -> str:
    """Return "METHOD endpoint" of a table key (without its variant)."""
    return " ".join(key.split(" ")[:2])


@dataclass(frozen=True)
class Target:
    """One state-changing route (and variant): how its valid request is made, and by whom."""

    build: Callable[[World, Who], Request]
    role: str
    api: bool = False
    examples: int = EXAMPLES


def _targets() -> dict[str, Target]:
    targets = {
        key: Target(HTTP_REQUESTS[key], acting_role(allowed))
        for key, allowed in HTTP.items()
        if key.split(" ")[0] in STATE_CHANGING
    }
    targets |= {
        key: Target(API_REQUESTS[key], acting_role(allowed), api=True)
        for key, allowed in API.items()
        if key.split(" ")[0] in STATE_CHANGING
    }
    targets["POST accounts.login"] = Target(_login, ANONYMOUS)
    for kind in ("multiple", "points", "ranking", "rating", "text"):
        targets[f"POST events.vote {kind}"] = Target(_vote_of_kind(kind), PARTICIPANT)
    # Variants of one route (polls.act open, close, ...) share its code: half the examples
    # each, which still gives the route more than one variant alone would get.
    variants = Counter(base_key(key) for key in targets)
    return {
        key: replace(target, examples=max(6, EXAMPLES // 2))
        if variants[base_key(key)] > 1
        else target
        for key, target in targets.items()
    }


TARGETS = _targets()
# State-changing rules deliberately not fuzzed, with the reason (none at present).
NOT_FUZZED: dict[str, str] = {}


def test_every_state_changing_route_is_fuzzed(app):
    """Is every URL rule with a state-changing method in the fuzz table (or excused)?"""
    rules = {
        f"{method} {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods & STATE_CHANGING
    }
    fuzzed = {base_key(key) for key in TARGETS}
    assert sorted(rules - fuzzed - set(NOT_FUZZED)) == [], "add these routes to the fuzz"
    assert sorted((fuzzed | set(NOT_FUZZED)) - rules) == [], "these lines name no route"
    assert len(rules) > 50, "the URL map was not read"


# --- the mutations ---------------------------------------------------------------------------


def form_value(ids: list[int]) -> st.SearchStrategy:
    """A junk form value: nasty text, another event's id, bytes that are not UTF-8."""
    return st.one_of(
        junk_text(),
        id_like(ids).map(str),
        st.sampled_from(INVALID_UTF8),
        st.binary(max_size=8),
    )


FIELD_NAME = st.one_of(st.sampled_from(KNOWN_NAMES), junk_text())
# Names that are data themselves: t:<kind>:<id>:<field>:<lang> in the translation grid,
# well formed (a kind with its field, a language) around a hostile id, or junk.
GRID_TEXTS = [
    (kind, field) for kind, (_model, fields, _label) in GRID_KINDS.items() for field in fields
]
GRID_IDS = ["\u00b2", "9" * 30, "99999999999", "2", "3", "0", "-1", "", "\u0663", "1"]
GRID_NAME = st.builds(
    lambda text, item, lang: f"t:{text[0]}:{item}:{text[1]}:{lang}",
    st.sampled_from(GRID_TEXTS),
    st.sampled_from(GRID_IDS) | junk_text(),
    st.sampled_from(sorted(LANGUAGES)),
)
NAMED_FIELDS = {"POST admin.translations": st.one_of(GRID_NAME, FIELD_NAME)}


def as_pairs(data: dict) -> list[tuple[str, str | bytes]]:
    """Flatten a form dict (lists are repeated fields) into (name, value) pairs."""
    pairs = []
    for name, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs


def spoil_fields(data, key: str, valid: dict, ids: list[int]) -> list[tuple]:
    """Return the form's fields with some (or all) junk, left out, repeated, and extras."""
    names = FIELDS.get(key, ())
    pairs = as_pairs(valid)
    every = sorted(set(names) | set(valid))
    if data.draw(st.sampled_from(["some"] * 4 + ["all"]), label="how much") == "all":
        chosen = every
    else:
        chosen = data.draw(
            st.lists(st.sampled_from(every), max_size=4, unique=True) if every else st.just([]),
            label="spoiled fields",
        )
    for name in chosen:
        how = data.draw(st.sampled_from(["junk", "junk", "drop", "many"]), label=name)
        pairs = [pair for pair in pairs if pair[0] != name]
        if how == "junk":
            pairs.append((name, data.draw(form_value(ids))))
        elif how == "many":
            values = data.draw(st.lists(form_value(ids), min_size=2, max_size=4))
            pairs += [(name, value) for value in values]
    extra_name = NAMED_FIELDS.get(key, FIELD_NAME)
    extras = data.draw(
        st.lists(
            st.tuples(extra_name, form_value(ids)),
            min_size=1 if key in NAMED_FIELDS else 0,
            max_size=3,
        )
    )
    return pairs + extras


def encode_form(pairs: list[tuple]) -> bytes:
    """Encode fields as application/x-www-form-urlencoded, bytes values as they are."""
    parts = []
    for name, value in pairs:
        raw = value if isinstance(value, bytes) else value.encode()
        parts.append(
            quote_from_bytes(name.encode(), safe="") + "=" + quote_from_bytes(raw, safe="")
        )
    return "&".join(parts).encode()


ARG_RE = re.compile(r"<(?:[^<>]*:)?(\w+)>")
QUERY_NAMES = ["sort", "next", "q", "status", "ids", "welcome", "back", "code", "lang"]


def spoil_url(data, app, method: str, url: str, ids: list[int]) -> str:
    """Return the URL, maybe with one of its ids or words replaced and a junk query."""
    path, _, query = url.partition("?")
    adapter = app.url_map.bind("plenum.test")
    rule, args = adapter.match(path, method=method, return_rule=True)
    if args and data.draw(st.sampled_from([False] * 5 + [True]), label="spoil the path"):
        name = data.draw(st.sampled_from(sorted(args)), label="path argument")
        if isinstance(args[name], int):
            new = data.draw(
                id_like(ids).map(str) | st.sampled_from(["-1", "1.5", "0x1", "\u0663", "007"])
            )
        elif name == "code":
            new = data.draw(st.sampled_from([OTHER_CODE, CODE.lower(), "NOPE"]) | junk_text())
        else:
            new = data.draw(st.sampled_from(ACTION_WORDS) | junk_text())
        values = {**args, name: new}
        path = ARG_RE.sub(lambda m: quote(str(values[m.group(1)]), safe=""), rule.rule)
    if data.draw(st.sampled_from([False] * 4 + [True]), label="junk query"):
        pairs = data.draw(
            st.lists(st.tuples(st.sampled_from(QUERY_NAMES), junk_text()), min_size=1, max_size=3)
        )
        query = urlencode(pairs)
    return f"{path}?{query}" if query else path


@dataclass
class Sent:
    """A request as sent: method, URL and the test client's keyword arguments."""

    method: str
    url: str
    kwargs: dict


def spoil_html(data, key: str, request: Request, token: str, ids: list[int], url: str) -> Sent:
    """Return a spoiled HTML form post: fields, CSRF token and encoding."""
    if request.multipart:
        return spoil_upload(data, request, token, url)
    return Sent(request.method, url, _form_kwargs(data, key, request, token, ids))


def _form_kwargs(data, key: str, request: Request, token: str, ids: list[int]) -> dict:
    """Return the test client's arguments of a spoiled form."""
    pairs = spoil_fields(data, key, request.data, ids)
    csrf = data.draw(st.sampled_from(["valid"] * 8 + ["missing", "junk", "twice"]), label="csrf")
    if csrf in ("valid", "twice"):
        pairs.insert(0, ("csrf_token", token))
    if csrf in ("junk", "twice"):
        pairs.append(("csrf_token", data.draw(junk_text())))
    encoding = data.draw(
        st.sampled_from(["form"] * 8 + ["json", "multipart", "raw", "none"]), label="encoding"
    )
    if encoding == "form":
        return {"data": encode_form(pairs), "content_type": "application/x-www-form-urlencoded"}
    if encoding == "raw":  # the form, then malformed escapes and stray bytes
        tail = data.draw(
            st.sampled_from([b"%", b"%zz", b"&&=&", b"=" * 50]) | st.binary(max_size=30)
        )
        return {
            "data": encode_form(pairs) + b"&" + tail,
            "content_type": "application/x-www-form-urlencoded",
        }
    if encoding == "none":
        return {}
    text = {name: v.decode("latin-1") if isinstance(v, bytes) else v for name, v in pairs}
    if encoding == "json":  # the CSRF token in its header, as scripts send it
        return {"json": text, "headers": {"X-CSRFToken": token}}
    return multipart(text)


def multipart(fields: dict) -> dict:
    """Return the test client's arguments of a multipart/form-data body.

    Encoded here in memory: the test client spools a body over 500 kB to a temporary
    file it never closes (a ResourceWarning), which the app cannot help.
    """
    boundary, body = encode_multipart(fields)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


FILE_NAMES = [
    "people.csv",
    "people.xlsx",
    "",
    ".csv",
    "../../escape.csv",
    "a\x00.csv",
    "\u202egnp.csv",
    "x.exe",
    "n" * 300 + ".csv",
]


def spoil_upload(data, request: Request, token: str, url: str) -> Sent:
    """Return a spoiled import upload: junk content and file names, or no file at all."""
    cell = st.sampled_from(NASTY_TEXT) | st.text(max_size=20)
    rows = data.draw(
        st.lists(st.lists(cell, max_size=7).map(";".join), max_size=5), label="csv rows"
    )
    content = data.draw(
        st.one_of(
            st.just((CSV_HEADER + "\n".join(rows)).encode()),
            st.just(b"x" * (5 * 2**20 + 70 * 1024)),  # over the 5 MB limit
            st.binary(max_size=200),
            st.sampled_from(
                [
                    b"",
                    b"PK\x03\x04" + b"\x00" * 100,
                    b"\xff\xfe" + "a;b\n".encode("utf-16-le"),
                    b"\x00" * 1000,
                ]
            ),
            st.just(CSV_HEADER.encode() + b"Ada;L;ada@example.org;E;GB\n" * 3000),
        ),
        label="content",
    )
    name = data.draw(st.sampled_from(FILE_NAMES) | junk_text(), label="file name")
    shape = data.draw(st.sampled_from(["file"] * 6 + ["text", "none"]), label="file field")
    fields: dict = {}
    if shape == "file":
        fields["file"] = FileStorage(io.BytesIO(content), filename=name)
    elif shape == "text":
        fields["file"] = content.decode("latin-1")
    if data.draw(st.sampled_from([True] * 8 + [False]), label="csrf"):
        fields["csrf_token"] = token
    return Sent(request.method, url, multipart(fields))


def spoil_api(data, request: Request, who: Who, ids: list[int], url: str) -> Sent:
    """Return a spoiled API call: any JSON body (or broken JSON) and a token, or none."""
    shape = data.draw(
        st.sampled_from(["fields"] * 6 + ["any", "broken", "deep", "none", "form"]), label="body"
    )
    headers = who.api_headers()
    auth = data.draw(st.sampled_from(["valid"] * 8 + ["missing", "junk"]), label="token")
    if auth == "missing":
        headers = {}
    elif auth == "junk":
        junk = data.draw(
            st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=80)
        )
        headers = {
            "Authorization": data.draw(st.sampled_from(["Bearer ", "bearer", "Basic ", ""])) + junk
        }
    kwargs: dict = {"headers": headers}
    if shape == "fields":
        body = dict(request.json) if isinstance(request.json, dict) else {}
        for name in data.draw(
            st.lists(st.sampled_from(sorted(API_POLL_FIELDS)), max_size=4, unique=True)
        ):
            if data.draw(st.booleans(), label=f"drop {name}"):
                body.pop(name, None)
            else:
                body[name] = data.draw(json_value(ids, binary=False), label=name)
        body |= data.draw(
            st.dictionaries(junk_text(surrogates=True), json_value(ids, binary=False), max_size=2)
        )
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    elif shape == "any":
        value = data.draw(json_value(ids, binary=False), label="body")
        kwargs |= {"data": json.dumps(value), "content_type": "application/json"}
    elif shape == "broken":
        raw = data.draw(
            st.sampled_from(
                [b"{", b'{"title": }', b"\xff\xfe{}", b'{"title": "\\ud800"}', b"[1,]", b"nul"]
            )
            | st.binary(max_size=40)
        )
        kwargs |= {"data": raw, "content_type": "application/json"}
    elif shape == "deep":  # nesting deeper than the JSON decoder's recursion
        depth = data.draw(st.sampled_from([900, 5_000, 100_000]))
        kwargs |= {"data": "[" * depth + "]" * depth, "content_type": "application/json"}
    elif shape == "form":
        kwargs |= {"data": {"title": "A form, not JSON"}}
    return Sent(request.method, url, kwargs)


# --- the verdict -------------------------------------------------------------------------------


def flashes(client) -> list[tuple[str, str]]:
    """Return the messages waiting in a browser's session for its next page."""
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def clear_flashes(client) -> None:
    """Forget the messages a browser's session holds (an earlier example's)."""
    with client.session_transaction() as session:
        session.pop("_flashes", None)


def message_problems(response, api: bool) -> list[str]:
    """Return what is wrong with a refusal's answer: a person must read why."""
    body = response.get_data()
    if api:
        try:
            payload = json.loads(body)
        except ValueError:
            return [f"the API answered no JSON: {body[:200]!r}"]
        if not isinstance(payload, dict) or not CODE_RE.match(str(payload.get("error", ""))):
            return [f"the API answered no error code: {payload!r:.200}"]
        if not str(payload.get("message", "")).strip():
            return [f"the API answered no message: {payload!r:.200}"]
        return []
    text = body.decode(errors="replace")
    if response.mimetype != "text/html" or not any(m in text for m in MESSAGE_MARKERS):
        return [f"the page shows no message: {response.mimetype} {text[:300]!r}"]
    return []


def check_one(app, world: World, ids: list[int], key: str, target: Target, data) -> None:
    """Send one spoiled request as the role that may; check the answer and the database."""
    who = world.who(target.role)
    request = target.build(world, who)
    url = spoil_url(data, app, request.method, request.url, ids)
    if target.api:
        sent = spoil_api(data, request, who, ids, url)
    else:
        token = csrf_from(who.client.get("/").get_data(as_text=True))
        sent = spoil_html(data, key, request, token, ids, url)
        clear_flashes(who.client)
    before = table_digests()
    response = who.client.open(sent.url, method=sent.method, **sent.kwargs)
    after = table_digests()
    status = response.status_code
    shown = f"{key}: {sent.method} {sent.url[:300]} answered {status}"
    assert status < 500, shown
    errors = []
    if not target.api and 300 <= status < 400:
        errors = [message for category, message in flashes(who.client) if category == "error"]
    shows_error = 200 <= status < 300 and b"flash flash-error" in response.get_data()
    if status >= 400 or errors or shows_error:
        changed = changed_tables(before, after)
        assert not changed, f"{shown}: refused, but these tables changed: {changed}"
        if status >= 400:
            problems = message_problems(response, target.api)
            assert not problems, f"{shown}: {problems}"
        assert all(str(message).strip() for message in errors), f"{shown}: empty message"
        return
    repair(world)  # accepted: put back what later examples need (the event's code)
    if key == "POST accounts.logout":
        world.sign_in_again(target.role)


@pytest.mark.parametrize("key", sorted(TARGETS))
def test_hostile_input_is_accepted_or_refused_clearly_changing_nothing(app, fuzz_world, key):
    """Does every spoiled request get a success or a clear refusal that changed nothing?"""
    world, ids = fuzz_world
    target = TARGETS[key]
    run_fuzz(
        lambda data: check_one(app, world, ids, key, target, data),
        "api" if target.api else "http",
        key,
        target.examples,
    )


# --- what the fuzz found (each failed before its fix) ----------------------------------------


def test_digits_int_refuses_are_refused_not_a_500(fuzz_world):
    """ "²" passes str.isdigit() but not int(), and int() refuses 5,000 digits: a 4xx.

    Found by the fuzz: a vote form's choice or rating of "²" (or 120,000 digits), a
    poll form's `correct` of "²", answered 500 (ValueError in the view).
    """
    world, _ids = fuzz_world
    for kind, field in (("single", "choice"), ("rating", "rating"), ("ranking", "rank")):
        who = world.who(PARTICIPANT)
        request = _vote_of_kind(kind)(world, who)
        token = csrf_from(who.client.get("/").get_data(as_text=True))
        for junk in ("\u00b2", "7" * 120_000):
            data = {**request.data, "csrf_token": token}
            names = [name for name in data if name.startswith(field)] or [field]
            data |= dict.fromkeys(names, junk)
            before = table_digests()
            response = who.client.post(request.url, data=data)
            assert 400 <= response.status_code < 500, (kind, response.status_code)
            assert table_digests() == before
    moderator = world.who(MODERATOR)
    token = csrf_from(moderator.client.get("/").get_data(as_text=True))
    form = {"title": "Quiz?", "kind": "quiz", "option": ["A", "B"], "correct": "\u00b2"}
    response = moderator.client.post(
        f"/manage/{CODE}/polls/new", data={**form, "csrf_token": token}
    )
    assert response.status_code < 500


def test_a_translation_of_an_impossible_id_is_refused(fuzz_world):
    """Found by the fuzz: t:event:²:name:fr in the translation grid raised ValueError, and
    an id of 20 digits OverflowError in the database driver (both a 500)."""
    world, _ids = fuzz_world
    who = world.who(MODERATOR)
    token = csrf_from(who.client.get("/").get_data(as_text=True))
    for item in ("\u00b2", "9" * 20, "9" * 5000):
        before = table_digests()
        response = who.client.post(
            f"/manage/{CODE}/translations",
            data={f"t:event:{item}:name:fr": "Nom", "csrf_token": token},
        )
        assert response.status_code == 400
        assert table_digests() == before


def test_a_vote_for_a_poll_not_on_the_page_shows_why(fuzz_world):
    """Found by the fuzz: a refused vote for a poll of another event showed no message."""
    world, _ids = fuzz_world
    who = world.who(PARTICIPANT)
    request = _vote_of_kind("single")(world, who)
    token = csrf_from(who.client.get("/").get_data(as_text=True))
    url = request.url.replace(f"/e/{CODE}/", f"/e/{OTHER_CODE}/")
    response = who.client.post(url, data={**request.data, "csrf_token": token})
    assert response.status_code == 404
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def _post_poll_json(who, body: str):
    """Send a JSON body as it is to the API's poll creation, with the caller's token."""
    return who.client.post(
        f"/api/v1/events/{CODE}/polls",
        data=body,
        content_type="application/json",
        headers=who.api_headers(),
    )


def test_json_nested_too_deep_is_refused(fuzz_world):
    """Found by the fuzz: "[[[[...]]]]" raised RecursionError in the API (a 500)."""
    world, _ids = fuzz_world
    who = world.who(MODERATOR)
    response = _post_poll_json(who, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"


def test_lone_surrogates_in_api_json_are_replaced(fuzz_world):
    """Found by the fuzz: a title escaping half an emoji ("\\ud83d") was a 500."""
    world, _ids = fuzz_world
    who = world.who(MODERATOR)
    body = '{"title": "Half \\ud83d?", "options": ["\\udc00", "B"], "\\ud800": 1}'
    response = _post_poll_json(who, body)
    assert response.status_code == 400  # the unknown field, named readably
    assert response.get_json()["error"] == "invalid_field"
    body = '{"title": "Half \\ud83d?", "options": ["\\udc00", "B"]}'
    response = _post_poll_json(who, body)
    assert response.status_code == 201
    assert response.get_json()["title"] == "Half \ufffd?"
    assert [o["label"] for o in response.get_json()["options"]] == ["\ufffd", "B"]


def test_a_multipart_part_without_a_name_is_ignored(fuzz_world):
    """Found by the fuzz: a part without a name (a field name with a line break in it) was
    a field named None, on which Flask-WTF's CSRF check failed with a 500 on every form."""
    world, _ids = fuzz_world
    who = world.who(PARTICIPANT)
    token = csrf_from(who.client.get("/").get_data(as_text=True))
    nameless = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
        b'--b\r\nContent-Disposition: form-data; filename="x.csv"\r\n\r\nfile\r\n'
    )
    token_part = f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
    text_part = b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nA nameless idea\r\n'
    for body, status in ((nameless, 400), (nameless + token_part.encode() + text_part, 302)):
        before = table_digests()
        response = who.client.post(
            f"{E}/ideas", data=body + b"--b--\r\n", content_type="multipart/form-data; boundary=b"
        )
        assert response.status_code == status
        assert (table_digests() == before) == (status == 400)


def test_redirect_targets_stay_on_the_site_and_in_one_header(fuzz_world):
    """After signing in or picking a language, ?next= never leaves the site nor splits a header.

    Found by the fuzz: a next with a line break answered 500 after a right password; a
    backslash (read as "/" by browsers) led to another site.
    """
    world, _ids = fuzz_world
    for target in ("/\r\nSet-Cookie: evil=1", "/\\evil.example", "/\x00"):
        browser = world.who(ANONYMOUS).client
        token = csrf_from(browser.get("/login").get_data(as_text=True))
        data = {"email": world.users["admin"].email, "password": PASSWORD, "csrf_token": token}
        response = browser.post("/login?" + urlencode({"next": target}), data=data)
        assert response.status_code == 302
        assert response.headers["Location"] == "/manage/"
        data = {"language": "fr", "next": target, "csrf_token": token}
        response = browser.post("/language", data=data)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/"), location
        assert not location.startswith("//"), location
        assert "\\" not in location, location
        assert urlsplit(location).netloc == "", location
