"""Compile a checked policy into one readable Python module, built from `ast` nodes.

Policy text only ever becomes an `ast.Constant`; every identifier in the output
is made here and passes `_identifier` first. The module imports nothing but
`pol.runtime`, which does what every policy shares (reading a batch, rankings,
pools, exclusive groups); the module holds what is this policy's own.
"""

from __future__ import annotations

import ast
import datetime
import keyword
import re
from decimal import Decimal
from pathlib import Path

from dsl import diagnostics as diag
from dsl import nodes as n
from dsl.collector import pausing
from dsl.types import walk

from .describe import Describer
from .shapes import ExpressionShapes

_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Names the generated module defines itself; a policy's names must not shadow them.
_RESERVED = {"Batch", "Applicant", "SPEC", "evaluate", "evaluate_json", "read", "assess_quietly"}


class CompileError(Exception):
    def __init__(self, diagnostic: diag.Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _identifier(name: str, span: n.Span, what: str) -> str:
    """Every name that reaches the output as Python code passes here."""
    reason = None
    if not _SAFE_NAME.fullmatch(name):
        reason = "names start with a letter and hold only ASCII letters, digits and `_`"
    elif keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in ("None", "True", "False"):
        reason = "it is a word of the Python language the calculator is written in"
    elif name in _RESERVED:
        reason = "the generated calculator uses this name itself"
    if reason:
        raise CompileError(diag.make("reserved-name", span, name=name, what=what, reason=reason))
    return name


# ---------------------------------------------------------------- small ast builders


def _name(id_: str) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Load())


def _rt(attr: str) -> ast.Attribute:
    return ast.Attribute(value=_name("_rt"), attr=attr, ctx=ast.Load())


def _call(func: ast.expr, *args: ast.expr, **kwargs: ast.expr) -> ast.Call:
    return ast.Call(func=func, args=list(args), keywords=[ast.keyword(arg=k, value=v) for k, v in kwargs.items()])


def _const(value) -> ast.Constant:
    return ast.Constant(value=value)


def _attr(obj: ast.expr, attr: str) -> ast.Attribute:
    return ast.Attribute(value=obj, attr=attr, ctx=ast.Load())


def _assign(target: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value)


def _date(d: datetime.date) -> ast.Call:
    return _call(_rt("date"), _const(d.year), _const(d.month), _const(d.day))


def _decimal(value: Decimal) -> ast.Call:
    return _call(_rt("Decimal"), _const(str(value)))


def _tuple(items) -> ast.Tuple:
    return ast.Tuple(elts=list(items), ctx=ast.Load())


def _dict(pairs) -> ast.Dict:
    pairs = list(pairs)
    return ast.Dict(keys=[k for k, _ in pairs], values=[v for _, v in pairs])


def _located(node: ast.AST, span: n.Span) -> ast.AST:
    """Carry the .pol line into the Python tree, as hy does."""
    if span.line:
        _place(node, span.line, max(span.column - 1, 0))
    return node


def _place(node: ast.AST, line: int, column: int) -> None:
    """Give `line` to every statement and expression under `node` without one. A node placed
    already keeps its finer place (a condition's line inside its measure's), and its subtree
    is not walked again: each node is placed once however deep the nesting."""
    todo = [node]
    while todo:
        child = todo.pop()
        if isinstance(child, (ast.stmt, ast.expr)):
            if getattr(child, "lineno", None) is not None:
                continue
            child.lineno = child.end_lineno = line
            child.col_offset = child.end_col_offset = column
        todo.extend(ast.iter_child_nodes(child))


# ---------------------------------------------------------------- the compiler


class _Module(ExpressionShapes):
    def __init__(self, policy: n.Policy, source_name: str):
        self.policy = policy
        self.source_name = source_name
        self.words = Describer(policy)
        self.facts = {f.name: f for f in policy.facts}
        self.windows = {w.name: w for w in policy.header.windows}
        self.constants: dict[str, str] = {}  # value text -> name
        self.body: list[ast.stmt] = []
        self.quantum = policy.header.rounding.quantum.value if policy.header.rounding else Decimal("0.01")
        self.rounding = policy.header.rounding.mode if policy.header.rounding else "half_up"
        self.tables: set[str] = set()
        self.days: dict[str, datetime.date] = {}
        self.explaining = True  # False while writing a measure's quiet function: no trace to write to

    def source_of(self, span: n.Span) -> str:
        """`file:line` of a node: the policy's file, or the amendment's that brought the node in."""
        if span.file != self.policy.path and span.line:
            return f"{Path(span.file).name}:{span.line}"
        return f"{self.source_name}:{span.line}"

    # -- constants are hoisted to module level so a measure builds no Decimal per call
    def constant(self, value: Decimal) -> ast.Name:
        text = str(value)
        if text not in self.constants:
            self.constants[text] = f"K{len(self.constants) + 1}"
        return _name(self.constants[text])

    def day(self, d: datetime.date) -> ast.Name:
        """Dates hoisted like the Decimal constants: `D2021_01_01`."""
        name = f"D{d:%Y_%m_%d}"
        self.days[name] = d
        return _name(name)

    # -- facts
    def fact_ref(self, name: str, span: n.Span) -> ast.expr:
        fact = self.facts[name]
        owner = "b" if fact.scope == "batch" else "a"
        return _attr(_name(owner), _identifier(name, fact.span, "a fact name"))

    # -- values inside conditions: an absent fact is "not applicable"
    def cvalue(self, expr) -> ast.expr:
        match expr:
            case n.Quantity(value=v):
                return self.constant(v)
            case n.DateLiteral(value=d):
                return self.day(d)
            case n.Ref(name=name):
                ref = self.fact_ref(name, expr.span)
                if self.kind_of(expr) == "number":
                    # Absent is 0 (runtime.num), written inline: conditions run for every applicant.
                    return ast.IfExp(test=ast.Compare(ref, [ast.Is()], [_const(None)]), body=_const(0),
                                     orelse=self.fact_ref(name, expr.span))
                return ref
            case n.PercentOf(percent=p, operand=op):
                return ast.BinOp(self.constant(p.value / 100), ast.Mult(), self.cvalue(op))
            case n.Arith(op=op, left=left, right=right):
                if self.kind_of(left) == self.kind_of(right) == "number":
                    return ast.BinOp(self.cvalue(left), _BINOPS[op](), self.cvalue(right))
                # A year or a count of years may be absent: the result is then absent too.
                return _call(_rt("arith"), _const(op), self.cvalue(left), self.cvalue(right))
            case n.Negate(operand=op):
                return ast.UnaryOp(ast.USub(), self.cvalue(op))
            case n.Converted(operand=op, rate=rate):
                return ast.BinOp(self.cvalue(op), ast.Mult(), self.cvalue(rate))
            case n.YearOf(operand=op):
                return _call(_rt("year_of"), self.cvalue(op))
            case n.FirstFullYearAfter(operand=op):
                return _call(_rt("first_full_year_after"), self.cvalue(op))
            case n.FullYearsSince(operand=op):
                return _call(_rt("full_years"), self.cvalue(op), self.fact_ref("as_of", expr.span))
        return self.condition(expr)

    def condition(self, expr) -> ast.expr:
        match expr:
            case n.And(operands=ops):
                return ast.BoolOp(ast.And(), [self.condition(o) for o in ops])
            case n.Or(operands=ops):
                return ast.BoolOp(ast.Or(), [self.condition(o) for o in ops])
            case n.Not(operand=op):
                return ast.UnaryOp(ast.Not(), self.condition(op))
            case n.Compare(op=op, left=left, right=right):
                if self.is_enum_literal(right, left):
                    l_ast, r_ast = self.cvalue(left), _const(self.enum_code(right))
                elif self.is_enum_literal(left, right):
                    l_ast, r_ast = _const(self.enum_code(left)), self.cvalue(right)
                elif self.kind_of(left) == self.kind_of(right) == "number":
                    return ast.Compare(self.cvalue(left), [_CMPOPS[op]()], [self.cvalue(right)])
                else:
                    l_ast, r_ast = self.cvalue(left), self.cvalue(right)
                return _call(_rt("compare"), _const(op), l_ast, r_ast)
            case n.Within(operand=op, window=window):
                if window is None:
                    start, end = self.policy.header.period.start, self.policy.header.period.end
                else:
                    w = self.windows[window]
                    start, end = w.start, w.end
                return _call(_rt("within"), self.cvalue(op), self.day(start), self.day(end))
            case n.IsGiven(operand=n.Ref(name=name) as op):
                # The fact itself, not its value in a condition (where an absent number reads as 0).
                return ast.Compare(self.fact_ref(name, op.span), [ast.IsNot()], [_const(None)])
            case n.IsGiven(operand=op):
                return ast.Compare(self.cvalue(op), [ast.IsNot()], [_const(None)])
            case n.RankedIn(ranking=name):
                return _call(_attr(_name("ctx"), "ranked"), _const(name), _name("a"))
            case n.Ref(name=name) if self.facts[name].type.kind == "bool":
                return ast.Compare(self.fact_ref(name, expr.span), [ast.Is()], [_const(True)])
        raise AssertionError(f"not a condition: {expr!r}")  # the checker refuses these first

    # -- values inside amounts: an absent fact is an error once the conditions hold
    def amount(self, expr, measure: n.Measure) -> ast.expr:
        match expr:
            case n.Quantity(value=v):
                return self.constant(v)
            case n.Ref(name=name):
                return _call(_rt("need"), self.fact_ref(name, expr.span), _const(name))
            case n.PercentOf(percent=p, operand=op):
                return ast.BinOp(self.constant(p.value / 100), ast.Mult(), self.amount(op, measure))
            case n.Arith(op=op, left=left, right=right):
                return ast.BinOp(self.amount(left, measure), _BINOPS[op](), self.amount(right, measure))
            case n.Negate(operand=op):
                return ast.UnaryOp(ast.USub(), self.amount(op, measure))
            case n.Converted(operand=op, rate=rate):
                return ast.BinOp(self.amount(op, measure), ast.Mult(), self.amount(rate, measure))
            case n.YearOf(operand=op) | n.FirstFullYearAfter(operand=op) | n.FullYearsSince(operand=op):
                # A count of years in an amount: its date must be given, like any fact an amount reads.
                return _call(_rt("need"), self.cvalue(expr), _const(op.name if isinstance(op, n.Ref) else "a date"))
            case n.PerUnit(rate=rate, count=count):
                return ast.BinOp(_name("unit"), ast.Mult(), self.amount(count, measure))
            case n.PerIncrement(rate=rate, step=step, operand=op, threshold=threshold):
                return _call(_rt("per_increment"), self.amount(rate, measure), self.constant(step.value),
                             self.amount(op, measure), self.constant(threshold.value))
            case n.ByTable(key=key, entries=entries):
                table, reasons = self.table(measure, entries)
                return _call(_rt("lookup"), table, self.fact_ref(key.name, key.span), self.trace(), reasons,
                             _const(key.name))
            case n.EachAtTable(counts=counts, entries=entries):
                table, reasons = self.table(measure, entries)
                return _call(_rt("each_at"), table, self.fact_ref(counts.name, counts.span), self.trace(), reasons,
                             _const(counts.name))
        raise AssertionError(f"not an amount: {expr!r}")

    def trace(self) -> ast.expr:
        """Where a table lookup writes its reasons: the measure's trace, or None in `assess_quietly`."""
        return _name("t") if self.explaining else _const(None)

    def table(self, measure: n.Measure, entries) -> tuple[ast.Name, ast.Name]:
        name = _identifier(f"TABLE_{measure.name}", measure.span, "a measure name")
        reasons_name = f"NOTHING_{measure.name}"
        if name not in self.tables:  # the explained and the quiet function share one table
            self.tables.add(name)
            self.body.append(_assign(name, _dict((_const(e.key), self.constant(e.value.value) if isinstance(
                e.value, n.Quantity) else self.amount(e.value, measure)) for e in entries if e.value is not None)))
            self.body.append(_assign(reasons_name, _dict(
                (_const(e.key), _tuple([_const(e.reason.en or ""), _const(e.reason.zh or "")]))
                for e in entries if e.value is None)))
        return _name(name), _name(reasons_name)

    # -- one function per measure
    def measure(self, clause: n.Clause, measure: n.Measure) -> str:
        fname = "measure_" + _identifier(measure.name, measure.span, "a measure name")
        body: list[ast.stmt] = [_assign("t", _call(_rt("Trace")))]
        conjuncts = measure.condition.operands if isinstance(measure.condition, n.And) else (
            (measure.condition,) if measure.condition is not None else ())
        for cond in conjuncts:
            args = [self.condition(cond), _const(self.words.condition(cond, "en")),
                    _const(self.words.condition(cond, "zh"))]
            shown = self.shown(cond)
            if shown is not None:
                args.append(shown)
            body.append(_located(ast.Expr(_call(_attr(_name("t"), "check"), *args)), cond.span))
        body.append(ast.If(test=ast.UnaryOp(ast.Not(), _attr(_name("t"), "held")),
                           body=[ast.Return(_call(_rt("refuse"), _name("t")))], orelse=[]))
        body += self.amount_steps(measure)
        if isinstance(measure.amount, n.PerUnit):
            body.append(ast.Assign(targets=[ast.Attribute(value=_name("t"), attr="unit", ctx=ast.Store())],
                                   value=_name("unit")))
        caps = []
        for cap in measure.caps:
            label_en = cap.label.en if cap.label and cap.label.en else self.words.value(cap.amount, "en")
            label_zh = cap.label.zh if cap.label and cap.label.zh else self.words.value(cap.amount, "zh")
            caps.append(_tuple([self.amount(cap.amount, measure), _const(label_en), _const(label_zh)]))
        body.append(ast.Return(_call(
            _rt("settle"), _name("t"), _name("amount"), ast.List(elts=caps, ctx=ast.Load()),
            _const(self.rounding), self.constant(self.quantum),
            _const(self.words.value(measure.amount, "en")), _const(self.words.value(measure.amount, "zh")))))
        title = measure.title.en if measure.title and measure.title.en else measure.name
        doc = f"({clause.numeral}) {title}.\n\n    Source: {self.source_of(measure.span)}\n    "
        self.body.append(self._function(fname, ["a", "b", "ctx"], [ast.Expr(_const(doc)), *body], measure.span))
        return fname

    def amount_steps(self, measure: n.Measure) -> list[ast.stmt]:
        """What both functions of a measure do once its conditions hold, in this order, so a
        missing fact is reported alike: the payee's county, the unit, the amount."""
        steps: list[ast.stmt] = []
        payee_county = self.payee_county(measure)
        if payee_county is not None:
            # Paid to the applicant's county: with no county there is no one to pay.
            steps.append(ast.Expr(_call(_rt("need"), self.fact_ref(payee_county, measure.span),
                                        _const(payee_county))))
        if isinstance(measure.amount, n.PerUnit):
            steps.append(_assign("unit", self.amount(measure.amount.rate, measure)))
        steps.append(_located(_assign("amount", self.amount(measure.amount, measure)), measure.amount.span))
        return steps

    def quiet_section(self, index: int, measure: n.Measure) -> list[ast.stmt]:
        """One measure's part of `assess_quietly`: its amount when its conditions hold, else
        NOT_ELIGIBLE when it concerns the applicant. The same conditions, amount and caps as
        `measure_<M>`, in the same order, so a missing fact is reported alike."""
        self.explaining = False
        try:
            settle = self.amount_steps(measure)
            caps = _tuple(self.amount(cap.amount, measure) for cap in measure.caps)
            settle.append(_found(index, _call(_rt("settle_quiet"), _name("amount"), caps, _const(self.rounding),
                                               self.constant(self.quantum))))
        finally:
            self.explaining = True
        if measure.condition is None:
            return settle
        given = [ast.Compare(self.fact_ref(f, measure.span), [ast.IsNot()], [_const(None)])
                 for f in self.relevant(measure)]
        concerned = [] if not given else [ast.If(
            test=given[0] if len(given) == 1 else ast.BoolOp(ast.Or(), given),
            body=[_found(index, _rt("NOT_ELIGIBLE"))], orelse=[])]
        return [_located(ast.If(test=self.condition(measure.condition), body=settle, orelse=concerned),
                         measure.span)]

    def assess_quietly(self, measures: list[n.Measure]) -> ast.FunctionDef:
        """Every measure for one applicant, amounts only, in one function: most assessments of a
        large batch are never read, and awards explain themselves on demand (`measure_<M>`)."""
        doc = ("Every measure's amount for one applicant, without explaining it: (measure index, amount)\n"
               "    for each measure whose conditions hold, (measure index, NOT_ELIGIBLE) for each that\n"
               "    concerns the applicant without holding; the others are left out.\n    ")
        body: list[ast.stmt] = [ast.Expr(_const(doc)), _assign("found", ast.List(elts=[], ctx=ast.Load()))]
        for index, measure in enumerate(measures):
            body += self.quiet_section(index, measure)
        body.append(ast.Return(_name("found")))
        return self._function("assess_quietly", ["a", "b", "ctx"], body, self.policy.span)

    def relevant(self, measure: n.Measure) -> list[str]:
        """The applicant's own facts the measure reads: given any, it is worth reporting."""
        return sorted({name for name in _facts_used(measure) if name in self.facts and not self.facts[name].general
                       and self.facts[name].scope == "applicant"})

    def shown(self, cond) -> ast.expr | None:
        """The value an explanation shows beside a condition: the fact it tests."""
        match cond:
            case n.Compare(left=left) if not isinstance(left, (n.Quantity, n.Percent)):
                return self.cvalue(left) if not isinstance(left, n.Ref) else self.fact_ref(left.name, left.span)
            case n.Within(operand=n.Ref(name=name)):
                return self.fact_ref(name, cond.span)
        return None

    def _function(self, name: str, params: list[str], body: list[ast.stmt], span: n.Span) -> ast.FunctionDef:
        fn = ast.FunctionDef(name=name, args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=p) for p in params], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=body, decorator_list=[], returns=None, type_params=[])
        return _located(fn, span)

    # -- the typed API
    def fact_class(self, cls: str, scope: str, doc: str) -> ast.ClassDef:
        body: list[ast.stmt] = [ast.Expr(_const(doc))]
        for fact in (f for f in self.policy.facts if f.scope == scope):
            required = fact.type.kind == "identifier" or (scope == "batch" and fact.required)
            annotation = _annotation(fact.type)
            body.append(ast.AnnAssign(
                target=ast.Name(id=_identifier(fact.name, fact.span, "a fact name"), ctx=ast.Store()),
                annotation=annotation if required else ast.BinOp(annotation, ast.BitOr(), _const(None)),
                value=None if required else _const(None), simple=1))
        return ast.ClassDef(name=cls, bases=[], keywords=[], body=body, decorator_list=[_rt("facts_class")],
                            type_params=[])

    def batch_defaults(self) -> ast.FunctionDef:
        body: list[ast.stmt] = [ast.Expr(_const("Fill the batch facts that have a default in the policy."))]
        for fact in (f for f in self.policy.facts if f.scope == "batch" and f.default is not None):
            key = _const(fact.name)
            value = _DefaultValues(self).cvalue(fact.default)
            body.append(ast.If(
                test=ast.Compare(_call(_attr(_name("values"), "get"), key), [ast.Is()], [_const(None)]),
                body=[ast.Assign(targets=[ast.Subscript(value=_name("values"), slice=key, ctx=ast.Store())],
                                 value=value)], orelse=[]))
        return self._function("_batch_defaults", ["values"], body, self.policy.span)


class _DefaultValues(_Module):
    """Defaults of batch facts are computed from the other batch facts, held in a dict."""

    def __init__(self, parent: _Module):
        self.__dict__.update(parent.__dict__)

    def fact_ref(self, name: str, span: n.Span) -> ast.expr:
        return ast.Subscript(value=_name("values"), slice=_const(name), ctx=ast.Load())


_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult}
_CMPOPS = {">=": ast.GtE, ">": ast.Gt, "<=": ast.LtE, "<": ast.Lt, "=": ast.Eq, "!=": ast.NotEq}


def _found(index: int, value: ast.expr) -> ast.Expr:
    """`found.append((index, value))` in `assess_quietly`."""
    return ast.Expr(_call(_attr(_name("found"), "append"), _tuple([_const(index), value])))


def _annotation(t: n.TypeRef) -> ast.expr:
    match t.kind:
        case "bool":
            return _name("bool")
        case "integer" | "year":
            return _name("int")
        case "decimal" | "money" | "area" | "rate":
            return _rt("Decimal")
        case "date":
            return _rt("date")
        case "count_map":
            return ast.Subscript(value=_name("dict"), slice=_tuple([_name("str"), _name("int")]), ctx=ast.Load())
    return _name("str")


def _percent(burden: n.Burden | None) -> Decimal | None:
    if burden is None or burden.kind == "settlement":
        return None
    return burden.city


@pausing
def compile_policy(policy: n.Policy, source_name: str | None = None) -> str:
    """The Python source of the calculator. The policy must have passed `dsl.checks.check`."""
    source_name = source_name or Path(policy.path).name
    m = _Module(policy, source_name)
    header = policy.header
    measures = [(c, msr, m.measure(c, msr)) for c, msr in policy.all_measures()]
    rankings = []
    for clause, ranking in policy.all_rankings():
        fname = "among_" + _identifier(ranking.name, ranking.span, "a ranking name")
        test = m.condition(ranking.among) if ranking.among is not None else _const(True)
        m.body.append(m._function(fname, ["a", "b"], [ast.Return(test)], ranking.span))
        keys = [ranking.key, *ranking.ties]
        rankings.append(_call(_rt("RankingSpec"), name=_const(ranking.name), top=_const(ranking.top),
                              among=_name(fname), keys=_order_keys(keys, descending_default=True)))
    default_burden = policy.default_burden()
    measure_specs = []
    for clause, msr, fname in measures:
        own = m.relevant(msr)
        title = msr.title or n.Bilingual(msr.name, msr.name)
        measure_specs.append(_call(
            _rt("MeasureSpec"), name=_const(msr.name), clause=_const(clause.number), numeral=_const(clause.numeral),
            kind=_const(msr.kind), title_zh=_const(title.zh or msr.name), title_en=_const(title.en or msr.name),
            assess=_name(fname), relevant=_tuple(_const(f) for f in own), payee=_const(msr.payee or "applicant"),
            city_percent=_const(None) if _percent(msr.burden or default_burden) is None
            else m.constant(_percent(msr.burden or default_burden)),
            source=_const(m.source_of(msr.span))))
    pools = []
    for clause, pool in policy.all_pools():
        title = pool.title or n.Bilingual(pool.name, pool.name)
        pools.append(_call(_rt("PoolSpec"), name=_const(pool.name), limit=m.constant(pool.limit.value),
                           funds=_tuple(_const(f) for f in pool.funds),
                           order=_order_keys(pool.order, descending_default=False),
                           whole_units=_const(pool.whole_units), title_zh=_const(title.zh or pool.name),
                           title_en=_const(title.en or pool.name)))
    exclusives = []
    for clause, group in policy.all_exclusives():
        title = group.title or n.Bilingual(group.name, group.name)
        exclusives.append(_call(_rt("ExclusiveSpec"), name=_const(group.name),
                                members=_tuple(_const(x) for x in group.members),
                                against=_const(group.against), title_zh=_const(title.zh or group.name),
                                title_en=_const(title.en or group.name), clause=_const(clause.number),
                                numeral=_const(clause.numeral)))
    facts = [_call(_rt("FactSpec"), name=_const(f.name), kind=_const(f.type.kind), scope=_const(f.scope),
                   unit=_const(f.type.per_unit if f.type.kind == "rate" else f.type.unit),
                   enum=_const(f.type.per_unit if f.type.kind == "rate" else f.type.enum),
                   general=_const(f.general), required=_const(f.required),
                   label_zh=_const(f.label.zh or ""), label_en=_const(f.label.en or ""))
             for f in policy.facts]
    enums = _dict((_const(e.name), _tuple(_tuple([_const(v.code), _const(v.label.zh or ""), _const(v.label.en or "")])
                                          for v in e.values)) for e in policy.enumerations)
    jurisdiction = next((f.name for f in policy.facts if f.jurisdiction), None)
    m.body.append(m.assess_quietly([msr for _, msr, _ in measures]))
    m.body.append(m.batch_defaults())
    title = header.title or n.Bilingual(header.name, header.name)
    spec = _call(
        _rt("PolicySpec"), id=_const(header.name), title_zh=_const(title.zh or ""), title_en=_const(title.en or ""),
        period_start=_date(header.period.start), period_end=_date(header.period.end),
        rounding=_const(m.rounding), quantum=m.constant(m.quantum),
        facts=_tuple(facts), enums=enums, measures=_tuple(measure_specs), rankings=_tuple(rankings),
        pools=_tuple(pools), exclusives=_tuple(exclusives), jurisdiction=_const(jurisdiction),
        batch_defaults=_name("_batch_defaults"), quick=_name("assess_quietly"))

    doc = (f"Calculator for `{header.name}`: {title.en or ''}\n{title.zh or ''}\n\n"
           f"Generated by pol from {source_name}. Do not edit: change the policy and compile again.\n\n"
           "    evaluate_json(batch_dict) -> result_dict     # the JSON contract of `pol eval`\n"
           "    read(batch_dict) -> (Batch, [Applicant])     # typed facts, checked\n"
           "    evaluate(batch, applicants) -> BatchResult   # typed results\n")
    module: list[ast.stmt] = [
        ast.Expr(_const(doc)),
        ast.ImportFrom(module="pol", names=[ast.alias(name="runtime", asname="_rt")], level=0),
        m.fact_class("Batch", "batch", "The facts of a whole batch: one award year."),
        m.fact_class("Applicant", "applicant", "The facts of one applicant; an absent fact is None."),
    ]
    module += [_assign(name, _decimal(Decimal(text))) for text, name in m.constants.items()]
    module += [_assign(name, _date(d)) for name, d in sorted(m.days.items())]
    module += m.body
    module.append(_assign("SPEC", spec))
    module += _entry_points()
    return _source(module)


def _source(module: list[ast.stmt]) -> str:
    """The module's text. The parts made without a .pol line (imports, constants, SPEC) are
    placed at line 1, as ast.fix_missing_locations would, without walking again the measures
    placed already (on a policy of 1,000 measures that walk cost a third of compiling)."""
    tree = ast.Module(body=module, type_ignores=[])
    _place(tree, 1, 0)
    return ast.unparse(tree) + "\n"


def _entry_points() -> list[ast.stmt]:
    source = '''
def read(data):
    """Check a batch given as JSON data (its applicants a list, or an iterator read as it goes)
    and build its typed facts; raises BatchError."""
    return _rt.read_batch(SPEC, data, Batch, Applicant)

def evaluate(batch, applicants):
    """Evaluate typed facts: a BatchResult with every award, which writes its reasons
    (why, why_zh) when they are first read."""
    return _rt.evaluate(SPEC, batch, applicants)

def evaluate_json(data):
    """The JSON contract of `pol eval --format json`."""
    return _rt.evaluate_json(SPEC, data, Batch, Applicant)
'''
    # Fixed text of the compiler's own, not of the policy: parsed, never formatted with policy data.
    return ast.parse(source).body


def _order_keys(keys, descending_default: bool) -> ast.Tuple:
    out = []
    for key in keys:
        descending = descending_default if key.descending is None else key.descending
        out.append(_tuple([_const(key.kind), _const(key.name), _const(descending)]))
    return _tuple(out)


def _facts_used(measure: n.Measure) -> list[str]:
    """Every name a measure's condition, amount and caps refer to, in source order."""
    exprs = [measure.condition, measure.amount, *(cap.amount for cap in measure.caps)]
    return [node.name for expr in exprs for node in walk(expr) if isinstance(node, n.Ref)]


# ---------------------------------------------------------------- a policy with amendments


@pausing
def compile_versions(versions, source_name: str | None = None) -> str:
    """One module for a policy and its amendments, with entry points that read and evaluate a
    batch by the version in force on its `as_of`. `versions` are `dsl.amend.Version`s, oldest
    first, all checked.

    The version in force last reads as a policy without amendments would (`measure_M7`, `SPEC`,
    `Batch`); each earlier one is compiled by `compile_policy` alone and its module-level names
    prefixed (`V1_measure_M7`), so every version's code is the code it would have on its own.
    """
    base = versions[0].policy
    source_name = source_name or Path(base.path).name
    body: list[ast.stmt] = []
    entry_points: list[ast.stmt] = []
    entries = []
    files: list[str] = []
    for index, version in enumerate(versions, start=1):
        prefix = "" if index == len(versions) else f"V{index}_"
        tree = ast.parse(compile_policy(version.policy, source_name))
        statements = [s for s in tree.body[1:] if not isinstance(s, ast.ImportFrom)]
        entry_points = [s for s in statements if isinstance(s, ast.FunctionDef) and s.name in _ENTRY_POINTS]
        statements = [s for s in statements if s not in entry_points]
        if prefix:
            renamer = _Prefixed({name for s in statements for name in _defines(s)}, prefix)
            statements = [renamer.visit(s) for s in statements]
        body += statements
        entries.append(_call(_rt("VersionSpec"), effective=_date(version.effective), spec=_name(prefix + "SPEC"),
                             batch_cls=_name(prefix + "Batch"), applicant_cls=_name(prefix + "Applicant"),
                             amendments=_tuple(_const(a.name) for a in version.amendments)))
        for a in version.amendments:
            line = f"    {Path(a.path).name}: {a.name}, in force from {a.effective}\n"
            if line not in files:
                files.append(line)
    header = base.header
    title = header.title or n.Bilingual(header.name, header.name)
    listing = "".join(
        f"    from {v.effective}: " + (f"with {', '.join(a.name for a in v.amendments)}" if v.amendments
                                     else "as issued")
        + (f" (names prefixed V{i}_)" if i < len(versions) else " (the names without a prefix)") + "\n"
        for i, v in enumerate(versions, start=1))
    doc = (f"Calculator for `{header.name}`: {title.en or ''}\n{title.zh or ''}\n\n"
           f"Generated by pol from {source_name} and its amendments:\n{''.join(files)}"
           "Do not edit: change the policy or its amendments and compile again.\n\n"
           f"One calculator per version; a batch is evaluated by the version in force on its as_of:\n{listing}\n"
           "    evaluate_json(batch_dict) -> result_dict     # the JSON contract of `pol eval`\n"
           "    read(batch_dict) -> (Batch, [Applicant])     # typed facts, checked\n"
           "    evaluate(batch, applicants) -> BatchResult   # typed results\n"
           "    spec_on(date) -> PolicySpec                  # the version in force on a day\n")
    module: list[ast.stmt] = [
        ast.Expr(_const(doc)),
        ast.ImportFrom(module="pol", names=[ast.alias(name="runtime", asname="_rt")], level=0),
        *body,
        _assign("VERSIONS", _tuple(entries)),
        # SPEC knows every version: the runtime reads and evaluates a batch by the one in force on its as_of.
        _assign("SPEC", _call(_rt("with_versions"), _name("SPEC"), _name("VERSIONS"))),
        *_versioned_entry_points(),
        *entry_points,
    ]
    return _source(module)


_ENTRY_POINTS = ("read", "evaluate", "evaluate_json")


def _defines(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    return []


class _Prefixed(ast.NodeTransformer):
    """Prefix the names a version defines at module level, wherever they are used.

    The fields of the Batch and Applicant classes are facts' names, not module names: they stay."""

    def __init__(self, names: set[str], prefix: str):
        self.names = names
        self.prefix = prefix

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            node.id = self.prefix + node.id
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        if node.name in self.names:
            node.name = self.prefix + node.name
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        if node.name in self.names:
            node.name = self.prefix + node.name
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign):
                statement.annotation = self.visit(statement.annotation)
                if statement.value is not None:
                    statement.value = self.visit(statement.value)
            else:
                self.visit(statement)
        return node


def _versioned_entry_points() -> list[ast.stmt]:
    source = '''
def spec_on(day):
    """The PolicySpec of the version in force on a day (a datetime.date)."""
    return _rt.version_on(VERSIONS, day).spec
'''
    # Fixed text of the compiler's own, not of the policy: parsed, never formatted with policy data.
    return ast.parse(source).body
