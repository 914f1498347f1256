"""Static checks of a parsed policy: every mistake a drafter can make that the
grammar lets through, reported as diagnostics with the words of `diagnostics.CODES`.

`check` runs one small function per family of checks; each returns its
diagnostics and never raises on any AST the parser builds (missing parts are None
or empty, and are reported, not dereferenced). Expressions are typed by
`types.TypeEnv`, which walks them without recursion.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator

from . import deep_checks
from . import diagnostics as diag
from . import nodes as n
from . import types as t
from .parser import ParseResult, parse_file
from .collector import pausing

Diags = list[diag.Diagnostic]


def check(policy: n.Policy) -> Diags:
    env = t.TypeEnv(policy)
    found: Diags = []
    for family in (_header, _periods, _duplicates, _texts, _fact_declarations, _expressions,
                   _measures, _pools, _rankings, _exclusives, _unused_facts, *deep_checks.families()):
        found.extend(family(policy, env))
    return _in_order(found)


@pausing
def check_file(path: str | Path) -> tuple[ParseResult, Diags]:
    """Parse and check one file; when it cannot be parsed, just the parse diagnostics."""
    result = parse_file(path)
    if result.amendment is not None:  # an amendment is checked with the policy it amends
        from .amend import check_amendment
        return check_amendment(path)
    if result.policy is None:
        return result, list(result.diagnostics)
    return result, _in_order(list(result.diagnostics) + check(result.policy))


def _in_order(found: Diags) -> Diags:
    """Each diagnostic once, by place (`diag.sort_key`), then by wording: the same every run."""
    return sorted(dict.fromkeys(found), key=lambda d: (diag.sort_key(d), d.message, d.hint or ""))


# ---------------------------------------------------------------- helpers


def _top(policy: n.Policy) -> n.Span:
    """Where a diagnostic about the whole file points: its first line."""
    return n.Span(policy.path, 1, 1, 1, 1)


def _at(span: n.Span | None, fallback: n.Span) -> n.Span:
    return fallback if span is None or span is n.NO_SPAN or span.line == 0 else span


def _where(span: n.Span) -> str:
    return f"line {span.line}" if span.line else "another place"


def _mismatch(span: n.Span, what: str, expected: str, found: str, hint: str = "") -> diag.Diagnostic:
    return diag.make("type-mismatch", span, what=what, expected=expected, found=found, hint=hint)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


# ---------------------------------------------------------------- the policy header


def _header(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    h = policy.header
    if h is None:
        yield diag.make("missing-declaration", _top(policy), what="`policy` header",
                        hint="begin the file with `policy NAME ... end`, giving its title, issuer, "
                             "dates and rounding")
    else:
        parts = (
            (h.title, "title", 'add `title zh "..." en "..."`'),
            (h.issuer, "issuer", 'add `issuer zh "..." en "..."`: the office that issued the policy'),
            (h.issued, "`issued` date", "add `issued 2022-08-26`: the date the policy was issued"),
            (h.period, "period in effect",
             "add `in effect from 2022-08-26 for 3 years` or `in effect from DATE to DATE`"),
            (h.rounding, "rounding", "add `rounding half_up to 0.01元 per award`"),
        )
        for value, part, hint in parts:
            if value is None:
                yield diag.make("missing-part", h.span, what=f"the policy header `{h.name}`", part=part, hint=hint)
        if h.rounding is not None:
            quantum = h.rounding.quantum
            if quantum.unit not in t.CURRENCIES:
                yield _mismatch(_at(quantum.span, h.rounding.span), what="the rounding step",
                                expected="an amount of money, such as `0.01元`",
                                found=t.Ty("number", unit=quantum.unit).describe())
            elif quantum.value <= 0:
                yield diag.make("bad-literal", _at(quantum.span, h.rounding.span), what="the rounding step",
                                text=quantum.text, reason="it must be more than zero")
    yield from _batch_facts(policy, env)
    yield from _applicant_identity(policy, env)


def _applicant_identity(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """Every applicant is named by `id`; applicant facts have no defaults (an absent fact means 'not applicable')."""
    ident = env.fact("id")
    if ident is None:
        span = policy.header.span if policy.header is not None else _top(policy)
        yield diag.make("missing-declaration", span, what="applicant fact `id`",
                        hint='declare `id: identifier zh "申请人编号" en "applicant id"` under `applicant facts`: '
                             "every applicant in a batch is named by it")
    elif ident.type.kind != "identifier" or ident.scope != "applicant":
        yield _mismatch(ident.span, what="the fact `id`", expected="an applicant fact of type `identifier`",
                        found=f"a {ident.scope} fact of type `{ident.type.kind}`", hint="")
    for f in policy.facts:
        if f.type.kind == "identifier" and f.name != "id":
            yield _mismatch(_at(f.type.span, f.span), what=f"the fact `{f.name}`", expected="not an identifier",
                            found="`identifier`", hint="only `id` names an applicant; use `text` for other names")
        if f.scope == "applicant" and f.default is not None:
            yield diag.make("misplaced-option", f.default.span, option="default", where="batch facts",
                            hint="an applicant fact that is not given means 'not applicable'; "
                                 "write the fallback in the measure's condition instead")


def _batch_facts(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    as_of = env.fact("as_of")
    if as_of is None:
        span = policy.header.span if policy.header is not None else _top(policy)
        yield diag.make("missing-declaration", span, what="batch fact `as_of`",
                        hint='declare `as_of: date zh "评估日期" en "evaluation date" required` under '
                             "`batch facts`: the date the policy is evaluated on")
    elif as_of.type.kind != "date" or as_of.scope != "batch":
        yield _mismatch(as_of.span, what="the fact `as_of`", expected="a batch fact of type `date`",
                        found=f"{'a batch' if as_of.scope == 'batch' else 'an applicant'} fact of type "
                              f"`{as_of.type.kind}`", hint="")
    year = env.fact("year")
    if year is not None and year.type.kind != "year":
        yield _mismatch(_at(year.type.span, year.span), what="the fact `year`",
                        expected="of type `year`", found=t.ty_of_fact(year.type).describe(),
                        hint="`year` is the award year: declare it `year: year ...`")


def _periods(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    h = policy.header
    if h is None:
        return
    p = h.period
    if p is not None:
        span = _at(p.span, h.span)
        if p.years is not None and p.years < 1:
            yield diag.make("bad-period", span, what="the period in effect must last at least one year",
                            hint="write the number of years the policy is in effect, e.g. `for 3 years`")
        elif p.end < p.start:
            yield diag.make("bad-period", span, what=f"the period in effect ends ({p.end}) before it starts "
                                                     f"({p.start})", hint="")
    for w in h.windows:
        if w.end < w.start:
            yield diag.make("bad-period", w.span, what=f"the window `{w.name}` ends ({w.end}) before it starts "
                                                       f"({w.start})", hint="")


# ---------------------------------------------------------------- names declared twice


def _first_seen(items: Iterable, what: str, name_of=lambda x: x.name) -> Iterator[diag.Diagnostic]:
    seen: dict[str, n.Span] = {}
    for item in items:
        name = name_of(item)
        if name in seen:
            yield diag.make("duplicate-name", item.span, what=what, name=name, first=_where(seen[name]))
        else:
            seen[name] = item.span


def _duplicates(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    yield from _first_seen(policy.facts, "fact")
    yield from _first_seen(policy.enumerations, "enumeration")
    for e in policy.enumerations:
        yield from _first_seen(e.values, f"`{e.name}` value", lambda v: v.code)
    if policy.header is not None:
        yield from _first_seen(policy.header.windows, "window")
    yield from _first_seen([m for _, m in policy.all_measures()], "measure")
    yield from _first_seen([p for _, p in policy.all_pools()], "pool")
    yield from _first_seen([r for _, r in policy.all_rankings()], "ranking")
    yield from _first_seen([x for _, x in policy.all_exclusives()], "exclusive group")
    clauses: dict[int, n.Clause] = {}
    for c in policy.clauses:
        if c.number in clauses:
            yield diag.make("duplicate-clause", c.span, numeral=c.numeral, first=_where(clauses[c.number].span))
        else:
            clauses[c.number] = c
    # A value that shares its name with a fact could never be written bare.
    for e in policy.enumerations:
        for v in e.values:
            if env.fact(v.code) is not None:
                yield diag.make("reserved-name", v.span, name=v.code, what=f"a value of `{e.name}`",
                                reason="a fact has that name, so a bare `" + v.code + "` always means the fact")


# ---------------------------------------------------------------- both languages


def _bilingual(label: n.Bilingual | None, what: str, owner: n.Span, required: bool = True
               ) -> Iterator[diag.Diagnostic]:
    """Both texts of a label; a missing optional label is fine, a present one needs both."""
    if label is None:
        if not required:
            return
        label = n.Bilingual(None, None)
    span = _at(label.span, owner)
    for lang, text in (("zh", label.zh), ("en", label.en)):
        if _blank(text):
            yield diag.make("missing-text", span, what=what, lang=lang)


def _notes(items: Iterable[n.Interpretation], owner: str) -> Iterator[diag.Diagnostic]:
    for note in items:
        yield from _bilingual(note.label, f"an interpretation of {owner}", note.span)


def _texts(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    h = policy.header
    if h is not None:
        yield from _bilingual(h.title, "the title of the policy", h.span, required=False)
        yield from _bilingual(h.issuer, "the issuer of the policy", h.span, required=False)
        yield from _bilingual(h.document, "the document of the policy", h.span, required=False)
        yield from _bilingual(h.preamble, "the preamble of the policy", h.span, required=False)
        for w in h.windows:
            yield from _bilingual(w.label, f"the window `{w.name}`", w.span)
    for heading in policy.headings:
        yield from _bilingual(heading.label, "the heading" + (f" {heading.numeral}" if heading.numeral else ""),
                              heading.span)
    for e in policy.enumerations:
        yield from _bilingual(e.label, f"the enumeration `{e.name}`", e.span)
        for v in e.values:
            yield from _bilingual(v.label, f"the value `{v.code}` of `{e.name}`", v.span)
    for f in policy.facts:
        yield from _bilingual(f.label, f"the fact `{f.name}`", f.span)
    for c in policy.clauses:
        yield from _clause_texts(c)


def _clause_texts(c: n.Clause) -> Iterator[diag.Diagnostic]:
    name = f"clause ({c.numeral})"
    yield from _bilingual(c.title, f"the title of {name}", c.span)
    yield from _bilingual(c.text, f"the text of {name}", c.span)
    yield from _bilingual(c.departments, f"the departments of {name}", c.span, required=False)
    yield from _notes(c.interpretations, name)
    for m in c.measures:
        owner = f"measure `{m.name}`"
        yield from _bilingual(m.title, f"the title of {owner}", m.span)
        yield from _bilingual(m.who, f"who {owner} is for", m.span, required=False)
        for cap in m.caps:
            yield from _bilingual(cap.label, f"a cap of {owner}", cap.span, required=False)
        yield from _notes(m.interpretations, owner)
        for node in t.walk(m.amount):
            if isinstance(node, (n.ByTable, n.EachAtTable)):
                for entry in node.entries:
                    if entry.value is None:
                        yield from _bilingual(entry.reason, f"the reason `{entry.key}` earns nothing in {owner}",
                                              entry.span)
    for kind, items in (("pool", c.pools), ("ranking", c.rankings), ("exclusive group", c.exclusives)):
        for item in items:
            owner = f"{kind} `{item.name}`"
            yield from _bilingual(item.title, f"the title of {owner}", item.span, required=False)
            yield from _notes(item.interpretations, owner)


# ---------------------------------------------------------------- facts as declared


def _fact_declarations(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    enums = [e.name for e in policy.enumerations]
    for f in policy.facts:
        tr = f.type
        span = _at(tr.span, f.span)
        if tr.kind in ("enum", "count_map") and env.enumeration(tr.enum) is None:
            hint = diag.did_you_mean(tr.enum, enums)
            if not hint and tr.kind == "enum":  # perhaps not meant as an enumeration at all
                hint = ("a type is `bool`, `integer`, `decimal`, `date`, `text`, `identifier`, `year`, "
                        "`money CNY`, `area m2`, `rate CNY per USD`, `integer by ENUM` or an enumeration's name")
            yield diag.make("undefined-name", span, what="enumeration", name=tr.enum,
                            hint=hint or "declare it with `enumeration NAME ... end`")
        if tr.kind == "money" and tr.unit not in t.CURRENCIES:
            yield _bad_unit(span, f"the unit of the money fact `{f.name}`", "`CNY` (元) or `USD` (美元)", tr.unit)
        if tr.kind == "area" and tr.unit != "m2":
            yield _bad_unit(span, f"the unit of the area fact `{f.name}`", "`m2` (平方米)", tr.unit)
        if tr.kind == "rate" and (tr.unit not in t.CURRENCIES or tr.per_unit not in t.CURRENCIES):
            yield _bad_unit(span, f"the units of the rate fact `{f.name}`", "currencies, as in `rate CNY per USD`",
                            f"{tr.unit} per {tr.per_unit}")
        if f.default is not None:
            yield from _default(f, env)
    yield from _jurisdiction_facts(policy)


def _bad_unit(span: n.Span, what: str, expected: str, unit: str | None) -> diag.Diagnostic:
    return _mismatch(span, what=what, expected=expected, found=f"`{unit}`", hint="")


def _default(f: n.Fact, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    want = t.ty_of_fact(f.type)
    got, problems = env.check(f.default, expect=want)
    yield from problems
    if got is None:
        return
    zero = isinstance(f.default, n.Quantity) and f.default.value == 0 and f.default.unit is None
    fits = (got.kind, got.enum, got.per_unit) == (want.kind, want.enum, want.per_unit) and (
        got.unit == want.unit or (zero and want.kind == "number"))
    if fits and want.integer and not got.integer:
        fits = False
    if not fits:
        yield _mismatch(f.default.span, what=f"the default of `{f.name}`",
                        expected=want.describe(), found=got.describe(), hint="")


def _jurisdiction_facts(policy: n.Policy) -> Iterator[diag.Diagnostic]:
    first: n.Fact | None = None
    for f in policy.facts:
        if not f.jurisdiction:
            continue
        if f.type.kind != "enum" or f.scope != "applicant":
            yield _mismatch(f.span, what=f"the jurisdiction fact `{f.name}`",
                            expected="an applicant fact whose type is an enumeration of counties",
                            found=f"{'a batch' if f.scope == 'batch' else 'an applicant'} fact of type "
                                  f"`{f.type.kind}`", hint="")
        if first is None:
            first = f
        else:
            yield diag.make("extra-jurisdiction", f.span, name=f.name, first=first.name)


# ---------------------------------------------------------------- expressions: names, types, units


def _expressions(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    for _, m in policy.all_measures():
        if m.condition is not None:
            yield from _condition(m.condition, f"the condition of measure `{m.name}`", env)
        if m.amount is not None:
            yield from _money(m.amount, f"the amount measure `{m.name}` pays", env)
        for cap in m.caps:
            yield from _money(cap.amount, f"a cap of measure `{m.name}`", env)
        for node in t.walk(m.amount):  # a table's lines are fixed sums: the calculator holds them as data
            for entry in node.entries if isinstance(node, (n.ByTable, n.EachAtTable)) else ():
                if entry.value is not None and not isinstance(entry.value, n.Quantity):
                    yield _mismatch(_at(entry.value.span, m.span), what=f"the amount for `{entry.key}`",
                                    expected="a written amount, such as `0.30元`", found="a calculation",
                                    hint="write the sum itself; a calculation belongs in a measure of its own")
    for _, r in policy.all_rankings():
        if r.among is not None:
            yield from _condition(r.among, f"`among` of ranking `{r.name}`", env)


def _condition(expr, what: str, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    ty, problems = env.check(expr)
    yield from problems
    if ty is not None and ty.kind != "bool":
        yield _mismatch(expr.span, what=what, expected=t.BOOL.describe(), found=ty.describe(),
                        hint="write a comparison, e.g. `livestream_rooms >= 5`")


def _money(expr, what: str, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """An amount paid or a cap: money in the currency of the rounding step."""
    ty, problems = env.check(expr)
    yield from problems
    if ty is None or (ty.kind == "number" and ty.unit == env.currency):
        return
    hint = ""
    if ty.is_money:
        hint = f"convert it with `converted at` a rate of {env.currency} per {ty.unit}"
    elif ty.kind == "number" and ty.unit is None:
        hint = "write the unit after the number, e.g. `50万元`"
    yield _mismatch(expr.span, what=what, expected=f"money in {env.currency}",
                    found=ty.describe(), hint=hint)


# ---------------------------------------------------------------- measures: parts and burden


def _measures(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    default = policy.default_burden()
    needs_county: n.Span | None = None
    for c in policy.clauses:
        if c.default_burden is not None:
            yield from _split(c.default_burden, f"the default burden of clause ({c.numeral})", c.span)
    for c, m in policy.all_measures():
        owner = f"measure `{m.name}`"
        if m.amount is None:
            yield diag.make("missing-part", m.span, what=owner, part="`pay` line",
                            hint="add `pay AMOUNT`, e.g. `pay 20万元`")
        if m.payee is None:
            yield diag.make("missing-part", m.span, what=owner, part="payee",
                            hint="add `payee applicant` or `payee county`")
        if m.burden is None and default is None:
            yield diag.make("missing-part", m.span, what=owner, part="burden",
                            hint="add `burden city 50% county 50%` (or `burden settlement`), or declare "
                                 "`default burden ...` in the clause that sets the general rule")
        if m.burden is not None:
            yield from _split(m.burden, f"the burden of {owner}", m.span)
        burden = m.burden or default
        county_share = burden is not None and burden.kind == "split" and bool(burden.county)
        if needs_county is None and (m.payee == "county" or county_share):
            needs_county = m.span
    if needs_county is not None and not any(f.jurisdiction and f.type.kind == "enum" for f in policy.facts):
        yield diag.make("missing-declaration", needs_county, what="fact marked `jurisdiction`",
                        hint="`payee county` and a county share of the burden go to the applicant's county: mark "
                             'the applicant fact that names it, e.g. `county: county zh "..." en "..." jurisdiction`')


def _split(b: n.Burden, what: str, owner: n.Span) -> Iterator[diag.Diagnostic]:
    if b.kind != "split" or b.city is None:
        return
    span = _at(b.span, owner)
    if b.county is None:
        if b.city != 100:
            yield diag.make("bad-percent", span, what=f"the shares of {what}",
                            found=f"city {b.city}% alone is {b.city}%; write the county's share too")
    elif b.city + b.county != 100:
        yield diag.make("bad-percent", span, what=f"the shares of {what}",
                        found=f"city {b.city}% and county {b.county}% make {b.city + b.county}%")


# ---------------------------------------------------------------- pools, rankings, exclusive groups


def _measure_names(policy: n.Policy) -> dict[str, n.Measure]:
    found: dict[str, n.Measure] = {}
    for _, m in policy.all_measures():
        found.setdefault(m.name, m)
    return found


def _unknown_measure(name: str, span: n.Span, measures: dict[str, n.Measure]) -> diag.Diagnostic:
    hint = diag.did_you_mean(name, measures) or "name a measure declared with `measure NAME ... end`"
    return diag.make("undefined-name", span, what="measure", name=name, hint=hint)


def _order_keys(keys: Iterable[n.OrderKey], owner: n.Span, what: str, env: t.TypeEnv,
                numeric: bool = False) -> Iterator[diag.Diagnostic]:
    for key in keys:
        if key.kind == "fact" and key.name is not None:
            span = t.name_span(_at(key.span, owner), key.name, at_end=False)
            ty = env.fact_ty(key.name)
            if ty is None:
                hint = diag.did_you_mean(key.name, env.fact_names()) or "declare it under `applicant facts`"
                yield diag.make("undefined-name", span, what="fact", name=key.name, hint=hint)
            elif numeric and ty.kind != "number":
                yield _mismatch(span, what=what, expected="a number or an amount",
                                found=ty.describe(), hint="")
            elif not ty.is_orderable:
                yield _mismatch(span, what=what, expected="a number, an amount, a date or a year",
                                found=ty.describe(), hint="")
        elif key.kind == "rank" and key.name is not None:
            rankings = [r.name for _, r in env.policy.all_rankings()]
            if key.name not in rankings:
                span = t.name_span(_at(key.span, owner), key.name, at_end=True)
                hint = diag.did_you_mean(key.name, rankings) or "declare it with `ranking NAME ... end`"
                yield diag.make("undefined-name", span, what="ranking", name=key.name, hint=hint)


def _pools(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    measures = _measure_names(policy)
    funded_by: dict[str, str] = {}
    for _, p in policy.all_pools():
        owner = f"pool `{p.name}`"
        if not p.funds:
            yield diag.make("missing-part", p.span, what=owner, part="`funds` line",
                            hint="add `funds MEASURE`: the measures whose awards the pool pays")
        if p.limit is None:
            yield diag.make("missing-part", p.span, what=owner, part="limit", hint="add `limit 100万元 per year`")
        elif p.limit.unit != env.currency:
            yield _mismatch(_at(p.limit.span, p.span), what=f"the limit of {owner}",
                            expected=f"money in {env.currency}",
                            found=t.Ty("number", unit=p.limit.unit).describe(),
                            hint="write the unit after the number, e.g. `100万元`" if p.limit.unit is None else "")
        listed: set[str] = set()
        for name in p.funds:
            if name in listed:
                yield diag.make("pool-target", p.span, what="pool", name=p.name, target=name,
                                reason="is listed twice")
                continue
            listed.add(name)
            m = measures.get(name)
            if m is None:
                yield _unknown_measure(name, p.span, measures)
                continue
            if name in funded_by:
                yield diag.make("pool-target", p.span, what="pool", name=p.name, target=name,
                                reason=f"is already funded by pool `{funded_by[name]}`")
            funded_by.setdefault(name, p.name)
            if p.whole_units and m.amount is not None and not isinstance(m.amount, n.PerUnit):
                yield diag.make("pool-target", p.span, what="pool", name=p.name, target=name,
                                reason="is not paid per unit (`AMOUNT for each of COUNT`), so it cannot be "
                                       "granted in whole units")
        yield from _order_keys(p.order, p.span, f"the order of {owner}", env)
        yield from _never_binds(p, measures, env)


def _never_binds(p: n.Pool, measures: dict[str, n.Measure], env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    """A note when the most the pool's measures can ever pay fits in its limit: only a
    ranking bounds how many applicants a measure pays, and only a fixed cap how much."""
    if p.limit is None or p.limit.unit != env.currency or not p.funds:
        return
    tops = {r.name: r.top for _, r in env.policy.all_rankings() if r.top is not None and r.top >= 1}
    most, how = Decimal(0), []
    for name in dict.fromkeys(p.funds):
        m = measures.get(name)
        if m is None or m.condition is None:
            return
        conditions = m.condition.operands if isinstance(m.condition, n.And) else (m.condition,)
        ranked = [c.ranking for c in conditions if isinstance(c, n.RankedIn) and c.ranking in tops]
        caps = [c.amount for c in m.caps if isinstance(c.amount, n.Quantity) and c.amount.unit == env.currency]
        if not ranked or not caps:
            return
        top = min(tops[r] for r in ranked)
        cap = min(caps, key=lambda q: q.value)
        most += top * cap.value
        how.append(f"`{name}` pays at most {cap.text} to each of the top {top} of `{ranked[0]}`")
    if most <= p.limit.value:
        yield diag.make("pool-never-binds", p.span, name=p.name, most=_amount(most, env.currency),
                        limit=_amount(p.limit.value, env.currency), how="; ".join(how))


def _amount(value: Decimal, unit: str) -> str:
    """An amount as the messages write it: `500,000 CNY`."""
    text = f"{value:,f}" if value != value.to_integral_value() else f"{int(value):,}"
    return f"{text} {unit}"


def _rankings(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    earlier: set[str] = set()
    known = {r.name for _, r in policy.all_rankings()}
    for _, r in policy.all_rankings():
        owner = f"ranking `{r.name}`"
        if r.top is None or r.key is None:
            yield diag.make("missing-part", r.span, what=owner, part="`top N by KEY` line",
                            hint="add e.g. `top 5 by festival_online_retail_sales`")
        else:
            if r.top < 1:
                yield diag.make("bad-literal", _at(r.key.span, r.span), what=f"the size of {owner}",
                                text=str(r.top), reason="it must be at least 1")
            if r.key.kind == "input":
                yield _mismatch(_at(r.key.span, r.span), what=f"the key of {owner}",
                                expected="a number or an amount", found="the input order",
                                hint="rank by a fact, e.g. `top 5 by sales`")
            else:
                yield from _order_keys([r.key], r.span, f"the key of {owner}", env, numeric=True)
        yield from _order_keys(r.ties, r.span, f"a tie-breaker of {owner}", env)
        yield from _ranking_order(r, earlier, known)
        earlier.add(r.name)


def _ranking_order(r: n.Ranking, earlier: set[str], known: set[str]) -> Iterator[diag.Diagnostic]:
    """Rankings are computed one after another, in the order declared: a ranking can use the places
    of one declared before it, never its own or a later one's; and who takes part is no ranking's."""
    for key in [r.key, *r.ties]:
        if key is not None and key.kind == "rank" and key.name in known and key.name not in earlier:
            yield diag.make("misplaced-option", _at(key.span, r.span), option=f"rank in {key.name}",
                            where=f"rankings declared after `{key.name}`",
                            hint="rankings are computed in the order they are declared; declare this one later")
    for node in t.walk(r.among):
        if isinstance(node, n.RankedIn):
            yield diag.make("misplaced-option", _at(node.span, r.span), option="ranked in",
                            where="the conditions of measures",
                            hint="`among` says who takes part in a ranking, before any place is given")


def _exclusives(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    measures = _measure_names(policy)
    member_of: dict[str, str] = {}
    for _, x in policy.all_exclusives():
        owner = f"exclusive group `{x.name}`"
        if not x.members:
            yield diag.make("missing-part", x.span, what=owner, part="`among` line",
                            hint="add `among M1, M2`: the rewards of which only the highest is paid")
        elif len(set(x.members)) == 1:
            yield diag.make("exclusive-member", x.span, name=x.members[0],
                            reason=f"it is alone in `{x.name}`; a group needs at least two measures")
        listed: set[str] = set()
        for name in x.members:
            if name in listed:
                yield diag.make("exclusive-member", x.span, name=name, reason=f"it is listed twice in `{x.name}`")
                continue
            listed.add(name)
            m = measures.get(name)
            if m is None:
                yield _unknown_measure(name, x.span, measures)
                continue
            if m.kind != "reward":
                yield diag.make("exclusive-member", x.span, name=name,
                                reason=f"it is a {m.kind}; only rewards (`reward`) are paid highest-only")
            if name in member_of:
                yield diag.make("exclusive-member", x.span, name=name,
                                reason=f"it is already in the group `{member_of[name]}`")
            member_of.setdefault(name, x.name)
        if x.against is not None:
            yield from _against(x, env)


def _against(x: n.Exclusive, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    ty = env.fact_ty(x.against)
    if ty is None:
        hint = diag.did_you_mean(x.against, env.fact_names()) or "declare it under `applicant facts`"
        yield diag.make("undefined-name", x.span, what="fact", name=x.against, hint=hint)
    elif not (ty.kind == "number" and ty.unit == env.currency):
        yield _mismatch(x.span, what=f"`against` of the exclusive group `{x.name}`",
                        expected=f"a money fact in {env.currency}", found=ty.describe(),
                        hint="it names the reward the applicant gets elsewhere for the same matter")


# ---------------------------------------------------------------- facts nobody uses


def _used_facts(policy: n.Policy) -> set[str]:
    used: set[str] = set()
    exprs: list = [f.default for f in policy.facts]
    for _, m in policy.all_measures():
        exprs += [m.condition, m.amount] + [cap.amount for cap in m.caps]
    keys: list[n.OrderKey] = []
    for _, p in policy.all_pools():
        keys += p.order
    for _, r in policy.all_rankings():
        exprs.append(r.among)
        keys += ([r.key] if r.key is not None else []) + list(r.ties)
    for expr in exprs:
        used.update(node.name for node in t.walk(expr) if isinstance(node, n.Ref))
    used.update(k.name for k in keys if k.kind == "fact" and k.name is not None)
    used.update(x.against for _, x in policy.all_exclusives() if x.against is not None)
    return used


def _unused_facts(policy: n.Policy, env: t.TypeEnv) -> Iterator[diag.Diagnostic]:
    used = _used_facts(policy)
    for f in policy.facts:
        if f.scope != "applicant" or f.type.kind == "identifier" or f.jurisdiction or f.name in used:
            continue
        yield diag.make("unused-fact", f.span, name=f.name)
