"""The parser: the shapes it builds from the demo fixture, the spans on them, and
the plain-worded diagnostics for what it cannot read."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import diagnostics as diag
from dsl import nodes as n
from dsl.parser import chinese_numeral, parse_file, parse_text

DEMO = Path(__file__).parent / "fixtures" / "demo.pol"


@pytest.fixture(scope="module")
def demo() -> n.Policy:
    result = parse_file(DEMO)
    assert result.diagnostics == []
    assert result.policy is not None
    return result.policy


def measure(policy: n.Policy, name: str) -> n.Measure:
    return next(m for _, m in policy.all_measures() if m.name == name)


def at(src: str, needle: str) -> tuple[int, int]:
    index = src.index(needle)
    return src.count("\n", 0, index) + 1, index - (src.rfind("\n", 0, index) + 1) + 1


def errors(src: str) -> list[diag.Diagnostic]:
    result = parse_text(src, "t.pol")
    assert result.policy is None
    assert result.diagnostics
    for d in result.diagnostics:  # never the grammar's own names
        for word in ("__ANON", "NAME", "$END", "STRING", "NUMBER", "_string"):
            assert word not in d.message and word not in (d.hint or ""), d.message
    return result.diagnostics


# ---------------------------------------------------------------- shapes


def test_header(demo):
    h = demo.header
    assert h.name == "demo"
    assert h.title == n.Bilingual("演示", "Demo")
    assert h.issued == datetime.date(2022, 8, 26)
    assert h.period == n.Period(datetime.date(2022, 8, 26), datetime.date(2025, 8, 25), 3)
    assert h.windows == (n.Window("fyp14", n.Bilingual("十四五", "14th FYP"),
                                  datetime.date(2021, 1, 1), datetime.date(2025, 12, 31)),)
    assert h.rounding == n.Rounding("half_up", n.Quantity(Decimal("0.01"), "CNY", "0.01CNY"))


def test_period_for_years_ending_on_the_day_before_the_anniversary():
    src = "policy p\n  in effect from 2024-02-29 for 1 years\nend\n"
    assert parse_text(src).policy.header.period.end == datetime.date(2025, 2, 28)
    src = "policy p\n  in effect from 2022-01-01 to 2022-12-31\nend\n"
    assert parse_text(src).policy.header.period == n.Period(datetime.date(2022, 1, 1), datetime.date(2022, 12, 31), None)


def test_enumerations_and_facts(demo):
    assert [e.name for e in demo.enumerations] == ["county", "star"]
    assert [v.code for v in demo.enumerations[1].values] == ["5"]
    facts = {f.name: f for f in demo.facts}
    assert [f.scope for f in demo.facts[:3]] == ["batch"] * 3
    assert facts["as_of"].required
    assert facts["year"].default == n.YearOf(n.Ref("as_of"))
    assert facts["usd_cny_rate"].type == n.TypeRef("rate", unit="CNY", per_unit="USD")
    assert facts["county"].type == n.TypeRef("enum", enum="county")
    assert facts["county"].general and facts["county"].jurisdiction and facts["county"].scope == "applicant"
    assert facts["parcels"].type == n.TypeRef("count_map", enum="county")
    assert facts["sales"].type == n.TypeRef("money", unit="CNY")
    assert facts["trade"].type == n.TypeRef("money", unit="USD")
    assert facts["rooms"].type == n.TypeRef("integer")


def test_clause(demo):
    (clause,) = demo.clauses
    assert (clause.number, clause.numeral) == (7, "七")
    assert clause.heading == n.Heading("三", n.Bilingual("融合", "fusion"))
    assert clause.text.zh == "对注册在我市……"  # triple quotes: dedented, blank lines gone
    assert clause.text.en == "x"
    assert clause.repairs == (n.Repair("促费", "促消费"),)
    assert clause.default_burden == n.Burden("split", Decimal(50), Decimal(50))
    assert [m.name for m in clause.measures] == ["M7", "M14", "M11", "M8", "M6", "M5"]


def test_chinese_clause_numbers():
    src = "".join(f'clause ({numeral})\nend\n' for numeral in ("七", "十四", "二十一", "十", "九十九"))
    result = parse_text(src)
    assert [c.number for c in result.policy.clauses] == [7, 14, 21, 10, 99]
    assert parse_text("clause （十四）\nend\n").policy.clauses[0].number == 14  # full-width brackets


@pytest.mark.parametrize("text, value", [("一", 1), ("十", 10), ("十四", 14), ("二十", 20), ("二十一", 21),
                                         ("十十", None), ("二二", None), ("一百", None), ("", None)])
def test_chinese_numeral(text, value):
    assert chinese_numeral(text) == value


def test_measure_condition(demo):
    m = measure(demo, "M7")
    assert m.kind == "reward"
    rooms, sales, years, year, within, county, negated = m.condition.operands
    assert rooms == n.Compare(">=", "不少于", n.Ref("rooms"), n.Quantity(Decimal(5), None, "5"))
    assert sales == n.Compare(">=", "达到", n.Ref("sales"), n.Quantity(Decimal(20_000_000), "CNY", "2000万元"))
    assert years == n.Compare(">=", "满", n.FullYearsSince(n.Ref("est")), n.Quantity(Decimal(1), None, "1"))
    assert year == n.Compare(">=", ">=", n.Ref("year"), n.FirstFullYearAfter(n.Ref("est")))
    assert within == n.Within(n.Ref("est"), "fyp14")
    assert county == n.Compare("=", "=", n.Ref("county"), n.Ref("kundulun"))
    assert isinstance(negated, n.Not) and isinstance(negated.operand, n.Or)
    assert negated.operand.operands[1].op == ">="  # `at least`


def test_measure_amounts(demo):
    m7 = measure(demo, "M7")
    assert m7.amount == n.PercentOf(n.Percent(Decimal(1), "1%"), n.Ref("sales"))
    assert m7.caps[0].amount == n.Quantity(Decimal(500_000), "CNY", "50万元")
    assert m7.caps[1].amount == n.Arith("-", n.Ref("sales"), n.Quantity(Decimal(3), "CNY", "3元"))
    assert m7.caps[1].label == n.Bilingual("增量", "increment")
    assert (m7.payee, m7.burden) == ("county", n.Burden("split", Decimal(50), Decimal(50)))
    assert measure(demo, "M11").amount == n.PercentOf(
        n.Percent(Decimal(5), "5%"), n.Converted(n.Ref("trade"), n.Ref("usd_cny_rate")))
    assert measure(demo, "M11").burden == n.Burden("settlement")
    assert measure(demo, "M8").amount == n.PerIncrement(
        n.Quantity(Decimal(10), "CNY", "10元"), n.Quantity(Decimal(10_000), "CNY", "1万元"),
        n.Ref("sales"), n.Quantity(Decimal(20_000_000), "CNY", "2000万元"))
    assert measure(demo, "M8").condition == n.RankedIn("r")
    assert measure(demo, "M6").amount == n.PerUnit(n.Quantity(Decimal(10_000), "CNY", "1万元"), n.Ref("rooms"))
    assert measure(demo, "M14").amount == n.EachAtTable(n.Ref("parcels"), (
        n.TableEntry("kundulun", n.Quantity(Decimal("0.20"), "CNY", "0.20元"), None),
        n.TableEntry("bayan_obo", None, n.Bilingual("未列", "not named"))))
    assert measure(demo, "M5").amount == n.ByTable(n.Ref("stars"), (
        n.TableEntry("5", n.Quantity(Decimal(1_000_000), "CNY", "100万元"), None),))


def test_pool_ranking_exclusive(demo):
    (_, p), = demo.all_pools()
    assert (p.name, p.limit.value, p.funds, p.whole_units) == ("p", Decimal(1_000_000), ("M6",), True)
    assert p.order == (n.OrderKey("fact", "est"), n.OrderKey("input"))
    (_, r), = demo.all_rankings()
    assert (r.top, r.key) == (5, n.OrderKey("fact", "sales"))
    assert r.ties == (n.OrderKey("fact", "rooms", True), n.OrderKey("input"))
    (_, x), = demo.all_exclusives()
    assert (x.members, x.against) == (("M7", "M11"), "sales")


@pytest.mark.parametrize("words, op", [
    ("不少于", ">="), ("达到", ">="), ("满", ">="), ("超过", ">"), ("多于", ">"), ("不超过", "<="),
    ("不满", "<"), ("未达到", "<"), ("at least", ">="), ("more than", ">"), ("at most", "<="),
    ("less than", "<"), ("≥", ">="), ("≠", "!="), ("is", "="),
])
def test_comparison_words(words, op):
    src = f"clause (一)\n  measure M reward\n    when a {words} 1\n  end\nend\n"
    condition = parse_text(src).policy.clauses[0].measures[0].condition
    assert (condition.op, condition.words) == (op, words)


def test_quantities():
    src = "clause (一)\n  measure M reward\n    when a > 1.5亿美元 and b > 100平方米 and c > 2_000\n  end\nend\n"
    a, b, c = parse_text(src).policy.clauses[0].measures[0].condition.operands
    assert a.right == n.Quantity(Decimal(150_000_000), "USD", "1.5亿美元")
    assert b.right == n.Quantity(Decimal(100), "m2", "100平方米")
    assert c.right.value == Decimal(2000) and c.right.unit is None


# ---------------------------------------------------------------- spans


def test_spans(demo):
    src = DEMO.read_text(encoding="utf-8")
    m7 = measure(demo, "M7")
    assert (m7.span.line, m7.span.column) == at(src, "M7 reward")
    assert (m7.span.end_line, m7.span.end_column) == (m7.span.line, m7.span.column + 2)
    assert m7.span.file == str(DEMO)
    m14 = measure(demo, "M14")
    assert (m14.span.line, m14.span.column) == at(src, "M14 subsidy")
    first = m7.condition.operands[0]
    assert (first.span.line, first.span.column) == at(src, "rooms 不少于")
    assert (first.left.span.line, first.left.span.column) == at(src, "rooms 不少于")
    assert (demo.clauses[0].span.line, demo.clauses[0].span.column) == at(src, "(七)")
    sales = demo.fact("sales")
    assert (sales.span.line, sales.span.column) == at(src, "sales: money")


def test_equality_ignores_spans(demo):
    src = DEMO.read_text(encoding="utf-8")
    moved = parse_text("\n\n\n# a comment\n" + src, str(DEMO)).policy
    assert moved == demo
    assert measure(moved, "M7").span.line == measure(demo, "M7").span.line + 4
    assert hash(measure(moved, "M7")) == hash(measure(demo, "M7"))
    changed = parse_text(src.replace("cap 50万元", "cap 60万元"), str(DEMO)).policy
    assert changed != demo


# ---------------------------------------------------------------- what cannot be read


def test_missing_end_before_the_next_measure():
    src = ("clause (七)\n  measure M7 reward\n    pay 1元\n"
           "  measure M8 reward\n    pay 2元\n  end\nend\n")
    (d,) = errors(src)
    assert d.name == "syntax"
    assert (d.span.line, d.span.column) == (4, 3)
    assert d.message.startswith("unexpected `measure`; expected `end`")
    assert d.hint == "if the block above is complete, close it with `end`"


def test_missing_end_at_the_end_of_the_file():
    (d,) = errors("clause (七)\n  measure M7 reward\n    pay 1元\n  end\n")
    assert d.name == "unclosed-block"
    assert (d.span.line, d.span.column) == (4, 6)
    assert "expected `end`" in d.message
    assert "closes with `end`" in d.hint


def test_unknown_word_in_a_measure_lists_the_words_it_takes():
    (d,) = errors("clause (七)\n  measure M7 reward\n    amount 1元\n  end\nend\n")
    assert d.name == "syntax"
    assert (d.span.line, d.span.column, d.span.end_column) == (3, 5, 11)
    assert d.message == ("unexpected name `amount`; expected `end`, `burden`, `cap`, `interpretation`, "
                         "`pay`, `payee`, `title`, `when` or `who`")


def test_unfinished_comparison_lists_what_may_follow():
    (d,) = errors("clause (七)\n  measure M7 reward\n    when rooms >= )\n  end\nend\n")
    assert d.name == "syntax"
    assert (d.span.line, d.span.column) == (3, 19)
    assert d.message == ("unexpected `)`; expected `(`, `-`, `first`, `full`, `year`, a date such as `2022-08-26`, "
                         "a name, a number or a percentage such as `50%`")


def test_bare_word_where_text_belongs():
    (d,) = errors("policy p\n  title zh baotou\nend\n")
    assert d.message == "unexpected name `baotou`; expected text in double quotes or text in triple quotes"
    assert d.hint == 'text goes inside double quotes: "..."'


def test_unclosed_string():
    (d,) = errors('policy p\n  title zh "包头\nend\n')
    assert d.name == "syntax"
    assert (d.span.line, d.span.column) == (2, 12)
    assert d.message == 'this text is not closed; expected a closing `"` on the same line'
    assert "triple quotes" in d.hint


def test_bad_character():
    (d,) = errors('policy p\n  title zh "x" @\nend\n')
    assert d.name == "bad-character"
    assert (d.span.line, d.span.column) == (2, 16)
    assert d.message == "unexpected character '@'"


def test_bad_date():
    (d,) = errors("policy p\n  issued 2023-02-30\nend\n")
    assert d.name == "bad-literal"
    assert (d.span.line, d.span.column) == (2, 10)
    assert d.message == "the date `2023-02-30` is not valid: no such day in the calendar"


def test_period_past_the_calendar():
    (d,) = errors("policy p\n  in effect from 2022-08-26 for 99999 years\nend\n")
    assert d.name == "bad-literal"
    assert (d.span.line, d.span.column) == at("policy p\n  in effect from 2022-08-26 for 99999 years\n", "99999")


@pytest.mark.parametrize("numeral", ["十十", "二二", "一十一十"])
def test_bad_clause_numeral(numeral):
    (d,) = errors(f"clause ({numeral})\nend\n")
    assert d.name == "clause-numeral"
    assert (d.span.line, d.span.column) == (1, 8)
    assert d.message == f"clause number `{numeral}` is not a Chinese numeral from 一 to 九十九"


def test_deep_nesting_is_refused():
    src = "clause (七)\n  measure M reward\n    when " + "(" * 300 + "a > 1" + ")" * 300 + "\n  end\nend\n"
    (d,) = errors(src)
    assert d.name == "too-deep"
    assert d.message == "this expression is nested too deeply (300 levels)"
    assert d.span.line == 3


def test_long_chains_never_raise():
    for body in ("not " * 3000 + "a", " + ".join(["a"] * 3000) + " > 1"):
        src = "clause (七)\n  measure M reward\n    when " + body + "\n  end\nend\n"
        result = parse_text(src)
        if result.policy is None:
            assert [d.name for d in result.diagnostics] == ["too-deep"]


def test_unreadable_file(tmp_path):
    result = parse_file(tmp_path / "absent.pol")
    assert result.policy is None
    assert [d.name for d in result.diagnostics] == ["io"]


def test_a_line_given_twice_in_a_block_is_reported():
    src = DEMO.read_text(encoding="utf-8").replace("    payee county\n", "    payee county\n    payee applicant\n", 1)
    result = parse_text(src, "x.pol")
    [d] = [d for d in result.diagnostics if d.name == "repeated-part"]
    assert d.message == "`payee` is given twice in measure `M7`"
    assert d.hint.startswith("the first one is at x.pol:")


def test_yishang_after_the_number_reads_as_at_least():
    src = DEMO.read_text(encoding="utf-8").replace("rooms 不少于 5", "rooms 达到 5 及以上", 1)
    result = parse_text(src, "x.pol")
    assert result.diagnostics == []
    [cmp] = [c for c in result.policy.clauses[0].measures[0].condition.operands
             if isinstance(c, n.Compare) and c.words.endswith("以上")]
    assert (cmp.op, cmp.words) == (">=", "达到…及以上")
    bad = parse_text(src.replace("达到 5 及以上", "超过 5 以上"), "x.pol")
    assert [d.name for d in bad.diagnostics] == ["bad-literal"]


def test_a_keyword_taken_for_a_missing_value_points_at_the_unfinished_line():
    src = DEMO.read_text(encoding="utf-8")
    cut = src.index("    pay 1% of sales")
    broken = src[:cut].rstrip().rsplit(" and ", 1)[0] + " and rooms >=\n" + src[cut:]
    (d,) = parse_text(broken, "x.pol").diagnostics
    assert d.message == "`pay` cannot stand here as a name; expected the line before it to be complete"
    assert broken.splitlines()[d.span.line - 1].strip().startswith("pay")
