"""A seeded, realistic mixed population of Baotou applicants, written as JSON Lines.

Most enterprises apply under one measure, some under two (a livestream seller
that also trades across the border, a hotel that also sells by livestream), so
the exclusive group, the ranking and the station pool all have work to do.
Amounts carry cents and cross the thresholds and caps on both sides, the
exchange rate has four decimals, and a few applicants report a reward under
another city policy. The same seed and size give the same file, byte for byte.

    python -m bench.population N OUT.jsonl [--seed S]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

import numpy as np

BATCH = {"as_of": "2023-12-31", "year": 2023, "usd_cny_rate": "7.0467"}

COUNTIES = ("kundulun", "qingshan", "donghe", "jiuyuan", "shiguai", "bayan_obo", "tumed_right", "guyang",
            "darhan_muminggan", "rare_earth_zone")
COUNTY_WEIGHTS = (0.22, 0.16, 0.14, 0.1, 0.03, 0.02, 0.1, 0.07, 0.06, 0.1)

# Share of the population in each role; an applicant has one main role and
# sometimes a second one (SECOND_ROLE), so the shares add up to more than 1 in effect.
ROLES = {
    "livestream": 0.34, "festival": 0.16, "cross_border": 0.14, "platform": 0.03, "parcels": 0.09,
    "stations": 0.08, "hotel": 0.03, "homestay": 0.04, "demo_enterprise": 0.02, "demo_base": 0.01,
    "freight": 0.06,
}
SECOND_ROLE = 0.12
OTHER_POLICY_REWARD = 0.05

_EPOCH = datetime.date(1970, 1, 1).toordinal()


def _day(days: int) -> str:
    return datetime.date.fromordinal(_EPOCH + int(days)).isoformat()


def _days(text: str) -> int:
    return datetime.date.fromisoformat(text).toordinal() - _EPOCH


def _cents(value: float) -> str:
    """A money amount with two decimals, from a draw in yuan."""
    return f"{value:.2f}"


class _Draws:
    """All the random numbers one role needs, drawn column-wise for speed."""

    def __init__(self, rng: np.random.Generator, n: int):
        self.rng, self.n = rng, n

    def money(self, median: float, sigma: float) -> np.ndarray:
        return np.round(self.rng.lognormal(np.log(median), sigma, self.n), 2)

    def ints(self, low: int, high: int) -> np.ndarray:
        return self.rng.integers(low, high + 1, self.n)

    def dates(self, start: str, end: str) -> np.ndarray:
        return self.rng.integers(_days(start), _days(end) + 1, self.n)

    def chance(self, p: float) -> np.ndarray:
        return self.rng.random(self.n) < p


def _role_facts(role: str, i: int, cols: dict) -> dict:
    c = cols[role]
    if role == "livestream":
        return {"livestream_base_area_m2": str(int(c["area"][i])), "livestream_rooms": int(c["rooms"][i]),
                "active_anchors": int(c["anchors"][i]), "established_on": _day(c["est"][i]),
                "local_product_livestream_sales": _cents(c["sales"][i])}
    if role == "festival":
        return {"festival_online_retail_sales": _cents(c["total"][i]),
                "festival_local_goods_online_retail": _cents(c["local"][i])}
    if role == "cross_border":
        return {"cross_border_trade_usd": _cents(c["trade"][i]), "fiscal_contribution_prev_year": _cents(c["prev"][i]),
                "fiscal_contribution_this_year": _cents(c["this"][i])}
    if role == "platform":
        return {"platform_served_enterprises": int(c["served"][i]), "platform_online_trade_usd": _cents(c["trade"][i]),
                "fiscal_contribution_prev_year": _cents(c["prev"][i]),
                "fiscal_contribution_this_year": _cents(c["this"][i])}
    if role == "parcels":
        k = int(c["k"][i])
        keys = c["keys"][i][:k]
        return {"village_parcels": {COUNTIES[j]: int(v) for j, v in zip(keys, c["counts"][i][:k])}}
    if role == "stations":
        out = {"village_stations": int(c["stations"][i])}
        if c["demo"][i]:
            out["in_national_rural_demo_county"] = True
        return out
    if role == "hotel":
        return {"hotel_star_rating": int(c["stars"][i]), "hotel_rated_on": _day(c["rated"][i])}
    if role == "homestay":
        return {"homestay_grade": "ABC"[int(c["grade"][i])], "homestay_rated_on": _day(c["rated"][i])}
    if role == "demo_enterprise":
        return {"demo_enterprise_level": "national" if c["national"][i] else "regional",
                "demo_enterprise_approved_on": _day(c["approved"][i])}
    if role == "demo_base":
        return {"demo_base_level": "national" if c["national"][i] else "regional",
                "demo_base_approved_on": _day(c["approved"][i])}
    if role == "freight":
        return {"network_freight_platform": True, "connected_to_regional_freight_monitor": bool(c["connected"][i]),
                "registered_on": _day(c["registered"][i]), "city_retained_fiscal_contribution": _cents(c["retained"][i])}
    raise AssertionError(role)


def _columns(rng: np.random.Generator, n: int) -> dict:
    d = _Draws(rng, n)
    prev = d.money(3_000_000, 1.0)
    prev_p = d.money(2_000_000, 1.0)
    return {
        "livestream": {"area": d.ints(300, 4000), "rooms": d.ints(2, 20), "anchors": d.ints(4, 40),
                       "est": d.dates("2015-01-01", "2023-12-31"), "sales": d.money(15_000_000, 0.9)},
        "festival": {"total": d.money(4_000_000, 1.4), "local": d.money(12_000_000, 1.0)},
        "cross_border": {"trade": d.money(2_000_000, 1.0), "prev": prev,
                         "this": np.round(prev * rng.uniform(0.7, 1.6, n), 2)},
        "platform": {"served": d.ints(5, 60), "trade": d.money(20_000_000, 0.8), "prev": prev_p,
                     "this": np.round(prev_p * rng.uniform(0.8, 1.8, n), 2)},
        "parcels": {"k": d.ints(1, 4), "keys": np.argsort(rng.random((n, len(COUNTIES))), axis=1)[:, :4],
                    "counts": rng.integers(100, 200_000, (n, 4))},
        "stations": {"stations": d.ints(1, 30), "demo": d.chance(0.2)},
        "hotel": {"stars": d.ints(3, 5), "rated": d.dates("2021-06-01", "2024-06-30")},
        "homestay": {"grade": d.ints(0, 2), "rated": d.dates("2021-06-01", "2024-06-30")},
        "demo_enterprise": {"national": d.chance(0.6), "approved": d.dates("2019-01-01", "2023-12-31")},
        "demo_base": {"national": d.chance(0.4), "approved": d.dates("2019-01-01", "2023-12-31")},
        "freight": {"connected": d.chance(0.8), "registered": d.dates("2018-01-01", "2023-12-31"),
                    "retained": d.money(400_000, 1.2)},
    }


def applicants(n: int, seed: int = 2023):
    """The applicants as dicts of JSON values, in order."""
    rng = np.random.default_rng(seed)
    names = list(ROLES)
    weights = np.array([ROLES[r] for r in names])
    main = rng.choice(len(names), n, p=weights / weights.sum())
    second = np.where(rng.random(n) < SECOND_ROLE, rng.choice(len(names), n, p=weights / weights.sum()), -1)
    county = rng.choice(len(COUNTIES), n, p=np.array(COUNTY_WEIGHTS) / sum(COUNTY_WEIGHTS))
    registered = rng.random(n) < 0.93
    submitted = _Draws(rng, n).dates("2023-01-03", "2023-11-30")
    other = np.where(rng.random(n) < OTHER_POLICY_REWARD, np.round(rng.lognormal(np.log(300_000), 1.0, n), 2), -1.0)
    cols = _columns(rng, n)
    for i in range(n):
        facts = {"id": f"E{i + 1:07d}", "county": COUNTIES[county[i]]}
        if registered[i]:
            facts["registered_in_baotou"] = True
        facts["submitted_on"] = _day(submitted[i])
        facts.update(_role_facts(names[main[i]], i, cols))
        if second[i] >= 0 and second[i] != main[i]:
            facts.update(_role_facts(names[second[i]], i, cols))
        if other[i] >= 0:
            facts["other_city_policy_reward"] = _cents(other[i])
        yield facts


def write_jsonl(path: Path, n: int, seed: int = 2023) -> Path:
    """The batch as JSON Lines: the batch facts, then one applicant a line."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(BATCH) + "\n")
        for facts in applicants(n, seed):
            out.write(json.dumps(facts, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)
    write_jsonl(args.out, args.n, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
