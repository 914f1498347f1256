"""`make bench` runs: every engine on one small generated population, in one run, agreeing to the fen.

The timings themselves are not tested (a timed test proves nothing on a busy machine); that
the benchmark runs, prints its table and finds every engine in agreement is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_and_every_compiled_engine_agrees():
    engines = "scalar,vector,scalar-3,vector-3,python-3"
    run = subprocess.run([sys.executable, "-m", "bench.run", "--sizes", "400", "--engines", engines],
                         capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                         timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith("| 400 |")]
    assert [row.split(" | ")[1] for row in rows] == engines.split(",")
    assert "No engine differs from the scalar calculator by a fen." in run.stdout
    assert "scalar-3/python-3 total" in run.stdout and "scalar/vector evaluate" in run.stdout
