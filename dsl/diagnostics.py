"""One diagnostic type for every stage, named codes, and all wording in one place.

Modelled on mypy's errorcodes/messages: a stage reports `MESSAGES[code]` with
arguments, never a string of its own, so the words a drafter reads are all here.
"""

from __future__ import annotations

import difflib
import json
from typing import Iterable

import attrs

from .nodes import Span

ERROR = "error"
WARNING = "warning"
NOTE = "note"


@attrs.frozen
class Code:
    code: str
    name: str
    severity: str
    message: str  # str.format template
    hint: str | None = None


def _codes(*codes: Code) -> dict[str, Code]:
    return {c.name: c for c in codes}


CODES = _codes(
    # reading the file
    Code("P001", "io", ERROR, "cannot read `{path}`: {reason}"),
    Code("P002", "syntax", ERROR, "{found}; expected {expected}",
         "{hint}"),
    Code("P003", "bad-character", ERROR, "unexpected character {char!r}",
         "text belongs inside double quotes; names use letters, digits and `_`"),
    Code("P004", "unclosed-block", ERROR, "the file ends inside a block; expected {expected}",
         "every `policy`, `enumeration`, `facts`, `clause`, `measure`, `pool`, `ranking` and `exclusive` block closes with `end`"),
    Code("P005", "bad-literal", ERROR, "{what} `{text}` is not valid: {reason}"),
    Code("P007", "repeated-part", ERROR, "`{part}` is given twice in {block}",
         "the first one is at {first}; keep one"),
    Code("P006", "too-deep", ERROR, "this expression is nested too deeply ({depth} levels)",
         "split it into simpler conditions joined with `and`"),
    # names
    Code("P101", "undefined-name", ERROR, "unknown {what} `{name}`", "{hint}"),
    Code("P102", "duplicate-name", ERROR, "{what} `{name}` is declared twice",
         "the first declaration is at {first}"),
    Code("P103", "duplicate-clause", ERROR, "clause ({numeral}) appears twice",
         "the first one is at {first}"),
    Code("P107", "misplaced-option", ERROR, "`{option}` is only for {where}", "{hint}"),
    Code("P104", "reserved-name", ERROR, "`{name}` cannot be used as {what}: {reason}"),
    Code("P105", "missing-declaration", ERROR, "the policy has no {what}", "{hint}"),
    Code("P106", "extra-jurisdiction", ERROR,
         "fact `{name}` is marked `jurisdiction`, but `{first}` already is",
         "only one fact can name the applicant's county; remove `jurisdiction` from one of them"),
    # types and units
    Code("P201", "unit-mismatch", ERROR, "cannot {action} {left} and {right}", "{hint}"),
    Code("P202", "type-mismatch", ERROR, "{what} must be {expected}, but this is {found}", "{hint}"),
    Code("P203", "unknown-enum-value", ERROR, "`{value}` is not a value of {enum}", "{hint}"),
    Code("P204", "bad-percent", ERROR, "{what} must add up to 100%, but {found}"),
    # completeness
    Code("P301", "missing-text", ERROR, "{what} has no {lang} text",
         "add `{lang} \"...\"`: the documentation is published in Chinese and English"),
    Code("P302", "missing-part", ERROR, "{what} has no {part}", "{hint}"),
    Code("P303", "clause-numeral", ERROR, "clause number `{numeral}` is not a Chinese numeral from 一 to 九十九"),
    Code("P304", "table-key-repeated", ERROR, "`{key}` appears twice in this table"),
    Code("P305", "table-gap", WARNING, "this table has no entry for {values} of `{enum}`",
         "list every value; for one that deliberately earns nothing write "
         "`{first} -> nothing because zh \"...\" en \"...\"`"),
    # meaning across the policy
    Code("P401", "pool-target", ERROR, "{what} `{name}` funds `{target}`, which {reason}"),
    Code("P402", "exclusive-member", ERROR, "`{name}` cannot take part in the exclusive group: {reason}"),
    Code("P403", "bad-period", ERROR, "{what}", "{hint}"),
    Code("P404", "unused-fact", WARNING, "fact `{name}` is declared but no measure uses it",
         "remove it, or use it in a condition or an amount"),
    Code("P405", "pool-never-binds", NOTE,
         "pool `{name}` can never run out: its measures pay at most {most} in all, within its limit of {limit}",
         "{how}"),
    # policy tests (`*.test.pol`)
    Code("T001", "unclosed-case", ERROR, "the file ends inside a block; expected {expected}",
         "every `case` and `applicant` block closes with `end`"),
    Code("T002", "refused-and-paid", ERROR,
         "case `{name}` expects the batch to be refused and also expects what it pays",
         "a refused batch pays nothing: put the refusal in a case of its own"),
    # deep checks (`dsl.deep_checks`): coverage, bounds, conditions, the text against the code
    Code("P306", "table-nothing", NOTE, "`{key}` of `{enum}` is deliberately paid nothing by `{measure}`: {reason}",
         "{reason_zh}"),
    Code("P406", "cap-never-binds", WARNING, "the cap {cap} of `{measure}` can never bind: {reason}",
         "remove it, or correct the number if another limit was meant"),
    Code("P407", "cap-always-binds", WARNING, "the cap {cap} of `{measure}` always binds: {reason}",
         "the measure always pays the cap; if that is meant, `pay` the cap itself"),
    Code("P408", "condition-never-holds", WARNING, "{what} can never hold: {reason}",
         "the measure can never pay; correct the thresholds"),
    Code("P409", "condition-always-holds", WARNING, "`{atom}` in {what} always holds: {reason}",
         "remove it, or correct the threshold"),
    Code("P410", "tier-overlap", WARNING, "the tiers `{first}` and `{second}` overlap on {term}: {reason}",
         "an applicant in the overlap qualifies for both; make one tier end where the next begins"),
    Code("P411", "tier-gap", WARNING, "the tiers `{first}` and `{second}` leave a gap on {term}: {reason}",
         "an applicant in the gap gets neither; make one tier end where the next begins"),
    Code("P501", "number-not-in-text", ERROR, "{what} `{value}` of {owner} is not in the text of clause ({numeral})",
         "{hint}"),
    Code("P502", "comparison-not-in-text", ERROR,
         "{owner} reads `{value}` as {code_words}, but the text of clause ({numeral}) says {text_words}",
         "{hint}"),
    Code("P503", "text-number-unused", NOTE, "the text of clause ({numeral}) states {numbers}, which no code uses",
         "{hint}"),
    # amendments (`dsl.amend`)
    Code("P601", "amend-base-missing", ERROR, "amendment `{name}` amends `{base}`, but {reason}", "{hint}"),
    Code("P602", "amend-target", ERROR, "{what} does not exist in `{base}` as in force on {date}", "{hint}"),
    Code("P603", "amend-exists", ERROR, "{what} already exists in `{base}` as in force on {date}",
         "to change it, use `{instead}`"),
    Code("P604", "amend-constant", ERROR, "{what} {reason}", "{hint}"),
    Code("P605", "amend-conflict", ERROR, "{what} is changed on {date} by two amendments: `{first}` and `{second}`",
         "the other change is at {where}; merge them into one amendment or give them different effective dates"),
    Code("P606", "amend-version", ERROR, "with this amendment, the policy in force from {date} has a problem: "
         "{message}", "at {where}"),
    Code("P607", "amend-date", ERROR, "{what}", "{hint}"),
    Code("P608", "amend-base-errors", ERROR, "`{base}`, the policy this amends, has errors",
         "run `pol check {path}` and correct them first"),
    Code("P609", "amend-expired", WARNING, "amendment `{name}` takes effect on {date}, after `{base}` ceases to be "
         "in effect ({end})", "it changes nothing unless it also changes the period in effect"),
    # formatting (`dsl.fmt`)
    Code("P701", "fmt-meaning", ERROR, "cannot format `{path}`: {reason}",
         "the file is left as it is; this is a fault of `pol fmt`: please report it with the file"),
)


def code(name: str) -> Code:
    return CODES[name]


@attrs.frozen
class Diagnostic:
    code: str
    name: str
    severity: str
    message: str
    span: Span | None
    hint: str | None = None

    def to_json(self) -> dict:
        out = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }
        if self.span is not None:
            out.update(
                file=self.span.file,
                line=self.span.line,
                column=self.span.column,
                end_line=self.span.end_line,
                end_column=self.span.end_column,
            )
        return out


def make(name: str, span: Span | None, /, **args) -> Diagnostic:
    """Build the diagnostic `name` with its message and hint filled from `args`."""
    c = CODES[name]
    hint = c.hint.format(**args) if c.hint else None
    return Diagnostic(c.code, c.name, c.severity, c.message.format(**args), span, hint or None)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)


def sort_key(d: Diagnostic):
    if d.span is None:
        return ("", 0, 0, d.code)
    return (d.span.file, d.span.line, d.span.column, d.code)


def render(d: Diagnostic, source: str | None) -> str:
    """rustc-style: location, severity, code, message, the line with the span underlined, the hint."""
    where = f"{d.span}: " if d.span is not None else ""
    lines = [f"{where}{d.severity}[{d.code}]: {d.message}"]
    if d.span is not None and source is not None and d.span.line >= 1:
        text_lines = source.splitlines()
        if d.span.line <= len(text_lines):
            text = text_lines[d.span.line - 1].expandtabs(1)
            start = max(d.span.column - 1, 0)
            if d.span.end_line == d.span.line and d.span.end_column > d.span.column:
                width = d.span.end_column - d.span.column
            else:
                width = max(len(text) - start, 1)
            gutter = " " * len(str(d.span.line))
            # Wide (CJK) characters take two columns in a terminal.
            pad = _display_width(text[:start])
            mark = max(_display_width(text[start:start + width]), 1)
            lines.append(f" {gutter} |")
            lines.append(f" {d.span.line} | {text}")
            lines.append(f" {gutter} | {' ' * pad}{'^' * mark}")
    if d.hint:
        lines.append(f"  = hint: {d.hint}")
    return "\n".join(lines)


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], ensure_ascii=False, indent=2)
