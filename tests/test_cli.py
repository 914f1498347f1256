"""The `pol` command as a user runs it: exit codes, formats, messages, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
EXAMPLES = REPO / "examples"


def pol(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pol.cli", *args], capture_output=True, text=True,
                          cwd=REPO, input=stdin)


def test_check_baotou_is_clean():
    run = pol("check", str(BAOTOU))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success: no errors" in run.stdout


def test_check_reports_error_with_location_underline_and_hint(tmp_path):
    bad = tmp_path / "bad.pol"
    bad.write_text(BAOTOU.read_text(encoding="utf-8").replace(
        "and livestream_rooms 不少于 5", "and livestream_room 不少于 5"), encoding="utf-8")
    run = pol("check", str(bad))
    assert run.returncode == 1
    line = next(i for i, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "livestream_room 不少于" in text)
    assert f"bad.pol:{line}:10: error[" in run.stdout
    assert "^^^^^^^^^^^^^^^" in run.stdout
    assert "did you mean `livestream_rooms`?" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_check_json_format(tmp_path):
    bad = tmp_path / "bad.pol"
    bad.write_text("policy x\n  title zh \"x\"\n", encoding="utf-8")
    run = pol("check", "--format", "json", str(bad))
    assert run.returncode == 1
    payload = json.loads(run.stdout)
    [entry] = payload["files"]
    assert entry["diagnostics"][0]["code"].startswith("P")
    assert entry["diagnostics"][0]["line"] >= 1


def test_usage_errors_exit_2():
    assert pol().returncode == 2
    assert pol("check").returncode == 2
    assert pol("eval", str(BAOTOU)).returncode == 2  # --facts missing
    assert pol("frobnicate").returncode == 2


def test_missing_files_are_reported_not_raised(tmp_path):
    run = pol("check", str(tmp_path / "nope.pol"))
    assert run.returncode == 1
    assert "cannot read" in run.stdout
    run = pol("eval", str(BAOTOU), "--facts", str(tmp_path / "nope.json"))
    assert run.returncode == 2
    assert "cannot read" in run.stderr


def test_eval_json_matches_the_contract():
    run = pol("eval", str(BAOTOU), "--facts", str(EXAMPLES / "livestream.json"), "--format", "json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["policy"] == "baotou_2022"
    amounts = {a["id"]: a["total"] for a in result["applicants"]}
    # 1% of 30,000,000; LS-002 has only 10 anchors (超过10 fails); 1% of 86,000,000 capped at 500,000.
    assert amounts == {"LS-001": "300000.00", "LS-002": "0.00", "LS-003": "500000.00"}


def test_eval_text_shows_reasons():
    run = pol("eval", str(BAOTOU), "--facts", str(EXAMPLES / "livestream.json"))
    assert run.returncode == 0, run.stderr
    assert "✗ active anchors more than 10 (超过): 10" in run.stdout
    assert "capped by 500,000 yuan" in run.stdout
    zh = pol("eval", str(BAOTOU), "--facts", str(EXAMPLES / "livestream.json"), "--lang", "zh")
    assert "机构活跃主播人数超过10" in zh.stdout


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json") if p.name != "refused.json"))
def test_every_example_evaluates(example):
    run = pol("eval", str(BAOTOU), "--facts", str(EXAMPLES / example), "--format", "json")
    assert run.returncode == 0, run.stderr


def test_refused_batch_names_applicant_and_fact():
    run = pol("eval", str(BAOTOU), "--facts", str(EXAMPLES / "refused.json"))
    assert run.returncode == 1
    assert run.stdout == ""
    message = run.stderr.strip()
    assert "E-01" in message and "livestream_room" in message and "did you mean `livestream_rooms`?" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize("text", ["{", "[1, 2", "{\"as_of\": NaN}", "", "\"just a string\"", "{\"as_of\": \"2023-12-31\"}"])
def test_malformed_batches_give_one_line(text):
    run = pol("eval", str(BAOTOU), "--facts", "-", stdin=text)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_compile_writes_module(tmp_path):
    run = pol("compile", str(BAOTOU), "-o", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "baotou_2022.py").read_text(encoding="utf-8").startswith('"""Calculator for `baotou_2022`')


def test_compile_refuses_a_broken_policy(tmp_path):
    bad = tmp_path / "bad.pol"
    bad.write_text("policy x\n", encoding="utf-8")
    run = pol("compile", str(bad), "-o", str(tmp_path / "out"))
    assert run.returncode == 1
    assert not (tmp_path / "out").exists()
    assert "error[" in run.stderr
