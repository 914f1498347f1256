"""An independent interpreter of a checked policy: the oracle the compiled calculators are tested against.

It walks the AST of `dsl.nodes` directly: no generated code, nothing of
`compiler.python_gen`, and none of the population steps of `pol.runtime`
(rankings, the exclusive groups, pools and burden shares are written again here
from READING.md and docs/language.md). It shares only the batch reader,
`pol.runtime.read_batch`, so both see the same facts, and it answers with the
same JSON as a calculator's `evaluate_json` (the reasons, `why`, are its own and
shorter).

It favours being obviously right over being fast: every amount is computed in
a 400-digit decimal context, so no product is ever rounded before the policy's
own rounding.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

from dsl import nodes as n
from dsl import types as t

from . import runtime
from .runtime import BatchError

_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_CEILING}
_NUMBER_KINDS = ("integer", "decimal", "money", "area", "rate")
_PRECISION = 400
ZERO = Decimal(0)


class _Missing(Exception):
    """A fact an amount needs was not given."""

    def __init__(self, fact: str):
        self.fact = fact


class Facts:
    """One applicant's (or the batch's) facts: a fact not given reads as None."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return None


class Found:
    """What one measure finds for one applicant."""

    def __init__(self, eligible: bool, amount: Decimal, unit: Decimal | None, why: list[str]):
        self.eligible = eligible
        self.amount = amount
        self.unit = unit
        self.why = why


class Award:
    def __init__(self, clause: n.Clause, measure: n.Measure, index: int, order: int, found: Found, county):
        self.clause = clause
        self.measure = measure
        self.index = index  # the applicant's place in the batch
        self.order = order  # the measure's place in the policy
        self.computed = found.amount
        self.amount = found.amount
        self.status = "granted" if found.eligible else "not_eligible"
        self.unit = found.unit
        self.county = county
        self.why = list(found.why)
        self.city: Decimal | None = None
        self.county_share: Decimal | None = None


class Interpreter:
    """Evaluates batches against one parsed and checked policy."""

    def __init__(self, policy: n.Policy):
        self.policy = policy
        self.env = t.TypeEnv(policy)
        self.facts = {f.name: f for f in policy.facts}
        header = policy.header
        self.quantum = header.rounding.quantum.value if header.rounding else Decimal("0.01")
        self.rounding = _ROUNDING[header.rounding.mode if header.rounding else "half_up"]
        self.windows = {w.name: (w.start, w.end) for w in header.windows}
        self.period = (header.period.start, header.period.end)
        self.measures = policy.all_measures()
        self.jurisdiction = next((f.name for f in policy.facts if f.jurisdiction), None)
        self.default_burden = policy.default_burden()
        self.spec = self._reader_spec()

    # ---------------------------------------------------------------- reading (shared with the runtime)

    def _reader_spec(self) -> runtime.PolicySpec:
        """What `read_batch` needs to know: the facts and enumerations, the period, the defaults."""
        facts = []
        for f in self.policy.facts:
            rate = f.type.kind == "rate"
            facts.append(runtime.FactSpec(
                name=f.name, kind=f.type.kind, scope=f.scope,
                unit=f.type.per_unit if rate else f.type.unit, enum=f.type.per_unit if rate else f.type.enum,
                general=f.general, required=f.required, label_zh=f.label.zh or "", label_en=f.label.en or ""))
        enums = {e.name: tuple((v.code, v.label.zh or "", v.label.en or "") for v in e.values)
                 for e in self.policy.enumerations}
        return runtime.PolicySpec(
            id=self.policy.header.name, title_zh="", title_en="", period_start=self.period[0],
            period_end=self.period[1], rounding="half_up", quantum=self.quantum, facts=tuple(facts), enums=enums,
            measures=(), rankings=(), pools=(), exclusives=(), jurisdiction=self.jurisdiction,
            batch_defaults=self._defaults)

    def _defaults(self, values: dict) -> None:
        for f in self.policy.facts:
            if f.scope == "batch" and f.default is not None and values.get(f.name) is None:
                values[f.name] = self.value(f.default, Facts(), Facts(**values))

    def read(self, data) -> tuple[Facts, list[Facts]]:
        return runtime.read_batch(self.spec, data, Facts, Facts)

    # ---------------------------------------------------------------- evaluating

    def evaluate_json(self, data) -> dict:
        batch, applicants = self.read(data)
        with localcontext() as context:
            context.prec = _PRECISION
            results, pools = self._evaluate(batch, applicants)
        total = sum((a.amount for awards in results for a in awards), ZERO)
        return {
            "policy": self.policy.header.name,
            "as_of": batch.as_of.isoformat(),
            "year": batch.year,
            "applicants": [{"id": applicant.id, "awards": [self._award_json(a) for a in awards],
                            "total": _money(sum((a.amount for a in awards), ZERO))}
                           for applicant, awards in zip(applicants, results)],
            "pools": pools,
            "total": _money(total),
        }

    def _evaluate(self, batch, applicants):
        ranks = {}
        for _, ranking in self.policy.all_rankings():
            ranks[ranking.name] = self._rank(ranking, batch, applicants, ranks)
        results: list[list[Award]] = []
        for index, applicant in enumerate(applicants):
            awards = []
            for order, (clause, measure) in enumerate(self.measures):
                try:
                    found = self._assess(measure, applicant, batch, ranks)
                except _Missing as missing:
                    raise BatchError(f"applicant {applicant.id!r}: fact `{missing.fact}` is needed by "
                                     f"{measure.name}, whose conditions hold, but it was not given") from None
                if found.eligible or self._concerns(measure, applicant):
                    county = getattr(applicant, self.jurisdiction) if self.jurisdiction else None
                    awards.append(Award(clause, measure, index, order, found, county))
            results.append(awards)
        for clause, group in self.policy.all_exclusives():
            for applicant, awards in zip(applicants, results):
                self._highest_only(group, applicant, awards)
        pools = [self._fund(pool, applicants, results, ranks) for _, pool in self.policy.all_pools()]
        for awards in results:
            for award in awards:
                self._burden(award)
        return results, pools

    # ---------------------------------------------------------------- one measure

    def _assess(self, m: n.Measure, a, b, ranks) -> Found:
        why = []
        held = True
        parts = m.condition.operands if isinstance(m.condition, n.And) else (
            () if m.condition is None else (m.condition,))
        for part in parts:  # every part is looked at, as the explanation lists them all
            ok = self.holds(part, a, b, ranks)
            why.append(("✓ " if ok else "✗ ") + _words(part))
            held = held and ok
        if not held:
            return Found(False, ZERO, None, why)
        if m.payee == "county" and self.jurisdiction and getattr(a, self.jurisdiction) is None:
            raise _Missing(self.jurisdiction)  # paid to a county that is not given: no one to pay
        unit = self.amount(m.amount.rate, a, b) if isinstance(m.amount, n.PerUnit) else None
        amount = self.amount(m.amount, a, b)
        limits = [self.amount(cap.amount, a, b) for cap in m.caps]
        for limit in limits:
            if amount > limit:
                why.append(f"capped at {limit}")
                amount = limit
        if amount <= 0:
            amount = ZERO  # nothing below zero, and no -0
        amount = amount.quantize(self.quantum, rounding=self.rounding)
        why.append(f"amount {amount}")
        return Found(True, amount, unit, why)

    def _concerns(self, m: n.Measure, a) -> bool:
        """A measure is listed for an applicant that gave one of its own facts (not a `general` one)."""
        exprs = [m.condition, m.amount, *(cap.amount for cap in m.caps)]
        for expr in exprs:
            for node in t.walk(expr):
                if isinstance(node, n.Ref):
                    f = self.facts.get(node.name)
                    if f is not None and f.scope == "applicant" and not f.general \
                            and getattr(a, node.name) is not None:
                        return True
        return False

    # ---------------------------------------------------------------- conditions

    def _kind(self, name: str) -> str | None:
        f = self.facts.get(name)
        return f.type.kind if f is not None else None

    def _fact(self, name: str, a, b):
        f = self.facts[name]
        return getattr(b if f.scope == "batch" else a, name)

    def holds(self, expr, a, b, ranks) -> bool:
        match expr:
            case n.And(operands=parts):
                results = [self.holds(p, a, b, ranks) for p in parts]
                return all(results)
            case n.Or(operands=parts):
                return any(self.holds(p, a, b, ranks) for p in parts)
            case n.Not(operand=inner):
                return not self.holds(inner, a, b, ranks)
            case n.Ref(name=name):
                return self._fact(name, a, b) is True
            case n.IsGiven(operand=n.Ref(name=name)):
                return self._fact(name, a, b) is not None
            case n.RankedIn(ranking=name):
                return id(a) in ranks.get(name, {})
            case n.Within(operand=operand, window=window):
                day = self.value(operand, a, b)
                start, end = self.period if window is None else self.windows[window]
                return day is not None and start <= day <= end
            case n.Compare(op=op, left=left, right=right):
                return self._compare(op, left, right, a, b)
        raise ValueError(f"not a condition: {type(expr).__name__}")

    def _compare(self, op: str, left, right, a, b) -> bool:
        code = self._enum_side(left, right) or self._enum_side(right, left)
        if code is not None:
            fact_side, written = code
            value = self._fact(fact_side.name, a, b)
            if value is None:
                return False  # an absent value equals nothing and differs from nothing
            same = value == written
            return same if op == "=" else (not same if op == "!=" else False)
        x, y = self.value(left, a, b), self.value(right, a, b)
        if x is None or y is None:
            return False
        return {">=": x >= y, ">": x > y, "<=": x <= y, "<": x < y, "=": x == y, "!=": x != y}[op]

    def _enum_side(self, fact_side, other):
        """`level = national`, `stars = 5`: the enumeration fact and the declared code the other side names."""
        if not (isinstance(fact_side, n.Ref) and self._kind(fact_side.name) == "enum"):
            return None
        codes = self.env.enum_values(self.facts[fact_side.name].type.enum) or []
        if isinstance(other, n.Ref) and other.name not in self.facts:
            return fact_side, other.name
        if isinstance(other, n.Quantity) and other.unit is None:
            for code in codes:
                try:
                    if code == other.text or Decimal(code) == other.value:
                        return fact_side, code
                except ArithmeticError:
                    continue
            return fact_side, other.text
        return None

    def value(self, expr, a, b):
        """A value inside a condition: an absent number is 0, an absent date or year stays absent."""
        match expr:
            case n.Quantity(value=v):
                return v
            case n.DateLiteral(value=d):
                return d
            case n.Ref(name="year") if "year" not in self.facts:
                return None
            case n.Ref(name=name):
                v = self._fact(name, a, b)
                if v is None and self._kind(name) in _NUMBER_KINDS:
                    return 0
                return v
            case n.PercentOf(percent=p, operand=operand):
                v = self.value(operand, a, b)
                return None if v is None else p.value / 100 * v
            case n.Arith(op=op, left=left, right=right):
                x, y = self.value(left, a, b), self.value(right, a, b)
                if x is None or y is None:
                    return None
                return x + y if op == "+" else x - y if op == "-" else x * y
            case n.Negate(operand=operand):
                v = self.value(operand, a, b)
                return None if v is None else -v
            case n.Converted(operand=operand, rate=rate):
                x, y = self.value(operand, a, b), self.value(rate, a, b)
                return None if x is None or y is None else x * y
            case n.YearOf(operand=operand):
                d = self.value(operand, a, b)
                return None if d is None else d.year
            case n.FirstFullYearAfter(operand=operand):
                d = self.value(operand, a, b)
                return None if d is None else d.year + 1
            case n.FullYearsSince(operand=operand):
                d = self.value(operand, a, b)
                return None if d is None else whole_years(d, b.as_of)
        return self.holds(expr, a, b, {})

    # ---------------------------------------------------------------- amounts

    def amount(self, expr, a, b) -> Decimal:
        """An amount: every fact it reads must be given."""
        match expr:
            case n.Quantity(value=v):
                return v
            case n.Ref(name=name):
                v = self._fact(name, a, b)
                if v is None:
                    raise _Missing(name)
                return v
            case n.PercentOf(percent=p, operand=operand):
                return p.value / 100 * self.amount(operand, a, b)
            case n.Arith(op=op, left=left, right=right):
                x, y = self.amount(left, a, b), self.amount(right, a, b)
                return x + y if op == "+" else x - y if op == "-" else x * y
            case n.Negate(operand=operand):
                return -self.amount(operand, a, b)
            case n.Converted(operand=operand, rate=rate):
                return self.amount(operand, a, b) * self.amount(rate, a, b)
            case n.YearOf(operand=operand) | n.FirstFullYearAfter(operand=operand) | n.FullYearsSince(
                    operand=operand):
                v = self.value(expr, a, b)
                if v is None:
                    raise _Missing(operand.name if isinstance(operand, n.Ref) else "a date")
                return v
            case n.PerUnit(rate=rate, count=count):
                return self.amount(rate, a, b) * self.amount(count, a, b)
            case n.PerIncrement(rate=rate, step=step, operand=operand, threshold=threshold):
                rate_value = self.amount(rate, a, b)
                x = self.amount(operand, a, b)
                if x <= threshold.value:
                    return ZERO
                steps = ((x - threshold.value) / step.value).to_integral_value(rounding=ROUND_FLOOR)
                return rate_value * steps
            case n.ByTable(key=n.Ref(name=name), entries=entries):
                key = self._fact(name, a, b)
                if key is None:
                    raise _Missing(name)
                for entry in entries:
                    if entry.key == key:
                        return ZERO if entry.value is None else self.amount(entry.value, a, b)
                return ZERO  # a value the table does not name pays nothing
            case n.EachAtTable(counts=n.Ref(name=name), entries=entries):
                counts = self._fact(name, a, b)
                if counts is None:
                    raise _Missing(name)
                rates = {e.key: e.value for e in entries}
                total = ZERO
                for key, count in counts.items():
                    rate = rates.get(key)
                    if rate is not None:
                        total += self.amount(rate, a, b) * count
                return total
        raise ValueError(f"not an amount: {type(expr).__name__}")

    # ---------------------------------------------------------------- population steps

    def _rank(self, ranking: n.Ranking, b, applicants, ranks) -> dict[int, int]:
        """The applicants that meet `among`, best first by the key, then the tie keys, then input order."""
        taking = [(i, a) for i, a in enumerate(applicants)
                  if ranking.among is None or self.holds(ranking.among, a, b, ranks)]
        keys = [ranking.key, *ranking.ties]
        taking.sort(key=lambda item: self._order(keys, item[1], item[0], ranks, descending=True))
        return {id(a): place for place, (_, a) in enumerate(taking[:ranking.top], start=1)}

    def _order(self, keys, applicant, index: int, ranks, descending: bool) -> tuple:
        parts = []
        for key in keys:
            if key.kind == "input":
                parts.append((0, Decimal(index)))
            elif key.kind == "rank":
                place = ranks.get(key.name, {}).get(id(applicant))
                parts.append((0, Decimal(place)) if place is not None else (1, ZERO))
            else:
                v = getattr(applicant, key.name)
                down = descending if key.descending is None else key.descending
                if v is None:
                    parts.append((1, ZERO))  # absent: after every given value
                else:
                    parts.append((0, _Reversed(v) if down else _Forward(v)))
        parts.append((0, Decimal(index)))
        return tuple(parts)

    def _highest_only(self, group: n.Exclusive, applicant, awards: list[Award]) -> None:
        """就高且不重复: the highest reward of the group is kept; the others, and it too when the
        applicant's reward under another policy is at least as high, pay nothing."""
        members = {name: i for i, name in enumerate(group.members)}
        paid = [w for w in awards if w.measure.name in members and w.status == "granted" and w.amount > 0]
        if not paid:
            return
        best = max(paid, key=lambda w: (w.amount, -w.clause.number, -members[w.measure.name]))
        for w in paid:
            if w is not best:
                _supersede(w, f"superseded by {best.measure.name}")
        other = getattr(applicant, group.against) if group.against else None
        if other is not None and other > 0 and other >= best.amount:
            _supersede(best, "superseded by the reward under another policy")

    def _fund(self, pool: n.Pool, applicants, results, ranks) -> dict:
        """Claims served in order; the first that does not fit gets what is left (whole units if so
        declared), and so on until nothing is left."""
        funds = {name: i for i, name in enumerate(pool.funds)}
        claims = [w for awards in results for w in awards
                  if w.measure.name in funds and w.status == "granted" and w.amount > 0]
        claims.sort(key=lambda w: (self._order(pool.order, applicants[w.index], w.index, ranks, descending=False),
                                   funds[w.measure.name]))
        limit = pool.limit.value
        left = limit
        for w in claims:
            if w.amount <= left:
                left -= w.amount
                continue
            granted = left
            if pool.whole_units and w.unit:
                granted = (left / w.unit).to_integral_value(rounding=ROUND_FLOOR) * w.unit
            left -= granted
            w.why.append(f"pool {pool.name}: {granted} of {w.amount}")
            w.amount = granted
            w.status = "pool_reduced" if granted > 0 else "pool_exhausted"
        name = pool.funds[0] if len(pool.funds) == 1 else ",".join(pool.funds)
        return {"measure": name, "pool": pool.name, "limit": _money(limit), "used": _money(limit - left)}

    def _burden(self, w: Award) -> None:
        burden = w.measure.burden or self.default_burden
        if burden is None or burden.kind != "split" or burden.city is None:
            return
        w.city = (w.amount * burden.city / 100).quantize(self.quantum, rounding=self.rounding)
        w.county_share = w.amount - w.city

    def _award_json(self, w: Award) -> dict[str, Any]:
        return {
            "clause": w.clause.number,
            "measure": w.measure.name,
            "amount": _money(w.amount),
            "status": w.status,
            "payee": w.measure.payee or "applicant",
            "payee_county": w.county,
            "city_share": None if w.city is None else _money(w.city),
            "county_share": None if w.county_share is None else _money(w.county_share),
            "computed": _money(w.computed),
            "why": [f"({w.clause.numeral}) {w.measure.name}", *w.why],
            "why_zh": [f"第({w.clause.numeral})条 {w.measure.name}", *w.why],
        }


def _supersede(w: Award, why: str) -> None:
    w.amount = ZERO
    w.status = "superseded"
    w.why.append(why)


class _Forward:
    """An order key, smallest first; values of one fact are all of one type."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v < other.v

    def __eq__(self, other):
        return self.v == other.v


class _Reversed(_Forward):
    """An order key, largest first."""

    def __lt__(self, other):
        return self.v > other.v


def whole_years(since: datetime.date, on: datetime.date) -> int:
    """Full years from `since` to `on`: a year is complete on its anniversary (届满); the
    anniversary of 29 February in a common year is 28 February."""
    years = on.year - since.year
    try:
        anniversary = since.replace(year=on.year)
    except ValueError:  # 29 February in a common year
        anniversary = datetime.date(on.year, 2, 28)
    return years if on >= anniversary else years - 1


def _words(expr) -> str:
    return type(expr).__name__


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class Versions:
    """An amended policy: each version in force from its date, the batch evaluated by the version in
    force on its `as_of` (a batch without a readable `as_of` goes to the first, which refuses it)."""

    def __init__(self, versions):
        self.versions = [(v.effective, Interpreter(v.policy)) for v in versions]

    def version_for(self, data) -> Interpreter:
        chosen = self.versions[0][1]
        raw = data.get("as_of") if isinstance(data, dict) else None
        try:
            day = datetime.date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is not None:
            for effective, interpreter in self.versions:
                if effective <= day:
                    chosen = interpreter
        return chosen

    def evaluate_json(self, data) -> dict:
        return self.version_for(data).evaluate_json(data)


def load(path: str | Path, amendment_dirs: tuple[str | Path, ...] = ()) -> Interpreter | Versions:
    """The interpreter of a policy file with its amendments, those beside it and in `amendment_dirs`
    (raises `pol.api.PolicyError` when any file has errors): one `Interpreter`, or `Versions` when
    amendments change the policy."""
    from dsl.amend import load as load_family

    from .api import PolicyError

    family = load_family(path, amendment_dirs)
    failing = family.first_failing()
    if failing is not None:
        file, found = failing
        raise PolicyError(found, family.sources.get(file, ""))
    if len(family.versions) > 1:
        return Versions(family.versions)
    return Interpreter(family.versions[0].policy if family.versions else family.base.policy)
