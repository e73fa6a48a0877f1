"""The benchmark's scale-out scenario runs end to end at a tiny scale and loses nothing.

`python -m benchmarks.run --scale-out` starts its own PostgreSQL, Redis, two `voting
serve` processes and nginx (benchmarks/cluster.py, shared with conftest.py). Speed is
not asserted here (figures live in docs/benchmarks.md); this keeps the tool working,
checks its zero-loss accounting against PostgreSQL and that nginx's sticky cookie
really spreads the phones over both processes although they all come from 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.cluster import ROOT

pytestmark = pytest.mark.scaleout

PARTICIPANTS = 30


def test_scaleout_benchmark_loses_nothing(tmp_path):
    out = tmp_path / "figures.json"
    command = [sys.executable, "-m", "benchmarks.run", "--scale-out"]
    result = subprocess.run(
        [*command, "--participants", str(PARTICIPANTS), "--scale", "0.02", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| processes |" in result.stdout
    report = json.loads(out.read_text())["scaleout"]
    assert report["join_storm"]["failed"] == 0
    # Both processes hold phones (30 phones + display + console, all through nginx).
    sockets = report["sockets_after_join"]
    assert sockets["A"] > 0, sockets
    assert sockets["B"] > 0, sockets
    assert sockets["A"] + sockets["B"] == PARTICIPANTS + 2, sockets
    burst = report["burst"]
    assert burst["lost"] == 0
    assert burst["acked"] == burst["stored"] == burst["ballots"] == PARTICIPANTS
    assert burst["display_total"] == PARTICIPANTS
    assert report["sustained"]["lost"] == 0
    assert report["sustained"]["acked"] > 0
    close = report["close_during_burst"]
    assert close["close_status"] == 200
    assert (
        close["acked_not_stored"] == close["stored_not_acked"] == close["stored_after_close"] == 0
    )
    assert report["alive"]
