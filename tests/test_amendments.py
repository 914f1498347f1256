"""Amendments: parsing, discovery by declared relation, consolidation, versions, checks, calculators."""

from __future__ import annotations

import datetime
import io
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.python_gen import compile_policy
from dsl import amend
from dsl import nodes as n
from dsl.checks import check_file
from dsl.parser import parse_file, parse_text
from pol.api import BatchError, PolicyError, compile_file, load_source
from pol.cli import main

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
# The example amendment is kept out of policies/ (it is not the law): applied only when asked for.
AMENDMENTS = REPO / "examples" / "amendments"
AMENDMENT = AMENDMENTS / "baotou_2022_amendment_2024.pol"
CASES = sorted((REPO / "tests" / "cases" / "baotou").glob("*.json"))
EXAMPLES = sorted((REPO / "examples").glob("*.json"))
EFFECTIVE = datetime.date(2024, 1, 1)

LIVESTREAMER = {
    "id": "LS-BIG", "county": "kundulun", "registered_in_baotou": True, "livestream_base_area_m2": "1200",
    "livestream_rooms": 6, "active_anchors": 12, "established_on": "2021-01-01",
    "local_product_livestream_sales": "120000000",
}


def notice(name: str, changes: str, effective: str = "2024-01-01", issued: str = "2023-12-15",
           base: str = "baotou_2022") -> str:
    return (f'amendment {name} amends {base}\n  title zh "通知" en "Notice"\n  issued {issued}\n'
            f"  effective {effective}\nend\n\n{changes}\n")


def family(tmp_path: Path, *texts: str, policy_file: str = "baotou_2022.pol") -> Path:
    """The Baotou policy in a directory of its own, with amendments in files named for nothing."""
    base = tmp_path / policy_file
    shutil.copy(BAOTOU, base)
    for index, text in enumerate(texts):
        (tmp_path / f"notice_{index}.pol").write_text(text, encoding="utf-8")
    return base


def codes(found) -> list[str]:
    return [d.code for d in found]


def evaluate(module, as_of: str, *applicants: dict) -> dict:
    result = module.evaluate_json({"as_of": as_of, "applicants": list(applicants)})
    return {a["id"]: {w["measure"]: (w["amount"], w["status"]) for w in a["awards"]} for a in result["applicants"]}


@pytest.fixture(scope="module")
def amended():
    compiled = compile_file(BAOTOU, amendment_dirs=(AMENDMENTS,))
    return load_source(compiled.python, "baotou_2022_amended")


@pytest.fixture(scope="module")
def as_issued():
    return load_source(compile_policy(parse_file(BAOTOU).policy), "baotou_2022_as_issued")


# ---------------------------------------------------------------- the file


def test_an_amendment_file_is_parsed_into_its_changes():
    result = parse_file(AMENDMENT)
    assert result.policy is None and not result.diagnostics
    a = result.amendment
    assert (a.name, a.base, a.issued, a.effective) == (
        "baotou_2022_amendment_2024", "baotou_2022", datetime.date(2023, 12, 15), EFFECTIVE)
    assert a.title.zh.startswith("关于调整") and a.title.en.startswith("Notice")
    kinds = [type(c).__name__ for c in a.changes]
    assert kinds == ["ChangeText", "ChangeText", "ChangeConstant", "AddClause"]
    cap = a.changes[2]
    assert (cap.numeral, cap.target, cap.part, cap.old.value, cap.new.value) == (
        "七", "M7", "cap", Decimal(500000), Decimal(800000))


def test_every_kind_of_change_is_written_in_the_language():
    text = notice("every_kind", '''
change (七) M7 cap 50万元 to 80万元
change (七) M7 pay 1% to 1.5%
change (七) M7 when 5 to 6
change (六) station_fund limit 100万元 to 150万元
change (八) festival_top5 top 5 to 10
change (七) text zh "最高不超过50万元" to "最高不超过80万元"
change period in effect from 2022-08-26 for 5 years
repeal clause (十二)
repeal measure M13 in (十三)
replace measure M4 in (四) reward
  title zh "奖励" en "Reward"
  when demo_enterprise_level = national
  pay 30万元
  payee applicant
end
add measure M4b in (四) reward
  title zh "奖励" en "Reward"
  when demo_enterprise_level = regional
  pay 10万元
  payee applicant
end
replace clause (九)
  title zh "标题" en "Title"
  text zh "正文" en "Text"
end
add clause (二十三)
  title zh "标题" en "Title"
  text zh "正文" en "Text"
end''')
    result = parse_text(text, "every.pol")
    assert not result.diagnostics
    assert [type(c) for c in result.amendment.changes] == [
        n.ChangeConstant, n.ChangeConstant, n.ChangeConstant, n.ChangeConstant, n.ChangeConstant, n.ChangeText,
        n.ChangePeriod, n.RepealClause, n.RepealMeasure, n.ReplaceMeasure, n.AddMeasure, n.ReplaceClause,
        n.AddClause]
    period = result.amendment.changes[6].period
    assert (period.start, period.end, period.years) == (datetime.date(2022, 8, 26), datetime.date(2027, 8, 25), 5)


def test_changes_are_refused_in_a_policy_and_clauses_in_an_amendment():
    assert codes(parse_text(BAOTOU.read_text(encoding="utf-8") + "\nrepeal clause (十二)\n", "p.pol").diagnostics) \
        == ["P002"]
    assert codes(parse_text(notice("x", 'clause (九)\n  title zh "a" en "b"\nend'), "a.pol").diagnostics) == ["P002"]


# ---------------------------------------------------------------- discovery


def test_amendments_are_found_by_what_they_declare_not_by_their_names(tmp_path):
    base = family(tmp_path, notice("cap_2024", "change (七) M7 cap 50万元 to 80万元"), policy_file="anything.pol")
    (tmp_path / "baotou_2022_amendment_2099.pol").write_text(
        notice("other", "repeal clause (十二)", base="another_policy"), encoding="utf-8")
    (tmp_path / "baotou_2022.test.pol").write_text("tests for baotou_2022\n", encoding="utf-8")
    (tmp_path / "notes.pol").write_text("# amendment notes amends baotou_2022 (a comment, not a header)\n",
                                        encoding="utf-8")
    found = amend.find_amendments(base, "baotou_2022")
    assert [p.name for p in found] == ["notice_0.pol"]
    assert amend.read_header(tmp_path / "notice_0.pol") == amend.Header("amendment", "cap_2024", "baotou_2022")
    assert amend.read_header(base) == amend.Header("policy", "baotou_2022", None)
    assert amend.read_header(tmp_path / "baotou_2022.test.pol") is None


def test_amendments_in_another_directory_are_found_when_it_is_named(tmp_path):
    policies, notices = tmp_path / "policies", tmp_path / "notices"
    policies.mkdir()
    notices.mkdir()
    shutil.copy(BAOTOU, policies / "baotou_2022.pol")
    (notices / "n.pol").write_text(notice("n", "change (七) M7 cap 50万元 to 60万元\n"
                                               'change (七) text zh "最高不超过50万元" to "最高不超过60万元"'),
                                   encoding="utf-8")
    alone = load_source(compile_file(policies / "baotou_2022.pol").python, "alone")
    both = load_source(compile_file(policies / "baotou_2022.pol", amendment_dirs=(notices,)).python, "both")
    assert evaluate(alone, "2024-06-30", LIVESTREAMER)["LS-BIG"]["M7"] == ("500000.00", "granted")
    assert evaluate(both, "2024-06-30", LIVESTREAMER)["LS-BIG"]["M7"] == ("600000.00", "granted")


# ---------------------------------------------------------------- evaluation by date


def test_the_day_before_the_amendment_and_the_day_it_takes_effect(amended):
    before = evaluate(amended, "2023-12-31", LIVESTREAMER)["LS-BIG"]
    on = evaluate(amended, "2024-01-01", LIVESTREAMER)["LS-BIG"]
    assert before == {"M7": ("500000.00", "granted")}
    assert on == {"M7": ("800000.00", "granted"), "M23": ("200000.00", "granted")}


def test_the_added_clause_cites_the_amendment_that_brought_it(amended):
    result = amended.evaluate_json({"as_of": "2024-01-01", "applicants": [LIVESTREAMER]})
    m23 = next(a for a in result["applicants"][0]["awards"] if a["measure"] == "M23")
    assert m23["clause"] == 23
    assert m23["why"][0].startswith("(二十三) Scale reward for livestream e-commerce enterprises "
                                    "[baotou_2022_amendment_2024.pol:")
    assert m23["city_share"] == "100000.00"  # (二十) 50/50 applies to the new clause too


def test_the_calculator_knows_every_version(amended):
    assert [(v.effective, v.amendments) for v in amended.VERSIONS] == [
        (datetime.date(2022, 8, 26), ()), (EFFECTIVE, ("baotou_2022_amendment_2024",))]
    assert [m.name for m in amended.spec_on(datetime.date(2023, 12, 31)).measures][-1] == "M14"
    assert [m.name for m in amended.spec_on(EFFECTIVE).measures][-1] == "M23"
    assert amended.SPEC.versions == amended.VERSIONS
    # The typed API reads a batch with the facts of its version and evaluates it by that version.
    batch, applicants = amended.read({"as_of": "2023-12-31", "applicants": [LIVESTREAMER]})
    assert amended.evaluate(batch, applicants).applicants[0].total == Decimal("500000.00")


def _outcome(module, batch):
    try:
        return module.evaluate_json(batch)
    except BatchError as error:
        return ("refused", str(error))


@pytest.mark.parametrize("path", [*CASES, *EXAMPLES], ids=lambda p: p.stem)
def test_before_the_amendment_the_calculator_answers_as_the_policy_as_issued(path, amended, as_issued):
    data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    batch = data.get("batch", data)
    as_of = batch.get("as_of") if isinstance(batch, dict) else None
    if isinstance(as_of, str) and as_of >= "2024-01-01":
        # On and after the amendment only (七)'s cap and (二十三) differ: the same reasoning, other law.
        batch = {**batch, "as_of": "2023-12-31"}
    assert _outcome(amended, batch) == _outcome(as_issued, batch)


def test_a_batch_dated_before_the_first_version_is_refused_as_before(amended, as_issued):
    batch = {"as_of": "2022-08-25", "applicants": []}
    refused = _outcome(amended, batch)
    assert refused == _outcome(as_issued, batch)
    assert "outside the period in effect of baotou_2022, 2022-08-26 to 2025-08-25" in refused[1]


def test_the_first_version_is_the_code_of_the_policy_as_issued():
    versioned = compile_file(BAOTOU, amendment_dirs=(AMENDMENTS,)).python
    alone = compile_policy(parse_file(BAOTOU).policy)
    first = versioned[versioned.index("@_rt.facts_class"):versioned.index("\n@_rt.facts_class", versioned.index("V1_SPEC ="))]
    own = alone[alone.index("@_rt.facts_class"):alone.index("\n\ndef read(")]
    assert first.replace("V1_", "").rstrip("\n") == own


def test_the_period_refusal_uses_the_version_in_force(tmp_path):
    base = family(tmp_path, notice("extension", "change period in effect from 2022-08-26 for 5 years",
                                   effective="2025-06-01", issued="2025-05-20"))
    module = load_source(compile_file(base).python, "extended")
    assert module.evaluate_json({"as_of": "2027-08-25", "applicants": []})["total"] == "0.00"
    with pytest.raises(BatchError, match="2022-08-26 to 2027-08-25"):
        module.evaluate_json({"as_of": "2027-08-26", "applicants": []})
    with pytest.raises(BatchError, match="2022-08-26 to 2025-08-25"):
        module.evaluate_json({"as_of": "2022-08-25", "applicants": []})
    # "Newly rated within the period in effect" (五) follows the amended period.
    hotel = {"id": "H", "county": "donghe", "hotel_star_rating": 4, "hotel_rated_on": "2026-03-01"}
    assert evaluate(module, "2026-06-30", hotel)["H"]["M5a"] == ("500000.00", "granted")


# ---------------------------------------------------------------- consolidation, one change at a time


@pytest.fixture(scope="module")
def policy():
    return parse_file(BAOTOU).policy


def consolidate(policy, changes: str, effective: str = "2024-01-01"):
    result = parse_text(notice("a", changes, effective=effective), "a.pol")
    assert not result.diagnostics, result.diagnostics
    return amend.apply(policy, result.amendment)


def clause(policy, number: int) -> n.Clause:
    return next(c for c in policy.clauses if c.number == number)


def measure(policy, name: str) -> n.Measure:
    return next(m for _, m in policy.all_measures() if m.name == name)


def test_change_a_cap(policy):
    after, problems = consolidate(policy, "change (七) M7 cap 50万元 to 80万元")
    assert not problems
    assert measure(after, "M7").caps[0].amount.value == Decimal(800000)
    assert measure(policy, "M7").caps[0].amount.value == Decimal(500000)  # a pure function: the base is intact
    assert measure(after, "M7").caps[0].amount.span.file == "a.pol"


def test_change_a_rate_and_a_threshold(policy):
    after, problems = consolidate(policy, "change (七) M7 pay 1% to 1.5%\nchange (七) M7 when 5 to 6")
    assert not problems
    m7 = measure(after, "M7")
    assert m7.amount.percent.value == Decimal("1.5")
    rooms = next(c for c in m7.condition.operands if isinstance(c, n.Compare) and c.left == n.Ref("livestream_rooms"))
    assert rooms.right.value == 6


def test_change_a_pool_limit_and_a_ranking_size(policy):
    after, problems = consolidate(policy, "change (六) station_fund limit 100万元 to 150万元\n"
                                          "change (八) festival_top5 top 5 to 10")
    assert not problems
    assert clause(after, 6).pools[0].limit.value == Decimal(1_500_000)
    assert clause(after, 8).rankings[0].top == 10


def test_change_the_words_of_a_text(policy):
    after, problems = consolidate(policy, 'change (七) text zh "最高不超过50万元" to "最高不超过80万元"')
    assert not problems
    assert "最高不超过80万元" in clause(after, 7).text.zh and "50万元" not in clause(after, 7).text.zh
    assert clause(after, 7).text.en == clause(policy, 7).text.en


def test_replace_add_and_repeal_clauses(policy):
    after, problems = consolidate(policy, '''
replace clause (九)
  title zh "新标题" en "New title"
  text zh "新正文" en "New text"
end
add clause (二十三)
  title zh "标题" en "Title"
  text zh "正文" en "Text"
end
repeal clause (十二)''')
    assert not problems
    numbers = [c.number for c in after.clauses]
    assert 12 not in numbers and numbers[-1] == 23 and numbers == sorted(numbers)
    assert clause(after, 9).title.en == "New title"
    assert clause(after, 9).heading == clause(policy, 9).heading  # a replaced clause keeps its place
    assert clause(after, 23).heading == clause(policy, 22).heading  # an added one stands after the one before


def test_replace_add_and_repeal_measures(policy):
    after, problems = consolidate(policy, '''
replace measure M4 in (四) reward
  title zh "奖励" en "Reward"
  when demo_enterprise_level = national
  pay 30万元
  payee applicant
end
add measure M4b in (四) reward
  title zh "奖励" en "Reward"
  when demo_enterprise_level = regional
  pay 10万元
  payee applicant
end
repeal measure M13 in (十三)''')
    assert not problems
    assert [m.name for m in clause(after, 4).measures] == ["M4", "M4b"]
    assert measure(after, "M4").amount.value == Decimal(300000)
    assert clause(after, 13).measures == ()


def test_change_the_period_in_effect(policy):
    after, problems = consolidate(policy, "change period in effect from 2022-08-26 to 2026-12-31")
    assert not problems
    assert after.header.period.end == datetime.date(2026, 12, 31)


def test_versions_apply_exactly_the_amendments_in_force(policy):
    first = parse_text(notice("first", "change (七) M7 cap 50万元 to 60万元"), "1.pol").amendment
    second = parse_text(notice("second", "change (七) M7 cap 60万元 to 70万元", effective="2025-01-01",
                               issued="2024-12-01"), "2.pol").amendment
    versions, problems = amend.versions(policy, [second, first])
    assert not problems
    assert [(v.effective, v.names) for v in versions] == [
        (datetime.date(2022, 8, 26), ()), (EFFECTIVE, ("first",)), (datetime.date(2025, 1, 1), ("first", "second"))]
    caps = {day: measure(amend.policy_on(policy, [first, second], day), "M7").caps[0].amount.value
            for day in (datetime.date(2023, 12, 31), EFFECTIVE, datetime.date(2024, 12, 31), datetime.date(2025, 1, 1))}
    assert list(caps.values()) == [500000, 600000, 600000, 700000]


# ---------------------------------------------------------------- the checker


def check_notice(tmp_path: Path, *texts: str) -> list:
    family(tmp_path, *texts)
    return check_file(tmp_path / "notice_0.pol")[1]


@pytest.mark.parametrize("change, code, words", [
    ("repeal clause (三十)", "P602", "clause (三十) does not exist in `baotou_2022` as in force on 2024-01-01"),
    ('replace clause (三十)\n  title zh "a" en "b"\n  text zh "a" en "b"\nend', "P602", "clause (三十)"),
    ("repeal measure M9 in (七)", "P602", "measure `M9` in clause (七)"),
    ("change (七) M77 cap 50万元 to 80万元", "P602", "`M77` in clause (七)"),
    ("change (七) M7 cap 40万元 to 80万元", "P604", "the cap of `M7` in clause (七) has no `40万元`"),
    ("change (七) M7 cap 50万元 to 80万美元", "P604", "is not the same kind of number"),
    ("change (六) station_fund cap 100万元 to 150万元", "P604", "is a pool: it has no `cap`"),
    ('change (七) text zh "最高不超过40万元" to "x"', "P604", "does not contain these words"),
    ('add clause (七)\n  title zh "a" en "b"\n  text zh "a" en "b"\nend', "P603", "clause (七) already exists"),
    ("add measure M7 in (七) reward\n  title zh \"a\" en \"b\"\n  pay 1万元\n  payee applicant\nend", "P603",
     "measure `M7` in clause (七) already exists"),
])
def test_an_amendment_that_targets_nothing_is_refused(tmp_path, change, code, words):
    found = check_notice(tmp_path, notice("bad", change))
    problem = next((d for d in found if d.code == code), None)
    assert problem is not None, codes(found)
    assert words in problem.message
    assert problem.span.file.endswith("notice_0.pol") and problem.span.line >= 6


def test_the_missing_target_hint_lists_what_there_is(tmp_path):
    found = check_notice(tmp_path, notice("bad", "change (七) M7 cap 40万元 to 80万元"))
    assert next(d for d in found if d.code == "P604").hint == "its numbers are `50万元`"
    found = check_notice(tmp_path, notice("bad", "repeal measure M8b in (八)"))
    assert next(d for d in found if d.code == "P602").hint == "did you mean `M8`?"


def test_two_amendments_changing_the_same_thing_on_the_same_day_are_refused(tmp_path):
    family(tmp_path, notice("one", "change (七) M7 cap 50万元 to 80万元"),
           notice("two", "replace measure M7 in (七) reward\n  title zh \"a\" en \"b\"\n  pay 1万元\n"
                         "  payee applicant\nend"))
    for path in ("notice_0.pol", "notice_1.pol"):
        found = check_file(tmp_path / path)[1]
        conflict = [d for d in found if d.code == "P605"]
        assert conflict, codes(found)
        assert conflict[0].message == ("`M7` in clause (七) is changed on 2024-01-01 by two amendments: "
                                       "`one` and `two`")


def test_changes_of_different_things_or_on_different_days_do_not_conflict(tmp_path):
    family(tmp_path, notice("one", "repeal clause (十二)"), notice("two", "repeal clause (十五)"),
           notice("three", "repeal clause (十六)", effective="2024-02-01", issued="2024-01-15"),
           notice("four", "repeal clause (十六)", effective="2024-03-01", issued="2024-02-15"))
    for index in range(4):
        assert "P605" not in codes(check_file(tmp_path / f"notice_{index}.pol")[1])
    assert "P602" in codes(check_file(tmp_path / "notice_3.pol")[1])  # (十六) was repealed a month before


def test_an_amendment_that_breaks_the_policy_is_told_where(tmp_path):
    # (二十一) groups M7 with the other one-time rewards: repealing (七) leaves it naming nothing.
    found = check_notice(tmp_path, notice("repeal_seven", "repeal clause (七)"))
    problem = next(d for d in found if d.code == "P606" and d.severity == "error")
    assert problem.span.file.endswith("notice_0.pol")
    assert problem.message.startswith("with this amendment, the policy in force from 2024-01-01 has a problem: ")
    assert "M7" in problem.message and "baotou_2022.pol:" in problem.hint


def test_the_header_of_an_amendment_is_checked(tmp_path):
    text = 'amendment bare amends baotou_2022\nend\n\nrepeal clause (十二)\n'
    found = check_notice(tmp_path, text)
    assert {d.message for d in found if d.code == "P302"} >= {
        "the amendment `bare` has no `effective` date", "the amendment `bare` has no `issued` date",
        "the amendment `bare` has no title"}
    early = check_notice(tmp_path, notice("early", "repeal clause (十二)", effective="2022-01-01", issued="2021-12-01"))
    assert "P607" in codes(early)
    late = check_notice(tmp_path, notice("late", "repeal clause (十二)", effective="2026-01-01", issued="2025-12-01"))
    assert [d.severity for d in late if d.code == "P609"] == ["warning"]
    # After an amendment that extends the period, a later one is in time.
    (tmp_path / "notice_1.pol").write_text(notice("extension", "change period in effect from 2022-08-26 for 5 years",
                                                  effective="2025-06-01", issued="2025-05-01"), encoding="utf-8")
    assert "P609" not in codes(check_file(tmp_path / "notice_0.pol")[1])


def test_an_amendment_of_a_policy_that_is_not_there(tmp_path):
    (tmp_path / "lonely.pol").write_text(notice("lonely", "repeal clause (十二)", base="baotou_2021"),
                                         encoding="utf-8")
    shutil.copy(BAOTOU, tmp_path / "b.pol")
    found = check_file(tmp_path / "lonely.pol")[1]
    assert codes(found) == ["P601"]
    assert found[0].hint == "did you mean `baotou_2022`?"


def test_the_example_amendment_checks_clean():
    parsed, found = check_file(AMENDMENT)
    assert parsed.amendment is not None
    assert not [d for d in found if d.severity == "error"], found


def test_a_broken_amendment_stops_evaluation_with_its_own_lines(tmp_path):
    base = family(tmp_path, notice("bad", "repeal clause (三十)"))
    with pytest.raises(PolicyError) as error:
        compile_file(base)
    assert error.value.diagnostics[0].code == "P602"
    assert "repeal clause (三十)" in error.value.source


# ---------------------------------------------------------------- the command line


def pol(*args: str) -> subprocess.CompletedProcess:
    """`pol ARGS` run in this process (the command's own code, without the start-up of a new Python)."""
    out, err = io.StringIO(), io.StringIO()
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    except SystemExit as exit:
        code = exit.code
    finally:
        sys.stdout, sys.stderr = streams
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_pol_check_shows_an_amendment_error_on_the_amendment_line(tmp_path):
    family(tmp_path, notice("bad", "repeal clause (三十)"))
    run = pol("check", str(tmp_path / "notice_0.pol"))
    assert run.returncode == 1
    assert "error[P602]: clause (三十) does not exist in `baotou_2022` as in force on 2024-01-01" in run.stdout
    assert " 7 | repeal clause (三十)" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_pol_eval_takes_the_policy_or_its_amendment(tmp_path):
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"as_of": "2024-06-30", "applicants": [LIVESTREAMER]}), encoding="utf-8")
    totals = []
    for args in ((str(BAOTOU),), (str(BAOTOU), "--amendments", str(AMENDMENTS)), (str(AMENDMENT),)):
        run = pol("eval", *args, "--facts", str(batch), "--format", "json")
        assert run.returncode == 0, run.stderr
        totals.append(json.loads(run.stdout)["total"])
    # The policy as issued alone; with the amendment asked for, or given as the file, it pays by it.
    assert totals == ["500000.00", "1000000.00", "1000000.00"]


def _awards(stdout: str) -> dict:
    return {a["id"]: {w["measure"]: (w["amount"], w["status"]) for w in a["awards"]}
            for a in json.loads(stdout)["applicants"]}


def test_the_official_policy_pays_by_the_law_as_issued_and_the_example_only_when_asked():
    """The example amendment sits outside policies/: `pol eval policies/baotou_2022.pol` on a 2024 batch
    caps (七) at the 50万元 of the law as issued and knows no (二十三); `--amendments` applies the example."""
    livestream = ("--facts", str(REPO / "examples" / "livestream.json"), "--set", "as_of=2024-06-30",
                  "--format", "json")
    issued = pol("eval", str(BAOTOU), *livestream)
    example = pol("eval", str(BAOTOU), *livestream, "--amendments", str(AMENDMENTS))
    assert issued.returncode == example.returncode == 0, issued.stderr + example.stderr
    issued, example = _awards(issued.stdout), _awards(example.stdout)
    assert json.loads((REPO / "examples" / "livestream.json").read_text())["applicants"][2][
        "local_product_livestream_sales"] == "86000000"
    assert issued["LS-003"] == {"M7": ("500000.00", "granted")}  # 1% of 86,000,000, capped at 50万元
    assert example["LS-003"] == {"M7": ("800000.00", "granted"), "M23": ("0.00", "not_eligible")}
    assert not any("M23" in awards for awards in issued.values())
    # (二十三) pays from 1亿元 of sales: LS-C (1.2亿元) gets it only with the amendment.
    impact = ("--facts", str(REPO / "examples" / "amendment_impact.json"), "--format", "json")
    issued = _awards(pol("eval", str(BAOTOU), *impact).stdout)
    example = _awards(pol("eval", str(BAOTOU), *impact, "--amendments", str(AMENDMENTS)).stdout)
    assert issued["LS-C"] == {"M7": ("500000.00", "granted")}
    assert example["LS-C"] == {"M7": ("800000.00", "granted"), "M23": ("200000.00", "granted")}
    assert not any("M23" in awards for awards in issued.values())
    assert not list((REPO / "policies").glob("*amendment*"))


def test_pol_compile_test_and_docs_take_amendments_from_another_directory(tmp_path):
    out = tmp_path / "calculators"
    assert pol("compile", str(BAOTOU), "-o", str(out / "issued")).returncode == 0
    assert pol("compile", str(BAOTOU), "--amendments", str(AMENDMENTS), "-o", str(out / "amended")).returncode == 0
    issued = (out / "issued" / "baotou_2022.py").read_text(encoding="utf-8")
    amended = (out / "amended" / "baotou_2022.py").read_text(encoding="utf-8")
    assert "M23" not in issued and "def measure_M23(" in amended
    assert amended == compile_file(AMENDMENT).python
    # `pol test` applies the amendments beside the test file, and those of --amendments.
    run = pol("test", str(AMENDMENTS))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("5 passed (1 test file)")
    (tmp_path / "baotou_2022.test.pol").write_text(
        f'tests for "{BAOTOU}"\n\ncase capped_in_2024\n  as_of 2024-06-30\n  applicant big\n    county donghe\n'
        "    registered_in_baotou yes\n    livestream_base_area_m2 5000平方米\n    livestream_rooms 20\n"
        "    active_anchors 60\n    established_on 2019-09-15\n    local_product_livestream_sales 1.2亿元\n"
        "  end\n  expect big M7 granted 50万元\nend\n", encoding="utf-8")
    assert pol("test", str(tmp_path)).returncode == 0
    changed = pol("test", str(tmp_path), "--amendments", str(AMENDMENTS))
    assert changed.returncode == 1 and "got       M7 granted 800,000.00" in changed.stdout
    docs = tmp_path / "docs"
    assert pol("docs", str(BAOTOU), "--amendments", str(AMENDMENTS), "--lang", "en", "-o", str(docs)).returncode == 0
    assert "M23" in (docs / "baotou_2022" / "calculator.en.md").read_text(encoding="utf-8")


def test_an_amendment_names_the_file_of_its_policy_when_it_is_elsewhere(tmp_path):
    policies, notices = tmp_path / "law", tmp_path / "drafts" / "2024"
    policies.mkdir()
    notices.mkdir(parents=True)
    shutil.copy(BAOTOU, policies / "baotou_2022.pol")
    text = notice("cap", "change (七) M7 cap 50万元 to 60万元\n"
                         'change (七) text zh "最高不超过50万元" to "最高不超过60万元"')
    (notices / "cap.pol").write_text(text, encoding="utf-8")
    # Not beside its policy, and not saying where it is: refused, and told how to say it.
    [missing] = check_file(notices / "cap.pol")[1]
    assert missing.code == "P601" and 'amends baotou_2022 in "FILE"' in missing.hint
    declared = text.replace("amends baotou_2022", 'amends baotou_2022 in "../../law/baotou_2022.pol"')
    (notices / "cap.pol").write_text(declared, encoding="utf-8")
    assert [d for d in check_file(notices / "cap.pol")[1] if d.severity == "error"] == []
    module = load_source(compile_file(notices / "cap.pol").python, "declared")
    assert evaluate(module, "2024-06-30", LIVESTREAMER)["LS-BIG"]["M7"] == ("600000.00", "granted")
    # The path is read as written: a file that is not there, or that is another policy, is refused.
    for path, words in (("../law/baotou_2022.pol", "no such file"),
                        ("../../law/other.pol", "declares `policy jobs_2024`")):
        shutil.copy(REPO / "examples" / "tutorial" / "first.pol", policies / "other.pol")
        (notices / "cap.pol").write_text(text.replace("amends baotou_2022", f'amends baotou_2022 in "{path}"'),
                                         encoding="utf-8")
        [problem] = check_file(notices / "cap.pol")[1]
        assert problem.code == "P601" and words in problem.message, problem.message
    # The policy itself finds it only when its directory is named: it is not beside it.
    (notices / "cap.pol").write_text(declared, encoding="utf-8")
    alone = load_source(compile_file(policies / "baotou_2022.pol").python, "law_alone")
    assert evaluate(alone, "2024-06-30", LIVESTREAMER)["LS-BIG"]["M7"] == ("500000.00", "granted")


def test_the_example_amendment_says_where_its_policy_is():
    assert parse_file(AMENDMENT).amendment.base_file == "../../policies/baotou_2022.pol"
    family = amend.load(AMENDMENT)
    assert Path(family.base_path).resolve() == BAOTOU.resolve()
    assert [r.amendment.name for r in family.amendments] == ["baotou_2022_amendment_2024"]


def test_compiling_is_deterministic_with_amendments():
    with_example = compile_file(BAOTOU, amendment_dirs=(AMENDMENTS,)).python
    assert with_example == compile_file(AMENDMENT).python == compile_file(BAOTOU, amendment_dirs=(AMENDMENTS,)).python
    assert compile_file(BAOTOU).python == compile_policy(parse_file(BAOTOU).policy)


# ---------------------------------------------------------------- the documentation shows real output


def _console_runs(markdown: str) -> list[tuple[str, list[str]]]:
    """Each `$ command` of the ```console blocks, with the lines shown after it."""
    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", markdown, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                runs.append((line[2:], []))
            elif runs:
                runs[-1][1].append(line)
    return runs


def _shown_as_run(shown: list[str], command: str) -> None:
    """Run a shown command (`pol` is this repository's, in its root) and compare: ` ... ` in a shown line
    stands for words left out."""
    script = f'pol() {{ PYTHONPATH="{REPO}" "{sys.executable}" -m pol.cli "$@"; }}\n{command}'
    run = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    got = run.stdout.rstrip("\n").splitlines()
    assert len(got) == len(shown), f"{command}:\n{run.stdout}"
    for want, line in zip(shown, got):
        pattern = ".*".join(re.escape(part) for part in want.split(" ... "))
        assert re.fullmatch(pattern, line), f"{command}:\n  shown {want}\n  got   {line}"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("page", ["README.md", "docs/amendments.en.md", "docs/amendments.zh.md"])
def test_the_amendment_examples_in_the_documentation_are_real_output(page):
    text = (REPO / page).read_text(encoding="utf-8")
    if page == "README.md":
        text = text[text.index("## Amendments"):text.index("\n## ", text.index("## Amendments") + 1)]
    runs = [(command, shown) for command, shown in _console_runs(text)
            if "examples/amendments" in command or "--amendments" in command]
    assert runs, f"{page} shows no command with the example amendment"
    for command, shown in runs:
        _shown_as_run(shown, command)
