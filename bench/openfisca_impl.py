"""Clauses (七), (八) and (十一) of the Baotou policy in OpenFisca-core, for the benchmark.

One entity (the enterprise), input variables for the facts the three measures
read, and formulas over whole populations: the ranking of (八) is a sort inside
a formula, "the highest only" of (二十一) compares the three rewards. OpenFisca
holds money as float32 (`value_type = float`), about 7 significant digits:
the benchmark says where that loses fen.
"""

from __future__ import annotations

import datetime

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.periods import DateUnit
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

Enterprise = build_entity(key="enterprise", plural="enterprises", label="An enterprise applying", is_person=True)
PERIOD = "2023"

MONEY_INPUTS = ("livestream_base_area_m2", "local_product_livestream_sales", "festival_online_retail_sales",
                "festival_local_goods_online_retail", "cross_border_trade_usd", "platform_online_trade_usd",
                "fiscal_contribution_prev_year", "fiscal_contribution_this_year", "other_city_policy_reward")
INT_INPUTS = ("livestream_rooms", "active_anchors", "platform_served_enterprises")
BOOL_INPUTS = ("registered_in_baotou", "has_festival_local")


def _variable(name: str, kind, formula=None, default=None) -> type:
    attrs = {"value_type": kind, "entity": Enterprise, "definition_period": DateUnit.YEAR, "label": name}
    if default is not None:
        attrs["default_value"] = default
    if formula is not None:
        attrs["formula"] = formula
    return type(name, (Variable,), attrs)


def _full_years(established, as_of: datetime.date):
    days = established.astype("datetime64[D]")
    years = days.astype("datetime64[Y]")
    y = years.astype(np.int64) + 1970
    m = (days.astype("datetime64[M]") - years).astype(np.int64) + 1
    d = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    full = as_of.year - y - ((as_of.month < m) | ((as_of.month == m) & (as_of.day < d)))
    return full


def m7_raw(e, period):
    ok = (e("registered_in_baotou", period) & (e("livestream_base_area_m2", period) >= 1000)
          & (e("livestream_rooms", period) >= 5) & (e("active_anchors", period) > 10)
          & (_full_years(e("established_on", period), datetime.date(2023, 12, 31)) >= 1)
          & (e("local_product_livestream_sales", period) >= 20_000_000))
    return np.where(ok, np.minimum(e("local_product_livestream_sales", period) * 0.01, 500_000), 0)


def festival_rank(e, period):
    sales = e("festival_online_retail_sales", period)
    local = e("festival_local_goods_online_retail", period)
    has_local = e("has_festival_local", period)
    rows = np.flatnonzero(sales > 0)
    order = rows[np.lexsort((rows, -local[rows], ~has_local[rows], -sales[rows]))]
    rank = np.zeros(len(sales), dtype=np.int32)
    rank[order[:5]] = np.arange(1, min(5, len(order)) + 1)
    return rank


def m8(e, period):
    local = e("festival_local_goods_online_retail", period)
    ok = (e("festival_rank", period) > 0) & (local >= 20_000_000)
    return np.where(ok, np.minimum(10 * np.floor((local - 20_000_000) / 10_000), 100_000), 0)


def _increment(e, period):
    return e("fiscal_contribution_this_year", period) - e("fiscal_contribution_prev_year", period)


def m11a_raw(e, period):
    trade = e("cross_border_trade_usd", period)
    ok = e("registered_in_baotou", period) & (trade >= 1_000_000)
    amount = np.minimum(np.minimum(trade * 0.05 * e("usd_cny_rate", period), 2_000_000), _increment(e, period))
    return np.where(ok, np.maximum(amount, 0), 0)


def m11b_raw(e, period):
    trade = e("platform_online_trade_usd", period)
    ok = e("registered_in_baotou", period) & (e("platform_served_enterprises", period) >= 20) & (trade >= 10_000_000)
    amount = np.minimum(np.minimum(trade * 0.01 * e("usd_cny_rate", period), 3_000_000), _increment(e, period))
    return np.where(ok, np.maximum(amount, 0), 0)


def _rounded(x):
    return np.round(x, 2)


def _highest(e, period):
    rewards = np.stack([_rounded(e("m7_raw", period)), _rounded(e("m11a_raw", period)),
                        _rounded(e("m11b_raw", period))])
    best = np.argmax(rewards, axis=0)  # first of equals: clause 7, then M11a
    top = rewards.max(axis=0)
    other = e("other_city_policy_reward", period)
    lose = (other > 0) & (other >= top)
    return rewards, best, top > 0, lose


def _kept(index):
    def formula(e, period):
        rewards, best, any_, lose = _highest(e, period)
        return np.where(any_ & (best == index) & ~lose, rewards[index], 0)
    return formula


VARIABLES = [
    *(_variable(name, float) for name in MONEY_INPUTS),
    *(_variable(name, int) for name in INT_INPUTS),
    *(_variable(name, bool) for name in BOOL_INPUTS),
    _variable("established_on", datetime.date, default=datetime.date(2100, 1, 1)),
    _variable("usd_cny_rate", float),
    _variable("m7_raw", float, m7_raw), _variable("m11a_raw", float, m11a_raw), _variable("m11b_raw", float, m11b_raw),
    _variable("festival_rank", int, festival_rank), _variable("m8", float, m8),
    _variable("m7", float, _kept(0)), _variable("m11a", float, _kept(1)), _variable("m11b", float, _kept(2)),
]


def system() -> TaxBenefitSystem:
    tbs = TaxBenefitSystem([Enterprise])
    tbs.add_variables(*VARIABLES)
    return tbs


def inputs(batch: dict, applicants: list[dict]) -> dict[str, np.ndarray]:
    """The columns OpenFisca is given, from the applicants as read from JSON."""
    n = len(applicants)
    out: dict[str, np.ndarray] = {}
    for name in MONEY_INPUTS:
        out[name] = np.array([float(a.get(name, 0)) for a in applicants], dtype=np.float32)
    for name in INT_INPUTS:
        out[name] = np.array([int(a.get(name, 0)) for a in applicants], dtype=np.int32)
    out["registered_in_baotou"] = np.array([a.get("registered_in_baotou") is True for a in applicants])
    out["has_festival_local"] = np.array(["festival_local_goods_online_retail" in a for a in applicants])
    out["established_on"] = np.array([a.get("established_on", "2100-01-01") for a in applicants],
                                     dtype="datetime64[D]")
    out["usd_cny_rate"] = np.full(n, float(batch["usd_cny_rate"]), dtype=np.float32)
    return out


def evaluate(tbs: TaxBenefitSystem, columns: dict[str, np.ndarray]) -> list[np.ndarray]:
    """M7, M8, M11a, M11b as OpenFisca computes them (float32 yuan)."""
    n = len(columns["usd_cny_rate"])
    sim = SimulationBuilder().build_default_simulation(tbs, count=n)
    for name, values in columns.items():
        sim.set_input(name, PERIOD, values)
    return [sim.calculate(name, PERIOD) for name in ("m7", "m8", "m11a", "m11b")]


def amounts(computed: list[np.ndarray]) -> np.ndarray:
    """Amounts in fen (n x 4), as the other engines give them."""
    return np.round(np.stack(computed, axis=1).astype(np.float64) * 100).astype(np.int64)
