"""The load benchmark runs end to end at a tiny scale and finds nothing lost.

Speed is not asserted here (figures live in docs/benchmarks.md); this keeps the tool
working and checks its zero-loss accounting against the real server, and that the
server's CPU per operation is reported for Plenum and the baseline. It runs as its own
process, as it would from the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys


def test_benchmark_scenarios_lose_nothing(tmp_path):
    out = tmp_path / "figures.json"
    command = [sys.executable, "-m", "benchmarks.run", "--participants", "40", "--scale", "0.02"]
    result = subprocess.run(
        [*command, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| join storm |" in result.stdout
    figures = json.loads(out.read_text())
    report = figures["plenum"]
    assert report["join_storm"]["failed"] == 0
    burst = report["burst"]
    assert burst["lost"] == 0
    assert burst["acked"] == burst["stored"] == burst["ballots"] == burst["display_total"] == 40
    assert report["sustained"]["lost"] == 0
    assert report["overload"]["lost"] == 0
    assert report["overload"]["alive"]
    close = report["close_during_burst"]
    assert (
        close["acked_not_stored"] == close["stored_not_acked"] == close["stored_after_close"] == 0
    )
    assert report["results_api"]["errors"] == 0
    # The server's CPU per operation, for Plenum and the bare baseline side by side: a
    # server that joined 40 phones and stored their votes has spent some.
    baseline = figures["baseline"]
    for scenario in (report["join_storm"], report["sustained"], baseline["join_storm"]):
        assert scenario["server_cpu_ms_per_op"] > 0
        assert scenario["server_cpu_pct"] > 0
    assert "| baseline join storm |" in result.stdout
    assert "ms per vote" in result.stdout
