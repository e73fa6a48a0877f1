"""JSON API for integrations (stage graphics, scripts); documented in docs/api.md."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_limiter.util import get_remote_address

from voting import ratelimits
from voting.accounts.service import can_handle_attendees, can_run_polls, user_for_token
from voting.checkin import service as checkin
from voting.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from voting.events.service import lookup_event
from voting.extensions import db, limiter
from voting.packetjson import without_lone_surrogates
from voting.polls import service
from voting.registration.audit import log_access
from voting.web import event_or_404, log_refusal

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _bearer_user():
    """Return the account of the request's bearer token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(token.strip())


def _token_required(allowed, message: str):
    """Make a decorator requiring a bearer token whose account `allowed(user, event)`."""

    def decorator(view):
        @wraps(view)
        def wrapper(code: str, *args, **kwargs):
            user = _bearer_user()
            if user is None:
                log_refusal(request.endpoint, code, None)
                raise NotAuthenticated(
                    "Send Authorization: Bearer <token> of a staff account.", "unauthorized"
                )
            event = event_or_404(code)
            if not allowed(user, event):
                log_refusal(request.endpoint, event.code, user)
                raise Forbidden(message, "forbidden")
            g.api_user = user
            return view(event, *args, **kwargs)

        return wrapper

    return decorator


# A moderator or admin of the event in the URL (polls).
staff_token_required = _token_required(
    can_run_polls, "This token's account is not staff of this event."
)
# Check-in staff and admins of the event (attendees' data and check-in); not moderators.
attendee_token_required = _token_required(
    can_handle_attendees, "This token's account may not see this event's attendees."
)


@bp.get("/events/<code>")
@limiter.limit("600 per minute")
def event_detail(code: str):
    """Return the event and its polls (staff see drafts too)."""
    event = event_or_404(code)
    user = _bearer_user()
    staff = user is not None and can_run_polls(user, event)
    polls = event.polls if staff else service.public_polls(event)
    summaries = [_poll_summary(poll, staff=staff) for poll in polls]
    return jsonify(
        code=event.code,
        name=event.name,
        starts_on=event.starts_on.isoformat(),
        ends_on=event.ends_on.isoformat(),
        venue=event.venue,
        display_poll_id=event.display_poll_id,
        polls=summaries,
    )


SUMMARY_KEYS = ("id", "title", "kind", "status", "max_choices", "visibility", "eligibility")
KIND_KEYS = ("budget", "low_label", "high_label", "majority", "max_length", "moderated")
EXTRA_KEYS = (
    "secret",
    "weighted",
    "duration",
    "closes_at",
    "receipts_published",
    "translations",
)


def _poll_summary(poll, *, staff: bool = False) -> dict:
    """Describe a poll for the API: its settings of its kind, options (quiz answers to staff)."""
    data = service.poll_payload(poll, staff=staff)
    keys = (*SUMMARY_KEYS, *(key for key in KIND_KEYS if key in data), *EXTRA_KEYS, "options")
    return {key: data[key] for key in keys}


# JSON fields of a new poll: name -> (PollData field, accepted types).
POLL_FIELDS = {
    "title": ("title", str),
    "description": ("description", str),
    "kind": ("kind", str),
    "options": ("options", list),
    "max_choices": ("max_choices", int),
    "visibility": ("visibility", str),
    "allow_change": ("allow_change", bool),
    "eligibility": ("eligibility", str),
    "show_countries": ("show_countries", bool),
    "budget": ("budget", int),
    "scale": ("scale", int),
    "low_label": ("scale_low_label", str),
    "high_label": ("scale_high_label", str),
    "majority": ("majority", str),
    "correct": ("correct", list),
    "moderate_answers": ("moderate_answers", bool),
    "secret": ("secret", bool),
    "weighted": ("weighted", bool),
    "duration": ("duration", int),
    "translations": ("translations", dict),  # {lang: {title, description?, options?}}
}


def _poll_data(body) -> service.PollData:
    """Turn a JSON body into PollData, refusing unknown fields and wrong types."""
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object describing the poll.", "invalid_json")
    unknown = sorted(set(body) - set(POLL_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown field: {unknown[0][:40]}.", "invalid_field")
    values = {}
    for name, (attribute, kind) in POLL_FIELDS.items():
        if name not in body:
            continue
        value = body[name]
        wrong_bool = kind is int and isinstance(value, bool)
        if not isinstance(value, kind) or wrong_bool:
            raise InvalidInput(f"{name} must be a {kind.__name__}.", "invalid_field")
        values[attribute] = value
    if not all(isinstance(label, str) for label in values.get("options", [])):
        raise InvalidInput("options must be a list of texts.", "invalid_options")
    if "title" not in values:
        raise InvalidInput("A poll needs a title.", "invalid_title")
    return service.PollData(**{"options": [], **values})


def _json_body():
    """Return the request's JSON body, or None if it is none (or nested too deep to read).

    Lone surrogates ("\\ud800", which no database stores) become U+FFFD, as over sockets.
    """
    try:
        return without_lone_surrogates(request.get_json(silent=True))
    except RecursionError:  # silent covers ValueError only, not "[[[[..." past the stack
        return None


@bp.post("/events/<code>/polls")
@staff_token_required
def create_poll(event):
    """Prepare a poll of any kind from JSON (staff token); answers 201 with the poll."""
    poll = service.create_poll(event, _poll_data(_json_body()))
    return jsonify(_poll_summary(poll, staff=True)), 201


@bp.post("/events/<code>/polls/next")
@staff_token_required
def next_poll(event):
    """Close the poll on the display and open the next prepared one (staff token)."""
    return jsonify(_poll_summary(service.open_next(event), staff=True))


@bp.post("/events/<code>/polls/<int:poll_id>/open")
@staff_token_required
def open_poll(event, poll_id: int):
    """Open a poll (staff token)."""
    poll = service.open_poll(service.find_poll(event, poll_id))
    return jsonify(_poll_summary(poll, staff=True))


@bp.post("/events/<code>/polls/<int:poll_id>/close")
@staff_token_required
def close_poll(event, poll_id: int):
    """Close a poll (staff token)."""
    poll = service.close_poll(service.find_poll(event, poll_id))
    return jsonify(_poll_summary(poll, staff=True))


@limiter.request_filter
def _counted_by_ratelimits() -> bool:
    """Say whether Flask-Limiter should skip this request: the results are counted below.

    A filter rather than `limiter.exempt`: an exempt view still costs Flask-Limiter's
    lookup of its limits on every request, 9 % of this one's samples (benchmarks.md).
    """
    return request.endpoint == "api.results"


@bp.get("/events/<code>/polls/<int:poll_id>/results")
def results(code: str, poll_id: int):
    """Return a poll's tally, honouring its results visibility for non-staff."""
    ratelimits.check("results", get_remote_address())
    user = _bearer_user()
    if user is None:
        # The case under load (a stage graphic polling): answered from the tally cache
        # without loading the event and the poll, which cost three quarters of a request.
        cached = service.fresh_public_results(_event_id(code), poll_id)
        if cached is not None:
            return _results_json(cached)
    event = event_or_404(code)
    poll = service.find_poll(event, poll_id)
    staff = user is not None and can_run_polls(user, event)
    if not staff and poll.status.value == "draft":
        log_refusal(request.endpoint, event.code, user)
        raise Forbidden("This poll has not been opened yet.", "not_public")
    return _results_json(
        service.results_payload(poll, staff=True) if staff else service.cached_public_results(poll)
    )


def _event_id(code: str) -> int | None:
    """Return the id of the event with this code from the short-lived cache, or None."""
    try:
        return lookup_event(code).id
    except NotFound:
        return None


def _results_json(results: dict):
    """Answer a tally as the API shows it: without the push sequence number."""
    payload = dict(results)
    payload.pop("seq", None)
    if payload.get("options") is None:
        payload["options"] = None
    return jsonify(payload)


@bp.get("/events/<code>/polls/<int:poll_id>/receipts")
@limiter.limit("600 per minute")
def receipts(code: str, poll_id: int):
    """Return a closed poll's receipts with their ballots once published (staff: always)."""
    event = event_or_404(code)
    poll = service.find_poll(event, poll_id)
    user = _bearer_user()
    staff = user is not None and can_run_polls(user, event)
    if not poll.receipts_published and not staff:
        log_refusal(request.endpoint, event.code, user)
        raise Forbidden("The receipts of this poll are not published.", "not_public")
    return jsonify(
        poll_id=poll.id,
        kind=str(poll.kind),
        secret=poll.secret,
        weighted=poll.weighted,
        published=poll.receipts_published,
        options=[{"id": option.id, "label": option.label} for option in poll.options],
        receipts=service.receipts(poll),
    )


@bp.get("/events/<code>/registrations")
@attendee_token_required
def registrations(event):
    """List the event's registrations for staff (?status= one status); logged as an access."""
    status = checkin.parse_status(request.args.get("status"))
    rows = checkin.registrations(event, [status] if status else None)
    detail = f"{len(rows)} registrations" + (f", status {status.value}" if status else "")
    log_access(event, g.api_user, "api_registrations", detail)
    db.session.commit()
    return jsonify(
        count=len(rows), registrations=[checkin.registration_payload(row) for row in rows]
    )


@bp.post("/events/<code>/registrations/<int:registration_id>/checkin")
@attendee_token_required
def check_in(event, registration_id: int):
    """Check an attendee in; a second check-in answers 409 with who did it and when."""
    registration = checkin.find_registration(event, registration_id)
    try:
        registration = checkin.check_in(registration, g.api_user)
    except checkin.AlreadyCheckedIn as error:
        return jsonify(
            error=error.code,
            message=error.message,
            checked_in_at=checkin.iso(error.checked_in_at),
            checked_in_by=error.checked_in_by,
        ), error.status
    return jsonify(checked_in_by=g.api_user.email, **checkin.registration_payload(registration))


@bp.get("/events/<code>/breakouts")
@limiter.limit("600 per minute")
def breakouts(code: str):
    """List the event's breakout sessions with their seats (public: figures, no names)."""
    from voting.breakouts.service import sessions_payload

    return jsonify(sessions_payload(event_or_404(code)))


@bp.get("/events/<code>/questions")
@limiter.limit("600 per minute")
def questions(code: str):
    """List the event's public Q&A: live questions ranked (or ?sort=recent), answered ones."""
    from voting.qna import service as qna

    event = event_or_404(code)
    sort = request.args.get("sort", "top")
    sort = sort if sort in qna.SORTS else "top"
    board = qna.board(event.id)
    return jsonify(
        sort=sort,
        open=board["open"],
        highlighted=board["highlighted"],
        questions=qna.sort_questions(board["questions"], sort),
        answered=board["answered"],
    )
