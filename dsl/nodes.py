"""The AST of a .pol file: frozen attrs classes, each carrying its source span.

The span is excluded from equality and hashing so that two parses of the same
meaning compare equal wherever they stand in a file.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import attrs


@attrs.frozen
class Span:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<generated>", 0, 0, 0, 0)


def _span_field():
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Bilingual:
    zh: str | None
    en: str | None
    span: Span = _span_field()


# ---------------------------------------------------------------- expressions


@attrs.frozen
class Quantity:
    """A number as written, with its unit: `50万元` is 500000 CNY."""

    value: Decimal
    unit: str | None  # "CNY", "USD", "m2" or None
    text: str
    span: Span = _span_field()


@attrs.frozen
class Percent:
    value: Decimal  # 1% is Decimal("1")
    text: str
    span: Span = _span_field()


@attrs.frozen
class DateLiteral:
    value: datetime.date
    span: Span = _span_field()


@attrs.frozen
class Ref:
    """A bare name: a fact, an enumeration value, resolved by the checker."""

    name: str
    span: Span = _span_field()


@attrs.frozen
class PercentOf:
    percent: Percent
    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Arith:
    op: str  # "+", "-", "*"
    left: "Expr"
    right: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Negate:
    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Converted:
    """`X converted at RATE`: a sum in one currency turned into another."""

    operand: "Expr"
    rate: "Expr"
    span: Span = _span_field()


@attrs.frozen
class YearOf:
    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class FullYearsSince:
    """Whole years from a date to the evaluation date (届满 counts the day itself)."""

    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class FirstFullYearAfter:
    """The first complete calendar year after a date: its year plus one."""

    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Compare:
    op: str  # one of ">=", ">", "<=", "<", "=", "!="
    words: str  # the words the file used: "超过", "at least", ">="
    left: "Expr"
    right: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Within:
    operand: "Expr"
    window: str | None  # None is the period in effect
    span: Span = _span_field()


@attrs.frozen
class IsGiven:
    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class RankedIn:
    ranking: str
    span: Span = _span_field()


@attrs.frozen
class Not:
    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class And:
    operands: tuple["Expr", ...]
    span: Span = _span_field()


@attrs.frozen
class Or:
    operands: tuple["Expr", ...]
    span: Span = _span_field()


# ---------------------------------------------------------------- amounts


@attrs.frozen
class PerUnit:
    """`1万元 for each of village_stations`."""

    rate: "Expr"
    count: "Expr"
    span: Span = _span_field()


@attrs.frozen
class PerIncrement:
    """`10元 for each full 1万元 of X above 2000万元`: whole steps only."""

    rate: "Expr"
    step: Quantity
    operand: "Expr"
    threshold: Quantity
    span: Span = _span_field()


@attrs.frozen
class TableEntry:
    key: str  # the enumeration value's code, as written
    value: "Expr | None"  # None: deliberately nothing
    reason: Bilingual | None
    span: Span = _span_field()


@attrs.frozen
class ByTable:
    """An amount chosen by an enumeration value."""

    key: "Expr"
    entries: tuple[TableEntry, ...]
    span: Span = _span_field()


@attrs.frozen
class EachAtTable:
    """`for each of village_parcels at ...`: a count per key times the key's rate."""

    counts: "Expr"
    entries: tuple[TableEntry, ...]
    span: Span = _span_field()


Expr = (
    Quantity | Percent | DateLiteral | Ref | PercentOf | Arith | Negate | Converted | YearOf
    | FullYearsSince | FirstFullYearAfter | Compare | Within | IsGiven | RankedIn
    | Not | And | Or | PerUnit | PerIncrement | ByTable | EachAtTable
)

# ---------------------------------------------------------------- types


@attrs.frozen
class TypeRef:
    """A fact's declared type. `kind` is one of the words of the language:
    bool, integer, decimal, date, text, identifier, year, money, area, rate,
    enum, count_map."""

    kind: str
    unit: str | None = None  # money/area unit; rate: the currency it yields
    per_unit: str | None = None  # rate: the currency it converts from
    enum: str | None = None  # enum and count_map: the enumeration's name
    span: Span = _span_field()


# ---------------------------------------------------------------- declarations


@attrs.frozen
class Window:
    name: str
    label: Bilingual
    start: datetime.date
    end: datetime.date
    span: Span = _span_field()


@attrs.frozen
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    years: int | None  # as written: "for 3 years"
    span: Span = _span_field()


@attrs.frozen
class Rounding:
    mode: str  # half_up, half_even, down, up
    quantum: Quantity
    span: Span = _span_field()


@attrs.frozen
class Header:
    name: str
    title: Bilingual | None
    issuer: Bilingual | None
    document: Bilingual | None
    preamble: Bilingual | None
    issued: datetime.date | None
    published: datetime.date | None
    period: Period | None
    windows: tuple[Window, ...]
    rounding: Rounding | None
    span: Span = _span_field()


@attrs.frozen
class Heading:
    numeral: str | None
    label: Bilingual
    span: Span = _span_field()


@attrs.frozen
class EnumValue:
    code: str  # as written: "kundulun", "5"
    label: Bilingual
    span: Span = _span_field()


@attrs.frozen
class Enumeration:
    name: str
    label: Bilingual
    values: tuple[EnumValue, ...]
    span: Span = _span_field()


@attrs.frozen
class Fact:
    name: str
    type: TypeRef
    label: Bilingual
    scope: str  # "batch" or "applicant"
    general: bool = False  # shared by many measures: does not make a measure relevant
    required: bool = False
    jurisdiction: bool = False  # names the applicant's county: payee and burden go there
    default: Expr | None = None
    span: Span = _span_field()


@attrs.frozen
class Interpretation:
    label: Bilingual
    span: Span = _span_field()


@attrs.frozen
class Burden:
    kind: str  # "split" or "settlement"
    city: Decimal | None = None  # percent
    county: Decimal | None = None
    span: Span = _span_field()


@attrs.frozen
class Cap:
    amount: Expr
    label: Bilingual | None
    span: Span = _span_field()


@attrs.frozen
class Measure:
    name: str
    kind: str  # reward, subsidy, settlement
    title: Bilingual | None
    who: Bilingual | None
    condition: Expr | None
    amount: Expr | None
    caps: tuple[Cap, ...]
    payee: str | None  # applicant or county
    burden: Burden | None
    interpretations: tuple[Interpretation, ...]
    span: Span = _span_field()


@attrs.frozen
class OrderKey:
    kind: str  # "fact", "input", "rank"
    name: str | None = None
    descending: bool | None = None  # None: the default of the place it is used
    span: Span = _span_field()


@attrs.frozen
class Pool:
    name: str
    title: Bilingual | None
    limit: Quantity | None
    funds: tuple[str, ...]
    order: tuple[OrderKey, ...]
    whole_units: bool
    interpretations: tuple[Interpretation, ...]
    span: Span = _span_field()


@attrs.frozen
class Ranking:
    name: str
    title: Bilingual | None
    top: int | None
    key: OrderKey | None
    among: Expr | None
    ties: tuple[OrderKey, ...]
    interpretations: tuple[Interpretation, ...]
    span: Span = _span_field()


@attrs.frozen
class Exclusive:
    name: str
    title: Bilingual | None
    members: tuple[str, ...]
    against: str | None
    interpretations: tuple[Interpretation, ...]
    span: Span = _span_field()


@attrs.frozen
class Repair:
    printed: str
    read_as: str
    span: Span = _span_field()


@attrs.frozen
class Clause:
    number: int
    numeral: str  # "七"
    title: Bilingual | None
    text: Bilingual | None
    departments: Bilingual | None
    repairs: tuple[Repair, ...]
    interpretations: tuple[Interpretation, ...]
    default_burden: Burden | None
    measures: tuple[Measure, ...]
    pools: tuple[Pool, ...]
    rankings: tuple[Ranking, ...]
    exclusives: tuple[Exclusive, ...]
    heading: Heading | None  # the part of the policy it stands under
    span: Span = _span_field()


@attrs.frozen
class Policy:
    header: Header | None
    enumerations: tuple[Enumeration, ...]
    facts: tuple[Fact, ...]
    clauses: tuple[Clause, ...]
    headings: tuple[Heading, ...]
    path: str
    span: Span = _span_field()

    # Lookups used by every later stage; cheap enough to recompute.
    def all_measures(self) -> list[tuple[Clause, Measure]]:
        return [(c, m) for c in self.clauses for m in c.measures]

    def all_pools(self) -> list[tuple[Clause, Pool]]:
        return [(c, p) for c in self.clauses for p in c.pools]

    def all_rankings(self) -> list[tuple[Clause, Ranking]]:
        return [(c, r) for c in self.clauses for r in c.rankings]

    def all_exclusives(self) -> list[tuple[Clause, Exclusive]]:
        return [(c, e) for c in self.clauses for e in c.exclusives]

    def fact(self, name: str) -> Fact | None:
        for f in self.facts:
            if f.name == name:
                return f
        return None

    def enumeration(self, name: str) -> Enumeration | None:
        for e in self.enumerations:
            if e.name == name:
                return e
        return None

    def default_burden(self) -> Burden | None:
        for c in self.clauses:
            if c.default_burden is not None:
                return c.default_burden
        return None


# ---------------------------------------------------------------- amendments
# An amendment is a document of its own: it names the policy it amends, takes effect on
# a date, and lists its changes. `dsl.amend` applies them to the policy's AST.


@attrs.frozen
class ChangeConstant:
    """`change (七) M7 cap 50万元 to 80万元`: one number in one part of a measure, pool or ranking."""

    number: int
    numeral: str
    target: str  # the measure, pool or ranking
    part: str  # cap, pay, when (a measure), limit (a pool), top (a ranking)
    old: "Quantity | Percent"
    new: "Quantity | Percent"
    span: Span = _span_field()


@attrs.frozen
class ChangeText:
    """`change (七) text zh "…50万元" to "…80万元"`: words of a clause's text, as a notice amends them."""

    number: int
    numeral: str
    lang: str  # zh or en
    old: str
    new: str
    span: Span = _span_field()


@attrs.frozen
class ChangePeriod:
    period: Period
    span: Span = _span_field()


@attrs.frozen
class ReplaceClause:
    clause: Clause
    span: Span = _span_field()


@attrs.frozen
class AddClause:
    clause: Clause
    span: Span = _span_field()


@attrs.frozen
class RepealClause:
    number: int
    numeral: str
    span: Span = _span_field()


@attrs.frozen
class ReplaceMeasure:
    number: int
    numeral: str
    measure: Measure
    span: Span = _span_field()


@attrs.frozen
class AddMeasure:
    number: int
    numeral: str
    measure: Measure
    span: Span = _span_field()


@attrs.frozen
class RepealMeasure:
    number: int
    numeral: str
    name: str
    span: Span = _span_field()


Change = (ChangeConstant | ChangeText | ChangePeriod | ReplaceClause | AddClause | RepealClause | ReplaceMeasure
          | AddMeasure | RepealMeasure)


@attrs.frozen
class Amendment:
    name: str
    base: str  # the id of the policy it amends
    title: Bilingual | None
    issuer: Bilingual | None
    document: Bilingual | None
    preamble: Bilingual | None
    issued: datetime.date | None
    published: datetime.date | None
    effective: datetime.date | None
    changes: tuple[Change, ...]
    path: str
    # `amends ID in "FILE"`: where the policy is, relative to the amendment; None when it is beside it
    base_file: str | None = None
    span: Span = _span_field()
