"""The `voting` command: serve, demo, create-user, create-token, grant-access, purge-personal-data."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

DEMO_ADMIN = "admin@plenum.local"


def main() -> None:
    """Run the `voting` command line (voting.entry applies gevent's patching first)."""
    overrides: dict = {}
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        overrides["SOCKETIO_ASYNC_MODE"] = "gevent"
    from voting import create_app

    cli = FlaskGroup(
        create_app=lambda: create_app(overrides), help="Plenum: live polls for conferences."
    )
    cli.main(prog_name="voting")


def register_commands(app) -> None:
    """Attach the project's commands to the app's CLI."""
    commands = (serve, prepare, demo, create_user, create_token, grant_access, purge_personal_data)
    for command in commands:
        app.cli.add_command(command)
    app.cli.add_command(assign_breakouts)
    app.cli.add_command(verify_audit)
    app.cli.add_command(translations)


def _prepare_database() -> None:
    """Apply the migrations, then create the demo event and a staff login on first start."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


def _prepare(no_demo: bool) -> None:
    """Migrate; on first start create the demo event, the first admin and the demo campaign."""
    from voting.database import startup_lock
    from voting.demo import create_demo_campaign, create_demo_event, ensure_demo_campaign_admin
    from voting.extensions import db
    from voting.models import Event

    app = current_app._get_current_object()
    with startup_lock():  # several processes may start at once (PostgreSQL)
        _prepare_database()
        first_start = (
            not no_demo
            and app.config["DEMO_ON_FIRST_START"]
            and db.session.query(Event).count() == 0
        )
        if first_start:
            create_demo_event()
        _ensure_demo_admin(app)
        # After the first admin: that one is made only while there is no account at all.
        if first_start:
            create_demo_campaign()
            ensure_demo_campaign_admin(app.instance_path)
        db.session.remove()


@click.command("prepare", hidden=True)
@click.option("--no-demo", is_flag=True)
@with_appcontext
def prepare(no_demo: bool) -> None:
    """Migrate the database and create the demo on first start (run by `voting serve`)."""
    _prepare(no_demo)


def _prepare_in_child(no_demo: bool) -> None:
    """Run `voting prepare` in a child process and stop if it fails.

    Alembic's migration environment and the demo's objects would otherwise stay in the
    serving process's memory for as long as it runs: 15 MB of its RSS (issue 3).
    """
    import subprocess

    code = "import sys; from voting.cli import main; sys.argv[0] = 'voting'; main()"
    command = [sys.executable, "-c", code, "prepare", *(["--no-demo"] if no_demo else [])]
    if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 - our own command
        raise click.ClickException("Preparing the database failed (see above).")


# Net new objects after which `voting serve` collects garbage even while busy
# (voting.collector).
GC_BUSY_LIMIT = 200_000


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-demo", is_flag=True, help="Do not create the demo event on first start.")
@click.option("--access-log", is_flag=True, help="Log every HTTP request.")
@click.option(
    "--gc-threshold",
    default=GC_BUSY_LIMIT,
    show_default=True,
    type=click.IntRange(100, 10_000_000),
    help="Net new objects after which garbage is collected even while busy (else when quiet).",
)
@with_appcontext
def serve(host: str, port: int, no_demo: bool, access_log: bool, gc_threshold: int) -> None:
    """Migrate the database, create the demo on first start and serve with websockets."""
    from voting.demo import DEMO_CAMPAIGN, DEMO_CODE, saved_login
    from voting.extensions import db, socketio
    from voting.models import Event

    app = current_app._get_current_object()
    _prepare_in_child(no_demo)
    login = saved_login(Path(app.instance_path) / "demo-login.txt")
    campaign_login = _demo_campaign_login(app)
    # Listening on every interface still means this machine answers on loopback.
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    code = DEMO_CODE if db.session.query(Event).filter_by(code=DEMO_CODE).count() else "<CODE>"
    db.session.remove()
    click.echo(f"Plenum is running ({socketio.async_mode}, {_db_label(app)}).")
    click.echo(f"  Participants: {base}/e/{code}")
    click.echo(f"  Display:      {base}/e/{code}/display")
    click.echo(f"  Console:      {base}/manage/{code}/polls")
    click.echo(f"  Register:     {base}/e/{code}/register")
    if login:
        click.echo(f"  Staff login:  {login[0]} / {login[1]}   (at {base}/login)")
    if campaign_login:
        click.echo(f"  Campaign:     {base}/c/{DEMO_CAMPAIGN}")
        click.echo(
            f"  Campaign admin: {campaign_login[0]} / {campaign_login[1]}"
            f"   (at {base}/manage/campaigns)"
        )
    click.echo(f"  Mail:         {_mail_label(app)}")
    click.echo("Press Ctrl+C to stop.", err=False)
    sys.stdout.flush()
    _run_server(app, host, port, access_log, gc_threshold)


def _run_server(app, host: str, port: int, access_log: bool, gc_threshold: int) -> None:
    """Serve HTTP and websockets with gevent's WSGI server on a tuned listening socket."""
    from gevent import pywsgi

    from voting.collector import collect_when_quiet
    from voting.extensions import socketio

    _raise_open_files_limit()
    from voting.wsgiserver import LeanHeadersHandler

    # python-engineio uses gevent-websocket when it is installed; it then needs its
    # handler here (otherwise websockets go through simple-websocket). This subclass of
    # it parses request headers faster (voting/wsgiserver.py).
    options = {"log": "default" if access_log else None, "handler_class": LeanHeadersHandler}
    server = pywsgi.WSGIServer(_listener(host, port), app, **options)
    socketio.start_background_task(_purge_when_due, app)
    socketio.start_background_task(_close_polls_when_due, app)
    socketio.start_background_task(collect_when_quiet(gc_threshold).run, socketio.sleep)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop(timeout=5)


def _purge_when_due(app) -> None:
    """Apply every event's retention period: erase personal data once it has passed.

    Runs at start and then every few hours, so no cron job is needed; with several
    processes each runs it, which is harmless (erased rows are skipped).
    """
    import logging

    from voting.extensions import db, socketio
    from voting.registration.service import purge_due

    while True:
        with app.app_context():
            try:
                for code, count in purge_due().items():
                    logging.getLogger(__name__).warning(
                        "retention: erased the personal data of %s registrations of %s", count, code
                    )
            except Exception:  # a failed run is retried at the next one, never kills serve
                logging.getLogger(__name__).exception("retention purge failed")
            finally:
                db.session.remove()
        socketio.sleep(app.config["RETENTION_CHECK_INTERVAL"])


def _close_polls_when_due(app) -> None:
    """Close timed polls whose time is up, every second, whichever process opened them.

    The process that opens a timed poll also closes it on time; this sweep covers a
    restart in between (the timer lives in the database, not in memory).
    """
    from voting.extensions import db, socketio
    from voting.polls.service import close_overdue_polls

    while True:
        with app.app_context():
            try:
                close_overdue_polls()
            except Exception:  # a database hiccup must not end the sweep
                app.logger.exception("poll timer sweep failed")
            finally:
                db.session.remove()
        socketio.sleep(1)


def _listener(host: str, port: int):
    """Return a listening socket with Nagle's algorithm off and a deep accept queue.

    Small websocket frames otherwise wait for the peer's delayed ACK (about 40 ms per
    reply on a kept-alive connection), and a join storm of thousands of phones overflows
    the default backlog. Accepted sockets inherit TCP_NODELAY on Linux.
    """
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(4096)
    return sock


def _raise_open_files_limit() -> None:
    """Allow as many open sockets as the hard limit permits (one per connected phone)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _mail_label(app) -> str:
    """Say where mails go: the SMTP server, or the outbox folder when none is set."""
    from voting.mail import outbox_path, transport

    if transport() == "smtp":
        return f"SMTP {app.config['MAIL_SERVER']}:{app.config.get('MAIL_PORT') or 25}"
    return f"no MAIL_SERVER set: mails are written to {outbox_path()}"


def _db_label(app) -> str:
    """Describe the database in use without printing credentials."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return (
        "SQLite " + url.removeprefix("sqlite:///")
        if url.startswith("sqlite")
        else url.split(":")[0]
    )


def _ensure_demo_admin(app) -> tuple[str, str] | None:
    """Create the first admin on first start; return its login if it is still the demo one."""
    from voting.accounts.service import create_user
    from voting.demo import save_login, saved_login
    from voting.extensions import db
    from voting.models import User

    path = Path(app.instance_path) / "demo-login.txt"
    if db.session.query(User).count() == 0:
        password = secrets.token_urlsafe(9)
        create_user(DEMO_ADMIN, password, "admin")
        save_login(path, DEMO_ADMIN, password)
    return saved_login(path)


def _demo_campaign_login(app) -> tuple[str, str] | None:
    """Return the demo campaign admin's login while its file is kept."""
    from voting.demo import CAMPAIGN_LOGIN_FILE, saved_login

    return saved_login(Path(app.instance_path) / CAMPAIGN_LOGIN_FILE)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Create the demo event EUCP18 and the demo campaign if they do not exist."""
    from voting.demo import create_demo_campaign, create_demo_event

    _prepare_database()
    event = create_demo_event()
    click.echo(f"Demo event {event.code}: {event.name}")
    # The campaign's admin account is made by `serve` on first start, after the first admin.
    campaign = create_demo_campaign()
    click.echo(f"Demo campaign {campaign.slug}: {campaign.name}")


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["admin", "moderator", "checkin", "campaign_admin"]),
    default="moderator",
    show_default=True,
)
@click.option("--password", help="Password (asked for when left out).")
@with_appcontext
def create_user(email: str, role: str, password: str | None) -> None:
    """Create a staff account."""
    from voting.accounts import service
    from voting.errors import VotingError

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(email, password, role)
    except VotingError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("create-token")
@click.argument("email")
@with_appcontext
def create_token(email: str) -> None:
    """Print a new API token for a staff account."""
    from voting.accounts import service
    from voting.errors import VotingError

    try:
        token = service.create_token(service.find_user(email))
    except VotingError as error:
        raise click.ClickException(error.message) from None
    click.echo(token)


@click.command("grant-access")
@click.argument("email")
@click.argument("code")
@with_appcontext
def grant_access(email: str, code: str) -> None:
    """Give a staff account access to an event's console."""
    from voting.accounts import service
    from voting.errors import VotingError
    from voting.events.service import find_event

    try:
        service.grant_access(find_event(code), service.find_user(email))
    except VotingError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{email} can now manage {code.upper()}.")


@click.command("purge-personal-data")
@click.option("--event", "code", help="Erase the personal data of this event now.")
@click.option("--due", is_flag=True, help="Erase it for every event whose retention period ended.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def purge_personal_data(code: str | None, due: bool, yes: bool) -> None:
    """Erase attendees' personal data; figures (country, partnership, check-in) and ballots stay."""
    from voting.errors import VotingError
    from voting.events.service import find_event
    from voting.registration.service import purge_due, purge_event

    if bool(code) == due:
        raise click.UsageError("Give either --event CODE or --due.")
    if due:
        done = purge_due()
        for event_code, count in done.items():
            click.echo(f"{event_code}: erased the personal data of {count} registrations.")
        if not done:
            click.echo("No event is past its retention period.")
        return
    try:
        event = find_event(code)
    except VotingError as error:
        raise click.ClickException(error.message) from None
    if not yes:
        click.confirm(
            f"Erase every attendee's personal data of {event.code}? This cannot be undone",
            abort=True,
        )
    count = purge_event(event)
    click.echo(f"{event.code}: erased the personal data of {count} registrations.")


@click.command("assign-breakouts")
@click.argument("code")
@click.option("--dry-run", is_flag=True, help="Print the figures only; store nothing.")
@click.option("--rerun", is_flag=True, help="Replace a published assignment (it is unpublished).")
@with_appcontext
def assign_breakouts(code: str, dry_run: bool, rerun: bool) -> None:
    """Assign attendees to breakout sessions from their rankings (preference mode)."""
    from voting.breakouts import preferences
    from voting.errors import VotingError
    from voting.events.service import find_event

    try:
        event = find_event(code)
        result = preferences.plan(event) if dry_run else preferences.preview(event, rerun=rerun)
    except VotingError as error:
        raise click.ClickException(error.message) from None
    for line in preferences.summary_lines(event, result):
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was stored or published.")
    else:
        click.echo(
            f"Stored as a proposal, NOT published: attendees see nothing until staff publish it "
            f"at /manage/{event.code}/breakouts/assignment."
        )


@click.command("verify-audit")
@click.argument("code", required=False)
@with_appcontext
def verify_audit(code: str | None) -> None:
    """Check the hash chain of the poll audit log of one event (or of every event)."""
    from sqlalchemy import select

    from voting.errors import VotingError
    from voting.events.service import find_event
    from voting.extensions import db
    from voting.models import Event
    from voting.polls import audit

    try:
        events = [find_event(code)] if code else list(db.session.scalars(select(Event)))
    except VotingError as error:
        raise click.ClickException(error.message) from None
    broken = 0
    for event in events:
        result = audit.verify(event.id)
        if result.ok:
            click.echo(f"{event.code}: {result.entries} entries, chain intact.")
        else:
            broken += 1
            click.echo(
                f"{event.code}: BROKEN at entry {result.broken_seq} of {result.entries}: "
                f"{result.reason}."
            )
    if broken:
        raise SystemExit(1)


# --- interface translations ------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = Path(__file__).resolve().parent / "translations"


def _pybabel(*args: str) -> None:
    """Run one pybabel command (Babel's own front end), failing loudly."""
    from babel.messages.frontend import CommandLineInterface

    if CommandLineInterface().run(["pybabel", "-q", *args]):
        raise click.ClickException(f"pybabel {args[0]} failed")


@click.group("translations")
def translations() -> None:
    """Extract, update, add and compile the interface's message catalogues."""


@translations.command("update")
def translations_update() -> None:
    """Collect the texts to translate from the code and templates into every catalogue."""
    template = CATALOGUES / "messages.pot"
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(template),
        str(ROOT),
    )
    _pybabel("update", "-i", str(template), "-d", str(CATALOGUES), "--no-fuzzy-matching")
    click.echo(
        f"Updated the catalogues in {CATALOGUES}; translate the empty entries, then compile."
    )


@translations.command("add")
@click.argument("language")
def translations_add(language: str) -> None:
    """Start a catalogue for a new language (then add it to voting.i18n.LANGUAGES)."""
    _pybabel("init", "-i", str(CATALOGUES / "messages.pot"), "-d", str(CATALOGUES), "-l", language)
    click.echo(f"Created {CATALOGUES / language}; add {language!r} to voting.i18n.LANGUAGES.")


@translations.command("compile")
def translations_compile() -> None:
    """Compile the catalogues into the .mo files the app reads."""
    _pybabel("compile", "-d", str(CATALOGUES), "--statistics")
