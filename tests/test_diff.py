"""`pol diff`: every kind of change in words, the payout impact to the fen, the formats, the exit codes."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.diff import Change, Report, Section, diff, impact, render_markdown, render_text
from compiler.python_gen import compile_policy
from dsl import amend
from dsl.parser import parse_file, parse_text
from pol.api import load_source

from .cli_support import pol, pol_process

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
SOURCE = BAOTOU.read_text(encoding="utf-8")
BATCH = REPO / "examples" / "amendment_impact.json"
# The example amendment (not the law): kept out of policies/, applied when asked for.
AMENDMENTS = REPO / "examples" / "amendments"
AMENDMENT = AMENDMENTS / "baotou_2022_amendment_2024.pol"
# `pol diff policies/baotou_2022.pol --amendments examples/amendments --from ... --to ...`
AMENDED = ("policies/baotou_2022.pol", "--amendments", "examples/amendments")


def beside_its_policy(text: str) -> str:
    """The example amendment as a repository of policies keeps it: beside the policy, with no path to it."""
    assert ' in "../../policies/baotou_2022.pol"' in text
    return text.replace(' in "../../policies/baotou_2022.pol"', "")




def edited(*replacements: tuple[str, str]) -> str:
    text = SOURCE
    for old, new in replacements:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    return text


def changes(*replacements: tuple[str, str]) -> list:
    old = parse_file(BAOTOU).policy
    result = parse_text(edited(*replacements), str(BAOTOU))
    assert result.policy is not None, result.diagnostics
    return diff(old, result.policy)


def words(*replacements: tuple[str, str]) -> list[tuple[str, str, str]]:
    return [(c.action, c.en, c.zh) for c in changes(*replacements)]


# ---------------------------------------------------------------- the same meaning is no change


def test_a_policy_has_no_change_from_itself():
    policy = parse_file(BAOTOU).policy
    assert diff(policy, policy) == []


def test_spelling_and_layout_are_not_changes():
    assert changes(("cap 50万元\n", "cap 500000元\n"),
                   ("livestream_rooms 不少于 5", "livestream_rooms   >=   5"),
                   ("    payee applicant\n    interpretation zh \"“国家级”",
                    "    payee   applicant\n\n    interpretation zh \"“国家级”")) == []


# ---------------------------------------------------------------- every kind of change


def test_a_cap():
    assert words(("cap 50万元\n", "cap 80万元\n")) == [
        ("changed", "(七) M7 cap: 500,000 → 800,000 yuan", "第(七)条 M7 上限:50万元 → 80万元")]


def test_an_amount_and_a_rate():
    assert words(("pay 20万元\n", "pay 30万元\n")) == [
        ("changed", "(四) M4 amount: 200,000 → 300,000 yuan", "第(四)条 M4 金额:20万元 → 30万元")]
    [(action, en, zh)] = words(("pay 1% of local_product_livestream_sales",
                                "pay 1.5% of local_product_livestream_sales"))
    assert en == ("(七) M7 amount: 1% of livestream sales of local products in the year → "
                  "1.5% of livestream sales of local products in the year")
    assert zh == "第(七)条 M7 金额:年内为本土产品带货交易额的1% → 年内为本土产品带货交易额的1.5%"


def test_a_condition_changed_added_and_removed():
    assert words(("and livestream_rooms 不少于 5", "and livestream_rooms 不少于 8")) == [(
        "changed", "(七) M7 condition: livestream rooms at least 5 (不少于) → livestream rooms at least 8 (不少于)",
        "第(七)条 M7 条件:直播间数量不少于5 → 直播间数量不少于8")]
    assert words(("and livestream_rooms 不少于 5\n", "and livestream_rooms 不少于 5\n     and submitted_on is given\n")) \
        == [("added", "(七) M7 condition added: date the application was submitted is given",
             "第(七)条 M7 新增条件:已申报申请提交日期")]
    assert words(("     and livestream_rooms 不少于 5\n", "")) == [
        ("removed", "(七) M7 condition removed: livestream rooms at least 5 (不少于)", "第(七)条 M7 删除条件:直播间数量不少于5")]


def test_the_parts_of_a_measure():
    found = words(("measure M4 reward", "measure M4 subsidy"), ("    payee applicant\n    interpretation zh \"“国家级”",
                                                                "    payee county\n    interpretation zh \"“国家级”"),
                  ('title zh "国家级电子商务示范企业奖励"', 'title zh "国家级示范企业奖励"'))
    assert ("changed", "(四) M4 kind: reward → subsidy", "第(四)条 M4 类别:奖励 → 补贴") in found
    assert ("changed", "(四) M4 payee: applicant → county", "第(四)条 M4 受款方:applicant → county") in found
    assert ("changed", "(四) M4 title (zh): “国家级电子商务示范企业奖励” → “国家级示范企业奖励”",
            "第(四)条 M4 标题 (zh):“国家级电子商务示范企业奖励” → “国家级示范企业奖励”") in found
    burden = words(("    burden city 100%\n    interpretation zh \"奖励给予", "    burden city 80% county 20%\n"
                                                                      "    interpretation zh \"奖励给予"))
    assert burden == [("changed", "(三) M3a burden: city 100% → city 80%, county 20%",
                       "第(三)条 M3a 负担:市本级100% → 市本级80%,旗县区20%")]


def test_a_measure_added_and_removed():
    policy = parse_file(BAOTOU).policy
    change = parse_text('amendment a amends baotou_2022\n  effective 2024-01-01\nend\n'
                        'add measure M4b in (四) reward\n  title zh "奖励" en "Reward"\n'
                        '  when demo_enterprise_level = regional\n  pay 10万元\n  payee applicant\nend\n'
                        'repeal measure M13 in (十三)\n', "a.pol").amendment
    after, problems = amend.apply(policy, change)
    assert not problems
    found = [(c.action, c.subject, c.en, c.zh) for c in diff(policy, after)]
    assert found[0] == ("added", "M4b", "(四) measure M4b added: reward; when level of the e-commerce (digital "
                        "commerce) demonstration enterprise is autonomous-region level; pays 100,000 yuan",
                        "第(四)条 新增措施 M4b:奖励;条件:电子商务(数字商务)示范企业级别为自治区级;金额:10万元")
    assert found[1][:2] == ("removed", "M13")
    assert found[1][2].startswith("(十三) measure M13 removed: settlement; when registered in Baotou and")
    assert found[1][3].startswith("第(十三)条 删除措施 M13:结算;条件:在我市注册且")


def test_clauses_added_repealed_and_retitled():
    policy = parse_file(BAOTOU).policy
    change = parse_text('amendment a amends baotou_2022\n  effective 2024-01-01\nend\n'
                        'repeal clause (十二)\nadd clause (二十三)\n  title zh "新条" en "A new clause"\n'
                        '  text zh "正文" en "Text"\nend\n', "a.pol").amendment
    after, problems = amend.apply(policy, change)
    assert not problems
    found = [(c.action, c.en, c.zh) for c in diff(policy, after)]
    assert found == [
        ("removed", "(十二) repealed: Promote the integrated development of e-commerce and community life services.",
         "废止第(十二)条:促进电子商务与社区生活服务业融合发展"),
        ("added", "(二十三) added: A new clause", "新增第(二十三)条:新条")]


def test_the_text_of_a_clause_shows_the_words_that_changed():
    [(action, en, zh)] = words(("最高不超过50万元。", "最高不超过80万元。"))
    assert en == "(七) text (zh): “…予一次性奖励,最高不超过50万元。” → “…予一次性奖励,最高不超过80万元。”"
    [(action, en, zh)] = words(("up to a maximum of CNY 500,000.", "up to a maximum of CNY 800,000."))
    assert en == ("(七) text (en): “…amount, up to a maximum of CNY 500,000.” → "
                  "“…amount, up to a maximum of CNY 800,000.”")


def test_clause_repairs_interpretations_and_burden():
    found = words(('  repair "促费活动" as "促消费活动"\n', ""),
                  ("  default burden city 50% county 50%", "  default burden city 60% county 40%"))
    assert ("removed", "(七) repair removed: “促费活动” → “促消费活动”", "第(七)条 删除文字修正:“促费活动” → “促消费活动”") in found
    assert ("changed", "(二十) default burden: city 50%, county 50% → city 60%, county 40%",
            "第(二十)条 默认负担:市本级50%,旗县区50% → 市本级60%,旗县区40%") in found
    notes = words(('  interpretation zh "“涉及奖补比例和限额均为上限”', '  interpretation zh "“涉及奖补比例及限额均为上限”'))
    assert [a for a, _, _ in notes] == ["removed", "added"]


def test_pools_rankings_and_exclusive_groups():
    found = words(("limit 100万元 per year", "limit 150万元 per year"), ("top 5 by", "top 10 by"),
                  ("    partial grants in whole units\n", ""),
                  ("among M3a, M3b, M4, M5a, M5b, M7, M11a, M11b", "among M3a, M3b, M4, M5a, M5b, M7, M11a"))
    assert ("changed", "(六) station_fund limit: 1,000,000 → 1,500,000 yuan",
            "第(六)条 station_fund 年度总额:100万元 → 150万元") in found
    assert ("changed", "(六) station_fund partial grants: in whole units → as remainder",
            "第(六)条 station_fund 部分给付:按整单位 → 按余额") in found
    assert ("changed", "(八) festival_top5 size: top 5 → top 10", "第(八)条 festival_top5 名次数:前5 → 前10") in found
    assert ("removed", "(二十一) highest_only no longer includes M11b", "第(二十一)条 highest_only 删除成员 M11b") in found
    among = words(("among festival_online_retail_sales > 0", "among festival_online_retail_sales > 100"))
    assert among[0][1] == ("(八) festival_top5 among: online retail sales during the festival more than 0 → "
                           "online retail sales during the festival more than 100")


def test_the_header_and_the_vocabulary():
    found = words(("in effect from 2022-08-26 for 3 years", "in effect from 2022-08-26 for 5 years"),
                  ("from 2021-01-01 to 2025-12-31", "from 2021-01-01 to 2026-12-31"),
                  ("  rare_earth_zone zh", "  new_zone zh \"新区\" en \"New Zone\"\n  rare_earth_zone zh"),
                  ("  submitted_on: date", "  submitted_on: text"),
                  ('en "parcels delivered to administrative villages, by county"',
                   'en "parcels delivered to administrative villages, by county" required'))
    assert ("changed", "header period in effect: 2022-08-26 to 2025-08-25 → 2022-08-26 to 2027-08-25",
            "header 有效期:2022-08-26至2025-08-25 → 2022-08-26至2027-08-25") in found
    assert ("changed", "window fyp14 window: 2021-01-01 to 2025-12-31 → 2021-01-01 to 2026-12-31",
            "window fyp14 期间:2021-01-01至2025-12-31 → 2021-01-01至2026-12-31") in found
    assert any(en.startswith("enumeration county values: kundulun") and "new_zone" in en for _, en, _ in found)
    assert ("changed", "fact submitted_on type: date → text", "fact submitted_on 类型:date → text") in found
    assert ("changed", "fact village_parcels options: applicant → applicant, required",
            "fact village_parcels 选项:applicant → applicant, required") in found


# ---------------------------------------------------------------- payout impact


@pytest.fixture(scope="module")
def versions():
    family = amend.load(BAOTOU, [AMENDMENTS])
    return family.on(datetime.date(2023, 12, 31)), family.on(datetime.date(2024, 1, 1))


def _results(versions):
    batch = json.loads(BATCH.read_text(encoding="utf-8"), parse_float=Decimal)
    return [load_source(compile_policy(v.policy), f"v{v.effective}").evaluate_json(batch) for v in versions]


def test_the_payout_before_and_after_is_exact(versions):
    before, after = _results(versions)
    found = impact(before, after, "batch.json", 7, [v.policy for v in versions])
    assert (found.before, found.after) == (Decimal("2420000.00"), Decimal("3970000.00"))
    # The totals are the sums of what each side pays, applicant by applicant.
    assert found.before == sum(Decimal(a["total"]) for a in before["applicants"]) == Decimal(before["total"])
    assert found.after == sum(Decimal(a["total"]) for a in after["applicants"]) == Decimal(after["total"])
    assert [(m.numeral, m.measure, str(m.before), str(m.after)) for m in found.measures] == [
        ("五", "M5a", "1000000.00", "1000000.00"), ("六", "M6", "120000.00", "120000.00"),
        ("七", "M7", "1300000.00", "2450000.00"), ("二十三", "M23", "0", "400000.00")]
    assert sum((m.before for m in found.measures), Decimal(0)) == found.before
    assert sum((m.after for m in found.measures), Decimal(0)) == found.after
    assert [(a.id, str(a.before), str(a.after)) for a in found.applicants] == [
        ("LS-B", "500000.00", "650000.00"), ("LS-C", "500000.00", "1000000.00"),
        ("LS-E", "0.00", "700000.00"), ("HOTEL-LS", "1000000.00", "1200000.00")]
    lse = found.applicants[2]
    assert lse.measures == (("M7", Decimal("0.00"), Decimal("700000.00")),)  # no longer below the other reward


def test_the_command_reports_the_payout_per_measure_and_in_total():
    run = pol("diff", *AMENDED, "--from", "2023-12-31", "--to", "2024-01-01",
              "--population", "examples/amendment_impact.json", "--format", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["changed"] is True
    assert report["impact"]["total"] == {"before": "2420000.00", "after": "3970000.00", "change": "+1550000.00"}
    assert {m["measure"]: m["change"] for m in report["impact"]["measures"]} == {
        "M5a": "0.00", "M6": "0.00", "M7": "+1150000.00", "M23": "+400000.00"}
    assert [a["id"] for a in report["impact"]["applicants"]] == ["LS-B", "LS-C", "LS-E", "HOTEL-LS"]
    [section] = report["sections"]
    assert section["label"] == "amended by baotou_2022_amendment_2024"
    assert "(七) M7 cap: 500,000 → 800,000 yuan" in [c["en"] for c in section["changes"]]


def test_two_files_are_compared_version_by_version(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(BAOTOU, old / "baotou_2022.pol")
    # The amendment's file stands for its policy with it: the old policy against the amended one.
    run = pol("diff", str(old / "baotou_2022.pol"), str(AMENDMENT), "--format", "json",
              "--population", "examples/amendment_impact.json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [(s["label"], len(s["changes"])) for s in report["sections"]] == [
        ("in force from 2022-08-26", 0), ("in force from 2024-01-01 (with baotou_2022_amendment_2024)", 5)]
    assert report["impact"]["total"]["change"] == "+1550000.00"  # the batch's as_of is 2024-06-30
    at = json.loads(pol("diff", str(old / "baotou_2022.pol"), str(AMENDMENT), "--at", "2023-06-30",
                        "--format", "json").stdout)
    assert at["changed"] is False and at["sections"][0]["label"] == "as in force on 2023-06-30"
    # The policy of policies/ is the law as issued: the same as the copy, on every day.
    issued = json.loads(pol("diff", str(old / "baotou_2022.pol"), "policies/baotou_2022.pol", "--format", "json",
                            "--population", "examples/amendment_impact.json").stdout)
    assert issued["changed"] is False and issued["impact"]["total"]["change"] == "0.00"


def test_a_side_that_refuses_the_batch_is_reported(tmp_path):
    shutil.copy(BAOTOU, tmp_path / "baotou_2022.pol")
    (tmp_path / "extension.pol").write_text(
        'amendment extension amends baotou_2022\n  title zh "延期" en "Extension"\n  issued 2025-05-01\n'
        '  effective 2025-06-01\nend\n\nchange period in effect from 2022-08-26 for 5 years\n', encoding="utf-8")
    batch = json.loads(BATCH.read_text(encoding="utf-8"))
    batch["as_of"] = "2026-06-30"
    (tmp_path / "batch.json").write_text(json.dumps(batch), encoding="utf-8")
    run = pol("diff", str(tmp_path / "baotou_2022.pol"), "--from", "2025-01-01", "--to", "2025-06-01",
              "--population", str(tmp_path / "batch.json"), "--format", "json")
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)["impact"]
    assert "outside the period in effect of baotou_2022, 2022-08-26 to 2025-08-25" in found["refused_before"]
    assert found["refused_after"] is None
    assert found["total"]["before"] == "0.00" and found["total"]["after"] != "0.00"


# ---------------------------------------------------------------- formats and exit codes


def test_text_and_markdown_say_the_same_in_both_languages():
    text = pol("diff", *AMENDED, "--from", "2023-12-31", "--to", "2024-01-01",
               "--population", "examples/amendment_impact.json").stdout
    assert "    ~ (七) M7 cap: 500,000 → 800,000 yuan\n      第(七)条 M7 上限:50万元 → 80万元" in text
    assert "Payout on examples/amendment_impact.json (7 applicants, as of 2024-06-30)" in text
    assert re.search(r"total\s+2,420,000\.00\s+3,970,000\.00\s+\+1,550,000\.00", text)
    assert "  LS-E: 0.00 → 700,000.00 (+700,000.00)  M7 0.00 → 700,000.00" in text
    markdown = pol("diff", *AMENDED, "--from", "2023-12-31", "--to", "2024-01-01",
                   "--population", "examples/amendment_impact.json", "--format", "markdown").stdout
    assert "| ~ | (七) M7 cap: 500,000 → 800,000 yuan | 第(七)条 M7 上限:50万元 → 80万元 |" in markdown
    assert "| **total** | **2,420,000.00** | **3,970,000.00** | **+1,550,000.00** |" in markdown
    assert "<details><summary>4 applicants whose amount changes</summary>" in markdown
    zh = pol("diff", *AMENDED, "--from", "2023-12-31", "--to", "2024-01-01", "--lang", "zh").stdout
    assert "第(七)条 M7 上限:50万元 → 80万元" in zh and "M7 cap" not in zh


def test_markdown_cells_keep_policy_text_in_its_cell():
    change = Change("changed", 1, "一", "M1", "title", "a | b <script>", "甲|乙\n丙")
    report = Report("p", "a", "b", (Section("s", "s", (change,)),))
    out = render_markdown(report)
    assert "| ~ | a \\| b &lt;script&gt; | 甲\\|乙 丙 |" in out
    assert "<script>" not in out


def test_the_output_is_the_same_every_run():
    args = ("diff", *AMENDED, "--from", "2023-12-31", "--to", "2024-01-01",
            "--population", "examples/amendment_impact.json", "--format", "markdown")
    assert pol(*args).stdout == pol(*args).stdout


def test_exit_codes(tmp_path):
    same = ("diff", "policies/baotou_2022.pol", "--from", "2023-01-01", "--to", "2023-06-01")
    assert pol(*same).returncode == 0
    assert pol(*same, "--fail-on-change").returncode == 0
    changed = ("diff", *AMENDED, "--from", "2023-01-01", "--to", "2024-06-01")
    assert pol(*changed).returncode == 0
    gate = pol(*changed, "--fail-on-change")
    assert gate.returncode == 1 and "--fail-on-change" in gate.stderr
    assert pol("diff", "policies/baotou_2022.pol").returncode == 2
    assert pol("diff", "policies/baotou_2022.pol", "--from", "2023-01-01", "--to", "not-a-day").returncode == 2
    assert pol("diff", "a.pol", "b.pol", "--from", "2023-01-01", "--to", "2024-01-01").returncode == 2
    bad = tmp_path / "bad.pol"
    bad.write_text("policy broken\n", encoding="utf-8")
    broken = pol_process("diff", str(bad), str(BAOTOU))
    assert broken.returncode == 1 and "error[" in broken.stderr and "Traceback" not in broken.stderr
    refused = tmp_path / "refused.json"
    refused.write_text('{"as_of": "2023-12-31", "applicants": [{"id": "x", "nope": 1}]}', encoding="utf-8")
    run = pol(*changed, "--population", str(refused))
    assert run.returncode == 1 and "unknown fact `nope`" in run.stderr
    assert pol(*changed, "--population", str(tmp_path / "missing.json")).returncode == 2


def test_render_text_without_changes():
    policy = parse_file(BAOTOU).policy
    report = Report("baotou_2022", "a", "b", (Section("s", "s", tuple(diff(policy, policy))),))
    assert render_text(report) == "baotou_2022: a → b\n  no change in the law"
    assert not report.changed


# ---------------------------------------------------------------- directories, and the CI recipe


def test_two_directories_are_compared_policy_by_policy(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    shutil.copy(BAOTOU, old / "anything.pol")  # matched by the id its header declares, not by its name
    shutil.copy(BAOTOU, new / "baotou_2022.pol")
    (new / "notice.pol").write_text(beside_its_policy(AMENDMENT.read_text(encoding="utf-8")), encoding="utf-8")
    (new / "tutorial.pol").write_text((REPO / "examples" / "tutorial" / "first.pol").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    run = pol("diff", str(old), str(new), "--format", "json", "--population", f"baotou_2022={BATCH}")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [p["policy"] for p in report["policies"]] == ["baotou_2022", "jobs_2024"]
    assert report["policies"][0]["impact"]["total"]["change"] == "+1550000.00"
    assert report["policies"][1]["sections"][0]["changes"][0]["en"] == "new policy: jobs_2024"
    same = pol("diff", str(old), str(old), "--fail-on-change")
    assert same.returncode == 0 and same.stdout.strip().endswith("Unchanged: baotou_2022")
    assert pol("diff", str(old), str(BAOTOU)).returncode == 2


def _workflow() -> dict:
    yaml = pytest.importorskip("yaml")
    path = REPO / "examples" / "ci" / ".github" / "workflows" / "pol.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_ci_recipe_runs_every_check_and_posts_the_diff_of_a_pull_request(tmp_path):
    """Run the workflow's steps as a runner would, in a repository where a pull request adds the amendment."""
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("needs git and bash")
    workflow = _workflow()
    steps = {step.get("name"): step for step in workflow["jobs"]["policies"]["steps"]}
    assert [name for name in steps if name and name.endswith(")")] == [
        "Layout (pol fmt)", "Checks (pol check)", "Tests and coverage (pol test)",
        "What the pull request changes (pol diff)"]
    bin_dir, repo, temp = tmp_path / "bin", tmp_path / "repo", tmp_path / "runner"
    for d in (bin_dir, repo / "policies", repo / "examples", temp):
        d.mkdir(parents=True)
    (bin_dir / "pol").write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m pol.cli "$@"\n')
    (bin_dir / "gh").write_text(f'#!/bin/sh\necho "gh $*" >> "{tmp_path}/gh.log"\n'
                                'while [ $# -gt 0 ]; do [ "$1" = --body-file ] && cat "$2" > "' + str(tmp_path)
                                + '/comment.md"; shift; done\n')
    for tool in ("pol", "gh"):
        (bin_dir / tool).chmod(0o755)
    env = {**os.environ, **{k: str(v) for k, v in workflow["env"].items() if "${{" not in str(v)},
           "PATH": f"{bin_dir}:{os.environ['PATH']}", "RUNNER_TEMP": str(temp),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "PR": "7", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def sh(script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True)

    policy = repo / "policies" / "baotou_2022.pol"
    policy.write_text(SOURCE, encoding="utf-8")
    shutil.copy(REPO / "policies" / "baotou_2022.test.pol", repo / "policies")
    shutil.copy(BATCH, repo / "examples")
    assert sh("git init -q . && pol fmt policies >/dev/null 2>&1 && git add -A && git commit -qm base").returncode == 0
    env["BASE_SHA"] = sh("git rev-parse HEAD").stdout.strip()
    # The pull request adds the amendment beside its policy, with its cases (their coverage is required too).
    (repo / "policies" / AMENDMENT.name).write_text(beside_its_policy(AMENDMENT.read_text(encoding="utf-8")),
                                                    encoding="utf-8")
    cases = (AMENDMENTS / "baotou_2022_amendment_2024.test.pol").read_text(encoding="utf-8")
    assert 'tests for "../../policies/baotou_2022.pol"' in cases
    (repo / "policies" / "baotou_2022_amendment_2024.test.pol").write_text(
        cases.replace('tests for "../../policies/baotou_2022.pol"', "tests for baotou_2022"), encoding="utf-8")
    assert sh("git add -A && git commit -qm 'the 2024 amendment'").returncode == 0

    for name in ("Layout (pol fmt)", "Checks (pol check)", "Tests and coverage (pol test)",
                 "What the pull request changes (pol diff)"):
        run = sh(steps[name]["run"])
        assert run.returncode == 0, f"{name}: {run.stdout}{run.stderr}"
    log = (tmp_path / "gh.log").read_text(encoding="utf-8")
    assert log.startswith("gh pr comment 7 --edit-last --body-file ")
    comment = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert "| ~ | (七) M7 cap: 500,000 → 800,000 yuan | 第(七)条 M7 上限:50万元 → 80万元 |" in comment
    assert "| **total** | **2,420,000.00** | **3,970,000.00** | **+1,550,000.00** |" in comment
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == comment


def test_the_pre_commit_hooks_run_the_same_commands():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((REPO / "examples" / "ci" / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert entries == ["pol fmt --check --diff", "pol check", "pol test --coverage --fail-under 100 policies"]
    for entry in entries[:2]:
        args = entry.split()[1:]
        files = ["examples/amendments/baotou_2022_amendment_2024.pol"]
        assert pol(*args, *files).returncode == 0, entry


def test_the_ci_page_shows_the_files_it_ships():
    for page in ("ci.en.md", "ci.zh.md"):
        text = (REPO / "docs" / page).read_text(encoding="utf-8")
        for shipped in (".github/workflows/pol.yml", ".pre-commit-config.yaml"):
            body = (REPO / "examples" / "ci" / shipped).read_text(encoding="utf-8")
            assert body in text, f"{page} does not show examples/ci/{shipped} as it is"


AMENDMENT_CHANGES = [
    ("change (七) M7 cap 50万元 to 80万元", ["(七) M7 cap: 500,000 → 800,000 yuan"]),
    ("change (七) M7 pay 1% to 1.5%", ["(七) M7 amount: 1% of livestream sales of local products in the year → "
                                      "1.5% of livestream sales of local products in the year"]),
    ("change (七) M7 when 5 to 6", ["(七) M7 condition: livestream rooms at least 5 (不少于) → "
                                   "livestream rooms at least 6 (不少于)"]),
    ("change (六) station_fund limit 100万元 to 150万元", ["(六) station_fund limit: 1,000,000 → 1,500,000 yuan"]),
    ("change (八) festival_top5 top 5 to 10", ["(八) festival_top5 size: top 5 → top 10"]),
    ('change (七) text zh "最高不超过50万元" to "最高不超过80万元"',
     ["(七) text (zh): “…予一次性奖励,最高不超过50万元。” → “…予一次性奖励,最高不超过80万元。”"]),
    ("change period in effect from 2022-08-26 to 2026-12-31",
     ["header period in effect: 2022-08-26 to 2025-08-25 → 2022-08-26 to 2026-12-31"]),
    ("repeal clause (十二)",
     ["(十二) repealed: Promote the integrated development of e-commerce and community life services."]),
    ('replace clause (九)\n  title zh "新标题" en "New title"\n  text zh "新正文" en "New text"\nend',
     ["(九) title (zh): “推动优质农畜产品开拓渠道。” → “新标题”"]),
    ('add clause (二十三)\n  title zh "新条" en "A new clause"\n  text zh "正文" en "Text"\nend',
     ["(二十三) added: A new clause"]),
    ("repeal measure M4 in (四)", ["(四) measure M4 removed: reward; when level of the e-commerce (digital commerce) "
                                  "demonstration enterprise is national and date the demonstration enterprise was "
                                  "approved within the 14th Five-Year Plan period (2021-01-01 to 2025-12-31); "
                                  "pays 200,000 yuan"]),
    ('replace measure M4 in (四) reward\n  title zh "国家级电子商务示范企业奖励" en "Reward for a national e-commerce '
     'demonstration enterprise"\n  when demo_enterprise_level = national\n  pay 30万元\n  payee applicant\nend',
     ["(四) M4 who (zh): ““十四五”期间获批的国家级电子商务示范企业或数字商务企业” → (none)"]),
    ('add measure M4b in (四) reward\n  title zh "奖" en "R"\n  pay 1万元\n  payee applicant\nend',
     ["(四) measure M4b added: reward; pays 10,000 yuan"]),
]


@pytest.mark.parametrize("change, first", AMENDMENT_CHANGES, ids=[c[0].split("\n")[0] for c in AMENDMENT_CHANGES])
def test_every_kind_of_amendment_change_reads_as_what_it_does(change, first):
    policy = parse_file(BAOTOU).policy
    text = f"amendment a amends baotou_2022\n  effective 2024-01-01\nend\n{change}\n"
    amendment = parse_text(text, "a.pol").amendment
    after, problems = amend.apply(policy, amendment)
    assert not problems
    found = [c.en for c in diff(policy, after)]
    assert found[:len(first)] == first
    assert all(c.zh for c in diff(policy, after))


def test_the_rest_of_the_vocabulary_and_the_pools():
    found = words(("  usd_cny_rate: rate CNY per USD", "  usd_cny_rate: rate CNY per USD zh \"汇率\" en \"rate\"\n"
                                                       "  fx_source: text zh \"汇率来源\" en \"source of the rate\"\n"
                                                       "  usd_cny_rate_old: rate CNY per USD"),
                  ("    order by submitted_on, input order", "    order by input order"),
                  ("    ties by festival_local_goods_online_retail, input order", "    ties by input order"),
                  ("    against other_city_policy_reward\n", ""),
                  ("  rounding half_up to 0.01元 per award", "  rounding half_even to 0.01元 per award"),
                  ("  issued 2022-08-26", "  issued 2022-08-27"))
    en = [w[1] for w in found]
    assert "fact fx_source added: source of the rate (batch, text)" in en
    assert "(六) station_fund order: date the application was submitted, input order → input order" in en
    assert ("(八) festival_top5 ties: online retail of local physical goods during the festival, input order → "
            "input order") in en
    assert "(二十一) highest_only against: other_city_policy_reward → (none)" in en
    assert "header rounding: half_up to 0.01元 → half_even to 0.01元" in en
    assert "header issued: 2022-08-26 → 2022-08-27" in en
