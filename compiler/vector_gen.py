"""Compile a checked policy into a vectorised calculator: the same measures over numpy columns.

The scalar compiler (`python_gen`) decides how each expression is read: which
values are numbers that an absent fact turns into 0, which comparisons hold only
when both sides are given, which facts an amount needs. This module subclasses
it and keeps every one of those decisions; it changes only what is emitted: calls
into `pol.vector_runtime`, which compute over whole columns in exact fixed-point
integers. The policy-wide metadata (measures, pools, groups, rounding) stays in
the scalar calculator's `SPEC`, which the vector calculator is given at
evaluation, so the two engines read the policy once.

A construct the vector runtime cannot compute exactly raises `VectorUnsupported`
here, and `pol eval` evaluates with the scalar engine instead.
"""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from dsl import nodes as n
from dsl.collector import pausing
from pol.vector_runtime import VectorUnsupported

from . import python_gen as pg
from .python_gen import _attr, _call, _const, _identifier, _name

_ARITH = {"+": "add", "-": "sub", "*": "mul"}


def _vr(attr: str) -> ast.Attribute:
    return ast.Attribute(value=_name("_vr"), attr=attr, ctx=ast.Load())


def _c(method: str, *args: ast.expr) -> ast.Call:
    return _call(_attr(_name("c"), method), *args)


class _VectorModule(pg._Module):
    """Same reading of the policy as the scalar module; calls into vector_runtime instead."""

    def constant(self, value: Decimal) -> ast.Name:
        text = str(value)
        if text not in self.constants:
            self.constants[text] = f"K{len(self.constants) + 1}"
        return _name(self.constants[text])

    def fact_ref(self, name: str, span: n.Span) -> ast.expr:
        fact = self.facts[name]
        return _c("batch" if fact.scope == "batch" else "fact", _const(name))

    def _unsupported(self, what: str, span: n.Span):
        raise VectorUnsupported(f"{what} ({span}) is not computed by the vector engine")

    def _check_ref(self, name: str, span: n.Span) -> None:
        kind = self.facts[name].type.kind
        if kind in ("text", "identifier"):
            self._unsupported(f"the text fact `{name}` in a condition", span)

    def _code(self, enum_expr, other) -> ast.expr:
        enum = self.facts[other.name].type.enum
        return _c("code", _const(enum), _const(self.enum_code(enum_expr)))

    # -- which applicant facts a condition cannot hold without
    def required(self, cond) -> set[str]:
        """Facts whose absence makes `cond` false for certain, as the scalar calculator reads it."""
        match cond:
            case n.And(operands=ops):
                return set().union(*(self.required(o) for o in ops))
            case n.Ref(name=name) if self.facts[name].type.kind == "bool":
                return self._own(name)  # `truth`: absent is not true
            case n.IsGiven(operand=n.Ref(name=name)):
                return self._own(name)
            case n.Within(operand=op):
                return self._absent_with(op)
            case n.Compare(op=op, left=left, right=right):
                if self.is_enum_literal(right, left) or self.is_enum_literal(left, right):
                    return self._absent_with(left) | self._absent_with(right)
                if self.kind_of(left) == self.kind_of(right) == "number":
                    # An absent number is 0: the fact is required when 0 fails the comparison.
                    if isinstance(left, n.Ref) and isinstance(right, n.Quantity) and not _HOLDS[op](0, right.value):
                        return self._own(left.name)
                    if isinstance(right, n.Ref) and isinstance(left, n.Quantity) and not _HOLDS[op](left.value, 0):
                        return self._own(right.name)
                    return set()
                # Dates, years, codes: a comparison with an absent side does not hold (runtime.compare).
                return self._absent_with(left) | self._absent_with(right)
        return set()

    def _absent_with(self, expr) -> set[str]:
        """Facts whose absence makes a non-number value absent."""
        match expr:
            case n.Ref(name=name) if name in self.facts and self.kind_of(expr) != "number":
                return self._own(name)
            case n.YearOf(operand=op) | n.FirstFullYearAfter(operand=op) | n.FullYearsSince(operand=op):
                return self._absent_with(op)
            case n.Arith(left=left, right=right) if not self.kind_of(left) == self.kind_of(right) == "number":
                return self._absent_with(left) | self._absent_with(right)
        return set()

    def _own(self, name: str) -> set[str]:
        return {name} if name in self.facts and self.facts[name].scope == "applicant" else set()

    # -- values inside conditions: an absent number is 0 (runtime.num), as in python_gen.cvalue
    def cvalue(self, expr) -> ast.expr:
        match expr:
            case n.Quantity(value=v):
                return self.constant(v)
            case n.DateLiteral(value=d):
                return _call(_vr("day"), _const(d.year), _const(d.month), _const(d.day))
            case n.Ref(name=name):
                self._check_ref(name, expr.span)
                ref = self.fact_ref(name, expr.span)
                if self.kind_of(expr) == "number":
                    return _call(_vr("num"), ref)
                return ref
            case n.PercentOf(percent=p, operand=op):
                return _call(_vr("mul"), self.constant(p.value / 100), self.cvalue(op))
            case n.Arith(op=op, left=left, right=right):
                if self.kind_of(left) == self.kind_of(right) == "number":
                    return _call(_vr(_ARITH[op]), self.cvalue(left), self.cvalue(right))
                return _call(_vr("arith"), _const(op), self.cvalue(left), self.cvalue(right))
            case n.Negate(operand=op):
                return _call(_vr("neg"), self.cvalue(op))
            case n.Converted(operand=op, rate=rate):
                return _call(_vr("mul"), self.cvalue(op), self.cvalue(rate))
            case n.YearOf(operand=op):
                return _call(_vr("year_of"), self.cvalue(op))
            case n.FirstFullYearAfter(operand=op):
                return _call(_vr("first_full_year_after"), self.cvalue(op))
            case n.FullYearsSince(operand=op):
                return _call(_vr("full_years"), self.cvalue(op), self.fact_ref("as_of", expr.span))
        return self.condition(expr)

    def condition(self, expr) -> ast.expr:
        match expr:
            case n.And(operands=ops):
                return _call(_vr("all_"), *[self.condition(o) for o in ops])
            case n.Or(operands=ops):
                return _call(_vr("any_"), *[self.condition(o) for o in ops])
            case n.Not(operand=op):
                return _call(_vr("not_"), self.condition(op))
            case n.Compare(op=op, left=left, right=right):
                if self.is_enum_literal(right, left):
                    l_ast, r_ast = self.cvalue(left), self._code(right, left)
                elif self.is_enum_literal(left, right):
                    l_ast, r_ast = self._code(left, right), self.cvalue(right)
                else:
                    l_ast, r_ast = self.cvalue(left), self.cvalue(right)
                return _call(_vr("compare"), _const(op), l_ast, r_ast)
            case n.Within(operand=op, window=window):
                if window is None:
                    start, end = self.policy.header.period.start, self.policy.header.period.end
                else:
                    w = self.windows[window]
                    start, end = w.start, w.end
                return _call(_vr("within"), self.cvalue(op), self.cvalue(n.DateLiteral(start)),
                             self.cvalue(n.DateLiteral(end)))
            case n.IsGiven(operand=n.Ref(name=name) as op):
                # The fact itself, as python_gen tests it: a number read as a condition value is never absent.
                self._check_ref(name, op.span)
                return _call(_vr("given"), self.fact_ref(name, op.span))
            case n.IsGiven(operand=op):
                return _call(_vr("given"), self.cvalue(op))
            case n.RankedIn(ranking=name):
                return _c("ranked", _const(name))
            case n.Ref(name=name) if self.facts[name].type.kind == "bool":
                return _call(_vr("truth"), self.fact_ref(name, expr.span))
        raise AssertionError(f"not a condition: {expr!r}")  # the checker refuses these first

    # -- values inside amounts: an absent fact is an error once the conditions hold (runtime.need)
    def amount(self, expr, measure: n.Measure) -> ast.expr:
        match expr:
            case n.Quantity(value=v):
                return self.constant(v)
            case n.Ref(name=name):
                self._check_ref(name, expr.span)
                return _c("need", self.fact_ref(name, expr.span), _const(name))
            case n.PercentOf(percent=p, operand=op):
                return _call(_vr("mul"), self.constant(p.value / 100), self.amount(op, measure))
            case n.Arith(op=op, left=left, right=right):
                return _call(_vr(_ARITH[op]), self.amount(left, measure), self.amount(right, measure))
            case n.Negate(operand=op):
                return _call(_vr("neg"), self.amount(op, measure))
            case n.Converted(operand=op, rate=rate):
                return _call(_vr("mul"), self.amount(op, measure), self.amount(rate, measure))
            case n.PerUnit(count=count):
                return _call(_vr("mul"), _name("unit"), self.amount(count, measure))
            case n.PerIncrement(rate=rate, step=step, operand=op, threshold=threshold):
                return _call(_vr("per_increment"), self.amount(rate, measure), self.constant(step.value),
                             self.amount(op, measure), self.constant(threshold.value))
            case n.ByTable(key=key, entries=entries):
                return _call(_vr("lookup"), _name("c"), self.fact_ref(key.name, key.span),
                             self.table(measure, key.name, entries), _const(key.name))
            case n.EachAtTable(counts=counts, entries=entries):
                return _call(_vr("each_at"), _name("c"), self.fact_ref(counts.name, counts.span),
                             self.table(measure, counts.name, entries), _const(counts.name))
        raise AssertionError(f"not an amount: {expr!r}")

    def table(self, measure: n.Measure, fact: str, entries) -> ast.Name:
        """The table's amounts in the order of the enumeration's codes; None where it pays nothing."""
        enum = self.policy.enumeration(self.facts[fact].type.enum)
        by_key = {e.key: e for e in entries}
        values = []
        for value in enum.values:
            entry = by_key.get(value.code)
            if entry is None or entry.value is None:
                values.append(_const(None))
            elif isinstance(entry.value, n.Quantity):
                values.append(self.constant(entry.value.value))
            else:
                self._unsupported(f"the computed amount for `{entry.key}` in the table of {measure.name}", entry.span)
        name = _identifier(f"TABLE_{measure.name}", measure.span, "a measure name")
        self.body.append(pg._assign(name, ast.Tuple(elts=values, ctx=ast.Load())))
        return _name(name)

    # -- one function per measure: conditions, then the amount, then the caps (the scalar order)
    def measure(self, clause: n.Clause, measure: n.Measure) -> str:
        fname = "measure_" + _identifier(measure.name, measure.span, "a measure name")
        conjuncts = measure.condition.operands if isinstance(measure.condition, n.And) else (
            (measure.condition,) if measure.condition is not None else ())
        held = [self.condition(cond) for cond in conjuncts]
        required = sorted(set().union(*(self.required(cond) for cond in conjuncts)))
        if required:
            # The conditions cannot hold where a fact they require is absent: they are computed
            # for the applicants who give every one of them (a few of a whole city's, mostly).
            body: list[ast.stmt] = [
                pg._assign("everyone", _name("c")),
                pg._assign("c", _c("given", pg._tuple(_const(f) for f in required))),
                pg._assign("held", _c("widen", _call(_vr("all_"), *held))),
                pg._assign("c", _call(_attr(_name("everyone"), "only"), _name("held")))]
        else:
            body = [pg._assign("held", _call(_vr("all_"), *held))]
            # the amount is computed for the applicants whose conditions hold
            body.append(pg._assign("c", _c("only", _name("held"))))
        payee_county = self.payee_county(measure)
        if payee_county is not None:
            # Paid to the applicant's county: with no county there is no one to pay (as the scalar engine).
            body.append(ast.Expr(_c("need", self.fact_ref(payee_county, measure.span), _const(payee_county))))
        unit: ast.expr = _const(None)
        if isinstance(measure.amount, n.PerUnit):
            body.append(pg._assign("unit", self.amount(measure.amount.rate, measure)))
            unit = _name("unit")
        body.append(pg._assign("amount", self.amount(measure.amount, measure)))
        caps = [self.amount(cap.amount, measure) for cap in measure.caps]
        body.append(ast.Return(_c("settle", _name("held"), _name("amount"), ast.List(elts=caps, ctx=ast.Load()),
                                  unit)))
        title = measure.title.en if measure.title and measure.title.en else measure.name
        doc = f"({clause.numeral}) {title}, over every applicant.\n\n    Source: {self.source_name}:{measure.span.line}\n    "
        self.body.append(self._function(fname, ["c"], [ast.Expr(_const(doc)), *body], measure.span))
        return fname


_HOLDS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b,
          "=": lambda a, b: a == b, "!=": lambda a, b: a != b}


@pausing
def compile_vector(policy: n.Policy, source_name: str | None = None, versions=()) -> str:
    """The Python source of the vectorised calculator. The policy must have passed `dsl.checks.check`.

    `versions` (`dsl.amend.Version`s, oldest first), when the policy has amendments: one set of
    functions per version, like `python_gen.compile_versions`, chosen by the batch's as_of
    through the scalar SPEC's versions. Raises VectorUnsupported when the policy uses something
    the vector engine does not compute.
    """
    source_name = source_name or Path(policy.path).name
    policies = [v.policy for v in versions] or [policy]
    body: list[ast.stmt] = []
    assess_sets, among_sets = [], []
    for index, version_policy in enumerate(policies, start=1):
        prefix = "" if index == len(policies) else f"V{index}_"
        statements, assess, among = _version_body(version_policy, source_name)
        if prefix:
            renamer = pg._Prefixed({name for s in statements for name in pg._defines(s)}, prefix)
            statements = [renamer.visit(s) for s in statements]
        body += statements
        assess_sets.append(pg._dict((_const(k), _name(prefix + f)) for k, f in assess))
        among_sets.append(pg._dict((_const(k), _name(prefix + f)) for k, f in among))

    name = policy.header.name
    doc = (f"Vectorised calculator for `{name}`: every applicant at once, over numpy columns.\n\n"
           f"Generated by pol from {source_name}. Do not edit: change the policy and compile again.\n\n"
           "    evaluate(SPEC, batch, population) -> VectorResult   # SPEC: the scalar calculator's\n")
    module: list[ast.stmt] = [
        ast.Expr(_const(doc)),
        ast.ImportFrom(module="pol", names=[ast.alias(name="vector_runtime", asname="_vr")], level=0),
        *body,
        # One entry per version of the policy, oldest first, as in the scalar SPEC's versions.
        pg._assign("ASSESS", ast.Tuple(elts=assess_sets, ctx=ast.Load())),
        pg._assign("AMONG", ast.Tuple(elts=among_sets, ctx=ast.Load())),
    ]
    module += ast.parse('''
def evaluate(spec, batch, population):
    """Every applicant of the population: a VectorResult (amounts in fen, statuses, shares, pools)."""
    return _vr.evaluate(spec, ASSESS, AMONG, batch, population)
''').body
    return pg._source(module)


def _version_body(policy: n.Policy, source_name: str) -> tuple[list[ast.stmt], list, list]:
    """Constants, tables and functions of one version, and its (measure, function) pairs."""
    m = _VectorModule(policy, source_name)
    measures = [(msr.name, m.measure(c, msr)) for c, msr in policy.all_measures()]
    rankings = []
    for _, ranking in policy.all_rankings():
        fname = "among_" + _identifier(ranking.name, ranking.span, "a ranking name")
        test = m.condition(ranking.among) if ranking.among is not None else _vr("TRUE")
        m.body.append(m._function(fname, ["c"], [ast.Return(test)], ranking.span))
        rankings.append((ranking.name, fname))
        for key in (ranking.key, *ranking.ties):
            _orderable(m, key, ranking.span)
    for _, pool in policy.all_pools():
        for key in pool.order:
            _orderable(m, key, pool.span)
    constants = [pg._assign(k, _call(_vr("const"), _const(text))) for text, k in m.constants.items()]
    return constants + m.body, measures, rankings


def _orderable(m: _VectorModule, key: n.OrderKey, span: n.Span) -> None:
    if key is None or key.kind != "fact":
        return
    kind = m.facts[key.name].type.kind if key.name in m.facts else None
    if kind not in ("integer", "decimal", "money", "area", "rate", "date", "year", "bool"):
        raise VectorUnsupported(f"ordering by `{key.name}` ({kind}) at {span} is not computed by the vector engine")
