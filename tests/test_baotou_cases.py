"""Golden worked cases for the Baotou 2022 e-commerce measures.

Each file in ``tests/cases/baotou/*.json`` is one worked case::

    {"name": ..., "description": ..., "batch": {...}, "expect": {...}}

``expect`` is either ``{"refused": "<lowercase substring>", "refused_also": [...]}``
(the batch must raise ``BatchError`` whose lowercased message contains every
substring) or::

    {"applicants": {"<id>": {"total": "...",
                             "awards": {"M7": {"amount": ..., "status": ...,
                                               "city_share": ..., "payee": ...}},
                             "absent_or_not_eligible": ["M4", ...],
                             "absent_or_zero": ["M14", ...]}},
     "pools": {"M6": "<used>"}}

Only the keys present are asserted; amounts are compared as exact strings.
Every successful result is also checked against the invariants of the output
contract (clause numbers, payees, status/amount consistency, city shares,
totals, pool sums, input order).

The batch JSON is read with ``parse_float=Decimal``: a JSON number such as
7.05 reaches the API as the exact decimal it denotes, never a binary float.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

import pytest

from pol.api import BatchError, evaluate_batch

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "baotou_2022.pol"
CASE_DIR = Path(__file__).resolve().parent / "cases" / "baotou"
CASE_FILES = sorted(CASE_DIR.glob("*.json"))

CLAUSE = {"M3a": 3, "M3b": 3, "M4": 4, "M5a": 5, "M5b": 5, "M6": 6, "M7": 7,
          "M8": 8, "M11a": 11, "M11b": 11, "M13": 13, "M14": 14}
CITY_RATIO = {"M3a": Decimal(1), "M3b": Decimal(1), "M4": Decimal("0.5"),
              "M5a": Decimal("0.5"), "M5b": Decimal("0.5"), "M6": Decimal("0.5"),
              "M7": Decimal("0.5"), "M8": Decimal("0.5"), "M14": Decimal("0.5")}
NULL_SHARE = {"M11a", "M11b", "M13"}
COUNTY_PAYEE = {"M3a", "M3b", "M13"}
STATUSES = {"granted", "superseded", "pool_reduced", "pool_exhausted", "not_eligible"}
UNPAID = {"superseded", "pool_exhausted", "not_eligible"}
POOL_LIMITS = {"M6": "1000000.00", "M8": "500000.00"}
MONEY = re.compile(r"^\d+\.\d{2}$")


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh, parse_float=Decimal)


def _case_id(path: Path) -> str:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["name"]


def _money(value, where: str) -> Decimal:
    assert isinstance(value, str) and MONEY.match(value), f"{where}: not a 2-decimal string: {value!r}"
    return Decimal(value)


def _check_invariants(batch: dict, result: dict) -> None:
    """What every output must satisfy, whatever the case."""
    assert result.get("policy") == "baotou_2022"
    assert result.get("as_of") == batch["as_of"]
    in_ids = [a["id"] for a in batch["applicants"]]
    out_ids = [a["id"] for a in result["applicants"]]
    assert out_ids == in_ids, "one entry per applicant, in input order"

    pool_sums = {"M6": Decimal(0), "M8": Decimal(0)}
    for app in result["applicants"]:
        aid = app["id"]
        seen = set()
        total = Decimal(0)
        for award in app["awards"]:
            m = award["measure"]
            where = f"{aid}/{m}"
            assert m in CLAUSE, f"{where}: unknown measure"
            assert m not in seen, f"{where}: measure listed twice"
            seen.add(m)
            assert award["clause"] == CLAUSE[m], f"{where}: clause"
            amount = _money(award["amount"], where + " amount")
            assert award["status"] in STATUSES, f"{where}: status {award['status']!r}"
            if award["status"] in UNPAID:
                assert amount == 0, f"{where}: {award['status']} must pay 0.00"
            if award["status"] == "pool_reduced":
                assert m in pool_sums, f"{where}: only pooled measures can be pool_reduced"
            if award["status"] == "pool_exhausted":
                assert m in pool_sums, f"{where}: only pooled measures can be pool_exhausted"
            assert award["payee"] == ("county" if m in COUNTY_PAYEE else "applicant"), f"{where}: payee"
            if m in NULL_SHARE:
                assert award["city_share"] is None, f"{where}: city_share follows settlement (null)"
            else:
                share = _money(award["city_share"], where + " city_share")
                exact = amount * CITY_RATIO[m]
                # half-cent city shares (odd-cent amounts at 50%) may round either way
                assert abs(share - exact) <= Decimal("0.005"), f"{where}: city_share {share} vs {exact}"
            why = award["why"]
            assert isinstance(why, list) and why and all(isinstance(w, str) for w in why), f"{where}: why"
            total += amount
            if m in pool_sums:
                pool_sums[m] += amount
        assert _money(app["total"], aid + " total") == total, f"{aid}: total is the sum of its award amounts"

    pools = {p["measure"]: p for p in result.get("pools", [])}
    for m, p in pools.items():
        if m in POOL_LIMITS:
            assert p["limit"] == POOL_LIMITS[m], f"pool {m} limit"
            used = _money(p["used"], f"pool {m} used")
            assert used == pool_sums[m], f"pool {m}: used equals the sum of its awards"
            assert used <= Decimal(POOL_LIMITS[m])


@pytest.mark.parametrize("path", CASE_FILES, ids=[_case_id(p) for p in CASE_FILES])
def test_baotou_case(path: Path) -> None:
    case = _load(path)
    batch, expect = case["batch"], case["expect"]

    if "refused" in expect:
        with pytest.raises(BatchError) as info:
            evaluate_batch(str(POLICY), batch)
        message = str(info.value).lower()
        for needle in [expect["refused"], *expect.get("refused_also", [])]:
            assert needle.lower() in message, f"refusal message {str(info.value)!r} lacks {needle!r}"
        return

    result = evaluate_batch(str(POLICY), batch)
    _check_invariants(batch, result)
    by_id = {a["id"]: a for a in result["applicants"]}

    for aid, want in expect.get("applicants", {}).items():
        assert aid in by_id, f"applicant {aid} missing from the output"
        got = by_id[aid]
        awards = {a["measure"]: a for a in got["awards"]}
        if "total" in want:
            assert got["total"] == want["total"], f"{aid}: total"
        for m, fields in want.get("awards", {}).items():
            assert m in awards, f"{aid}: award {m} missing; got {sorted(awards)}"
            for key, value in fields.items():
                assert awards[m].get(key) == value, (
                    f"{aid}/{m}: {key} is {awards[m].get(key)!r}, expected {value!r}; why={awards[m].get('why')}")
        for m in want.get("absent_or_not_eligible", []):
            if m in awards:
                assert awards[m]["amount"] == "0.00" and awards[m]["status"] == "not_eligible", (
                    f"{aid}/{m}: expected absent or not_eligible, got {awards[m]['status']} {awards[m]['amount']}")
        for m in want.get("absent_or_zero", []):
            if m in awards:
                assert awards[m]["amount"] == "0.00", f"{aid}/{m}: expected absent or 0.00, got {awards[m]['amount']}"

    if "pools" in expect:
        pools = {p["measure"]: p for p in result.get("pools", [])}
        for m, used in expect["pools"].items():
            assert m in pools, f"pool {m} missing from the output"
            assert pools[m]["used"] == used, f"pool {m}: used {pools[m]['used']}, expected {used}"
