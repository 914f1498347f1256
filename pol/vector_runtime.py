"""The runtime of the vectorised calculators: exact fixed-point arithmetic over numpy columns.

`compiler.vector_gen` turns a policy's measures into functions over whole columns;
this module holds what they share. Every number is an integer array `v` with a
decimal exponent `exp` (the value is v / 10**exp), so money, percentages,
conversions and rounding are integer operations, exact like the scalar
calculator's Decimals. Each value carries a `bound` on its magnitude, derived
from its inputs before any operation runs: an operation whose result could leave
int64 raises `VectorOverflow`, and the caller evaluates with the scalar engine.

The population-wide steps (rankings, exclusive groups, pools, burden shares)
follow `pol.runtime.evaluate` step by step, over arrays, in O(n log n). The
policy's metadata (measures, pools, groups, rounding) is the scalar calculator's
`SPEC`, compiled from the same AST, so the two engines cannot disagree about it.

Columns are Arrow-compatible: a values buffer of a fixed-width type plus a
validity mask (money as int64 at a stated decimal scale, like Arrow's decimal
type; dates as days since 1970-01-01; enumeration values as indexes into the
enumeration's codes). `pyarrow.array(column.values, mask=~column.valid)` wraps
one without copying. To run inside a partitioned engine, evaluate the
row-local parts per partition (`among`, `assess`, `exclusive`, `shares`) and
the global ones (`rank_positions`, `fund`) once over the gathered keys.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

import attrs
import numpy as np

from dsl.collector import HeldOff

from .runtime import BatchError, PolicySpec, _show, version_on

LIMIT = 2**63 - 1
_EPOCH = datetime.date(1970, 1, 1).toordinal()
FEN = 2  # results are integers in units of 10**-FEN yuan

STATUSES = ("granted", "not_eligible", "superseded", "pool_reduced", "pool_exhausted")
GRANTED, NOT_ELIGIBLE, SUPERSEDED, POOL_REDUCED, POOL_EXHAUSTED = range(len(STATUSES))


class VectorFallback(Exception):
    """The vector engine cannot evaluate this exactly; the message says why."""


class VectorOverflow(VectorFallback):
    pass


class VectorUnsupported(VectorFallback):
    pass


class NeededError(BatchError):
    """runtime's refusal of an applicant whose measure holds without a fact its amount needs; `row` is 0-based."""

    def __init__(self, message: str, code: str, row: int):
        super().__init__(message, code)
        self.row = row


# ---------------------------------------------------------------- values


@attrs.frozen
class V:
    """A column (or one batch value) of fixed-point numbers, dates, codes or truths.

    `v` holds integers (or booleans); the value is v / 10**exp. `valid` is False
    where the fact was not given. `bound` is at least max |v|.
    """

    v: Any
    exp: int = 0
    valid: Any = True
    bound: int = 0
    zeroed: bool = False  # v is 0 wherever not valid (columns are kept so)


def _checked(bound: int, what: str) -> int:
    """A result that must fit int64 (a final amount in fen): else the scalar engine evaluates."""
    if bound > LIMIT:
        raise VectorOverflow(f"{what} could exceed the 64-bit range of the vector engine")
    return bound


def _wide(values):
    """Exact Python integers, for intermediate values whose bound leaves int64 (numpy object arrays)."""
    if isinstance(values, np.ndarray):
        return values if values.dtype == object else values.astype(object)
    return int(values)


def _fit(values, bound: int):
    """Back to int64 once the bound allows it."""
    if bound <= LIMIT and isinstance(values, np.ndarray) and values.dtype == object:
        return values.astype(np.int64)
    return values


def const(text: str) -> V:
    """A policy constant, exact: `const('0.01')` is 1 at exponent 2."""
    value = Decimal(text)
    exp = max(-value.as_tuple().exponent, 0)
    ints = int(value.scaleb(exp))
    return V(ints, exp, True, abs(ints))


def day(year: int, month: int, day_: int) -> V:
    days = datetime.date(year, month, day_).toordinal() - _EPOCH
    return V(days, 0, True, abs(days))


def code(index: int) -> V:
    return V(index, 0, True, index)


TRUE = np.True_


def _rescale(x: V, exp: int) -> Any:
    """x's integers at a larger exponent, checked against overflow."""
    shift = exp - x.exp
    if shift == 0:
        return x.v
    if x.bound == 0:
        return x.v * 0
    factor = 10**shift
    if x.bound * factor > LIMIT:
        return _wide(x.v) * factor
    return x.v * factor


def _aligned(a: V, b: V) -> tuple[Any, Any, int]:
    exp = max(a.exp, b.exp)
    return _rescale(a, exp), _rescale(b, exp), exp


def _both(a: V, b: V):
    return np.logical_and(a.valid, b.valid)


def num(x: V) -> V:
    """An absent number in a condition is 0 (runtime.num)."""
    if x.valid is True:
        return x
    if x.zeroed:
        return V(x.v, x.exp, True, x.bound, True)
    return V(np.where(x.valid, x.v, 0), x.exp, True, x.bound, True)


def truth(x: V):
    return np.logical_and(x.valid, x.v)


def given(x: V):
    return x.valid


_COMPARE = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less, "=": np.equal,
            "!=": np.not_equal}


def compare(op: str, left: V, right: V):
    """runtime.compare: a comparison with an absent side does not hold."""
    a, b, exp = _aligned(left, right)
    if max(_bound_after(left, exp), _bound_after(right, exp)) > LIMIT:
        a, b = _wide(a), _wide(b)
    return np.logical_and(_COMPARE[op](a, b), _both(left, right))


def add(a: V, b: V) -> V:
    x, y, exp = _aligned(a, b)
    bound = _bound_after(a, exp) + _bound_after(b, exp)
    if bound > LIMIT:
        x, y = _wide(x), _wide(y)
    return V(x + y, exp, _both(a, b), bound)


def sub(a: V, b: V) -> V:
    x, y, exp = _aligned(a, b)
    bound = _bound_after(a, exp) + _bound_after(b, exp)
    if bound > LIMIT:
        x, y = _wide(x), _wide(y)
    return V(x - y, exp, _both(a, b), bound)


def mul(a: V, b: V) -> V:
    bound = a.bound * b.bound
    x, y = _as_int(a.v), _as_int(b.v)
    if bound > LIMIT:
        x, y = _wide(x), _wide(y)
    return V(x * y, a.exp + b.exp, _both(a, b), bound)


def neg(a: V) -> V:
    return V(-_as_int(a.v), a.exp, a.valid, a.bound)


def arith(op: str, a: V, b: V) -> V:
    """runtime.arith: absent if either side is (a year not given)."""
    return {"+": add, "-": sub, "*": mul}[op](a, b)


def _bound_after(x: V, exp: int) -> int:
    return x.bound * 10 ** (exp - x.exp)


def _as_int(values):
    if isinstance(values, np.ndarray) and values.dtype == np.bool_:
        return values.astype(np.int64)
    return values


def all_(*conditions):
    out = TRUE
    for c in conditions:
        out = np.logical_and(out, c)
    return out


def any_(*conditions):
    out = np.False_
    for c in conditions:
        out = np.logical_or(out, c)
    return out


def not_(condition):
    return np.logical_not(condition)


def within(x: V, start: V, end: V):
    return np.logical_and(x.valid, np.logical_and(start.v <= x.v, x.v <= end.v))


# -- dates: days since 1970-01-01


def _ymd(days):
    d = np.asarray(days, dtype="datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    dd = (d - months).astype(np.int64) + 1
    return y, m, dd


def _on_given(valid, compute, *arrays):
    """compute(*arrays) on the rows where valid only (dates are costly to take apart); 0 elsewhere."""
    if not isinstance(valid, np.ndarray):
        return compute(*arrays) if valid else np.int64(0)
    rows = np.flatnonzero(valid)
    out = np.zeros(len(valid), np.int64)
    out[rows] = compute(*(np.broadcast_to(a, valid.shape)[rows] for a in arrays))
    return out


def year_of(x: V) -> V:
    y = _on_given(x.valid, lambda days: _ymd(days)[0], x.v)
    return V(y, 0, x.valid, 10_000)


def first_full_year_after(x: V) -> V:
    y = year_of(x)
    return V(y.v + 1, 0, y.valid, 10_001)


def full_years(since: V, as_of: V) -> V:
    """runtime.full_years: a year is complete on its anniversary; 29 February's is 28 February."""
    def years_between(since_days, as_of_days=None):
        sy, sm, sd = _ymd(since_days)
        ay, am, ad = _ymd(as_of_days) if as_of_days is not None else one_day
        before = (am < sm) | ((am == sm) & (ad < sd))
        leap = (ay % 4 == 0) & ((ay % 100 != 0) | (ay % 400 == 0))
        feb29 = (sm == 2) & (sd == 29) & (am == 2) & (ad == 28) & ~leap
        return ay - sy - (before & ~feb29)

    valid = np.logical_and(since.valid, as_of.valid)
    if np.ndim(as_of.v) == 0:  # the batch's as_of: one day, taken apart once
        one_day = tuple(part[0] for part in _ymd(np.reshape(as_of.v, 1)))
        return V(_on_given(valid, years_between, since.v), 0, valid, 20_000)
    return V(_on_given(valid, years_between, since.v, as_of.v), 0, valid, 20_000)


# -- amounts


def per_increment(rate: V, step: V, value: V, threshold: V) -> V:
    """runtime.per_increment: `rate` for each whole `step` of `value` above `threshold`."""
    exp = max(step.exp, value.exp, threshold.exp)
    v, t, s = _rescale(value, exp), _rescale(threshold, exp), _rescale(step, exp)
    diff = v - t
    steps_bound = (_bound_after(value, exp) + _bound_after(threshold, exp)) // max(int(s), 1)
    steps = np.where(diff > 0, diff // s, 0)
    bound = rate.bound * steps_bound
    rate_v = _as_int(rate.v)
    if bound > LIMIT:
        rate_v, steps = _wide(rate_v), _wide(steps)
    return V(rate_v * steps, rate.exp, True, bound)


def _table(values: tuple) -> tuple[np.ndarray, int, int]:
    """A table's amounts, one per enumeration code (None: nothing), at one exponent."""
    present = [x for x in values if x is not None]
    exp = max((x.exp for x in present), default=0)
    ints = [0 if x is None else int(_rescale(x, exp)) for x in values]
    bound = max((abs(i) for i in ints), default=0)
    return np.array(ints, dtype=object if bound > LIMIT else np.int64), exp, bound


def lookup(c: "Frame", key: V, values: tuple, fact: str) -> V:
    """runtime.lookup: the amount the table gives the key's code; no amount is 0."""
    key = c.need(key, fact)
    table, exp, bound = _table(values)
    return V(table[key.v], exp, True, bound)


def each_at(c: "Frame", counts: "CountColumn", values: tuple, fact: str) -> V:
    """runtime.each_at: each code's count times its rate, summed."""
    c.need(V(0, 0, counts.valid, 0), fact)
    rates, exp, _ = _table(values)
    bound = sum(int(m) * abs(int(r)) for m, r in zip(counts.maxima, rates))
    if bound > LIMIT:
        return V(_wide(counts.counts) @ _wide(rates), exp, True, bound)
    return V(counts.counts @ rates, exp, True, bound)


def _round_to_fen(v, exp: int, bound: int, quantum_exp: int, mode: str):
    """Round non-negative integers at `exp` to the quantum, as Decimal.quantize does; result in fen."""
    if exp <= quantum_exp:
        return _fit(_rescale(V(v, exp, True, bound), FEN), _checked(bound * 10 ** (FEN - exp), "an amount in fen"))
    q = 10 ** (exp - quantum_exp)
    rest = v % q
    base = v - rest
    if mode == "half_up":
        up = 2 * rest >= q
    elif mode == "half_even":
        up = (2 * rest > q) | ((2 * rest == q) & ((base // q) % 2 == 1))
    elif mode == "down":
        up = np.zeros_like(rest, dtype=bool)
    else:  # up: ROUND_CEILING on amounts that are never negative
        up = rest > 0
    rounded = base + np.where(up, q, 0)
    if exp >= FEN:
        fen_bound = (bound + q) // 10 ** (exp - FEN)
        return _fit(rounded // 10 ** (exp - FEN), _checked(fen_bound, "an amount in fen"))
    return _fit(_rescale(V(rounded, exp, True, bound + q), FEN), _checked((bound + q) * 10 ** (FEN - exp),
                                                                          "an amount in fen"))


# ---------------------------------------------------------------- columns


@attrs.frozen
class Column:
    """One fact for every applicant: values, validity, and the decimal scale of numbers."""

    values: np.ndarray
    valid: np.ndarray
    scale: int = 0
    bound: int | None = None  # max |values|, when known
    zeroed: bool = False  # values are 0 wherever not valid (ColumnBuilder makes them so)

    def value(self) -> V:
        bound = self.bound
        if bound is None:
            if self.values.dtype == np.bool_:
                bound = 1
            else:
                given = self.values[self.valid]
                bound = int(np.abs(given).max()) if len(given) else 0
        return V(self.values, self.scale, self.valid, bound, self.zeroed)


@attrs.frozen
class CountColumn:
    """A count for each code of an enumeration (`integer by county`): n x codes."""

    counts: np.ndarray
    valid: np.ndarray

    @property
    def maxima(self) -> np.ndarray:
        return self.counts.max(axis=0) if len(self.counts) else np.zeros(self.counts.shape[1], np.int64)


@attrs.frozen
class Population:
    """Every applicant's facts as columns; `ids` in input order."""

    ids: np.ndarray
    columns: Mapping[str, Column | CountColumn]

    @property
    def n(self) -> int:
        return len(self.ids)


def batch_value(spec: PolicySpec, name: str, value) -> V:
    """A typed batch fact (from runtime.read_batch) as a value broadcast over the population."""
    if value is None:
        return V(np.int64(0), 0, np.False_, 0)
    fact = next(f for f in spec.facts if f.name == name)
    if isinstance(value, bool):
        return V(np.bool_(value), 0, np.True_, 1)
    if isinstance(value, datetime.date):
        days = value.toordinal() - _EPOCH
        return V(np.int64(days), 0, np.True_, abs(days))
    if fact.kind == "enum":
        index = [c for c, _, _ in spec.enums[fact.enum]].index(value)
        return V(np.int64(index), 0, np.True_, index)
    if isinstance(value, (int, Decimal)):
        x = const(str(value))
        if x.bound > LIMIT:
            raise VectorOverflow(f"the batch fact `{name}` is too large for the vector engine")
        return V(np.int64(x.v), x.exp, np.True_, x.bound)
    raise VectorUnsupported(f"the batch fact `{name}` ({fact.kind}) is not computed by the vector engine")


# ---------------------------------------------------------------- what a measure sees


@attrs.frozen
class Assessed:
    eligible: np.ndarray
    amount: np.ndarray  # fen, 0 where not eligible
    unit: V | None  # per-unit rate, for pools that grant whole units
    missing: list  # (fact, rows where it was needed and not given), in the order asked


class Frame:
    """The population and batch as a measure function reads them, and the facts it needed."""

    def __init__(self, spec: PolicySpec, population: Population, batch: Mapping[str, V], ranks: dict):
        self.spec = spec
        self.population = population
        self.n = population.n
        self._batch = batch
        self._ranks = ranks
        self._cache: dict[str, Any] = {}
        self._needs: list = []
        self._rounding = spec.rounding
        self._quantum_exp = -spec.quantum.as_tuple().exponent

    def fact(self, name: str):
        if name not in self._cache:
            column = self.population.columns.get(name)
            if column is None:
                column = _absent(self.spec, name, self.n)
            self._cache[name] = column if isinstance(column, CountColumn) else column.value()
        return self._cache[name]

    def batch(self, name: str) -> V:
        return self._batch[name]

    def code(self, enum: str, code_: str) -> V:
        """An enumeration value as the index columns hold."""
        index = [c for c, _, _ in self.spec.enums[enum]].index(code_)
        return V(index, 0, True, index)

    def ranked(self, name: str):
        return self._ranks[name] > 0

    def need(self, x: V, fact: str) -> V:
        """runtime.need: remember where the fact was absent; the amount treats it as 0."""
        if x.valid is not True:
            self._needs.append((fact, np.logical_not(x.valid)))
        return num(x)

    def only(self, held) -> "Rows":
        """The applicants whose conditions hold: amounts are computed for them alone, as the scalar
        calculator computes an amount only once the conditions hold."""
        held = np.broadcast_to(np.asarray(held, dtype=bool), (self.n,))
        return Rows(self, np.flatnonzero(held))

    def given(self, names: tuple[str, ...]) -> "Rows":
        """The applicants who give every one of these facts."""
        mask = None
        for name in names:
            column = self.population.columns.get(name)
            if column is None:
                return Rows(self, np.zeros(0, np.int64))
            if column.valid is not True:
                mask = column.valid if mask is None else np.logical_and(mask, column.valid)
        return Rows(self, np.arange(self.n) if mask is None else np.flatnonzero(mask))


class Rows(Frame):
    """A frame over some rows of its parent: facts are those rows' values; results go back in place."""

    def __init__(self, parent: Frame, rows: np.ndarray):
        super().__init__(parent.spec, parent.population, parent._batch, parent._ranks)
        self.parent = parent
        self.rows = rows
        self.n = len(rows)

    def fact(self, name: str):
        whole = self.parent.fact(name)
        if isinstance(whole, CountColumn):
            return CountColumn(whole.counts[self.rows], whole.valid[self.rows])
        return V(whole.v[self.rows], whole.exp, whole.valid[self.rows], whole.bound, whole.zeroed)

    def ranked(self, name: str):
        return self._ranks[name][self.rows] > 0

    def widen(self, held):
        """A condition computed for these rows, as a mask over the parent's: false elsewhere."""
        out = np.zeros(self.parent.n, bool)
        out[self.rows] = held
        return out

    def need(self, x: V, fact: str) -> V:
        if x.valid is not True:
            absent = np.zeros(self.parent.n, bool)
            absent[self.rows[np.logical_not(np.broadcast_to(x.valid, (self.n,)))]] = True
            self._needs.append((fact, absent))
        return num(x)

    def settle(self, held, amount: V, caps: list[V], unit: V | None = None) -> Assessed:
        """runtime.settle on these rows: caps in order, never below zero, rounded once."""
        held = np.broadcast_to(np.asarray(held, dtype=bool), (self.parent.n,))
        fen = np.zeros(self.parent.n, np.int64)
        fen[self.rows] = self._settled(amount, caps)
        if unit is not None and isinstance(unit.v, np.ndarray) and unit.v.ndim:
            whole = np.zeros(self.parent.n, unit.v.dtype)
            whole[self.rows] = unit.v
            unit = V(whole, unit.exp, True, unit.bound)
        missing = [(fact, np.logical_and(held, rows)) for fact, rows in self._needs]
        self._needs = []
        return Assessed(held, fen, unit, missing)

    def _settled(self, amount: V, caps: list[V]) -> np.ndarray:
        value, exp, bound = amount.v, amount.exp, amount.bound
        for cap in caps:
            wider = max(exp, cap.exp)
            x, y = _rescale(V(value, exp, True, bound), wider), _rescale(cap, wider)
            bound = max(bound * 10 ** (wider - exp), _bound_after(cap, wider))
            if bound > LIMIT:
                x, y = _wide(x), _wide(y)
            value = np.minimum(x, y)
            exp = wider
        value = np.maximum(value, 0)
        fen = _round_to_fen(value, exp, bound, self._quantum_exp, self._rounding)
        return np.broadcast_to(fen, (self.n,)).astype(np.int64)


def _absent(spec: PolicySpec, name: str, n: int) -> Column | CountColumn:
    fact = next(f for f in spec.facts if f.name == name)
    if fact.kind == "count_map":
        return CountColumn(np.zeros((n, len(spec.enums[fact.enum])), np.int64), np.zeros(n, bool))
    return Column(np.zeros(n, np.int64), np.zeros(n, bool), 0, 0, zeroed=True)


# ---------------------------------------------------------------- evaluating a population


@attrs.define
class VectorResult:
    spec: PolicySpec
    population: Population
    as_of: datetime.date
    year: int | None
    listed: dict[str, np.ndarray]
    status: dict[str, np.ndarray]
    computed: dict[str, np.ndarray]
    amount: dict[str, np.ndarray]
    city: dict[str, np.ndarray | None]
    pools: list[tuple[str, str, int, int]]  # measures, pool, limit fen, used fen

    @property
    def totals(self) -> np.ndarray:
        total = np.zeros(self.population.n, np.int64)
        for amount in self.amount.values():
            total += amount
        return total

    def columns(self) -> dict[str, np.ndarray]:
        """The results as flat Arrow-compatible columns: `M.amount` (fen), `M.status` (index into
        STATUSES), `M.listed`, `M.city_share`, and `total`."""
        out: dict[str, np.ndarray] = {"id": self.population.ids}
        for m in self.spec.measures:
            out[f"{m.name}.listed"] = self.listed[m.name]
            out[f"{m.name}.status"] = self.status[m.name]
            out[f"{m.name}.amount"] = self.amount[m.name]
            out[f"{m.name}.computed"] = self.computed[m.name]
            if self.city[m.name] is not None:
                out[f"{m.name}.city_share"] = self.city[m.name]
        out["total"] = self.totals
        return out

    def applicants(self):
        """Each applicant's entry of the JSON result (without reasons), in input order."""
        spec = self.spec
        county = _codes_of(spec, self.population, spec.jurisdiction)
        measures = [(m, self.listed[m.name], self.status[m.name], self.amount[m.name], self.computed[m.name],
                     self.city[m.name]) for m in spec.measures]
        totals = self.totals
        ids = self.population.ids
        any_listed = np.zeros(self.population.n, bool)
        for m in spec.measures:
            any_listed |= self.listed[m.name]
        for i in range(self.population.n):
            awards = []
            if any_listed[i]:
                for m, listed, status, amount, computed, city in measures:
                    if not listed[i]:
                        continue
                    paid = int(amount[i])
                    city_share = None if city is None else int(city[i])
                    awards.append({
                        "clause": m.clause, "measure": m.name, "amount": money_text(paid),
                        "status": STATUSES[status[i]], "payee": m.payee,
                        "payee_county": None if county is None else county[i],
                        "city_share": None if city_share is None else money_text(city_share),
                        "county_share": None if city_share is None else money_text(paid - city_share),
                        "computed": money_text(int(computed[i])),
                    })
            yield {"id": str(ids[i]), "awards": awards, "total": money_text(int(totals[i]))}

    def pools_json(self) -> list[dict]:
        return [{"measure": measures, "pool": pool, "limit": money_text(limit), "used": money_text(used)}
                for measures, pool, limit, used in self.pools]

    def total(self) -> int:
        return int(sum(int(a.sum(dtype=np.int64)) for a in self.amount.values()))

    def head_json(self) -> dict:
        return {"policy": self.spec.id, "as_of": self.as_of.isoformat(), "year": self.year}

    def to_json(self) -> dict:
        """The same dict as the scalar calculator's result, less `why` and `why_zh`."""
        return {**self.head_json(), "applicants": list(self.applicants()), "pools": self.pools_json(),
                "total": money_text(self.total())}


def money_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _codes_of(spec: PolicySpec, population: Population, name: str | None):
    if name is None:
        return None
    column = population.columns.get(name)
    if column is None:
        return [None] * population.n
    codes = np.array([c for c, _, _ in spec.enums[next(f.enum for f in spec.facts if f.name == name)]] + [None],
                     dtype=object)
    return codes[np.where(column.valid, column.values, len(codes) - 1)]


def version_of(spec: PolicySpec, as_of: datetime.date | None) -> tuple[int, PolicySpec]:
    """The version of an amended policy in force on as_of (runtime.evaluate's choice), and its index."""
    if not spec.versions:
        return 0, spec
    chosen = version_on(spec.versions, as_of) if as_of is not None else spec.versions[0]
    return spec.versions.index(chosen), chosen.spec


def evaluate(spec: PolicySpec, assess: tuple[Mapping[str, Callable], ...], among: tuple[Mapping[str, Callable], ...],
             batch, population: Population) -> VectorResult:
    """Rankings, every measure over every applicant, exclusive groups, pools, shares: runtime.evaluate over arrays.

    `batch` is the typed batch object of the scalar calculator (runtime.read_batch), defaults filled;
    `assess` and `among` hold one mapping per version of the policy, oldest first.
    """
    index, spec = version_of(spec, getattr(batch, "as_of", None))
    with _small_pages():
        return _evaluate(spec, assess[index], among[index], batch, population)


def _huge_pages_off() -> bool:
    toggle = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    return toggle(False) if toggle is not None else False  # another numpy: nothing to turn off


def _huge_pages_restore(before: bool) -> None:
    if before:
        np._core.multiarray._set_madvise_hugepage(True)


# numpy's huge-page advice off while evaluating. numpy asks the kernel for huge pages for every
# large array (madvise). Where the kernel then compacts memory on the spot
# (transparent_hugepage/defrag = madvise, as here), the many short-lived column-sized arrays of
# an evaluation wait on it: at 10^6 applicants it took 0.55-0.8 s instead of 0.35 s (`make bench`).
_small_pages = HeldOff(_huge_pages_off, _huge_pages_restore)


def _evaluate(spec: PolicySpec, assess: Mapping[str, Callable], among: Mapping[str, Callable], batch,
              population: Population) -> VectorResult:
    _supported(spec)
    n = population.n
    values = {f.name: batch_value(spec, f.name, getattr(batch, f.name)) for f in spec.facts if f.scope == "batch"}
    ranks: dict[str, np.ndarray] = {}
    frame = Frame(spec, population, values, ranks)
    for ranking in spec.rankings:
        chosen = np.broadcast_to(np.asarray(among[ranking.name](frame), dtype=bool), (n,))
        ranks[ranking.name] = rank_positions(spec, population, ranks, ranking.keys, chosen, ranking.top)

    found = {m.name: assess[m.name](frame) for m in spec.measures}
    _raise_needed(spec, population, found)

    listed, status, computed, amount = {}, {}, {}, {}
    # Only exclusive groups and pools change an amount after its measure: the others share one array.
    changed = {name for g in spec.exclusives for name in g.members} | {name for p in spec.pools for name in p.funds}
    for m in spec.measures:
        f = found[m.name]
        relevant = np.zeros(n, bool)
        for name in m.relevant:
            column = population.columns.get(name)
            if column is not None:
                relevant |= column.valid
        listed[m.name] = f.eligible | relevant
        status[m.name] = np.full(n, NOT_ELIGIBLE, np.int8)
        status[m.name][f.eligible] = GRANTED
        computed[m.name] = f.amount
        amount[m.name] = f.amount.copy() if m.name in changed else f.amount

    for group in spec.exclusives:
        exclusive(spec, group, population, status, amount, values)
    pools = [fund(spec, pool, population, ranks, found, status, amount) for pool in spec.pools]
    city = {m.name: shares(spec, m, amount[m.name]) for m in spec.measures}
    return VectorResult(spec, population, batch.as_of, getattr(batch, "year", None), listed, status, computed,
                        amount, city, pools)


def _supported(spec: PolicySpec) -> None:
    exponent = spec.quantum.as_tuple().exponent
    if -exponent > FEN:
        raise VectorUnsupported(f"the policy rounds to {spec.quantum}, finer than the fen the vector engine keeps")
    for pool in spec.pools:
        if -pool.limit.as_tuple().exponent > FEN:
            raise VectorUnsupported(f"the limit of pool {pool.name} is finer than the fen")


def _raise_needed(spec: PolicySpec, population: Population, found: Mapping[str, Assessed]) -> None:
    """The scalar engine's refusal: the first applicant missing a needed fact, then its first
    measure in order, then the first fact that measure asked for."""
    first = population.n
    for m in spec.measures:
        for _, rows in found[m.name].missing:
            hits = np.flatnonzero(rows)
            if len(hits):
                first = min(first, int(hits[0]))
    if first == population.n:
        return
    for m in spec.measures:
        for fact, rows in found[m.name].missing:
            if rows[first]:
                raise NeededError(
                    f"applicant {_show(str(population.ids[first]))}: fact `{fact}` is needed by {m.name} "
                    f"(({m.numeral}) {m.title_en}), whose conditions hold, but it was not given", "B006", first)


# ---------------------------------------------------------------- population-wide steps


def _order_keys(spec: PolicySpec, population: Population, ranks: dict, keys, rows: np.ndarray) -> list[np.ndarray]:
    """Sort keys for runtime._sort_key over `rows`, least significant first, for np.lexsort."""
    out: list[np.ndarray] = [rows]  # the input order ends every key
    for kind, name, descending in reversed(keys):
        if kind == "input":
            out.append(rows)
            continue
        if kind == "rank":
            position = ranks[name][rows].astype(np.int64)
            out.append(np.where(position > 0, position, np.iinfo(np.int64).max))
            continue
        column = population.columns.get(name)
        if column is None:
            out.append(np.zeros(len(rows), np.int64))
            out.append(np.ones(len(rows), np.int8))
            continue
        if isinstance(column, CountColumn):
            raise VectorUnsupported(f"ordering by `{name}`, a count per code, is not computed by the vector engine")
        fact = next(f for f in spec.facts if f.name == name)
        if fact.kind in ("enum", "text", "identifier"):
            raise VectorUnsupported(f"ordering by `{name}` ({fact.kind}) is not computed by the vector engine")
        values = column.values[rows].astype(np.int64)
        valid = column.valid[rows]
        out.append(np.where(valid, -values if descending else values, 0))
        out.append(np.where(valid, 0, 1).astype(np.int8))  # absent last
    return out


def rank_positions(spec: PolicySpec, population: Population, ranks: dict, keys, chosen: np.ndarray,
                   top: int) -> np.ndarray:
    """1-based positions of the top `top` among the chosen rows; 0 elsewhere. A sort: O(n log n)."""
    rows = np.flatnonzero(chosen)
    order = rows[np.lexsort(_order_keys(spec, population, ranks, keys, rows))] if len(rows) else rows
    positions = np.zeros(population.n, np.int32)
    best = order[:top]
    positions[best] = np.arange(1, len(best) + 1, dtype=np.int32)
    return positions


def exclusive(spec: PolicySpec, group, population: Population, status: dict, amount: dict, batch: dict) -> None:
    """runtime._exclusive: only the highest member is paid; ties go to the lowest clause, then declaration.

    Row-local: only the applicants with a paying member are looked at."""
    clause = {m.name: m.clause for m in spec.measures}
    members = sorted(group.members, key=lambda name: (clause[name], group.members.index(name)))
    if not members:
        return
    paying = [(status[name] == GRANTED) & (amount[name] > 0) for name in members]
    rows = np.flatnonzero(np.logical_or.reduce(paying))
    candidates = np.stack([np.where(p[rows], amount[name][rows], -1) for p, name in zip(paying, members)], axis=1)
    best = np.argmax(candidates, axis=1)  # the first of equal amounts: lowest clause, then declaration
    best_amount = candidates[np.arange(len(rows)), best]
    for j, name in enumerate(members):
        beaten = rows[(candidates[:, j] > 0) & (best != j)]
        status[name][beaten] = SUPERSEDED
        amount[name][beaten] = 0
    if group.against is None:
        return
    whole = Frame(spec, population, batch, {}).fact(group.against)
    other = V(whole.v[rows], whole.exp, whole.valid[rows], whole.bound, whole.zeroed)
    paid = V(best_amount, FEN, True, int(best_amount.max(initial=0)))
    at_least = compare(">=", other, paid) & np.logical_and(other.valid, other.v > 0)
    for j, name in enumerate(members):
        lose = rows[at_least & (best == j)]
        status[name][lose] = SUPERSEDED
        amount[name][lose] = 0


def fund(spec: PolicySpec, pool, population: Population, ranks: dict, found: Mapping[str, Assessed],
         status: dict, amount: dict) -> tuple[str, str, int, int]:
    """runtime._fund: claims in the pool's order are paid in full while the limit lasts.

    Sorting is O(n log n); the claims paid in full before the first shortfall are found
    with a running sum, and only the claims after it that can still change anything are
    visited one by one.
    """
    rows_list, which_list = [], []
    for position, name in enumerate(pool.funds):
        rows = np.flatnonzero((status[name] == GRANTED) & (amount[name] > 0))
        rows_list.append(rows)
        which_list.append(np.full(len(rows), position, np.int64))
    rows = np.concatenate(rows_list) if rows_list else np.zeros(0, np.int64)
    which = np.concatenate(which_list) if which_list else np.zeros(0, np.int64)
    keys = _order_keys(spec, population, ranks, pool.order, rows)
    order = np.lexsort([which, *keys])
    rows, which = rows[order], which[order]
    asked = np.zeros(len(rows), np.int64)
    for position, name in enumerate(pool.funds):
        mine = which == position
        asked[mine] = amount[name][rows[mine]]
    limit = int(const(str(pool.limit)).v) * 10 ** (FEN - const(str(pool.limit)).exp)
    _checked(int(asked.max(initial=0)) * len(asked), "the sum of a pool's claims")
    running = np.cumsum(asked)
    short = int(np.searchsorted(running, limit, side="right"))  # first claim that does not fit whole
    left = limit - (int(running[short - 1]) if short else 0)
    granted = asked.copy()
    if short < len(rows):
        units = _units(pool, found, which, rows)
        granted[short:] = 0
        left = _fill(pool, asked, units, granted, short, left)
        for position, name in enumerate(pool.funds):
            mine = np.flatnonzero(which[short:] == position) + short
            cut = mine[granted[mine] < asked[mine]]
            amount[name][rows[cut]] = granted[cut]
            status[name][rows[cut]] = np.where(granted[cut] > 0, POOL_REDUCED, POOL_EXHAUSTED)
    return ",".join(pool.funds), pool.name, limit, limit - left


def _units(pool, found: Mapping[str, Assessed], which: np.ndarray, rows: np.ndarray) -> list | None:
    """Each claim's unit as an exact (integer, exponent) pair, or None where partial grants are free."""
    if not pool.whole_units:
        return None
    out: list = [None] * len(rows)
    for position, name in enumerate(pool.funds):
        unit = found[name].unit
        if unit is None:
            continue
        values = np.broadcast_to(unit.v, found[name].eligible.shape)
        for k in np.flatnonzero(which == position):
            out[k] = (int(values[rows[k]]), unit.exp)
    return out


def _fill(pool, asked: np.ndarray, units: list | None, granted: np.ndarray, start: int, left: int) -> int:
    """The claims from the first shortfall on, in order: full if they fit, else what fits."""
    for k in range(start, len(asked)):
        if left == 0:
            break  # every later claim asks for more than nothing: all exhausted
        want = int(asked[k])
        if want <= left:
            granted[k] = want
            left -= want
            continue
        unit = units[k] if units is not None else None
        if unit is not None and unit[0] != 0:
            ints, exp = unit
            scale = max(exp, FEN)
            left_at = left * 10 ** (scale - FEN)
            unit_at = ints * 10 ** (scale - exp)
            give_at = (left_at // unit_at) * unit_at
            if give_at % 10 ** (scale - FEN):
                raise VectorUnsupported(f"a grant of pool {pool.name} in whole units is finer than the fen")
            give = give_at // 10 ** (scale - FEN)
        else:
            give = left
        granted[k] = give
        left -= give
    return left


def shares(spec: PolicySpec, measure, paid: np.ndarray) -> np.ndarray | None:
    """runtime._share: the city's share of each paid amount, rounded like an award."""
    if measure.city_percent is None:
        return None
    percent = const(str(measure.city_percent))
    city = np.zeros(len(paid), np.int64)
    rows = np.flatnonzero(paid)  # most applicants are paid nothing: their share is 0
    if not len(rows):
        return city
    paid = paid[rows]
    bound = int(paid.max(initial=0)) * percent.bound
    exp = FEN + percent.exp + 2  # amount × percent / 100
    product = _wide(paid) * percent.v if bound > LIMIT else paid * percent.v
    city[rows] = _round_to_fen(product, exp, bound, -spec.quantum.as_tuple().exponent, spec.rounding)
    return city
