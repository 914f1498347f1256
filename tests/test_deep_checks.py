"""The deep checks (`dsl.deep_checks`) and the Chinese-number reader (`dsl.legal_text`).

Each check has its code, its severity and a policy that triggers it; the clean
policies (`CLEAN`, Baotou) show that it stays quiet when nothing is wrong.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import diagnostics as diag
from dsl import legal_text
from dsl.checks import check, check_file
from dsl.parser import parse_text

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
DEEP_CODES = {
    "table-nothing": ("P306", diag.NOTE),
    "cap-never-binds": ("P406", diag.WARNING),
    "cap-always-binds": ("P407", diag.WARNING),
    "condition-never-holds": ("P408", diag.WARNING),
    "condition-always-holds": ("P409", diag.WARNING),
    "tier-overlap": ("P410", diag.WARNING),
    "tier-gap": ("P411", diag.WARNING),
    "number-not-in-text": ("P501", diag.ERROR),
    "comparison-not-in-text": ("P502", diag.ERROR),
    "text-number-unused": ("P503", diag.NOTE),
}

CLEAN = """\
policy t
  title zh "标题" en "Title"
  issuer zh "机关" en "Issuer"
  issued 2022-08-26
  in effect from 2022-08-26 for 3 years
  window early zh "前期" en "early" from 2021-01-01 to 2021-12-31
  window late zh "后期" en "late" from 2023-01-01 to 2023-12-31
  rounding half_up to 0.01元 per award
end
enumeration county zh "旗县区" en "County"
  kundulun zh "昆都仑区" en "Kundulun"
  guyang zh "固阳县" en "Guyang"
  bayan_obo zh "白云鄂博矿区" en "Bayan Obo"
end
enumeration level zh "级别" en "Level"
  national zh "国家级" en "national"
  regional zh "自治区级" en "regional"
end
batch facts
  as_of: date zh "评估日期" en "As of" required
end
applicant facts
  id: identifier zh "编号" en "id"
  county: county zh "旗县区" en "County" jurisdiction
  rooms: integer zh "直播间" en "Rooms"
  anchors: integer zh "主播" en "Anchors"
  sales: money CNY zh "销售额" en "Sales"
  level: level zh "级别" en "Level"
  registered: bool zh "注册" en "Registered"
  est: date zh "设立日期" en "Established"
  parcels: integer by county zh "单量" en "Parcels"
end
clause (七)
  title zh "直播" en "Livestreaming"
  text zh "对直播间不少于5个、主播人数超过10名、年销售额达到2000万元(含)以上的企业,按销售额的1%给予奖励,最高不超过50万元。"
       en "Rewards."
  measure M7 reward
    title zh "直播奖励" en "Livestream reward"
    when rooms 不少于 5 and anchors 超过 10 and sales 达到 2000万元 and registered
    pay 1% of sales
    cap 50万元
    payee applicant
    burden city 50% county 50%
  end
end
clause (五)
  title zh "示范" en "Demonstration"
  text zh "对获批国家级示范的企业给予奖励。" en "Demonstration."
  measure M5 reward
    title zh "示范奖励" en "Demonstration reward"
    when level = national and est within early
    pay 10万元
    payee applicant
    burden city 50% county 50%
  end
end
clause (十四)
  title zh "快递" en "Parcels"
  text zh "对固阳县每单补贴0.3元,昆都仑区每单补贴0.2元。" en "Parcels."
  measure M14 subsidy
    title zh "快递进村" en "Parcels"
    when parcels is given
    pay for each of parcels at
      guyang -> 0.30元
      kundulun -> 0.20元
      bayan_obo -> nothing because zh "未列明白云鄂博矿区" en "the text names no rate for Bayan Obo"
    end
    payee applicant
    burden city 50% county 50%
  end
end
"""

M7_WHEN = "when rooms 不少于 5 and anchors 超过 10 and sales 达到 2000万元 and registered"
M7_TEXT = ("对直播间不少于5个、主播人数超过10名、年销售额达到2000万元(含)以上的企业,按销售额的1%给予奖励,"
           "最高不超过50万元。")


def vary(*pairs: tuple[str, str], src: str = CLEAN) -> str:
    for old, new in pairs:
        assert src.count(old) == 1, f"{old!r} must occur exactly once"
        src = src.replace(old, new)
    return src


def run(src: str) -> list[diag.Diagnostic]:
    result = parse_text(src, "t.pol")
    assert result.policy is not None, [d.message for d in result.diagnostics]
    return check(result.policy)


def deep(src: str) -> list[diag.Diagnostic]:
    return [d for d in run(src) if d.name in DEEP_CODES]


def one(diags, name: str, contains: str = "") -> diag.Diagnostic:
    found = [d for d in diags if d.name == name and contains in d.message]
    assert len(found) == 1, [(d.name, d.message) for d in diags]
    code, severity = DEEP_CODES[name]
    assert (found[0].code, found[0].severity) == (code, severity)
    return found[0]


def line_of(src: str, needle: str) -> int:
    return src[:src.index(needle)].count("\n") + 1


# ---------------------------------------------------------------- clean policies


def test_the_clean_policy_has_only_its_deliberate_gap():
    found = run(CLEAN)
    assert [d.name for d in found] == ["table-nothing"]
    d = found[0]
    assert d.message == ("`bayan_obo` of `county` is deliberately paid nothing by `M14`: "
                         "the text names no rate for Bayan Obo")
    assert d.hint == "理由:未列明白云鄂博矿区"
    assert d.span.line == line_of(CLEAN, "bayan_obo -> nothing")


def test_baotou_reports_the_bayan_obo_gap_and_the_idle_pool_as_notes_and_nothing_else():
    result, found = check_file(BAOTOU)
    assert [(d.code, d.severity) for d in found] == [("P405", "note"), ("P306", "note")]
    pool, gap = found
    assert "festival_fund" in pool.message and "500,000 CNY" in pool.message
    assert gap.message.startswith("`bayan_obo` of `county` is deliberately paid nothing by `M14`: Neither rate names")
    assert "白云鄂博矿区" in gap.hint


def test_pol_check_on_baotou_prints_the_two_notes_and_succeeds():
    done = subprocess.run([sys.executable, "-m", "pol.cli", "check", str(BAOTOU)], capture_output=True,
                          text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    headlines = [line for line in done.stdout.splitlines() if re.match(r"\S+:\d+:\d+: ", line)]
    assert len(headlines) == 2
    assert "note[P405]" in headlines[0] and "festival_fund" in headlines[0]
    assert "note[P306]" in headlines[1] and "bayan_obo" in headlines[1]
    assert "理由:本条两档补贴均未列明白云鄂博矿区" in done.stdout
    assert done.stdout.rstrip().endswith("Success: no errors (checked 1 file)")


def test_a_gap_without_a_reason_is_still_a_warning():
    src = vary(('      bayan_obo -> nothing because zh "未列明白云鄂博矿区" en "the text names no rate for Bayan Obo"\n',
                ""))
    found = run(src)
    assert [d.name for d in found] == ["table-gap"]
    assert "`bayan_obo`" in found[0].message


# ---------------------------------------------------------------- caps


def test_a_cap_above_another_cap_never_binds():
    src = vary(("    cap 50万元\n", "    cap 50万元\n    cap 80万元\n"),
               ("最高不超过50万元", "最高不超过50万元,且不超过80万元"))
    d = one(deep(src), "cap-never-binds")
    assert d.message == f"the cap 80万元 of `M7` can never bind: the cap 50万元 (line {line_of(src, 'cap 50万元')}) is lower"
    assert d.span.line == line_of(src, "cap 80万元")


def test_a_cap_above_the_most_the_amount_can_be_never_binds():
    src = vary(("    pay 1% of sales\n", "    pay by level\n      national -> 30万元\n      regional -> 20万元\n    end\n"),
               ("按销售额的1%给予奖励", "给予国家级30万元、自治区级20万元奖励"))
    d = one(deep(src), "cap-never-binds")
    assert d.message == "the cap 50万元 of `M7` can never bind: the amount is at most 300,000 CNY"


def test_a_cap_below_the_least_the_amount_can_be_always_binds():
    src = vary(("    pay 1% of sales\n", "    pay 5% of sales\n"), ("按销售额的1%", "按销售额的5%"))
    d = one(deep(src), "cap-always-binds")
    assert d.message == ("the cap 50万元 of `M7` always binds: under its conditions the amount is at least "
                         "1,000,000 CNY")
    # The same cap with a lower rate can bind or not: nothing to say.
    assert deep(CLEAN) == [d for d in deep(CLEAN) if d.name == "table-nothing"]


# ---------------------------------------------------------------- conditions


@pytest.mark.parametrize("condition, reason", [
    ("rooms 不少于 5 and rooms < 3", "`rooms 不少于 5` (line {line}) and `rooms < 3` (line {line}) cannot both hold"),
    ("rooms > 4 and rooms < 5", "`rooms > 4` (line {line}) and `rooms < 5` (line {line}) cannot both hold"),
    ("rooms < 0", "`rooms < 0`: `rooms` is never below 0 (a number is never negative; an absent one counts as 0)"),
    ("level = national and level = regional",
     "`level = national` (line {line}) and `level = regional` (line {line}) cannot both hold"),
    ("registered and not registered", "`registered` (line {line}) and `not (registered)` (line {line}) cannot both hold"),
    ("est within early and est within late",
     "`est within early` (line {line}) and `est within late` (line {line}) cannot both hold"),
    ("rooms >= 5 and not (rooms > 3 or anchors > 1)",
     "`rooms >= 5` (line {line}) and `not (rooms > 3)` (line {line}) cannot both hold"),
    ("not (rooms is given) and rooms > 2", "`rooms > 2`: `rooms` is not given, so it counts as 0"),
    ("5 > 10", "`5 > 10` compares two written numbers and is false"),
])
def test_a_condition_that_can_never_hold(condition, reason):
    src = vary((M7_WHEN, f"when {condition}"), (M7_TEXT, "对直播企业给予奖励。"))
    d = one(deep(src), "condition-never-holds")
    assert d.message == f"the condition of `M7` can never hold: {reason.format(line=line_of(src, condition))}"


@pytest.mark.parametrize("condition, atom, reason", [
    ("rooms >= 0", "rooms >= 0",
     "`rooms` is never below 0 (a number is never negative; an absent one counts as 0)"),
    ("rooms > -1", "rooms > -1", "`rooms` is never below 0"),
    ("5 < 10", "5 < 10", "it compares two written numbers"),
])
def test_a_condition_that_always_holds(condition, atom, reason):
    src = vary((M7_WHEN, f"when {condition}"), (M7_TEXT, "对直播企业给予奖励。"))
    found = [d for d in deep(src) if d.name == "condition-always-holds" and d.message.startswith(f"`{atom}`")]
    assert len(found) == 1, [d.message for d in deep(src)]
    assert reason in found[0].message
    assert (found[0].code, found[0].severity) == ("P409", "warning")


@pytest.mark.parametrize("condition", [
    "rooms >= 5 and rooms >= 3",  # implied by another conjunct: emphasis, not a mistake
    "rooms >= 5 and rooms < 6",
    "full years since est >= 0",  # absent date: does not hold, so not always
    "not (level = national) and level != national",
    "level != national",
    "year of est >= 2022 and year of est <= 2022",
])
def test_conditions_that_can_go_either_way_are_quiet(condition):
    src = vary((M7_WHEN, f"when {condition}"), (M7_TEXT, "对直播企业给予奖励。"))
    assert [d.name for d in deep(src) if d.name.startswith("condition")] == []


def test_a_ranking_among_that_never_holds():
    src = vary(("    cap 50万元\n", "    cap 50万元\n  end\n  ranking top\n    top 5 by sales\n"
                                    "    among sales < 0\n  end\n  measure M7b reward\n"
                                    "    title zh \"排名\" en \"Ranked\"\n    when ranked in top\n"
                                    "    pay 1万元\n"),
               (M7_TEXT, "对直播企业给予奖励。"))
    d = one(deep(src), "condition-never-holds")
    assert d.message.startswith("`among` of ranking `top` can never hold")


# ---------------------------------------------------------------- tiers

TIERS = """\
  measure T1 reward
    title zh "一档" en "Tier 1"
    when sales 达到 100万元 and sales < {hi}
    pay 1万元
    payee applicant
  end
  measure T2 reward
    title zh "二档" en "Tier 2"
    when sales 达到 {lo}
    pay 5万元
    payee applicant
  end
"""


def _tiers(hi: str, lo: str) -> str:
    return vary(("  measure M7 reward\n", TIERS.format(hi=hi, lo=lo) + "  measure M7 reward\n"),
                (M7_TEXT, "对直播企业给予奖励。"))


def test_tiers_that_meet_are_quiet():
    assert [d.name for d in deep(_tiers("500万元", "500万元")) if d.name.startswith("tier")] == []


def test_tiers_that_overlap():
    d = one(deep(_tiers("600万元", "500万元")), "tier-overlap")
    assert d.message == ("the tiers `T1` and `T2` overlap on `sales`: both accept from 5,000,000 below 6,000,000")


def test_tiers_that_leave_a_gap():
    d = one(deep(_tiers("400万元", "500万元")), "tier-gap")
    assert d.message == "the tiers `T1` and `T2` leave a gap on `sales`: neither accepts from 4,000,000 below 5,000,000"


def test_whole_number_tiers_meet_across_strict_and_inclusive_bounds():
    src = vary(("  measure M7 reward\n", """\
  measure R1 reward
    title zh "一档" en "Tier 1"
    when rooms 达到 1 and rooms <= 4
    pay 1万元
    payee applicant
  end
  measure R2 reward
    title zh "二档" en "Tier 2"
    when rooms > 4 and rooms < 8
    pay 2万元
    payee applicant
  end
  measure R3 reward
    title zh "三档" en "Tier 3"
    when rooms >= 9
    pay 3万元
    payee applicant
  end
  measure M7 reward
"""), (M7_TEXT, "对直播企业给予奖励。"))
    found = [d for d in deep(src) if d.name.startswith("tier")]
    assert [(d.name, d.message) for d in found] == [
        ("tier-gap", "the tiers `R2` and `R3` leave a gap on `rooms`: neither accepts 8")]


# ---------------------------------------------------------------- the text and the code


def test_a_number_the_text_does_not_state_is_an_error_citing_both_places():
    src = vary(("    cap 50万元\n", "    cap 60万元\n"))
    d = one(run(src), "number-not-in-text")
    assert d.message == "the cap `60万元` of measure `M7` is not in the text of clause (七)"
    assert d.span.line == line_of(src, "cap 60万元")
    text_line = line_of(src, "text zh \"对直播间")
    assert d.hint.startswith(f"the text (line {text_line}) states 5个, 10名, 2000万元, 1%, 50万元")


def test_a_threshold_the_text_does_not_state():
    src = vary((M7_WHEN, M7_WHEN.replace("2000万元", "3000万元")))
    d = one(run(src), "number-not-in-text")
    assert d.message == "the threshold `3000万元` of measure `M7` is not in the text of clause (七)"


@pytest.mark.parametrize("code, text_words, code_words", [
    ("anchors 达到 10", "`超过` (more than)", "`at least` (>=)"),
    ("anchors >= 10", "`超过` (more than)", "`at least` (>=)"),
    ("anchors 不超过 10", "`超过` (more than)", "`at most` (<=)"),
])
def test_a_comparison_the_text_words_differently_is_an_error(code, text_words, code_words):
    src = vary(("anchors 超过 10", code))
    d = one(run(src), "comparison-not-in-text")
    assert d.message.startswith(f"measure `M7` reads `10` as {code_words}, but the text of clause (七) says "
                                f"{text_words}: “")
    assert "主播人数超过10名" in d.message
    assert "以上/达到/不少于/满 as `>=`" in d.hint
    assert d.span.line == line_of(src, code)


def test_a_cap_the_text_states_as_a_threshold_is_an_error():
    src = vary(("最高不超过50万元", "且销售额达到50万元"))
    d = one(run(src), "comparison-not-in-text")
    assert d.message.startswith("measure `M7` reads `50万元` as a cap (`at most`), but the text of clause (七) says "
                                "`达到` (at least)")


def test_a_threshold_in_other_words_that_mean_the_same_is_fine():
    # 不少于 in the code, 达到 in the text: both `>=`.
    src = vary(("anchors 超过 10", "anchors more than 10"), ("rooms 不少于 5", "rooms 达到 5"))
    assert [d.name for d in run(src)] == ["table-nothing"]


def test_numbers_of_the_encoded_sentence_that_no_code_uses_are_a_note():
    src = vary((M7_TEXT, M7_TEXT.replace("最高不超过50万元", "设立满3年,最高不超过50万元") + "开展100场活动。"))
    d = one(run(src), "text-number-unused")
    assert d.message == "the text of clause (七) states `3年`, which no code uses"
    assert "设立满3年" in d.hint  # 100场 stands in a sentence no code encodes


def test_a_text_without_numbers_is_not_held_to_the_code():
    src = vary((M7_TEXT, "对直播企业给予奖励。"))
    assert [d.name for d in run(src)] == ["table-nothing"]


def test_a_changed_baotou_number_is_caught(tmp_path):
    source = BAOTOU.read_text(encoding="utf-8")
    for old, new, name in [("active_anchors 超过 10", "active_anchors 达到 10", "comparison-not-in-text"),
                           ("    cap 50万元\n    payee applicant\n    interpretation zh \"“设立时间满1年”",
                            "    cap 60万元\n    payee applicant\n    interpretation zh \"“设立时间满1年”",
                            "number-not-in-text"),
                           ("guyang -> 0.30元", "guyang -> 0.35元", "number-not-in-text"),
                           ("limit 100万元 per year", "limit 120万元 per year", "number-not-in-text")]:
        assert source.count(old) == 1, old
        path = tmp_path / "baotou.pol"
        path.write_text(source.replace(old, new), encoding="utf-8")
        _, found = check_file(path)
        errors = [d for d in found if d.severity == diag.ERROR]
        assert [d.name for d in errors] == [name], (old, [d.message for d in errors])


# ---------------------------------------------------------------- reading Chinese numbers


@pytest.mark.parametrize("text, value, unit", [
    ("奖励50万元", "500000", "CNY"),
    ("2000万元(含)以上", "20000000", "CNY"),
    ("达到100万美元", "1000000", "USD"),
    ("最高不超过200万元人民币", "2000000", "CNY"),
    ("按交易额的1%给予", "1", "percent"),
    ("每单补贴0.3元", "0.3", "CNY"),
    ("面积达到1000平方米", "1000", "m2"),
    ("设立时间满1年", "1", None),
    ("满一年", "1", None),
    ("五星级", "5", None),
    ("二十家以上", "20", None),
    ("１０万元", "100000", "CNY"),
    ("1.5亿元", "150000000", "CNY"),
    ("2000万以上", "20000000", "magnitude"),
])
def test_numbers_are_normalised(text, value, unit):
    [found] = legal_text.numbers(text)
    assert (found.value, found.unit) == (Decimal(value), unit)


@pytest.mark.parametrize("text", [
    "(包府发〔2021〕5号)", "2022年8月26日印发", "“十四五”期间", "一次性奖励", "第一个完整纳税年度",
    "一平台四体系", "市四区", "一批企业",
])
def test_what_is_no_quantity_is_not_read(text):
    assert legal_text.numbers(text) == []


@pytest.mark.parametrize("text, op, words", [
    ("达到2000万元(含)以上", ">=", "达到…(含)以上"),
    ("不少于5", ">=", "不少于"),
    ("满1年", ">=", "满"),
    ("20家以上", ">=", "以上"),
    ("超过10", ">", "超过"),
    ("不超过50万元", "<=", "不超过"),
    ("最高补贴10万元", "<=", "最高"),
    ("不满3年", "<", "不满"),
    ("未达到5", "<", "未达到"),
    ("10个以内", "<=", "以内"),
    ("奖励100万元", None, ""),
    ("超过5,奖励100万元", None, ""),  # a comma ends what 超过 applies to
])
def test_the_comparison_the_words_state(text, op, words):
    found = legal_text.numbers(text)[-1]
    assert (found.op, found.words) == (op, words)


def test_chinese_numerals():
    assert [legal_text.chinese_number(s) for s in ("五", "十", "十四", "二十", "九十九", "一百零五", "两千")] == [
        5, 10, 14, 20, 99, 105, 2000]
    assert legal_text.chinese_number("一二") is None
    assert legal_text.chinese_number("") is None


# ---------------------------------------------------------------- the codes


def test_every_deep_code_is_declared_with_its_severity_and_tested():
    for name, (code, severity) in DEEP_CODES.items():
        assert (diag.CODES[name].code, diag.CODES[name].severity) == (code, severity)
    source = (REPO / "dsl" / "deep_checks.py").read_text(encoding="utf-8")
    emitted = {name for name in diag.CODES if f'"{name}"' in source}
    assert emitted == set(DEEP_CODES)
    tested = set(re.findall(r'one\(.*?, "([a-z-]+)"', Path(__file__).read_text(encoding="utf-8")))
    tested |= {"table-nothing", "condition-always-holds"}  # asserted by name and code above
    assert set(DEEP_CODES) - tested == set()
