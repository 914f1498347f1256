"""The small runtime every generated calculator imports, and nothing else.

A generated module holds the policy's own logic (one function per measure,
its tables and constants); this module holds what every policy shares: reading
a batch of facts exactly, the population-wide steps (rankings, exclusive
groups, pools) and the explanation attached to every amount.
"""

from __future__ import annotations

import collections.abc
import datetime
import difflib
import heapq
import json
import math
import re
from decimal import (ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation,
                     getcontext, localcontext)
from typing import Any, Callable

import attrs
from attrs import field, frozen

from dsl.collector import paused as paused_collection
from dsl.collector import pausing

__all__ = ["Decimal", "date", "frozen", "field", "facts_class", "BatchError"]

date = datetime.date
ZERO = Decimal(0)
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_CEILING}


# Stable codes for the ways a batch is refused: tools and policy tests (`expect refused B008`)
# match the code, people read the message, which names the applicant and the fact.
REFUSALS = {
    "B001": "unknown-fact",
    "B002": "wrong-type",
    "B003": "out-of-range",
    "B004": "unknown-value",
    "B005": "missing-fact",
    "B006": "needed-fact",
    "B007": "duplicate-id",
    "B008": "outside-period",
    "B009": "missing-rate",
    "B010": "not-a-batch",
}


class BatchError(Exception):
    """A batch refused whole: the message names the applicant and the fact; `code` is a key of REFUSALS."""

    def __init__(self, message: str, code: str | None = None):
        # One printable line whatever the batch held: line separators, controls, lone surrogates escaped.
        super().__init__("".join(c if c.isprintable() else ascii(c)[1:-1] for c in message))
        self.code = code


class _Needed(Exception):
    def __init__(self, fact: str):
        self.fact = fact


# ---------------------------------------------------------------- the policy as data


@frozen
class FactSpec:
    name: str
    kind: str  # bool integer decimal money area date text identifier year rate enum count_map
    scope: str  # batch or applicant
    unit: str | None = None
    enum: str | None = None
    general: bool = False
    required: bool = False
    label_zh: str = ""
    label_en: str = ""


@frozen
class MeasureSpec:
    name: str
    clause: int
    numeral: str
    kind: str  # reward subsidy settlement
    title_zh: str
    title_en: str
    assess: Callable  # (applicant, batch, context) -> Assessment
    relevant: tuple[str, ...]  # facts whose presence makes the measure worth reporting
    payee: str  # applicant or county
    city_percent: Decimal | None  # None: settled through the fiscal system, no split
    source: str
    screen: Callable | None = None  # unused: calculators compiled before `assess_quietly` existed pass it


@frozen
class RankingSpec:
    name: str
    top: int
    among: Callable  # (applicant, batch) -> bool
    keys: tuple[tuple[str, str | None, bool], ...]  # (kind, fact, descending)


@frozen
class PoolSpec:
    name: str
    limit: Decimal
    funds: tuple[str, ...]
    order: tuple[tuple[str, str | None, bool], ...]
    whole_units: bool
    title_zh: str
    title_en: str


@frozen
class ExclusiveSpec:
    name: str
    members: tuple[str, ...]
    against: str | None
    title_zh: str
    title_en: str
    clause: int
    numeral: str


@frozen
class PolicySpec:
    id: str
    title_zh: str
    title_en: str
    period_start: datetime.date
    period_end: datetime.date
    rounding: str
    quantum: Decimal
    facts: tuple[FactSpec, ...]
    enums: dict[str, tuple[tuple[str, str, str], ...]]  # name -> (code, zh, en)
    measures: tuple[MeasureSpec, ...]
    rankings: tuple[RankingSpec, ...]
    pools: tuple[PoolSpec, ...]
    exclusives: tuple[ExclusiveSpec, ...]
    jurisdiction: str | None
    batch_defaults: Callable  # (dict) -> None, fills defaults in place
    # Every measure's amount for one applicant without the explanation (awards explain
    # themselves when read): (applicant, batch, context) -> [(measure index, amount or NOT_ELIGIBLE)].
    quick: Callable | None = None
    # An amended policy's SPEC: every version, each a PolicySpec of its own. `read_batch` and
    # `evaluate` then use the version in force on the batch's as_of (`with_versions`).
    versions: tuple["VersionSpec", ...] = ()


# ---------------------------------------------------------------- the typed facts


def facts_class(cls: type) -> type:
    """The generated Batch and Applicant classes: frozen attrs classes, keyword-only.

    Their instances keep the facts given in a dict and read every absent one (None) from
    the class, so the batch reader can build an applicant from the facts it was given,
    without passing the dozens it was not.
    """
    cls = attrs.frozen(kw_only=True, slots=False)(cls)
    for a in attrs.fields(cls):
        if a.default is None:
            setattr(cls, a.name, None)
    cls._pol_partial = True
    return cls


def _build(cls: type, facts: dict):
    """An instance of a generated facts class from checked facts (every key a field)."""
    if cls.__dict__.get("_pol_partial"):
        instance = object.__new__(cls)
        instance.__dict__.update(facts)
        return instance
    return cls(**facts)


# ---------------------------------------------------------------- explanations


@attrs.define
class Trace:
    """What one measure found for one applicant, in both languages."""

    held: bool = True
    why_en: list[str] = attrs.field(factory=list)
    why_zh: list[str] = attrs.field(factory=list)
    unit: Decimal | None = None  # per-unit rate, for pools that grant whole units
    # What coverage reports: each condition's outcome in order, the table keys used.
    outcomes: list[bool] = attrs.field(factory=list)
    keys: list[str] = attrs.field(factory=list)

    def check(self, ok: bool, en: str, zh: str, shown: Any = None) -> bool:
        self.outcomes.append(ok)
        mark = "✓" if ok else "✗"
        value = f": {fmt(shown, 'en')}" if shown is not None else ""
        value_zh = f":{fmt(shown, 'zh')}" if shown is not None else ""
        self.why_en.append(f"{mark} {en}{value}")
        self.why_zh.append(f"{mark} {zh}{value_zh}")
        self.held = self.held and ok
        return ok

    def note(self, en: str, zh: str) -> None:
        self.why_en.append(en)
        self.why_zh.append(zh)


@frozen
class Assessment:
    eligible: bool
    amount: Decimal  # after caps and rounding; 0 when not eligible
    why_en: tuple[str, ...]
    why_zh: tuple[str, ...]
    unit: Decimal | None = None
    outcomes: tuple[bool, ...] = ()  # each condition, in the order the policy states them
    caps_bound: tuple[int, ...] = ()  # indexes of the caps that bit
    keys: tuple[str, ...] = ()  # table rows used


def fmt(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt(v, lang)}" for k, v in value.items())
    return str(value)


def money(value: Decimal, lang: str) -> str:
    if lang == "en":
        return f"{value:,.2f} yuan"
    return f"{value:,.2f}元"


# ---------------------------------------------------------------- helpers the measures call


def need(value, fact: str):
    """A fact an amount cannot be computed without."""
    if value is None:
        raise _Needed(fact)
    return value


def num(value) -> Decimal | int:
    """An absent number in a condition is 0: not applicable."""
    return 0 if value is None else value


def truth(value) -> bool:
    return value is True


def compare(op: str, left, right) -> bool:
    """A comparison with an absent side (a date not given) does not hold."""
    if left is None or right is None:
        return False
    if op == ">=":
        return left >= right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    if op == "<":
        return left < right
    if op == "=":
        return left == right
    return left != right


def arith(op: str, left, right):
    """Arithmetic in a condition where a side may be absent (a year not given)."""
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    return left * right


def within(value, start: datetime.date, end: datetime.date) -> bool:
    return value is not None and start <= value <= end


def year_of(value):
    return None if value is None else value.year


def first_full_year_after(value):
    return None if value is None else value.year + 1


def full_years(since, as_of: datetime.date):
    """Whole years from `since` to `as_of`; a year is complete on its anniversary (届满)."""
    if since is None:
        return None
    years = as_of.year - since.year
    if (as_of.month, as_of.day) < (since.month, since.day):
        # 29 February: the anniversary in a common year is 28 February.
        if not (since.month == 2 and since.day == 29 and as_of.month == 2 and as_of.day == 28
                and not _leap(as_of.year)):
            years -= 1
    return years


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def per_increment(rate: Decimal, step: Decimal, value: Decimal, threshold: Decimal) -> Decimal:
    """`rate` for each whole `step` of `value` above `threshold`."""
    if value <= threshold:
        return ZERO
    return rate * ((value - threshold) // step)


def lookup(table: dict, key, trace: Trace | None, reasons: dict, fact: str) -> Decimal:
    """The table's amount for the key; nothing for a key paid nothing or not in the table.
    `trace` None: the same amount, unexplained (`assess_quietly`)."""
    key = need(key, fact)
    if trace is not None:
        trace.keys.append(key)
    if key in reasons:
        if trace is not None:
            en, zh = reasons[key]
            trace.note(f"{key}: nothing: {en}", f"{key}:不予补助:{zh}")
        return ZERO
    if key not in table:
        if trace is not None:
            trace.note(f"{key}: the table names no amount for it", f"{key}:表中未列金额")
        return ZERO
    return table[key]


def each_at(table: dict, counts, trace: Trace | None, reasons: dict, fact: str) -> Decimal:
    """Each key's count times its rate, summed. `trace` None: unexplained (`assess_quietly`)."""
    counts = need(counts, fact)
    total = ZERO
    for key, count in counts.items():
        if trace is not None:
            trace.keys.append(key)
        if key in reasons:
            if trace is not None:
                en, zh = reasons[key]
                trace.note(f"{key}: {count:,} × 0: {en}", f"{key}:{count:,} × 0:{zh}")
            continue
        rate = table.get(key, ZERO)
        total += rate * count
        if trace is not None:
            product = f"{count:,} × {rate} = {rate * count:,}"
            trace.note(f"{key}: {product}", f"{key}:{product}")
    return total


def settle(trace: Trace, amount: Decimal, caps: list[tuple[Decimal, str, str]], rounding: str,
           quantum: Decimal, en: str, zh: str) -> Assessment:
    """Apply the caps in order, never pay below zero, round once at the end."""
    trace.note(f"amount: {en} = {amount:,}", f"金额:{zh} = {amount:,}")
    bound = []
    for index, (limit, cap_en, cap_zh) in enumerate(caps):
        if amount > limit:
            bound.append(index)
            trace.note(f"capped by {cap_en}: {money(limit, 'en')}", f"受{cap_zh}限制:{money(limit, 'zh')}")
            amount = limit
    if amount < 0:
        trace.note("nothing to pay below zero", "金额不为负,不予给付")
        amount = ZERO
    elif amount == 0:
        amount = ZERO  # a product with a negative factor can be -0: pay 0, not "-0.00"
    rounded = amount.quantize(quantum, rounding=_ROUNDING[rounding])
    if rounded != amount:
        trace.note(f"rounded to {money(rounded, 'en')}", f"四舍五入为{money(rounded, 'zh')}")
    return Assessment(True, rounded, tuple(trace.why_en), tuple(trace.why_zh), trace.unit,
                      tuple(trace.outcomes), tuple(bound), tuple(trace.keys))


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# What `assess_quietly` finds for a measure whose conditions do not hold but which concerns
# the applicant (reported as not eligible); a measure that does not concern it is left out.
NOT_ELIGIBLE = _Marker("NOT_ELIGIBLE")


def settle_quiet(amount: Decimal, caps: tuple[Decimal, ...], rounding: str, quantum: Decimal) -> Decimal:
    """`settle` without the explanation: the caps in order, never below zero, one rounding."""
    for limit in caps:
        if amount > limit:
            amount = limit
    if amount <= 0:
        amount = ZERO  # nothing below zero, and no -0
    return amount.quantize(quantum, rounding=_ROUNDING[rounding])


def refuse(trace: Trace) -> Assessment:
    return Assessment(False, ZERO, tuple(trace.why_en), tuple(trace.why_zh),
                      outcomes=tuple(trace.outcomes))


# ---------------------------------------------------------------- reading a batch

_DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")
_MAX_DIGITS = 30  # digits before the decimal point
_MAX_SIGNIFICANT = 40
# Inputs have at most 40 significant digits, so every product the measures form
# fits in this precision: arithmetic stays exact, and rounding happens only where
# the policy says.
_PRECISION = 200


class _Slow(Exception):
    """A value the quick conversion does not decide: `_Reader.value` reads it, or words the refusal."""


_QUICK_INT_LIMIT = 10 ** 29  # below it an integer is within every limit of `_Reader.value`
_QUICK_TEXT_LIMIT = 30  # a decimal text this short is within every limit too


class _Reader:
    def __init__(self, spec: PolicySpec):
        self.spec = spec
        self.enum_codes = {name: {code for code, _, _ in values} for name, values in spec.enums.items()}

    def quick(self, fact: FactSpec) -> Callable:
        """A conversion of the common, well-formed values of a fact, giving exactly what `value`
        gives; anything else raises _Slow, and `value` decides (and words any refusal)."""
        kind = fact.kind
        if kind == "bool":
            def convert(raw):
                if raw is True or raw is False or raw is None:
                    return raw
                raise _Slow
        elif kind in ("integer", "year"):
            def convert(raw):
                if raw is None or (type(raw) is int and 0 <= raw < _QUICK_INT_LIMIT):
                    return raw
                raise _Slow
        elif kind in ("decimal", "money", "area", "rate"):
            positive = kind == "rate"
            match = _DECIMAL_TEXT.fullmatch

            def convert(raw):
                if raw is None:
                    return None
                kind_of = type(raw)
                if kind_of is str:
                    if len(raw) <= _QUICK_TEXT_LIMIT and raw[:1] != "-" and match(raw):
                        value = Decimal(raw)
                        if not (positive and not value):
                            return value
                elif kind_of is int:
                    if 0 < raw < _QUICK_INT_LIMIT or (raw == 0 and not positive):
                        return Decimal(raw)
                elif kind_of is Decimal:  # a JSON number read with parse_float=Decimal
                    if (raw.is_finite() and not raw.is_signed() and raw.adjusted() < _MAX_DIGITS
                            and len(raw.as_tuple().digits) <= _MAX_SIGNIFICANT and not (positive and not raw)):
                        return raw
                raise _Slow
        elif kind == "date":
            parse = datetime.date.fromisoformat

            def convert(raw):
                if raw is None:
                    return None
                # YYYY-MM-DD in ASCII digits: fromisoformat then refuses any other character.
                if type(raw) is str and len(raw) == 10 and raw[4] == raw[7] == "-" and raw.isascii():
                    try:
                        return parse(raw)
                    except ValueError:
                        pass
                raise _Slow
        elif kind in ("text", "identifier"):
            def convert(raw):
                if raw is None or (type(raw) is str and raw.isascii() and raw.strip()):
                    return raw
                raise _Slow
        elif kind == "enum":
            codes = self.enum_codes[fact.enum]

            def convert(raw):
                if raw is None or (type(raw) is str and raw in codes):
                    return raw
                raise _Slow
        elif kind == "count_map":
            codes = self.enum_codes[fact.enum]

            def convert(raw):
                if raw is None:
                    return None
                if type(raw) is dict and all(type(k) is str and k in codes and type(v) is int
                                             and 0 <= v < _QUICK_INT_LIMIT for k, v in raw.items()):
                    return dict(raw)
                raise _Slow
        else:
            def convert(raw):
                if raw is None:
                    return None
                raise _Slow
        return convert

    def value(self, fact: FactSpec, raw, where: str):
        if raw is None:
            return None
        kind = fact.kind
        if kind == "bool":
            if not isinstance(raw, bool):
                raise BatchError(f"{where}: expected true or false, got {_show(raw)}", "B002")
            return raw
        if kind in ("integer", "year"):
            value = self._number(raw, where, "a whole number")
            if value != value.to_integral_value():
                raise BatchError(f"{where}: expected a whole number, got {_show(raw)}", "B002")
            if value < 0:
                raise BatchError(f"{where}: must not be negative, got {_show(raw)}", "B003")
            return int(value)
        if kind in ("decimal", "money", "area", "rate"):
            value = self._number(raw, where, "a number")
            if value < 0:
                raise BatchError(f"{where}: must not be negative, got {_show(raw)}", "B003")
            if kind == "rate" and value == 0:
                raise BatchError(f"{where}: an exchange rate must be above zero", "B003")
            return value.copy_abs() if value.is_zero() else value  # -0 is 0
        if kind == "date":
            return _date(raw, where)
        if kind in ("text", "identifier"):
            if not isinstance(raw, str) or not raw.strip() or not _unicode(raw):
                raise BatchError(f"{where}: expected non-empty text, got {_show(raw)}", "B002")
            return raw
        if kind == "enum":
            return self._code(fact.enum, raw, where)
        if kind == "count_map":
            if not isinstance(raw, dict):
                raise BatchError(f"{where}: expected an object of {fact.enum} codes to counts, got {_show(raw)}", "B002")
            out = {}
            for key, count in raw.items():
                code = self._code(fact.enum, key, f"{where}: key {key!r}")
                out[code] = self.value(FactSpec(fact.name, "integer", fact.scope), count, f"{where}[{key!r}]")
            return out
        raise BatchError(f"{where}: facts of kind {kind} cannot be read", "B002")

    def _number(self, raw, where: str, expected: str) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
            raise BatchError(f"{where}: expected {expected}, got {_show(raw)}", "B002")
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise BatchError(f"{where}: expected {expected}, got {_show(raw)}", "B002")
            text = repr(raw)
        else:
            text = str(raw)
        if isinstance(raw, str) and not _DECIMAL_TEXT.fullmatch(text):
            raise BatchError(f"{where}: expected {expected}, got {_show(raw)}", "B002")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise BatchError(f"{where}: expected {expected}, got {_show(raw)}", "B002") from None
        if not value.is_finite() or value.adjusted() >= _MAX_DIGITS:
            raise BatchError(f"{where}: {_show(raw)} is too large", "B003")
        if len(value.as_tuple().digits) > _MAX_SIGNIFICANT:
            raise BatchError(f"{where}: {_show(raw)} has more than {_MAX_SIGNIFICANT} significant digits", "B003")
        return value

    def _code(self, enum: str, raw, where: str) -> str:
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise BatchError(f"{where}: expected one of {_choices(self.enum_codes[enum])}, got {_show(raw)}", "B002")
        code = str(raw)
        if code not in self.enum_codes[enum]:
            hint = _did_you_mean(code, self.enum_codes[enum])
            raise BatchError(f"{where}: unknown {enum} {_show(raw)}; expected one of "
                             f"{_choices(self.enum_codes[enum])}{hint}", "B004")
        return code


def _unicode(text: str) -> bool:
    """Text that can be written out: no lone surrogate (JSON's "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _show(raw) -> str:
    text = json.dumps(raw, ensure_ascii=False, default=str) if not isinstance(raw, Decimal) else str(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _choices(codes) -> str:
    return ", ".join(sorted(codes, key=lambda c: (len(c), c)))


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(raw, where: str) -> datetime.date:
    if not isinstance(raw, str) or not _DATE_TEXT.fullmatch(raw):
        raise BatchError(f"{where}: expected a date YYYY-MM-DD, got {_show(raw)}", "B002")
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise BatchError(f"{where}: {_show(raw)} is not a day in the calendar", "B002") from None


@pausing
def read_batch(spec: PolicySpec, data, batch_cls, applicant_cls):
    """Check a whole batch and build its typed objects, or refuse it with one message."""
    if spec.versions:
        version = _version_for(spec.versions, data)
        spec, batch_cls, applicant_cls = version.spec, version.batch_cls, version.applicant_cls
    if not isinstance(data, dict):
        raise BatchError("the batch must be a JSON object with `as_of` and `applicants`", "B010")
    reader = _Reader(spec)
    batch_facts = {f.name: f for f in spec.facts if f.scope == "batch"}
    applicant_facts = {f.name: f for f in spec.facts if f.scope == "applicant"}
    for key in data:
        if key != "applicants" and key not in batch_facts:
            hint = _did_you_mean(key, list(batch_facts) + ["applicants"])
            raise BatchError(f"batch: unknown fact `{key}`{hint}", "B001")
    values = {name: reader.value(f, data.get(name), f"batch: fact `{name}`") for name, f in batch_facts.items()}
    for name, f in batch_facts.items():
        if f.required and values[name] is None:
            raise BatchError(f"batch: fact `{name}` ({f.label_en}) is required", "B005")
    as_of = values.get("as_of")
    if as_of is not None and not spec.period_start <= as_of <= spec.period_end:
        raise BatchError(f"batch: as_of {as_of} is outside the period in effect of {spec.id}, "
                         f"{spec.period_start} to {spec.period_end}", "B008")
    spec.batch_defaults(values)
    raw_applicants = data.get("applicants")
    # A list, as JSON has it; or an iterator, so a long batch can be read one applicant at a
    # time (from JSON Lines, say) without holding every raw applicant at once.
    if not isinstance(raw_applicants, (list, tuple, collections.abc.Iterator)):
        raise BatchError("batch: `applicants` must be a list of applicants", "B010")
    applicants = _read_applicants(spec, reader, applicant_facts, raw_applicants, applicant_cls)
    _require_rates(spec, values, applicants)
    return _build(batch_cls, values), applicants


def _read_applicants(spec: PolicySpec, reader: _Reader, facts_of: dict[str, FactSpec], raw_applicants,
                     applicant_cls) -> list:
    """Every applicant checked and typed. The common values take the quick conversions; the
    rest, and every refusal, go through `_Reader.value`, so the messages are the same."""
    quick = {name: reader.quick(f) for name, f in facts_of.items()}
    required = [name for name, f in facts_of.items() if f.required]
    applicants, seen = [], {}
    for index, raw in enumerate(raw_applicants, start=1):
        if type(raw) is not dict and not isinstance(raw, dict):
            raise BatchError(f"applicant #{index}: expected an object of facts, got {_show(raw)}", "B010")
        ident = raw.get("id")
        if type(ident) is not str or not ident.isascii() or not ident.strip():
            _check_id(ident, index)
        if ident in seen:
            raise BatchError(f"applicant {_show(ident)}: duplicate id (also applicant #{seen[ident]})", "B007")
        seen[ident] = index
        facts = {}
        for key, value in raw.items():
            try:
                convert = quick[key]
            except KeyError:
                raise BatchError(f"applicant {_show(ident)}: unknown fact `{key}`{_did_you_mean(key, facts_of)}",
                                 "B001") from None
            try:
                facts[key] = convert(value)
            except _Slow:
                facts[key] = reader.value(facts_of[key], value, f"applicant {_show(ident)}: fact `{key}`")
        for name in required:
            if facts.get(name) is None:
                raise BatchError(f"applicant {_show(ident)}: fact `{name}` ({facts_of[name].label_en}) is required",
                                 "B005")
        applicants.append(_build(applicant_cls, facts))
    return applicants


def _check_id(ident, index: int) -> None:
    """Refuse an id that is missing or not non-empty text; let any other text through."""
    if ident is None:
        raise BatchError(f"applicant #{index}: fact `id` is missing", "B005")
    if not isinstance(ident, str) or not ident.strip() or not _unicode(ident):
        raise BatchError(f"applicant #{index}: fact `id` must be non-empty text, got {_show(ident)}", "B002")


def _require_rates(spec: PolicySpec, values: dict, applicants: list) -> None:
    """An exchange rate is required as soon as any amount in its currency is given."""
    for rate in (f for f in spec.facts if f.scope == "batch" and f.kind == "rate"):
        if values.get(rate.name) is not None:
            continue
        foreign = [f.name for f in spec.facts if f.scope == "applicant" and f.kind == "money" and f.unit == rate.enum]
        for applicant in applicants:
            for name in foreign:
                if getattr(applicant, name) is not None:
                    raise BatchError(f"batch: fact `{rate.name}` ({rate.label_en}) is required because "
                                     f"applicant {_show(applicant.id)} gives `{name}` in {rate.enum}", "B009")


# ---------------------------------------------------------------- evaluating a batch


@attrs.define
class Award:
    """What one measure gives one applicant, and why.

    The amount is computed at once; the reasons (`why`, `why_zh`) are written the first time
    they are read, by the measure's explaining function on the same facts, followed by what
    the population-wide steps noted (an exclusive group, a pool), in the decimal context of the
    evaluation. Most awards of a large batch are summed, never read, and cost no words. Each
    read gives a new list; a copy or a pickle is explained first (`__getstate__`).
    """

    measure: str
    clause: int
    kind: str
    computed: Decimal
    amount: Decimal
    status: str  # granted, not_eligible, superseded, pool_reduced, pool_exhausted
    payee: str
    payee_county: str | None
    city_share: Decimal | None
    county_share: Decimal | None
    # What the reasons are written from: the measure, the facts, the rankings.
    _spec: MeasureSpec = field(repr=False, eq=False)
    _applicant: Any = field(repr=False, eq=False)
    _batch: Any = field(repr=False, eq=False)
    _context: "Context" = field(repr=False, eq=False)
    _assessment: Assessment | None = field(default=None, repr=False, eq=False)
    _notes: list[tuple[str, str]] | None = field(default=None, repr=False, eq=False)
    _head: tuple[str, str] | None = field(default=None, repr=False, eq=False)  # set in copies

    @property
    def assessment(self) -> Assessment:
        """The measure's own finding, before groups and pools."""
        if self._assessment is None:
            with localcontext(self._context.decimal):
                self._assessment = self._spec.assess(self._applicant, self._batch, self._context)
        return self._assessment

    @property
    def why(self) -> list[str]:
        return [self._heads()[0], *self.assessment.why_en, *(en for en, _ in self._notes or ())]

    @property
    def why_zh(self) -> list[str]:
        return [self._heads()[1], *self.assessment.why_zh, *(zh for _, zh in self._notes or ())]

    def _heads(self) -> tuple[str, str]:
        if self._head is None:
            m = self._spec
            return f"({m.numeral}) {m.title_en} [{m.source}]", f"第({m.numeral})条 {m.title_zh}"
        return self._head

    def __getstate__(self) -> dict:
        """A copy or a pickle is explained first: the rankings it would look its applicant up in
        know the original objects only, and the measure's functions may not be importable."""
        state = {a.name: getattr(self, a.name) for a in attrs.fields(type(self))}
        state["_assessment"], state["_head"] = self.assessment, self._heads()
        state["_spec"] = state["_applicant"] = state["_batch"] = state["_context"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def note(self, en: str, zh: str) -> None:
        """A reason added after the assessment: an exclusive group or a pool changed the amount."""
        if self._notes is None:
            self._notes = []
        self._notes.append((en, zh))

    def to_json(self) -> dict:
        return {
            "clause": self.clause,
            "measure": self.measure,
            "amount": _money_text(self.amount),
            "status": self.status,
            "payee": self.payee,
            "payee_county": self.payee_county,
            "city_share": None if self.city_share is None else _money_text(self.city_share),
            "county_share": None if self.county_share is None else _money_text(self.county_share),
            "computed": _money_text(self.computed),
            "why": self.why,
            "why_zh": self.why_zh,
        }


@attrs.define
class ApplicantResult:
    id: str
    awards: list[Award]

    @property
    def total(self) -> Decimal:
        return _exact_sum(a.amount for a in self.awards)

    def to_json(self) -> dict:
        return {"id": self.id, "awards": [a.to_json() for a in self.awards], "total": _money_text(self.total)}


@attrs.define
class PoolResult:
    measure: str
    pool: str
    limit: Decimal
    used: Decimal

    def to_json(self) -> dict:
        return {"measure": self.measure, "pool": self.pool, "limit": _money_text(self.limit),
                "used": _money_text(self.used)}


@attrs.define
class BatchResult:
    policy: str
    as_of: datetime.date
    year: int | None
    applicants: list[ApplicantResult]
    pools: list[PoolResult]

    def to_json(self) -> dict:
        return {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "year": self.year,
            "applicants": [a.to_json() for a in self.applicants],
            "pools": [p.to_json() for p in self.pools],
            "total": _money_text(_exact_sum(a.total for a in self.applicants)),
        }


def _exact_sum(values) -> Decimal:
    with localcontext() as decimal_context:
        decimal_context.prec = _PRECISION
        return sum(values, ZERO)


def _money_text(value: Decimal) -> str:
    return f"{value:.2f}"


class Context:
    """Population-wide facts a measure may ask about: ranking positions."""

    def __init__(self):
        self.ranks: dict[str, dict[int, int]] = {}
        # The decimal context of the evaluation: reasons written later are written in it.
        self.decimal = getcontext().copy()

    def ranked(self, ranking: str, applicant) -> bool:
        return id(applicant) in self.ranks[ranking]


def _sort_key(keys, applicant, index: int, ctx: Context):
    """A total order: facts (absent last), rank positions, input order."""
    parts = []
    for kind, name, descending in keys:
        if kind == "input":
            parts.append((0, index))
        elif kind == "rank":
            parts.append((0, ctx.ranks[name].get(id(applicant), math.inf)))
        else:
            value = getattr(applicant, name)
            if value is None:
                parts.append((1, 0))
            elif descending:
                parts.append((0, _descending(value)))
            else:
                parts.append((0, value))
    parts.append((0, index))
    return parts


def _descending(value):
    """A key that sorts `value` from the highest down."""
    if isinstance(value, (int, Decimal)):
        return -value
    if isinstance(value, datetime.date):
        return -value.toordinal()
    return _Desc(value)


@attrs.frozen(order=False)
class _Desc:
    value: Any

    def __lt__(self, other):
        return self.value > other.value

    def __eq__(self, other):
        return self.value == other.value


def evaluate(spec: PolicySpec, batch, applicants: list, observe: Callable | None = None) -> BatchResult:
    """Rankings, then every measure for every applicant, then exclusive groups, then pools.

    `observe(measure_spec, applicant, assessment)`, when given, sees every assessment,
    including those of measures not worth listing for the applicant (coverage uses it).
    """
    if spec.versions:
        as_of = getattr(batch, "as_of", None)
        spec = version_on(spec.versions, as_of).spec if as_of is not None else spec.versions[0].spec
    with localcontext() as decimal_context, paused_collection():
        decimal_context.prec = _PRECISION
        return _evaluate(spec, batch, applicants, observe)


def _evaluate(spec: PolicySpec, batch, applicants: list, observe: Callable | None) -> BatchResult:
    ctx = Context()
    for ranking in spec.rankings:
        among = [(i, a) for i, a in enumerate(applicants) if ranking.among(a, batch)]
        top = heapq.nsmallest(ranking.top, among, key=lambda item: _sort_key(ranking.keys, item[1], item[0], ctx))
        ctx.ranks[ranking.name] = {id(a): position for position, (_, a) in enumerate(top, start=1)}

    pooled = {name for pool in spec.pools for name in pool.funds}
    by_measure: dict[str, list[tuple[int, Award]]] = {name: [] for name in pooled}
    # `paying`: the applicants with an award granted above zero, all an exclusive group looks at.
    if observe is None and spec.quick is not None:
        results, paying = _assess_quick(spec, batch, applicants, ctx, by_measure)
    else:
        results, paying = _assess_explained(spec, batch, applicants, ctx, by_measure, observe)

    for group in spec.exclusives:
        _exclusive(group, spec, results, applicants, paying)
    pools = [_fund(pool, spec, by_measure, applicants, ctx) for pool in spec.pools]
    as_of = getattr(batch, "as_of", None)
    return BatchResult(spec.id, as_of, getattr(batch, "year", None), results, [p for ps in pools for p in ps])


def _assess_quick(spec: PolicySpec, batch, applicants: list, ctx: Context, by_measure: dict) -> tuple[list, list]:
    """Every measure for every applicant, amounts only: the awards explain themselves when read."""
    results: list[ApplicantResult] = []
    paying: list[int] = []
    quick, jurisdiction = spec.quick, spec.jurisdiction
    measures = [(m, m.name, m.clause, m.kind, m.payee, m.name in by_measure, _shares(spec, m, ZERO))
                for m in spec.measures]
    for index, applicant in enumerate(applicants):
        awards = []
        try:
            found = quick(applicant, batch, ctx)
        except _Needed as missing:
            # The explained assessments run the same steps in the same order: they name the measure.
            _assess_explained(spec, batch, [applicant], ctx, {}, None)
            raise BatchError(f"applicant {_show(applicant.id)}: fact `{missing.fact}` is needed, "
                             f"but it was not given", "B006") from None
        county = getattr(applicant, jurisdiction) if jurisdiction else None
        pays = False
        for k, amount in found:
            measure, name, clause, kind, payee, pooled, (city, rest) = measures[k]
            if amount is NOT_ELIGIBLE:
                award = Award(name, clause, kind, ZERO, ZERO, "not_eligible", payee, county, city, rest,
                              measure, applicant, batch, ctx)
            else:
                if amount:
                    city, rest = _shares(spec, measure, amount)
                    pays = True
                award = Award(name, clause, kind, amount, amount, "granted", payee, county, city, rest,
                              measure, applicant, batch, ctx)
            awards.append(award)
            if pooled:
                by_measure[name].append((index, award))
        results.append(ApplicantResult(applicant.id, awards))
        if pays:
            paying.append(index)
    return results, paying


def _assess_explained(spec: PolicySpec, batch, applicants: list, ctx: Context, by_measure: dict,
                      observe: Callable | None) -> tuple[list, list]:
    """Every measure for every applicant, explained at once; `observe` sees every assessment."""
    results: list[ApplicantResult] = []
    paying: list[int] = []
    for index, applicant in enumerate(applicants):
        awards = []
        county = getattr(applicant, spec.jurisdiction) if spec.jurisdiction else None
        for measure in spec.measures:
            try:
                found: Assessment = measure.assess(applicant, batch, ctx)
            except _Needed as missing:
                raise _needed_error(missing, measure, applicant) from None
            if observe is not None:
                observe(measure, applicant, found)
            if not found.eligible and not any(getattr(applicant, f) is not None for f in measure.relevant):
                continue
            city, rest = _shares(spec, measure, found.amount)
            award = Award(measure.name, measure.clause, measure.kind, found.amount, found.amount,
                          "granted" if found.eligible else "not_eligible", measure.payee, county, city, rest,
                          measure, applicant, batch, ctx, found)
            awards.append(award)
            if measure.name in by_measure:
                by_measure[measure.name].append((index, award))
        results.append(ApplicantResult(applicant.id, awards))
        if any(a.status == "granted" and a.amount for a in awards):
            paying.append(index)
    return results, paying


def _needed_error(missing: _Needed, measure: MeasureSpec, applicant) -> BatchError:
    return BatchError(
        f"applicant {_show(applicant.id)}: fact `{missing.fact}` is needed by {measure.name} "
        f"(({measure.numeral}) {measure.title_en}), whose conditions hold, but it was not given", "B006")


def _shares(spec: PolicySpec, measure: MeasureSpec, amount: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """The burden split of a paid amount, (city, county); None where the fiscal system settles it."""
    if measure.city_percent is None:
        return None, None
    city = (amount * measure.city_percent / 100).quantize(spec.quantum, rounding=_ROUNDING[spec.rounding])
    return city, amount - city


def _pay(spec: PolicySpec, award: Award, amount: Decimal, status: str, en: str, zh: str) -> None:
    """An exclusive group or a pool changes an award's amount: its status, shares and reasons follow."""
    award.amount = amount
    award.status = status
    award.city_share, award.county_share = _shares(spec, award._spec, amount)
    award.note(en, zh)


def _exclusive(group: ExclusiveSpec, spec: PolicySpec, results: list[ApplicantResult], applicants: list,
               paying: list[int]) -> None:
    order = {name: i for i, name in enumerate(group.members)}
    for index in paying:
        result, applicant = results[index], applicants[index]
        members = [a for a in result.awards if a.measure in order and a.status == "granted" and a.amount > 0]
        if not members:
            continue
        # Highest first; ties: lowest clause number, then order of declaration.
        members.sort(key=lambda a: (-a.amount, a.clause, order[a.measure]))
        best, rest = members[0], members[1:]
        other = getattr(applicant, group.against) if group.against else None
        for award in rest:
            _pay(spec, award, ZERO, "superseded",
                 f"superseded by {best.measure} ({money(best.amount, 'en')}) under ({group.numeral}) {group.title_en}",
                 f"依第({group.numeral})条{group.title_zh},由{best.measure}({money(best.amount, 'zh')})取代")
        if other is not None and other > 0 and other >= best.amount:
            fact = next(f for f in spec.facts if f.name == group.against)
            _pay(spec, best, ZERO, "superseded",
                 f"superseded: the {fact.label_en} ({money(other, 'en')}) is at least this one, "
                 f"under ({group.numeral}) {group.title_en}",
                 f"{fact.label_zh}({money(other, 'zh')})不低于本项,"
                 f"依第({group.numeral})条{group.title_zh}原则不重复奖励")


def _fund(pool: PoolSpec, spec: PolicySpec, by_measure, applicants: list, ctx: Context) -> list[PoolResult]:
    claims = [(i, award) for name in pool.funds for i, award in by_measure[name]
              if award.status == "granted" and award.amount > 0]
    claims.sort(key=lambda c: _sort_key(pool.order, applicants[c[0]], c[0], ctx))
    left = pool.limit
    for _, award in claims:
        asked = award.amount
        if asked <= left:
            left -= asked
            continue
        granted = left
        unit = award.assessment.unit if pool.whole_units else None
        if unit:
            granted = (left // unit) * unit
        left -= granted
        _pay(spec, award, granted, "pool_reduced" if granted > 0 else "pool_exhausted",
             f"the {pool.title_en} ({money(pool.limit, 'en')}) had {money(granted, 'en')} left "
             f"for this application of {money(asked, 'en')}",
             f"{pool.title_zh}({money(pool.limit, 'zh')})仅余{money(granted, 'zh')},本申请{money(asked, 'zh')}")
    used = pool.limit - left
    return [PoolResult(",".join(pool.funds), pool.name, pool.limit, used)]


def evaluate_json(spec: PolicySpec, data, batch_cls, applicant_cls) -> dict:
    batch, applicants = read_batch(spec, data, batch_cls, applicant_cls)
    return evaluate(spec, batch, applicants).to_json()


# ---------------------------------------------------------------- versions of an amended policy


@frozen
class VersionSpec:
    """One version of an amended policy: in force from `effective`, with the amendments it includes."""

    effective: datetime.date
    spec: PolicySpec
    batch_cls: type
    applicant_cls: type
    amendments: tuple[str, ...] = ()


def version_on(versions: tuple[VersionSpec, ...], day: datetime.date) -> VersionSpec:
    """The version in force on `day`; before the first, the first, which refuses such a day."""
    chosen = versions[0]
    for version in versions:
        if version.effective <= day:
            chosen = version
    return chosen


def _version_for(versions: tuple[VersionSpec, ...], data) -> VersionSpec:
    """The version a batch is read with: the one in force on its `as_of`. When `as_of` is missing
    or not a date, the first version reads the batch and refuses it as a policy without amendments would."""
    raw = data.get("as_of") if isinstance(data, dict) else None
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return version_on(versions, datetime.date.fromisoformat(raw))
        except ValueError:
            pass
    return versions[0]


def with_versions(latest: PolicySpec, versions: tuple[VersionSpec, ...]) -> PolicySpec:
    """The SPEC of an amended policy: the version in force last, knowing every version."""
    return attrs.evolve(latest, versions=versions)
