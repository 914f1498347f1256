"""What changes in the law between two versions of a policy, and how much money it moves.

`diff(old, new)` compares two policy ASTs part by part: the header, the vocabulary, then
clause by clause and measure by measure, and says each change in English and Chinese
words (through `describe.Describer`, the words of the calculators' explanations), never as
a text diff. Two parts are the same when they mean the same: spans, the spelling of a
number (`50万元` or `500000元`) and the synonyms of a comparison (`达到` or `不少于`) do not
count. `impact(before, after)` compares two evaluation results (`pol eval --format json`)
of one batch: the payout per measure and in total, and every applicant whose amount changes.
The renderers write a report as text, JSON or Markdown fit for a pull-request comment.
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from typing import Iterable

import attrs

from dsl import nodes as n

from .describe import Describer, number_en, quantity

ZERO = Decimal(0)


# ---------------------------------------------------------------- what a report holds


@attrs.frozen
class Change:
    action: str  # "added", "removed" or "changed"
    clause: int | None  # None: the header or the vocabulary
    numeral: str | None
    subject: str  # what changed: `M7`, `station_fund`, `clause`, `fact county`, `header`
    part: str  # the part of it: `cap`, `condition`, `text (zh)`, ...; "" for the whole
    en: str
    zh: str

    def to_json(self) -> dict:
        return {"action": self.action, "clause": self.clause, "numeral": self.numeral, "subject": self.subject,
                "part": self.part, "en": self.en, "zh": self.zh}


@attrs.frozen
class Section:
    """The changes between the two sides as in force on one day (or between two days)."""

    label_en: str
    label_zh: str
    changes: tuple[Change, ...]

    def to_json(self) -> dict:
        return {"label": self.label_en, "label_zh": self.label_zh, "changes": [c.to_json() for c in self.changes]}


@attrs.frozen
class MeasureImpact:
    measure: str
    clause: int
    numeral: str
    before: Decimal
    after: Decimal


@attrs.frozen
class ApplicantImpact:
    id: str
    before: Decimal
    after: Decimal
    measures: tuple[tuple[str, Decimal, Decimal], ...]  # (measure, before, after) for those that changed


@attrs.frozen
class Impact:
    batch: str  # the batch file, as named on the command line
    as_of: str | None
    measures: tuple[MeasureImpact, ...]
    before: Decimal
    after: Decimal
    applicants: tuple[ApplicantImpact, ...]  # only those whose amount changes
    count: int  # applicants in the batch
    refused_before: str | None = None  # the batch refused by the old side: why
    refused_after: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.applicants) or self.before != self.after or (self.refused_before != self.refused_after)

    def to_json(self) -> dict:
        return {
            "batch": self.batch, "as_of": self.as_of, "applicants_in_batch": self.count,
            "refused_before": self.refused_before, "refused_after": self.refused_after,
            "measures": [{"measure": m.measure, "clause": m.clause, "numeral": m.numeral, "before": _money(m.before),
                          "after": _money(m.after), "change": _signed(m.after - m.before)} for m in self.measures],
            "total": {"before": _money(self.before), "after": _money(self.after),
                      "change": _signed(self.after - self.before)},
            "applicants": [{"id": a.id, "before": _money(a.before), "after": _money(a.after),
                            "change": _signed(a.after - a.before),
                            "measures": [{"measure": m, "before": _money(b), "after": _money(x)}
                                         for m, b, x in a.measures]} for a in self.applicants],
        }


@attrs.frozen
class Report:
    policy: str
    old: str  # what the old side is: a file, or a date
    new: str
    sections: tuple[Section, ...]
    impact: Impact | None = None
    old_zh: str | None = None  # the sides in Chinese, when they are words and not file names
    new_zh: str | None = None

    @property
    def changed(self) -> bool:
        return any(s.changes for s in self.sections) or (self.impact is not None and self.impact.changed)

    def sides(self, lang: str) -> tuple[str, str]:
        if lang == "zh":
            return self.old_zh or self.old, self.new_zh or self.new
        return self.old, self.new

    def to_json(self) -> dict:
        return {"policy": self.policy, "old": self.old, "new": self.new, "changed": self.changed,
                "sections": [s.to_json() for s in self.sections],
                "impact": self.impact.to_json() if self.impact is not None else None}


# ---------------------------------------------------------------- meaning, not spelling


def canon(node):
    """A node as nested tuples of what it means: no spans, no spelling of numbers or comparisons."""
    if isinstance(node, tuple):
        return tuple(canon(item) for item in node)
    if attrs.has(type(node)) and not isinstance(node, n.Span):
        skip = {"span"}
        if isinstance(node, (n.Quantity, n.Percent)):
            skip.add("text")
        if isinstance(node, n.Compare):
            skip.add("words")
        if isinstance(node, n.Clause):
            skip.add("heading")
        return (type(node).__name__, *((a.name, canon(getattr(node, a.name)))
                                       for a in attrs.fields(type(node)) if a.name not in skip))
    return node


def same(a, b) -> bool:
    return canon(a) == canon(b)


# ---------------------------------------------------------------- the words of a change

_PARTS_ZH = {
    "title": "标题", "text": "正文", "departments": "责任部门", "who": "适用对象", "condition": "条件",
    "amount": "金额", "cap": "上限", "payee": "受款方", "burden": "负担", "interpretation": "解释",
    "kind": "类别", "repair": "文字修正", "default burden": "默认负担", "limit": "年度总额", "funds": "资助措施",
    "order": "顺序", "partial grants": "部分给付", "size": "名次数", "ranked by": "排名依据", "among": "参评范围",
    "ties": "并列处理", "members": "成员", "against": "比较对象", "issuer": "发布机关", "document": "文件",
    "preamble": "序言", "issued": "印发日期", "published": "公布日期", "period in effect": "有效期",
    "window": "期间", "rounding": "舍入", "id": "编号", "label": "名称", "type": "类型", "options": "选项", "values": "取值",
}
_KINDS_ZH = {"reward": "奖励", "subsidy": "补贴", "settlement": "结算"}
_ARROW = " → "


def _quote(text: str | None, lang: str) -> str:
    if text is None:
        return "(none)" if lang == "en" else "(无)"
    one_line = " ".join(text.split())
    return f"“{one_line}”"


def fragment(old: str, new: str, lang: str) -> tuple[str, str]:
    """The part of a text that changed, with a little of what surrounds it."""
    old, new = " ".join(old.split()), " ".join(new.split())
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    context = 12 if lang == "zh" else 30
    left = max(0, start - context)
    if lang == "en":
        while left > 0 and old[left - 1] != " ":
            left -= 1
    tail = min(end, context)
    if lang == "en":
        while tail < end and old[len(old) - end + tail] != " ":
            tail += 1
    old_part = old[left:len(old) - end + tail]
    new_part = new[left:len(new) - end + tail]
    before = "…" if left > 0 else ""
    after = "…" if tail < end else ""
    return f"“{before}{old_part}{after}”", f"“{before}{new_part}{after}”"


class _Differ:
    def __init__(self, old: n.Policy, new: n.Policy):
        self.old, self.new = old, new
        self.words_old, self.words_new = Describer(old), Describer(new)
        self.out: list[Change] = []

    # -- recording
    def record(self, action: str, clause: n.Clause | None, subject: str, part: str, en: str, zh: str) -> None:
        self.out.append(Change(action, clause.number if clause else None, clause.numeral if clause else None,
                               subject, part, en, zh))

    def where(self, clause: n.Clause | None, subject: str, lang: str) -> str:
        """`(七) M7` / `第(七)条 M7`: the place a change is in."""
        name = "" if subject in ("", "clause") else f" {subject}"
        if clause is None:
            return subject
        return f"({clause.numeral}){name}" if lang == "en" else f"第({clause.numeral})条{name}"

    def changed(self, clause, subject: str, part: str, old_en: str, new_en: str, old_zh: str, new_zh: str) -> None:
        part_zh = _PARTS_ZH.get(part.split(" (")[0], part) + (part[part.index(" ("):] if " (" in part else "")
        self.record("changed", clause, subject, part,
                    f"{self.where(clause, subject, 'en')} {part}: {old_en}{_ARROW}{new_en}",
                    f"{self.where(clause, subject, 'zh')} {part_zh}:{old_zh}{_ARROW}{new_zh}")

    def label(self, clause, subject: str, part: str, old: n.Bilingual | None, new: n.Bilingual | None) -> None:
        """A bilingual text: each language that changed, as the words that changed."""
        for lang in ("zh", "en"):
            a = getattr(old, lang) if old is not None else None
            b = getattr(new, lang) if new is not None else None
            if a == b:
                continue
            if a and b:
                shown_a, shown_b = fragment(a, b, lang)
                self.changed(clause, subject, f"{part} ({lang})", shown_a, shown_b, shown_a, shown_b)
            else:
                self.changed(clause, subject, f"{part} ({lang})", _quote(a, "en"), _quote(b, "en"),
                             _quote(a, "zh"), _quote(b, "zh"))

    def both(self, expr_old, expr_new, how: str = "value") -> tuple[str, str, str, str]:
        """Old and new in words, en then zh; a sum in one unit says its unit once: `500,000 → 800,000 yuan`."""
        if (isinstance(expr_old, n.Quantity) and isinstance(expr_new, n.Quantity) and expr_old.unit == expr_new.unit
                and expr_old.unit is not None):
            unit = quantity(n.Quantity(Decimal(1), expr_old.unit, ""), "en").split(" ", 1)[1]
            return (number_en(expr_old.value), f"{number_en(expr_new.value)} {unit}",
                    quantity(expr_old, "zh"), quantity(expr_new, "zh"))
        say_old = getattr(self.words_old, how)
        say_new = getattr(self.words_new, how)
        return (say_old(expr_old, "en") if expr_old is not None else "(none)",
                say_new(expr_new, "en") if expr_new is not None else "(none)",
                say_old(expr_old, "zh") if expr_old is not None else "(无)",
                say_new(expr_new, "zh") if expr_new is not None else "(无)")

    # -- the whole policy
    def run(self) -> list[Change]:
        self.header()
        self.vocabulary()
        self.clauses()
        return self.out

    def header(self) -> None:
        a, b = self.old.header, self.new.header
        if a is None or b is None:
            return
        if a.name != b.name:
            self.changed(None, "header", "id", a.name, b.name, a.name, b.name)
        for part in ("title", "issuer", "document", "preamble"):
            if not same(getattr(a, part), getattr(b, part)):
                self.label(None, "header", part, getattr(a, part), getattr(b, part))
        for part in ("issued", "published"):
            if getattr(a, part) != getattr(b, part):
                old, new = str(getattr(a, part) or "(none)"), str(getattr(b, part) or "(none)")
                self.changed(None, "header", part, old, new, old, new)
        if not same(a.period, b.period):
            self.changed(None, "header", "period in effect", self.period(a.period, "en"), self.period(b.period, "en"),
                         self.period(a.period, "zh"), self.period(b.period, "zh"))
        old_windows, new_windows = {w.name: w for w in a.windows}, {w.name: w for w in b.windows}
        for name in _union(old_windows, new_windows):
            wa, wb = old_windows.get(name), new_windows.get(name)
            if wa is None or wb is None or (wa.start, wa.end) != (wb.start, wb.end):
                self.changed(None, f"window {name}", "window", self.window(wa, "en"), self.window(wb, "en"),
                             self.window(wa, "zh"), self.window(wb, "zh"))
            if wa is not None and wb is not None and not same(wa.label, wb.label):
                self.label(None, f"window {name}", "label", wa.label, wb.label)
        if not same(a.rounding, b.rounding):
            self.changed(None, "header", "rounding", self.rounding(a.rounding), self.rounding(b.rounding),
                         self.rounding(a.rounding), self.rounding(b.rounding))

    @staticmethod
    def period(p: n.Period | None, lang: str) -> str:
        if p is None:
            return "(none)" if lang == "en" else "(无)"
        return f"{p.start} to {p.end}" if lang == "en" else f"{p.start}至{p.end}"

    @staticmethod
    def window(w: n.Window | None, lang: str) -> str:
        if w is None:
            return "(none)" if lang == "en" else "(无)"
        return f"{w.start} to {w.end}" if lang == "en" else f"{w.start}至{w.end}"

    @staticmethod
    def rounding(r: n.Rounding | None) -> str:
        return "(none)" if r is None else f"{r.mode} to {r.quantum.text}"

    def vocabulary(self) -> None:
        old_enums = {e.name: e for e in self.old.enumerations}
        new_enums = {e.name: e for e in self.new.enumerations}
        for name in _union(old_enums, new_enums):
            a, b = old_enums.get(name), new_enums.get(name)
            subject = f"enumeration {name}"
            if a is None or b is None:
                values = ", ".join(v.code for v in (b or a).values)
                action = "added" if a is None else "removed"
                self.record(action, None, subject, "",
                            f"{subject} {action}: {values}",
                            f"{'新增' if a is None else '删除'}枚举 {name}:{values}")
                continue
            old_codes = [v.code for v in a.values]
            new_codes = [v.code for v in b.values]
            if old_codes != new_codes:
                self.changed(None, subject, "values", ", ".join(old_codes), ", ".join(new_codes),
                             ", ".join(old_codes), ", ".join(new_codes))
            if not same(a.label, b.label):
                self.label(None, subject, "label", a.label, b.label)
            old_values = {v.code: v for v in a.values}
            for v in b.values:
                if v.code in old_values and not same(old_values[v.code].label, v.label):
                    self.label(None, f"{subject} {v.code}", "label", old_values[v.code].label, v.label)
        old_facts = {f.name: f for f in self.old.facts}
        new_facts = {f.name: f for f in self.new.facts}
        for name in _union(old_facts, new_facts):
            a, b = old_facts.get(name), new_facts.get(name)
            subject = f"fact {name}"
            if a is None or b is None:
                fact = b or a
                action = "added" if a is None else "removed"
                self.record(action, None, subject, "",
                            f"{subject} {action}: {fact.label.en or name} ({fact.scope}, {_type(fact.type)})",
                            f"{'新增' if a is None else '删除'}事实 {name}:{fact.label.zh or name}"
                            f"({fact.scope},{_type(fact.type)})")
                continue
            if not same(a.type, b.type):
                self.changed(None, subject, "type", _type(a.type), _type(b.type), _type(a.type), _type(b.type))
            if (a.scope, a.general, a.required, a.jurisdiction) != (b.scope, b.general, b.required, b.jurisdiction) \
                    or not same(a.default, b.default):
                self.changed(None, subject, "options", self.options(a, self.words_old), self.options(b, self.words_new),
                             self.options(a, self.words_old), self.options(b, self.words_new))
            if not same(a.label, b.label):
                self.label(None, subject, "label", a.label, b.label)

    @staticmethod
    def options(f: n.Fact, words: Describer) -> str:
        parts = [f.scope]
        parts += [word for word, on in (("general", f.general), ("required", f.required),
                                        ("jurisdiction", f.jurisdiction)) if on]
        if f.default is not None:
            parts.append(f"default {words.value(f.default, 'en')}")
        return ", ".join(parts)

    # -- clauses
    def clauses(self) -> None:
        old = {c.number: c for c in self.old.clauses}
        new = {c.number: c for c in self.new.clauses}
        for number in sorted(set(old) | set(new)):
            a, b = old.get(number), new.get(number)
            if a is None:
                self.whole_clause("added", b, self.words_new)
            elif b is None:
                self.whole_clause("removed", a, self.words_old)
            elif not same(a, b):
                self.clause(a, b)

    def whole_clause(self, action: str, c: n.Clause, words: Describer) -> None:
        title_en = c.title.en if c.title and c.title.en else ""
        title_zh = c.title.zh if c.title and c.title.zh else ""
        if action == "added":
            self.record(action, c, "clause", "", f"({c.numeral}) added: {title_en}".rstrip(),
                        f"新增第({c.numeral})条:{title_zh}")
        else:
            self.record(action, c, "clause", "", f"({c.numeral}) repealed: {title_en}".rstrip(),
                        f"废止第({c.numeral})条:{title_zh}")
        for m in c.measures:
            self.whole_measure(action, c, m, words)
        for p in c.pools:
            self.whole_thing(action, c, p.name, "pool", self.pool_words(p, "en"), self.pool_words(p, "zh"))
        for r in c.rankings:
            self.whole_thing(action, c, r.name, "ranking", self.ranking_words(r, words, "en"),
                             self.ranking_words(r, words, "zh"))
        for x in c.exclusives:
            self.whole_thing(action, c, x.name, "exclusive group", ", ".join(x.members), "、".join(x.members))

    def whole_thing(self, action: str, c: n.Clause, name: str, kind: str, en: str, zh: str) -> None:
        kind_zh = {"pool": "资金总额", "ranking": "排名", "exclusive group": "互斥组", "measure": "措施"}[kind]
        verb_zh = "新增" if action == "added" else "删除"
        self.record(action, c, name, "", f"({c.numeral}) {kind} {name} {action}: {en}",
                    f"第({c.numeral})条 {verb_zh}{kind_zh} {name}:{zh}")

    def whole_measure(self, action: str, c: n.Clause, m: n.Measure, words: Describer) -> None:
        self.whole_thing(action, c, m.name, "measure", self.measure_words(m, words, "en"),
                         self.measure_words(m, words, "zh"))

    @staticmethod
    def measure_words(m: n.Measure, words: Describer, lang: str) -> str:
        en = lang == "en"
        parts = [m.kind if en else _KINDS_ZH.get(m.kind, m.kind)]
        if m.condition is not None:
            parts.append(("when " if en else "条件:") + words.condition(m.condition, lang))
        if m.amount is not None:
            parts.append(("pays " if en else "金额:") + words.value(m.amount, lang))
        for cap in m.caps:
            parts.append(("at most " if en else "上限:") + words.value(cap.amount, lang))
        return ("; " if en else ";").join(parts)

    @staticmethod
    def pool_words(p: n.Pool, lang: str) -> str:
        limit = quantity(p.limit, lang) if p.limit is not None else "?"
        funds = ", ".join(p.funds)
        return f"{limit} a year for {funds}" if lang == "en" else f"每年{limit},用于{funds}"

    @staticmethod
    def ranking_words(r: n.Ranking, words: Describer, lang: str) -> str:
        key = _key_words(r.key, words, lang) if r.key is not None else "?"
        return f"top {r.top} by {key}" if lang == "en" else f"按{key}排名前{r.top}"

    def clause(self, a: n.Clause, b: n.Clause) -> None:
        for part in ("title", "text", "departments"):
            if not same(getattr(a, part), getattr(b, part)):
                self.label(b, "clause", part, getattr(a, part), getattr(b, part))
        self.listed(b, "clause", "repair", a.repairs, b.repairs, lambda r, lang: f"“{r.printed}” → “{r.read_as}”")
        self.notes(b, "clause", a.interpretations, b.interpretations)
        if not same(a.default_burden, b.default_burden):
            self.changed(b, "clause", "default burden", _burden(a.default_burden, "en"),
                         _burden(b.default_burden, "en"),
                         _burden(a.default_burden, "zh"), _burden(b.default_burden, "zh"))
        self.members(b, a.measures, b.measures, "measure", self.measure)
        self.members(b, a.pools, b.pools, "pool", self.pool)
        self.members(b, a.rankings, b.rankings, "ranking", self.ranking)
        self.members(b, a.exclusives, b.exclusives, "exclusive group", self.exclusive)

    def members(self, clause: n.Clause, old: tuple, new: tuple, kind: str, compare) -> None:
        old_by, new_by = {x.name: x for x in old}, {x.name: x for x in new}
        for name in _union(old_by, new_by):
            a, b = old_by.get(name), new_by.get(name)
            if a is None or b is None:
                action = "added" if a is None else "removed"
                if kind == "measure":
                    self.whole_measure(action, clause, b or a, self.words_new if a is None else self.words_old)
                elif kind == "pool":
                    x = b or a
                    self.whole_thing(action, clause, name, kind, self.pool_words(x, "en"), self.pool_words(x, "zh"))
                elif kind == "ranking":
                    x, words = (b, self.words_new) if a is None else (a, self.words_old)
                    self.whole_thing(action, clause, name, kind, self.ranking_words(x, words, "en"),
                                     self.ranking_words(x, words, "zh"))
                else:
                    x = b or a
                    self.whole_thing(action, clause, name, kind, ", ".join(x.members), "、".join(x.members))
            elif not same(a, b):
                compare(clause, a, b)

    def listed(self, clause, subject: str, part: str, old: tuple, new: tuple, words) -> None:
        old_keys = [canon(x) for x in old]
        new_keys = [canon(x) for x in new]
        for x, key in zip(old, old_keys):
            if key not in new_keys:
                self.record("removed", clause, subject, part, f"{self.where(clause, subject, 'en')} {part} removed: "
                            f"{words(x, 'en')}", f"{self.where(clause, subject, 'zh')} 删除{_PARTS_ZH[part]}:"
                            f"{words(x, 'zh')}")
        for x, key in zip(new, new_keys):
            if key not in old_keys:
                self.record("added", clause, subject, part, f"{self.where(clause, subject, 'en')} {part} added: "
                            f"{words(x, 'en')}", f"{self.where(clause, subject, 'zh')} 新增{_PARTS_ZH[part]}:"
                            f"{words(x, 'zh')}")

    def notes(self, clause, subject: str, old: tuple, new: tuple) -> None:
        self.listed(clause, subject, "interpretation", old, new,
                    lambda note, lang: _quote(getattr(note.label, lang), lang))

    # -- measures
    def measure(self, clause: n.Clause, a: n.Measure, b: n.Measure) -> None:
        name = b.name
        if a.kind != b.kind:
            self.changed(clause, name, "kind", a.kind, b.kind, _KINDS_ZH.get(a.kind, a.kind),
                         _KINDS_ZH.get(b.kind, b.kind))
        for part in ("title", "who"):
            if not same(getattr(a, part), getattr(b, part)):
                self.label(clause, name, part, getattr(a, part), getattr(b, part))
        self.condition(clause, name, "condition", a.condition, b.condition)
        if not same(a.amount, b.amount):
            self.changed(clause, name, "amount", *(self.both(a.amount, b.amount)))
        for index in range(max(len(a.caps), len(b.caps))):
            ca = a.caps[index] if index < len(a.caps) else None
            cb = b.caps[index] if index < len(b.caps) else None
            if ca is None or cb is None or not same(ca.amount, cb.amount):
                self.changed(clause, name, "cap", *(self.both(ca.amount if ca else None,
                                                                    cb.amount if cb else None)))
            elif not same(ca.label, cb.label):
                self.label(clause, name, "cap", ca.label, cb.label)
        if a.payee != b.payee:
            self.changed(clause, name, "payee", a.payee or "(none)", b.payee or "(none)", a.payee or "(无)",
                         b.payee or "(无)")
        if not same(a.burden, b.burden):
            self.changed(clause, name, "burden", _burden(a.burden, "en"), _burden(b.burden, "en"),
                         _burden(a.burden, "zh"), _burden(b.burden, "zh"))
        self.notes(clause, name, a.interpretations, b.interpretations)

    def condition(self, clause: n.Clause, name: str, part: str, a, b) -> None:
        """A condition conjunct by conjunct: those added, those removed, those whose numbers changed."""
        if same(a, b):
            return
        old, new = list(_conjuncts(a)), list(_conjuncts(b))
        new_keys = [canon(x) for x in new]
        kept_old = []
        for x in old:
            key = canon(x)
            if key in new_keys:
                new_keys[new_keys.index(key)] = None
            else:
                kept_old.append(x)
        kept_new = [x for x, key in zip(new, new_keys) if key is not None]
        for x in list(kept_old):
            partner = next((y for y in kept_new if _subject(x) is not None and _subject(x) == _subject(y)), None)
            if partner is None:
                continue
            kept_old.remove(x)
            kept_new.remove(partner)
            self.changed(clause, name, part, *(self.both(x, partner, "condition")))
        where_en, where_zh = self.where(clause, name, "en"), self.where(clause, name, "zh")
        part_zh = _PARTS_ZH[part]
        for x in kept_old:
            self.record("removed", clause, name, part, f"{where_en} {part} removed: "
                        f"{self.words_old.condition(x, 'en')}",
                        f"{where_zh} 删除{part_zh}:{self.words_old.condition(x, 'zh')}")
        for y in kept_new:
            self.record("added", clause, name, part, f"{where_en} {part} added: {self.words_new.condition(y, 'en')}",
                        f"{where_zh} 新增{part_zh}:{self.words_new.condition(y, 'zh')}")

    # -- pools, rankings, exclusive groups
    def pool(self, clause: n.Clause, a: n.Pool, b: n.Pool) -> None:
        if not same(a.title, b.title):
            self.label(clause, b.name, "title", a.title, b.title)
        if not same(a.limit, b.limit):
            self.changed(clause, b.name, "limit", *(self.both(a.limit, b.limit)))
        if a.funds != b.funds:
            self.changed(clause, b.name, "funds", ", ".join(a.funds), ", ".join(b.funds), "、".join(a.funds),
                         "、".join(b.funds))
        if not same(a.order, b.order):
            self.changed(clause, b.name, "order", *(self.keys(a.order, b.order)))
        if a.whole_units != b.whole_units:
            words = {True: ("in whole units", "按整单位"), False: ("as remainder", "按余额")}
            self.changed(clause, b.name, "partial grants", words[a.whole_units][0], words[b.whole_units][0],
                         words[a.whole_units][1], words[b.whole_units][1])
        self.notes(clause, b.name, a.interpretations, b.interpretations)

    def keys(self, a: tuple, b: tuple) -> tuple[str, str, str, str]:
        return (", ".join(_key_words(k, self.words_old, "en") for k in a),
                ", ".join(_key_words(k, self.words_new, "en") for k in b),
                "、".join(_key_words(k, self.words_old, "zh") for k in a),
                "、".join(_key_words(k, self.words_new, "zh") for k in b))

    def ranking(self, clause: n.Clause, a: n.Ranking, b: n.Ranking) -> None:
        if not same(a.title, b.title):
            self.label(clause, b.name, "title", a.title, b.title)
        if a.top != b.top:
            self.changed(clause, b.name, "size", f"top {a.top}", f"top {b.top}", f"前{a.top}", f"前{b.top}")
        if not same(a.key, b.key):
            self.changed(clause, b.name, "ranked by", *(self.keys((a.key,) if a.key else (),
                                                                        (b.key,) if b.key else ())))
        self.condition(clause, b.name, "among", a.among, b.among)
        if not same(a.ties, b.ties):
            self.changed(clause, b.name, "ties", *(self.keys(a.ties, b.ties)))
        self.notes(clause, b.name, a.interpretations, b.interpretations)

    def exclusive(self, clause: n.Clause, a: n.Exclusive, b: n.Exclusive) -> None:
        if not same(a.title, b.title):
            self.label(clause, b.name, "title", a.title, b.title)
        for member in b.members:
            if member not in a.members:
                self.record("added", clause, b.name, "members", f"({clause.numeral}) {b.name} now includes {member}",
                            f"第({clause.numeral})条 {b.name} 新增成员 {member}")
        for member in a.members:
            if member not in b.members:
                self.record("removed", clause, b.name, "members", f"({clause.numeral}) {b.name} no longer includes "
                            f"{member}", f"第({clause.numeral})条 {b.name} 删除成员 {member}")
        if a.against != b.against:
            self.changed(clause, b.name, "against", a.against or "(none)", b.against or "(none)",
                         a.against or "(无)", b.against or "(无)")
        self.notes(clause, b.name, a.interpretations, b.interpretations)


def _union(a: dict, b: dict) -> list[str]:
    return list(dict.fromkeys([*a, *b]))


def _conjuncts(expr) -> Iterable:
    if expr is None:
        return ()
    return expr.operands if isinstance(expr, n.And) else (expr,)


def _subject(expr):
    """What a condition is about, so that `rooms 不少于 5` and `rooms 不少于 6` pair as one change."""
    match expr:
        case n.Compare(left=left):
            return ("compare", canon(left))
        case n.Within(operand=op) | n.IsGiven(operand=op):
            return (type(expr).__name__, canon(op))
        case n.Not(operand=op):
            inner = _subject(op)
            return ("not", inner) if inner is not None else None
    return None


def _type(t: n.TypeRef) -> str:
    if t.kind in ("money", "area"):
        return f"{t.kind} {t.unit}"
    if t.kind == "rate":
        return f"rate {t.unit} per {t.per_unit}"
    if t.kind == "enum":
        return str(t.enum)
    if t.kind == "count_map":
        return f"integer by {t.enum}"
    return t.kind


def _burden(b: n.Burden | None, lang: str) -> str:
    if b is None:
        return "(none)" if lang == "en" else "(无)"
    if b.kind == "settlement":
        return "settlement" if lang == "en" else "体制结算"
    county = f", county {b.county.normalize():f}%" if b.county is not None else ""
    county_zh = f",旗县区{b.county.normalize():f}%" if b.county is not None else ""
    return f"city {b.city.normalize():f}%{county}" if lang == "en" else f"市本级{b.city.normalize():f}%{county_zh}"


def _key_words(key: n.OrderKey, words: Describer, lang: str) -> str:
    if key.kind == "input":
        return "input order" if lang == "en" else "申请顺序"
    if key.kind == "rank":
        return f"rank in {key.name}" if lang == "en" else f"{key.name}名次"
    label = words.label(key.name, lang)
    if key.descending is None:
        return label
    if lang == "en":
        return f"{label} {'descending' if key.descending else 'ascending'}"
    return f"{label}{'从高到低' if key.descending else '从低到高'}"


def diff(old: n.Policy, new: n.Policy) -> list[Change]:
    """Every change from `old` to `new`, in the order of the policy: header, vocabulary, clauses."""
    if same(old, new):
        return []
    return _Differ(old, new).run()


# ---------------------------------------------------------------- payout impact


def impact(before: dict | str, after: dict | str, batch: str, count: int,
           policies: Iterable[n.Policy] = ()) -> Impact:
    """Compare two results of one batch (`pol eval --format json`); a side given as text was refused.

    `policies` (the two sides) give each measure's clause numeral."""
    refused_before = before if isinstance(before, str) else None
    refused_after = after if isinstance(after, str) else None
    old = _amounts(before)
    new = _amounts(after)
    info = {m.name: (c.number, c.numeral) for p in policies for c, m in p.all_measures()}
    for result in (before, after):
        for ident, awards in _clauses(result).items():
            info.setdefault(ident, awards)
    totals_old = _per_measure(old)
    totals_new = _per_measure(new)
    measures = []
    for name in sorted(set(totals_old) | set(totals_new), key=lambda m: (info[m][0], m)):
        a, b = totals_old.get(name, ZERO), totals_new.get(name, ZERO)
        if a or b:
            measures.append(MeasureImpact(name, info[name][0], info[name][1], a, b))
    applicants = []
    for ident in dict.fromkeys([*old, *new]):
        a, b = old.get(ident, {}), new.get(ident, {})
        names = sorted(set(a) | set(b), key=lambda m: (info[m][0], m))
        moved = tuple((m, a.get(m, ZERO), b.get(m, ZERO)) for m in names
                      if a.get(m, ZERO) != b.get(m, ZERO))
        if moved:
            applicants.append(ApplicantImpact(ident, sum(a.values(), ZERO), sum(b.values(), ZERO), moved))
    as_of = next((r.get("as_of") for r in (before, after) if isinstance(r, dict)), None)
    return Impact(batch, as_of, tuple(measures), sum(totals_old.values(), ZERO), sum(totals_new.values(), ZERO),
                  tuple(applicants), count, refused_before, refused_after)


def _amounts(result: dict | str) -> dict[str, dict[str, Decimal]]:
    if isinstance(result, str):
        return {}
    return {a["id"]: {w["measure"]: Decimal(w["amount"]) for w in a["awards"]} for a in result["applicants"]}


def _clauses(result: dict | str) -> dict[str, tuple[int, str]]:
    if isinstance(result, str):
        return {}
    return {w["measure"]: (w["clause"], str(w["clause"])) for a in result["applicants"] for w in a["awards"]}


def _per_measure(amounts: dict[str, dict[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for awards in amounts.values():
        for measure, amount in awards.items():
            totals[measure] = totals.get(measure, ZERO) + amount
    return totals


# ---------------------------------------------------------------- writing a report


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _shown(value: Decimal) -> str:
    return f"{value:,.2f}"


def _signed(value: Decimal) -> str:
    return f"+{value:.2f}" if value > 0 else f"{value:.2f}"


def _signed_shown(value: Decimal) -> str:
    return f"+{value:,.2f}" if value > 0 else f"{value:,.2f}"


_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _languages(lang: str) -> tuple[str, ...]:
    return ("en", "zh") if lang == "both" else (lang,)


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)


def render_text(report: Report, lang: str = "both") -> str:
    langs = _languages(lang)
    old, new = report.sides(langs[0])
    lines = [f"{report.policy}: {old} → {new}"]
    if not any(s.changes for s in report.sections):
        lines.append("  no change in the law" if "en" in langs else "  法规内容无变化")
    for section in report.sections:
        if not section.changes:
            continue
        lines.append("")
        lines.append("  " + " / ".join(section.label_en if l == "en" else section.label_zh for l in langs))
        for change in section.changes:
            first = True
            for l in langs:
                lines.append(f"    {_MARK[change.action] if first else ' '} {change.en if l == 'en' else change.zh}")
                first = False
    if report.impact is not None:
        lines += ["", *_impact_text(report.impact, langs)]
    return "\n".join(lines)


def _impact_text(impact: Impact, langs: tuple[str, ...]) -> list[str]:
    en = "en" in langs
    head = (f"Payout on {impact.batch} ({impact.count} applicants, as of {impact.as_of})" if en
            else f"{impact.batch}的给付({impact.count}个申请人,评估日期{impact.as_of})")
    lines = [head]
    for side, refusal in (("before", impact.refused_before), ("after", impact.refused_after)):
        if refusal is not None:
            lines.append(f"  {side}: the batch is refused: {refusal}" if en else
                         f"  {'变更前' if side == 'before' else '变更后'}:批次被拒绝:{refusal}")
    rows = [(f"({m.numeral}) {m.measure}", m.before, m.after) for m in impact.measures]
    rows.append(("total" if en else "合计", impact.before, impact.after))
    width = max(_width(r[0]) for r in rows) + 2
    heads = ("measure", "before", "after", "change") if en else ("措施", "变更前", "变更后", "变化")
    lines.append("  " + _pad(heads[0], width) + "".join(_pad(h, 16, right=True) for h in heads[1:]))
    for label, a, b in rows:
        lines.append("  " + _pad(label, width) + _shown(a).rjust(16) + _shown(b).rjust(16)
                     + _signed_shown(b - a).rjust(16))
    lines.append("")
    count = len(impact.applicants)
    lines.append(f"Applicants whose amount changes: {count}" if en else f"金额变化的申请人:{count}")
    for a in impact.applicants:
        moved = "; ".join(f"{m} {_shown(x)} → {_shown(y)}" for m, x, y in a.measures)
        lines.append(f"  {a.id}: {_shown(a.before)} → {_shown(a.after)} ({_signed_shown(a.after - a.before)})  "
                     f"{moved}")
    return lines


def _width(text: str) -> int:
    """Columns a text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def _md(text: str) -> str:
    """Text from a policy, safe in a Markdown table cell."""
    text = " ".join(str(text).split())
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(raw, safe)
    return text


def render_markdown(report: Report, lang: str = "both") -> str:
    langs = _languages(lang)
    en = "en" in langs
    old, new = report.sides(langs[0])
    lines = [f"### `{_md(report.policy)}`: {_md(old)} → {_md(new)}", ""]
    if not any(s.changes for s in report.sections):
        lines += ["No change in the law." if en else "法规内容无变化。", ""]
    for section in report.sections:
        if not section.changes:
            continue
        lines.append("**" + _md(" / ".join(section.label_en if l == "en" else section.label_zh for l in langs)) + "**")
        lines.append("")
        heads = [{"en": "change", "zh": "变更"}[l] for l in langs]
        lines.append("| | " + " | ".join(heads) + " |")
        lines.append("|---|" + "---|" * len(langs))
        for change in section.changes:
            cells = [_md(change.en if l == "en" else change.zh) for l in langs]
            lines.append(f"| {_MARK[change.action]} | " + " | ".join(cells) + " |")
        lines.append("")
    if report.impact is not None:
        lines += _impact_markdown(report.impact, en)
    return "\n".join(lines).rstrip("\n") + "\n"


def _impact_markdown(impact: Impact, en: bool) -> list[str]:
    lines = [(f"#### Payout on `{_md(impact.batch)}` ({impact.count} applicants, as of {impact.as_of})" if en
              else f"#### `{_md(impact.batch)}` 的给付({impact.count}个申请人,评估日期{impact.as_of})"), ""]
    for side, refusal in (("before", impact.refused_before), ("after", impact.refused_after)):
        if refusal is not None:
            lines += [f"> **{side}**: the batch is refused: {_md(refusal)}" if en else
                      f"> **{'变更前' if side == 'before' else '变更后'}**:批次被拒绝:{_md(refusal)}", ""]
    lines.append("| measure | before | after | change |" if en else "| 措施 | 变更前 | 变更后 | 变化 |")
    lines.append("|---|--:|--:|--:|")
    for m in impact.measures:
        lines.append(f"| ({m.numeral}) {_md(m.measure)} | {_shown(m.before)} | {_shown(m.after)} | "
                     f"{_signed_shown(m.after - m.before)} |")
    total = "**total**" if en else "**合计**"
    lines.append(f"| {total} | **{_shown(impact.before)}** | **{_shown(impact.after)}** | "
                 f"**{_signed_shown(impact.after - impact.before)}** |")
    lines.append("")
    count = len(impact.applicants)
    if count:
        summary = f"{count} applicant{'s' if count != 1 else ''} whose amount changes" if en else f"金额变化的申请人({count})"
        lines += [f"<details><summary>{summary}</summary>", "",
                  "| applicant | before | after | change | measures |" if en else "| 申请人 | 变更前 | 变更后 | 变化 | 措施 |",
                  "|---|--:|--:|--:|---|"]
        for a in impact.applicants:
            moved = "; ".join(f"{_md(m)} {_shown(x)} → {_shown(y)}" for m, x, y in a.measures)
            lines.append(f"| {_md(a.id)} | {_shown(a.before)} | {_shown(a.after)} | "
                         f"{_signed_shown(a.after - a.before)} | {moved} |")
        lines += ["", "</details>", ""]
    else:
        lines += ["No applicant's amount changes." if en else "没有申请人的金额发生变化。", ""]
    return lines
