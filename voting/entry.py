"""Entry point of the `voting` console script.

Kept apart from voting.cli so that `voting serve` can apply gevent's monkey patching
before Flask, Click, SQLAlchemy or the socket module are imported: patching modules
that are already imported leaves some of their locks and sockets unpatched.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Patch for gevent when serving, then run the command line."""
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        from gevent import monkey

        monkey.patch_all()
    from voting.cli import main as run_cli

    run_cli()
