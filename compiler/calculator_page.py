"""The calculator page of a policy's docs site: a form built from its facts, evaluated in the browser.

An enterprise fills in the facts that concern it; the page turns them into a batch of one
applicant and evaluates it with the policy's ES module (`pol compile --target js`), inlined
into the page with the page script `compiler/js/calculator.mjs`, so the page needs no server
and nothing from the internet. The results are those of `pol eval` for the same batch.

This module lays out the form from the AST, in one language: the batch facts first, then the
applicant's facts grouped by measure, a fact read by several measures appearing once, under
the first of them (or in a "general" group for facts declared `general`). A policy with
amendments is laid out from every version, newest first, so the form holds every fact any
version reads; the page script hides what the version in force on the chosen date lacks.

Every text of the policy reaches the page through Jinja's HTML autoescaping (the form) or
`script_json` (the script's data); the inlined module escapes its own strings (`js_gen.js_string`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

import attrs
import jinja2
import markupsafe

from dsl import nodes as n

from .describe import Describer, date_words

JS_DIR = Path(__file__).resolve().parent / "js"
PAGE_SCRIPT = JS_DIR / "calculator.mjs"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLE = TEMPLATES / "calculator.css"
APPLICANT_ID_FACT = "id"  # every batch names its applicants with it; the page fills it in
APPLICANT_ID = "applicant"  # the id of the one applicant the page evaluates

# What the inlined script must never hold: the end of the script element, an HTML comment
# (which changes how the HTML parser reads a script), JavaScript's old line terminators, and
# a line that Markdown would read as the start of a fenced code block.
_UNSAFE_IN_SCRIPT = re.compile(r"</script|<!--|[\u2028\u2029]|^[ \t]*(```|~~~)", re.IGNORECASE | re.MULTILINE)

_NUMBER_KINDS = ("integer", "year", "decimal", "money", "area", "rate")


@attrs.frozen
class Choice:
    code: str
    label: str


@attrs.frozen
class Field:
    """One fact of the form."""

    name: str
    kind: str  # the fact's type kind: bool, integer, date, enum, count_map, money...
    scope: str  # batch or applicant
    label: str
    unit: str
    help: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()  # enum: the values; count_map: one number per value
    placeholder: str = ""
    required: bool = False
    currency_of: tuple[str, ...] = ()  # an exchange rate: the amounts in its currency, which call for it
    min: str = ""  # a date: the first and last day the calculator takes
    max: str = ""

    @property
    def inputmode(self) -> str:
        return "numeric" if self.kind in ("integer", "year") else "decimal" if self.kind in _NUMBER_KINDS else "text"


@attrs.frozen
class MeasureRef:
    name: str
    title: str
    who: str
    clause_number: int
    clause_numeral: str
    clause: str  # the clause as the page's language refers to it: 第(七)条, clause (7)
    notes: tuple[str, ...]  # the city-wide pool or ranking it depends on


@attrs.frozen
class Group:
    key: str  # "general", or the name of the measure that first reads the group's facts
    title: str
    measures: tuple[MeasureRef, ...]  # the measures that read these facts (the first one first)
    fields: tuple[Field, ...]


@attrs.frozen
class Form:
    batch: tuple[Field, ...]
    groups: tuple[Group, ...]


# ---------------------------------------------------------------- the form from the AST


def _union(policies: Sequence[n.Policy], items: Callable[[n.Policy], Iterable], key: Callable) -> list:
    """(policy, item) for each distinct item of the versions: the newest version's in its order,
    then those only older versions have. The newest version's wording wins."""
    found: dict = {}
    for policy in reversed(policies):
        for item in items(policy):
            found.setdefault(key(item), (policy, item))
    return list(found.values())


def _nodes(node) -> Iterable:
    """Every AST node inside `node` (a node or a tuple of them), itself included."""
    if isinstance(node, tuple):
        for item in node:
            yield from _nodes(item)
    elif attrs.has(type(node)):
        yield node
        for field in attrs.fields(type(node)):
            if field.name != "span":
                yield from _nodes(getattr(node, field.name))


def _refs(node) -> list[str]:
    """The names the `Ref`s inside `node` refer to, in order."""
    return [x.name for x in _nodes(node) if isinstance(x, n.Ref)]


def _ranked_in(node) -> list[str]:
    """The rankings a condition asks about."""
    return list(dict.fromkeys(x.ranking for x in _nodes(node) if isinstance(x, n.RankedIn)))


def _text(b: n.Bilingual | None, lang: str) -> str:
    if b is None:
        return ""
    first, second = (b.en, b.zh) if lang == "en" else (b.zh, b.en)
    return first or second or ""


class _Layout:
    """The form of a policy's versions (oldest first) in one language."""

    def __init__(self, versions: Sequence[n.Policy], lang: str, words: dict[str, str],
                 unit_of: Callable[[n.Fact], str]):
        self.versions = list(versions)
        self.latest = self.versions[-1]
        self.lang = lang
        self.en = lang == "en"
        self.words = words
        self.unit_of = unit_of
        self.describers = {id(p): Describer(p) for p in self.versions}
        self.facts = {f.name: (p, f) for p, f in _union(self.versions, lambda p: p.facts, lambda f: f.name)}
        self.measures = _union(self.versions, lambda p: p.all_measures(), lambda cm: cm[1].name)
        self.rankings = {r.name: (p, c, r) for p, (c, r) in
                         _union(self.versions, lambda p: p.all_rankings(), lambda cr: cr[1].name)}
        self.pools = _union(self.versions, lambda p: p.all_pools(), lambda cp: cp[1].name)

    def w(self, word: str, **values) -> str:
        text = self.words[word]
        return text.format(**values) if values else text

    def sep(self) -> str:
        return ", " if self.en else "、"

    # -- what reads what

    def measure_facts(self, policy: n.Policy, measure: n.Measure) -> list[str]:
        """The applicant facts a measure depends on, in the order the policy declares them: those its
        conditions and amounts read, the keys of the rankings it asks about, and the order of its pool."""
        names = set(_refs((measure.condition, measure.amount, tuple(c.amount for c in measure.caps))))
        for ranking_name in _ranked_in(measure.condition):
            found = self.rankings.get(ranking_name)
            if found is not None:
                _, _, ranking = found
                names.update(k.name for k in (ranking.key, *ranking.ties) if k is not None and k.kind == "fact")
                names.update(_refs(ranking.among))
        for _, (_, pool) in self.pools:
            if measure.name in pool.funds:
                names.update(k.name for k in pool.order if k.kind == "fact")
        return [f.name for f in policy.facts if f.name in names and f.scope == "applicant"]

    def measure_ref(self, policy: n.Policy, clause: n.Clause, measure: n.Measure) -> MeasureRef:
        notes = []
        for _, (_, pool) in self.pools:
            if measure.name in pool.funds:
                notes.append(self.w("calc_pool_note", pool=_text(pool.title, self.lang) or pool.name))
        for name in _ranked_in(measure.condition):
            if name in self.rankings:
                _, _, ranking = self.rankings[name]
                notes.append(self.w("calc_ranking_note", ranking=_text(ranking.title, self.lang) or name,
                                    top=ranking.top or ""))
        return MeasureRef(measure.name, _text(measure.title, self.lang), _text(measure.who, self.lang),
                          clause.number, clause.numeral,
                          self.w("clause_ref", numeral=f"({clause.numeral})", number=clause.number), tuple(notes))

    # -- help lines

    def group_help(self, fact: str, members: list) -> list[str]:
        """The help of a fact in a measure's group: what each measure asks of it, the measures that
        ask the same thing named together (`M3a、M3b:…`)."""
        asked: dict[str, list[str]] = {}
        for policy, _, measure in members:
            for line in self.measure_help(fact, policy, measure):
                asked.setdefault(line, []).append(measure.name)
        if len(members) == 1:
            return list(asked)
        return [f"{self.sep().join(names)}{self.words['colon']}{line}" for line, names in asked.items()]

    def measure_help(self, fact: str, policy: n.Policy, measure: n.Measure) -> list[str]:
        """What a measure asks of a fact: its conditions on it, else that its amount reads it."""
        describe = self.describers[id(policy)]
        condition = measure.condition
        conjuncts = condition.operands if isinstance(condition, n.And) else ((condition,) if condition else ())
        lines = [describe.condition_item(c, self.lang) for c in conjuncts if fact in _refs(c)]
        if not lines and fact in _refs((measure.amount, tuple(c.amount for c in measure.caps))):
            lines.append(self.w("calc_in_amount"))
        for name in _ranked_in(condition):
            if name not in self.rankings:
                continue
            ranking_policy, _, ranking = self.rankings[name]
            title = _text(ranking.title, self.lang) or name
            keys = [k.name for k in (ranking.key, *ranking.ties) if k is not None and k.kind == "fact"]
            if fact in keys:
                lines.append(self.w("calc_ranking_key", ranking=title))
            if ranking.among is not None and fact in _refs(ranking.among):
                among = self.describers[id(ranking_policy)].condition_item(ranking.among, self.lang)
                lines.append(self.w("calc_ranking_among", ranking=title, condition=among))
        return lines

    def general_help(self, fact: n.Fact) -> list[str]:
        lines = []
        if fact.jurisdiction:
            lines.append(self.w("every_measure_jurisdiction"))
        readers = [m.name for policy, (_, m) in self.measures if fact.name in self.measure_facts(policy, m)]
        if readers:
            lines.append(self.w("calc_used_by", measures=self.sep().join(readers)))
        for policy, (_, group) in _union(self.versions, lambda p: p.all_exclusives(), lambda ce: ce[1].name):
            if group.against == fact.name:
                lines.append(self.w("calc_against", group=_text(group.title, self.lang) or group.name,
                                    measures=self.sep().join(group.members)))
        return lines

    # -- fields

    def field(self, policy: n.Policy, fact: n.Fact, help_lines: Iterable[str] = ()) -> Field:
        choices: tuple[Choice, ...] = ()
        if fact.type.kind in ("enum", "count_map"):
            enum = policy.enumeration(fact.type.enum)
            choices = tuple(Choice(v.code, _text(v.label, self.lang) or v.code) for v in enum.values) if enum else ()
        return Field(fact.name, fact.type.kind, fact.scope, _text(fact.label, self.lang) or fact.name,
                     self.unit_of(fact), tuple(dict.fromkeys(help_lines)), choices, required=fact.required)

    def batch_fields(self) -> list[Field]:
        period = self.latest.header.period
        out = []
        for policy, fact in self.facts.values():
            if fact.scope != "batch":
                continue
            field = self.field(policy, fact)
            if fact.name == "as_of" and period is not None:
                span = (f"{date_words(period.start, self.lang)}{' to ' if self.en else '至'}"
                        f"{date_words(period.end, self.lang)}")
                field = attrs.evolve(field, help=(self.w("calc_as_of_help", period=span),),
                                     min=period.start.isoformat(), max=period.end.isoformat())
            elif fact.default is not None:
                default = self.describers[id(policy)].value(fact.default, self.lang)
                field = attrs.evolve(field, placeholder=self.w("calc_default", default=default))
            if fact.type.kind == "rate":
                foreign = tuple(f.name for _, f in self.facts.values() if f.scope == "applicant"
                                and f.type.kind == "money" and f.type.unit == fact.type.per_unit)
                labels = self.sep().join(self.describers[id(self.facts[f][0])].label(f, self.lang) for f in foreign)
                field = attrs.evolve(field, currency_of=foreign, help=(self.w("calc_rate_help", facts=labels),))
            out.append(field)
        return out

    def groups(self) -> list[Group]:
        placed: dict[str, str] = {}  # fact -> the key of its group
        general = [f for _, f in self.facts.values()
                   if f.scope == "applicant" and f.general and f.name != APPLICANT_ID_FACT]
        order: list[str] = []
        members: dict[str, list] = {"general": []}
        own: dict[str, list[str]] = {"general": [f.name for f in general]}
        for f in general:
            placed[f.name] = "general"
        for policy, (clause, measure) in self.measures:
            facts = [f for f in self.measure_facts(policy, measure) if f != APPLICANT_ID_FACT]
            new = [f for f in facts if f not in placed]
            if new:
                key = measure.name
                order.append(key)
                members[key] = []
                own[key] = new
                for f in new:
                    placed[f] = key
            else:
                # No fact of its own: it joins the group of the first fact it reads.
                key = next((placed[f] for f in facts if placed[f] != "general"), "general")
            members[key].append((policy, clause, measure))
        rest = [f.name for _, f in self.facts.values()
                if f.scope == "applicant" and f.name not in placed and f.name != APPLICANT_ID_FACT]
        groups = []
        for key in ["general", *order] + (["other"] if rest else []):
            names = rest if key == "other" else own[key]
            refs = tuple(self.measure_ref(p, c, m) for p, c, m in members.get(key, []))
            fields = []
            for name in names:
                policy, fact = self.facts[name]
                if key == "general":
                    lines = self.general_help(fact)
                elif key == "other":
                    lines = []
                else:
                    lines = self.group_help(name, members[key])
                fields.append(self.field(policy, fact, lines))
            if key in ("general", "other"):
                title = self.w(f"calc_{key}")
            else:
                title = f"{refs[0].name} {refs[0].title}".strip()
            groups.append(Group(key, title, refs, tuple(fields)))
        return groups


def build_form(versions: Sequence[n.Policy], lang: str, words: dict[str, str],
               unit_of: Callable[[n.Fact], str]) -> Form:
    layout = _Layout(versions, lang, words, unit_of)
    return Form(tuple(layout.batch_fields()), tuple(layout.groups()))


# ---------------------------------------------------------------- HTML and script


_HTML: jinja2.Environment | None = None


def _html_environment() -> jinja2.Environment:
    global _HTML
    if _HTML is None:
        _HTML = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                   autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return _HTML


def form_html(form: Form, context: dict) -> markupsafe.Markup:
    """The form and the results area: one raw HTML block for Markdown, so with no blank line in it."""
    text = _html_environment().get_template("calculator.html.j2").render(
        form=form, style=markupsafe.Markup(STYLE.read_text(encoding="utf-8")), **context)
    return markupsafe.Markup("\n".join(line for line in text.splitlines() if line.strip()))


def script_json(value) -> str:
    """JSON that is also a JavaScript expression safe inside an HTML <script> element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=None, separators=(",", ":"))
    return re.sub(r"[<>&\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text)


def page_script_source() -> str:
    return PAGE_SCRIPT.read_text(encoding="utf-8")


def script_html(module: str, config: dict) -> str:
    """The <script type="module"> of the page: the policy's module, then the page script in a scope of
    its own (so no name of it can clash with the module's), started on the calculator's element."""
    page = page_script_source().rstrip()
    code = "\n".join([
        module.rstrip(),
        "",
        "// ---------------------------------------------------------------- the calculator page",
        "// compiler/js/calculator.mjs, in a scope of its own",
        "const polCalculatorPage = (() => {",
        page,
        "  return start;",
        "})();",
        "window.pol = { evaluate, check, toJSONText, policyOn, POLICY, POLICY_VERSIONS };",
        "polCalculatorPage({ evaluate, check, policyOn, POLICY }, document.getElementById(\"pol-calc\"),",
        f"  {script_json(config)});",
    ])
    unsafe = _UNSAFE_IN_SCRIPT.search(code)
    if unsafe:
        raise ValueError(f"the calculator's script holds {unsafe.group()!r}, which it cannot hold inside a page")
    return f'<script type="module">\n{code}\n</script>'

