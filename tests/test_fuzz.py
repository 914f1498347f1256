"""Fuzzing, bounded: generated policies and mutations of the real ones through every stage.

`fuzz/fuzz_pol.py` holds the target (`run_one`: parse, check, compile, import,
evaluate with the calculator and the interpreter); a bug is any exception but a
diagnostic, a refused compile or a refused batch. Here hypothesis drives it with
a fixed seed and a bounded number of examples, so `make test` runs the same
inputs every time in a few seconds; `make fuzz` runs the atheris harness for
longer. The number of inputs each run fed is printed (`pytest -s`).
"""

from __future__ import annotations

import importlib.util
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_pol", REPO / "fuzz" / "fuzz_pol.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

# No shrinking: a failing input is printed as found (shrinking these texts takes minutes).
SETTINGS = dict(deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# ---------------------------------------------------------------- a grammar-aware generator of policies

HEADER = '''policy {name}
  title zh "{title}" en "{title}"
  issuer zh "机关" en "Issuer"
  issued 2022-08-26
  in effect from {start} {period}
  window w zh "窗口" en "window" from {w1} to {w2}
  rounding {mode} to {quantum} per award
end
enumeration county zh "旗县区" en "county"
  north zh "北区" en "North"
  south zh "南区" en "South"
end
enumeration level zh "级别" en "level"
  hi zh "高" en "high"
  lo zh "低" en "low"
  3 zh "三级" en "three"
end
batch facts
  as_of: date zh "评估日期" en "as of" required
  year: year zh "年度" en "year" default year of as_of
  rate: rate CNY per USD zh "汇率" en "rate"
end
applicant facts
  id: identifier zh "编号" en "id"
  county: county zh "旗县区" en "county" general jurisdiction
  cnt: integer zh "数量" en "count"
  cnt2: integer zh "数量二" en "count two"
  amt: money CNY zh "金额" en "amount"
  amt2: money CNY zh "金额二" en "amount two"
  other: money CNY zh "其他奖励" en "other reward" general
  usd: money USD zh "美元额" en "dollars"
  area: area m2 zh "面积" en "area"
  dec: decimal zh "比例" en "share"
  day: date zh "日期" en "day"
  flag: bool zh "标志" en "flag"
  lvl: level zh "级别" en "level"
  per: integer by county zh "分区数量" en "count by county"
end
'''

COMPARATORS = [">=", ">", "<=", "<", "=", "!=", "≥", "≤", "at least", "more than", "at most", "less than",
               "达到", "不少于", "不低于", "满", "超过", "多于", "不超过", "不满", "少于", "未达到"]
SUFFIXES = ["", "", "", " 以上", " 及以上", " (含)以上"]
NUMBERS = ["0", "1", "5", "10", "20", "0.5", "1_000", "99.99"]
MONEY = ["0元", "1元", "0.01元", "0.3元", "10元", "1万元", "50万元", "2000万元", "1.5亿元", "3 CNY", "1_000元"]
NAMES = ["M1", "M2", "M3", "M4"]
WRONG_NAMES = ["class", "None", "evaluate", "_x", "end", "M1"]


def _pick(draw, items, wrong=()):
    """One of `items`; now and then (one time in forty) one of the `wrong` ones, for the checker."""
    if wrong and rare(draw, 40):
        return draw(st.sampled_from(list(wrong)))
    return draw(st.sampled_from(items))


def rare(draw, one_in: int) -> bool:
    """True about one time in `one_in` (hypothesis favours the ends of a range, so not at an end)."""
    return draw(st.integers(0, one_in - 1)) == one_in // 2


@st.composite
def number(draw, depth=0):
    options = ["lit", "ref", "years"] + (["arith", "paren"] if depth < 3 else [])
    kind = _pick(draw, options)
    if kind == "lit":
        return _pick(draw, NUMBERS)
    if kind == "ref":
        return _pick(draw, ["cnt", "cnt2", "dec", "cnt", "year"])
    if kind == "years":
        return "full years since day"
    if kind == "paren":
        return f"({draw(number(depth + 1))})"
    return f"{draw(number(depth + 1))} {_pick(draw, ['+', '-', '*', '×'])} {draw(number(depth + 1))}"


@st.composite
def money(draw, depth=0):
    options = ["lit", "ref", "ref"] + (["percent", "arith", "times", "usd", "neg", "paren"] if depth < 3 else [])
    kind = _pick(draw, options)
    if kind == "lit":
        return _pick(draw, MONEY)
    if kind == "ref":
        return _pick(draw, ["amt", "amt2", "other", "amt"])
    if kind == "percent":
        return f"{_pick(draw, ['1%', '5%', '100%', '12.5%'])} of {draw(money(depth + 1))}"
    if kind == "arith":
        return f"{draw(money(depth + 1))} {_pick(draw, ['+', '-'])} {draw(money(depth + 1))}"
    if kind == "times":
        return f"{draw(money(depth + 1))} * {draw(number(depth + 1))}"
    if kind == "usd":
        return _pick(draw, ["usd converted at rate", "(usd converted at rate)", "5% of usd converted at rate"])
    if kind == "neg":
        return f"-{draw(money(depth + 1))}"
    return f"({draw(money(depth + 1))})"


@st.composite
def condition(draw, depth=0):
    options = ["num", "money", "within", "given", "flag", "enum", "year", "area"]
    if depth < 3:
        options += ["not", "and", "or", "paren"]
    kind = _pick(draw, options)
    cmp = _pick(draw, COMPARATORS)
    if kind == "num":
        return f"{draw(number(depth + 1))} {cmp} {draw(number(depth + 1))}{_pick(draw, SUFFIXES)}"
    if kind == "money":
        return f"{draw(money(depth + 1))} {cmp} {draw(money(depth + 1))}"
    if kind == "area":
        return f"area {cmp} {_pick(draw, ['1000平方米', '999.99 m2', '0', '1000元'])}"
    if kind == "within":
        return f"day within {_pick(draw, ['w', 'period in effect'], ['nowhere'])}"
    if kind == "given":
        return f"{_pick(draw, ['amt', 'per', 'lvl', 'day', 'usd'])} is given"
    if kind == "flag":
        return _pick(draw, ["flag", "ranked in r"], ["ranked in r2"])
    if kind == "enum":
        return f"lvl {_pick(draw, ['=', '!=', 'is'])} {_pick(draw, ['hi', 'lo', '3'], ['03', 'north', 'zz'])}"
    if kind == "year":
        return _pick(draw, ["year >= first full year after day", "year of day = 2023", "year - 1 > year of day"])
    if kind == "not":
        return f"not {draw(condition(depth + 1))}"
    if kind == "paren":
        return f"({draw(condition(depth + 1))})"
    return f"{draw(condition(depth + 1))} {kind} {draw(condition(depth + 1))}"


@st.composite
def amount(draw):
    kind = _pick(draw, ["money", "money", "unit", "increment", "by", "each"])
    if kind == "money":
        return draw(money())
    if kind == "unit":
        return f"{_pick(draw, MONEY)} for each of {_pick(draw, ['cnt', 'cnt2'], ['amt'])}"
    if kind == "increment":
        return (f"{_pick(draw, MONEY)} for each full {_pick(draw, ['1万元', '0元', '1元'])} of amt above "
                f"{_pick(draw, ['2000万元', '0元'])}")
    codes = ["hi", "lo", "3"] if kind == "by" else ["north", "south"]
    lines = []
    for code in draw(st.lists(st.sampled_from(codes), max_size=3, unique=True)) + (["zz"] if rare(draw, 20) else []):
        if draw(st.booleans()):
            lines.append(f'      {code} -> nothing because zh "无" en "none"')
        else:
            lines.append(f"      {code} -> {draw(money(2))}")
    head = "by lvl" if kind == "by" else "for each of per at"
    return head + "\n" + "\n".join(lines) + "\n    end"


@st.composite
def measure(draw, name):
    parts = [f'  measure {name} {_pick(draw, ["reward", "reward", "subsidy", "settlement"])}',
             '    title zh "措施" en "measure"']
    if not rare(draw, 10):
        parts.append(f"    when {draw(condition())}")
    if not rare(draw, 40):
        parts.append(f"    pay {draw(amount())}")
    for _ in range(draw(st.integers(0, 2))):
        parts.append(f"    cap {draw(money(1))}")
    if not rare(draw, 40):
        parts.append(f"    payee {_pick(draw, ['applicant', 'county'])}")
    parts.append(f"    burden {_pick(draw, ['city 50% county 50%', 'city 100%', 'settlement'], ['city 30% county 60%'])}")
    parts.append("  end")
    return "\n".join(parts)


@st.composite
def policies(draw):
    text = HEADER.format(
        name=_pick(draw, ["t", "demo_policy", "class", "x1"]),
        title=_pick(draw, ["标题", 'quote \\" and \\\\ back', "</script>", "\u2028 sep"]),
        start="2022-08-26", period=_pick(draw, ["for 3 years", "to 2025-08-25", "for 1 years"], ["to 2020-01-01"]),
        w1=_pick(draw, ["2021-01-01"], ["2026-01-01"]), w2="2025-12-31",
        mode=_pick(draw, ["half_up", "half_even", "down", "up"]), quantum=_pick(draw, ["0.01元", "1元", "0.1元"]))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    if rare(draw, 8):
        names.append(_pick(draw, WRONG_NAMES))
    clauses = []
    numerals = draw(st.lists(st.sampled_from(["一", "二", "七", "十四", "二十"]), min_size=2, max_size=2,
                             unique=True))
    if rare(draw, 10):
        numerals[1] = numerals[0]
    count = draw(st.integers(1, 2))
    declared = names if count == 2 else names[0::2]
    for c in range(count):
        body = [f"clause ({numerals[c]})", '  title zh "条" en "clause"']
        body.append(f'  text zh "{_pick(draw, ["对企业给予奖励。"], ["达到2000万元以上的,按1%奖励,最高不超过50万元。", "超过10的,每个1万元。"])}" en "text"')
        for name in names[c::2]:
            body.append(draw(measure(name)))
        if draw(st.booleans()):
            body.append(f"  pool p{c}\n    limit {_pick(draw, ['100万元', '1元'], ['10 USD'])} per year\n"
                        f"    funds {', '.join(draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True).map(lambda fs: [f for f in fs if f in declared] or declared[:1])))}\n"
                        f"    order by {_pick(draw, ['day, input order', 'rank in r', 'amt descending', 'lvl'])}\n"
                        f"{_pick(draw, ['    partial grants in whole units', '    partial grants as remainder', ''])}\n  end")
        if c == 0 and not rare(draw, 4):
            body.append(f"  ranking {_pick(draw, ['r'], ['r2'])}\n    top {_pick(draw, ['1', '2', '5'], ['0'])} by "
                        f"{_pick(draw, ['amt', 'cnt ascending'], ['day', 'rank in r'])}\n"
                        f"    among {draw(condition(2))}\n    ties by {_pick(draw, ['amt2, input order', 'rank in r', 'cnt'])}\n  end")
        if rare(draw, 4):
            body.append(f"  exclusive x{c}\n    among {', '.join(declared)}\n"
                        f"{_pick(draw, ['    against other', '    against amt', ''])}\n  end")
        body.append("end")
        clauses.append("\n".join(body))
    return text + "\n".join(clauses) + "\n"


# ---------------------------------------------------------------- the runs


def _run_all(inputs, stages: Counter, evaluate=True) -> None:
    for text in inputs:
        stages[fuzz.run_one(text, evaluate=evaluate)] += 1


def test_generated_policies_give_diagnostics_never_exceptions():
    stages: Counter = Counter()

    @settings(max_examples=150, **SETTINGS)
    @given(policies())
    def one(text):
        stages[fuzz.run_one(text)] += 1

    one()
    print(f"\ngenerated policies: {sum(stages.values())} inputs, stages reached {dict(stages)}")
    # The generator reaches every stage: it is not only making syntax errors.
    assert stages["evaluate"] >= 20 and stages["check"] >= 20, stages


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(sorted(fuzz.SEEDS)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    text = fuzz.SEEDS[name]
    for _ in range(draw(st.integers(1, 3))):
        text = fuzz.mutate(text, rng)
    return text


def test_mutated_real_policies_give_diagnostics_never_exceptions():
    stages: Counter = Counter()

    @settings(max_examples=60, **SETTINGS)
    @given(mutations())
    def one(text):
        stages[fuzz.run_one(text, evaluate=False)] += 1

    one()
    print(f"\nmutated policies: {sum(stages.values())} inputs, stages reached {dict(stages)}")
    assert sum(stages.values()) == 60


@pytest.mark.parametrize("how", ["(", "not ", "- "])
@pytest.mark.parametrize("depth", [150, 199, 200, 201, 400, 5000])
def test_deep_nesting_gets_a_diagnostic_not_a_recursion_error(how, depth):
    from dsl.parser import parse_text

    text = fuzz.nest(fuzz.SEEDS["first.pol"], depth, how)
    stage = fuzz.run_one(text)
    result = parse_text(text, "deep.pol")
    if stage == "parse":  # deeper than 200 levels of brackets or of operators
        assert [d.code for d in result.diagnostics] == ["P006"]
    assert (stage == "parse") == (depth > 200 or (depth >= 199 and how != "("))
    if stage != "parse":
        assert stage in ("check", "evaluate")


def test_long_flat_sums_and_conjunctions():
    base = fuzz.SEEDS["first.pol"]
    for text in (base.replace("when new_jobs 达到 10", "when " + " and ".join(["new_jobs 达到 10"] * 3000)),
                 base.replace("when new_jobs 达到 10", "when " + " + ".join(["new_jobs"] * 150) + " 达到 10"),
                 base.replace("when new_jobs 达到 10", "when " + " + ".join(["new_jobs"] * 3000) + " 达到 10")):
        assert fuzz.run_one(text, evaluate=False) in ("parse", "check", "import")


def test_every_seed_runs_clean_through_every_stage():
    started = time.monotonic()
    for name, text in fuzz.SEEDS.items():
        assert fuzz.run_one(text) in ("evaluate", "check"), name
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x01\x00abc", b"\x04\x01" + bytes(range(256)),
                                  "\x00policy ((((".encode(), b"\xff\xfe\xfd"])
def test_the_atheris_entry_point_takes_any_bytes(data):
    fuzz.test_one_input(data)


def test_a_misbehaving_stage_is_reported():
    with pytest.raises(fuzz.FuzzFailure):
        fuzz._imports_only_the_runtime("import os\n")
