"""Clauses (七), (八) and (十一) of the Baotou policy written by hand in plain Python.

What a programmer would write without pol: one loop over the applicants as read
from JSON, Decimal arithmetic, the ranking of (八), the caps, the fiscal
increment and exchange rate of (十一), and "the highest only" of (二十一) among
M7, M11a and M11b. Amounts are returned in fen, per applicant, for M7, M8, M11a, M11b.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _full_years(since: datetime.date, as_of: datetime.date) -> int:
    years = as_of.year - since.year
    if (as_of.month, as_of.day) < (since.month, since.day):
        leap = as_of.year % 4 == 0 and (as_of.year % 100 != 0 or as_of.year % 400 == 0)
        if not (since.month == 2 and since.day == 29 and as_of.month == 2 and as_of.day == 28 and not leap):
            years -= 1
    return years


def _dec(a: dict, key: str) -> Decimal:
    value = a.get(key)
    return ZERO if value is None else Decimal(str(value))


def _fen(amount: Decimal) -> int:
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def evaluate(batch: dict, applicants: list[dict]) -> list[tuple[int, int, int, int]]:
    as_of = datetime.date.fromisoformat(batch["as_of"])
    rate = Decimal(str(batch["usd_cny_rate"]))

    # (八) the top 5 by festival online retail sales; ties by local goods (absent last), then input order.
    festival = []
    for i, a in enumerate(applicants):
        sales = _dec(a, "festival_online_retail_sales")
        if sales > 0:
            local = a.get("festival_local_goods_online_retail")
            festival.append((-sales, local is None, -_dec(a, "festival_local_goods_online_retail"), i))
    ranked = [i for *_, i in sorted(festival)[:5]]
    top5 = set(ranked)

    results = []
    fund_left = Decimal(500000)
    for i, a in enumerate(applicants):
        registered = a.get("registered_in_baotou") is True
        m7 = m8 = m11a = m11b = ZERO
        if (registered and _dec(a, "livestream_base_area_m2") >= 1000 and _dec(a, "livestream_rooms") >= 5
                and _dec(a, "active_anchors") > 10 and a.get("established_on") is not None
                and _full_years(datetime.date.fromisoformat(a["established_on"]), as_of) >= 1
                and _dec(a, "local_product_livestream_sales") >= 20_000_000):
            m7 = _fen(min(Decimal(a["local_product_livestream_sales"]) * CENT, Decimal(500000)))
        local = _dec(a, "festival_local_goods_online_retail")
        if i in top5 and local >= 20_000_000:
            m8 = _fen(min(10 * ((local - 20_000_000) // 10000), Decimal(100000)))
        if registered and _dec(a, "cross_border_trade_usd") >= 1_000_000:
            increment = Decimal(a["fiscal_contribution_this_year"]) - Decimal(a["fiscal_contribution_prev_year"])
            amount = min(Decimal(a["cross_border_trade_usd"]) * Decimal("0.05") * rate, Decimal(2_000_000), increment)
            m11a = _fen(max(amount, ZERO))
        if (registered and _dec(a, "platform_served_enterprises") >= 20
                and _dec(a, "platform_online_trade_usd") >= 10_000_000):
            increment = Decimal(a["fiscal_contribution_this_year"]) - Decimal(a["fiscal_contribution_prev_year"])
            amount = min(Decimal(a["platform_online_trade_usd"]) * CENT * rate, Decimal(3_000_000), increment)
            m11b = _fen(max(amount, ZERO))
        # (二十一) the highest reward only (ties: clause 7 before 11, then M11a before M11b) ...
        rewards = [m7, m11a, m11b]
        best = max(range(3), key=lambda k: (rewards[k], -k))
        if rewards[best] > 0:
            rewards = [r if k == best else 0 for k, r in enumerate(rewards)]
            # ... and nothing when another city policy already rewards at least as much.
            other = _dec(a, "other_city_policy_reward")
            if other > 0 and other * 100 >= rewards[best]:
                rewards[best] = 0
        m7, m11a, m11b = rewards
        results.append([m7, m8, m11a, m11b])

    # (八) the yearly total of 500,000, in order of rank (it never binds: 5 × 100,000).
    for i in ranked:
        if results[i][1] > 0:
            granted = min(Decimal(results[i][1]) / 100, fund_left)
            fund_left -= granted
            results[i][1] = _fen(granted)
    return [tuple(r) for r in results]
