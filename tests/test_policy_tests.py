"""Policy tests (`*.test.pol`): the language, `pol test`, coverage, the pytest plugin, and mutation
testing of the Baotou cases (every constant of a paying measure, changed in turn, fails a case)."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from compiler.python_gen import compile_policy, compile_versions
from dsl import amend
from dsl import diagnostics as diag
from dsl import nodes as n
from dsl.cases import bind, parse_cases_text
from dsl.parser import parse_file, parse_text
from pol import runtime, testing
from pol.api import Compiled

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
BAOTOU = POLICIES / "baotou_2022.pol"
BAOTOU_TESTS = POLICIES / "baotou_2022.test.pol"
# The example amendment with its cases: not the law, so not in policies/.
AMENDMENTS = REPO / "examples" / "amendments"
AMENDMENT_TESTS = AMENDMENTS / "baotou_2022_amendment_2024.test.pol"

LIVESTREAM = '''
  as_of 2023-06-30
  applicant LS1
    county kundulun
    registered_in_baotou yes
    livestream_base_area_m2 1000平方米
    livestream_rooms 5
    active_anchors 11
    established_on 2021-01-01
    local_product_livestream_sales 3000万元
  end
'''


def pol(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pol.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with the Baotou policy, ready for a test file beside it."""
    (tmp_path / "baotou_2022.pol").write_text(BAOTOU.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def write_tests(folder: Path, body: str, name: str = "baotou_2022.test.pol") -> Path:
    path = folder / name
    path.write_text("tests for baotou_2022\n" + body, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def baotou_policy() -> n.Policy:
    return parse_file(BAOTOU).policy


def bind_text(body: str):
    parsed = parse_cases_text("tests for baotou_2022\n" + body, "t.test.pol")
    assert parsed.cases is not None, parsed.diagnostics
    return bind(parsed.cases, baotou_policy(), runtime.REFUSALS)


# ---------------------------------------------------------------- the Baotou cases


def test_baotou_cases_all_pass_with_pol_test():
    run = pol("test", "policies/")
    assert run.returncode == 0, run.stdout + run.stderr
    cases = len(re.findall(r"^case ", BAOTOU_TESTS.read_text(encoding="utf-8"), re.M))
    assert cases >= 60
    assert f"policies/baotou_2022.test.pol: {cases} cases, {cases} passed" in run.stdout
    assert run.stdout.rstrip().endswith(f"{cases} passed (1 test file)")


def test_baotou_cases_cover_every_condition_row_cap_pool_ranking_and_group():
    report = testing.run([BAOTOU_TESTS], coverage=True)
    [coverage] = report.coverage
    assert coverage.totals("conditions")[0] == coverage.totals("conditions")[1] > 0
    missing = [f"{i.owner} {i.kind} {i.label}: {i.missing}" for i in coverage.items if i.missing]
    assert missing == []
    # every paying measure is there, with all its conditions
    policy = baotou_policy()
    for _, measure in policy.all_measures():
        conjuncts = measure.condition.operands if isinstance(measure.condition, n.And) else (measure.condition,)
        items = [i for i in coverage.items if i.owner == measure.name and i.kind == "condition"]
        assert len(items) == len(conjuncts), measure.name


def test_coverage_command_reports_and_fail_under():
    run = pol("test", "--coverage", "--fail-under", "100", "policies/")
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"conditions\s+100\.0%", run.stdout)
    assert "Every condition, row, cap, pool, ranking and group is exercised." in run.stdout
    assert "✓ pool `festival_fund`: not bound (it cannot bind: note P405)" in run.stdout  # festival_fund: the checker proves it never runs out


def test_coverage_lists_what_no_case_exercises(project):
    tests = write_tests(project, "case only_one\n" + LIVESTREAM + "  expect LS1 M7 granted 30万元\nend\n")
    report = testing.run([tests], coverage=True)
    [coverage] = report.coverage
    m7 = {i.label: i for i in coverage.items if i.owner == "M7"}
    assert m7["registered_in_baotou"].seen == {"true"}
    assert m7["registered_in_baotou"].missing == ("false",)
    assert m7["50万元"].missing == ("bound",)
    text = coverage.render()
    assert "M7 condition `active_anchors 超过 10`: never seen false" in text
    assert "M5a row `5 -> 100万元`: never seen used" in text
    run = pol("test", "--fail-under", "90", str(tests))
    assert run.returncode == 1
    assert "below --fail-under 90%" in run.stdout


def test_coverage_counts_only_the_applicants_a_measure_concerns(project):
    """A hotel does not show that the livestream conditions can be false."""
    tests = write_tests(project, """case hotel
  as_of 2023-06-30
  applicant H
    county kundulun
    hotel_star_rating 5
    hotel_rated_on 2023-03-15
  end
  expect H M5a granted 100万元
end
""")
    [coverage] = testing.run([tests], coverage=True).coverage
    m7 = [i for i in coverage.items if i.owner == "M7" and i.kind == "condition"]
    assert all(not i.seen for i in m7)
    # `X is given` is false exactly when X is absent: the hotel shows it for the parcels
    m14 = next(i for i in coverage.items if i.owner == "M14" and i.kind == "condition")
    assert m14.seen == {"false"}


# ---------------------------------------------------------------- failures


def test_a_wrong_expectation_fails_with_a_readable_message_at_its_line(project):
    tests = write_tests(project, "case livestream_wrong\n" + LIVESTREAM + """  expect LS1 M7 granted 30万元
  expect LS1 M7 granted 31万元
  expect LS1 total 300_000 CNY
end
""")
    run = pol("test", str(tests))
    assert run.returncode == 1
    line = line_of(tests, "31万元")
    out = run.stdout
    assert f"FAIL livestream_wrong ({tests}:2)" in out
    assert f"{tests}:{line}:3: expect LS1 M7 granted 31万元" in out
    assert "expected  M7 granted 310,000.00 yuan" in out
    assert "got       M7 granted 300,000.00 yuan" in out
    # the explanation chain of the award: the clause, the source line, each condition
    assert "why       (七) " in out and "baotou_2022.pol:" in out
    assert "✓ active anchors more than 10 (超过): 11" in out
    # only the wrong line fails
    assert out.count("expected ") == 1
    assert out.rstrip().endswith("1 failed, 0 passed (1 test file)")
    assert "Traceback" not in out + run.stderr


def test_a_failure_shows_why_the_measure_did_not_pay(project):
    tests = write_tests(project, "case anchors\n" + LIVESTREAM.replace("active_anchors 11", "active_anchors 10")
                        + "  expect LS1 M7 granted 30万元\nend\n")
    [file] = testing.run([tests]).files
    [result] = file.results
    [failure] = result.failures
    assert failure.got == "M7 not_eligible 0.00 yuan"
    assert "✗ active anchors more than 10 (超过): 10" in failure.why


def test_statuses_amounts_clauses_pools_and_refusals(project):
    tests = write_tests(project, """case mixed
  as_of 2023-06-30
  applicant a1
    county guyang
    village_stations 60
    submitted_on 2023-01-10
  end
  applicant a2
    county guyang
    village_stations 50
    submitted_on 2023-01-11
  end
  applicant x
    county kundulun
    demo_enterprise_level national
    demo_enterprise_approved_on 2022-10-01
    hotel_star_rating 3
    hotel_rated_on 2023-01-10
  end
  expect a1 M6 granted 60万元
  expect a2 M6 pool_reduced 40万元
  expect a2 (六) 40万元
  expect pool station_fund used 100万元
  expect x M4 superseded
  expect x M5a granted
  expect x (五) 30万元
  expect x total 30万元
  expect x M7 not_eligible
  expect x M14 0元
end

case too_late
  as_of 2025-08-26
  applicant a
    county kundulun
  end
  expect refused B008 "outside the period in effect"
end

case wrong_code
  as_of 2025-08-26
  applicant a
    county kundulun
  end
  expect refused B001
end

case not_refused
  as_of 2023-06-30
  applicant a
    county kundulun
  end
  expect refused "anything"
end
""")
    report = testing.run([tests])
    results = {r.name: r for r in report.files[0].results}
    assert results["mixed"].passed, testing.render_failure(results["mixed"], report.files[0].loaded.sources)
    assert results["too_late"].passed
    [wrong] = results["wrong_code"].failures
    assert wrong.expected == "the batch to be refused: B001"
    assert wrong.got.startswith("the batch was refused: [B008 outside-period] batch: as_of 2025-08-26")
    [evaluated] = results["not_refused"].failures
    assert evaluated.got.startswith("the batch was evaluated")


def test_refusal_codes_are_set_where_the_runtime_refuses():
    module = testing.load(BAOTOU_TESTS).calculator
    cases = {
        "B001": {"as_of": "2023-06-30", "applicants": [{"id": "a", "livestream_room": 5}]},
        "B002": {"as_of": "2023-06-30", "applicants": [{"id": "a", "livestream_rooms": "many"}]},
        "B003": {"as_of": "2023-06-30", "applicants": [{"id": "a", "village_stations": -1}]},
        "B004": {"as_of": "2023-06-30", "applicants": [{"id": "a", "county": "nowhere"}]},
        "B005": {"applicants": []},
        "B007": {"as_of": "2023-06-30", "applicants": [{"id": "a"}, {"id": "a"}]},
        "B008": {"as_of": "2021-01-01", "applicants": []},
        "B009": {"as_of": "2023-06-30", "applicants": [{"id": "a", "cross_border_trade_usd": 1}]},
        "B010": {"as_of": "2023-06-30", "applicants": {}},
    }
    for code, batch in cases.items():
        with pytest.raises(runtime.BatchError) as info:
            module.evaluate_json(batch)
        assert info.value.code == code, (code, str(info.value))
    with pytest.raises(runtime.BatchError) as info:
        module.evaluate_json({"as_of": "2023-06-30", "usd_cny_rate": "7",
                              "applicants": [{"id": "a", "registered_in_baotou": True,
                                              "cross_border_trade_usd": 2_000_000}]})
    assert info.value.code == "B006"
    assert set(runtime.REFUSALS) == {*cases, "B006"}


# ---------------------------------------------------------------- broken test files


def test_a_syntax_error_is_a_diagnostic_not_a_traceback(project):
    tests = write_tests(project, "case c\n  as_of\n  expect refused B008\nend\n")
    run = pol("test", str(tests))
    assert run.returncode == 2
    assert f"{tests}:3:8: error[P002]: this line stops too early" in run.stdout
    assert "1 broken file" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("body, code, message, hint", [
    ("case c\n  as_of 2023-06-30\n  applicant A\n    countyy kundulun\n  end\n  expect A total 0元\nend\n",
     "P101", "unknown applicant fact `countyy`", "did you mean `county`?"),
    ("case c\n  as_of 2023-06-30\n  county kundulun\n  applicant A\n  end\n  expect A total 0元\nend\n",
     "P101", "unknown batch fact `county`", "`county` is an applicant fact"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect A M77 granted\nend\n",
     "P101", "unknown measure `M77`", "did you mean `M7`?"),
    ("case c\n  as_of 2023-06-30\n  applicant LS1\n  end\n  expect LS2 total 0元\nend\n",
     "P101", "unknown applicant `LS2`", "did you mean `LS1`?"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect B total 0元\nend\n",
     "P101", "unknown applicant `B`", "declare it in this case with `applicant NAME ... end`"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect A M7 grantd\nend\n",
     "P101", "unknown status `grantd`", "did you mean `granted`?"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect pool station_fnd used 0元\nend\n",
     "P101", "unknown pool `station_fnd`", "did you mean `station_fund`?"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect A (一) 0元\nend\n",
     "P101", "unknown paying clause `(一)`", "the clauses with measures are (三)"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect refused outside\nend\n",
     "P101", "unknown refusal code `outside`", "B008 outside-period"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect refused B099\nend\n",
     "P101", "unknown refusal code `B099`", "did you mean `B009`?"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n    livestream_base_area_m2 1000\n  end\n  expect A total 0元\nend\n",
     "P202", "the fact `livestream_base_area_m2` must be an area in m2, but this is the number `1000`",
     "`1000平方米`"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n    local_product_livestream_sales 100万美元\n  end\n"
     "  expect A total 0元\nend\n",
     "P202", "must be money in CNY, but this is `100万美元`, money in USD", None),
    ("case c\n  as_of 2023-06-30\n  applicant A\n    registered_in_baotou maybe\n  end\n  expect A total 0元\nend\n",
     "P202", "the fact `registered_in_baotou` must be yes or no, but this is the word `maybe`", "`yes` or `no`"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n    village_parcels guyang 10, bayanobo 3\n  end\n"
     "  expect A total 0元\nend\n",
     "P203", "`bayanobo` is not a value of `county`", "did you mean `bayan_obo`?"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect A total 5\nend\n",
     "P202", "an expected amount must be money in CNY, but this is the number `5`", "`300_000 CNY`"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n    id \"x\"\n  end\n  expect A total 0元\nend\n",
     "P107", "`id` is only for the `applicant` line", "`applicant A1`"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\nend\n",
     "P302", "case `c` has no expectation", "can never fail"),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect refused B008\n  expect A total 0元\nend\n",
     "T002", "case `c` expects the batch to be refused and also expects what it pays", None),
    ("case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect A total 0元\nend\n"
     "case c\n  as_of 2023-06-30\n  applicant A\n  end\n  expect A total 0元\nend\n",
     "P102", "case `c` is declared twice", "line 2"),
    ("case c\n  as_of 2023-06-30\n  as_of 2023-07-01\n  applicant A\n  end\n  expect A total 0元\nend\n",
     "P007", "`fact `as_of`` is given twice in case `c`", None),
])
def test_mistakes_in_a_test_file_are_diagnostics_at_their_line(body, code, message, hint):
    _, found = bind_text(body)
    errors = [d for d in found if d.severity == diag.ERROR]
    assert errors, found
    first = errors[0]
    assert first.code == code, found
    assert message in first.message, first.message
    if hint:
        assert hint in (first.hint or ""), first.hint
    assert first.span is not None and first.span.line >= 2


def test_one_bad_case_breaks_the_file_and_no_case_runs(project):
    tests = write_tests(project, "case good\n" + LIVESTREAM + "  expect LS1 total 30万元\nend\n"
                        + "case bad\n" + LIVESTREAM.replace("livestream_rooms 5", "livestream_room 5")
                        + "  expect LS1 total 30万元\nend\n")
    run = pol("test", str(tests))
    assert run.returncode == 2
    assert f"{tests}:{line_of(tests, 'livestream_room 5')}:5: error[P101]: unknown applicant fact" in run.stdout
    assert run.stdout.rstrip().endswith("0 passed, 1 broken file (1 test file)")
    assert "Traceback" not in run.stdout + run.stderr


def test_a_policy_named_by_path_and_quoted_ids(project):
    sub = project / "cases"
    sub.mkdir()
    tests = sub / "anything.test.pol"
    tests.write_text('tests for "../baotou_2022.pol"\ncase quoted\n  as_of 2023-06-30\n'
                     '  applicant "E-001"\n    county kundulun\n    hotel_star_rating 4\n'
                     '    hotel_rated_on 2023-03-15\n  end\n  expect "E-001" M5a granted 50万元\nend\n',
                     encoding="utf-8")
    [file] = testing.run([tests]).files
    assert file.loaded.policy_path == str(project / "baotou_2022.pol")  # `cases/../` said once, as the path it is
    assert [r.passed for r in file.results] == [True]
    assert file.loaded.cases[0].batch["applicants"] == [
        {"id": "E-001", "county": "kundulun", "hotel_star_rating": "4", "hotel_rated_on": "2023-03-15"}]


def test_an_unclosed_case_and_a_bad_date():
    parsed = parse_cases_text("tests for baotou_2022\ncase c\n  as_of 2023-06-30\n", "t.test.pol")
    [d] = parsed.diagnostics
    assert (d.code, d.span.line) == ("T001", 3)
    assert "every `case` and `applicant` block closes with `end`" in d.hint
    parsed = parse_cases_text("tests for baotou_2022\ncase c\n  as_of 2023-02-30\nend\n", "t.test.pol")
    [d] = parsed.diagnostics
    assert d.code == "P005" and "no such day in the calendar" in d.message


def test_a_missing_policy_or_path_is_a_diagnostic(tmp_path):
    tests = tmp_path / "x.test.pol"
    tests.write_text("tests for baotou_2O22\ncase c\n  as_of 2023-06-30\n  expect refused B008\nend\n",
                     encoding="utf-8")
    (tmp_path / "baotou_2022.pol").write_text("", encoding="utf-8")
    run = pol("test", str(tests))
    assert run.returncode == 2
    assert "error[P101]: unknown policy `baotou_2O22`" in run.stdout
    assert "did you mean `baotou_2022`?" in run.stdout
    run = pol("test", str(tmp_path / "nowhere"))
    assert run.returncode == 2
    assert "error[P001]: cannot read" in run.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    run = pol("test", str(empty))
    assert run.returncode == 2 and "no policy tests" in run.stderr


def test_a_policy_with_errors_breaks_its_test_file(project):
    policy = project / "baotou_2022.pol"
    policy.write_text(policy.read_text(encoding="utf-8").replace("and livestream_rooms 不少于 5",
                                                                 "and livestream_room 不少于 5"), encoding="utf-8")
    tests = write_tests(project, "case c\n  as_of 2023-06-30\n  expect refused B008\nend\n")
    run = pol("test", str(tests))
    assert run.returncode == 2
    assert "baotou_2022.pol:" in run.stdout and "unknown fact `livestream_room`" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


# ---------------------------------------------------------------- formats


def test_json_output(project):
    tests = write_tests(project, "case ok\n" + LIVESTREAM + "  expect LS1 M7 granted 30万元\nend\n"
                        + "case bad\n" + LIVESTREAM + "  expect LS1 total 1元\nend\n")
    run = pol("test", "--format", "json", "--coverage", str(tests))
    assert run.returncode == 1
    payload = json.loads(run.stdout)
    assert (payload["passed"], payload["failed"], payload["broken"]) == (1, 1, 0)
    [file] = payload["files"]
    bad = next(c for c in file["cases"] if c["name"] == "bad")
    [failure] = bad["failures"]
    assert failure["line"] == line_of(tests, "expect LS1 total 1元")
    assert failure["expected"] == "total 1.00 yuan" and failure["got"] == "total 300,000.00 yuan"
    assert payload["coverage"][0]["summary"]["conditions"]["total"] == 60


def test_junit_output_is_valid_xml_with_one_testcase_per_case(project, tmp_path):
    write_tests(project, "case ok\n" + LIVESTREAM + "  expect LS1 M7 granted 30万元\nend\n"
                + "case bad\n" + LIVESTREAM + "  expect LS1 total 1元\nend\n")
    broken = project / "sub"
    broken.mkdir()
    (broken / "baotou_2022.pol").write_text(BAOTOU.read_text(encoding="utf-8"), encoding="utf-8")
    write_tests(broken, "case c <&>\n", name="broken.test.pol")
    junit = tmp_path / "out" / "junit.xml"
    run = pol("test", "--junit", str(junit), str(project))
    assert run.returncode == 2
    root = ET.fromstring(junit.read_bytes())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suites = root.findall("testsuite")
    assert len(suites) == 2
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
    names = {c.get("name"): c for c in root.iter("testcase")}
    assert set(names) == {"ok", "bad", "load"}
    failure = names["bad"].find("failure")
    assert "expected total 1.00 yuan" in failure.get("message")
    assert "got       total 300,000.00 yuan" in failure.text
    assert "P00" in names["load"].find("error").get("type")


def test_output_is_the_same_every_run():
    first = pol("test", "--format", "json", "--coverage", "policies/")
    second = pol("test", "--format", "json", "--coverage", "policies/")
    assert first.returncode == 0
    assert first.stdout == second.stdout


# ---------------------------------------------------------------- pytest


def _pytest(*args: str) -> subprocess.CompletedProcess:
    """pytest in a fresh process; `-p` loads the plugin where pol is not installed with its entry point."""
    installed = any(e.name == "pol" for e in importlib.metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "pol.pytest_plugin"]
    return subprocess.run([sys.executable, "-m", "pytest", *plugin, "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_the_example_amendment_has_cases_of_its_own_run_against_the_amended_policy():
    """policies/ tests the law as issued; the cases of the example amendment sit beside it in
    examples/amendments/, and `pol test` compiles the policy with the amendment beside the test file."""
    issued = BAOTOU_TESTS.read_text(encoding="utf-8")
    assert "M23" not in issued and not re.search(r"^case amendment", issued, re.M)
    run = pol("test", "examples/amendments/")
    assert run.returncode == 0, run.stdout + run.stderr
    cases = len(re.findall(r"^case ", AMENDMENT_TESTS.read_text(encoding="utf-8"), re.M))
    assert cases == 5
    assert f"examples/amendments/baotou_2022_amendment_2024.test.pol: {cases} cases, {cases} passed" in run.stdout
    report = json.loads(pol("test", "--format", "json", "--coverage", "examples/amendments/").stdout)
    [file] = report["files"]
    assert file["policy"] == "policies/baotou_2022.pol"  # `tests for "../../policies/baotou_2022.pol"`
    [coverage] = report["coverage"]
    assert coverage["file"] == "policies/baotou_2022.pol with examples/amendments/baotou_2022_amendment_2024.pol"
    m23 = [i for i in coverage["items"] if i["owner"] == "M23" and i["kind"] == "condition"]
    assert len(m23) == 6 and all(not i["missing"] for i in m23)
    # Both together: the policy as issued and the policy with the amendment, covered apart.
    both = json.loads(pol("test", "--format", "json", "--coverage", "policies/", "examples/amendments/").stdout)
    assert [c["file"] for c in both["coverage"]] == ["policies/baotou_2022.pol", coverage["file"]]
    assert both["coverage"][0]["summary"]["total"]["percent"] == "100.0"
    assert not [i for i in both["coverage"][0]["items"] if i["owner"] == "M23"]


def test_pytest_collects_the_cases_of_the_example_amendment():
    testpaths = re.search(r"^testpaths = (.*)$", (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert "examples" in json.loads(testpaths.group(1))  # `make test` (pytest alone) runs them
    run = _pytest("--collect-only", "-q", "examples/")
    assert run.returncode == 0, run.stdout + run.stderr
    names = re.findall(r"^case (\w+)", AMENDMENT_TESTS.read_text(encoding="utf-8"), re.M)
    assert [line for line in run.stdout.splitlines() if "::" in line] == [
        f"examples/amendments/baotou_2022_amendment_2024.test.pol::{name}" for name in names]


def test_pytest_collects_every_case_under_its_own_name():
    run = _pytest("--collect-only", "-q", "policies/baotou_2022.test.pol")
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line for line in run.stdout.splitlines() if "::" in line]
    names = re.findall(r"^case (\w+)", BAOTOU_TESTS.read_text(encoding="utf-8"), re.M)
    assert collected == [f"policies/baotou_2022.test.pol::{name}" for name in names]
    run = _pytest("--collect-only", "-q", "-k", "livestream", "policies/baotou_2022.test.pol")
    selected = [line.split("::")[1] for line in run.stdout.splitlines() if "::" in line]
    assert selected and all("livestream" in name for name in selected)


def test_pytest_reports_a_failing_case_and_a_broken_file(project):
    write_tests(project, "case livestream_ok\n" + LIVESTREAM + "  expect LS1 M7 granted 30万元\nend\n"
                + "case livestream_bad\n" + LIVESTREAM + "  expect LS1 total 1元\nend\n")
    write_tests(project, "case c\n  as_of\nend\n", name="broken.test.pol")
    run = _pytest("-q", "--rootdir", str(project), str(project))
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "1 passed" in out and "2 failed" in out
    assert "FAIL livestream_bad" in out and "got       total 300,000.00 yuan" in out
    assert "broken.test.pol::load" in out and "error[P002]" in out


# ---------------------------------------------------------------- mutation testing


def _constants(node, found: list) -> None:
    """Every number the policy writes inside a condition, an amount or a cap."""
    if isinstance(node, (n.Quantity, n.Percent)):
        found.append(node)
        return
    for field in getattr(node, "__attrs_attrs__", ()):
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if hasattr(item, "__attrs_attrs__"):
                _constants(item, found)


def _mutants(source: str, constant) -> list[tuple[int, int, str]]:
    """The constant as written, one unit of its last written digit up and down: `0.30元` -> 0.31元, 0.29元."""
    lines = source.splitlines(keepends=True)
    start = sum(map(len, lines[:constant.span.line - 1])) + constant.span.column - 1
    end = sum(map(len, lines[:constant.span.end_line - 1])) + constant.span.end_column - 1
    written = source[start:end]
    number = re.match(r"\d[\d_]*(\.\d+)?", written)
    digits = number.group(0).replace("_", "")
    places = len(digits.partition(".")[2])
    step = Decimal(1).scaleb(-places)
    changed = [Decimal(digits) + step, Decimal(digits) - step]
    return [(start, end, f"{value:.{places}f}{written[number.end():]}") for value in changed if value >= 0]


def test_every_constant_of_a_paying_measure_is_pinned_by_a_baotou_case(capsys):
    """Mutation testing: change each constant of each paying measure in turn; some case must fail.

    The mutant is compiled without the static checks (which already refuse an amount that the
    clause text does not state): the point is that the worked cases catch it too. An amendment
    whose change no longer finds the mutated constant leaves it as mutated: the cases before
    the amendment's day catch it all the same.
    """
    source = BAOTOU.read_text(encoding="utf-8")
    constants: list = []
    for _, measure in baotou_policy().all_measures():
        for part in (measure.condition, measure.amount, *(cap.amount for cap in measure.caps)):
            _constants(part, constants)
    assert len(constants) >= 40
    survivors, mutated = [], 0

    # The cases of policies/ test the policy as issued: the mutant is compiled as `pol test` would,
    # with the amendments beside it (there are none: the example amendment is in examples/).
    amendments = [result.amendment for result in amend.load(BAOTOU).amendments]
    assert amendments == []

    def failures(text: str) -> int:
        parsed = parse_text(text, str(BAOTOU))
        versions, _ = amend.versions(parsed.policy, amendments)
        python = compile_versions(versions) if amendments else compile_policy(parsed.policy)
        compiled = Compiled("baotou_2022", python, (), parsed, tuple(versions))
        loaded = testing.load(BAOTOU_TESTS, {testing.compiled_key(str(BAOTOU)): compiled})
        assert not loaded.broken, testing.render_diagnostics(loaded)
        return sum(1 for bound in loaded.cases if not testing.run_case(loaded, bound).passed)

    assert failures(source) == 0  # the unchanged policy passes: a failure below is the mutation's doing
    for constant in constants:
        for start, end, replacement in _mutants(source, constant):
            mutated += 1
            if failures(source[:start] + replacement + source[end:]) == 0:
                survivors.append(f"line {constant.span.line}: {source[start:end]} -> {replacement}")
    with capsys.disabled():
        print(f"\nmutation testing of the Baotou cases: {len(constants)} constants, {mutated} mutants, "
              f"{mutated - len(survivors)} killed")
    assert survivors == []
