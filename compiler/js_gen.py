"""Compile a checked policy into one JavaScript ES module that runs in a browser.

The twin of `python_gen`: the same AST walked the same way, so the module's
`evaluate(batch)` returns exactly the JSON of `pol eval --format json` (the
agreement test holds them to it). What every policy shares is the static runtime
`compiler/js/runtime.mjs`, inlined so the module is one file a page can load
with no server and no dependency.

An amended policy gives one module with every version, each in a scope of its own,
and a batch is evaluated by the version in force on its `as_of`, as in Python.

Policy text only ever reaches the output through `js_string`, which writes a
string literal that is valid JavaScript and JSON and safe inside an HTML
`<script>` element; every identifier is made here and passes `_identifier`.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

from dsl import diagnostics as diag
from dsl import nodes as n
from dsl.types import walk

from .describe import Describer
from .shapes import ExpressionShapes
from .python_gen import CompileError, _facts_used, _percent, _identifier as _python_identifier

RUNTIME_PATH = Path(__file__).resolve().parent / "js" / "runtime.mjs"
_EXPORTS_MARK = "// pol: exports"

_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def js_string(text: str) -> str:
    """A string literal that JavaScript, JSON and an HTML <script> element all read as `text`.

    `<`, `>` and `&` are escaped so no `</script>` or `<!--` can appear; U+2028 and
    U+2029 (line terminators in old JavaScript) and lone surrogates likewise.
    """
    out = json.dumps(text, ensure_ascii=False)
    return re.sub(r"[<>&\u2028\u2029\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", out)


def _identifier(name: str, span: n.Span, what: str) -> str:
    """Every name that reaches the output as JavaScript code passes here, and Python's rules too.

    A policy's names appear only after a dot (`a.livestream_rooms`) or behind a prefix
    (`measure_M7`), where no word of JavaScript is reserved: ASCII letters, digits and `_`
    are all a name needs to be safe.
    """
    _python_identifier(name, span, what)
    return _safe(name, span, what)


def _safe(name: str, span: n.Span, what: str) -> str:
    if not _SAFE_NAME.fullmatch(name):
        raise CompileError(diag.make("reserved-name", span, name=name, what=what,
                                     reason="names start with a letter and hold only ASCII letters, digits and `_`"))
    return name


def runtime_source() -> str:
    """The shared runtime, without its export list: the part a generated module inlines."""
    text = RUNTIME_PATH.read_text(encoding="utf-8")
    head, mark, _ = text.partition(_EXPORTS_MARK)
    if not mark:
        raise RuntimeError(f"{RUNTIME_PATH} has lost its `{_EXPORTS_MARK}` line")
    return head.rstrip() + "\n"


# ---------------------------------------------------------------- small builders


def _call(fn: str, *args: str) -> str:
    return f"{fn}({', '.join(args)})"


def _int(value: int) -> str:
    return str(int(value))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _day(d: datetime.date) -> str:
    return _call("day", _int(d.year), _int(d.month), _int(d.day))


def _array(items) -> str:
    return "[" + ", ".join(items) + "]"


def _object(pairs) -> str:
    """An object literal with fixed keys of the compiler's own (never policy text)."""
    return "{ " + ", ".join(f"{key}: {value}" for key, value in pairs) + " }"


def _optional(text: str | None) -> str:
    return "null" if text is None else js_string(text)


_BINOPS = {"+": "add", "-": "sub", "*": "mul"}
# Comparisons by name, so the module reads `numCompare("ge", ...)` rather than an escaped ">=".
_CMPOPS = {">=": "ge", ">": "gt", "<=": "le", "<": "lt", "=": "eq", "!=": "ne"}


# ---------------------------------------------------------------- the compiler


class _Module(ExpressionShapes):
    def __init__(self, policy: n.Policy, source_name: str):
        self.policy = policy
        self.source_name = source_name
        self.words = Describer(policy)
        self.facts = {f.name: f for f in policy.facts}
        self.windows = {w.name: w for w in policy.header.windows}
        self.constants: dict[str, str] = {}  # value text -> name
        self.body: list[str] = []
        self.quantum = policy.header.rounding.quantum.value if policy.header.rounding else Decimal("0.01")
        self.rounding = policy.header.rounding.mode if policy.header.rounding else "half_up"

    def source_of(self, span: n.Span) -> str:
        """`file:line` of a node: the policy's file, or the amendment's that brought the node in."""
        if span.file != self.policy.path and span.line:
            return f"{Path(span.file).name}:{span.line}"
        return f"{self.source_name}:{span.line}"

    # -- constants are hoisted out of the measures so a measure builds no decimal per call
    def constant(self, value: Decimal) -> str:
        text = str(value)
        if text not in self.constants:
            self.constants[text] = f"K{len(self.constants) + 1}"
        return self.constants[text]

    # -- facts
    def fact_ref(self, name: str, span: n.Span) -> str:
        fact = self.facts[name]
        owner = "b" if fact.scope == "batch" else "a"
        return f"{owner}.{_identifier(name, fact.span, 'a fact name')}"

    # -- values inside conditions: an absent fact is "not applicable"
    def cvalue(self, expr) -> str:
        match expr:
            case n.Quantity(value=v):
                return self.constant(v)
            case n.DateLiteral(value=d):
                return _day(d)
            case n.Ref(name=name):
                ref = self.fact_ref(name, expr.span)
                return _call("num", ref) if self.kind_of(expr) == "number" else ref
            case n.PercentOf(percent=p, operand=op):
                return _call("mul", self.constant(p.value / 100), self.cvalue(op))
            case n.Arith(op=op, left=left, right=right):
                if self.kind_of(left) == self.kind_of(right) == "number":
                    return _call(_BINOPS[op], self.cvalue(left), self.cvalue(right))
                # A year or a count of years may be absent: the result is then absent too.
                return _call("arith", js_string(_BINOPS[op]), self.cvalue(left), self.cvalue(right))
            case n.Negate(operand=op):
                return _call("neg", self.cvalue(op))
            case n.Converted(operand=op, rate=rate):
                return _call("mul", self.cvalue(op), self.cvalue(rate))
            case n.YearOf(operand=op):
                return _call("yearOf", self.cvalue(op))
            case n.FirstFullYearAfter(operand=op):
                return _call("firstFullYearAfter", self.cvalue(op))
            case n.FullYearsSince(operand=op):
                return _call("fullYears", self.cvalue(op), self.fact_ref("as_of", expr.span))
        return self.condition(expr)

    def condition(self, expr) -> str:
        match expr:
            case n.And(operands=ops):
                return "(" + " && ".join(self.condition(o) for o in ops) + ")"
            case n.Or(operands=ops):
                return "(" + " || ".join(self.condition(o) for o in ops) + ")"
            case n.Not(operand=op):
                return f"!{self.condition(op)}"
            case n.Compare(op=op, left=left, right=right):
                if self.is_enum_literal(right, left):
                    l_js, r_js = self.cvalue(left), js_string(self.enum_code(right))
                elif self.is_enum_literal(left, right):
                    l_js, r_js = js_string(self.enum_code(left)), self.cvalue(right)
                elif self.kind_of(left) == self.kind_of(right) == "number":
                    return _call("numCompare", js_string(_CMPOPS[op]), self.cvalue(left), self.cvalue(right))
                else:
                    l_js, r_js = self.cvalue(left), self.cvalue(right)
                return _call("compare", js_string(_CMPOPS[op]), l_js, r_js)
            case n.Within(operand=op, window=window):
                if window is None:
                    start, end = self.policy.header.period.start, self.policy.header.period.end
                else:
                    w = self.windows[window]
                    start, end = w.start, w.end
                return _call("within", self.cvalue(op), _day(start), _day(end))
            case n.IsGiven(operand=n.Ref(name=name) as op):
                # The fact itself, not its value in a condition (where an absent number reads as 0).
                return f"({self.fact_ref(name, op.span)} !== null)"
            case n.IsGiven(operand=op):
                return f"({self.cvalue(op)} !== null)"
            case n.RankedIn(ranking=name):
                return _call("ctx.ranked", js_string(name), "a")
            case n.Ref(name=name) if self.facts[name].type.kind == "bool":
                return _call("truth", self.fact_ref(name, expr.span))
        raise AssertionError(f"not a condition: {expr!r}")  # the checker refuses these first

    # -- values inside amounts: an absent fact is an error once the conditions hold
    def amount(self, expr, measure: n.Measure) -> str:
        match expr:
            case n.Quantity(value=v):
                return self.constant(v)
            case n.Ref(name=name):
                return _call("need", self.fact_ref(name, expr.span), js_string(name))
            case n.PercentOf(percent=p, operand=op):
                return _call("mul", self.constant(p.value / 100), self.amount(op, measure))
            case n.Arith(op=op, left=left, right=right):
                return _call(_BINOPS[op], self.amount(left, measure), self.amount(right, measure))
            case n.Negate(operand=op):
                return _call("neg", self.amount(op, measure))
            case n.Converted(operand=op, rate=rate):
                return _call("mul", self.amount(op, measure), self.amount(rate, measure))
            case n.YearOf(operand=op) | n.FirstFullYearAfter(operand=op) | n.FullYearsSince(operand=op):
                # A count of years in an amount: its date must be given, like any fact an amount reads.
                return _call("need", self.cvalue(expr), js_string(op.name if isinstance(op, n.Ref) else "a date"))
            case n.PerUnit(count=count):
                return _call("mul", "unit", self.amount(count, measure))
            case n.PerIncrement(rate=rate, step=step, operand=op, threshold=threshold):
                return _call("perIncrement", self.amount(rate, measure), self.constant(step.value),
                             self.amount(op, measure), self.constant(threshold.value))
            case n.ByTable(key=key, entries=entries):
                table, reasons = self.table(measure, entries)
                return _call("lookup", table, self.fact_ref(key.name, key.span), "t", reasons, js_string(key.name))
            case n.EachAtTable(counts=counts, entries=entries):
                table, reasons = self.table(measure, entries)
                return _call("eachAt", table, self.fact_ref(counts.name, counts.span), "t", reasons,
                             js_string(counts.name))
        raise AssertionError(f"not an amount: {expr!r}")

    def table(self, measure: n.Measure, entries) -> tuple[str, str]:
        name = "TABLE_" + _identifier(measure.name, measure.span, "a measure name")
        reasons_name = f"NOTHING_{measure.name}"
        rows = [_array([js_string(e.key), self.constant(e.value.value) if isinstance(e.value, n.Quantity)
                        else self.amount(e.value, measure)]) for e in entries if e.value is not None]
        nothing = [_array([js_string(e.key), _array([js_string(e.reason.en or ""), js_string(e.reason.zh or "")])])
                   for e in entries if e.value is None]
        # Outside the measure, as python_gen puts them at module level: a table's amounts are constants.
        self.body.append(f"const {name} = new Map({_array(rows)});")
        self.body.append(f"const {reasons_name} = new Map({_array(nothing)});")
        return name, reasons_name

    # -- one function per measure
    def measure(self, clause: n.Clause, measure: n.Measure) -> str:
        fname = "measure_" + _identifier(measure.name, measure.span, "a measure name")
        lines = ["const t = new Trace();"]
        conjuncts = measure.condition.operands if isinstance(measure.condition, n.And) else (
            (measure.condition,) if measure.condition is not None else ())
        for cond in conjuncts:
            args = [self.condition(cond), js_string(self.words.condition(cond, "en")),
                    js_string(self.words.condition(cond, "zh"))]
            shown = self.shown(cond)
            if shown is not None:
                args.append(shown)
            lines.append(f"t.check({', '.join(args)});")
        lines.append("if (!t.held) return refuse(t);")
        payee_county = self.payee_county(measure)
        if payee_county is not None:
            # Paid to the applicant's county: with no county there is no one to pay.
            lines.append(f"need({self.fact_ref(payee_county, measure.span)}, {js_string(payee_county)});")
        if isinstance(measure.amount, n.PerUnit):
            lines.append(f"const unit = {self.amount(measure.amount.rate, measure)};")
            lines.append("t.unit = unit;")
        lines.append(f"const amount = {self.amount(measure.amount, measure)};")
        caps = []
        for cap in measure.caps:
            label_en = cap.label.en if cap.label and cap.label.en else self.words.value(cap.amount, "en")
            label_zh = cap.label.zh if cap.label and cap.label.zh else self.words.value(cap.amount, "zh")
            caps.append(_array([self.amount(cap.amount, measure), js_string(label_en), js_string(label_zh)]))
        lines.append("return " + _call(
            "settle", "t", "amount", _array(caps), js_string(self.rounding), self.constant(self.quantum),
            js_string(self.words.value(measure.amount, "en")), js_string(self.words.value(measure.amount, "zh"))) + ";")
        self.body.append(_function(fname, ["a", "b", "ctx"], lines, f"clause {clause.number}, line {measure.span.line}"))
        return fname

    def shown(self, cond) -> str | None:
        """The value an explanation shows beside a condition: the fact it tests."""
        match cond:
            case n.Compare(left=left) if not isinstance(left, (n.Quantity, n.Percent)):
                return self.cvalue(left) if not isinstance(left, n.Ref) else self.fact_ref(left.name, left.span)
            case n.Within(operand=n.Ref(name=name)):
                return self.fact_ref(name, cond.span)
        return None

    def batch_defaults(self) -> str:
        lines = []
        defaults = _DefaultValues(self)
        for fact in (f for f in self.policy.facts if f.scope == "batch" and f.default is not None):
            ref = defaults.fact_ref(fact.name, fact.span)
            lines.append(f"if ({ref} === null) {ref} = {defaults.cvalue(fact.default)};")
        return _function("batchDefaults", ["values"], lines, "the batch facts that have a default")


class _DefaultValues(_Module):
    """Defaults of batch facts are computed from the other batch facts, held in `values`."""

    def __init__(self, parent: _Module):
        self.__dict__.update(parent.__dict__)

    def fact_ref(self, name: str, span: n.Span) -> str:
        return f"values.{_identifier(name, self.facts[name].span, 'a fact name')}"


def _function(name: str, params: list[str], lines: list[str], comment: str) -> str:
    body = "".join(f"  {line}\n" for line in lines)
    return f"// {comment}\nfunction {name}({', '.join(params)}) {{\n{body}}}"


def _order_keys(keys, descending_default: bool) -> str:
    out = []
    for key in keys:
        descending = descending_default if key.descending is None else key.descending
        out.append(_array([js_string(key.kind), _optional(key.name), _bool(descending)]))
    return _array(out)


def _bilingual(label: n.Bilingual | None, fallback: str) -> tuple[str, str]:
    if label is None:
        return fallback, fallback
    return label.zh or fallback, label.en or fallback


def _rankings_in(expr) -> list[str]:
    """The rankings a measure's condition asks about."""
    return list(dict.fromkeys(node.ranking for node in walk(expr) if isinstance(node, n.RankedIn)))


def _version(policy: n.Policy, source_name: str) -> str:
    """The code of one version of a policy: a function body that returns its SPEC and INFO.

    Each version lives in a scope of its own, so an amended policy's versions keep the
    names (`measure_M7`, `K1`) they would have on their own.
    """
    m = _Module(policy, source_name)
    header = policy.header
    _safe(header.name, header.span, "a policy name")
    measures = [(c, msr, m.measure(c, msr)) for c, msr in policy.all_measures()]

    rankings = []
    for clause, ranking in policy.all_rankings():
        fname = "among_" + _identifier(ranking.name, ranking.span, "a ranking name")
        test = m.condition(ranking.among) if ranking.among is not None else "true"
        m.body.append(_function(fname, ["a", "b"], [f"return {test};"],
                                f"clause {clause.number}, line {ranking.span.line}"))
        rankings.append(_object([
            ("name", js_string(ranking.name)), ("top", _int(ranking.top)), ("among", fname),
            ("keys", _order_keys([ranking.key, *ranking.ties], descending_default=True))]))

    default_burden = policy.default_burden()
    pools_of = {name: pool.name for _, pool in policy.all_pools() for name in pool.funds}
    groups_of: dict[str, list[str]] = {}
    for _, group in policy.all_exclusives():
        for name in group.members:
            groups_of.setdefault(name, []).append(group.name)
    measure_specs, measure_info = [], []
    for clause, msr, fname in measures:
        used = set(_facts_used(msr))
        own = sorted(name for name in used if name in m.facts and not m.facts[name].general
                     and m.facts[name].scope == "applicant")
        title_zh, title_en = _bilingual(msr.title, msr.name)
        percent = _percent(msr.burden or default_burden)
        common = [
            ("name", js_string(msr.name)), ("clause", _int(clause.number)), ("numeral", js_string(clause.numeral)),
            ("kind", js_string(msr.kind)), ("title_zh", js_string(title_zh)), ("title_en", js_string(title_en)),
            ("relevant", _array(js_string(f) for f in own)), ("payee", js_string(msr.payee or "applicant")),
            ("source", js_string(m.source_of(msr.span))),
        ]
        measure_specs.append(_object(common + [
            ("assess", fname), ("city_percent", "null" if percent is None else m.constant(percent))]))
        who_zh, who_en = _bilingual(msr.who, "")
        # For forms: every applicant fact the measure reads, in the order the policy declares them.
        facts = [f.name for f in policy.facts if f.name in used and f.scope == "applicant"]
        measure_info.append(_object(common + [
            ("who_zh", js_string(who_zh)), ("who_en", js_string(who_en)),
            ("facts", _array(js_string(f) for f in facts)),
            ("city_percent", "null" if percent is None else js_string(str(percent))),
            ("pool", _optional(pools_of.get(msr.name))),
            ("rankings", _array(js_string(r) for r in _rankings_in(msr.condition))),
            ("exclusive", _array(js_string(g) for g in groups_of.get(msr.name, ())))]))

    pools, pool_info = [], []
    for clause, pool in policy.all_pools():
        title_zh, title_en = _bilingual(pool.title, pool.name)
        common = [("name", js_string(pool.name)), ("funds", _array(js_string(f) for f in pool.funds)),
                  ("title_zh", js_string(title_zh)), ("title_en", js_string(title_en))]
        pools.append(_object(common + [
            ("limit", m.constant(pool.limit.value)),
            ("order", _order_keys(pool.order, descending_default=False)),
            ("whole_units", _bool(pool.whole_units))]))
        pool_info.append(_object(common + [("clause", _int(clause.number)),
                                           ("limit", js_string(str(pool.limit.value)))]))

    ranking_info = []
    for clause, ranking in policy.all_rankings():
        title_zh, title_en = _bilingual(ranking.title, ranking.name)
        ranking_info.append(_object([("name", js_string(ranking.name)), ("clause", _int(clause.number)),
                                     ("top", _int(ranking.top)), ("title_zh", js_string(title_zh)),
                                     ("title_en", js_string(title_en))]))

    exclusives = []
    for clause, group in policy.all_exclusives():
        title_zh, title_en = _bilingual(group.title, group.name)
        exclusives.append(_object([
            ("name", js_string(group.name)), ("members", _array(js_string(x) for x in group.members)),
            ("against", _optional(group.against)), ("title_zh", js_string(title_zh)),
            ("title_en", js_string(title_en)), ("clause", _int(clause.number)),
            ("numeral", js_string(clause.numeral))]))

    facts = []
    for f in policy.facts:
        _identifier(f.name, f.span, "a fact name")
        rate = f.type.kind == "rate"
        facts.append(_object([
            ("name", js_string(f.name)), ("kind", js_string(f.type.kind)), ("scope", js_string(f.scope)),
            ("unit", _optional(f.type.per_unit if rate else f.type.unit)),
            ("enum", _optional(f.type.per_unit if rate else f.type.enum)),
            ("yields", _optional(f.type.unit if rate else None)),
            ("general", _bool(f.general)), ("required", _bool(f.required)),
            ("jurisdiction", _bool(f.jurisdiction)), ("has_default", _bool(f.default is not None)),
            ("label_zh", js_string(f.label.zh or "")), ("label_en", js_string(f.label.en or ""))]))
    enums = _array(_array([js_string(e.name), _array(
        _array([js_string(v.code), js_string(v.label.zh or ""), js_string(v.label.en or "")]) for v in e.values)])
        for e in policy.enumerations)
    enum_labels = _array(_array([js_string(e.name), js_string(e.label.zh or ""), js_string(e.label.en or "")])
                         for e in policy.enumerations)
    jurisdiction = next((f.name for f in policy.facts if f.jurisdiction), None)
    m.body.append(m.batch_defaults())
    title_zh, title_en = _bilingual(header.title, header.name)
    period = header.period

    spec = _object([
        ("id", js_string(header.name)), ("title_zh", js_string(title_zh)), ("title_en", js_string(title_en)),
        ("period_start", _day(period.start)), ("period_end", _day(period.end)),
        ("rounding", js_string(m.rounding)), ("quantum", m.constant(m.quantum)),
        ("facts", "FACTS"), ("enums", "ENUMS"), ("measures", _array(measure_specs)),
        ("rankings", _array(rankings)), ("pools", _array(pools)), ("exclusives", _array(exclusives)),
        ("jurisdiction", _optional(jurisdiction)), ("batch_defaults", "batchDefaults")])
    info = _object([
        ("id", js_string(header.name)), ("title_zh", js_string(title_zh)), ("title_en", js_string(title_en)),
        ("source", js_string(source_name)),
        ("period_start", js_string(period.start.isoformat())), ("period_end", js_string(period.end.isoformat())),
        ("rounding", js_string(m.rounding)), ("quantum", js_string(str(m.quantum))),
        ("facts", "FACTS"), ("enums", "ENUMS"), ("enum_labels", enum_labels),
        ("measures", _array(measure_info)), ("pools", _array(pool_info)), ("rankings", _array(ranking_info)),
        ("exclusives", _array(exclusives)), ("jurisdiction", _optional(jurisdiction))])

    lines = [f"const {name} = D({js_string(text)});" for text, name in m.constants.items()]
    lines += ["", f"const FACTS = {_array(facts)};", f"const ENUMS = {enums};", ""]
    lines += [item + "\n" for item in m.body]
    lines += [f"const SPEC = {spec};", f"const INFO = {info};", "return { spec: SPEC, info: INFO };"]
    return "\n".join(lines)


def compile_policy_js(policy: n.Policy, source_name: str | None = None) -> str:
    """The JavaScript source of the calculator. The policy must have passed `dsl.checks.check`."""
    from dsl.amend import base_effective

    source_name = source_name or Path(policy.path).name
    return _module([(base_effective(policy), (), _version(policy, source_name))], policy)


def compile_versions_js(versions, source_name: str | None = None) -> str:
    """One module for a policy and its amendments (`dsl.amend.Version`s, oldest first, all checked):
    a batch is evaluated by the version in force on its `as_of`, as `python_gen.compile_versions` does."""
    base = versions[0].policy
    source_name = source_name or Path(base.path).name
    return _module([(v.effective, tuple(a.name for a in v.amendments), _version(v.policy, source_name))
                    for v in versions], base)


def javascript_of(compiled) -> str:
    """The JavaScript module of a policy `pol.api.compile_file` compiled (with its amendments, if
    any, as the Python module has them); raises `pol.api.PolicyError` when a name cannot be used."""
    from pol.api import PolicyError

    versions = compiled.versions
    try:
        if len(versions) > 1 or (versions and versions[0].amendments):
            return compile_versions_js(versions)
        return compile_policy_js(compiled.parsed.policy)
    except CompileError as error:
        raise PolicyError([*compiled.diagnostics, error.diagnostic], compiled.parsed.source) from None


def _module(versions: list[tuple[datetime.date, tuple[str, ...], str]], policy: n.Policy) -> str:
    policy_id = _safe(policy.header.name, policy.header.span, "a policy name")
    out = [
        f"// Calculator for the policy `{policy_id}`, generated by pol. Do not edit: change the policy",
        "// and compile again (`pol compile --target js`). One file, no dependency, for browsers and Node.js.",
        "//",
        "//   evaluate(batch) -> result   the JSON of `pol eval --format json`; batch: an object or JSON text",
        "//   check(batch) -> null | {message, code}   the refusal `pol eval` would give, or null",
        "//   POLICY                      the policy in force now (its latest version): facts, enumerations,",
        "//                               measures, for forms; POLICY_VERSIONS: every version, oldest first",
        "",
        runtime_source(),
    ]
    entries = []
    for index, (effective, amendments, code) in enumerate(versions, start=1):
        words = f"with {len(amendments)} amendment(s)" if amendments else "as issued"
        out += [f"// ---------------------------------------------------------------- version {index}: "
                f"from {effective.isoformat()}, {words}", "",
                f"const V{index} = (() => {{", *(f"  {line}" if line else "" for line in code.split("\n")),
                "})();", ""]
        entries.append(_object([("effective", _day(effective)), ("spec", f"V{index}.spec"),
                                ("info", f"V{index}.info"),
                                ("amendments", _array(js_string(name) for name in amendments))]))
    out.append(f"const VERSIONS = {_array(entries)};")
    out.append(_ENTRY_POINTS)
    return "\n".join(out)


# Fixed text of the compiler's own, not of the policy.
_ENTRY_POINTS = """
for (const version of VERSIONS) {
  version.info.effective = version.effective.toString();
  version.info.amendments = version.amendments;
}

// The policy as in force from its latest version on, and every version, oldest first.
export const POLICY = frozen(VERSIONS[VERSIONS.length - 1].info);
export const POLICY_VERSIONS = frozen(VERSIONS.map((version) => version.info));

// The version of the policy in force on a day ("YYYY-MM-DD"), as `evaluate` picks it by `as_of`.
export function policyOn(isoDay) {
  return versionFor(VERSIONS, new Map([["as_of", isoDay]])).info;
}

// The JSON of `pol eval --format json` for a batch: a JavaScript object (read as Python reads
// JSON.stringify of it) or JSON text (read exactly, as `pol eval` reads its file). Throws
// BatchError, with the message `pol eval` gives, when the batch is refused.
export function evaluate(batch) {
  return evaluateVersions(VERSIONS, batch);
}

// null when the batch can be evaluated, else {message, code}: the refusal `pol eval` would give.
export function check(batch) {
  try {
    evaluateVersions(VERSIONS, batch);
    return null;
  } catch (error) {
    if (error instanceof BatchError || error instanceof SyntaxError) {
      return { message: error.message, code: error.code ?? null };
    }
    throw error;
  }
}

// A result as `pol eval --format json` prints it.
export function toJSONText(result) {
  return stringify(result);
}

export { BatchError };
export default { evaluate, check, toJSONText, policyOn, POLICY, POLICY_VERSIONS, BatchError };
"""
