"""Deep checks: what a policy means, beyond whether it is well formed.

Each family takes `(policy, env)` and yields diagnostics, like those of
`dsl.checks`, which runs them after its own:

- coverage: a table value deliberately paid nothing is shown with its reason;
- bounds: a cap that can never bind, or always binds, given the other caps and
  the least and most the amount can be under the measure's conditions;
- conditions: a condition that can never hold or always holds, thresholds that
  contradict each other, measures of one clause whose thresholds form tiers that
  overlap or leave a gap;
- the text against the code: every number a measure, pool or ranking uses is in
  its clause's Chinese text, with the comparison the text's words state.

The reasoning is interval arithmetic over the facts' domains (numbers are never
negative and an absent number counts as 0, as `pol.runtime` reads them). It is
sound but not complete: where it cannot tell, it says nothing. Like every check,
it never raises on an AST the parser builds, however wrong.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, localcontext
from typing import Iterator

import attrs

from . import diagnostics as diag
from . import legal_text
from . import nodes as n
from . import types as t

INF = Decimal("Infinity")
_FLIP = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "=": "!=", "!=": "="}
_MIRROR = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "=": "=", "!=": "!="}
_OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "=": "equal to",
             "!=": "not equal to"}


def families():
    """The deep checks, in the order they run."""
    return (table_nothing, conditions, tiers, caps, text_agreement)


# ---------------------------------------------------------------- intervals


@attrs.frozen
class Interval:
    """A set of values between two bounds; None is unbounded. Dates and numbers alike."""

    lo: object = None
    hi: object = None
    lo_open: bool = False
    hi_open: bool = False

    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))

    def meet(self, other: "Interval") -> "Interval":
        lo, lo_open = _tighter(self.lo, self.lo_open, other.lo, other.lo_open, low=True)
        hi, hi_open = _tighter(self.hi, self.hi_open, other.hi, other.hi_open, low=False)
        return Interval(lo, hi, lo_open, hi_open)

    def within(self, other: "Interval") -> bool:
        """Whether every value of this interval is in `other`."""
        if self.empty():
            return True
        if other.lo is not None:
            if self.lo is None or self.lo < other.lo or (self.lo == other.lo and other.lo_open and not self.lo_open):
                return False
        if other.hi is not None:
            if self.hi is None or self.hi > other.hi or (self.hi == other.hi and other.hi_open and not self.hi_open):
                return False
        return True

    def whole(self) -> "Interval":
        """The same set of whole numbers, with closed bounds: `> 4` is `>= 5`."""
        lo, hi = self.lo, self.hi
        if isinstance(lo, Decimal):
            ceil = lo.to_integral_value(rounding="ROUND_CEILING")
            lo = ceil + 1 if self.lo_open and ceil == lo else ceil
        if isinstance(hi, Decimal):
            floor = hi.to_integral_value(rounding="ROUND_FLOOR")
            hi = floor - 1 if self.hi_open and floor == hi else floor
        return Interval(lo, hi)


def _tighter(a, a_open, b, b_open, low: bool):
    if a is None:
        return b, b_open
    if b is None:
        return a, a_open
    if a == b:
        return a, a_open or b_open
    if (a > b) == low:
        return a, a_open
    return b, b_open


def _from_op(op: str, value) -> Interval:
    return {
        ">=": Interval(lo=value), ">": Interval(lo=value, lo_open=True),
        "<=": Interval(hi=value), "<": Interval(hi=value, hi_open=True),
        "=": Interval(value, value),
    }[op]


# ---------------------------------------------------------------- reading conditions


@attrs.frozen
class Atom:
    """One comparison of a condition, read as a constraint on one term."""

    term: object  # the expression constrained (a fact, `full years since ...`); compared by value
    kind: str  # "range", "enum", "bool", "given"
    range: Interval | None = None
    values: frozenset | None = None  # enum: the values allowed; bool: {True} or {False}
    node: object = None  # the comparison as written
    negated: bool = False


class Domains:
    """What a term can be: numbers never negative, counts whole, absent numbers 0."""

    def __init__(self, env: t.TypeEnv):
        self.env = env

    def ty(self, expr) -> t.Ty | None:
        try:
            return self.env.infer(expr)
        except Exception:  # a tree the type rules never saw: no opinion
            return None

    def always_defined(self, expr) -> bool:
        """A number that is never absent in a condition (an absent fact counts as 0)."""
        for node in t.walk(expr):
            if isinstance(node, n.Ref):
                f = self.env.fact(node.name)
                if f is None or t.ty_of_fact(f.type).kind not in ("number", "rate"):
                    return False
            elif not isinstance(node, (n.Quantity, n.Percent, n.PercentOf, n.Arith, n.Negate, n.Converted)):
                return False
        return True

    def of(self, term) -> Interval:
        ty = self.ty(term)
        if ty is None or ty.kind != "number":
            return Interval()
        found = bounds(term, {}, self, condition=True)
        return found.whole() if ty.integer else found

    def integer(self, term) -> bool:
        ty = self.ty(term)
        return ty is not None and ty.kind == "number" and ty.integer


def _constant(expr):
    """The value of a written constant, or None: `50万元`, `-3`, a date."""
    if isinstance(expr, n.Quantity):
        return expr.value
    if isinstance(expr, n.Negate) and isinstance(expr.operand, n.Quantity):
        return -expr.operand.value
    if isinstance(expr, n.DateLiteral):
        return expr.value
    return None


def literals(expr, positive: bool = True) -> Iterator[tuple[object, bool]]:
    """The conjuncts of a condition in negation normal form, each with its polarity.
    A disjunction among them is yielded whole (it constrains nothing on its own)."""
    stack = [(expr, positive)]
    out = []
    while stack:
        node, pos = stack.pop()
        if isinstance(node, n.Not):
            stack.append((node.operand, not pos))
        elif (isinstance(node, n.And) and pos) or (isinstance(node, n.Or) and not pos):
            stack.extend((o, pos) for o in reversed(node.operands))
        else:
            out.append((node, pos))
    return iter(out)


def atom_of(node, positive: bool, domains: Domains) -> Atom | None:
    """The constraint one literal puts on one term, when it is simple enough to read."""
    env = domains.env
    if isinstance(node, n.Ref):
        f = env.fact(node.name)
        if f is not None and f.type.kind == "bool":
            return Atom(node, "bool", values=frozenset({positive}), node=node, negated=not positive)
        return None
    if isinstance(node, n.IsGiven) and isinstance(node.operand, n.Ref) and env.fact(node.operand.name):
        return Atom(node.operand, "given", values=frozenset({positive}), node=node, negated=not positive)
    if isinstance(node, n.Within) and positive:
        window = _window(env.policy, node.window)
        ty = domains.ty(node.operand)
        if window is None or ty is None or ty.kind != "date":
            return None
        return Atom(node.operand, "range", range=Interval(window[0], window[1]), node=node)
    if not isinstance(node, n.Compare):
        return None
    left, right, op = node.left, node.right, node.op
    enum = _enum_compare(node, env)
    if enum is not None:
        term, code = enum
        if op not in ("=", "!="):
            return None
        values = env.enum_values(env.fact(term.name).type.enum) or []
        matching = frozenset(v for v in values if _same_code(v, code))
        everything = frozenset(values) | {None}  # None: the fact is absent
        equal = op == "="
        if positive:
            allowed = matching if equal else frozenset(values) - matching
        else:  # not (x = v) holds when x is absent too; not (x != v) only when x is v
            allowed = everything - matching if equal else matching
        return Atom(term, "enum", values=allowed, node=node, negated=not positive)
    if _constant(right) is None and _constant(left) is not None:
        left, right, op = right, left, _MIRROR[op]
    value = _constant(right)
    if value is None or _constant(left) is not None or op in ("=", "!=") and not isinstance(value, Decimal):
        return None
    if not _units_agree(left, right, domains):
        return None
    if not positive:
        if not domains.always_defined(left):
            return None  # `not (date >= d)` also holds when the date is absent: no interval says that
        op = _FLIP[op]
    if op == "!=":
        return None
    return Atom(left, "range", range=_from_op(op, value), node=node, negated=not positive)


def _units_agree(term, constant, domains: Domains) -> bool:
    if isinstance(constant, n.DateLiteral):
        ty = domains.ty(term)
        return ty is not None and ty.kind == "date"
    ty = domains.ty(term)
    if ty is None or ty.kind not in ("number", "year"):
        return False
    q = constant.operand if isinstance(constant, n.Negate) else constant
    return ty.unit == q.unit or (q.unit is None and (q.value == 0 or ty.kind == "year"))


def _enum_compare(node: n.Compare, env: t.TypeEnv):
    """`level = national` or `stars = 5`: the enumeration fact and the code compared with it."""
    for term, other in ((node.left, node.right), (node.right, node.left)):
        if isinstance(term, n.Ref) and env.fact(term.name) is not None and env.fact(term.name).type.kind == "enum":
            if isinstance(other, n.Ref) and env.fact(other.name) is None:
                return term, other.name
            if isinstance(other, n.Quantity) and other.unit is None:
                return term, other.text
    return None


def _same_code(code: str, written: str) -> bool:
    if code == written:
        return True
    try:
        return Decimal(code) == Decimal(written)
    except Exception:
        return False


def _window(policy: n.Policy, name: str | None):
    h = policy.header
    if h is None:
        return None
    if name is None:
        return (h.period.start, h.period.end) if h.period is not None else None
    for w in h.windows:
        if w.name == name:
            return w.start, w.end
    return None


# ---------------------------------------------------------------- bounds of amounts


def bounds(expr, known: dict, domains: Domains, condition: bool = False) -> Interval:
    """The least and most an amount (or a number in a condition) can be; `known` holds
    what the measure's conditions say about its terms."""
    with localcontext() as ctx:
        ctx.prec = 200
        try:
            return _bounds(expr, known, domains, condition)
        except (ArithmeticError, RecursionError, TypeError):
            return Interval()


def _iv(lo, hi) -> Interval:
    return Interval(None if lo == -INF else lo, None if hi == INF else hi)


def _ends(i: Interval) -> tuple[Decimal, Decimal]:
    return (-INF if i.lo is None else Decimal(i.lo)), (INF if i.hi is None else Decimal(i.hi))


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return Decimal(0) if a == 0 or b == 0 else a * b


def _times(x: Interval, y: Interval) -> Interval:
    (a, b), (c, d) = _ends(x), _ends(y)
    products = [_mul(a, c), _mul(a, d), _mul(b, c), _mul(b, d)]
    return _iv(min(products), max(products))


def _bounds(expr, known: dict, domains: Domains, condition: bool) -> Interval:
    # Amounts nest only a few levels, but nothing here relies on that: an explicit stack.
    results: dict[int, Interval] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in t.children(node))
            continue
        results[id(node)] = _bound_of(node, results, known, domains, condition)
    return results[id(expr)]


def _bound_of(node, results, known, domains: Domains, condition: bool) -> Interval:
    def of(child) -> Interval:
        return results.get(id(child), Interval())

    if isinstance(node, n.Quantity):
        return Interval(node.value, node.value)
    if isinstance(node, n.Ref):
        f = domains.env.fact(node.name)
        if f is None:
            return Interval()
        kind = t.ty_of_fact(f.type).kind
        if kind not in ("number", "rate"):
            return Interval()
        # Never negative (the batch reader refuses it); in a condition an absent number is 0.
        own = Interval(lo=Decimal(0))
        return own.meet(known[node]) if node in known else own
    if isinstance(node, n.PercentOf):
        p = node.percent.value / 100
        return _times(Interval(p, p), of(node.operand))
    if isinstance(node, n.Arith):
        (a, b), (c, d) = _ends(of(node.left)), _ends(of(node.right))
        if node.op == "+":
            return _iv(a + c, b + d)
        if node.op == "-":
            return _iv(a - d, b - c)
        return _times(of(node.left), of(node.right))
    if isinstance(node, n.Negate):
        a, b = _ends(of(node.operand))
        return _iv(-b, -a)
    if isinstance(node, n.Converted):
        return _times(of(node.operand), of(node.rate))
    if isinstance(node, n.PerUnit):
        return _times(of(node.rate), of(node.count))
    if isinstance(node, n.PerIncrement):
        x_lo, x_hi = _ends(of(node.operand))
        step, threshold = node.step.value, node.threshold.value
        if step <= 0:
            return Interval()
        lo_steps = max(Decimal(0), ((x_lo - threshold) / step).to_integral_value(rounding="ROUND_FLOOR")) \
            if x_lo != -INF else Decimal(0)
        hi_steps = INF if x_hi == INF else max(Decimal(0), ((x_hi - threshold) / step).to_integral_value(
            rounding="ROUND_FLOOR"))
        return _times(of(node.rate), _iv(lo_steps, hi_steps))
    if isinstance(node, n.ByTable):
        allowed = known.get(("enum", node.key))
        values = [of(e.value) for e in node.entries if e.value is not None and (allowed is None or e.key in allowed)]
        codes = {e.key for e in node.entries if e.value is not None}
        enum = domains.ty(node.key)
        every = domains.env.enum_values(enum.enum) if enum is not None and enum.kind == "enum" else None
        if every is None or any(v not in codes and (allowed is None or v in allowed) for v in every):
            values.append(Interval(Decimal(0), Decimal(0)))  # a value without an amount pays nothing
        return _hull(values)
    if isinstance(node, n.EachAtTable):
        rates = [of(e.value) for e in node.entries if e.value is not None] + [Interval(Decimal(0), Decimal(0))]
        rate = _hull(rates)
        return _times(rate, Interval(lo=Decimal(0)))  # any count of any value, summed
    return Interval()


def _hull(intervals: list[Interval]) -> Interval:
    if not intervals:
        return Interval(Decimal(0), Decimal(0))
    los = [_ends(i)[0] for i in intervals]
    his = [_ends(i)[1] for i in intervals]
    return _iv(min(los), max(his))


# ---------------------------------------------------------------- what a conjunction allows


@attrs.frozen
class Finding:
    kind: str  # "never" or "always"
    atom: Atom
    other: Atom | None  # the conjunct it contradicts, or that makes it redundant
    reason: str


def analyse(condition, domains: Domains) -> tuple[list[Finding], dict]:
    """Contradictions and redundancies among the conjuncts of a condition, and what
    they say about each term (for the bounds of the amount)."""
    atoms = [a for node, pos in literals(condition) if (a := atom_of(node, pos, domains)) is not None]
    findings: list[Finding] = []
    known: dict = {}
    by_term: dict = {}
    for a in atoms:
        by_term.setdefault((a.kind if a.kind in ("enum", "bool") else "value", a.term), []).append(a)
    given = {a.term: a for a in atoms if a.kind == "given"}
    for (kind, term), group in by_term.items():
        if kind == "value":
            ranges = [a for a in group if a.kind == "range"]
            if ranges:
                findings += _ranges(term, ranges, given.get(term), domains, known)
            givens = [a for a in group if a.kind == "given"]
            findings += _sets(givens, {True, False}, "given")
        elif kind == "enum":
            findings += _sets(group, None, "enum")
            allowed = _meet_sets(group)
            known[("enum", term)] = {v for v in allowed if v is not None}
        else:
            findings += _sets(group, {True, False}, "bool")
    return findings, known


def _ranges(term, atoms: list[Atom], given: Atom | None, domains: Domains, known: dict) -> list[Finding]:
    domain = domains.of(term)
    integer = domains.integer(term)
    if given is not None and given.negated and domains.always_defined(term):
        domain = domain.meet(Interval(Decimal(0), Decimal(0)))  # not given: counts as 0
    norm = (lambda i: i.whole()) if integer else (lambda i: i)
    findings: list[Finding] = []
    reported = set()
    total = norm(domain)
    for a in atoms:
        total = norm(total.meet(a.range))
    if total.empty():
        # The first conjunct that empties the set, and the one it clashes with.
        running, previous = norm(domain), []
        for a in atoms:
            nxt = norm(running.meet(a.range))
            if nxt.empty():
                alone = norm(domain.meet(a.range))
                if alone.empty():
                    findings.append(Finding("never", a, None, _never_alone(a, term, domains, given)))
                else:
                    other = next((p for p in previous if norm(norm(domain.meet(p.range)).meet(a.range)).empty()),
                                 previous[-1] if previous else None)
                    findings.append(Finding("never", a, other, ""))
                return findings
            running, previous = nxt, previous + [a]
        return findings
    known[term] = total
    for a in atoms:
        # Only what holds on its own: a conjunct implied by another is the drafter's emphasis.
        if a.node not in reported and norm(domain).within(a.range) and (given is None or not given.negated):
            findings.append(Finding("always", a, None, _always_alone(a, term, domains)))
            reported.add(a.node)
    return findings


def _never_alone(a: Atom, term, domains: Domains, given: Atom | None) -> str:
    if given is not None and given.negated:
        return f"`{_show(term)}` is not given, so it counts as 0"
    lo = domains.of(term).lo
    if lo is not None:
        return f"`{_show(term)}` is never below {_value(lo)}" + (
            " (a number is never negative; an absent one counts as 0)" if lo == 0 else "")
    return "no value satisfies it"


def _always_alone(a: Atom, term, domains: Domains) -> str:
    lo = domains.of(term).lo
    if lo == 0:
        return f"`{_show(term)}` is never below 0 (a number is never negative; an absent one counts as 0)"
    return f"every value of `{_show(term)}` satisfies it"


def _meet_sets(atoms: list[Atom]) -> frozenset:
    allowed = None
    for a in atoms:
        allowed = a.values if allowed is None else allowed & a.values
    return allowed if allowed is not None else frozenset()


def _sets(atoms: list[Atom], universe, kind: str) -> list[Finding]:
    """Contradictions among set constraints: `x = a and x = b`, `b and not b`."""
    findings = []
    allowed = None
    for i, a in enumerate(atoms):
        nxt = a.values if allowed is None else allowed & a.values
        if not nxt:
            other = next((b for b in atoms[:i] if not (b.values & a.values)), atoms[i - 1] if i else None)
            findings.append(Finding("never", a, other, "" if other is not None else "no value satisfies it"))
            return findings
        allowed = nxt
    return findings


# ---------------------------------------------------------------- words for the messages


def _show(expr) -> str:
    """An expression as a drafter would write it (short)."""
    if isinstance(expr, n.Ref):
        return expr.name
    if isinstance(expr, n.Quantity):
        return expr.text
    if isinstance(expr, n.DateLiteral):
        return expr.value.isoformat()
    if isinstance(expr, n.Compare):
        return f"{_show(expr.left)} {expr.words} {_show(expr.right)}"
    if isinstance(expr, n.FullYearsSince):
        return f"full years since {_show(expr.operand)}"
    if isinstance(expr, n.FirstFullYearAfter):
        return f"first full year after {_show(expr.operand)}"
    if isinstance(expr, n.YearOf):
        return f"year of {_show(expr.operand)}"
    if isinstance(expr, n.IsGiven):
        return f"{_show(expr.operand)} is given"
    if isinstance(expr, n.Within):
        return f"{_show(expr.operand)} within {expr.window or 'period in effect'}"
    if isinstance(expr, n.Not):
        return f"not {_show(expr.operand)}"
    if isinstance(expr, n.Arith):
        return f"{_show(expr.left)} {expr.op} {_show(expr.right)}"
    if isinstance(expr, n.PercentOf):
        return f"{expr.percent.text} of {_show(expr.operand)}"
    if isinstance(expr, n.Negate):
        return f"-{_show(expr.operand)}"
    return type(expr).__name__.lower()


def _atom_text(a: Atom) -> str:
    text = _show(a.node)
    return f"not ({text})" if a.negated and not text.startswith("not ") else text


def _value(v) -> str:
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{int(v):,}" if v == v.to_integral_value() else f"{v.normalize():,f}"
    return str(v)


def _line(node) -> str:
    span = getattr(node, "span", None)
    return f" (line {span.line})" if span is not None and span.line else ""


def _span(node, fallback: n.Span) -> n.Span:
    span = getattr(node, "span", None)
    return fallback if span is None or span is n.NO_SPAN or span.line == 0 else span


# ---------------------------------------------------------------- family: table coverage


def table_nothing(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """A value a table deliberately pays nothing, shown with the policy's reason."""
    for _, m in policy.all_measures():
        for node in t.walk(m.amount):
            if not isinstance(node, (n.ByTable, n.EachAtTable)):
                continue
            ty = env.infer(node.key if isinstance(node, n.ByTable) else node.counts)
            enum = ty.enum if ty is not None and ty.kind in ("enum", "count_map") else None
            for entry in node.entries:
                if entry.value is not None or entry.reason is None:
                    continue
                reason = entry.reason.en or entry.reason.zh or ""
                yield diag.make("table-nothing", _span(entry, m.span), key=entry.key, enum=enum or "its enumeration",
                                measure=m.name, reason=reason.rstrip("."),
                                reason_zh=f"理由:{entry.reason.zh}" if entry.reason.zh else "")


# ---------------------------------------------------------------- family: conditions


def _conditions_of(policy: n.Policy):
    for _, m in policy.all_measures():
        if m.condition is not None:
            yield m.condition, f"the condition of `{m.name}`", m.span
    for _, r in policy.all_rankings():
        if r.among is not None:
            yield r.among, f"`among` of ranking `{r.name}`", r.span


def conditions(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    domains = Domains(env)
    for condition, what, owner in _conditions_of(policy):
        findings, _ = analyse(condition, domains)
        for f in findings:
            yield _finding(f, what, owner)
        yield from _constant_comparisons(condition, what, owner)


def _finding(f: Finding, what: str, owner: n.Span) -> diag.Diagnostic:
    span = _span(f.atom.node, owner)
    if f.kind == "never":
        if f.other is not None:
            reason = (f"`{_atom_text(f.other)}`{_line(f.other.node)} and `{_atom_text(f.atom)}`{_line(f.atom.node)} "
                      f"cannot both hold")
        else:
            reason = f"`{_atom_text(f.atom)}`: {f.reason}"
        return diag.make("condition-never-holds", span, what=what, reason=reason)
    if f.other is not None:
        reason = (f"it repeats `{_atom_text(f.other)}`" if f.other.node == f.atom.node
                  else f"`{_atom_text(f.other)}`{_line(f.other.node)} already implies it")
    else:
        reason = f.reason
    return diag.make("condition-always-holds", span, atom=_atom_text(f.atom), what=what, reason=reason)


def _constant_comparisons(condition, what: str, owner: n.Span) -> Iterator[diag.Diagnostic]:
    """`5 > 10`: a comparison of two written numbers is decided before any fact is read."""
    for node in t.walk(condition):
        if not isinstance(node, n.Compare):
            continue
        left, right = _constant(node.left), _constant(node.right)
        if not isinstance(left, Decimal) or not isinstance(right, Decimal):
            continue
        units = [q.unit for q in (node.left, node.right) if isinstance(q, n.Quantity)]
        if len(set(units)) > 1:
            continue
        holds = {">=": left >= right, ">": left > right, "<=": left <= right, "<": left < right,
                 "=": left == right, "!=": left != right}[node.op]
        if holds:
            yield diag.make("condition-always-holds", _span(node, owner), atom=_show(node), what=what,
                            reason="it compares two written numbers")
        else:
            yield diag.make("condition-never-holds", _span(node, owner), what=what,
                            reason=f"`{_show(node)}` compares two written numbers and is false")


# ---------------------------------------------------------------- family: tiers


def tiers(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """Measures of one clause that differ only in the band of one number they accept."""
    domains = Domains(env)
    for c in policy.clauses:
        bands: dict = {}
        for m in c.measures:
            if m.condition is None:
                continue
            parts = list(literals(m.condition))
            atoms = [(node, pos, atom_of(node, pos, domains)) for node, pos in parts]
            terms = {a.term for _, _, a in atoms if a is not None and a.kind == "range"}
            for term in terms:
                if not domains.always_defined(term) and domains.ty(term) is None:
                    continue
                rest = frozenset((node, pos) for node, pos, a in atoms
                                 if a is None or a.kind != "range" or a.term != term)
                band = domains.of(term)
                for _, _, a in atoms:
                    if a is not None and a.kind == "range" and a.term == term:
                        band = band.meet(a.range)
                discrete = domains.integer(term) or _is_date(domains.ty(term))
                if discrete:
                    band = _closed(band)
                if not band.empty():
                    bands.setdefault((term, rest), []).append((m, band))
        for (term, _), group in bands.items():
            if len(group) < 2:
                continue
            yield from _tier_pairs(term, group, domains.integer(term) or _is_date(domains.ty(term)))


def _is_date(ty) -> bool:
    return ty is not None and ty.kind == "date"


def _next(value, step: int):
    """The next whole number or day after (step 1) or before (step -1) a value."""
    return value + datetime.timedelta(days=step) if isinstance(value, datetime.date) else value + step


def _closed(band: Interval) -> Interval:
    """Whole numbers and days have neighbours: `> 4` is `>= 5`, `< 2023-01-01` is `<= 2022-12-31`."""
    if isinstance(band.lo, Decimal) or isinstance(band.hi, Decimal):
        return band.whole()
    lo = _next(band.lo, 1) if band.lo is not None and band.lo_open else band.lo
    hi = _next(band.hi, -1) if band.hi is not None and band.hi_open else band.hi
    return Interval(lo, hi)


def _tier_pairs(term, group, discrete: bool) -> Iterator[diag.Diagnostic]:
    def start(item):
        lo = item[1].lo
        return (lo is not None, lo if lo is not None else 0, item[1].lo_open)

    ordered = sorted(group, key=start)
    for (m1, b1), (m2, b2) in zip(ordered, ordered[1:]):
        overlap = b1.meet(b2)
        if b1 == b2:
            continue  # the same band: measures paid side by side, not tiers
        if not overlap.empty():
            yield diag.make("tier-overlap", m2.span, first=m1.name, second=m2.name, term=f"`{_show(term)}`",
                            reason=f"both accept {_band(overlap)}")
            continue
        if b1.hi is None or b2.lo is None:
            continue
        touching = (_next(b1.hi, 1) == b2.lo) if discrete else (b1.hi == b2.lo and b1.hi_open != b2.lo_open)
        if not touching:
            gap = Interval(b1.hi, b2.lo, lo_open=not b1.hi_open, hi_open=not b2.lo_open)
            if discrete:
                gap = Interval(_next(b1.hi, 1), _next(b2.lo, -1))
            yield diag.make("tier-gap", m2.span, first=m1.name, second=m2.name, term=f"`{_show(term)}`",
                            reason=f"neither accepts {_band(gap)}")


def _band(i: Interval) -> str:
    if i.lo is not None and i.hi is not None and i.lo == i.hi:
        return _value(i.lo)
    lo = "" if i.lo is None else f"{'more than' if i.lo_open else 'from'} {_value(i.lo)}"
    hi = "" if i.hi is None else f"{'below' if i.hi_open else 'to'} {_value(i.hi)}"
    return " ".join(p for p in (lo, hi) if p) or "every value"


# ---------------------------------------------------------------- family: caps


def caps(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """A fixed cap that another cap or the amount's own bounds make idle, or that always bites."""
    domains = Domains(env)
    for _, m in policy.all_measures():
        fixed = [(i, cap) for i, cap in enumerate(m.caps)
                 if isinstance(cap.amount, n.Quantity) and cap.amount.unit == env.currency]
        if not fixed or m.amount is None:
            continue
        known: dict = {}
        if m.condition is not None:
            findings, known = analyse(m.condition, domains)
            if any(f.kind == "never" for f in findings):
                continue  # the measure never pays; that is reported already
        ty = domains.ty(m.amount)
        amount = bounds(m.amount, known, domains) if ty is not None and ty.unit == env.currency else Interval()
        lowest = min(fixed, key=lambda item: (item[1].amount.value, item[0]))
        for i, cap in fixed:
            value = cap.amount.value
            span = _span(cap.amount, m.span)
            if (i, cap) != lowest:
                other = lowest[1].amount
                yield diag.make("cap-never-binds", span, cap=cap.amount.text, measure=m.name,
                                reason=f"the cap {other.text}{_line(other)} is {'as low' if other.value == value else 'lower'}")
            elif amount.hi is not None and amount.hi <= value:
                yield diag.make("cap-never-binds", span, cap=cap.amount.text, measure=m.name,
                                reason=f"the amount is at most {_value(amount.hi)} {env.currency}")
            elif amount.lo is not None and (amount.lo > value or (amount.lo == value and amount.lo_open)):
                yield diag.make("cap-always-binds", span, cap=cap.amount.text, measure=m.name,
                                reason=f"under its conditions the amount is at least {_value(amount.lo)} "
                                       f"{env.currency}")


# ---------------------------------------------------------------- family: the text and the code


@attrs.frozen
class Use:
    """A number the code of a clause uses, and how."""

    value: Decimal
    unit: str | None  # CNY, USD, m2, percent or None
    role: str  # threshold, cap, limit, amount, rate, step, top, key, share
    op: str | None  # a threshold's or cap's comparison, constant on the right
    written: str
    owner: str
    node: object
    required: bool = True


_ROLE_WORDS = {"threshold": "the threshold", "cap": "the cap", "limit": "the limit", "amount": "the amount",
               "rate": "the rate", "step": "the step", "top": "the number of places", "number": "the number"}


def text_agreement(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """Every number of a clause's code is in its Chinese text, with the text's comparison."""
    domains = Domains(env)
    for c in policy.clauses:
        if c.text is None or not c.text.zh or not (c.measures or c.pools or c.rankings):
            continue
        text = c.text.zh
        stated = legal_text.numbers(text)
        if not stated:
            continue  # a text with no numbers (a summary, a placeholder): nothing to hold the code to
        uses = list(_uses(c, policy, domains))
        matched: set[int] = set()
        for use in uses:
            candidates = [i for i, s in enumerate(stated) if s.value == use.value and legal_text.unit_fits(use.unit, s)]
            matched.update(candidates)
            if not use.required or use.value == 0:
                continue
            span = _span(use.node, c.span)
            if not candidates:
                listed = ", ".join(dict.fromkeys(s.text for s in stated))
                yield diag.make("number-not-in-text", span, what=_ROLE_WORDS.get(use.role, "the number"),
                                value=use.written, owner=use.owner, numeral=c.numeral,
                                hint=f"the text (line {c.text.span.line}) states {listed}; "
                                     "correct the code or the text")
                continue
            if use.op is None:
                continue
            words = [stated[i] for i in candidates]
            if any(s.op is None or s.op == use.op for s in words):
                continue
            s = words[0]
            yield diag.make("comparison-not-in-text", span, owner=use.owner, value=use.written,
                            code_words=f"`{_OP_WORDS[use.op]}` ({use.op})" if use.role == "threshold"
                            else f"a cap (`{_OP_WORDS[use.op]}`)",
                            numeral=c.numeral, text_words=f"`{s.words}` ({_OP_WORDS.get(s.op, s.op)}): "
                                                          f"“{s.context(text)}”",
                            hint=f"the text is at line {c.text.span.line}; Chinese legal drafting reads "
                                 "以上/达到/不少于/满 as `>=`, 超过 as `>`, 不超过/最高 as a cap (`<=`)")
        encoded = {stated[i].sentence for i in matched}
        unused = [s for i, s in enumerate(stated) if i not in matched and s.sentence in encoded]
        if unused:
            listed = ", ".join(f"`{s.text}`" for s in unused)
            quotes = "; ".join(f"“{s.context(text)}”" for s in unused)
            yield diag.make("text-number-unused", _span(c.text, c.span), numeral=c.numeral, numbers=listed,
                            hint=f"{quotes}: encode it, or leave it if the text states it for information")


def _uses(c: n.Clause, policy: n.Policy, domains: Domains) -> Iterator[Use]:
    for m in c.measures:
        owner = f"measure `{m.name}`"
        if m.condition is not None:
            yield from _condition_uses(m.condition, owner, domains)
        yield from _amount_uses(m.amount, owner, domains)
        for cap in m.caps:
            if isinstance(cap.amount, n.Quantity):
                yield Use(cap.amount.value, cap.amount.unit, "cap", "<=", cap.amount.text, owner, cap.amount)
            else:
                yield from _amount_uses(cap.amount, owner, domains)
        if m.burden is not None:
            yield from _burden_uses(m.burden, owner)
    if c.default_burden is not None:
        yield from _burden_uses(c.default_burden, f"clause ({c.numeral})")
    for p in c.pools:
        if p.limit is not None:
            yield Use(p.limit.value, p.limit.unit, "limit", "<=", p.limit.text, f"pool `{p.name}`", p.limit)
    for r in c.rankings:
        owner = f"ranking `{r.name}`"
        if r.top is not None:
            yield Use(Decimal(r.top), None, "top", None, str(r.top), owner, r.key or r)
        if r.among is not None:
            yield from _condition_uses(r.among, owner, domains)


def _burden_uses(b: n.Burden, owner: str) -> Iterator[Use]:
    for share in (b.city, b.county):
        if share is not None:
            yield Use(share, "percent", "share", None, f"{share}%", owner, b, required=False)


def _condition_uses(condition, owner: str, domains: Domains) -> Iterator[Use]:
    env = domains.env
    stack = [(condition, True)]
    while stack:
        node, positive = stack.pop()
        if isinstance(node, n.Not):
            stack.append((node.operand, not positive))
            continue
        if isinstance(node, (n.And, n.Or)):
            stack.extend((o, positive) for o in reversed(node.operands))
            continue
        if not isinstance(node, n.Compare):
            for q in t.walk(node):
                if isinstance(q, n.Quantity):
                    yield Use(q.value, q.unit, "number", None, q.text, owner, q)
            continue
        if _enum_compare(node, env) is not None:
            for q in (node.left, node.right):
                if isinstance(q, n.Quantity):
                    yield Use(q.value, None, "key", None, q.text, owner, q, required=False)
            continue
        left, right, op = node.left, node.right, node.op
        if isinstance(left, n.Quantity) and not isinstance(right, n.Quantity):
            left, right, op = right, left, _MIRROR[op]
        if not positive:
            op = _FLIP[op]
        if isinstance(right, n.Quantity) and op in (">=", ">", "<=", "<"):
            yield Use(right.value, right.unit, "threshold", op, right.text, owner, right)
            sides = [left]
        else:
            sides = [left, right]
        for side in sides:
            yield from _amount_uses(side, owner, domains)


def _amount_uses(expr, owner: str, domains: Domains) -> Iterator[Use]:
    for node in t.walk(expr):
        if isinstance(node, n.PercentOf):
            yield Use(node.percent.value, "percent", "rate", None, node.percent.text, owner, node.percent)
        elif isinstance(node, n.PerIncrement):
            yield Use(node.step.value, node.step.unit, "step", None, node.step.text, owner, node.step)
            yield Use(node.threshold.value, node.threshold.unit, "threshold", None, node.threshold.text, owner,
                      node.threshold)
        elif isinstance(node, (n.ByTable, n.EachAtTable)):
            for entry in node.entries:
                if _is_number(entry.key):
                    yield Use(Decimal(entry.key), None, "key", None, entry.key, owner, entry, required=False)
        elif isinstance(node, n.Quantity) and not _inside_increment(expr, node):
            yield Use(node.value, node.unit, "amount", None, node.text, owner, node)


def _inside_increment(expr, q) -> bool:
    return any(isinstance(p, n.PerIncrement) and (p.step is q or p.threshold is q) for p in t.walk(expr))


def _is_number(code: str) -> bool:
    try:
        Decimal(code)
    except Exception:
        return False
    return True
