"""The application factory: configuration, extensions, blueprints and socket handlers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Request, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from voting import i18n, packetjson, ratelimits
from voting.config import DEFAULTS
from voting.database import MAX_ID, configure_sqlite, end_context_reads, track_writes
from voting.errors import VotingError, unexpected_error_ack
from voting.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from voting.sessions import SocketAwareSessionInterface

ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """<int:...> in URLs: numbers a database id can be; larger ones are a 404, not a 500."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, max=MAX_ID)


class NamedFieldsRequest(Request):
    """Flask's request without the fields a malformed multipart body gives no name.

    A part whose Content-Disposition has no name becomes a field (or file) named None,
    which Flask-WTF's CSRF check cannot read: any form answered such a body with a 500.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for name in ("form", "files"):
            parsed = self.__dict__.get(name)
            if parsed is not None and None in parsed:
                for dropped in parsed.getlist(None) if name == "files" else ():
                    dropped.close()
                named = ((key, value) for key, value in parsed.items(multi=True) if key is not None)
                self.__dict__[name] = type(parsed)(named)


def build_app(config: dict | None = None) -> Flask:
    """Create the Flask app; `config` overrides the environment (used by tests)."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get(
        "VOTING_INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        "voting",
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = NamedFieldsRequest
    app.config.from_mapping(DEFAULTS)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app)
    app.config["REDIS_URL"] = os.environ.get("REDIS_URL") or None
    if app.config["REDIS_URL"]:
        # Several processes share one count per person, whichever process answers.
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    # The address phones should use (e.g. http://10.0.0.5:5000), shown and encoded in
    # the display's QR code when the projector opens the app under another address.
    app.config["PUBLIC_URL"] = os.environ.get("VOTING_PUBLIC_URL") or None
    _mail_settings(app)
    app.config.update(config)
    _pool_settings(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if os.environ.get("VOTING_HTTPS") == "1":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    # Behind N reverse proxies (nginx: 1), trust their X-Forwarded-For/-Proto/-Host, so
    # that rate limits count each client rather than the proxy's address.
    proxies = int(os.environ.get("VOTING_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    _init_extensions(app)
    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_security_headers(app)
    _register_template_helpers(app)
    return app


def _mail_settings(app: Flask) -> None:
    """Read MAIL_SERVER, MAIL_PORT, ... from the environment (unset: mails go to the outbox)."""
    from voting.mail import MAIL_SETTINGS, parse_setting

    for key, kind in MAIL_SETTINGS.items():
        if os.environ.get(key):
            app.config[key] = parse_setting(kind, os.environ[key])


# Connections each process keeps open to PostgreSQL. SQLAlchemy's default keeps 5 and
# closes any beyond them once used; under gevent hundreds of joins and requests are in
# flight at once, so in a join storm PostgreSQL started (forked) and ended a backend
# per join. Two processes keep at most 2 x 30, well under PostgreSQL's default of 100.
POSTGRES_POOL = {"pool_size": 20, "max_overflow": 10}


def _pool_settings(app: Flask) -> None:
    """Keep a pool of PostgreSQL connections sized for gevent (settings given win)."""
    given = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    # A pool class of the operator's own (NullPool, ...) may take no size at all.
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and "poolclass" not in given:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**POSTGRES_POOL, **given}


def _database_url(app: Flask) -> str:
    """Return DATABASE_URL, or the embedded SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return "sqlite:///" + str(Path(app.instance_path) / "plenum.sqlite3")


def _secret_key(app: Flask) -> str:
    """Return SECRET_KEY from the environment, or one generated once in the instance folder."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        # Write with owner-only permissions: the key signs every session cookie. Written
        # aside, then linked into place, so that processes starting together all end up
        # with the one key that won, never with a half-written file.
        draft = path.with_name(f"secret_key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _init_extensions(app: Flask) -> None:
    """Bind the extension singletons to this app."""
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config)
        track_writes(db.engine)
    # Registered after Flask-SQLAlchemy's, so it runs first (teardowns run in reverse).
    app.teardown_appcontext(end_context_reads)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    ratelimits.init_app(app)  # first: it sets the storage options Flask-Limiter uses
    app.after_request(ratelimits.add_retry_after)
    limiter.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"],
        # Same origin only: the app serves its own pages and socket endpoint.
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        manage_session=True,
        # A phone that stops answering is dropped after ping_interval + ping_timeout. A
        # generous timeout keeps phones connected while the server works through a burst.
        ping_interval=25,
        ping_timeout=60,
        max_http_buffer_size=64 * 1024,
        # Run each event in the connection's own reader greenlet instead of spawning one
        # per message (measured: the spawn was an eighth of the cost of a vote). Events of
        # one connection are handled in order; connections still run concurrently.
        async_handlers=False,
        json=packetjson,
    )
    app.session_interface = SocketAwareSessionInterface()


def _register_blueprints(app: Flask) -> None:
    """Attach every feature's blueprint and socket handlers."""
    from voting.accounts.views import bp as accounts_bp
    from voting.admin.views import bp as admin_bp
    from voting.api.views import bp as api_bp
    from voting.display.views import bp as display_bp
    from voting.events.views import bp as events_bp
    from voting.polls import sockets as poll_sockets
    from voting.polls.views import bp as polls_bp
    from voting.vendor import bp as vendor_bp

    for blueprint in (
        accounts_bp,
        admin_bp,
        api_bp,
        display_bp,
        events_bp,
        polls_bp,
        vendor_bp,
    ):
        app.register_blueprint(blueprint)
    from voting.registration.views import bp as registration_bp

    app.register_blueprint(registration_bp)
    from voting.report.views import bp as report_bp

    app.register_blueprint(report_bp)
    from voting.polls.receipt_views import bp as receipts_bp

    app.register_blueprint(receipts_bp)
    from voting.registration.weight_views import bp as weights_bp

    app.register_blueprint(weights_bp)
    from voting.breakouts.poll_views import bp as breakout_polls_bp

    app.register_blueprint(breakout_polls_bp)
    from voting.registration.staff_views import bp as registrations_bp

    app.register_blueprint(registrations_bp)
    # Flask-SocketIO pushes a request context per socket event, which matches the URL:
    # a rule for the Socket.IO path spares a failed match (and its exception) per event.
    # The Socket.IO middleware answers this path before Flask's views are reached.
    app.add_url_rule("/socket.io/", endpoint="socketio", view_func=_socketio_path)
    app.add_url_rule(
        "/socket.io/", endpoint="socketio_ws", view_func=_socketio_path, websocket=True
    )
    socketio.on_error_default(_answer_failed_socket_event)
    poll_sockets.register(socketio)
    from voting.checkin import sockets as checkin_sockets
    from voting.checkin.views import bp as checkin_bp

    app.register_blueprint(checkin_bp)
    checkin_sockets.register(socketio)
    from voting.breakouts import sockets as breakout_sockets
    from voting.breakouts.views import bp as breakouts_bp

    app.register_blueprint(breakouts_bp)
    breakout_sockets.register(socketio)
    from voting.ideas import sockets as idea_sockets
    from voting.ideas import views as idea_views

    app.register_blueprint(idea_views.bp)
    idea_sockets.register(socketio)
    from voting.qna import sockets as qna_sockets
    from voting.qna import views as qna_views

    app.register_blueprint(qna_views.bp)
    qna_sockets.register(socketio)
    from voting.breakouts.assignment_views import bp as assignment_bp

    app.register_blueprint(assignment_bp)
    from voting.campaigns.views import bp as campaigns_bp

    app.register_blueprint(campaigns_bp)
    from voting.campaigns.public_views import bp as calendar_bp

    app.register_blueprint(calendar_bp)
    # The API authenticates with bearer tokens, not cookies, so CSRF does not apply.
    csrf.exempt(api_bp)

    from voting.cli import register_commands

    register_commands(app)


def _socketio_path():
    """Answer 404: the Socket.IO middleware serves this path (see _register_blueprints)."""
    return jsonify(error="not_found", message="Socket.IO endpoint"), 404


def _wants_json() -> bool:
    """Say whether the current request expects a JSON answer."""
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    """Answer domain errors and HTTP errors with a clear page or JSON, never a 500 for input."""

    @app.errorhandler(VotingError)
    def _voting_error(error: VotingError):
        if _wants_json():
            return jsonify(error=error.code, message=error.message), error.status
        return render_template(
            "error.html", message=error.message, status=error.status
        ), error.status

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        message = _("Your form expired or came from elsewhere. Reload the page and try again.")
        return render_template("error.html", message=message, status=400), 400

    for status in (400, 401, 403, 404, 405, 413, 429):

        @app.errorhandler(status)
        def _http_error(error, status=status):
            message = getattr(error, "description", None) or _(
                "Something was wrong with that request."
            )
            if _wants_json():
                # 429 has the code of the app's own limits (votes, results), one for clients.
                code = "rate_limited" if status == 429 else f"http_{status}"
                return jsonify(error=code, message=str(message)), status
            return render_template("error.html", message=message, status=status), status


def _register_security_headers(app: Flask) -> None:
    """Add a strict Content-Security-Policy and related headers to every answer."""

    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; style-src-attr 'unsafe-inline'; "
            "script-src 'self'; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _register_template_helpers(app: Flask) -> None:
    """Expose Flask-Babel's locale and formatters to every template and imported macro."""
    from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale

    from voting.events.translations import in_page_language

    app.add_template_filter(in_page_language, "translated")
    # Globals rather than a context processor: macros imported from _macros.html format
    # numbers too, and imported macros do not see the request's context.
    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        format_percent=format_percent,
    )


def _answer_failed_socket_event(error: Exception):
    """Answer an event whose handler failed unexpectedly; refuse a connection that did."""
    from flask import request

    answer = unexpected_error_ack(error)
    # A connect handler's truthy answer would accept the connection.
    return False if request.event["message"] == "connect" else answer
