"""The static checks: one small policy per mistake, asserting the code, where it
points (line:column) and, where it helps, the hint.

Every policy is the minimal valid `BASE` (one clause, one measure) with one thing
changed by `vary`; `at` finds the line and column of a piece of the changed text.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import diagnostics as diag
from dsl.checks import check, check_file
from dsl.parser import parse_text

HERE = Path(__file__).parent
DEMO = HERE / "fixtures" / "demo.pol"
DSL = HERE.parent / "dsl"

HEADER = """\
policy t
  title zh "标题" en "Title"
  issuer zh "机关" en "Issuer"
  issued 2022-08-26
  in effect from 2022-08-26 for 3 years
  window fyp14 zh "十四五" en "14th FYP" from 2021-01-01 to 2025-12-31
  rounding half_up to 0.01元 per award
end
"""

BASE = HEADER + """\
enumeration county zh "旗县区" en "County"
  kundulun zh "昆都仑区" en "Kundulun"
  bayan_obo zh "白云鄂博矿区" en "Bayan Obo"
end
batch facts
  as_of: date zh "评估日期" en "As of" required
  year: year zh "年度" en "Year" default year of as_of
  usd_cny_rate: rate CNY per USD zh "汇率" en "Rate"
end
applicant facts
  id: identifier zh "编号" en "id"
  county: county zh "旗县区" en "County" jurisdiction
  livestream_rooms: integer zh "直播间" en "Rooms"
  sales: money CNY zh "销售额" en "Sales"
end
clause (七)
  title zh "直播" en "Livestreaming"
  text zh "对直播企业给予奖励。" en "Livestream enterprises are rewarded."
  measure M7 reward
    title zh "直播奖励" en "Livestream reward"
    when livestream_rooms >= 5 and county = kundulun
    pay 1% of sales
    cap 50万元
    payee applicant
    burden city 50% county 50%
  end
end
"""

# Places to change or to add after.
ENUMS_END = "batch facts\n"
FACTS_END = '  sales: money CNY zh "销售额" en "Sales"\n'
COND = "livestream_rooms >= 5 and county = kundulun"
PAY = "pay 1% of sales"
MEASURE_END = "    burden city 50% county 50%\n  end\n"

M6 = """\
  measure M6 subsidy
    title zh "站点" en "Stations"
    pay 1万元 for each of livestream_rooms
    payee applicant
    burden city 50% county 50%
  end
"""

EXTRA_FACTS = """\
  trade: money USD zh "进出口额" en "Trade"
  area: area m2 zh "面积" en "Area"
  parcels: integer by county zh "单量" en "Parcels"
  stars: star zh "星级" en "Stars"
  est: date zh "设立日期" en "Established"
  share: decimal zh "比例" en "Share"
"""

STAR = """\
enumeration star zh "星级" en "Star"
  5 zh "五星" en "five"
  4 zh "四星" en "four"
end
"""


def vary(*pairs: tuple[str, str], src: str = BASE) -> str:
    for old, new in pairs:
        assert src.count(old) == 1, f"{old!r} must occur exactly once"
        src = src.replace(old, new)
    return src


def with_facts(*pairs: tuple[str, str]) -> str:
    """The base with trade, area, parcels, stars, est and share declared (and used)."""
    src = vary((ENUMS_END, STAR + ENUMS_END), (FACTS_END, FACTS_END + EXTRA_FACTS))
    uses = "trade > 0 and area > 0 and parcels is given and stars is given and est is given and share > 0"
    return vary(("    when " + COND, f"    when {COND}\n     and {uses}"), *pairs, src=src)


def run(src: str) -> list[diag.Diagnostic]:
    result = parse_text(src, "t.pol")
    assert result.policy is not None, [d.message for d in result.diagnostics]
    assert result.diagnostics == []
    return check(result.policy)


def at(src: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """The line and column (1-based) where the nth `needle` starts."""
    index = -1
    for _ in range(nth):
        index = src.index(needle, index + 1)
    line = src.count("\n", 0, index) + 1
    return line, index - (src.rfind("\n", 0, index) + 1) + 1


def one(diags: list[diag.Diagnostic], name: str, contains: str = "") -> diag.Diagnostic:
    found = [d for d in diags if d.name == name and contains in d.message]
    assert len(found) == 1, [(d.name, d.message) for d in diags]
    assert found[0].code == diag.CODES[name].code
    return found[0]


def pos(d: diag.Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.column


def names(diags) -> list[str]:
    return [d.name for d in diags]


# ---------------------------------------------------------------- clean policies


def test_base_checks_clean():
    assert run(BASE) == []
    assert run(with_facts()) == []


def test_demo_fixture_checks_clean():
    result, diags = check_file(DEMO)
    assert result.policy is not None
    # Its one finding is the note that `bayan_obo` is deliberately paid nothing.
    assert [d.name for d in diags if d.severity != diag.NOTE] == [], [diag.render(d, result.source) for d in diags]
    assert [d.code for d in diags] == ["P306"]


def test_check_is_deterministic():
    src = with_facts((COND, "livestream_room >= 5 and county = kundulunn and sales > 5"),
                     ("  title zh \"直播\" en \"Livestreaming\"\n", ""))
    first = run(src)
    assert len(first) >= 4
    assert run(src) == first
    assert check(parse_text(src, "t.pol").policy) == first
    assert first == sorted(first, key=diag.sort_key)


def test_check_file_returns_only_parse_diagnostics_when_parse_fails(tmp_path):
    path = tmp_path / "bad.pol"
    path.write_text(BASE.replace("  end\nend\n", "  end\n"), encoding="utf-8")
    result, diags = check_file(path)
    assert result.policy is None
    assert names(diags) == ["unclosed-block"]


def test_check_file_on_a_checked_file(tmp_path):
    path = tmp_path / "t.pol"
    path.write_text(vary((COND, "livestream_room >= 5")), encoding="utf-8")
    result, diags = check_file(path)
    d = one(diags, "undefined-name")
    assert d.span.file == str(path)


# ---------------------------------------------------------------- the header


def test_no_policy_header():
    src = BASE.replace(HEADER, "")
    d = one(run(src), "missing-declaration")
    assert pos(d) == (1, 1)
    assert "`policy` header" in d.message
    assert "policy NAME" in d.hint


@pytest.mark.parametrize("line, part", [
    ('  issuer zh "机关" en "Issuer"\n', "issuer"),
    ('  title zh "标题" en "Title"\n', "title"),
    ("  issued 2022-08-26\n", "`issued` date"),
    ("  in effect from 2022-08-26 for 3 years\n", "period in effect"),
    ("  rounding half_up to 0.01元 per award\n", "rounding"),
])
def test_header_part_missing(line, part):
    src = vary((line, ""))
    d = one(run(src), "missing-part")
    assert pos(d) == (1, 8)  # the policy's name
    assert d.message == f"the policy header `t` has no {part}"


def test_header_title_needs_both_languages():
    src = vary(('  title zh "标题" en "Title"', '  title zh "标题"'))
    d = one(run(src), "missing-text")
    assert pos(d) == at(src, 'zh "标题"')
    assert d.message == "the title of the policy has no en text"
    assert d.hint.startswith('add `en "..."`')


def test_rounding_step_must_be_money():
    src = vary(("rounding half_up to 0.01元", "rounding half_up to 0.01"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "0.01 per award")


def test_as_of_must_be_declared():
    src = vary(("  as_of: date", "  evaluated_on: date"), ("year of as_of", "year of evaluated_on"))
    d = one(run(src), "missing-declaration")
    assert pos(d) == (1, 8)
    assert d.message == "the policy has no batch fact `as_of`"
    assert "as_of: date" in d.hint


def test_as_of_must_be_a_date():
    src = vary(("  as_of: date", "  as_of: year"), (" default year of as_of", ""))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "as_of: year")


def test_year_must_be_of_type_year():
    src = vary(('  year: year zh "年度" en "Year" default year of as_of', '  year: integer zh "年度" en "Year"'))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "integer zh \"年度\"")
    assert "`year` is the award year" in d.hint


def test_window_ending_before_it_starts():
    src = vary(("from 2021-01-01 to 2025-12-31", "from 2026-01-01 to 2025-12-31"))
    d = one(run(src), "bad-period")
    assert pos(d) == at(src, "fyp14")
    assert "ends (2025-12-31) before it starts (2026-01-01)" in d.message


def test_period_of_no_years():
    src = vary(("for 3 years", "for 0 years"))
    d = one(run(src), "bad-period")
    assert pos(d) == at(src, "in effect")


# ---------------------------------------------------------------- names declared twice


def test_duplicate_fact_across_batch_and_applicant():
    src = vary((FACTS_END, FACTS_END + '  as_of: date zh "日期" en "Date"\n'))
    d = one(run(src), "duplicate-name")
    assert pos(d) == at(src, "as_of: date", 2)
    assert d.message == "fact `as_of` is declared twice"
    assert d.hint == f"the first declaration is at line {at(src, 'as_of: date')[0]}"


def test_duplicate_enumeration_value():
    src = vary(("  bayan_obo zh", "  kundulun zh"))
    d = one(run(src), "duplicate-name")
    assert pos(d) == at(src, "kundulun zh", 2)
    assert d.message == "`county` value `kundulun` is declared twice"


def test_duplicate_measure_across_clauses():
    src = vary(("  end\nend\n", '  end\nend\nclause (八)\n  title zh "八" en "Eight"\n  text zh "八" en "Eight"\n'
                                + M6.replace("M6", "M7") + "end\n"))
    d = one(run(src), "duplicate-name")
    assert pos(d) == at(src, "M7 subsidy")
    assert d.message == "measure `M7` is declared twice"
    assert d.hint == f"the first declaration is at line {at(src, 'M7 reward')[0]}"


def test_duplicate_window():
    src = vary(("  rounding", '  window fyp14 zh "又" en "again" from 2021-01-01 to 2021-12-31\n  rounding'))
    d = one(run(src), "duplicate-name")
    assert pos(d) == at(src, "fyp14", 2)
    assert d.message == "window `fyp14` is declared twice"


def test_duplicate_clause_number():
    src = BASE + 'clause (七)\n  title zh "又" en "Again"\n  text zh "又" en "Again"\nend\n'
    d = one(run(src), "duplicate-clause")
    assert pos(d) == at(src, "(七)", 2)
    assert d.message == "clause (七) appears twice"
    assert d.hint == "the first one is at line 24"


def test_enumeration_value_named_like_a_fact():
    src = vary(("  bayan_obo zh", "  sales zh"))
    d = one(run(src), "reserved-name")
    assert pos(d) == at(src, "sales zh")


def test_two_jurisdiction_facts():
    src = vary((FACTS_END, FACTS_END + '  seat: county zh "驻地" en "Seat" jurisdiction\n'))
    d = one(run(src), "extra-jurisdiction")
    assert pos(d) == at(src, "seat:")
    assert d.message == "fact `seat` is marked `jurisdiction`, but `county` already is"


def test_jurisdiction_must_be_an_enumeration():
    src = vary(("county: county zh \"旗县区\" en \"County\" jurisdiction", "county: county zh \"旗县区\" en \"County\""),
               (FACTS_END, FACTS_END + '  seat: text zh "驻地" en "Seat" jurisdiction\n'))
    diags = run(src)
    d = one(diags, "type-mismatch")
    assert pos(d) == at(src, "seat:")
    assert "missing-declaration" in names(diags)  # a text fact cannot name the county


# ---------------------------------------------------------------- both languages


def test_clause_text_without_english():
    src = vary(('en "Livestream enterprises are rewarded."', ""))
    d = one(run(src), "missing-text")
    assert pos(d) == at(src, 'zh "对直播企业')
    assert d.message == "the text of clause (七) has no en text"
    assert d.hint == 'add `en "..."`: the documentation is published in Chinese and English'


def test_clause_without_title_lacks_both_languages():
    src = vary(('  title zh "直播" en "Livestreaming"\n', ""))
    diags = [d for d in run(src) if d.name == "missing-text"]
    assert sorted(d.message for d in diags) == ["the title of clause (七) has no en text",
                                                "the title of clause (七) has no zh text"]
    assert {pos(d) for d in diags} == {at(src, "(七)")}


def test_measure_without_title():
    src = vary(('    title zh "直播奖励" en "Livestream reward"\n', ""))
    diags = [d for d in run(src) if d.name == "missing-text"]
    assert len(diags) == 2
    assert {pos(d) for d in diags} == {at(src, "M7 reward")}


def test_fact_without_label():
    src = vary(('  livestream_rooms: integer zh "直播间" en "Rooms"', "  livestream_rooms: integer"))
    diags = [d for d in run(src) if d.name == "missing-text"]
    assert {d.message for d in diags} == {"the fact `livestream_rooms` has no zh text",
                                          "the fact `livestream_rooms` has no en text"}
    assert {pos(d) for d in diags} == {at(src, "livestream_rooms: integer")}


@pytest.mark.parametrize("old, new, needle, what", [
    ('bayan_obo zh "白云鄂博矿区" en "Bayan Obo"', 'bayan_obo zh "白云鄂博矿区"', 'zh "白云鄂博矿区"',
     "the value `bayan_obo` of `county`"),
    ('enumeration county zh "旗县区" en "County"', 'enumeration county en "County"', 'en "County"',
     "the enumeration `county`"),
    ('zh "十四五" en "14th FYP"', 'en "14th FYP"', 'en "14th FYP"', "the window `fyp14`"),
    ('    payee applicant\n', '    payee applicant\n    interpretation zh "解释"\n', 'zh "解释"',
     "an interpretation of measure `M7`"),
    ('    payee applicant\n', '    payee applicant\n    who en "livestreamers"\n', 'en "livestreamers"',
     "who measure `M7` is for"),
])
def test_texts_needing_both_languages(old, new, needle, what):
    src = vary((old, new))
    d = one(run(src), "missing-text")
    assert pos(d) == at(src, needle)
    assert d.message.startswith(what + " has no ")


def test_nothing_because_needs_both_languages():
    src = with_facts((PAY, 'pay for each of parcels at\n      kundulun -> 0.20元\n'
                           '      bayan_obo -> nothing because zh "未列"\n    end'))
    d = one(run(src), "missing-text")
    assert pos(d) == at(src, 'zh "未列"')
    assert d.message == "the reason `bayan_obo` earns nothing in measure `M7` has no en text"


# ---------------------------------------------------------------- unknown names


def test_misspelled_fact():
    src = vary((COND, "livestream_room >= 5 and county = kundulun"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "livestream_room ")
    assert d.message == "unknown fact `livestream_room`"
    assert d.hint == "did you mean `livestream_rooms`?"


def test_unknown_fact_without_a_close_name():
    src = vary((COND, COND + " and registered"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "registered")
    assert d.hint == "declare it under `applicant facts` or `batch facts`"


def test_misspelled_enumeration_value():
    src = vary((COND, "livestream_rooms >= 5 and county = kundulunn"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "kundulunn")
    assert d.message == "unknown fact or `county` value `kundulunn`"
    assert d.hint == "did you mean `kundulun`?"


def test_unknown_value_lists_the_enumeration():
    src = vary((COND, "livestream_rooms >= 5 and county = qingshan"))
    d = one(run(src), "undefined-name")
    assert d.hint == "the values of `county` are `kundulun`, `bayan_obo`"


def test_unknown_enumeration_of_a_fact():
    src = vary(("county: county zh", "county: conty zh"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "conty")
    assert d.message == "unknown enumeration `conty`"
    assert d.hint == "did you mean `county`?"


def test_unknown_window():
    src = vary((COND, COND + " and as_of within fyp15"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "fyp15")
    assert d.message == "unknown window `fyp15`"
    assert d.hint == "did you mean `fyp14`?"


def test_unknown_ranking():
    src = vary((COND, COND + " and ranked in top5"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "top5")
    assert d.message == "unknown ranking `top5`"


def test_table_keyed_by_an_enumeration_not_a_fact():
    src = with_facts((PAY, "pay by star\n      5 -> 1元\n      4 -> 2元\n    end"))
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "star\n")
    assert d.hint == "`star` is an enumeration; name a fact of that type, such as `stars`"


# ---------------------------------------------------------------- enumeration values and tables


def test_value_of_another_enumeration():
    src = with_facts((COND, COND + " and county = five"),
                     ('  5 zh "五星" en "five"', '  five zh "五星" en "five"'))
    d = one(run(src), "unknown-enum-value")
    assert pos(d) == at(src, "five\n")
    assert d.message == "`five` is not a value of `county`"
    assert d.hint == "`five` is a value of `star`"


def test_number_compared_with_an_enumeration():
    src = with_facts((COND, COND + " and stars = 3"))
    d = one(run(src), "unknown-enum-value")
    assert pos(d) == at(src, "3\n")
    assert d.message == "`3` is not a value of `star`"
    assert run(with_facts((COND, COND + " and stars = 5"))) == []


def test_table_key_not_a_value():
    src = with_facts((PAY, "pay by county\n      kundulun -> 1元\n      bayan_obo -> 2元\n"
                           "      qingshan -> 3元\n    end"))
    d = one(run(src), "unknown-enum-value")
    assert pos(d) == at(src, "qingshan")
    assert d.message == "`qingshan` is not a value of `county`"
    assert d.hint == "its values are `kundulun`, `bayan_obo`"


def test_count_table_key_not_a_value():
    src = with_facts((PAY, "pay for each of parcels at\n      kundulun -> 0.20元\n      bayan_ob -> 0.30元\n    end"))
    diags = run(src)
    d = one(diags, "unknown-enum-value")
    assert pos(d) == at(src, "bayan_ob ")
    assert d.hint == "did you mean `bayan_obo`?"


def test_table_key_repeated():
    src = with_facts((PAY, "pay by county\n      kundulun -> 1元\n      bayan_obo -> 2元\n"
                           "      kundulun -> 3元\n    end"))
    d = one(run(src), "table-key-repeated")
    assert pos(d) == at(src, "kundulun -> 3元")
    assert d.message == "`kundulun` appears twice in this table"


def test_table_gap_is_a_warning():
    src = with_facts((PAY, "pay by county\n      kundulun -> 1元\n    end"))
    d = one(run(src), "table-gap")
    assert d.severity == diag.WARNING
    assert pos(d) == at(src, "by county\n")
    assert d.message == "this table has no entry for `bayan_obo` of `county`"
    assert "bayan_obo -> nothing because" in d.hint


# ---------------------------------------------------------------- units


def test_money_compared_with_a_bare_number():
    src = vary((COND, "sales >= 2000 and county = kundulun"), ("  livestream_rooms: integer", "  livestream_rooms: identifier"))
    d = one(run(src), "unit-mismatch")
    assert pos(d) == at(src, "sales >= 2000")
    assert d.message == "cannot compare money in CNY and a whole number without a unit"
    assert d.hint == "write the unit after the number, e.g. `2000万元`"


def test_zero_fits_any_unit():
    assert run(vary((COND, COND + " and sales > 0"))) == []


def test_cny_compared_with_usd():
    src = with_facts((COND, COND + " and sales >= trade"))
    d = one(run(src), "unit-mismatch")
    assert pos(d) == at(src, "sales >= trade")
    assert d.message == "cannot compare money in CNY and money in USD"
    assert "converted at" in d.hint


def test_area_compared_with_money():
    src = with_facts((COND, COND + " and area >= 1000元"))
    d = one(run(src), "unit-mismatch")
    assert d.message == "cannot compare an area in m2 and money in CNY"
    assert run(with_facts((COND, COND + " and area >= 1000平方米"))) == []


def test_adding_cny_and_usd():
    src = with_facts(("cap 50万元", "cap sales + trade"))
    d = one(run(src), "unit-mismatch")
    assert pos(d) == at(src, "sales + trade")
    assert d.message == "cannot add money in CNY and money in USD"


def test_multiplying_two_amounts():
    src = vary(("cap 50万元", "cap sales * sales"))
    d = one(run(src), "unit-mismatch")
    assert d.hint == "only one side of `*` can have a unit"
    assert run(vary(("cap 50万元", "cap sales * 2"))) == []


def test_per_increment_threshold_without_unit():
    src = vary((PAY, "pay 10元 for each full 1万元 of sales above 2000"))
    d = one(run(src), "unit-mismatch")
    assert pos(d) == at(src, "2000\n")


# ---------------------------------------------------------------- types


def test_ordering_an_enumeration():
    src = vary((COND, "livestream_rooms >= 5 and county > kundulun"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "county >")
    assert d.message.startswith("each side of `>` must be a number, an amount, a date or a year")


def test_ordering_a_bool():
    src = vary((FACTS_END, FACTS_END + '  registered: bool zh "注册" en "Registered"\n'),
               (COND, COND + " and registered >= 1"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "registered >=")


def test_condition_must_be_a_condition():
    src = vary((COND, "livestream_rooms"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "livestream_rooms\n")
    assert d.message == ("the condition of measure `M7` must be a condition (yes or no), "
                         "but this is a whole number without a unit")


def test_and_of_a_number():
    src = vary((COND, "livestream_rooms and county = kundulun"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "livestream_rooms and")
    assert d.message.startswith("each side of `and` must be a condition")


def test_within_on_a_number():
    src = vary((COND, COND + " and sales within fyp14"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "sales within")
    assert d.message == "what `within` tests must be a date, but this is money in CNY"


@pytest.mark.parametrize("words", ["full years since", "year of", "first full year after"])
def test_date_functions_on_a_number(words):
    src = vary((COND, COND + f" and {words} sales >= 1"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "sales >= 1")
    assert d.message == f"what `{words}` applies to must be a date, but this is money in CNY"


def test_converted_at_a_rate_of_another_currency():
    src = vary((PAY, "pay 5% of sales converted at usd_cny_rate"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "usd_cny_rate\n")
    assert "a rate per CNY" in d.message
    assert run(with_facts((PAY, "pay 5% of trade converted at usd_cny_rate + 1% of sales"))) == []


def test_percent_of_a_date():
    src = vary((PAY, "pay 1% of as_of"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "as_of\n", 2)


def test_per_unit_count_must_be_a_whole_number():
    src = with_facts((PAY, "pay 1万元 for each of share"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "share\n")
    assert d.message.startswith("the count after `for each of` must be a whole number")


def test_count_table_needs_a_count_map():
    src = vary((PAY, "pay for each of livestream_rooms at\n      kundulun -> 1元\n      bayan_obo -> 1元\n    end"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "livestream_rooms at")


def test_pay_in_usd():
    src = with_facts((PAY, "pay 5% of trade"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "5% of trade")
    assert d.message == "the amount measure `M7` pays must be money in CNY, but this is money in USD"
    assert d.hint == "convert it with `converted at` a rate of CNY per USD"


def test_cap_without_unit():
    src = vary(("cap 50万元", "cap 50"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "50\n")
    assert d.hint == "write the unit after the number, e.g. `50万元`"


def test_table_amounts_in_two_currencies():
    src = vary((PAY, "pay by county\n      kundulun -> 1元\n      bayan_obo -> 2美元\n    end"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "2美元")


def test_default_of_the_wrong_type():
    src = vary(("default year of as_of", "default as_of"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "as_of\n")
    assert d.message == "the default of `year` must be a year, but this is a date"


def test_money_fact_with_an_area_unit():
    src = vary(("sales: money CNY", "sales: money m2"), ("cap 50万元\n", ""), (PAY, "pay 1万元"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "money m2")


def test_is_given_on_a_calculation():
    src = vary((COND, COND + " and (sales + 1元) is given"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "sales + 1元")
    assert d.message.startswith("what `is given` tests must be the name of a fact")


def test_against_must_be_money():
    src = vary((MEASURE_END, MEASURE_END + M6.replace("M6 subsidy", "M8 reward")
                + "  exclusive x\n    among M7, M8\n    against livestream_rooms\n  end\n"))
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "x\n")
    assert d.message == ("`against` of the exclusive group `x` must be a money fact in CNY, "
                         "but this is a whole number without a unit")


# ---------------------------------------------------------------- measures


@pytest.mark.parametrize("line, part", [
    ("    pay 1% of sales\n", "`pay` line"),
    ("    payee applicant\n", "payee"),
    ("    burden city 50% county 50%\n", "burden"),
])
def test_measure_part_missing(line, part):
    src = vary((line, ""))
    d = one(run(src), "missing-part")
    assert pos(d) == at(src, "M7 reward")
    assert d.message == f"measure `M7` has no {part}"


def test_default_burden_stands_in():
    src = vary(("    burden city 50% county 50%\n", ""), ("  measure M7", "  default burden city 50% county 50%\n  measure M7"))
    assert run(src) == []


def test_burden_not_adding_up():
    src = vary(("burden city 50% county 50%", "burden city 50% county 40%"))
    d = one(run(src), "bad-percent")
    assert pos(d) == at(src, "city 50%")
    assert d.message == "the shares of the burden of measure `M7` must add up to 100%, but city 50% and county 40% make 90%"


def test_burden_city_alone_must_be_everything():
    src = vary(("burden city 50% county 50%", "burden city 50%"))
    d = one(run(src), "bad-percent")
    assert pos(d) == at(src, "city 50%")
    assert run(vary(("burden city 50% county 50%", "burden city 100%"))) == []


def test_county_share_needs_a_jurisdiction_fact():
    src = vary((" jurisdiction", ""))
    d = one(run(src), "missing-declaration")
    assert pos(d) == at(src, "M7 reward")
    assert d.message == "the policy has no fact marked `jurisdiction`"
    assert "jurisdiction" in d.hint
    # Without a county share or a county payee the jurisdiction is not needed.
    assert run(vary((" jurisdiction", ""), ("city 50% county 50%", "city 100%"))) == []


def test_payee_county_needs_a_jurisdiction_fact():
    src = vary((" jurisdiction", ""), ("city 50% county 50%", "city 100%"), ("payee applicant", "payee county"))
    d = one(run(src), "missing-declaration")
    assert pos(d) == at(src, "M7 reward")


# ---------------------------------------------------------------- pools, rankings, exclusive groups


def pool(body: str, *pairs) -> str:
    return vary((MEASURE_END, MEASURE_END + M6 + body), *pairs)


def test_pool_of_whole_units_needs_a_per_unit_amount():
    src = pool("  pool p\n    limit 100万元 per year\n    funds M7\n    partial grants in whole units\n  end\n")
    d = one(run(src), "pool-target")
    assert pos(d) == at(src, "p\n")
    assert d.message.startswith("pool `p` funds `M7`, which is not paid per unit")
    assert run(src.replace("funds M7", "funds M6")) == []


def test_pool_funding_a_measure_twice():
    src = pool("  pool p\n    limit 100万元 per year\n    funds M6, M6\n  end\n")
    d = one(run(src), "pool-target")
    assert d.message == "pool `p` funds `M6`, which is listed twice"


def test_two_pools_funding_one_measure():
    src = pool("  pool p\n    limit 100万元 per year\n    funds M6\n  end\n"
               "  pool q\n    limit 100万元 per year\n    funds M6\n  end\n")
    d = one(run(src), "pool-target")
    assert pos(d) == at(src, "q\n")
    assert d.message == "pool `q` funds `M6`, which is already funded by pool `p`"


def test_pool_funding_an_unknown_measure():
    src = pool("  pool p\n    limit 100万元 per year\n    funds M66\n  end\n")
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "p\n")
    assert d.message == "unknown measure `M66`"
    assert d.hint == "did you mean `M6`?"


def test_pool_without_limit():
    src = pool("  pool p\n    funds M6\n  end\n")
    d = one(run(src), "missing-part")
    assert d.message == "pool `p` has no limit"


def test_pool_limit_without_unit():
    src = pool("  pool p\n    limit 100 per year\n    funds M6\n  end\n")
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "100 per year")


def test_pool_order_by_unknown_fact():
    src = pool("  pool p\n    limit 100万元 per year\n    funds M6\n    order by salez descending, input order\n  end\n")
    d = one(run(src), "undefined-name")
    assert pos(d) == at(src, "salez")
    assert d.hint == "did you mean `sales`?"


def test_pool_order_by_unknown_ranking():
    src = pool("  pool p\n    limit 100万元 per year\n    funds M6\n    order by rank in r\n  end\n")
    d = one(run(src), "undefined-name")
    line, column = at(src, "rank in r")
    assert pos(d) == (line, column + len("rank in "))
    assert d.message == "unknown ranking `r`"


def test_pool_that_can_never_run_out_is_noted():
    m8 = M6.replace("M6", "M8").replace("    pay 1万元 for each of livestream_rooms\n",
                                        "    when ranked in r\n    pay 1% of sales\n    cap 10万元\n")
    body = m8 + ("  ranking r\n    top 5 by sales\n  end\n"
                 "  pool p\n    limit 50万元 per year\n    funds M8\n    order by rank in r\n  end\n")
    src = vary((MEASURE_END, MEASURE_END + body))
    d = one(run(src), "pool-never-binds")
    assert d.severity == diag.NOTE
    assert pos(d) == at(src, "p\n    limit")
    assert d.message == ("pool `p` can never run out: its measures pay at most 500,000 CNY in all, "
                         "within its limit of 500,000 CNY")
    assert d.hint == "`M8` pays at most 10万元 to each of the top 5 of `r`"
    assert run(src.replace("limit 50万元", "limit 40万元")) == []


def ranking(body: str) -> str:
    return vary((MEASURE_END, MEASURE_END + body))


def test_ranking_without_top():
    src = ranking("  ranking r\n    among sales > 0\n  end\n")
    d = one(run(src), "missing-part")
    assert pos(d) == at(src, "r\n")
    assert d.message == "ranking `r` has no `top N by KEY` line"


def test_ranking_of_no_one():
    src = ranking("  ranking r\n    top 0 by sales\n  end\n")
    d = one(run(src), "bad-literal")
    line, column = at(src, "by sales")
    assert pos(d) == (line, column + len("by "))
    assert d.message == "the size of ranking `r` `0` is not valid: it must be at least 1"


def test_ranking_key_must_be_numeric():
    src = ranking("  ranking r\n    top 5 by county\n  end\n")
    d = one(run(src), "type-mismatch")
    assert pos(d) == at(src, "county\n")
    assert d.message == "the key of ranking `r` must be a number or an amount, but this is a value of `county`"


def test_ranking_among_must_be_a_condition():
    src = ranking("  ranking r\n    top 5 by sales\n    among sales\n  end\n")
    d = one(run(src), "type-mismatch")
    line, column = at(src, "among sales")
    assert pos(d) == (line, column + len("among "))


def exclusive(members: str, extra: str = "") -> str:
    return vary((MEASURE_END, MEASURE_END + M6 + M6.replace("M6 subsidy", "M8 reward") + extra
                 + f"  exclusive x\n    among {members}\n  end\n"))


def test_exclusive_member_must_be_a_reward():
    src = exclusive("M7, M6")
    d = one(run(src), "exclusive-member")
    assert pos(d) == at(src, "x\n")
    assert d.message == ("`M6` cannot take part in the exclusive group: it is a subsidy; "
                         "only rewards (`reward`) are paid highest-only")


def test_exclusive_group_of_one():
    src = exclusive("M7")
    d = one(run(src), "exclusive-member")
    assert "alone in `x`" in d.message


def test_exclusive_member_repeated():
    src = exclusive("M7, M8, M7")
    d = one(run(src), "exclusive-member")
    assert d.message.endswith("it is listed twice in `x`")


def test_exclusive_member_in_two_groups():
    src = exclusive("M7, M8", "  exclusive w\n    among M7, M8\n  end\n")
    diags = [d for d in run(src) if d.name == "exclusive-member"]
    assert [d.message for d in diags] == [
        "`M7` cannot take part in the exclusive group: it is already in the group `w`",
        "`M8` cannot take part in the exclusive group: it is already in the group `w`"]
    assert {pos(d) for d in diags} == {at(src, "x\n")}


def test_exclusive_unknown_member_and_against():
    src = exclusive("M7, M9", "").replace("among M7, M9\n", "among M7, M9\n    against salez\n")
    diags = [d for d in run(src) if d.name == "undefined-name"]
    assert sorted(d.message for d in diags) == ["unknown fact `salez`", "unknown measure `M9`"]
    assert {pos(d) for d in diags} == {at(src, "x\n")}


def test_exclusive_without_members():
    src = vary((MEASURE_END, MEASURE_END + "  exclusive x\n  end\n"))
    d = one(run(src), "missing-part")
    assert d.message == "exclusive group `x` has no `among` line"


def test_per_increment_step_of_zero():
    src = vary((PAY, "pay 10元 for each full 0元 of sales above 2000万元"))
    d = one(run(src), "bad-literal")
    assert pos(d) == at(src, "0元 of")


# ---------------------------------------------------------------- unused facts


def test_unused_applicant_fact():
    src = vary((FACTS_END, FACTS_END + '  anchors: integer zh "主播" en "Anchors"\n'))
    d = one(run(src), "unused-fact")
    assert d.severity == diag.WARNING
    assert pos(d) == at(src, "anchors:")
    assert d.message == "fact `anchors` is declared but no measure uses it"


def test_identifiers_jurisdiction_and_batch_facts_are_never_unused():
    src = vary((" and county = kundulun", ""))
    assert run(src) == []


@pytest.mark.parametrize("use", [
    "  pool p\n    limit 100万元 per year\n    funds M6\n    order by anchors\n  end\n",
    "  ranking r\n    top 5 by sales\n    among anchors > 0\n  end\n",
    "  ranking r\n    top 5 by sales\n    ties by anchors\n  end\n",
])
def test_fact_used_only_in_an_order_or_a_ranking_is_used(use):
    src = vary((FACTS_END, FACTS_END + '  anchors: integer zh "主播" en "Anchors"\n'),
               (MEASURE_END, MEASURE_END + M6 + use))
    assert "unused-fact" not in names(run(src))


# ---------------------------------------------------------------- robustness


def test_every_code_the_checker_emits_is_tested():
    emitted = {name for name in diag.CODES
               if f'"{name}"' in (DSL / "checks.py").read_text(encoding="utf-8")
               + (DSL / "types.py").read_text(encoding="utf-8")}
    tested = set(re.findall(r'one\(.*?, "([a-z-]+)"', Path(__file__).read_text(encoding="utf-8")))
    assert emitted - tested == set()


def test_deep_expressions_are_checked_without_recursion():
    for cond in ("not " * 400 + "livestream_rooms >= 5",
                 " + ".join(["livestream_rooms"] * 400) + " >= 5",
                 "(" * 199 + "livestream_rooms >= 5" + ")" * 199,
                 " and ".join(["livestream_rooms >= 5"] * 2000)):
        src = vary((COND, cond + " and county = kundulun"))
        result = parse_text(src, "t.pol")
        if result.policy is not None:
            assert run(src) == []
        else:
            assert names(result.diagnostics) == ["too-deep"]


_TOKENS = re.findall(r'"[^"\n]*"|\S+|\s+', with_facts(
    (MEASURE_END, MEASURE_END + M6 + "  pool p\n    limit 100万元 per year\n    funds M6\n    order by est\n"
     "    partial grants in whole units\n  end\n  ranking r\n    top 5 by sales\n    among sales > 0\n"
     "    ties by livestream_rooms descending, input order\n  end\n"
     "  exclusive x\n    among M7, M6\n    against sales\n  end\n"),
    (PAY, "pay by stars\n      5 -> 1元\n      4 -> nothing because zh \"无\" en \"none\"\n    end")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_TOKENS) - 1), st.integers(1, 8)), min_size=1, max_size=4))
def test_checker_never_raises_on_what_the_parser_accepts(cuts):
    tokens = list(_TOKENS)
    for start, length in cuts:
        del tokens[start:start + length]
    result = parse_text("".join(tokens), "f.pol")
    if result.policy is not None:
        for d in check(result.policy):
            assert d.code == diag.CODES[d.name].code


# ---------------------------------------------------------------- the type system the checker uses


def test_types_of_the_demo():
    from dsl import nodes as n
    from dsl import types as t

    policy = parse_text(DEMO.read_text(encoding="utf-8"), "demo.pol").policy
    env = t.TypeEnv(policy)
    measures = {m.name: m for _, m in policy.all_measures()}
    assert t.ty_of_fact(policy.fact("sales").type) == t.Ty("number", unit="CNY")
    assert t.ty_of_fact(policy.fact("rooms").type) == t.Ty("number", integer=True)
    assert t.ty_of_fact(policy.fact("usd_cny_rate").type) == t.Ty("rate", unit="CNY", per_unit="USD")
    assert t.ty_of_fact(policy.fact("parcels").type) == t.Ty("count_map", enum="county")
    assert env.infer(measures["M11"].amount) == t.Ty("number", unit="CNY")  # 5% of USD converted at CNY/USD
    assert env.infer(measures["M14"].amount) == t.Ty("number", unit="CNY")
    assert env.infer(measures["M5"].amount) == t.Ty("number", unit="CNY")
    assert env.infer(measures["M8"].amount).unit == "CNY"
    assert env.infer(measures["M6"].amount).unit == "CNY"
    rooms, sales, years, year, within, county, negated = measures["M7"].condition.operands
    assert env.infer(years.left) == t.Ty("number", integer=True)
    assert env.infer(year.right) == t.YEAR
    assert env.infer(measures["M7"].condition) == t.BOOL
    assert env.ref_kind(county.left) == "fact"
    assert env.ref_kind(county.right, env.infer(county.left)) == "enum_value"
    assert env.ref_kind(county.right) is None
    assert env.infer(n.Ref("nowhere")) is None
    assert env.infer(n.Arith("+", n.Ref("sales"), n.Ref("trade"))) is None
    assert env.infer(n.Arith("*", n.Ref("rooms"), n.Quantity(Decimal(2), "CNY", "2元"))) == t.Ty("number", unit="CNY")


def test_applicant_facts_need_an_id_and_take_no_default():
    src = vary(('  id: identifier zh "编号" en "id"\n', ""))
    d = one(run(src), "missing-declaration")
    assert "applicant fact `id`" in d.message
    src = vary(('  sales: money CNY zh "销售额" en "Sales"', '  sales: money CNY zh "销售额" en "Sales" default 0元'))
    d = one(run(src), "misplaced-option")
    assert d.message == "`default` is only for batch facts"
    assert pos(d) == at(src, "0元")
