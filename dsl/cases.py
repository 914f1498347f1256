"""Policy test files (`*.test.pol`): parse them, then bind them to the policy they test.

Parsing turns the text into the AST of `dsl.case_nodes` (Lark LALR, as the
policy parser; syntax errors in the policy parser's words). Binding checks every
name and value against the policy (facts, their types, enumeration values,
measures, clauses, pools) and turns each case's facts into the JSON batch a
compiled calculator's `evaluate_json` takes. Every mistake is a diagnostic with
its line, never an exception.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Mapping

import attrs
import lark
from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

from . import case_nodes as cn
from . import diagnostics as diag
from . import nodes as n
from . import types as t
from .parser import (_LiteralError, _MAGNITUDES, _UNITS, _describe_expected, _syntax_diagnostic, _text_block,
                     _unescape, chinese_numeral)

GRAMMAR = Path(__file__).with_name("cases.lark")

# The words a test uses for an award's status: those of the calculator's output.
STATUSES = ("granted", "not_eligible", "superseded", "pool_reduced", "pool_exhausted")
_BOOLS = {"yes": True, "no": False, "true": True, "false": False}


@functools.cache
def _lark() -> lark.Lark:
    # The basic lexer keeps the few keywords (`case`, `applicant`, `expect`, `end`, ...) keywords
    # everywhere, so a missing value never swallows the next line's first word.
    return lark.Lark.open(str(GRAMMAR), parser="lalr", lexer="basic", propagate_positions=True,
                          maybe_placeholders=True, cache=True)


@attrs.frozen
class CasesParse:
    cases: cn.CaseFile | None
    diagnostics: tuple[diag.Diagnostic, ...]
    source: str


def parse_cases_file(path: str | Path) -> CasesParse:
    path = str(path)
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return CasesParse(None, (diag.make("io", None, path=path, reason=reason),), "")
    return parse_cases_text(source, path)


def parse_cases_text(source: str, path: str = "<string>") -> CasesParse:
    try:
        tree = _lark().parse(source)
    except UnexpectedInput as error:
        found = _unfinished_line(error, source, path) or _syntax_diagnostic(error, source, path, _lark(),
                                                                             "unclosed-case")
        return CasesParse(None, (found,), source)
    builder = _Builder(path, source)
    try:
        cases = builder.transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, _LiteralError):
            return CasesParse(None, (*builder.errors, error.orig_exc.diagnostic), source)
        raise
    return CasesParse(cases, tuple(builder.errors), source)


def _unfinished_line(error: UnexpectedInput, source: str, path: str) -> diag.Diagnostic | None:
    """`as_of` with no date, then `expect ...`: the line above is what is unfinished; say so there."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    expected = set(error.accepts or error.expected or ())
    keywords = {t.name for t in _lark().terminals if t.pattern.type == "str"}
    if error.token.type not in keywords or "END" in expected:
        return None
    lines = source.splitlines()
    if lines[error.line - 1][:error.column - 1].strip():
        return None  # the keyword is not the first word of its line
    previous = next((i for i in range(error.line - 2, -1, -1)
                     if lines[i].split("#", 1)[0].strip()), None)
    if previous is None:
        return None
    text = lines[previous].split("#", 1)[0].rstrip()
    span = n.Span(path, previous + 1, len(text) + 1, previous + 1, len(text) + 2)
    return diag.make("syntax", span, found="this line stops too early",
                     expected=_describe_expected(expected, _lark()),
                     hint=f"`{error.token}` on the next line starts a new line; finish this one first")


# ---------------------------------------------------------------- building the AST


class _Part:
    """A line of a case that may appear once (`description`)."""

    def __init__(self, key: str, value, span: n.Span):
        self.key, self.value, self.span = key, value, span


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, path: str, source: str):
        super().__init__()
        self.path = path
        self.source = source
        self.errors: list[diag.Diagnostic] = []

    def _span(self, meta) -> n.Span:
        if getattr(meta, "empty", True):
            return n.NO_SPAN
        return n.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> n.Span:
        return n.Span(self.path, tok.line, tok.column, tok.end_line or tok.line,
                      tok.end_column or tok.column + len(tok))

    def _ref(self, tok: Token) -> n.Ref:
        return n.Ref(str(tok), span=self._tok_span(tok))

    # -- the file
    def start(self, meta, c):
        target, *cases = c
        return cn.CaseFile(target, tuple(cases), self.path, span=self._span(meta))

    def target_policy_id(self, meta, c):
        return cn.Target(str(c[0]), None, span=self._tok_span(c[0]))

    def target_policy_path(self, meta, c):
        return cn.Target(None, _unescape(str(c[0])), span=self._tok_span(c[0]))

    def case(self, meta, c):
        name, *items = c
        description, first = None, None
        facts, applicants, expectations = [], [], []
        for item in items:
            if isinstance(item, _Part):
                if description is not None:
                    self.errors.append(diag.make("repeated-part", item.span, part="description",
                                                 block=f"case `{name}`", first=first))
                    continue
                description, first = item.value, item.span
            elif isinstance(item, cn.FactLine):
                facts.append(item)
            elif isinstance(item, cn.ApplicantBlock):
                applicants.append(item)
            else:
                expectations.append(item)
        return cn.Case(str(name), description, tuple(facts), tuple(applicants), tuple(expectations),
                       span=self._tok_span(name), block=self._span(meta))

    def description(self, meta, c):
        return _Part("description", c[0], self._span(meta))

    def bilingual(self, meta, c):
        zh, en = c
        return n.Bilingual(zh, en, span=self._span(meta))

    def zh_text(self, meta, c):
        return _text_block(str(c[0]))

    en_text = zh_text

    # -- facts
    def applicant(self, meta, c):
        (ident, span), *facts = c
        return cn.ApplicantBlock(ident, tuple(facts), span=span)

    def name(self, meta, c):
        tok = c[0]
        text = _unescape(str(tok)) if tok.type == "STRING" else str(tok)
        return text, self._tok_span(tok)

    def fact_line(self, meta, c):
        name, value = c
        return cn.FactLine(str(name), value, self._tok_span(name), span=self._span(meta))

    def date_value(self, meta, c):
        tok = c[0]
        try:
            return n.DateLiteral(datetime.date.fromisoformat(str(tok)), span=self._tok_span(tok))
        except ValueError:
            raise _LiteralError(diag.make("bad-literal", self._tok_span(tok), what="the date", text=str(tok),
                                          reason="no such day in the calendar")) from None

    def text_value(self, meta, c):
        return cn.Text(_unescape(str(c[0])), span=self._tok_span(c[0]))

    def word_value(self, meta, c):
        return cn.Word(str(c[0]), span=self._tok_span(c[0]))

    def count_map(self, meta, c):
        return cn.CountMap(tuple(c), span=self._span(meta))

    def count_entry(self, meta, c):
        key, count = c
        return cn.CountEntry(str(key), count, span=self._span(meta))

    def quantity(self, meta, c):
        minus, number, magnitude, unit = c
        value = Decimal(str(number).replace("_", ""))
        if magnitude is not None:
            value *= _MAGNITUDES[str(magnitude)]
        if minus is not None:
            value = -value
        text = self.source[meta.start_pos:meta.end_pos]
        return n.Quantity(value, _UNITS[str(unit)] if unit is not None else None, text, span=self._span(meta))

    # -- expectations
    def expect_award_status(self, meta, c):
        (who, who_span), measure, status, amount = c
        return cn.ExpectAward(n.Ref(who, span=who_span), self._ref(measure), self._ref(status), amount,
                              span=self._span(meta))

    def expect_award_amount(self, meta, c):
        (who, who_span), measure, amount = c
        return cn.ExpectAward(n.Ref(who, span=who_span), self._ref(measure), None, amount, span=self._span(meta))

    def expect_total(self, meta, c):
        (who, who_span), amount = c
        return cn.ExpectTotal(n.Ref(who, span=who_span), amount, span=self._span(meta))

    def expect_clause(self, meta, c):
        (who, who_span), clause, amount = c
        numeral = str(clause)[1:-1]
        return cn.ExpectClause(n.Ref(who, span=who_span), chinese_numeral(numeral), numeral,
                               self._tok_span(clause), amount, span=self._span(meta))

    def expect_pool(self, meta, c):
        return cn.ExpectPool(self._ref(c[0]), c[1], span=self._span(meta))

    def expect_refused(self, meta, c):
        code, text = c
        return cn.ExpectRefused(self._ref(code), _unescape(str(text)) if text is not None else None,
                                span=self._span(meta))

    def expect_refused_text(self, meta, c):
        return cn.ExpectRefused(None, _unescape(str(c[0])), span=self._span(meta))


# ---------------------------------------------------------------- binding to the policy


@attrs.frozen
class BoundCase:
    """A case whose names all exist in the policy, with its facts as the calculator's JSON input."""

    case: cn.Case
    batch: dict


def bind(cases: cn.CaseFile, policy: n.Policy, refusal_codes: Mapping[str, str] | None = None,
         later: Iterable[n.Policy] = ()) -> tuple[list[BoundCase], list[diag.Diagnostic]]:
    """Check a test file against its policy; the cases that have no errors, and every diagnostic.

    `refusal_codes` (code -> name) are those `expect refused CODE` may name; None accepts any.
    `later`: the policy as its amendments make it; the names they add may be used too.
    """
    binder = _Binder(policy, refusal_codes, tuple(later))
    found: list[diag.Diagnostic] = []
    bound: list[BoundCase] = []
    seen: dict[str, n.Span] = {}
    for case in cases.cases:
        if case.name in seen:
            found.append(diag.make("duplicate-name", case.span, what="case", name=case.name,
                                   first=_where(seen[case.name])))
        seen.setdefault(case.name, case.span)
        errors = list(binder.case(case))
        found.extend(errors)
        if not diag.has_errors(errors):
            bound.append(BoundCase(case, binder.batch(case)))
    return bound, found


def _where(span: n.Span) -> str:
    return f"line {span.line}"


class _Binder:
    def __init__(self, policy: n.Policy, refusal_codes: Mapping[str, str] | None, later: tuple[n.Policy, ...]):
        self.policy = policy
        self.env = t.TypeEnv(policy)
        self.refusal_codes = refusal_codes
        # Every name of every version, as it first appears: a case may be dated after an amendment.
        versions = (policy, *later)
        facts = [f for v in versions for f in v.facts]
        self.batch_facts = _first((f.name, f) for f in facts if f.scope == "batch")
        self.applicant_facts = _first((f.name, f) for f in facts if f.scope == "applicant")
        self.measures = _first((m.name, m) for v in versions for _, m in v.all_measures())
        self.pools = _first((p.name, p) for v in versions for _, p in v.all_pools())
        self.paying_clauses = dict(sorted(_first((c.number, c) for v in versions
                                                 for c in v.clauses if c.measures).items()))
        self.enum_values: dict[str, list[str]] = {}
        for v in versions:
            for e in v.enumerations:
                known = self.enum_values.setdefault(e.name, [])
                known.extend(value.code for value in e.values if value.code not in known)
        self.id_fact = next((f.name for f in policy.facts if f.scope == "applicant" and f.type.kind == "identifier"),
                            "id")

    # -- checking
    def case(self, case: cn.Case) -> Iterable[diag.Diagnostic]:
        yield from self.facts(case.facts, "batch fact", self.batch_facts, self.applicant_facts,
                              f"case `{case.name}`", elsewhere="an applicant fact: write it inside an `applicant ... end` block")
        ids: dict[str, n.Span] = {}
        for block in case.applicants:
            if block.id in ids:
                yield diag.make("duplicate-name", block.span, what="applicant", name=block.id,
                                first=_where(ids[block.id]))
            ids.setdefault(block.id, block.span)
            yield from self.facts(block.facts, "applicant fact", self.applicant_facts, self.batch_facts,
                                  f"applicant `{block.id}`", elsewhere="a batch fact: write it in the case, outside the `applicant` block")
        if not case.expectations:
            yield diag.make("missing-part", case.span, what=f"case `{case.name}`", part="expectation",
                            hint="add a line such as `expect A1 total 0元`: a case that expects nothing "
                                 "can never fail")
        refused = [e for e in case.expectations if isinstance(e, cn.ExpectRefused)]
        if refused and len(refused) < len(case.expectations):
            yield diag.make("refused-and-paid", refused[0].span, name=case.name)
        for extra in refused[1:]:
            yield diag.make("repeated-part", extra.span, part="expect refused", block=f"case `{case.name}`",
                            first=_where(refused[0].span))
        for expectation in case.expectations:
            yield from self.expectation(expectation, ids)

    def facts(self, lines, what: str, facts: dict[str, n.Fact], other: dict[str, n.Fact], block: str,
              elsewhere: str) -> Iterable[diag.Diagnostic]:
        seen: dict[str, n.Span] = {}
        for line in lines:
            if line.name in seen:
                yield diag.make("repeated-part", line.name_span, part=f"fact `{line.name}`", block=block,
                                first=_where(seen[line.name]))
                continue
            seen[line.name] = line.name_span
            if line.name == self.id_fact and line.name in facts:
                yield diag.make("misplaced-option", line.name_span, option=line.name,
                                where="the `applicant` line",
                                hint="the applicant's id is the name after `applicant`: `applicant A1`")
                continue
            fact = facts.get(line.name)
            if fact is None:
                if line.name in other:
                    hint = f"`{line.name}` is {elsewhere}"
                else:
                    hint = diag.did_you_mean(line.name, facts) or f"the policy's facts are declared in `{self.policy.path}`"
                yield diag.make("undefined-name", line.name_span, what=what, name=line.name, hint=hint)
                continue
            yield from self.value(fact, line.value)

    def value(self, fact: n.Fact, value: cn.FactValue) -> Iterable[diag.Diagnostic]:
        kind = fact.type.kind
        what = f"the fact `{fact.name}`"
        expected = _expected(fact)

        def mismatch(hint: str = "") -> diag.Diagnostic:
            return diag.make("type-mismatch", value.span, what=what, expected=expected, found=_found(value), hint=hint)

        if kind == "bool":
            if not (isinstance(value, cn.Word) and value.text in _BOOLS):
                yield mismatch("write `yes` or `no`")
        elif kind in ("integer", "year"):
            if not (isinstance(value, n.Quantity) and value.unit is None and _whole(value.value)):
                yield mismatch()
        elif kind in ("decimal", "rate"):
            if not (isinstance(value, n.Quantity) and value.unit is None):
                yield mismatch("a rate is a plain number: `usd_cny_rate 7.05`" if kind == "rate" else "")
        elif kind in ("money", "area"):
            if not isinstance(value, n.Quantity):
                yield mismatch()
            elif value.unit != fact.type.unit:
                yield mismatch(f"write the unit after the number, e.g. {t._unit_example(fact.type.unit)}"
                               if value.unit is None else "")
        elif kind == "date":
            if not isinstance(value, n.DateLiteral):
                yield mismatch("write a date as `2023-12-31`")
        elif kind in ("text", "identifier"):
            if not isinstance(value, (cn.Text, cn.Word)):
                yield mismatch('write text in double quotes: "..."')
        elif kind == "enum":
            code = _code(value)
            if code is None:
                yield mismatch()
            else:
                yield from self.enum_value(fact.type.enum, code, value.span)
        elif kind == "count_map":
            if not isinstance(value, cn.CountMap):
                yield mismatch(f"write a count for each value: `{fact.name} kundulun 100, guyang 3`")
                return
            keys: dict[str, n.Span] = {}
            for entry in value.entries:
                if entry.key in keys:
                    yield diag.make("repeated-part", entry.span, part=f"`{entry.key}`",
                                    block=f"the counts of `{fact.name}`", first=_where(keys[entry.key]))
                keys.setdefault(entry.key, entry.span)
                key_span = n.Span(entry.span.file, entry.span.line, entry.span.column, entry.span.line,
                                  entry.span.column + len(entry.key))
                yield from self.enum_value(fact.type.enum, entry.key, key_span)
                if not (entry.count.unit is None and _whole(entry.count.value)):
                    yield diag.make("type-mismatch", entry.count.span, what=f"the count of `{entry.key}`",
                                    expected="a whole number without a unit", found=_found(entry.count))

    def enum_value(self, enum: str | None, code: str, span: n.Span) -> Iterable[diag.Diagnostic]:
        values = self.enum_values.get(enum or "", [])
        if code not in values:
            hint = diag.did_you_mean(code, values) or f"the values are {', '.join(values)}"
            yield diag.make("unknown-enum-value", span, value=code, enum=f"`{enum}`", hint=hint)

    def expectation(self, e: cn.Expectation, ids: dict[str, n.Span]) -> Iterable[diag.Diagnostic]:
        if isinstance(e, (cn.ExpectAward, cn.ExpectClause, cn.ExpectTotal)) and e.applicant.name not in ids:
            hint = diag.did_you_mean(e.applicant.name, ids) or (
                "declare it in this case with `applicant NAME ... end`")
            yield diag.make("undefined-name", e.applicant.span, what="applicant", name=e.applicant.name, hint=hint)
        if isinstance(e, cn.ExpectAward):
            if e.measure.name not in self.measures:
                hint = diag.did_you_mean(e.measure.name, self.measures) or (
                    f"the policy's measures are {', '.join(self.measures)}")
                yield diag.make("undefined-name", e.measure.span, what="measure", name=e.measure.name, hint=hint)
            if e.status is not None and e.status.name not in STATUSES:
                hint = diag.did_you_mean(e.status.name, STATUSES) or f"a status is one of {', '.join(STATUSES)}"
                yield diag.make("undefined-name", e.status.span, what="status", name=e.status.name, hint=hint)
            if e.amount is not None:
                yield from self.money(e.amount)
        elif isinstance(e, cn.ExpectClause):
            if e.clause not in self.paying_clauses:
                numerals = ", ".join(f"({c.numeral})" for c in self.paying_clauses.values())
                yield diag.make("undefined-name", e.clause_span, what="paying clause", name=f"({e.numeral})",
                                hint=f"the clauses with measures are {numerals}")
            yield from self.money(e.amount)
        elif isinstance(e, cn.ExpectTotal):
            yield from self.money(e.amount)
        elif isinstance(e, cn.ExpectPool):
            if e.pool.name not in self.pools:
                hint = diag.did_you_mean(e.pool.name, self.pools) or (
                    f"the policy's pools are {', '.join(self.pools)}" if self.pools else "the policy has no pool")
                yield diag.make("undefined-name", e.pool.span, what="pool", name=e.pool.name, hint=hint)
            yield from self.money(e.used)
        elif isinstance(e, cn.ExpectRefused) and e.code is not None and self.refusal_codes is not None:
            if e.code.name not in self.refusal_codes:
                hint = diag.did_you_mean(e.code.name, self.refusal_codes) or "the codes are " + ", ".join(
                    f"{code} {name}" for code, name in self.refusal_codes.items())
                yield diag.make("undefined-name", e.code.span, what="refusal code", name=e.code.name, hint=hint)

    def money(self, q: n.Quantity) -> Iterable[diag.Diagnostic]:
        currency = self.env.currency
        if q.unit != currency:
            hint = f"write the unit after the number, e.g. `300_000 {currency}` or {t._unit_example(currency)}"
            yield diag.make("type-mismatch", q.span, what="an expected amount", expected=f"money in {currency}",
                            found=_found(q), hint=hint if q.unit is None else "")

    # -- the JSON batch (only for cases without errors)
    def batch(self, case: cn.Case) -> dict:
        data = {line.name: _json(self.batch_facts[line.name], line.value) for line in case.facts}
        data["applicants"] = [
            {self.id_fact: block.id, **{line.name: _json(self.applicant_facts[line.name], line.value)
                                        for line in block.facts}}
            for block in case.applicants]
        return data


def _first(pairs) -> dict:
    """Each key with the value it first appears with, in the order of first appearance."""
    out: dict = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def _code(value: cn.FactValue) -> str | None:
    """An enumeration value as written: a word, or a number such as the star rating `5`."""
    if isinstance(value, cn.Word):
        return value.text
    if isinstance(value, cn.Text):
        return value.value
    if isinstance(value, n.Quantity) and value.unit is None and value.value >= 0 and _whole(value.value):
        return format(value.value.normalize(), "f")
    return None


def _expected(fact: n.Fact) -> str:
    kind = fact.type.kind
    if kind == "bool":
        return "yes or no"
    if kind in ("integer", "year"):
        return "a whole number without a unit"
    if kind == "identifier":
        return "text"
    return t.ty_of_fact(fact.type).describe()


def _found(value: cn.FactValue) -> str:
    if isinstance(value, n.Quantity):
        if value.unit is None:
            return f"the number `{value.text}`"
        return f"`{value.text}`, " + t.Ty("number", unit=value.unit).describe()
    if isinstance(value, n.DateLiteral):
        return "a date"
    if isinstance(value, cn.Word):
        return f"the word `{value.text}`"
    if isinstance(value, cn.Text):
        return "text"
    return "a list of counts"


def _json(fact: n.Fact, value: cn.FactValue):
    """A checked value as the calculator's JSON input: exact decimals as strings, dates as ISO text."""
    kind = fact.type.kind
    if kind == "bool":
        return _BOOLS[value.text]
    if kind in ("integer", "year"):
        return int(value.value)
    if kind in ("decimal", "rate", "money", "area"):
        return format(value.value, "f")
    if kind == "date":
        return value.value.isoformat()
    if kind in ("text", "identifier"):
        return value.value if isinstance(value, cn.Text) else value.text
    if kind == "enum":
        return _code(value)
    return {entry.key: int(entry.count.value) for entry in value.entries}
