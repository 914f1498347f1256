"""Amendments: the policy in force on a date, every version of it, and the checks of amendments.

An amendment is a `.pol` file of its own that begins `amendment NAME amends POLICY`. It is
found by that declared relation, never by its file name: the `.pol` files beside the policy
(and in any extra directory the caller names) whose header amends it. Given the amendment
itself, its policy is the file its header names (`amends POLICY in "FILE"`), else the policy
of that id beside it. Consolidating is a pure function on the AST: each change makes a new
`Policy` with `attrs.evolve`, and the spans of what an amendment brings in point into the
amendment's own file.

A version is the policy as in force from one date on: the policy as issued from the start of
its period in effect, then one version per distinct effective date, each applying every
amendment of that date (in order of issue, then name) to the version before.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Iterable, Sequence

import attrs

from . import diagnostics as diag
from . import nodes as n
from .parser import ParseResult, parse_file

Diags = list[diag.Diagnostic]

_NAME_START = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


# ---------------------------------------------------------------- finding the family of a policy


@attrs.frozen
class Header:
    """The first words of a `.pol` file: what it is and what it names."""

    kind: str  # "policy" or "amendment"
    name: str
    base: str | None  # the policy an amendment amends


def read_header(path: str | Path) -> Header | None:
    """The header of a `.pol` file, read from its first words only; None if it has neither."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    words = _first_words(text, 4)
    if len(words) >= 2 and words[0] == "policy" and is_name(words[1]):
        return Header("policy", words[1], None)
    if len(words) >= 4 and words[0] == "amendment" and words[2] == "amends" and is_name(words[1]) \
            and is_name(words[3]):
        return Header("amendment", words[1], words[3])
    return None


def _first_words(text: str, count: int) -> list[str]:
    """The first `count` words of a file, past blank lines and `#` comments."""
    words: list[str] = []
    for line in text.splitlines():
        words.extend(line.split("#", 1)[0].split())
        if len(words) >= count:
            break
    return words[:count]


def is_name(word: str) -> bool:
    """A name of the language: an ASCII letter or `_`, then letters, digits and `_`."""
    return bool(word) and word[0] in _NAME_START and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in word)


def _directories(*paths: str | Path, extra: Iterable[str | Path] = ()) -> list[Path]:
    seen, out = set(), []
    for d in [*(Path(p).parent for p in paths), *(Path(e) for e in extra)]:
        key = d.resolve()
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _pol_files(directories: Iterable[Path]) -> list[Path]:
    files = []
    for d in directories:
        try:
            files.extend(sorted(p for p in d.glob("*.pol") if p.is_file()))
        except OSError:
            continue
    return files


def find_amendments(policy_path: str | Path, policy_name: str, extra_dirs: Iterable[str | Path] = ()) -> list[Path]:
    """The amendment files that declare `amends policy_name`, beside the policy or in `extra_dirs`."""
    found = []
    for path in _pol_files(_directories(policy_path, extra=extra_dirs)):
        header = read_header(path)
        if header is not None and header.kind == "amendment" and header.base == policy_name:
            found.append(path)
    return found


def find_policies(near: str | Path, name: str, extra_dirs: Iterable[str | Path] = ()) -> tuple[list[Path], list[str]]:
    """The policy files named `name` beside `near` or in `extra_dirs`, and every policy name seen."""
    found, names = [], []
    for path in _pol_files(_directories(near, extra=extra_dirs)):
        header = read_header(path)
        if header is not None and header.kind == "policy":
            names.append(header.name)
            if header.name == name:
                found.append(path)
    return found, names


# ---------------------------------------------------------------- applying changes


@attrs.frozen
class Version:
    """The policy as in force from `effective` on, and the amendments it includes."""

    effective: datetime.date
    policy: n.Policy
    amendments: tuple[n.Amendment, ...]  # in the order they were applied

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.amendments)


def base_effective(policy: n.Policy) -> datetime.date:
    """When the policy as issued takes effect: the start of its period, else its issue date."""
    header = policy.header
    if header is not None and header.period is not None:
        return header.period.start
    if header is not None and header.issued is not None:
        return header.issued
    return datetime.date.min


def order(amendments: Iterable[n.Amendment]) -> list[n.Amendment]:
    """Amendments in the order they apply: effective date, issue date, name, file."""
    return sorted(amendments, key=lambda a: (a.effective or datetime.date.max, a.issued or datetime.date.min,
                                             a.name, a.path))


def versions(policy: n.Policy, amendments: Sequence[n.Amendment]) -> tuple[list[Version], Diags]:
    """Every version of the policy, oldest first, and the problems of the changes that could not apply."""
    found: Diags = []
    result = [Version(base_effective(policy), policy, ())]
    current, applied = policy, ()
    pending = [a for a in order(amendments) if a.effective is not None]
    for day in sorted({a.effective for a in pending}):
        for amendment in (a for a in pending if a.effective == day):
            current, problems = apply(current, amendment)
            found.extend(problems)
            applied = applied + (amendment,)
        if day <= result[0].effective:
            # In force from the policy's first day: it is part of the first version.
            result[0] = Version(result[0].effective, current, applied)
        else:
            result.append(Version(day, current, applied))
    return result, found


def in_force(all_versions: Sequence[Version], day: datetime.date) -> Version:
    """The version in force on `day`; before the first, the first (which refuses such a day)."""
    chosen = all_versions[0]
    for version in all_versions:
        if version.effective <= day:
            chosen = version
    return chosen


def policy_on(policy: n.Policy, amendments: Sequence[n.Amendment], day: datetime.date) -> n.Policy:
    """The consolidated policy in force on `day`: exactly the amendments effective by then applied."""
    return in_force(versions(policy, amendments)[0], day).policy


def apply(policy: n.Policy, amendment: n.Amendment) -> tuple[n.Policy, Diags]:
    """The policy with every change of one amendment made, in the order written."""
    problems: Diags = []
    for change in amendment.changes:
        try:
            policy = _apply_one(policy, amendment, change)
        except _Refused as refused:
            problems.append(refused.diagnostic)
        except RecursionError:
            problems.append(diag.make("too-deep", change.span, depth="too many"))
    return policy, problems


class _Refused(Exception):
    def __init__(self, diagnostic: diag.Diagnostic):
        self.diagnostic = diagnostic


def _clause_index(policy: n.Policy, number: int) -> int | None:
    return next((i for i, c in enumerate(policy.clauses) if c.number == number), None)


def _missing(what: str, span: n.Span, policy: n.Policy, amendment: n.Amendment, hint: str = "") -> _Refused:
    return _Refused(diag.make("amend-target", span, what=what, base=amendment.base,
                              date=amendment.effective, hint=hint))


def _clause_hint(policy: n.Policy) -> str:
    numerals = ", ".join(f"({c.numeral})" for c in policy.clauses)
    return f"its clauses are {numerals}" if numerals else "it has no clauses"


def _with_clauses(policy: n.Policy, clauses: list[n.Clause]) -> n.Policy:
    return attrs.evolve(policy, clauses=tuple(clauses))


def _apply_one(policy: n.Policy, amendment: n.Amendment, change) -> n.Policy:
    clauses = list(policy.clauses)
    match change:
        case n.ChangePeriod(period=period):
            if policy.header is None:
                raise _missing("the policy header", change.span, policy, amendment)
            return attrs.evolve(policy, header=attrs.evolve(policy.header, period=period))
        case n.AddClause(clause=clause):
            if _clause_index(policy, clause.number) is not None:
                raise _Refused(diag.make("amend-exists", change.span, what=f"clause ({clause.numeral})",
                                         base=amendment.base, date=amendment.effective,
                                         instead=f"replace clause ({clause.numeral})"))
            at = sum(1 for c in clauses if c.number < clause.number)
            # An added clause stands under the heading of the clause before it.
            heading = clauses[at - 1].heading if at else (clauses[0].heading if clauses else None)
            clauses.insert(at, attrs.evolve(clause, heading=heading))
            return _with_clauses(policy, clauses)
    number, numeral = ((change.clause.number, change.clause.numeral) if isinstance(change, n.ReplaceClause)
                       else (change.number, change.numeral))
    index = _clause_index(policy, number)
    if index is None:
        raise _missing(f"clause ({numeral})", change.span, policy, amendment, _clause_hint(policy))
    old = clauses[index]
    match change:
        case n.ReplaceClause(clause=clause):
            clauses[index] = attrs.evolve(clause, heading=old.heading)
        case n.RepealClause():
            del clauses[index]
        case n.ChangeText(lang=lang, old=before, new=after):
            clauses[index] = _change_text(old, lang, before, after, change, amendment)
        case n.ReplaceMeasure(measure=measure) | n.RepealMeasure(name=measure):
            name = measure if isinstance(measure, str) else measure.name
            at = next((i for i, m in enumerate(old.measures) if m.name == name), None)
            if at is None:
                raise _missing(f"measure `{name}` in clause ({numeral})", change.span, policy, amendment,
                               _names_hint("measures", [m.name for m in old.measures], name))
            measures = list(old.measures)
            if isinstance(change, n.RepealMeasure):
                del measures[at]
            else:
                measures[at] = measure
            clauses[index] = attrs.evolve(old, measures=tuple(measures))
        case n.AddMeasure(measure=measure):
            if any(m.name == measure.name for m in old.measures):
                raise _Refused(diag.make("amend-exists", change.span,
                                         what=f"measure `{measure.name}` in clause ({numeral})",
                                         base=amendment.base, date=amendment.effective,
                                         instead=f"replace measure {measure.name} in ({numeral})"))
            clauses[index] = attrs.evolve(old, measures=old.measures + (measure,))
        case n.ChangeConstant():
            clauses[index] = _change_constant(old, change, amendment)
    return _with_clauses(policy, clauses)


def _names_hint(what: str, names: list[str], wanted: str) -> str:
    close = diag.did_you_mean(wanted, names)
    if close:
        return close
    return f"its {what} are " + ", ".join(f"`{x}`" for x in names) if names else f"it has no {what}"


def _change_text(clause: n.Clause, lang: str, before: str, after: str, change: n.ChangeText,
                 amendment: n.Amendment) -> n.Clause:
    text = clause.text
    current = (text.zh if lang == "zh" else text.en) if text is not None else None
    where = f"the {lang} text of clause ({clause.numeral})"
    count = current.count(before) if current and before else 0
    if count != 1:
        reason = "does not contain these words" if count == 0 else f"contains these words {count} times"
        hint = ("quote the words exactly as the text has them" if count == 0
                else "quote more of the text around them, so that they are found once")
        raise _Refused(diag.make("amend-constant", change.span, what=where, reason=reason, hint=hint))
    changed = current.replace(before, after)
    label = attrs.evolve(text, **{lang: changed})
    return attrs.evolve(clause, text=label)


_PARTS = {"cap": "measure", "pay": "measure", "when": "measure", "limit": "pool", "top": "ranking"}


def _change_constant(clause: n.Clause, change: n.ChangeConstant, amendment: n.Amendment) -> n.Clause:
    owners = {"measure": clause.measures, "pool": clause.pools, "ranking": clause.rankings}
    kinds = {x.name: kind for kind, items in owners.items() for x in items}
    if change.target not in kinds:
        everything = [x.name for items in owners.values() for x in items]
        raise _Refused(diag.make("amend-target", change.span,
                                 what=f"measure, pool or ranking `{change.target}` in clause ({clause.numeral})",
                                 base=amendment.base, date=amendment.effective,
                                 hint=_names_hint("measures, pools and rankings", everything, change.target)))
    kind = kinds[change.target]
    what = f"the {change.part} of `{change.target}` in clause ({clause.numeral})"
    if _PARTS[change.part] != kind:
        parts = [p for p, k in _PARTS.items() if k == kind]
        raise _Refused(diag.make("amend-constant", change.span, what=f"`{change.target}`",
                                 reason=f"is a {kind}: it has no `{change.part}`",
                                 hint="a " + kind + "'s numbers are changed with " +
                                      " or ".join(f"`{p}`" for p in parts)))
    if type(change.old) is not type(change.new) or (
            isinstance(change.old, n.Quantity) and change.old.unit != change.new.unit):
        raise _Refused(diag.make("amend-constant", change.span, what=f"`{_text(change.new)}`",
                                 reason=f"is not the same kind of number as `{_text(change.old)}`",
                                 hint="a change keeps the unit: write both numbers in the same unit"))
    item = next(x for x in owners[kind] if x.name == change.target)
    if change.part == "top":
        return _change_top(clause, item, change, what)
    field = {"cap": "caps", "pay": "amount", "when": "condition", "limit": "limit"}[change.part]
    value = getattr(item, field)
    new_value, count = _swap(value, change.old, change.new)
    if count != 1:
        present = sorted({_text(q) for q in _constants(value)})
        reason = f"has no `{_text(change.old)}`" if count == 0 else f"has `{_text(change.old)}` {count} times"
        hint = ("its numbers are " + ", ".join(f"`{t}`" for t in present) if present and count == 0
                else "replace the whole measure instead" if count else "it has no numbers")
        raise _Refused(diag.make("amend-constant", change.span, what=what, reason=reason, hint=hint))
    updated = attrs.evolve(item, **{field: new_value})
    key = {"measure": "measures", "pool": "pools", "ranking": "rankings"}[kind]
    return attrs.evolve(clause, **{key: tuple(updated if x is item else x for x in owners[kind])})


def _change_top(clause: n.Clause, ranking: n.Ranking, change: n.ChangeConstant, what: str) -> n.Clause:
    def whole(q) -> int | None:
        if isinstance(q, n.Quantity) and q.unit is None and q.value == q.value.to_integral_value() and q.value > 0:
            return int(q.value)
        return None

    old, new = whole(change.old), whole(change.new)
    if old is None or new is None:
        raise _Refused(diag.make("amend-constant", change.span, what=what, reason="is a whole number of places",
                                 hint="write `top OLD to NEW` with whole numbers above zero"))
    if ranking.top != old:
        raise _Refused(diag.make("amend-constant", change.span, what=what, reason=f"is {ranking.top}, not {old}",
                                 hint=f"write `top {ranking.top} to {new}`"))
    updated = attrs.evolve(ranking, top=new)
    return attrs.evolve(clause, rankings=tuple(updated if r is ranking else r for r in clause.rankings))


def _text(q) -> str:
    return q.text


def _same_constant(node, old) -> bool:
    if type(node) is not type(old):
        return False
    if isinstance(node, n.Quantity):
        return node.value == old.value and node.unit == old.unit
    return node.value == old.value


def _swap(node, old, new):
    """`node` with every constant equal to `old` replaced by `new`, and how many there were."""
    if isinstance(node, (n.Quantity, n.Percent)):
        return (new, 1) if _same_constant(node, old) else (node, 0)
    if isinstance(node, tuple):
        items, total = [], 0
        for item in node:
            changed, count = _swap(item, old, new)
            items.append(changed)
            total += count
        return (tuple(items), total) if total else (node, 0)
    if attrs.has(type(node)) and not isinstance(node, (n.Span, n.Bilingual)):
        changes, total = {}, 0
        for a in attrs.fields(type(node)):
            if a.name == "span":
                continue
            changed, count = _swap(getattr(node, a.name), old, new)
            if count:
                changes[a.name] = changed
                total += count
        return (attrs.evolve(node, **changes), total) if total else (node, 0)
    return node, 0


def _constants(node) -> list:
    if isinstance(node, (n.Quantity, n.Percent)):
        return [node]
    if isinstance(node, tuple):
        return [c for item in node for c in _constants(item)]
    if attrs.has(type(node)) and not isinstance(node, (n.Span, n.Bilingual)):
        return [c for a in attrs.fields(type(node)) if a.name != "span" for c in _constants(getattr(node, a.name))]
    return []


# ---------------------------------------------------------------- what a change touches


def target(change) -> tuple:
    """A path naming what a change touches; two changes collide when one path begins the other."""
    match change:
        case n.ChangePeriod():
            return ("period",)
        case n.AddClause(clause=c) | n.ReplaceClause(clause=c):
            return ("clause", c.number)
        case n.RepealClause(number=number):
            return ("clause", number)
        case n.ReplaceMeasure(number=number, measure=m) | n.AddMeasure(number=number, measure=m):
            return ("clause", number, m.name)
        case n.RepealMeasure(number=number, name=name):
            return ("clause", number, name)
        case n.ChangeConstant(number=number, target=name, part=part):
            return ("clause", number, name, part)
        case n.ChangeText(number=number, lang=lang):
            return ("clause", number, "text", lang)
    raise AssertionError(change)


def describe_target(path: tuple, numerals: dict[int, str]) -> str:
    if path == ("period",):
        return "the period in effect"
    numeral = numerals.get(path[1], str(path[1]))
    if len(path) == 2:
        return f"clause ({numeral})"
    if path[2] == "text":
        return f"the text of clause ({numeral})"
    if len(path) == 3:
        return f"`{path[2]}` in clause ({numeral})"
    return f"the {path[3]} of `{path[2]}` in clause ({numeral})"


def _numeral_of(change) -> tuple[int, str] | None:
    if isinstance(change, (n.AddClause, n.ReplaceClause)):
        return change.clause.number, change.clause.numeral
    if hasattr(change, "numeral"):
        return change.number, change.numeral
    return None


def conflicts(amendments: Sequence[n.Amendment]) -> Diags:
    """Two amendments that change the same thing on the same day: reported at each of them."""
    found: Diags = []
    numerals = dict(x for a in amendments for c in a.changes if (x := _numeral_of(c)) is not None)
    ordered = order(amendments)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1:]:
            if first.effective is None or first.effective != second.effective:
                continue
            for a in first.changes:
                for b in second.changes:
                    pa, pb = target(a), target(b)
                    if pa[:len(pb)] != pb and pb[:len(pa)] != pa:
                        continue
                    what = describe_target(pa if len(pa) <= len(pb) else pb, numerals)
                    for here, there in ((a, b), (b, a)):
                        found.append(diag.make("amend-conflict", here.span, what=what, date=first.effective,
                                               first=first.name, second=second.name, where=str(there.span)))
    return found


# ---------------------------------------------------------------- checking a family


@attrs.frozen
class Family:
    """A policy and its amendments, checked: what `pol check`, `pol eval` and `pol diff` need."""

    base_path: str | None
    base: ParseResult | None
    amendments: tuple[ParseResult, ...]  # those that parsed, in the order they apply
    versions: tuple[Version, ...]  # empty when the family has errors that prevent consolidation
    diagnostics: dict[str, Diags]  # by file: the policy's own, and each amendment's
    sources: dict[str, str]

    def has_errors(self) -> bool:
        return any(diag.has_errors(found) for found in self.diagnostics.values())

    def first_failing(self) -> tuple[str, Diags] | None:
        """The first file with errors (the policy before its amendments) and its diagnostics."""
        for path, found in self.diagnostics.items():
            if diag.has_errors(found):
                return path, found
        return None

    @property
    def policy(self) -> n.Policy | None:
        return self.base.policy if self.base is not None else None

    def on(self, day: datetime.date) -> Version:
        """The version in force on `day`; the family must be free of errors (it then has versions)."""
        if not self.versions:
            raise ValueError("a policy with errors has no versions: check `has_errors()` first")
        return in_force(self.versions, day)


def load(path: str | Path, extra_dirs: Iterable[str | Path] = ()) -> Family:
    """Read a policy or an amendment file with the whole family it belongs to, and check them."""
    from .checks import check, check_file

    path = str(path)
    extra_dirs = tuple(extra_dirs)
    first = parse_file(path)
    if first.amendment is None:
        if first.policy is None:
            return Family(None, None, (), (), {path: list(first.diagnostics)}, {path: first.source})
        base_path, base_name = path, first.policy.header.name if first.policy.header else None
    else:
        base_name = first.amendment.base
        base_path, problem = _base_of(first.amendment, path, extra_dirs)
        if problem is not None:
            return Family(None, None, (first,), (), {path: [*first.diagnostics, problem]}, {path: first.source})

    base, base_found = check_file(base_path) if base_path != path else _checked(first, check)
    diagnostics: dict[str, Diags] = {base_path: list(base_found)}
    sources = {base_path: base.source}
    amendment_paths = []
    if base_name is not None:
        amendment_paths = [str(p) for p in find_amendments(base_path, base_name, extra_dirs)]
        if first.amendment is not None and not any(_same_file(p, path) for p in amendment_paths):
            amendment_paths.append(path)
    parsed = []
    for apath in amendment_paths:
        result = first if _same_file(apath, path) else parse_file(apath)
        diagnostics[apath] = list(result.diagnostics)
        sources[apath] = result.source
        if result.amendment is not None and not diag.has_errors(result.diagnostics):
            parsed.append(result)
    parsed.sort(key=lambda r: order_key(r.amendment))
    if base.policy is None or diag.has_errors(base_found):
        for result in parsed:
            diagnostics[result.amendment.path].append(diag.make(
                "amend-base-errors", result.amendment.span, base=result.amendment.base, path=base_path))
        return Family(base_path, base, tuple(parsed), (), diagnostics, sources)

    amendments = [r.amendment for r in parsed]
    for problem in _headers(base.policy, amendments) + conflicts(amendments):
        diagnostics[problem.span.file].append(problem)
    all_versions, problems = versions(base.policy, amendments)
    problems += _expired(all_versions, amendments)
    for problem in problems:
        diagnostics[problem.span.file].append(problem)
    for problem in _version_problems(all_versions, base_found, check):
        diagnostics[problem.span.file].append(problem)
    for key in diagnostics:
        diagnostics[key] = _in_order(diagnostics[key])
    failed = any(diag.has_errors(diagnostics[r.amendment.path]) for r in parsed)
    return Family(base_path, base, tuple(parsed), () if failed else tuple(all_versions), diagnostics, sources)


def _base_of(amendment: n.Amendment, path: str, extra_dirs: tuple) -> tuple[str | None, diag.Diagnostic | None]:
    """The file of the policy an amendment amends: the one its header names (`amends ID in "FILE"`,
    relative to the amendment), else the one policy of that id beside it or in `extra_dirs`."""
    name = amendment.base

    def missing(reason: str, hint: str) -> tuple[None, diag.Diagnostic]:
        return None, diag.make("amend-base-missing", amendment.span, name=amendment.name, base=name,
                               reason=reason, hint=hint)

    if amendment.base_file is not None:
        # `examples/amendments/../../policies/x.pol` is said as `policies/x.pol` (in messages, in labels)
        declared = Path(os.path.normpath(Path(path).parent / amendment.base_file))
        header = read_header(declared) if declared.is_file() else None
        if header is None:
            reason = "no such file" if not declared.exists() else "it is not a policy file"
            return missing(f"the file it names, `{declared}`, cannot be read as a policy: {reason}",
                           'the path after `in` is relative to the amendment\'s own directory')
        if header.kind != "policy" or header.name != name:
            declares = f"`policy {header.name}`" if header.kind == "policy" else f"`amendment {header.name}`"
            return missing(f"the file it names, `{declared}`, declares {declares}",
                           f"name the file of `policy {name}` after `in`, or amend `{header.name}`")
        return str(declared), None
    candidates, names = find_policies(path, name, extra_dirs)
    if len(candidates) == 1:
        return str(candidates[0]), None
    if candidates:
        return missing(f"{len(candidates)} files declare `policy {name}`: " + ", ".join(str(c) for c in candidates),
                       f'keep one policy of that name, or name its file: `amends {name} in "FILE"`')
    hint = diag.did_you_mean(name, names) or (
        f'put the amendment beside the policy it amends, or say where it is: `amends {name} in "FILE"`')
    return missing(f"no policy `{name}` is in {_dirs_words(path, extra_dirs)}", hint)


def order_key(a: n.Amendment):
    return (a.effective or datetime.date.max, a.issued or datetime.date.min, a.name, a.path)


def _checked(result: ParseResult, check) -> tuple[ParseResult, Diags]:
    return result, _in_order(list(result.diagnostics) + check(result.policy))


def _in_order(found: Diags) -> Diags:
    return sorted(dict.fromkeys(found), key=lambda d: (diag.sort_key(d), d.message, d.hint or ""))


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return str(a) == str(b)


def _dirs_words(path: str, extra_dirs: tuple) -> str:
    dirs = _directories(path, extra=extra_dirs)
    return " or ".join(f"`{d}`" for d in dirs)


def _headers(policy: n.Policy, amendments: Sequence[n.Amendment]) -> Diags:
    """Each amendment's own header: its dates, its title, its name unique in the family."""
    found: Diags = []
    start = base_effective(policy)
    seen: dict[str, n.Amendment] = {}
    for a in amendments:
        if a.name in seen:
            found.append(diag.make("duplicate-name", a.span, what="amendment", name=a.name,
                                   first=str(seen[a.name].span)))
        seen.setdefault(a.name, a)
        if a.name == policy.header.name:
            found.append(diag.make("reserved-name", a.span, name=a.name, what="the name of an amendment",
                                   reason="it is the name of the policy it amends"))
        for value, part, hint in (
                (a.effective, "`effective` date", "add `effective 2024-01-01`: the day its changes take effect"),
                (a.issued, "`issued` date", "add `issued 2023-12-15`: the day the amendment was issued"),
                (a.title, "title", 'add `title zh "..." en "..."`')):
            if value is None:
                found.append(diag.make("missing-part", a.span, what=f"the amendment `{a.name}`", part=part, hint=hint))
        if a.title is not None:
            for lang, text in (("zh", a.title.zh), ("en", a.title.en)):
                if text is None or not text.strip():
                    found.append(diag.make("missing-text", a.title.span if a.title.span.line else a.span,
                                           what=f"the title of the amendment `{a.name}`", lang=lang))
        if not a.changes:
            found.append(diag.make("missing-part", a.span, what=f"the amendment `{a.name}`", part="changes",
                                   hint="list what it changes: `change ...`, `replace ...`, `add ...`, `repeal ...`"))
        if a.effective is None:
            continue
        if a.effective < start:
            found.append(diag.make("amend-date", a.span,
                                   what=f"amendment `{a.name}` takes effect on {a.effective}, before `{a.base}` "
                                        f"itself ({start})",
                                   hint="an amendment takes effect on or after the day the policy does"))
        elif a.issued is not None and a.effective < a.issued:
            found.append(diag.make("amend-date", a.span,
                                   what=f"amendment `{a.name}` takes effect on {a.effective}, before it was "
                                        f"issued ({a.issued})",
                                   hint="check the dates: `effective` is the day its changes apply"))
    return found


def _expired(all_versions: Sequence[Version], amendments: Sequence[n.Amendment]) -> Diags:
    """Amendments that take effect after the policy in force the day before has ceased to be in effect."""
    found: Diags = []
    for a in amendments:
        if a.effective is None or a.effective <= all_versions[0].effective:
            continue
        before = in_force(all_versions, a.effective - datetime.timedelta(days=1)).policy
        period = before.header.period if before.header is not None else None
        changes_period = any(isinstance(c, n.ChangePeriod) for c in a.changes)
        if period is not None and a.effective > period.end and not changes_period:
            found.append(diag.make("amend-expired", a.span, name=a.name, date=a.effective, base=a.base,
                                   end=period.end))
    return found


def _version_problems(all_versions: Sequence[Version], base_found: Diags, check) -> Diags:
    """The problems each version has that the one before it had not, laid at the amendments that made it."""
    found: Diags = []
    before = set(base_found)
    for version in all_versions:
        if not version.amendments:
            continue
        now = check(version.policy)
        newcomers = [a for a in version.amendments if a.effective == version.effective
                     or version is all_versions[0]]
        files = {a.path for a in newcomers}
        for problem in now:
            if problem in before:
                continue
            if problem.span is not None and problem.span.file in files:
                found.append(problem)
                continue
            for a in newcomers:
                wrapped = diag.make("amend-version", a.span, date=version.effective, message=problem.message,
                                    where=str(problem.span) if problem.span is not None else f"`{a.base}`")
                found.append(attrs.evolve(wrapped, severity=problem.severity))
        before = set(now)
    return found


def check_amendment(path: str | Path, extra_dirs: Iterable[str | Path] = ()) -> tuple[ParseResult, Diags]:
    """`check_file` for an amendment: its own problems, and those it makes in the policy it amends."""
    family = load(path, extra_dirs)
    key = next((k for k in family.diagnostics if _same_file(k, path)), str(path))
    result = next((r for r in family.amendments if _same_file(r.amendment.path, path)), None)
    if result is None:
        result = parse_file(path)
    return result, family.diagnostics.get(key, [])
