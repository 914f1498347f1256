"""Running the `pol` command from tests: in this process (fast) or as a new one."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from pol.cli import main

REPO = Path(__file__).resolve().parents[1]


def pol(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`pol ARGS` run in this process (the command's own code, without the start-up of a new Python)."""
    out, err = io.StringIO(), io.StringIO()
    streams = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin or ""), out, err
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        code = main(list(args))
    except SystemExit as exit:
        code = exit.code
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
        os.chdir(cwd)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def pol_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pol.cli", *args], capture_output=True, text=True, cwd=REPO)
