"""The type and unit system of .pol expressions, shared by the checker and the compiler.

A fact's declared type becomes a `Ty`; `TypeEnv` types any expression of a policy.
The rules live in one place (`TypeEnv._rule`): `infer` uses them silently, `check`
also returns the diagnostics that say why an expression cannot be typed.

Expressions are walked with an explicit stack, never by recursion, so any tree the
parser builds (however deep) can be typed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Callable, Iterator

import attrs

from . import diagnostics as diag
from . import nodes as n

CURRENCIES = ("CNY", "USD")

KINDS = ("bool", "number", "percent", "date", "year", "enum", "count_map", "rate", "text")

_ORDERING = (">=", ">", "<=", "<")


@attrs.frozen
class Ty:
    kind: str  # one of KINDS
    unit: str | None = None  # number: None, "CNY", "USD" or "m2"; rate: the currency it yields
    integer: bool = False  # number: whole numbers only
    enum: str | None = None  # enum and count_map: the enumeration's name
    per_unit: str | None = None  # rate: the currency it converts from

    @property
    def is_money(self) -> bool:
        return self.kind == "number" and self.unit in CURRENCIES

    @property
    def is_orderable(self) -> bool:
        return self.kind in ("number", "date", "year")

    def describe(self) -> str:
        """How a drafter calls a value of this type."""
        if self.kind == "number":
            if self.unit in CURRENCIES:
                return f"money in {self.unit}"
            if self.unit == "m2":
                return "an area in m2"
            if self.unit is not None:
                return f"a number in {self.unit}"
            return "a whole number without a unit" if self.integer else "a number without a unit"
        return {
            "bool": "a condition (yes or no)",
            "percent": "a percentage",
            "date": "a date",
            "year": "a year",
            "enum": f"a value of `{self.enum}`",
            "count_map": f"a count for each value of `{self.enum}`",
            "rate": f"a rate of {self.unit} per {self.per_unit}",
            "text": "text",
        }.get(self.kind, self.kind)


BOOL = Ty("bool")
DATE = Ty("date")
YEAR = Ty("year")
TEXT = Ty("text")
PERCENT = Ty("percent")
NUMBER = Ty("number")
INTEGER = Ty("number", integer=True)


def money(unit: str) -> Ty:
    return Ty("number", unit=unit)


def ty_of_fact(type_ref: n.TypeRef) -> Ty:
    kind = type_ref.kind
    if kind == "bool":
        return BOOL
    if kind == "integer":
        return INTEGER
    if kind == "decimal":
        return NUMBER
    if kind == "date":
        return DATE
    if kind == "year":
        return YEAR
    if kind in ("text", "identifier"):
        return TEXT
    if kind in ("money", "area"):
        return Ty("number", unit=type_ref.unit)
    if kind == "rate":
        return Ty("rate", unit=type_ref.unit, per_unit=type_ref.per_unit)
    if kind == "enum":
        return Ty("enum", enum=type_ref.enum)
    if kind == "count_map":
        return Ty("count_map", enum=type_ref.enum)
    raise ValueError(f"unknown type kind {kind!r}")


def children(node) -> tuple:
    """The sub-expressions of an expression node, in source order."""
    if isinstance(node, (n.PercentOf, n.Negate, n.YearOf, n.FullYearsSince, n.FirstFullYearAfter,
                         n.Within, n.IsGiven, n.Not)):
        return (node.operand,)
    if isinstance(node, (n.Arith, n.Compare)):
        return (node.left, node.right)
    if isinstance(node, n.Converted):
        return (node.operand, node.rate)
    if isinstance(node, (n.And, n.Or)):
        return tuple(node.operands)
    if isinstance(node, n.PerUnit):
        return (node.rate, node.count)
    if isinstance(node, n.PerIncrement):
        return (node.rate, node.step, node.operand, node.threshold)
    if isinstance(node, n.ByTable):
        return (node.key,) + tuple(e.value for e in node.entries if e.value is not None)
    if isinstance(node, n.EachAtTable):
        return (node.counts,) + tuple(e.value for e in node.entries if e.value is not None)
    return ()


def walk(expr) -> Iterator:
    """Every node of an expression, parents before children, without recursion."""
    if expr is None:
        return
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def _is_zero(node) -> bool:
    """A bare `0`: fits any unit (`sales > 0`)."""
    return isinstance(node, n.Quantity) and node.unit is None and node.value == 0


def _units_fit(a: Ty, a_node, b: Ty, b_node) -> bool:
    return a.unit == b.unit or (a.unit is None and _is_zero(a_node)) or (b.unit is None and _is_zero(b_node))


def _unit_example(unit: str | None) -> str:
    return {"CNY": "`2000万元`", "USD": "`100万美元`", "m2": "`1000平方米`"}.get(unit or "", "`2000万元`")


def _unit_hint(a: Ty, b: Ty) -> str:
    units = {a.unit, b.unit}
    if units == {"CNY", "USD"}:
        return "convert the USD side with `converted at` a rate, e.g. `trade_usd converted at usd_cny_rate`"
    if None in units:
        unit = a.unit or b.unit
        return f"write the unit after the number, e.g. {_unit_example(unit)}"
    return ""


def name_span(span: n.Span, name: str, at_end: bool) -> n.Span:
    """The span of a name written at the start or at the end of a larger span."""
    if span is n.NO_SPAN or span.line == 0:
        return span
    if at_end:
        return n.Span(span.file, span.end_line, max(span.end_column - len(name), 1), span.end_line, span.end_column)
    return n.Span(span.file, span.line, span.column, span.line, span.column + len(name))


Report = Callable[..., None]


class TypeEnv:
    """What the names of a policy mean, and the type of any of its expressions."""

    def __init__(self, policy: n.Policy):
        self.policy = policy
        self._facts: dict[str, n.Fact] = {}
        for f in policy.facts:
            self._facts.setdefault(f.name, f)
        self._enums: dict[str, n.Enumeration] = {}
        for e in policy.enumerations:
            self._enums.setdefault(e.name, e)
        self._windows = {w.name for w in policy.header.windows} if policy.header else set()
        self._rankings = {r.name for _, r in policy.all_rankings()}
        quantum = policy.header.rounding.quantum if policy.header and policy.header.rounding else None
        # Every award is paid in the currency of the rounding step.
        self.currency = quantum.unit if quantum is not None and quantum.unit in CURRENCIES else "CNY"

    # ---------------------------------------------------------------- names

    def fact(self, name: str) -> n.Fact | None:
        return self._facts.get(name)

    def fact_ty(self, name: str) -> Ty | None:
        f = self._facts.get(name)
        return ty_of_fact(f.type) if f is not None else None

    def fact_names(self) -> list[str]:
        return list(self._facts)

    def enumeration(self, name: str | None) -> n.Enumeration | None:
        return self._enums.get(name) if name is not None else None

    def enum_values(self, name: str | None) -> list[str] | None:
        """The codes of an enumeration; None if there is no such enumeration."""
        e = self.enumeration(name)
        return [v.code for v in e.values] if e is not None else None

    def ref_kind(self, ref: n.Ref, context_ty: Ty | None = None) -> str | None:
        """A bare name is a fact if a fact has that name, otherwise a value of the
        enumeration it is compared with or keyed by."""
        if ref.name in self._facts:
            return "fact"
        if context_ty is not None and context_ty.kind in ("enum", "count_map"):
            values = self.enum_values(context_ty.enum)
            if values is not None and ref.name in values:
                return "enum_value"
        return None

    # ---------------------------------------------------------------- typing

    def infer(self, expr, expect: Ty | None = None) -> Ty | None:
        """The type of `expr`, or None when it cannot be typed."""
        return self._type(expr, expect, None)

    def check(self, expr, expect: Ty | None = None) -> tuple[Ty | None, list[diag.Diagnostic]]:
        """The type of `expr` and the diagnostics that explain what is wrong in it.
        `expect` is the type the place needs: it resolves a bare enumeration value."""
        found: list[diag.Diagnostic] = []

        def report(code_name: str, span: n.Span | None, /, **args) -> None:
            found.append(diag.make(code_name, span, **args))

        return self._type(expr, expect, report), found

    def _type(self, expr, expect: Ty | None, report: Report | None) -> Ty | None:
        if expr is None:
            return None
        types: dict[int, Ty | None] = {}
        stack = [(expr, False)]
        while stack:
            node, ready = stack.pop()
            if ready:
                types[id(node)] = self._rule(node, types, report)
                continue
            stack.append((node, True))
            for child in reversed(children(node)):
                stack.append((child, False))
        if isinstance(expr, n.Ref) and expr.name not in self._facts:
            return self._value_or_unknown(expr, expect, report)
        return types[id(expr)]

    # A rule sees its children's types; a bare name that is no fact is the parent's
    # to resolve (as an enumeration value) or to report.

    def _unresolved(self, node) -> bool:
        return isinstance(node, n.Ref) and node.name not in self._facts

    def _operand(self, node, types, report) -> Ty | None:
        if self._unresolved(node):
            self._unknown_fact(node, None, report)
            return None
        return types.get(id(node))

    def _unknown_fact(self, ref: n.Ref, enum: str | None, report: Report | None) -> None:
        if report is None:
            return
        candidates = self.fact_names()
        what = "fact"
        fallback = "declare it under `applicant facts` or `batch facts`"
        if enum is not None:
            values = self.enum_values(enum) or []
            candidates += values
            what = f"fact or `{enum}` value"
            fallback = f"the values of `{enum}` are " + ", ".join(f"`{v}`" for v in values)
        if ref.name in self._enums:
            users = [f.name for f in self.policy.facts if f.type.enum == ref.name and f.type.kind == "enum"]
            hint = f"`{ref.name}` is an enumeration; name a fact of that type" + (
                f", such as `{users[0]}`" if users else "")
        else:
            hint = diag.did_you_mean(ref.name, candidates) or fallback
        report("undefined-name", ref.span, what=what, name=ref.name, hint=hint)

    def _value_or_unknown(self, ref: n.Ref, context: Ty | None, report: Report | None) -> Ty | None:
        """A bare name that is no fact, where a value of `context`'s enumeration may stand."""
        if context is None or context.kind != "enum":
            self._unknown_fact(ref, None, report)
            return None
        values = self.enum_values(context.enum)
        if values is None:  # the enumeration itself is unknown: reported at the fact
            return Ty("enum", enum=context.enum)
        if ref.name in values:
            return Ty("enum", enum=context.enum)
        elsewhere = [e.name for e in self.policy.enumerations if ref.name in (v.code for v in e.values)]
        if elsewhere:
            if report is not None:
                hint = diag.did_you_mean(ref.name, values) or f"`{ref.name}` is a value of `{elsewhere[0]}`"
                report("unknown-enum-value", ref.span, value=ref.name, enum=f"`{context.enum}`", hint=hint)
            return None
        self._unknown_fact(ref, context.enum, report)
        return None

    def _value_code(self, q: n.Quantity, context: Ty, report: Report | None) -> Ty | None:
        """A number written where a value of a numbered enumeration stands: `star = 5`."""
        values = self.enum_values(context.enum)
        if values is None:
            return Ty("enum", enum=context.enum)
        if q.unit is None and any(self._same_code(code, q) for code in values):
            return Ty("enum", enum=context.enum)
        if report is not None:
            hint = diag.did_you_mean(q.text, values) or "its values are " + ", ".join(f"`{v}`" for v in values)
            report("unknown-enum-value", q.span, value=q.text, enum=f"`{context.enum}`", hint=hint)
        return None

    @staticmethod
    def _same_code(code: str, q: n.Quantity) -> bool:
        if code == q.text:
            return True
        try:
            return Decimal(code) == q.value
        except InvalidOperation:  # a code that is not a number never equals one
            return False

    def _rule(self, node, types, report: Report | None) -> Ty | None:
        def mismatch(span, what, expected, found, hint=""):
            if report is not None:
                report("type-mismatch", span, what=what, expected=expected, found=found, hint=hint)

        def units(span, action, left, right, hint=""):
            if report is not None:
                report("unit-mismatch", span, action=action, left=left, right=right, hint=hint)

        if isinstance(node, n.Quantity):
            integer = node.unit is None and node.value == node.value.to_integral_value()
            return Ty("number", unit=node.unit, integer=integer)
        if isinstance(node, n.Percent):
            return PERCENT
        if isinstance(node, n.DateLiteral):
            return DATE
        if isinstance(node, n.Ref):
            return self.fact_ty(node.name)
        if isinstance(node, n.PercentOf):
            op = self._operand(node.operand, types, report)
            if op is None:
                return None
            if op.kind != "number":
                mismatch(node.operand.span, f"what `{node.percent.text} of` applies to",
                         "a number or an amount", op.describe())
                return None
            return Ty("number", unit=op.unit)
        if isinstance(node, n.Arith):
            return self._arith(node, types, report, mismatch, units)
        if isinstance(node, n.Negate):
            op = self._operand(node.operand, types, report)
            if op is None:
                return None
            if op.kind != "number":
                mismatch(node.span, "what `-` negates", "a number or an amount", op.describe())
                return None
            return op
        if isinstance(node, n.Converted):
            return self._converted(node, types, report, mismatch)
        if isinstance(node, (n.YearOf, n.FirstFullYearAfter, n.FullYearsSince)):
            words = {n.YearOf: "year of", n.FirstFullYearAfter: "first full year after",
                     n.FullYearsSince: "full years since"}[type(node)]
            op = self._operand(node.operand, types, report)
            if op is None:
                return None
            if op.kind != "date":
                mismatch(node.operand.span, f"what `{words}` applies to", "a date", op.describe())
                return None
            return INTEGER if isinstance(node, n.FullYearsSince) else YEAR
        if isinstance(node, n.Compare):
            return self._compare(node, types, report, mismatch, units)
        if isinstance(node, n.Within):
            op = self._operand(node.operand, types, report)
            if op is not None and op.kind != "date":
                mismatch(node.operand.span, "what `within` tests", "a date", op.describe())
            if node.window is not None and node.window not in self._windows and report is not None:
                hint = diag.did_you_mean(node.window, self._windows) or (
                    "declare it in the policy header: `window NAME zh \"...\" en \"...\" from DATE to DATE`,"
                    " or write `within period in effect`")
                report("undefined-name", name_span(node.span, node.window, at_end=True),
                       what="window", name=node.window, hint=hint)
            return BOOL
        if isinstance(node, n.IsGiven):
            if isinstance(node.operand, n.Ref):
                self._operand(node.operand, types, report)
            else:
                op = types.get(id(node.operand))
                mismatch(node.operand.span, "what `is given` tests", "the name of a fact",
                         op.describe() + " computed from facts" if op else "a calculation")
            return BOOL
        if isinstance(node, n.RankedIn):
            if node.ranking not in self._rankings and report is not None:
                hint = diag.did_you_mean(node.ranking, self._rankings) or "declare it with `ranking NAME ... end`"
                report("undefined-name", name_span(node.span, node.ranking, at_end=True),
                       what="ranking", name=node.ranking, hint=hint)
            return BOOL
        if isinstance(node, (n.Not, n.And, n.Or)):
            word = {n.Not: "not", n.And: "and", n.Or: "or"}[type(node)]
            for child in children(node):
                op = self._operand(child, types, report)
                if op is not None and op.kind != "bool":
                    what = "what `not` negates" if word == "not" else f"each side of `{word}`"
                    mismatch(child.span, what, BOOL.describe(), op.describe(),
                             "write a comparison, e.g. `rooms >= 5`")
            return BOOL
        if isinstance(node, n.PerUnit):
            rate = self._operand(node.rate, types, report)
            count = self._operand(node.count, types, report)
            if count is not None and not (count.kind == "number" and count.unit is None and count.integer):
                mismatch(node.count.span, "the count after `for each of`", "a whole number (an `integer` fact)",
                         count.describe())
            return rate
        if isinstance(node, n.PerIncrement):
            return self._per_increment(node, types, report, units, mismatch)
        if isinstance(node, n.ByTable):
            key = self._operand(node.key, types, report)
            enum = None
            if key is not None:
                if key.kind == "enum":
                    enum = key.enum
                else:
                    mismatch(node.key.span, "the fact after `by`", "a fact whose type is an enumeration",
                             key.describe())
            self._table_keys(node, enum, report)
            return self._table_values(node.entries, types, report, mismatch)
        if isinstance(node, n.EachAtTable):
            counts = self._operand(node.counts, types, report)
            enum = None
            if counts is not None:
                if counts.kind == "count_map":
                    enum = counts.enum
                else:
                    mismatch(node.counts.span, "the counts after `for each of ... at`",
                             "a count for each value of an enumeration (a fact of type `integer by ENUM`)",
                             counts.describe())
            self._table_keys(node, enum, report)
            return self._table_values(node.entries, types, report, mismatch)
        return None

    def _arith(self, node: n.Arith, types, report, mismatch, units) -> Ty | None:
        left = self._operand(node.left, types, report)
        right = self._operand(node.right, types, report)
        if left is None or right is None:
            return None
        word = {"+": "add", "-": "subtract", "*": "multiply"}[node.op]
        if node.op in "+-" and YEAR in (left, right):
            # year ± a whole number is a year; year - year is a number of years
            other = right if left == YEAR else left
            if node.op == "-" and left == YEAR and right == YEAR:
                return INTEGER
            if other.kind == "number" and other.unit is None and other.integer and (node.op == "+" or left == YEAR):
                return YEAR
            units(node.span, word, left.describe(), right.describe())
            return None
        for side, ty in ((node.left, left), (node.right, right)):
            if ty.kind != "number":
                mismatch(side.span, f"each side of `{node.op}`", "a number or an amount", ty.describe())
                return None
        if node.op == "*":
            if left.unit is not None and right.unit is not None:
                units(node.span, word, left.describe(), right.describe(), "only one side of `*` can have a unit")
                return None
            return Ty("number", unit=left.unit or right.unit, integer=left.integer and right.integer)
        if not _units_fit(left, node.left, right, node.right):
            units(node.span, word, left.describe(), right.describe(), _unit_hint(left, right))
            return None
        return Ty("number", unit=left.unit or right.unit, integer=left.integer and right.integer)

    def _converted(self, node: n.Converted, types, report, mismatch) -> Ty | None:
        op = self._operand(node.operand, types, report)
        rate = self._operand(node.rate, types, report)
        if op is None or rate is None:
            return None
        if not op.is_money:
            mismatch(node.operand.span, "what `converted at` converts", "money", op.describe())
            return None
        if rate.kind != "rate":
            mismatch(node.rate.span, "the rate after `converted at`",
                     f"a rate fact such as `rate CNY per {op.unit}`", rate.describe())
            return None
        if rate.per_unit != op.unit:
            mismatch(node.rate.span, "the rate after `converted at`",
                     f"a rate per {op.unit}, the currency of the amount converted", rate.describe())
            return None
        return Ty("number", unit=rate.unit)

    def _compare(self, node: n.Compare, types, report, mismatch, units) -> Ty:
        left_open, right_open = self._unresolved(node.left), self._unresolved(node.right)
        left = None if left_open else types.get(id(node.left))
        right = None if right_open else types.get(id(node.right))
        # A bare name or number facing an enumeration is one of its values.
        if left_open:
            left = self._value_or_unknown(node.left, right, report)
        if right_open:
            right = self._value_or_unknown(node.right, left, report)
        if left is not None and right is not None:
            if left.kind == "enum" and isinstance(node.right, n.Quantity):
                right = self._value_code(node.right, left, report)
            elif right.kind == "enum" and isinstance(node.left, n.Quantity):
                left = self._value_code(node.left, right, report)
        if left is None or right is None:
            return BOOL
        ordering = node.op in _ORDERING
        if ordering:
            for side, ty in ((node.left, left), (node.right, right)):
                if not ty.is_orderable:
                    mismatch(side.span, f"each side of `{node.words}`", "a number, an amount, a date or a year",
                             ty.describe(), "`=` and `!=` compare values that have no order" if ty.kind == "enum" else "")
                    return BOOL
        if left.kind == "number" and right.kind == "number":
            if not _units_fit(left, node.left, right, node.right):
                units(node.span, "compare", left.describe(), right.describe(), _unit_hint(left, right))
            return BOOL
        if {left.kind, right.kind} == {"year", "number"}:
            number = right if left.kind == "year" else left
            if number.unit is None and number.integer:
                return BOOL
        if left.kind == right.kind and left.enum == right.enum and left.kind not in ("rate", "count_map"):
            return BOOL
        mismatch(node.right.span, f"the right side of `{node.words}`",
                 f"{left.describe()}, like the left side", right.describe())
        return BOOL

    def _per_increment(self, node: n.PerIncrement, types, report, units, mismatch) -> Ty | None:
        rate = self._operand(node.rate, types, report)
        op = self._operand(node.operand, types, report)
        if op is not None:
            if op.kind != "number":
                mismatch(node.operand.span, "what `for each full ... of` counts", "a number or an amount",
                         op.describe())
            else:
                for q in (node.step, node.threshold):
                    qt = types.get(id(q))
                    if qt is not None and not _units_fit(op, node.operand, qt, q):
                        units(q.span, "compare", op.describe(), qt.describe(), _unit_hint(op, qt))
        if node.step.value <= 0 and report is not None:
            report("bad-literal", node.step.span, what="the step", text=node.step.text,
                   reason="it must be more than zero")
        return rate

    def _table_keys(self, table, enum: str | None, report: Report | None) -> None:
        if report is None:
            return
        entries = table.entries
        seen: set[str] = set()
        values = self.enum_values(enum)
        for entry in entries:
            span = name_span(entry.span, entry.key, at_end=False)
            if entry.key in seen:
                report("table-key-repeated", span, key=entry.key)
            seen.add(entry.key)
            if values is not None and entry.key not in values:
                hint = diag.did_you_mean(entry.key, values) or "its values are " + ", ".join(f"`{v}`" for v in values)
                report("unknown-enum-value", span, value=entry.key, enum=f"`{enum}`", hint=hint)
        missing = [v for v in values or () if v not in seen]
        if missing:
            report("table-gap", table.span, enum=enum, values=", ".join(f"`{v}`" for v in missing),
                   first=missing[0])

    def _table_values(self, entries, types, report, mismatch) -> Ty | None:
        result: Ty | None = None
        first_entry = None
        for entry in entries:
            if entry.value is None:
                continue
            ty = self._operand(entry.value, types, report)
            if ty is None:
                continue
            if result is None:
                result, first_entry = ty, entry
            elif (ty.kind, ty.unit, ty.enum, ty.per_unit) != (result.kind, result.unit, result.enum, result.per_unit):
                mismatch(entry.value.span, f"the amount for `{entry.key}`",
                         f"{result.describe()}, like the amount for `{first_entry.key}`", ty.describe())
        if result is not None and result.kind == "number":
            result = attrs.evolve(result, integer=False)
        return result
