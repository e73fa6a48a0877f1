"""The `voting` command and the migrations."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from voting import create_app
from voting.accounts.service import authenticate, user_for_token
from voting.extensions import db
from voting.models import Event


def test_create_user_and_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "Ana@Example.org",
            "--role",
            "moderator",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert authenticate("ana@example.org", "long enough pw") is not None
    token = runner.invoke(args=["create-token", "ana@example.org"]).output.strip()
    assert user_for_token(token).email == "ana@example.org"


def test_create_user_refuses_bad_input(app):
    runner = app.test_cli_runner()
    assert (
        runner.invoke(
            args=["create-user", "not-an-email", "--password", "long enough pw"]
        ).exit_code
        != 0
    )
    assert runner.invoke(args=["create-user", "a@b.org", "--password", "short"]).exit_code != 0
    assert (
        runner.invoke(
            args=["create-user", "a@b.org", "--role", "king", "--password", "long enough"]
        ).exit_code
        != 0
    )
    runner.invoke(args=["create-user", "a@b.org", "--password", "long enough pw"])
    duplicate = runner.invoke(args=["create-user", "A@B.org", "--password", "long enough pw"])
    assert duplicate.exit_code != 0
    assert "exists already" in duplicate.output


def test_create_user_prompts_for_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "c@d.org"], input="a fine password\na fine password\n"
    )
    assert result.exit_code == 0, result.output
    assert authenticate("c@d.org", "a fine password") is not None


def test_migrations_build_the_models_schema(tmp_path):
    """Do the migrations create exactly the schema the models describe?"""
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite3'}",
            "SECRET_KEY": "x",
            "SOCKETIO_ASYNC_MODE": "threading",
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []
        runner = app.test_cli_runner()
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        event = Event.query.filter_by(code="EUCP18").one()
        assert len(event.themes) == 13
        assert [d.title for d in event.days] == ["Project meetings", "Partnering day"]
        titles = [p.title for p in event.polls]
        assert any("funding" in t for t in titles)
        focus = next(p for p in event.polls if "focus" in p.title)
        assert focus.max_choices == 2
        assert {"Internationalisation", "Innovation uptake", "Scaling-up of SMEs"} <= {
            o.label for o in focus.options
        }
        db.session.remove()
        db.engine.dispose()


def test_serve_prepares_the_database_in_a_child_and_stops_when_that_fails(tmp_path):
    """A database that cannot be opened stops `voting serve` with a message, serving nothing."""
    env = {
        **os.environ,
        "VOTING_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/no-such-folder/plenum.sqlite3",
    }
    command = [str(Path(sys.executable).parent / "voting"), "serve", "--port", "1"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode != 0
    assert "Preparing the database failed" in result.stderr
    assert "Plenum is running" not in result.stdout


def test_prepare_migrates_and_makes_the_demo_once(tmp_path, monkeypatch):
    """`voting prepare` (what serve runs first) creates the demo and its login files once."""
    monkeypatch.setenv("VOTING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    runner = app.test_cli_runner()
    for _ in range(2):
        assert runner.invoke(args=["prepare"]).exit_code == 0
    with app.app_context():
        assert db.session.query(Event).count() == 1
    assert (tmp_path / "demo-login.txt").stat().st_mode & 0o077 == 0  # a password: owner only


def test_serve_refuses_a_garbage_collector_threshold_out_of_range(app):
    """A threshold that would collect all the time is refused before anything starts."""
    result = app.test_cli_runner().invoke(args=["serve", "--gc-threshold", "5"])
    assert result.exit_code == 2
    assert "--gc-threshold" in result.output


def test_serve_hands_collection_to_the_quiet_collector_before_it_serves(app, monkeypatch):
    """`voting serve --gc-threshold N` serves with automatic collection off and a task
    collecting at quiet moments, or while busy after N new objects."""
    from gevent import pywsgi

    from voting import cli
    from voting.collector import QuietCollector
    from voting.extensions import socketio

    seen = []
    tasks = []

    class Server:
        def __init__(self, *_args, **_options) -> None:
            pass

        def serve_forever(self) -> None:
            seen.append(gc.isenabled())

    monkeypatch.setattr(cli, "_prepare_in_child", lambda no_demo: None)
    monkeypatch.setattr(cli, "_listener", lambda host, port: None)
    monkeypatch.setattr(pywsgi, "WSGIServer", Server)
    monkeypatch.setattr(socketio, "start_background_task", lambda task, *args: tasks.append(task))
    try:
        result = app.test_cli_runner().invoke(args=["serve", "--gc-threshold", "30000"])
        assert result.exit_code == 0, result.output
        assert "Plenum is running" in result.output
        assert seen == [False]
        collectors = [getattr(task, "__self__", None) for task in tasks]
        assert [c.busy_limit for c in collectors if isinstance(c, QuietCollector)] == [30_000]
    finally:
        gc.unfreeze()
        gc.enable()
