"""Plenum: the live side of a conference (registration, breakouts, live polls)."""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask application; see voting.app.build_app."""
    # Imported here, not at module top, so that `voting serve` can apply gevent's
    # monkey patching before Flask, SQLAlchemy or the socket module are imported.
    from voting.app import build_app

    return build_app(config)
