"""Helpers of the authorisation matrix: the roles' clients, a database fingerprint, and how
each action is performed with valid input (tests/test_authorisation_matrix.py holds who
may do what)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from flask.testing import FlaskClient
from sqlalchemy import select

from voting.accounts.service import create_token, create_user, password_link_token
from voting.breakouts import outcomes, preferences
from voting.breakouts import service as breakouts
from voting.breakouts.service import SessionData, TimeData
from voting.campaigns import service as campaigns
from voting.checkin import service as checkin
from voting.extensions import db
from voting.ideas import service as ideas
from voting.models import (
    Ballot,
    Breakout,
    BreakoutMode,
    Event,
    EventDay,
    ListingStatus,
    Poll,
    Registration,
    RegistrationStatus,
    Theme,
    User,
)
from voting.polls import service as polls
from voting.qna import service as qna

ANONYMOUS = "anonymous"
PARTICIPANT = "participant"
ATTENDEE = "attendee"
CHECKIN = "checkin"
OTHER_MODERATOR = "other_moderator"
MODERATOR = "moderator"
ADMIN = "admin"
CAMPAIGN_ADMIN = "campaign_admin"  # of the matrix's campaign; staff of no event
ROLES = (
    ANONYMOUS,
    PARTICIPANT,
    ATTENDEE,
    CHECKIN,
    OTHER_MODERATOR,
    MODERATOR,
    ADMIN,
    CAMPAIGN_ADMIN,
)
# Roles signed in with a staff account (the others are browsers and phones).
STAFF_ROLES = frozenset({CHECKIN, OTHER_MODERATOR, MODERATOR, ADMIN, CAMPAIGN_ADMIN})

CODE = "MATRIX"
OTHER_CODE = "ELSEWHERE"
CAMPAIGN = "matrix-campaign"


def database_fingerprint() -> str:
    """Return a SHA-256 over every row of every table, in primary-key order."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        digest.update(table.name.encode())
        digest.update(repr(rows).encode())
    db.session.rollback()  # end the read, so the next request sees fresh rows
    return digest.hexdigest()


@dataclass
class Who:
    """One role's browser for one cell: its client and, for the attendee, its registration."""

    role: str
    client: FlaskClient
    registration: Registration | None = None
    token: str | None = None  # API bearer token of a staff account

    def api_headers(self) -> dict:
        """Return the Authorization header this role sends to the API (none without a token)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Request:
    """A concrete HTTP request: method, path, form (CSRF token added) or JSON body."""

    method: str
    url: str
    data: dict = field(default_factory=dict)
    json: object = None
    multipart: bool = False


@dataclass
class World:
    """Two events, the staff accounts signed in once, and factories for fresh targets."""

    app: object
    event: Event
    other: Event
    make_poll: Callable
    make_registration: Callable
    login: Callable
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    spare: User | None = None
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- roles -------------------------------------------------------------------------

    def who(self, role: str) -> Who:
        """Return the role's browser for a new cell (phones fresh, staff signed in once)."""
        if role in STAFF_ROLES:
            client = self.clients[role]
            with client.session_transaction() as session:
                # A staff browser that registered or voted in an earlier cell is a phone
                # or attendee too; each cell starts it as the staff account alone.
                session.pop("attendees", None)
                session.pop("participants", None)
            return Who(role, client, token=self.tokens[role])
        client = self.app.test_client()
        if role == PARTICIPANT:
            assert client.get(f"/e/{CODE}").status_code == 200
            return Who(role, client)
        if role == ATTENDEE:
            registration, link = self.make_registration(self.event)
            assert client.get(f"/e/{CODE}/r/{link}").status_code == 302
            self.signup_mode()
            breakouts.sign_up(registration, self.breakout())
            return Who(role, client, registration=registration)
        return Who(role, client)

    def sign_in_again(self, role: str) -> None:
        """Sign a staff client in again (after a cell that signed it out)."""
        self.login(self.clients[role], self.users[role])

    # --- targets -----------------------------------------------------------------------

    def n(self) -> int:
        """Return a new number for unique texts."""
        return next(self.counter)

    def poll(self, **fields) -> Poll:
        """Return a new draft poll of the event."""
        return self.make_poll(self.event, title=f"Poll {self.n()}?", **fields)

    def open_poll(self, **fields) -> Poll:
        """Return a new open poll of the event."""
        return polls.open_poll(self.poll(**fields))

    def closed_poll(self, **fields) -> Poll:
        """Return a new closed poll of the event."""
        return polls.close_poll(self.open_poll(**fields))

    def registration(self, **fields) -> Registration:
        """Return a new confirmed registration of the event."""
        return self.make_registration(self.event, **fields)[0]

    def idea(self, approved: bool = True):
        """Return a new idea of the event (approved unless asked otherwise)."""
        idea = ideas.propose(self.event, f"seed-{self.n()}", f"Idea number {self.n()}")
        return ideas.approve(self.event, idea.id) if approved else idea

    def question(self, approved: bool = True):
        """Return a new question of the event (approved unless asked otherwise)."""
        question = qna.ask(self.event, f"seed-{self.n()}", f"Question number {self.n()}?")
        if approved and str(question.status) == "pending":
            question = qna.approve(self.event, question.id)
        return question

    def slot(self):
        """Return a new breakout slot on the event's first day."""
        start = 8 + self.n() % 10
        data = TimeData(self.event.days[0].id, f"{start:02d}:00", f"{start:02d}:30", "Slot")
        return breakouts.create_slot(self.event, data)

    def session(self, slot=None) -> Breakout:
        """Return a new breakout session (in a new slot unless one is given)."""
        data = SessionData(title=f"Session {self.n()}", room="Room", capacity=50)
        return breakouts.create_session(self.event, slot or self.slot(), data)

    def breakout(self) -> Breakout:
        """Return the event's standing breakout session (made once)."""
        found = db.session.scalar(select(Breakout).where(Breakout.title == "Standing session"))
        if found is None:
            data = SessionData(title="Standing session", room="Agora", capacity=500)
            found = breakouts.create_session(self.event, self.slot(), data)
        return found

    def signup_mode(self) -> None:
        """Put the event's breakouts in first-come sign-up, open."""
        if self.event.breakout_mode != BreakoutMode.signup or not self.event.breakout_signup_open:
            breakouts.set_mode(self.event, "signup")
            breakouts.set_signup_open(self.event, True)

    def preference_mode(self) -> None:
        """Put the event's breakouts in preference ranking, open, with no seats."""
        from voting.models import BreakoutSeat

        db.session.execute(BreakoutSeat.__table__.delete())
        # An assignment published in an earlier cell would close the rankings.
        self.event.assignment_published_at = None
        db.session.commit()
        breakouts.set_mode(self.event, "preference")
        breakouts.set_signup_open(self.event, True)

    def outcome(self) -> None:
        """Give the standing breakout an outcome, with no plenary dot-vote yet."""
        self.no_dot_vote()
        proposals = [f"Proposal {self.n()}", f"Proposal {self.n()}"]
        data = outcomes.OutcomeData(summary="We agreed.", proposals=proposals)
        outcomes.submit_outcome(self.breakout(), data, allowed=True)

    def no_dot_vote(self) -> None:
        """Delete the plenary dot-vote poll if one was prepared (outcomes are open again)."""
        poll = outcomes.dot_vote_poll(self.event.id)
        if poll is not None:
            polls.delete_poll(poll)


def build_world(app, make_event, make_user, login, make_poll, make_registration) -> World:
    """Create the events, the staff accounts (signed in) and their API tokens."""
    event = make_event(CODE, name="Matrix event")
    today = dt.date.today()
    event.days = [EventDay(date=today, title="Day one"), EventDay(date=today, title="Day two")]
    event.themes = [Theme(title="Skills", position=0)]
    event.breakout_signup_open = True
    db.session.commit()
    other = make_event(OTHER_CODE, name="Another event")
    world = World(app, event, other, make_poll, make_registration, login)
    world.users = {
        CHECKIN: make_user("checkin", events=[event]),
        OTHER_MODERATOR: make_user("moderator", events=[other]),
        MODERATOR: make_user("moderator", events=[event]),
        ADMIN: make_user("admin"),
        CAMPAIGN_ADMIN: make_user("campaign_admin"),
    }
    campaign = campaigns.create_campaign(
        campaigns.CampaignData(
            CAMPAIGN, "Matrix campaign", today, today + dt.timedelta(days=90), themes=["Skills"]
        )
    )
    campaigns.add_campaign_admin(campaign, world.users[CAMPAIGN_ADMIN])
    world.spare = make_user("moderator")
    for role, user in world.users.items():
        world.clients[role] = login(app.test_client(), user)
        world.tokens[role] = create_token(user)
    # The moderator of another event is refused here for the event, not for a broken account.
    assert world.clients[OTHER_MODERATOR].get(f"/manage/{OTHER_CODE}/polls").status_code == 200
    return world


# --- how each action is performed ----------------------------------------------------------
# Each builder gets the world and the role's browser and returns the request to send; it
# may first create what the action needs (a fresh poll, a seat), which happens before the
# "before" fingerprint is taken.

M = f"/manage/{CODE}"
E = f"/e/{CODE}"
A = f"/api/v1/events/{CODE}"


def _get(url: str) -> Callable:
    return lambda w, who: Request("GET", url)


def _post(url: str, **data) -> Callable:
    return lambda w, who: Request("POST", url, data=dict(data))


def _poll_act(action: str, make: str = "poll", **fields) -> Callable:
    """Return a builder of a console button on a fresh poll (`make`: poll, open_poll, ...)."""

    def build(w: World, who: Who) -> Request:
        poll = getattr(w, make)(**fields)
        if action == "withdraw_receipts":
            polls.publish_receipts(poll)
        if action == "hide":
            polls.reveal_results(poll)
        data = {"confirm": "yes"} if action in ("reset", "delete") else {}
        return Request("POST", f"{M}/polls/{poll.id}/{action}", data=data)

    return build


def _poll_form(w: World) -> dict:
    return {"title": f"New poll {w.n()}?", "kind": "single", "option": ["Yes", "No"]}


def _poll_edit(method: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        poll = w.poll()
        data = _poll_form(w) if method == "POST" else {}
        return Request(method, f"{M}/polls/{poll.id}/edit", data=data)

    return build


def _moderate_answer(w: World, who: Who) -> Request:
    poll = w.open_poll(kind="text", options=[], moderate_answers=True)
    polls.cast_vote(w.event, poll.id, f"seed-{w.n()}", {"text": "An answer"}, f"seed-vote-{w.n()}")
    ballot = db.session.scalar(select(Ballot).where(Ballot.poll_id == poll.id))
    return Request("POST", f"{M}/polls/{poll.id}/answers/{ballot.id}", data={"status": "shown"})


def _next_poll(w: World, who: Who) -> Request:
    w.poll()
    return Request("POST", f"{M}/polls/next")


def _display_look(w: World, who: Who) -> Request:
    w.event.display_contrast = w.event.display_large_text = False
    db.session.commit()
    return Request("POST", f"{M}/polls/display/options", data={"contrast": "y", "large_text": "y"})


def _clear_display(w: World, who: Who) -> Request:
    polls.show_on_display(w.event, w.poll())
    return Request("POST", f"{M}/polls/display/clear")


def _receipts(published: bool) -> Callable:
    def build(w: World, who: Who) -> Request:
        poll = w.closed_poll()
        if published:
            polls.publish_receipts(poll)
        return Request("GET", f"{E}/polls/{poll.id}/receipts")

    return build


def _vote(**fields) -> Callable:
    def build(w: World, who: Who) -> Request:
        poll = w.open_poll(**fields)
        data = {"choice": str(poll.options[0].id), "vote_id": f"form-vote-{w.n()}"}
        return Request("POST", f"{E}/polls/{poll.id}/vote", data=data)

    return build


def _idea_mod(action: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        idea = w.idea(approved=action != "approve")
        return Request("POST", f"{M}/ideas/{idea.id}/{action}")

    return build


def _idea_edit(w: World, who: Who) -> Request:
    idea = w.idea()
    return Request("POST", f"{M}/ideas/{idea.id}/edit", data={"text": f"Better idea {w.n()}"})


def _idea_merge(w: World, who: Who) -> Request:
    source, target = w.idea(), w.idea()
    return Request("POST", f"{M}/ideas/{source.id}/merge", data={"into": str(target.id)})


def _idea_promote(w: World, who: Who) -> Request:
    idea = w.idea()
    return Request("POST", f"{M}/ideas/promote", data={"idea": str(idea.id)})


def _idea_upvote(w: World, who: Who) -> Request:
    return Request("POST", f"{E}/ideas/{w.idea().id}/upvote")


def _qna_mod(action: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        question = w.question(approved=action != "approve")
        return Request("POST", f"{M}/qna/{question.id}/{action}")

    return build


def _qna_edit(w: World, who: Who) -> Request:
    question = w.question()
    return Request("POST", f"{M}/qna/{question.id}/edit", data={"text": f"Clearer {w.n()}?"})


def _qna_settings(w: World, who: Who) -> Request:
    qna.update_settings(w.event, needs_approval=True, open_=True)
    return Request("POST", f"{M}/qna/settings", data={"open": "y"})


def _qna_unhighlight(w: World, who: Who) -> Request:
    qna.highlight(w.event, w.question().id)
    return Request("POST", f"{M}/qna/unhighlight")


def _qna_upvote(w: World, who: Who) -> Request:
    return Request("POST", f"{E}/qna/{w.question().id}/upvote")


def _checkin(path: str, method: str = "GET", checked_in: bool = False, **data) -> Callable:
    def build(w: World, who: Who) -> Request:
        registration = w.registration()
        if checked_in:
            checkin.check_in(registration, w.users[ADMIN])
        return Request(method, path.format(id=registration.id), data=dict(data))

    return build


def _slot_form(w: World) -> dict:
    start = 8 + w.n() % 10
    return {
        "day_id": str(w.event.days[1].id),
        "starts_at": f"{start:02d}:00",
        "ends_at": f"{start:02d}:45",
        "title": f"Time {w.n()}",
    }


def _breakout_staff(action: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        w.signup_mode()
        data: dict = {}
        if action in ("slot-create", "item-create"):
            data = _slot_form(w)
        elif action in ("slot-update", "slot-delete"):
            data = {**_slot_form(w), "id": str(w.slot().id)}
        elif action in ("item-update", "item-delete"):
            item = breakouts.create_agenda_item(
                w.event, TimeData(w.event.days[1].id, "07:00", "07:30", f"Coffee {w.n()}")
            )
            data = {**_slot_form(w), "id": str(item.id)}
        elif action == "session-create":
            data = {"slot_id": str(w.slot().id), "title": f"Talk {w.n()}", "capacity": "10"}
        elif action == "theme-sessions":
            theme = w.event.themes[0]
            data = {"slot_id": str(w.slot().id), "theme_id": str(theme.id), "capacity": "10"}
        elif action in ("session-update", "session-delete"):
            data = {"id": str(w.session().id), "title": f"Renamed {w.n()}", "capacity": "12"}
        elif action == "mode":
            breakouts.set_mode(w.event, "preference")
            data = {"mode": "signup"}
        elif action == "signup":
            breakouts.set_signup_open(w.event, False)
            data = {"open": "1"}
        return Request("POST", f"{M}/breakouts/{action}", data=data)

    return build


def _attendee_breakout(action: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        w.signup_mode()
        slot = w.slot()
        first, second = w.session(slot), w.session(slot)
        if who.registration is not None and action in ("switch", "withdraw"):
            breakouts.sign_up(who.registration, first)
        target = second if action == "switch" else first
        return Request("POST", f"{E}/breakouts/{target.id}/{action}")

    return build


def _rosters(w: World, who: Who) -> Request:
    return Request("POST", f"{E}/breakouts/rosters", data={"show_on_rosters": "y"})


def _rank(method: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        w.preference_mode()
        if method == "GET":
            return Request("GET", f"{E}/breakouts/rank")
        slot = w.breakout().slot
        return Request(
            "POST", f"{E}/breakouts/rank", data={f"slot-{slot.id}-1": str(w.breakout().id)}
        )

    return build


def _assignment(action: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        w.preference_mode()
        registration = w.registration()
        preferences.save_ranking(w.event, registration, {w.breakout().slot_id: [w.breakout().id]})
        data: dict = {"rerun": "1"}
        if action in ("move", "publish"):
            preferences.preview(w.event, rerun=True)
        if action == "move":
            other = w.session(w.breakout().slot)
            data = {"registration_id": str(registration.id), "breakout_id": str(other.id)}
        return Request("POST", f"{M}/breakouts/assignment/{action}", data=data)

    return build


def _assignment_page(w: World, who: Who) -> Request:
    w.preference_mode()
    return Request("GET", f"{M}/breakouts/assignment")


def _breakout_polls(method: str, action: str = "") -> Callable:
    def build(w: World, who: Who) -> Request:
        w.signup_mode()
        breakout = w.breakout()
        base = f"{E}/breakouts/{breakout.id}/polls"
        if method == "GET":
            return Request("GET", base)
        if action == "create":
            return Request("POST", base, data={"title": f"Q {w.n()}?", "options": "A\nB"})
        poll = w.make_poll(w.event, title=f"Breakout poll {w.n()}?", breakout_id=breakout.id)
        if action in ("close", "vote"):
            polls.open_poll(poll)
        if action == "vote":
            data = {"choice": str(poll.options[0].id), "vote_id": f"bvote-{w.n()}"}
            return Request("POST", f"{base}/{poll.id}/vote", data=data)
        return Request("POST", f"{base}/{poll.id}/{action}")

    return build


def _outcome(method: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        w.signup_mode()
        w.no_dot_vote()
        url = f"{E}/breakouts/{w.breakout().id}/outcome"
        data = {"summary": f"Summary {w.n()}", "proposal": [f"Do {w.n()}"]}
        return Request(method, url, data=data if method == "POST" else {})

    return build


def _dot_vote(w: World, who: Who) -> Request:
    w.signup_mode()
    w.outcome()
    return Request("POST", f"{M}/report/dot-vote")


def _registration(path: str, method: str = "GET", state=RegistrationStatus.confirmed, **data):
    def build(w: World, who: Who) -> Request:
        registration = w.registration(status=state)
        return Request(method, path.format(id=registration.id), data=dict(data))

    return build


def _person_form(w: World) -> dict:
    return {
        "first_name": "Nina",
        "last_name": f"Novak{w.n()}",
        "email": f"nina{w.n()}@example.org",
        "organisation": "Slovenian Cluster",
        "country": "SI",
        "day_ids": [str(w.event.days[0].id)],
    }


def _staff_edit(w: World, who: Who) -> Request:
    registration = w.registration()
    data = {**_person_form(w), "email": registration.email}
    return Request("POST", f"{M}/registrations/{registration.id}", data=data)


CSV_HEADER = "first_name;last_name;email;organisation;country\n"


def _upload(w: World, who: Who) -> Request:
    body = f"{CSV_HEADER}Ada;Lovelace{w.n()};ada{w.n()}@example.org;Engines;GB\n"
    return Request(
        "POST",
        f"{M}/registrations/import",
        data={"file": (io.BytesIO(body.encode()), "people.csv")},
        multipart=True,
    )


def _uploaded(w: World) -> str:
    """Upload a file as the admin and return the mapping page's path."""
    admin = w.clients[ADMIN]
    from tests.conftest import csrf_from

    token = csrf_from(admin.get(f"{M}/registrations/import").get_data(as_text=True))
    request = _upload(w, None)
    response = admin.post(
        request.url, data={**request.data, "csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


MAPPING = {
    "map_first_name": "0",
    "map_last_name": "1",
    "map_email": "2",
    "map_organisation": "3",
    "map_country": "4",
}


def _import_step(step: str) -> Callable:
    def build(w: World, who: Who) -> Request:
        path = _uploaded(w)
        if step == "mapping":
            return Request("GET", path)
        if step == "preview":
            query = "&".join(f"{k}={v}" for k, v in MAPPING.items())
            return Request("GET", f"{path}/preview?{query}")
        return Request("POST", f"{path}/run", data=dict(MAPPING))

    return build


def _weights(w: World, who: Who) -> Request:
    registration = w.registration()
    data = {"action": "save", f"weight-{registration.id}": "2"}
    return Request("POST", f"{M}/registrations/weights", data=data)


def _register(w: World, who: Who) -> Request:
    data = {**_person_form(w), "consent_privacy": "y"}
    return Request("POST", f"{E}/register", data=data)


def _me_edit(w: World, who: Who) -> Request:
    data = _person_form(w)
    if who.registration is not None:
        data["email"] = who.registration.email
    return Request("POST", f"{E}/me/edit", data=data)


def _admin_settings(w: World, who: Who) -> Request:
    data = {
        "code": CODE,
        "name": f"Matrix event {w.n()}",
        "starts_on": w.event.starts_on.isoformat(),
        "ends_on": w.event.ends_on.isoformat(),
        "allow_anonymous": "y",
    }
    return Request("POST", f"{M}/settings", data=data)


def _create_event(w: World, who: Who) -> Request:
    today = dt.date.today().isoformat()
    data = {"code": f"NEW{w.n():03d}", "name": "New event", "starts_on": today, "ends_on": today}
    return Request("POST", "/manage/new", data=data)


def _add_staff(w: World, who: Who) -> Request:
    from voting.accounts.service import revoke_access

    revoke_access(w.event, w.spare)
    return Request("POST", f"{M}/staff", data={"email": w.spare.email})


def _remove_staff(w: World, who: Who) -> Request:
    from voting.accounts.service import grant_access

    grant_access(w.event, w.spare)
    return Request("POST", f"{M}/staff/{w.spare.id}/remove")


def _registration_settings(w: World, who: Who) -> Request:
    data = {"registration_open": "y", "capacity": str(100 + w.n()), "retention_days": ""}
    return Request("POST", f"{M}/registration", data=data)


def _add_question(w: World, who: Who) -> Request:
    data = {"label": f"Question {w.n()}", "kind": "text"}
    return Request("POST", f"{M}/registration/questions", data=data)


def _remove_question(w: World, who: Who) -> Request:
    from voting.registration import setup

    question = setup.add_question(w.event, f"Asked {w.n()}", "text", "", False)
    return Request("POST", f"{M}/registration/questions/{question.id}/remove")


# --- the API ----------------------------------------------------------------------------------


def _api_poll(method: str, suffix: str, make: str = "poll", publish: bool = False) -> Callable:
    def build(w: World, who: Who) -> Request:
        poll = getattr(w, make)()
        if publish:
            polls.publish_receipts(poll)
        return Request(method, f"{A}/polls/{poll.id}{suffix}")

    return build


def _api_next(w: World, who: Who) -> Request:
    w.poll()
    return Request("POST", f"{A}/polls/next")


def _api_create(w: World, who: Who) -> Request:
    return Request(
        "POST", f"{A}/polls", json={"title": f"API poll {w.n()}?", "options": ["A", "B"]}
    )


def _api_checkin(w: World, who: Who) -> Request:
    return Request("POST", f"{A}/registrations/{w.registration().id}/checkin")


# --- sockets ------------------------------------------------------------------------------------


def socket_steps(w: World, who: Who, action: str) -> list[tuple[str, dict]]:
    """Return the socket events of an action: the joins it needs, then the action itself."""
    name, _, variant = action.partition(" ")
    if name == "join":
        return [("join", {"event": CODE, "role": variant})]
    if name in ("join_ideas", "join_qna"):
        return [(name, {"event": CODE, "role": variant})]
    if name in ("join_checkin", "join_breakouts"):
        return [(name, {"event": CODE})]
    if name == "cast_vote":
        fields = {"eligibility": "registered"} if variant == "registered" else {}
        poll = w.open_poll(**fields)
        vote = {"poll_id": poll.id, "vote_id": f"socket-vote-{w.n()}"}
        vote["choices"] = [poll.options[0].id]
        return [("join", {"event": CODE}), ("cast_vote", vote)]
    if name == "upvote_idea":
        return [("join_ideas", {"event": CODE}), (name, {"idea_id": w.idea().id})]
    if name == "propose_idea":
        return [("join_ideas", {"event": CODE}), (name, {"text": f"Socket idea {w.n()}"})]
    if name == "upvote_question":
        return [("join_qna", {"event": CODE}), (name, {"question_id": w.question().id})]
    if name == "ask_question":
        return [("join_qna", {"event": CODE}), (name, {"text": f"Socket question {w.n()}?"})]
    raise AssertionError(f"no socket steps for {action}")


def _campaign_get(path: str) -> Callable:
    """GET a page of the matrix's campaign (created on first use), e.g. its CSV exports."""

    def build(w: World, who: Who) -> Request:
        from voting.campaigns.service import CampaignData, create_campaign
        from voting.models import Campaign

        if db.session.scalar(select(Campaign).where(Campaign.slug == CAMPAIGN)) is None:
            today = dt.date.today()
            create_campaign(
                CampaignData(CAMPAIGN, "Matrix campaign", today, today + dt.timedelta(days=90))
            )
        return Request("GET", f"/manage/campaigns/{CAMPAIGN}{path}")

    return build


def matrix_campaign():
    """Return the matrix's campaign."""
    return campaigns.find_campaign(CAMPAIGN)


def listing_form(w: World, **fields) -> dict:
    """Return a valid listing form for the matrix's campaign."""
    today = dt.date.today()
    return {
        "organisation": "Matrix cluster",
        "contact_name": "Ana Lima",
        "contact_email": "organiser@example.org",
        "title": f"Matrix event {w.n()}",
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
        "city": "Lille",
        "country": "FR",
        "format": "workshop",
        "themes": ["Skills"],
        "expected_participants": "40",
        **fields,
    }


def new_listing(w: World, *, approved: bool = False):
    """Return a fresh listing of the matrix's campaign and its organiser's token."""
    data = campaigns.ListingData(
        **{
            **listing_form(w),
            "starts_on": dt.date.today(),
            "ends_on": dt.date.today(),
            "themes": ["Skills"],
            "expected_participants": 40,
        }
    )
    listing, token = campaigns.submit_listing(matrix_campaign(), data)
    if approved:
        # Approve by hand: the service would replace the token (it is mailed, not returned).
        listing.status = ListingStatus.approved
        db.session.commit()
    return listing, token


def _organiser_edit(w: World, who: Who) -> Request:
    _listing, token = new_listing(w)
    return Request("POST", f"/c/{CAMPAIGN}/listing/{token}", data=listing_form(w, city="Roubaix"))


def _organiser_creates_event(w: World, who: Who) -> Request:
    _listing, token = new_listing(w, approved=True)
    return Request("POST", f"/c/{CAMPAIGN}/listing/{token}/create-event")


def _review(action: str, **data) -> Callable:
    """Return a builder of a review button on a fresh listing (approved first for create-event)."""

    def build(w: World, who: Who) -> Request:
        listing, _token = new_listing(w, approved=action == "create-event")
        url = f"/manage/campaigns/{CAMPAIGN}/listings/{listing.id}/{action}"
        return Request("POST", url, data=dict(data))

    return build


def _new_campaign(w: World, who: Who) -> Request:
    today = dt.date.today()
    data = {
        "name": f"Campaign {w.n()}",
        "slug": f"campaign-{w.n()}",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat(),
        "themes": "Skills",
    }
    return Request("POST", "/manage/campaigns/new", data=data, multipart=True)


def _edit_campaign(w: World, who: Who) -> Request:
    """Rename the matrix's campaign, keeping its period and themes (its listings use them)."""
    campaign = matrix_campaign()
    data = {
        "name": f"Matrix campaign {w.n()}",
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "contact_email": "office@example.org",
        "themes": "\n".join(campaign.themes),
    }
    return Request("POST", f"/manage/campaigns/{CAMPAIGN}/edit", data=data)


def _link_campaign_admin(w: World, who: Who) -> Request:
    user = create_user(f"campaign{w.n()}@example.org", "a long password", "campaign_admin")
    return Request("POST", f"/manage/campaigns/{CAMPAIGN}/admins", data={"email": user.email})


def _change_logo(w: World, who: Who) -> Request:
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n" + w.n().to_bytes(4, "big") * 8)
    data = {"logo": (png, "logo.png")}
    return Request("POST", f"/manage/campaigns/{CAMPAIGN}/logo", data=data, multipart=True)


def _set_password(w: World, who: Who) -> Request:
    user = create_user(f"newcomer{w.n()}@example.org", "a long password", "moderator")
    token = password_link_token(user, w.app.secret_key)
    password = "another long password"
    return Request("POST", f"/password/{token}", data={"password": password, "confirm": password})


# --- how each HTTP action is performed (keys as in the matrix's table) ------------------------

HTTP_REQUESTS: dict[str, Callable] = {
    # staff home, events and their staff (admins)
    "GET admin.home": _get("/manage/"),
    "GET admin.create_event": _get("/manage/new"),
    "POST admin.create_event": _create_event,
    "GET admin.settings": _get(f"{M}/settings"),
    "POST admin.settings": _admin_settings,
    "POST admin.add_staff": _add_staff,
    "POST admin.remove_staff": _remove_staff,
    "GET admin.registration_settings": _get(f"{M}/registration"),
    "POST admin.registration_settings": _registration_settings,
    "POST admin.add_question": _add_question,
    "POST admin.remove_question": _remove_question,
    "POST accounts.logout": _post("/logout"),
    # the phone
    "POST events.index": _post("/", code=CODE),
    "POST events.vote": _vote(),
    "POST events.vote registered": _vote(eligibility="registered"),
    "GET receipts.receipts published": _receipts(published=True),
    "GET receipts.receipts unpublished": _receipts(published=False),
    # the console
    "GET polls.console": _get(f"{M}/polls"),
    "GET polls.audit_log": _get(f"{M}/polls/audit"),
    "GET polls.create": _get(f"{M}/polls/new"),
    "POST polls.create": lambda w, who: Request("POST", f"{M}/polls/new", data=_poll_form(w)),
    "GET polls.edit": _poll_edit("GET"),
    "POST polls.edit": _poll_edit("POST"),
    "POST polls.act open": _poll_act("open"),
    "POST polls.act close": _poll_act("close", "open_poll"),
    "POST polls.act reopen": _poll_act("reopen", "closed_poll"),
    "POST polls.act reset": _poll_act("reset", "closed_poll"),
    "POST polls.act reveal": _poll_act("reveal", "open_poll", visibility="hidden"),
    "POST polls.act hide": _poll_act("hide", "open_poll", visibility="hidden"),
    "POST polls.act duplicate": _poll_act("duplicate"),
    "POST polls.act delete": _poll_act("delete"),
    "POST polls.act show": _poll_act("show"),
    "POST polls.act publish_receipts": _poll_act("publish_receipts", "closed_poll"),
    "POST polls.act withdraw_receipts": _poll_act("withdraw_receipts", "closed_poll"),
    "POST polls.moderate_answer": _moderate_answer,
    "POST polls.next_poll": _next_poll,
    "POST polls.clear_display": _clear_display,
    "POST polls.display_look": _display_look,
    # ideas board
    "POST ideas.propose": lambda w, who: Request(
        "POST", f"{E}/ideas", data={"text": f"Form idea {w.n()}"}
    ),
    "POST ideas.upvote": _idea_upvote,
    "GET ideas.manage": _get(f"{M}/ideas"),
    "POST ideas.moderate approve": _idea_mod("approve"),
    "POST ideas.moderate hide": _idea_mod("hide"),
    "POST ideas.edit": _idea_edit,
    "POST ideas.merge": _idea_merge,
    "POST ideas.promote": _idea_promote,
    # Q&A
    "POST qna.ask": lambda w, who: Request("POST", f"{E}/qna", data={"text": f"Form Q {w.n()}?"}),
    "POST qna.upvote": _qna_upvote,
    "GET qna.manage": _get(f"{M}/qna"),
    "GET admin.translations": _get(f"{M}/translations"),
    "POST admin.translations": lambda w, who: Request(
        "POST", f"{M}/translations", data={f"t:event:{w.event.id}:name:fr": f"Nom {w.n()}"}
    ),
    "POST i18n.choose": _post("/language", language="fr", next="/"),
    "POST qna.moderate approve": _qna_mod("approve"),
    "POST qna.moderate hide": _qna_mod("hide"),
    "POST qna.moderate answer": _qna_mod("answer"),
    "POST qna.moderate highlight": _qna_mod("highlight"),
    "POST qna.edit": _qna_edit,
    "POST qna.settings": _qna_settings,
    "POST qna.unhighlight": _qna_unhighlight,
    # the door
    "GET checkin.index": _get(f"{E}/checkin"),
    "GET checkin.attendee": _checkin(f"{E}/checkin/{{id}}"),
    "POST checkin.check_in": _checkin(f"{E}/checkin/{{id}}", "POST"),
    "POST checkin.undo": _checkin(f"{E}/checkin/{{id}}/undo", "POST", True, confirm="yes"),
    "GET checkin.badges": _get(f"{M}/badges"),
    "GET checkin.badge": _checkin(f"{M}/badges/{{id}}"),
    # breakouts
    "GET breakouts.manage": _get(f"{M}/breakouts"),
    **{
        f"POST breakouts.staff_action {action}": _breakout_staff(action)
        for action in (
            "slot-create",
            "slot-update",
            "slot-delete",
            "item-create",
            "item-update",
            "item-delete",
            "session-create",
            "theme-sessions",
            "session-update",
            "session-delete",
            "mode",
            "signup",
        )
    },
    "POST breakouts.act signup": _attendee_breakout("signup"),
    "POST breakouts.act switch": _attendee_breakout("switch"),
    "POST breakouts.act withdraw": _attendee_breakout("withdraw"),
    "POST breakouts.rosters": _rosters,
    "GET assignment.rank": _rank("GET"),
    "POST assignment.rank": _rank("POST"),
    "GET assignment.manage": _assignment_page,
    "POST assignment.act preview": _assignment("preview"),
    "POST assignment.act move": _assignment("move"),
    "POST assignment.act publish": _assignment("publish"),
    "GET breakout_polls.index": _breakout_polls("GET"),
    "POST breakout_polls.create": _breakout_polls("POST", "create"),
    "POST breakout_polls.run open": _breakout_polls("POST", "open"),
    "POST breakout_polls.run close": _breakout_polls("POST", "close"),
    "POST breakout_polls.vote": _breakout_polls("POST", "vote"),
    "GET report.outcome": _outcome("GET"),
    "POST report.outcome": _outcome("POST"),
    # report
    "GET report.report": _get(f"{M}/report"),
    "GET report.report_csv": _get(f"{M}/report.csv"),
    "GET report.report_json": _get(f"{M}/report.json"),
    "POST report.prepare_dot_vote": _dot_vote,
    # registrations, staff side
    "GET registrations.index": _get(f"{M}/registrations"),
    "GET registrations.access": _get(f"{M}/registrations/access-log"),
    "GET registrations.export csv": _get(f"{M}/registrations/export.csv"),
    "GET registrations.export xlsx": _get(f"{M}/registrations/export.xlsx"),
    "GET registrations.new": _get(f"{M}/registrations/new"),
    "POST registrations.new": lambda w, who: Request(
        "POST", f"{M}/registrations/new", data=_person_form(w)
    ),
    "GET registrations.detail": _registration(f"{M}/registrations/{{id}}"),
    "POST registrations.detail": _staff_edit,
    "POST registrations.act approve": _registration(
        f"{M}/registrations/{{id}}/approve", "POST", RegistrationStatus.pending
    ),
    "POST registrations.act reject": _registration(
        f"{M}/registrations/{{id}}/reject", "POST", RegistrationStatus.pending
    ),
    "POST registrations.act move": _registration(
        f"{M}/registrations/{{id}}/move", "POST", status="pending"
    ),
    "POST registrations.act cancel": _registration(f"{M}/registrations/{{id}}/cancel", "POST"),
    "POST registrations.act resend": _registration(
        f"{M}/registrations/{{id}}/resend", "POST", confirm="yes"
    ),
    "GET registrations.import_upload": _get(f"{M}/registrations/import"),
    "POST registrations.import_upload": _upload,
    "GET registrations.import_mapping": _import_step("mapping"),
    "GET registrations.import_preview": _import_step("preview"),
    "POST registrations.import_run": _import_step("run"),
    "GET weights.weights_page": _get(f"{M}/registrations/weights"),
    "POST weights.weights_page": _weights,
    # registrations, the attendee's own
    "POST registration.register": _register,
    "GET registration.me": _get(f"{E}/me"),
    "GET registration.ticket_svg": _get(f"{E}/me/ticket.svg"),
    "GET registration.download": _get(f"{E}/me/data.json"),
    "GET registration.edit": _get(f"{E}/me/edit"),
    "POST registration.edit": _me_edit,
    "POST registration.consent": _post(f"{E}/me/consent", consent_privacy="y"),
    "POST registration.cancel": _post(f"{E}/me/cancel"),
    "POST registration.delete": _post(f"{E}/me/delete", confirm="delete"),
    "POST registration.sign_out": _post(f"{E}/me/sign-out"),
    # a campaign's exports for its reporting
    "GET calendar.listings_csv": _campaign_get("/listings.csv"),
    "GET calendar.summary_csv": _campaign_get("/summary.csv"),
    # campaigns: organisers (their private link is the key), campaign admins, global admins
    "POST campaigns.submit": lambda w, who: Request(
        "POST", f"/c/{CAMPAIGN}/submit", data=listing_form(w)
    ),
    "POST campaigns.listing": _organiser_edit,
    "POST campaigns.create_event": _organiser_creates_event,
    "GET campaigns.index": _get("/manage/campaigns"),
    "POST campaigns.create_campaign": _new_campaign,
    "GET campaigns.review": _get(f"/manage/campaigns/{CAMPAIGN}"),
    "POST campaigns.approve": _review("approve"),
    "POST campaigns.request_changes": _review("request-changes", note="Add the venue."),
    "POST campaigns.reject": _review("reject", note="Out of scope."),
    "POST campaigns.admin_create_event": _review("create-event"),
    "GET campaigns.edit_campaign": _get(f"/manage/campaigns/{CAMPAIGN}/edit"),
    "POST campaigns.edit_campaign": _edit_campaign,
    "POST campaigns.add_admin": _link_campaign_admin,
    "POST campaigns.change_logo": _change_logo,
    "POST accounts.set_password_page": _set_password,
}

API_REQUESTS: dict[str, Callable] = {
    "GET api.event_detail": _get(A),
    "GET api.breakouts": _get(f"{A}/breakouts"),
    "GET api.questions": _get(f"{A}/questions"),
    "GET api.results open": _api_poll("GET", "/results", "open_poll"),
    "GET api.results draft": _api_poll("GET", "/results"),
    "GET api.receipts published": _api_poll("GET", "/receipts", "closed_poll", publish=True),
    "GET api.receipts unpublished": _api_poll("GET", "/receipts", "closed_poll"),
    "POST api.create_poll": _api_create,
    "POST api.open_poll": _api_poll("POST", "/open"),
    "POST api.close_poll": _api_poll("POST", "/close", "open_poll"),
    "POST api.next_poll": _api_next,
    "GET api.registrations": _get(f"{A}/registrations"),
    "POST api.check_in": _api_checkin,
}
