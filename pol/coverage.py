"""Clause coverage: what of a policy its test cases exercise.

For every measure: each top-level condition (the conjuncts of `when`, in order)
seen true and seen false, each table row used, each cap seen binding and not
binding. For the policy: each pool seen cutting an award and seen funding every
claim, each ranking seen leaving a candidate out and deciding a tie at its last
place, each exclusive group seen superseding a member and, with `against`, the
other policy's reward seen winning and losing.

Outcomes are counted for the applicants a measure concerns (it is eligible, or
the applicant gives one of its own facts), as the calculator's report lists
them: a hotel does not show that the livestream conditions can be false. The one
exception is `X is given`, false exactly when X is absent: any applicant without
X shows it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import attrs

from dsl import diagnostics as diag
from dsl import nodes as n

from . import runtime

CATEGORIES = ("conditions", "table rows", "caps", "pools", "rankings", "exclusive groups")
_PAID = ("granted", "pool_reduced", "pool_exhausted")


@attrs.define
class Item:
    """One thing to exercise, the outcomes it must be seen with, and those seen so far."""

    category: str
    kind: str  # condition, row, cap, pool, ranking, exclusive
    owner: str  # the measure, pool, ranking or group
    clause: str  # "(七)"
    label: str  # as the policy writes it
    span: n.Span
    needs: tuple[str, ...]
    owner_line: int  # where the measure, pool, ranking or group is declared
    node_kind: str = ""  # conditions: "is_given" for `X is given`
    seen: set[str] = attrs.field(factory=set)
    note: str = ""

    @property
    def covered(self) -> int:
        return sum(1 for need in self.needs if need in self.seen)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(need for need in self.needs if need not in self.seen)

    def to_json(self) -> dict:
        return {"category": self.category, "kind": self.kind, "owner": self.owner, "clause": self.clause,
                "label": self.label, "file": self.span.file, "line": self.span.line, "needs": list(self.needs),
                "seen": [need for need in self.needs if need in self.seen], "missing": list(self.missing),
                "note": self.note or None}


class Recorder:
    """Collects the outcomes of every case run against one policy."""

    def __init__(self, policy: n.Policy, source: str, spec: runtime.PolicySpec,
                 notes: Iterable[diag.Diagnostic] = (), later: Sequence[n.Policy] = ()):
        """`later`: the policy as its amendments make it, oldest first; what they add is covered too."""
        self.policy = policy
        self.spec = spec
        self.cases = 0
        self._sources = {policy.path: source.splitlines()}
        self.items: list[Item] = []
        self._conditions: dict[str, list[Item]] = {}
        self._rows: dict[str, dict[str, Item]] = {}
        self._caps: dict[str, list[Item]] = {}
        never = {d.span for d in notes if d.name == "pool-never-binds"}
        versions = (policy, *later)
        for clause, measure in _first_of_each(v.all_measures() for v in versions):
            self._measure(clause, measure)
        self._pools: dict[str, Item] = {}
        for clause, pool in _first_of_each(v.all_pools() for v in versions):
            if pool.span in never:
                item = self._add("pools", "pool", pool.name, clause, pool.name, pool.span, ("not bound",))
                item.note = "it cannot bind: note P405"
            else:
                item = self._add("pools", "pool", pool.name, clause, pool.name, pool.span, ("bound", "not bound"))
            self._pools[pool.name] = item
        self._rankings: dict[str, Item] = {}
        specs = {r.name: r for r in spec.rankings}
        for clause, ranking in _first_of_each(v.all_rankings() for v in versions):
            tie = specs[ranking.name].keys[0][0] == "fact" if ranking.name in specs else False
            needs = ("someone left out", "tie at the last place") if tie else ("someone left out",)
            self._rankings[ranking.name] = self._add("rankings", "ranking", ranking.name, clause,
                                                     ranking.name, ranking.span, needs)
        self._groups: dict[str, Item] = {}
        for clause, group in _first_of_each(v.all_exclusives() for v in versions):
            needs = ("a member superseded",)
            if group.against:
                needs += (f"{group.against} at least ours", f"{group.against} below ours")
            self._groups[group.name] = self._add("exclusive groups", "exclusive", group.name, clause,
                                                 group.name, group.span, needs)

    # -- what there is to exercise
    def _add(self, category, kind, owner, clause: n.Clause, label, span, needs, owner_line: int = 0) -> Item:
        item = Item(category, kind, owner, f"({clause.numeral})", label, span, tuple(needs), owner_line or span.line)
        self.items.append(item)
        return item

    def _measure(self, clause: n.Clause, measure: n.Measure) -> None:
        cond = measure.condition
        conjuncts = cond.operands if isinstance(cond, n.And) else ((cond,) if cond is not None else ())
        self._conditions[measure.name] = []
        for c in conjuncts:
            item = self._add("conditions", "condition", measure.name, clause, self._text(c.span), c.span,
                             ("true", "false"), measure.span.line)
            item.node_kind = "is_given" if isinstance(c, n.IsGiven) else ""
            self._conditions[measure.name].append(item)
        rows: dict[str, Item] = {}
        if isinstance(measure.amount, (n.ByTable, n.EachAtTable)):
            for entry in measure.amount.entries:
                rows.setdefault(entry.key, self._add("table rows", "row", measure.name, clause,
                                                     self._text(entry.span), entry.span, ("used",),
                                                     measure.span.line))
        self._rows[measure.name] = rows
        self._caps[measure.name] = [
            self._add("caps", "cap", measure.name, clause, self._text(cap.span).removeprefix("cap "), cap.span,
                      ("bound", "not bound"),
                      measure.span.line)
            for cap in measure.caps]

    def _text(self, span: n.Span) -> str:
        """The policy's own words for a part (in the policy, or in the amendment that added it): its first line."""
        if span.file not in self._sources:
            try:
                self._sources[span.file] = Path(span.file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._sources[span.file] = []
        lines = self._sources[span.file]
        if not 1 <= span.line <= len(lines):
            return "?"
        line = lines[span.line - 1]
        end = span.end_column - 1 if span.end_line == span.line else len(line)
        text = line[span.column - 1:end].strip()
        return text + " …" if span.end_line > span.line else text

    # -- recording
    def record(self, batch, applicants: list, result: runtime.BatchResult,
               observed: list[tuple[runtime.MeasureSpec, object, runtime.Assessment]]) -> None:
        """One case that was evaluated: its assessments (from `evaluate(observe=...)`) and its result."""
        self.cases += 1
        for measure, applicant, found in observed:
            concerned = found.eligible or any(getattr(applicant, f) is not None for f in measure.relevant)
            if not concerned:
                # `X is given` is false exactly when X is absent: any applicant without X shows it.
                for item, outcome in zip(self._conditions.get(measure.name, ()), found.outcomes):
                    if not outcome and item.node_kind == "is_given":
                        item.seen.add("false")
                continue
            for item, outcome in zip(self._conditions.get(measure.name, ()), found.outcomes):
                item.seen.add("true" if outcome else "false")
            for key in found.keys:
                if key in self._rows.get(measure.name, {}):
                    self._rows[measure.name][key].seen.add("used")
            if found.eligible:
                for index, item in enumerate(self._caps.get(measure.name, ())):
                    item.seen.add("bound" if index in found.caps_bound else "not bound")
        for pool in self.spec.pools:
            claims = [a for r in result.applicants for a in r.awards
                      if a.measure in pool.funds and a.status in _PAID and a.computed > 0]
            if claims and pool.name in self._pools:
                cut = any(a.status != "granted" for a in claims)
                self._pools[pool.name].seen.add("bound" if cut else "not bound")
        for ranking in self.spec.rankings:
            self._ranking(ranking, batch, applicants)
        for group in self.spec.exclusives:
            self._group(group, applicants, result)

    def _ranking(self, ranking: runtime.RankingSpec, batch, applicants: list) -> None:
        item = self._rankings.get(ranking.name)
        candidates = [a for a in applicants if ranking.among(a, batch)]
        if item is None or len(candidates) <= ranking.top:
            return
        item.seen.add("someone left out")
        kind, fact, descending = ranking.keys[0]
        if kind == "fact":
            values = sorted((getattr(a, fact) for a in candidates if getattr(a, fact) is not None),
                            reverse=descending)
            if len(values) > ranking.top and values[ranking.top - 1] == values[ranking.top]:
                item.seen.add("tie at the last place")

    def _group(self, group: runtime.ExclusiveSpec, applicants: list, result: runtime.BatchResult) -> None:
        item = self._groups.get(group.name)
        if item is None:
            return
        for applicant, outcome in zip(applicants, result.applicants):
            members = [a for a in outcome.awards if a.measure in group.members and a.computed > 0
                       and a.assessment is not None and a.assessment.eligible]
            if len(members) >= 2:
                item.seen.add("a member superseded")
            other = getattr(applicant, group.against) if group.against else None
            if members and other is not None and other > 0:
                beaten = all(a.status == "superseded" for a in members)
                item.seen.add(f"{group.against} at least ours" if beaten else f"{group.against} below ours")

    # -- the report
    def report(self, policy_file: str) -> "PolicyCoverage":
        return PolicyCoverage(self.policy.header.name if self.policy.header else "?", policy_file, self.cases,
                              tuple(self.items))


def _first_of_each(groups) -> list:
    """(clause, part) pairs of every version, each name once: where it first appears."""
    seen: dict[str, tuple] = {}
    for pairs in groups:
        for clause, part in pairs:
            seen.setdefault(part.name, (clause, part))
    return list(seen.values())


def percent(covered: int, total: int) -> str:
    """Rounded down to a tenth, so that 99.96% never shows as 100.0%."""
    if total == 0:
        return "100.0%"
    tenths = covered * 1000 // total
    return f"{tenths // 10}.{tenths % 10}%"


@attrs.frozen
class PolicyCoverage:
    policy: str
    file: str
    cases: int
    items: tuple[Item, ...]

    def totals(self, category: str | None = None) -> tuple[int, int]:
        chosen = [i for i in self.items if category is None or i.category == category]
        return sum(i.covered for i in chosen), sum(len(i.needs) for i in chosen)

    def reaches(self, threshold: Decimal) -> bool:
        covered, total = self.totals()
        return total == 0 or Decimal(covered) * 100 >= threshold * total

    def to_json(self) -> dict:
        summary = {}
        for category in (*CATEGORIES, None):
            covered, total = self.totals(category)
            summary[category or "total"] = {"covered": covered, "total": total,
                                            "percent": percent(covered, total).rstrip("%")}
        return {"policy": self.policy, "file": self.file, "cases": self.cases, "summary": summary,
                "items": [i.to_json() for i in self.items],
                "not_exercised": [i.to_json() for i in self.items if i.missing]}

    def render(self) -> str:
        lines = [f"Coverage of {self.policy} ({self.file}) by {self.cases} evaluated "
                 f"case{'s' if self.cases != 1 else ''}"]
        for category in CATEGORIES:
            covered, total = self.totals(category)
            if total:
                lines.append(f"  {category:<17} {percent(covered, total):>6}  ({covered} of {total} outcomes)")
        covered, total = self.totals()
        lines.append(f"  {'total':<17} {percent(covered, total):>6}  ({covered} of {total} outcomes)")
        owner = None
        for item in self.items:
            if item.kind in ("condition", "row", "cap") and item.owner != owner:
                owner = item.owner
                lines.append("")
                lines.append(f"{item.clause} {owner}  {item.span.file}:{item.owner_line}")
            elif item.kind not in ("condition", "row", "cap") and owner is not None:
                owner = None
                lines.append("")
                lines.append("Pools, rankings, exclusive groups")
            mark = "✓" if not item.missing else "✗"
            lines.append(f"  {mark} {item.kind} `{item.label}`: {_status(item)}")
        missing = [i for i in self.items if i.missing]
        lines.append("")
        if not missing:
            lines.append("Every condition, row, cap, pool, ranking and group is exercised.")
        else:
            lines.append(f"Not exercised ({len(missing)}):")
            for item in missing:
                owner = f"{item.owner} " if item.kind in ("condition", "row", "cap") else ""
                lines.append(f"  {item.span.file}:{item.span.line}: {owner}{item.kind} `{item.label}`: "
                             f"never seen {' or '.join(item.missing)}")
        return "\n".join(lines)


def _status(item: Item) -> str:
    """What was seen, in words: `true and false`, `never false`, `used`, `bound, never not bound`."""
    if not item.seen:
        text = "never seen" if item.kind != "row" else "never used"
    elif not item.missing:
        text = _and(item.needs)
    else:
        text = "; ".join([", ".join(n for n in item.needs if n in item.seen),
                          "never " + ", ".join(item.missing)])
    return f"{text} ({item.note})" if item.note else text


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
