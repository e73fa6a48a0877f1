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
        import gevent
        from gevent import monkey

        # gevent records the spawning stack of every greenlet (two per connection) for
        # debugging; profiled in a join storm that was 7 % of the server's time.
        gevent.config.track_greenlet_tree = False
        monkey.patch_all()
    from voting.cli import main as run_cli

    run_cli()
