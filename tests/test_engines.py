"""The vector calculator gives the scalar calculator's results, to the fen, on every case.

The scalar result less its reasons (`why`, `why_zh`) must equal the vector result
exactly: every listed award, amount, status, share, computed amount, pool and
total; a refused batch must be refused with the same message and code.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bench.population import write_jsonl
from compiler.vector_gen import compile_vector
from pol import batchio
from pol.api import compile_file, load_source
from pol.cli import main
from pol.commands.eval import Evaluation
from pol.runtime import BatchError
from pol.vector_runtime import STATUSES, VectorOverflow, VectorUnsupported
from tests.random_batches import Lexeme, dumps, random_batches

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
# The example amendment's file stands for the Baotou policy with it: a calculator with two versions.
AMENDED = REPO / "examples" / "amendments" / "baotou_2022_amendment_2024.pol"
CASES = sorted((REPO / "tests" / "cases" / "baotou").glob("*.json"))
DEMO = REPO / "tests" / "fixtures" / "demo.pol"
TUTORIAL = REPO / "examples" / "tutorial" / "first.pol"


class Engines:
    """One policy's scalar and vector calculators, evaluating JSON text the way `pol eval` does."""

    def __init__(self, path: Path):
        self.compiled = compile_file(path)
        self.scalar = load_source(self.compiled.python, self.compiled.policy_id)
        self.evaluation = Evaluation(self.compiled, self.scalar)

    def run(self, text: str, engine: str, tmp_path: Path, fmt: str = "json"):
        batch = tmp_path / f"batch.{fmt}"
        batch.write_text(text, encoding="utf-8")
        try:
            outcome = self.evaluation.run(batchio.Source(batch, fmt), engine)
        except BatchError as error:
            return ("refused", error.code, str(error))
        result = outcome.to_json()
        assert outcome.engine == engine
        return result


def without_reasons(result):
    if isinstance(result, dict):
        for applicant in result["applicants"]:
            for award in applicant["awards"]:
                del award["why"], award["why_zh"]
    return result


def _lexemes(value):
    """JSON data read with parse_float=Decimal, back to text with its numbers as written."""
    if isinstance(value, Decimal):
        return Lexeme(str(value))
    if isinstance(value, dict):
        return {k: _lexemes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lexemes(v) for v in value]
    return value


@pytest.fixture(scope="module")
def baotou():
    return Engines(BAOTOU)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_worked_case_agrees(baotou, path, tmp_path):
    case = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    text = dumps(_lexemes(case["batch"]))
    scalar = without_reasons(baotou.run(text, "scalar", tmp_path))
    vector = baotou.run(text, "vector", tmp_path)
    assert vector == scalar


@pytest.mark.parametrize("policy", [BAOTOU, AMENDED, DEMO, TUTORIAL], ids=["baotou", "amended", "demo", "tutorial"])
def test_random_batches_agree(policy, tmp_path):
    engines = Engines(policy)
    refused = agreed = 0
    for text in random_batches(engines.scalar, seed=7, count=25):
        scalar = without_reasons(engines.run(text, "scalar", tmp_path))
        vector = engines.run(text, "vector", tmp_path)
        assert vector == scalar, text[:500]
        refused += isinstance(scalar, tuple)
        agreed += 1
    assert agreed == 25 and refused < agreed  # most batches are evaluated, not refused


def test_a_large_generated_population_agrees_to_the_fen(baotou, tmp_path):
    path = write_jsonl(tmp_path / "population.jsonl", 12_000, seed=11)
    text = path.read_text(encoding="utf-8")
    scalar = without_reasons(baotou.run(text, "scalar", tmp_path, "jsonl"))
    vector = baotou.run(text, "vector", tmp_path, "jsonl")
    assert vector == scalar
    statuses = {award["status"] for a in vector["applicants"] for award in a["awards"]}
    # The population exercises the exclusive group, the station pool and refusals by condition.
    assert {"granted", "not_eligible", "superseded", "pool_reduced", "pool_exhausted"} <= statuses


def test_the_fast_reader_builds_the_columns_the_typed_facts_give(baotou, tmp_path):
    path = write_jsonl(tmp_path / "population.jsonl", 3_000, seed=5)
    lines = path.read_text(encoding="utf-8").splitlines()
    data = json.loads(lines[0])
    data["applicants"] = [json.loads(line, parse_float=Decimal) for line in lines[1:]]
    _, applicants = baotou.scalar.read(data)
    reference = batchio.population_from_applicants(baotou.scalar.SPEC, applicants)
    stream = batchio.Source(path, "jsonl").open(baotou.scalar.SPEC)
    builder = batchio.ColumnBuilder(baotou.scalar.SPEC)
    builder.CHUNK = 512  # several chunks, one scale per chunk
    for line, raw in stream.records():
        builder.add(raw, line)
    fast = builder.finish()
    assert list(fast.ids) == list(reference.ids)
    assert fast.columns.keys() == reference.columns.keys()
    for name, column in fast.columns.items():
        other = reference.columns[name]
        assert np.array_equal(column.valid, other.valid), name
        if hasattr(column, "counts"):
            assert np.array_equal(column.counts, other.counts), name
        else:
            shift = column.scale - other.scale
            assert np.array_equal(column.values, other.values * 10**shift if shift >= 0 else other.values), name


def test_results_are_arrow_compatible_columns(baotou, tmp_path):
    text = (REPO / "examples" / "city_2023.json").read_text(encoding="utf-8")
    batch = tmp_path / "b.json"
    batch.write_text(text, encoding="utf-8")
    outcome = baotou.evaluation.run(batchio.Source(batch, "json"), "vector")
    columns = outcome.vector.columns()
    n = outcome.n
    assert all(len(c) == n for c in columns.values())
    assert columns["M7.amount"].dtype == np.int64 and columns["M7.status"].dtype == np.int8
    assert columns["M6.listed"].dtype == np.bool_
    # amounts are fen: the total column sums to the batch total
    assert int(columns["total"].sum()) == round(Decimal(outcome.total()) * 100)
    assert STATUSES[columns["M6.status"][columns["M6.listed"]][-1]] == "not_eligible"


def _with_sales(sales: str, tmp_path: Path) -> Path:
    batch = {"as_of": "2023-12-31", "applicants": [
        {"id": "L", "registered_in_baotou": True, "livestream_base_area_m2": "1500", "livestream_rooms": 8,
         "active_anchors": 15, "established_on": "2020-01-01", "local_product_livestream_sales": sales}]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(batch), encoding="utf-8")
    return path


def test_amounts_beyond_int64_fall_back_to_the_scalar_engine(tmp_path, capsys):
    path = _with_sales("9" * 25 + ".55", tmp_path)
    assert main(["eval", str(BAOTOU), "--facts", str(path), "--engine", "vector", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "note:" in captured.err and "scalar engine" in captured.err
    assert json.loads(captured.out)["total"] == "500000.00"
    assert main(["eval", str(BAOTOU), "--facts", str(path), "--engine", "vector", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_products_beyond_int64_stay_exact_and_only_final_amounts_must_fit():
    from pol.vector_runtime import V, _round_to_fen, mul

    big = V(np.array([2**40 + 7, 3], dtype=np.int64), 2, True, 2**40 + 7)
    product = mul(big, big)  # beyond int64: computed in exact Python integers
    assert [int(x) for x in product.v] == [(2**40 + 7) ** 2, 9]
    fen = _round_to_fen(product.v // 10**8, 0, product.bound // 10**8, 2, "half_up")
    assert fen.dtype == np.int64 and int(fen[0]) == (2**40 + 7) ** 2 // 10**8 * 100
    with pytest.raises(VectorOverflow):
        _round_to_fen(product.v, 4, product.bound, 2, "half_up")


def test_a_policy_the_vector_engine_cannot_compute_is_refused_at_compile_time(tmp_path):
    text = BAOTOU.read_text(encoding="utf-8").replace("rounding half_up to 0.01元 per award",
                                                      "rounding half_up to 0.001元 per award")
    policy = tmp_path / "fine.pol"
    policy.write_text(text, encoding="utf-8")
    compiled = compile_file(policy)
    compile_vector(compiled.parsed.policy)  # the code is generated; evaluating would lose the mills
    engines = Engines(policy)
    module = engines.evaluation.vector_module()
    batch, _ = engines.scalar.read({"as_of": "2023-12-31", "applicants": []})
    with pytest.raises(VectorUnsupported):
        module.evaluate(engines.scalar.SPEC, batch, batchio.ColumnBuilder(engines.scalar.SPEC).finish())


def test_auto_picks_the_vector_engine_only_for_large_batches(baotou, tmp_path):
    from pol.commands.eval import AUTO_MIN_APPLICANTS

    small = write_jsonl(tmp_path / "small.jsonl", 50, seed=1)
    large = write_jsonl(tmp_path / "large.jsonl", AUTO_MIN_APPLICANTS, seed=1)
    assert baotou.evaluation.run(batchio.Source(small, "jsonl"), "auto").engine == "scalar"
    assert baotou.evaluation.run(batchio.Source(large, "jsonl"), "auto").engine == "vector"


def test_a_needed_fact_is_refused_alike_with_its_line(tmp_path, capsys):
    # demo.pol's M14, M11, M6 and M5 have no condition: every applicant needs their facts.
    given = '"parcels": {"kundulun": 3}, "rooms": 2, "stars": 5'
    text = ('{"as_of": "2023-01-01", "usd_cny_rate": "7",\n "applicants": [\n'
            f'  {{"id": "a", "trade": "5", {given}}},\n  {{"id": "b", {given}}}\n]}}')
    path = tmp_path / "need.json"
    path.write_text(text, encoding="utf-8")
    messages = set()
    for engine in ("scalar", "vector"):
        assert main(["eval", str(DEMO), "--facts", str(path), "--engine", engine]) == 1
        messages.add(capsys.readouterr().err)
    [message] = messages
    assert message.startswith(f"error: {path}:4: applicant \"b\": fact `trade` is needed by M11")


def test_shuffled_populations_keep_per_applicant_results(baotou, tmp_path):
    """Input order matters only where the policy says (pools, ties): elsewhere a shuffle changes nothing."""
    path = write_jsonl(tmp_path / "p.jsonl", 2_500, seed=3)
    head, *rows = path.read_text(encoding="utf-8").splitlines()
    random.Random(1).shuffle(rows)
    shuffled = tmp_path / "s.jsonl"
    shuffled.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    a = baotou.run(path.read_text(encoding="utf-8"), "vector", tmp_path, "jsonl")
    b = baotou.run(shuffled.read_text(encoding="utf-8"), "vector", tmp_path, "jsonl")
    pooled = {"M6", "M8"}
    by_id = {x["id"]: [w for w in x["awards"] if w["measure"] not in pooled] for x in a["applicants"]}
    assert all(by_id[x["id"]] == [w for w in x["awards"] if w["measure"] not in pooled] for x in b["applicants"])


def test_is_given_on_a_number_agrees(tmp_path):
    """`sales is given` tests the fact itself in both engines, not its value read as 0."""
    from tests.policy_text import policy_text

    policy = tmp_path / "given.pol"
    policy.write_text(policy_text().replace("when livestream_rooms 不少于 5 and sales 达到 2000万元",
                                            "when sales is given"), encoding="utf-8")
    engines = Engines(policy)
    text = json.dumps({"as_of": "2023-01-01", "applicants": [
        {"id": "given", "county": "kundulun", "sales": "0"},
        {"id": "absent", "county": "kundulun", "livestream_rooms": 6}]})
    scalar = without_reasons(engines.run(text, "scalar", tmp_path))
    vector = engines.run(text, "vector", tmp_path)
    assert vector == scalar
    statuses = {a["id"]: [w["status"] for w in a["awards"]] for a in scalar["applicants"]}
    assert statuses == {"given": ["granted"], "absent": []}


def test_auto_keeps_the_reasons_of_json_and_text_output(tmp_path):
    """READING's JSON contract has `why` on every award: `auto` is scalar for text and json."""
    from pol.commands.eval import AUTO_MIN_APPLICANTS

    large = write_jsonl(tmp_path / "large.jsonl", AUTO_MIN_APPLICANTS, seed=3)
    out = tmp_path / "out.json"
    assert main(["eval", str(BAOTOU), "--facts", str(large), "--format", "json", "-o", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    awards = [w for a in result["applicants"] for w in a["awards"]]
    assert awards and all(w["why"] and w["why_zh"] for w in awards)
    out_csv = tmp_path / "out.csv"
    assert main(["eval", str(BAOTOU), "--facts", str(large), "--format", "csv", "-o", str(out_csv), "--quiet"]) == 0


@pytest.mark.parametrize("condition", [
    "livestream_rooms < 5", "livestream_rooms >= 0", "livestream_rooms 不少于 5", "not livestream_rooms >= 5",
    "livestream_rooms >= 5 or sales >= 1元", "county = qingshan", "county != qingshan", "sales 达到 2000万元",
    "0 < livestream_rooms", "5 > livestream_rooms", "livestream_rooms 不少于 5 and not sales > 0元"])
def test_conditions_computed_only_where_their_facts_are_given_agree(condition, tmp_path):
    """The vector engine computes a measure's conditions only for the applicants who give the facts
    the conditions require (an absent number is 0: `rooms < 5` holds without rooms); every form agrees."""
    from tests.policy_text import policy_text

    policy = tmp_path / "required.pol"
    policy.write_text(policy_text().replace("when livestream_rooms 不少于 5 and sales 达到 2000万元",
                                            f"when {condition}"), encoding="utf-8")
    engines = Engines(policy)
    # Every applicant gives the sales the amount needs, so no batch is refused for want of them.
    rows = [{"id": "sales only", "sales": "30000000"}, {"id": "county", "county": "qingshan", "sales": "100"},
            {"id": "rooms", "livestream_rooms": 6, "sales": "0"},
            {"id": "few", "livestream_rooms": 2, "county": "kundulun", "sales": "2500000"},
            {"id": "both", "livestream_rooms": 7, "sales": "25000000.50", "county": "kundulun"}]
    text = json.dumps({"as_of": "2023-01-01", "applicants": rows})
    scalar = without_reasons(engines.run(text, "scalar", tmp_path))
    vector = engines.run(text, "vector", tmp_path)
    assert vector == scalar
    granted = {a["id"] for a in scalar["applicants"] for w in a["awards"] if w["status"] == "granted"}
    assert 0 < len(granted) < len(rows) or condition in ("livestream_rooms >= 0", "livestream_rooms >= 5 or sales >= 1元")


def test_a_negative_product_of_zero_is_paid_as_zero_by_both_engines(tmp_path):
    from tests.policy_text import policy_text

    policy = tmp_path / "negative.pol"
    policy.write_text(policy_text().replace("pay 1% of sales", "pay sales * -1")
                      .replace(" and sales 达到 2000万元", ""), encoding="utf-8")
    engines = Engines(policy)
    text = json.dumps({"as_of": "2023-01-01", "applicants": [
        {"id": "zero", "livestream_rooms": 6, "sales": "0"}, {"id": "some", "livestream_rooms": 6, "sales": "5"}]})
    scalar = without_reasons(engines.run(text, "scalar", tmp_path))
    assert engines.run(text, "vector", tmp_path) == scalar
    assert [a["awards"][0]["amount"] for a in scalar["applicants"]] == ["0.00", "0.00"]


def test_overlapping_evaluations_restore_numpy_s_huge_page_advice():
    from pol.vector_runtime import _small_pages

    toggle = np._core.multiarray._set_madvise_hugepage
    before = toggle(True)
    try:
        first, second = _small_pages(), _small_pages()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert toggle(False) is False  # still off while the second runs
        second.__exit__(None, None, None)
        assert toggle(True) is True  # back on after the last
    finally:
        toggle(before)
