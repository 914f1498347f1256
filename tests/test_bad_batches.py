"""Bad batches: every refusal READING.md lists, and exotic input, give one line and nothing else.

Through the API a refused batch raises `BatchError` whose message is one printable
line naming the applicant and the fact; nothing is returned, so nothing is
half-computed. Through `pol eval` a few of them give exit code 1, one line on
standard error without a traceback, and nothing on standard output. Random
corruptions of the example batches (bounded hypothesis) give a result or a
refusal, never another exception.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pol.api import BatchError, compile_file, load_source
from pol import interpreter

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "baotou_2022.pol"
COMPILED = compile_file(POLICY)
CALCULATOR = load_source(COMPILED.python, COMPILED.policy_id)
ORACLE = interpreter.load(POLICY)  # with its amendments, like the calculator

LIVESTREAM = {"id": "LS-1", "county": "kundulun", "registered_in_baotou": True, "livestream_base_area_m2": "1200",
              "livestream_rooms": 6, "active_anchors": 12, "established_on": "2021-05-10",
              "local_product_livestream_sales": "30000000"}


def batch(*applicants, **facts) -> dict:
    people = [dict(a) if isinstance(a, dict) else a for a in applicants]
    return {"as_of": "2023-12-31", **facts, "applicants": people or [dict(LIVESTREAM)]}


def with_fact(**changes) -> dict:
    return batch({**LIVESTREAM, **changes})


# (name, batch, words the one-line message must hold)
REFUSALS = [
    ("unknown fact, with a hint", with_fact(livestream_room=6), ["LS-1", "unknown fact `livestream_room`",
                                                                  "did you mean `livestream_rooms`"]),
    ("unknown batch fact", batch(usd_rate="7"), ["batch", "unknown fact `usd_rate`", "usd_cny_rate"]),
    ("wrong type: bool", with_fact(registered_in_baotou="yes"), ["LS-1", "registered_in_baotou", "true or false"]),
    ("wrong type: number", with_fact(livestream_rooms="six"), ["LS-1", "livestream_rooms", "whole number"]),
    ("wrong type: date", with_fact(established_on=20210510), ["LS-1", "established_on", "YYYY-MM-DD"]),
    ("negative amount", with_fact(local_product_livestream_sales="-1"), ["LS-1", "must not be negative"]),
    ("negative count", with_fact(livestream_rooms=-1), ["LS-1", "livestream_rooms", "must not be negative"]),
    ("fractional count", with_fact(livestream_rooms=5.5), ["LS-1", "livestream_rooms", "whole number"]),
    ("unknown county", with_fact(county="baotou"), ["LS-1", "county", "unknown county"]),
    ("unknown county in a count map", with_fact(village_parcels={"kundulum": 3}),
     ["LS-1", "village_parcels", "kundulun"]),
    ("unknown level", with_fact(demo_base_level="city"), ["LS-1", "demo_base_level", "national"]),
    ("unknown star rating", with_fact(hotel_star_rating=6), ["LS-1", "hotel_star_rating"]),
    ("duplicate id", batch(LIVESTREAM, LIVESTREAM), ["LS-1", "duplicate id"]),
    ("missing id", batch({"county": "kundulun"}), ["applicant #1", "`id` is missing"]),
    ("id not text", batch({"id": 7}), ["applicant #1", "`id`", "text"]),
    ("blank id", batch({"id": "   "}), ["applicant #1", "`id`"]),
    ("missing exchange rate", with_fact(cross_border_trade_usd="2000000"), ["usd_cny_rate", "LS-1"]),
    ("zero exchange rate", batch(usd_cny_rate="0"), ["usd_cny_rate", "above zero"]),
    ("as_of before the period", batch(as_of="2022-08-25"), ["as_of", "2022-08-26", "2025-08-25"]),
    ("as_of after the period", batch(as_of="2025-08-26"), ["as_of", "2022-08-26", "2025-08-25"]),
    ("as_of missing", {"applicants": []}, ["as_of", "required"]),
    ("not an object", [], ["JSON object"]),
    ("applicants not a list", {"as_of": "2023-12-31", "applicants": {"id": "x"}}, ["applicants", "list"]),
    ("applicant not an object", batch("LS-1"), ["applicant #1", "object"]),
    ("a needed fact missing", batch({"id": "C", "registered_in_baotou": True, "cross_border_trade_usd": "2000000"},
                                    usd_cny_rate="7"), ["C", "fiscal_contribution", "M11a", "not given"]),
    # exotic input
    ("a huge number", with_fact(local_product_livestream_sales="1" + "0" * 40), ["LS-1", "too large"]),
    ("a huge JSON number", with_fact(local_product_livestream_sales=Decimal("1E+400")), ["LS-1", "too large"]),
    ("too many digits", with_fact(local_product_livestream_sales="1." + "1" * 45), ["LS-1", "significant digits"]),
    ("NaN", with_fact(local_product_livestream_sales=float("nan")), ["LS-1", "local_product_livestream_sales"]),
    ("Infinity", with_fact(local_product_livestream_sales=float("inf")), ["LS-1", "local_product_livestream_sales"]),
    ("NaN as text", with_fact(local_product_livestream_sales="NaN"), ["LS-1", "expected a number"]),
    ("Infinity as text", with_fact(local_product_livestream_sales="Infinity"), ["LS-1", "expected a number"]),
    ("a number with spaces", with_fact(livestream_rooms=" 6 "), ["LS-1", "livestream_rooms"]),
    ("a number with a comma", with_fact(local_product_livestream_sales="30,000,000"), ["LS-1", "expected a number"]),
    ("a number with underscores", with_fact(local_product_livestream_sales="30_000_000"), ["LS-1"]),
    ("an exponent in text", with_fact(local_product_livestream_sales="3e7"), ["LS-1", "expected a number"]),
    ("30 February", with_fact(established_on="2023-02-30"), ["LS-1", "not a day in the calendar"]),
    ("29 February of a common year", batch(as_of="2023-02-29"), ["as_of", "not a day in the calendar"]),
    ("a date with a time", with_fact(established_on="2021-05-10T00:00"), ["LS-1", "YYYY-MM-DD"]),
    ("a lone surrogate id", batch({"id": "\ud800"}), ["applicant #1", "\\ud800"]),
    ("a line separator in a duplicate id", batch({"id": "a\u2028b"}, {"id": "a\u2028b"}),
     ["a\\u2028b", "duplicate id"]),
    ("a control character in a county", with_fact(county="kun\x00dulun"), ["LS-1", "\\u0000"]),
    ("a fact name with a newline", with_fact(**{"rooms\nid": 1}), ["LS-1", "rooms\\nid"]),
]


@pytest.mark.parametrize("name, data, words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_every_refusal_is_one_line_naming_what_is_wrong(name, data, words):
    for evaluate in (CALCULATOR.evaluate_json, ORACLE.evaluate_json):
        with pytest.raises(BatchError) as refused:
            evaluate(copy.deepcopy(data))
        message = str(refused.value)
        assert len(message.splitlines()) == 1 and message.isprintable(), repr(message)
        assert "Traceback" not in message
        message.encode("utf-8")  # can be written out
        if evaluate is CALCULATOR.evaluate_json:
            for word in words:
                assert word in message, (word, message)


@pytest.mark.parametrize("ident", ["企业①", "E\u0301", "\u202eE1", "E\u200b1", "😀", "Ω" * 200, "a\"b\\c"])
def test_exotic_but_valid_ids_are_kept_exactly(ident):
    data = batch({**LIVESTREAM, "id": ident})
    result = CALCULATOR.evaluate_json(data)
    assert result["applicants"][0]["id"] == ident
    assert result["applicants"][0]["total"] == "300000.00"
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


# ---------------------------------------------------------------- through `pol eval`


def _pol_eval(tmp_path: Path, text: str):
    facts = tmp_path / "batch.json"
    facts.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "pol.cli", "eval", str(POLICY), "--facts", str(facts),
                           "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=120)


@pytest.mark.parametrize("text, words", [
    (json.dumps(with_fact(livestream_room=6)), ["did you mean `livestream_rooms`"]),
    (json.dumps(batch(LIVESTREAM, LIVESTREAM)), ["duplicate id"]),
    (json.dumps(batch(as_of="2026-01-01")), ["2025-08-25"]),
    (json.dumps(with_fact(cross_border_trade_usd="2000000")), ["usd_cny_rate"]),
    ('{"as_of": "2023-12-31", "applicants": [', ["malformed JSON"]),
    ('{"as_of": "2023-12-31", "applicants": [{"id": "x", "livestream_rooms": NaN}]}', ["NaN"]),
    ('{"as_of": "2023-12-31", "applicants": [{"id": "x", "livestream_rooms": Infinity}]}', ["Infinity"]),
    ('{"as_of": "2023-12-31", "applicants": [{"id": "x", "local_product_livestream_sales": 1e400}]}',
     ["too large"]),
    ('{"as_of": "2023-02-30", "applicants": []}', ["not a day in the calendar"]),
    ('{"as_of": "2023-12-31", "applicants": [{"id": "a\\u2028b"}, {"id": "a\\u2028b"}]}', ["duplicate id"]),
    ("[" * 100_000, ["malformed JSON"]),
])
def test_pol_eval_refuses_with_one_line_and_no_output(tmp_path, text, words):
    done = _pol_eval(tmp_path, text)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for word in words:
        assert word in lines[0]


def test_pol_eval_with_a_lone_surrogate_id(tmp_path):
    done = _pol_eval(tmp_path, '{"as_of": "2023-12-31", "applicants": [{"id": "\\ud800"}]}')
    assert "Traceback" not in done.stderr
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1


# ---------------------------------------------------------------- random corruption of real batches

EXAMPLES = [json.loads(p.read_text(encoding="utf-8"), parse_float=Decimal)
            for p in sorted((REPO / "examples").glob("*.json"))]
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**45, 10**45), st.text(max_size=12),
                 st.decimals(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
                 st.sampled_from(["2023-02-30", "2023-13-01", " 12", "1e5", "١٢", "１２", "kundulun", "\u2028"]))


@st.composite
def corrupted(draw):
    data = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        applicants = data.get("applicants") if isinstance(data, dict) else None
        if isinstance(applicants, list) and applicants and draw(st.booleans()):
            target = applicants[draw(st.integers(0, len(applicants) - 1))]
            if isinstance(target, dict) and target:
                key = draw(st.sampled_from(sorted(target) + ["extra"]))
                target[key] = draw(JUNK)
        elif isinstance(data, dict):
            data[draw(st.sampled_from(sorted(data) + ["year", "usd_cny_rate"]))] = draw(JUNK)
    return data


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_batches_give_a_result_or_one_line_never_an_exception(data):
    outcomes = []
    for evaluate in (CALCULATOR.evaluate_json, ORACLE.evaluate_json):
        try:
            result = evaluate(copy.deepcopy(data))
        except BatchError as refused:
            message = str(refused)
            assert len(message.splitlines()) == 1 and message.isprintable(), repr(message)
            outcomes.append("refused")
            continue
        json.dumps(result, ensure_ascii=False).encode("utf-8")
        for applicant in result["applicants"]:
            for award in applicant["awards"]:
                award.pop("why"), award.pop("why_zh")
        outcomes.append(result)
    assert outcomes[0] == outcomes[1]
