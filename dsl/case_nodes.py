"""The AST of a policy test file (`*.test.pol`): frozen attrs classes with spans.

Numbers with units, dates, names and bilingual texts are the policy language's
own nodes (`dsl.nodes`); what is new here is the shape of a test: cases,
applicants with their facts, and expectations.
"""

from __future__ import annotations

import attrs

from . import nodes as n
from .nodes import _span_field

# ---------------------------------------------------------------- fact values


@attrs.frozen
class Word:
    """A bare word: `yes`, `kundulun`, `national`, an identifier."""

    text: str
    span: n.Span = _span_field()


@attrs.frozen
class Text:
    """A value in double quotes."""

    value: str
    span: n.Span = _span_field()


@attrs.frozen
class CountEntry:
    key: str
    count: n.Quantity
    span: n.Span = _span_field()


@attrs.frozen
class CountMap:
    """`kundulun 100, guyang 3`: a count for each value of an enumeration."""

    entries: tuple[CountEntry, ...]
    span: n.Span = _span_field()


FactValue = n.Quantity | n.DateLiteral | Word | Text | CountMap


@attrs.frozen
class FactLine:
    """`livestream_rooms 5`: one fact of the batch or of an applicant."""

    name: str
    value: FactValue
    name_span: n.Span
    span: n.Span = _span_field()


@attrs.frozen
class ApplicantBlock:
    id: str
    facts: tuple[FactLine, ...]
    span: n.Span = _span_field()  # the id as written


# ---------------------------------------------------------------- expectations


@attrs.frozen
class ExpectAward:
    """`expect LS1 M7 granted 300_000 CNY`: a measure's status, its amount, or both."""

    applicant: n.Ref
    measure: n.Ref
    status: n.Ref | None
    amount: n.Quantity | None
    span: n.Span = _span_field()


@attrs.frozen
class ExpectClause:
    """`expect LS1 (七) 300_000 CNY`: the sum of a clause's measures for one applicant."""

    applicant: n.Ref
    clause: int | None  # None: the numeral is not one
    numeral: str
    clause_span: n.Span
    amount: n.Quantity
    span: n.Span = _span_field()


@attrs.frozen
class ExpectTotal:
    applicant: n.Ref
    amount: n.Quantity
    span: n.Span = _span_field()


@attrs.frozen
class ExpectPool:
    """`expect pool station_fund used 1_000_000 CNY`."""

    pool: n.Ref
    used: n.Quantity
    span: n.Span = _span_field()


@attrs.frozen
class ExpectRefused:
    """`expect refused B008 "outside the period"`: the batch is refused, with this code and/or words."""

    code: n.Ref | None
    text: str | None
    span: n.Span = _span_field()


Expectation = ExpectAward | ExpectClause | ExpectTotal | ExpectPool | ExpectRefused


# ---------------------------------------------------------------- the file


@attrs.frozen
class Case:
    name: str
    description: n.Bilingual | None
    facts: tuple[FactLine, ...]  # batch facts
    applicants: tuple[ApplicantBlock, ...]
    expectations: tuple[Expectation, ...]
    span: n.Span = _span_field()  # the name as written
    block: n.Span = _span_field()  # `case` to `end`


@attrs.frozen
class Target:
    """`tests for baotou_2022` (a policy id: the file `baotou_2022.pol` beside this one)
    or `tests for "../policies/x.pol"` (a path relative to this file)."""

    policy_id: str | None
    path: str | None
    span: n.Span = _span_field()


@attrs.frozen
class CaseFile:
    target: Target
    cases: tuple[Case, ...]
    path: str
    span: n.Span = _span_field()
