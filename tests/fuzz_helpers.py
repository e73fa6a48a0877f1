"""Helpers of the hostile-input fuzz (issue 7): nasty values, the world the fuzz runs in
(tests/authorisation_helpers.py's, plus objects of the other event whose ids are sent),
how a refusal must look, and the figures file docs/reliability.md quotes.

tests/test_fuzz_forms.py sends every state-changing HTTP route (HTML forms and the JSON
API) and tests/test_fuzz_sockets.py every Socket.IO event; both use what is here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jinja2 import BytecodeCache
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.authorisation_helpers import (
    ADMIN,
    ATTENDEE,
    CHECKIN,
    CODE,
    MODERATOR,
    OTHER_CODE,
    PARTICIPANT,
    World,
    build_world,
)
from voting.breakouts import service as breakouts
from voting.breakouts.service import SessionData, TimeData
from voting.database import MAX_ID
from voting.extensions import db
from voting.ideas import service as ideas
from voting.models import Event, EventDay, Theme
from voting.polls import service as polls
from voting.polls.service import PollData
from voting.qna import service as qna

ROOT = Path(__file__).resolve().parent.parent
ARTIFACT = ROOT / "test-artifacts" / "fuzz.json"

# Examples per route or socket event (half as many, at least 6, per variant of a route
# with several); PLENUM_FUZZ_EXAMPLES=100 for a long hunt, and PLENUM_FUZZ_RANDOM=1 for
# new inputs each run instead of the same ones.
EXAMPLES = int(os.environ.get("PLENUM_FUZZ_EXAMPLES", "12"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("PLENUM_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
    # Shrinking a huge string takes minutes; the failing example is shown as drawn
    # (PLENUM_FUZZ_SHRINK=1 shrinks it).
    phases=[
        phase
        for phase in Phase
        if phase != Phase.shrink or os.environ.get("PLENUM_FUZZ_SHRINK") == "1"
    ],
    print_blob=True,
)

# The least privileged role that may perform an action (the matrix's tables say who may).
ROLE_PREFERENCE = (PARTICIPANT, ATTENDEE, CHECKIN, MODERATOR, ADMIN)


def acting_role(allowed: frozenset[str]) -> str:
    """Return the role the fuzz acts as: the least privileged one allowed."""
    return next(role for role in ROLE_PREFERENCE if role in allowed)


# --- nasty values ---------------------------------------------------------------------------

NASTY_TEXT = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x00" * 64,
    "\u202eevil\u202c.exe",  # right-to-left override
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # Hebrew and Arabic
    "\U0001f600",
    "\U0001f469\U0001f3fd\u200d\U0001f4bb\U0001f1ea\U0001f1fa",  # ZWJ sequence, flag
    "\ufeff",
    "\u200b\u200b",
    "\uffff",
    "\U0010ffff",
    "e\u0301\u0301\u0301",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "%s%n%x",
    "{{ 7*7 }}",
    "../../../etc/passwd",
    "null",
    "true",
    "[]",
    "{}",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "-1",
    "0",
    "1",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "9" * 40,
    "1.5",
    "0x10",
    " 7 ",
    "+5",
    # digits str.isdigit() accepts: int() refuses the first two, takes the others
    "\u00b2",
    "\u2460",
    "\u0663",
    "\uff11\uff12",
    "\U0001d7d8",
    # redirect targets: a header split, a backslash browsers read as "/", other sites
    "/\r\nSet-Cookie: evil=1",
    "/\\evil.example",
    "//evil.example",
    "https://evil.example/",
]
# Characters repeated into huge strings (a NUL, a 4-byte emoji, Arabic, a digit).
HUGE_UNITS = ["A", "\U0001f600", "\x00", "\u0628", "7"]
HUGE_LENGTHS = [1_000, 20_000, 120_000]
LONE_SURROGATES = ["\ud800", "a\udfffb", "\udbff\udc00\udc00"]
# Bytes that are not UTF-8: a lone surrogate (CESU), an overlong NUL, stray bytes.
INVALID_UTF8 = [b"\xed\xa0\x80", b"\xc0\x80", b"\xff\xfe", b"\x80abc", b"caf\xe9"]

huge_text = st.builds(
    lambda unit, n: unit * n, st.sampled_from(HUGE_UNITS), st.sampled_from(HUGE_LENGTHS)
)
number_text = st.integers(-(2**70), 2**70).map(str)


def junk_text(surrogates: bool = False) -> st.SearchStrategy[str]:
    """Nasty strings: known troublemakers, random unicode, huge ones (lone surrogates too)."""
    branches = [st.sampled_from(NASTY_TEXT), st.text(max_size=30), huge_text, number_text]
    if surrogates:
        branches.append(st.sampled_from(LONE_SURROGATES))
        branches.append(
            st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=4)
        )
    return st.one_of(branches)


def json_value(ids: list[int], *, binary: bool = True) -> st.SearchStrategy:
    """Any JSON value (bytes too, which Socket.IO carries): wrong types at every depth."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([0, -1, MAX_ID, MAX_ID + 1, 2**63, -(2**63) - 1, 10**99]),
        st.sampled_from(ids) if ids else st.nothing(),
        st.floats(),
        junk_text(surrogates=True),
        st.binary(max_size=16) if binary else st.nothing(),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.dictionaries(junk_text(surrogates=True), inner, max_size=4)
        ),
        max_leaves=10,
    )


def id_like(ids: list[int]) -> st.SearchStrategy[int]:
    """Numbers a database id could be, or cannot: other events' ids, 0, past the maximum."""
    return st.one_of(
        st.sampled_from(ids) if ids else st.nothing(),
        st.sampled_from([0, 1, 2, MAX_ID, MAX_ID + 1, 2**63, 10**30]),
        st.integers(1, 60),
    )


# --- the world -----------------------------------------------------------------------------------


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory across the fuzz's apps (keyed by source checksum).

    Each route gets a fresh app, whose Jinja environment would compile every template
    again: a third of a second per route.
    """

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        """Fill the bucket from the store, if this template was compiled before."""
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        """Keep a newly compiled template."""
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedBytecodeCache()


def build_fuzz_world(app, monkeypatch, make_event, make_user, login, make_poll, make_registration):
    """Return the matrix's world, quick to build, and the ids of the other event's objects."""
    app.jinja_env.bytecode_cache = TEMPLATES
    cheap_password_hashes(monkeypatch)
    world = build_world(app, make_event, make_user, login, make_poll, make_registration)
    return world, populate_other(world)


def cheap_password_hashes(monkeypatch) -> None:
    """Hash the world's staff passwords with one PBKDF2 round instead of scrypt.

    The fuzz builds a world per route; scrypt made that two seconds each. Checking a
    password reads the method from the stored hash, so signing in stays real.
    """
    from voting.accounts import service as accounts

    monkeypatch.setattr(
        accounts,
        "generate_password_hash",
        lambda password, method=None: generate_password_hash(password, "pbkdf2:sha256:1"),
    )


def populate_other(world: World) -> list[int]:
    """Give the other event objects of every kind; return their ids (sent as hostile ids)."""
    other = world.other
    other.days = [EventDay(date=dt.date.today(), title="Elsewhere day")]
    other.themes = [Theme(title="Elsewhere theme", position=0)]
    db.session.commit()
    poll = polls.open_poll(polls.create_poll(other, PollData(title="Far?", options=["X", "Y"])))
    polls.cast_vote(other, poll.id, "far-voter", {"choices": [poll.options[0].id]}, "far-vote-1")
    idea = ideas.approve(other, ideas.propose(other, "far-idea", "An idea elsewhere").id)
    question = qna.ask(other, "far-asker", "A question elsewhere?")
    registration, _token = world.make_registration(other)
    slot = breakouts.create_slot(other, TimeData(other.days[0].id, "09:00", "10:00", "Far"))
    session = breakouts.create_session(other, slot, SessionData(title="Far", capacity=5))
    ids = {
        poll.id,
        *(option.id for option in poll.options),
        idea.id,
        question.id,
        registration.id,
        slot.id,
        session.id,
        other.id,
        other.days[0].id,
        other.themes[0].id,
        world.users[MODERATOR].id,
        world.spare.id,
    }
    return sorted(ids)


def repair(world: World) -> None:
    """Undo what an accepted example did to the world itself (an event's code, who may join).

    Accepted input may change anything; these changes would make every later example of
    the route miss (a 404 for a renamed event), so the fuzz puts them back.
    """
    for event_id, code in ((world.event.id, CODE), (world.other.id, OTHER_CODE)):
        event = db.session.get(Event, event_id)
        if event.code != code or not event.allow_anonymous or event.assignment_published_at:
            event.code, event.allow_anonymous = code, True
            event.assignment_published_at = None  # rankings open again
            db.session.commit()
    db.session.rollback()


def table_digests() -> dict[str, str]:
    """Return a SHA-256 of every table's rows in primary-key order, by table name.

    database_fingerprint() of tests/authorisation_helpers.py, table by table, so that a
    failure says which tables changed.
    """
    digests = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()  # end the read, so the next request sees fresh rows
    return digests


# A refused request may still show personal data (a refused move shows the assignment's
# rosters again); that look is written to the access log, as every look is. The row
# records the look; it is not a change the input made.
RECORDS_OF_LOOKS = {"access_log"}


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Return the tables whose rows differ, but the access log."""
    return sorted(
        name
        for name in before.keys() | after.keys()
        if before.get(name) != after.get(name) and name not in RECORDS_OF_LOOKS
    )


# --- refusals --------------------------------------------------------------------------------------

# Markers of a message shown to a person on an HTML page (flashes, field errors, error page).
MESSAGE_MARKERS = (
    'role="alert"',
    'class="field-error"',
    "has-error",
    'class="error-message"',
    "notice error",
    "row-errors",
    "alert-danger",
)
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def documented_socket_errors() -> set[str]:
    """Return the error codes docs/realtime.md lists in its "| code | when |" tables."""
    codes: set[str] = set()
    in_table = False
    for line in (ROOT / "docs" / "realtime.md").read_text().splitlines():
        if line.startswith("| code | when |"):
            in_table = True
        elif in_table and line.startswith("| `"):
            codes.add(line.split("`")[1])
        elif in_table and not line.startswith("|"):
            in_table = False
    return codes


# --- figures ----------------------------------------------------------------------------------------


def run_fuzz(
    check: Callable[[st.DataObject], None], part: str, key: str, examples: int = EXAMPLES
) -> None:
    """Run `check` on up to `examples` Hypothesis draws, then record how many ran."""
    runs = 0

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(data=st.data())
    def fuzz(data):
        nonlocal runs
        runs += 1
        check(data)

    fuzz()
    record_examples(part, key, runs)


def record_examples(part: str, key: str, examples: int) -> None:
    """Add one route's or event's example count to the figures file (docs/reliability.md).

    Each test writes its own line, so the totals are right whichever of them ran.
    """
    figures = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    figures.setdefault(part, {})[key] = examples
    for name in ("http", "api", "sockets"):
        figures[f"{name}_targets"] = len(figures.get(name, {}))
        figures[f"{name}_examples"] = sum(figures.get(name, {}).values())
    figures["examples"] = sum(figures[f"{name}_examples"] for name in ("http", "api", "sockets"))
    figures["examples_per_target"] = EXAMPLES
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
