"""Bilingual documentation pages generated from a policy's AST.

The pages say what the calculators compute, from the same AST and through the
same words (compiler/describe.py), so the published documentation cannot
disagree with them. Each page is Markdown named with its language as a suffix
(`clause-07.zh.md`, `clause-07.en.md`), the layout that mkdocs-static-i18n
builds into a site per language.

The Python side turns the AST into plain records of text in one language; the
Jinja2 templates in compiler/templates only lay them out. Every value a
template prints is escaped for Markdown unless it is already `Markdown`, so a
clause text holding `<script>` or `*` shows as text.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import attrs
import jinja2
import markupsafe

from dsl import nodes as n
from dsl.parser import chinese_numeral

from . import calculator_page
from .describe import Describer, date_words, money, quantity

LANGS = ("zh", "en")
TEMPLATES = Path(__file__).resolve().parent / "templates"


@attrs.frozen
class WorkedExample:
    """One worked example: a batch of applicants and what the calculator made of it.

    Filled from the policy's test cases; `result` is the calculator's
    `evaluate_json(batch)`.
    """

    name: str
    description_zh: str | None
    description_en: str | None
    batch: dict
    result: dict


@attrs.frozen
class Calculator:
    """What the calculator page evaluates with: the policy's ES module (`pol compile --target js`)
    and the policy of each of its versions, oldest first (the policy as issued, then as amended)."""

    module: str
    versions: tuple[n.Policy, ...]


@attrs.frozen
class Page:
    path: str  # relative to the output directory, with `/`
    text: str


# ---------------------------------------------------------------- Markdown text


class Markdown(str):
    """Text that is already Markdown: printed by the templates as it is."""


_MD_INLINE = re.compile(r"([\\`*_\[\]{}|])")
_MD_BLOCK_MARK = re.compile(r"^(#|[+\-](?=\s)|-+$)")
_MD_NUMBERED = re.compile(r"^(\d+)([.)])(?=\s)")


def md_escape(value: Any) -> Markdown:
    """Plain text as Markdown that shows exactly that text, on one line.

    HTML is neutralised with entities, Markdown's inline markers are
    backslash-escaped, and text that would open a heading, a list or a quote
    at the start of a line has its marker escaped.
    """
    if isinstance(value, Markdown):
        return value
    return _guard_block_start(_escape_inline(re.sub(r"\s+", " ", str(value))))


def _escape_inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_INLINE.sub(r"\\\1", text)


def _guard_block_start(text: str) -> Markdown:
    text = _MD_BLOCK_MARK.sub(r"\\\1", text)
    return Markdown(_MD_NUMBERED.sub(r"\1\\\2", text))


def link(text: str, href: str) -> Markdown:
    return Markdown(f"[{md_escape(text)}]({href})")


def code(text: str) -> Markdown:
    return Markdown(f"`{text}`") if "`" not in text else md_escape(text)


def fenced(text: str, language: str) -> Markdown:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markdown(f"{fence}{language}\n{text}\n{fence}")


def join(items: Iterable[Any], sep: str) -> Markdown:
    return Markdown(sep.join(md_escape(i) for i in items))


# ---------------------------------------------------------------- the words of the pages

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "colon": ":",
        "policies": "政策",
        "overview": "政策概览",
        "form": "申报表",
        "examples": "计算示例",
        "clauses": "条款",
        "document": "文件",
        "issuer": "发布机关",
        "issued": "印发日期",
        "published": "公开日期",
        "period": "有效期",
        "years_from_issue": "自{start}起{years}年",
        "years_from_issued": "自印发之日起{years}年",
        "windows": "时间段",
        "rounding": "金额取整",
        "preamble": "序言",
        "measures_that_pay": "给予资金的措施",
        "measure": "措施",
        "clause": "条款",
        "who": "对象",
        "condition": "条件",
        "amount": "金额",
        "cap": "上限",
        "payee": "收款方",
        "original_text": "原文",
        "english_text": "英文译文",
        "repairs_intro": "公开文本在提取时有损坏。本页引用修复后的文字,修复之处在文中加下划线并编号:",
        "repair_item": "原文印作“{printed}”,读作“{read_as}”",
        "repaired": "修复:原文印作“{printed}”",
        "departments": "责任部门",
        "interpretations": "解释",
        "interpretations_intro": "条文未明确之处,编码采用以下读法:",
        "eligibility": "申请条件",
        "eligibility_intro": "同时满足下列全部条件:",
        "no_condition": "无条件。",
        "formula": "计算方法",
        "who_pays": "谁支付、谁收款",
        "receives": "收款方",
        "bears": "资金负担",
        "rounding_words": "每笔{award}按{mode}取整到{quantum}",
        "award": "奖补",
        "half_up": "四舍五入",
        "half_even": "四舍六入五成双",
        "down": "舍去",
        "up": "进一",
        "payee_applicant": "申请人",
        "payee_county": "申请人所在的{county}",
        "burden_split": "市本级负担{city}",
        "burden_split_county": "市本级负担{city},{county}负担{county_share}",
        "burden_settlement": "通过年终财政体制结算,不按比例分担",
        "burden_default": "{burden}(按{clause}的默认比例)",
        "kind_reward": "奖励",
        "kind_subsidy": "补贴",
        "kind_settlement": "结算奖补",
        "table_value": "取值",
        "table_code": "代码",
        "reason": "原因",
        "nothing": "不予给付",
        "at_most": "最高不超过{cap}",
        "pool_line": "由{pool}支付:每年不超过{limit},按{order}的先后发放{partial}",
        "pool_whole_units": ",只能部分容纳的申请按整单位发放",
        "pool_remainder": ",只能部分容纳的申请获得剩余金额",
        "pool": "资金总额",
        "input_order": "申请顺序",
        "rank_in": "{ranking}名次",
        "ascending": "由小到大",
        "descending": "由大到小",
        "ranking": "排名",
        "top": "前{top}名,按{key}",
        "among": "参与排名",
        "ties": "并列时依次按",
        "exclusive": "不重复奖励",
        "members": "适用措施",
        "against": "与我市其他政策比较",
        "exclusive_rule": "同一申请人符合其中多项奖励时,只发放金额最高的一项,其余记为被取代。",
        "default_burden": "默认负担比例",
        "default_burden_rule": "未规定负担比例的措施:{burden}。",
        "default_burden_applies": "适用措施",
        "in_exclusive": "本措施属于{group},同一申请人只发放最高一项。",
        "previous": "上一条",
        "next": "下一条",
        "heading_of": "所属部分",
        "form_intro": "计算器接收的全部事实。一次计算是一个批次:批次事实对全部申请人适用,申请人事实逐个申报。JSON 中使用“字段”一列的名称。",
        "batch_facts": "批次事实",
        "applicant_facts": "申请人事实",
        "field": "字段",
        "label_zh": "中文名称",
        "label_en": "英文名称",
        "type": "类型",
        "unit": "单位",
        "required": "必填",
        "default": "默认值",
        "used_by": "用于",
        "enumerations": "枚举值",
        "value": "值",
        "yes": "是",
        "type_bool": "是/否",
        "type_integer": "整数",
        "type_decimal": "数值",
        "type_date": "日期(YYYY-MM-DD)",
        "type_text": "文本",
        "type_identifier": "编号",
        "type_year": "年份",
        "type_money": "金额",
        "type_area": "面积",
        "type_rate": "汇率",
        "type_enum": "枚举:{enum}",
        "type_count_map": "按{enum}计数",
        "unit_rate": "{to}/{per}",
        "every_measure_jurisdiction": "全部措施(收款旗县区与负担)",
        "every_measure_as_of": "全部措施(评估日期,须在有效期内)",
        "default_of": "{fact}的默认值",
        "use_pool": "资金总额{pool}的顺序",
        "use_ranking": "排名{ranking}",
        "use_exclusive": "不重复奖励{group}",
        "examples_intro": "以下示例取自本政策的测试用例:每个示例给出申报数据、计算结果和逐条说明。",
        "batch": "申报数据",
        "result": "计算结果",
        "applicant": "申请人",
        "status": "结果",
        "total": "合计",
        "city_share": "市本级负担",
        "granted": "发放",
        "not_eligible": "不符合条件",
        "superseded": "被取代(就高不重复)",
        "pool_reduced": "受总额限制部分发放",
        "pool_exhausted": "总额已用完",
        "no_award": "无适用措施",
        "pools_used": "资金总额使用情况",
        "used": "已用",
        "policies_intro": "由 `pol docs` 从政策文件生成的文档。每项政策包括概览、逐条说明、申报表和计算示例。",
        "title_clause": "{numeral}{title}",
        "clause_ref": "第{numeral}条",
        "no_measure": "本条不直接给予资金。",
        "county_fallback": "旗县区",
        "calculator": "计算器",
        "calc_intro": "填写与本企业有关的情况,即可看到能获得哪些奖补、金额多少,以及不能获得的原因。"
            "计算在您的浏览器中完成,所填内容不会发送到任何地方;结果与 `pol eval` 对同一批次的计算结果一致。",
        "calc_city_wide": "资金总额和排名取决于全市的全部申请:涉及它们的措施标注“以全市预算为准”或“以全市排名为准”,"
            "此处只按本企业一家申请计算。",
        "calc_batch": "评估日期",
        "calc_applicant": "本企业的情况",
        "calc_applicant_intro": "按措施分组:展开并填写与本企业有关的部分即可。多项措施共用的事实只出现一次,在第一项措施之下。",
        "calc_general": "通用事实",
        "calc_other": "其他事实",
        "calc_as_of_help": "默认为今天;今天不在有效期内时,取有效期内离今天最近的一天。须在有效期内({period}),"
            "按该日施行的政策版本计算。",
        "calc_default": "默认:{default}",
        "calc_rate_help": "填写{facts}时必填",
        "calc_used_by": "用于:{measures}",
        "calc_against": "用于{group}的比较({measures})",
        "calc_in_amount": "用于计算金额",
        "calc_ranking_key": "用于排名:{ranking}",
        "calc_ranking_among": "参与排名({ranking})的条件:{condition}",
        "calc_pool_note": "以全市预算为准:由{pool}支付,此处只按本企业一家申请计算。",
        "calc_ranking_note": "以全市排名为准({ranking}):此处只有本企业一家参与排名,满足参与排名的条件即视为位列前{top}名。",
        "calc_noscript": "计算器需要启用 JavaScript。",
        "calc_reset": "清空",
        "calc_results": "计算结果",
        "calc_waiting": "填写评估日期和本企业的情况后,结果显示在这里。",
        "calc_measures": "措施与条款",
        "calc_measures_intro": "计算器评估的措施,各链接到其条款:",
        "calc_no_page": "本条由修订增加,尚无条款页面",
        "calc_none": "—",
        "calc_cannot": "无法计算:",
        "calc_no_award": "所填情况不涉及任何措施。",
        "calc_not_assessed": "未评估(未填写其所需情况)",
        "calc_computed": "计算金额",
        "calc_caps": "适用的上限",
        "calc_first_failed": "未满足的第一项条件",
        "calc_why": "计算过程",
        "calc_award_year": "奖励年度",
        "calc_version": "按{effective}起施行的版本计算",
        "calc_amended": "(含修订:{amendments})",
        "calc_batch_json": "批次 JSON(可交给 pol eval 计算)",
        "calc_money": "{amount}元",
        "calc_county_share": "旗县区负担",
    },
    "en": {
        "colon": ": ",
        "policies": "Policies",
        "overview": "Overview",
        "form": "Application form",
        "examples": "Worked examples",
        "clauses": "Clauses",
        "document": "Document",
        "issuer": "Issuer",
        "issued": "Issued",
        "published": "Published",
        "period": "In effect",
        "years_from_issue": "{years} years from {start}",
        "years_from_issued": "{years} years from the date of issue",
        "windows": "Periods",
        "rounding": "Rounding",
        "preamble": "Preamble",
        "measures_that_pay": "Measures that pay",
        "measure": "Measure",
        "clause": "Clause",
        "who": "Who",
        "condition": "Condition",
        "amount": "Amount",
        "cap": "Cap",
        "payee": "Paid to",
        "original_text": "Original Chinese text",
        "english_text": "English text",
        "repairs_intro": "The published text was damaged in extraction. This page quotes it as repaired;"
            " each repaired place is underlined and numbered in the text:",
        "repair_item": "printed as “{printed}”, read as “{read_as}”",
        "repaired": "repaired: printed as “{printed}”",
        "departments": "Responsible departments",
        "interpretations": "Interpretations",
        "interpretations_intro": "Where the text leaves a reading open, the encoding decides:",
        "eligibility": "Eligibility",
        "eligibility_intro": "All of these must hold:",
        "no_condition": "No condition.",
        "formula": "Formula",
        "who_pays": "Who pays, who receives",
        "receives": "Paid to",
        "bears": "Borne by",
        "rounding_words": "each {award} rounded {mode} to {quantum}",
        "award": "award",
        "half_up": "half up",
        "half_even": "half to even",
        "down": "down",
        "up": "up",
        "payee_applicant": "the applicant",
        "payee_county": "the applicant's {county}",
        "burden_split": "the city bears {city}",
        "burden_split_county": "the city bears {city}, the {county} {county_share}",
        "burden_settlement": "settled through the year-end fiscal settlement; no split",
        "burden_default": "{burden} (the default of {clause})",
        "kind_reward": "reward",
        "kind_subsidy": "subsidy",
        "kind_settlement": "settlement",
        "table_value": "Value",
        "table_code": "Code",
        "reason": "Reason",
        "nothing": "nothing",
        "at_most": "at most {cap}",
        "pool_line": "paid from {pool}: at most {limit} a year, in order of {order}{partial}",
        "pool_whole_units": "; an application that only partly fits gets the whole units that fit",
        "pool_remainder": "; an application that only partly fits gets the remainder",
        "pool": "Pool",
        "input_order": "input order",
        "rank_in": "rank in {ranking}",
        "ascending": "ascending",
        "descending": "descending",
        "ranking": "Ranking",
        "top": "top {top} by {key}",
        "among": "Among",
        "ties": "Ties broken by",
        "exclusive": "Exclusive group",
        "members": "Members",
        "against": "Compared with other Baotou policies",
        "exclusive_rule": "When one applicant qualifies for several of these rewards,"
            " only the highest is paid; the others are superseded.",
        "default_burden": "Default burden",
        "default_burden_rule": "Measures that set no ratio: {burden}.",
        "default_burden_applies": "Applies to",
        "in_exclusive": "This measure belongs to {group}: only the highest such reward is paid.",
        "previous": "Previous",
        "next": "Next",
        "heading_of": "Part",
        "form_intro": "Every fact the calculators take. One evaluation is a batch:"
            " batch facts hold for every applicant, applicant facts are given for each. In JSON, use the names of the Field column.",
        "batch_facts": "Batch facts",
        "applicant_facts": "Applicant facts",
        "field": "Field",
        "label_zh": "Chinese",
        "label_en": "English",
        "type": "Type",
        "unit": "Unit",
        "required": "Required",
        "default": "Default",
        "used_by": "Used by",
        "enumerations": "Enumerations",
        "value": "Value",
        "yes": "yes",
        "type_bool": "yes/no",
        "type_integer": "integer",
        "type_decimal": "number",
        "type_date": "date (YYYY-MM-DD)",
        "type_text": "text",
        "type_identifier": "identifier",
        "type_year": "year",
        "type_money": "money",
        "type_area": "area",
        "type_rate": "exchange rate",
        "type_enum": "one of: {enum}",
        "type_count_map": "count per {enum}",
        "unit_rate": "{to} per {per}",
        "every_measure_jurisdiction": "every measure (the payee's county and the burden)",
        "every_measure_as_of": "every measure (the evaluation date, inside the period in effect)",
        "default_of": "default of {fact}",
        "use_pool": "order of pool {pool}",
        "use_ranking": "ranking {ranking}",
        "use_exclusive": "exclusive group {group}",
        "examples_intro": "These examples come from the policy's test cases: each gives the batch,"
            " the result and the explanation of every amount.",
        "batch": "Batch",
        "result": "Result",
        "applicant": "Applicant",
        "status": "Status",
        "total": "Total",
        "city_share": "City share",
        "granted": "granted",
        "not_eligible": "not eligible",
        "superseded": "superseded (the highest only)",
        "pool_reduced": "reduced by the pool",
        "pool_exhausted": "pool exhausted",
        "no_award": "no measure applies",
        "pools_used": "Pools used",
        "used": "used",
        "policies_intro": "Documentation generated by `pol docs` from the policy files."
            " Each policy has an overview, a page per clause, the application form and worked examples.",
        "title_clause": "({number}) {title}",
        "clause_ref": "clause ({number})",
        "no_measure": "This clause pays no money by itself.",
        "county_fallback": "county",
        "calculator": "Calculator",
        "calc_intro": "Fill in what concerns your enterprise to see which awards it qualifies for, how much,"
            " and why not more. Everything is computed in your browser and nothing you type is sent anywhere;"
            " the results are those of `pol eval` for the same batch.",
        "calc_city_wide": "Pools and rankings depend on every application in the city: the measures that use them are"
            " marked \"subject to the city-wide budget\" or \"subject to the city-wide ranking\", and are computed"
            " here as if yours were the only application.",
        "calc_batch": "Evaluation date",
        "calc_applicant": "Your enterprise",
        "calc_applicant_intro": "Grouped by measure: open and fill in only the groups that concern your enterprise."
            " A fact several measures use appears once, under the first of them.",
        "calc_general": "General facts",
        "calc_other": "Other facts",
        "calc_as_of_help": "Today by default, or the day of the period in effect nearest to today when today is"
            " outside it. It must be within the period in effect ({period}); the version of the policy in force"
            " on that day applies.",
        "calc_default": "default: {default}",
        "calc_rate_help": "required when {facts} is given",
        "calc_used_by": "used by {measures}",
        "calc_against": "compared under “{group}” ({measures})",
        "calc_in_amount": "used to compute the amount",
        "calc_ranking_key": "ranks the applicants: {ranking}",
        "calc_ranking_among": "to take part in the ranking ({ranking}): {condition}",
        "calc_pool_note": "Subject to the city-wide budget: paid from the {pool}; computed here as if yours were the"
            " only application.",
        "calc_ranking_note": "Subject to the city-wide ranking ({ranking}): here yours is the only application, so it"
            " counts as within the top {top} whenever it takes part in the ranking.",
        "calc_noscript": "The calculator needs JavaScript.",
        "calc_reset": "Clear",
        "calc_results": "Results",
        "calc_waiting": "Results appear here once the evaluation date and your enterprise's facts are filled in.",
        "calc_measures": "Measures and their clauses",
        "calc_measures_intro": "The measures the calculator evaluates, each linked to its clause:",
        "calc_no_page": "added by an amendment; no clause page yet",
        "calc_none": "—",
        "calc_cannot": "Cannot calculate: ",
        "calc_no_award": "No measure concerns the facts given.",
        "calc_not_assessed": "Not assessed (none of their facts given)",
        "calc_computed": "computed",
        "calc_caps": "Caps that applied",
        "calc_first_failed": "First condition not met",
        "calc_why": "Why",
        "calc_award_year": "award year",
        "calc_version": "under the version in force from {effective}",
        "calc_amended": " (amended by {amendments})",
        "calc_batch_json": "The batch as JSON (for pol eval)",
        "calc_money": "{amount} yuan",
        "calc_county_share": "county share",
    },
}


# ---------------------------------------------------------------- rendering


def render_policy(policy: n.Policy, examples: Iterable[WorkedExample] = (),
                  langs: Iterable[str] = LANGS, calculator: Calculator | None = None) -> list[Page]:
    """Every page of one policy, in each language: `<policy id>/<page>.<lang>.md`.

    The examples page is written only when there are examples. Amendments are not
    shown yet: the pages describe the policy as issued, except the calculator page,
    which evaluates with `calculator` (by default the policy as issued alone).
    """
    examples = tuple(examples)
    if calculator is None:
        from .js_gen import compile_policy_js

        calculator = Calculator(compile_policy_js(policy), (policy,))
    pages = []
    for lang in langs:
        pages.extend(_PolicyPages(policy, lang, examples, calculator).pages())
    return pages


def render_catalogue(policies: Iterable[n.Policy], langs: Iterable[str] = LANGS) -> list[Page]:
    """The list of policies: `index.<lang>.md`, linking to each policy's overview."""
    policies = sorted(policies, key=lambda p: p.header.name)
    pages = []
    for lang in langs:
        rows = []
        for policy in policies:
            h = policy.header
            period = (f"{date_words(h.period.start, lang)}{' – ' if lang == 'en' else '至'}"
                      f"{date_words(h.period.end, lang)}") if h.period else ""
            rows.append({"title": link(_text(h.title, lang) or h.name, f"{h.name}/index.{lang}.md"),
                         "id": code(h.name), "issuer": _text(h.issuer, lang), "period": period})
        context = {"t": WORDS[lang], "rows": rows}
        pages.append(Page(f"index.{lang}.md", _render("catalogue.md.j2", context)))
    return pages


def _text(b: n.Bilingual | None, lang: str) -> str:
    """The text in one language, or in the other when it is missing (the checker reports that)."""
    if b is None:
        return ""
    first, second = (b.en, b.zh) if lang == "en" else (b.zh, b.en)
    return first or second or ""


def _walk(node) -> Iterable[Any]:
    """Every AST node inside `node`, itself included."""
    if isinstance(node, tuple):
        for item in node:
            yield from _walk(item)
    elif attrs.has(type(node)):
        yield node
        for field in attrs.fields(type(node)):
            if field.name != "span":
                yield from _walk(getattr(node, field.name))


_ENVIRONMENT: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        # The templates write Markdown, so Jinja's HTML autoescaping is off and `finalize` escapes
        # every printed value for Markdown instead (HTML in it becomes entities) unless it is
        # `Markdown` already; the few HTML fragments the pages hold are built with markupsafe.
        _ENVIRONMENT = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined, autoescape=False,
            finalize=md_escape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        _ENVIRONMENT.filters["trusted"] = Markdown  # the pages' own wording, written as Markdown
        _ENVIRONMENT.filters["anchor"] = lambda name: Markdown(f"{{#{name}}}")
        _ENVIRONMENT.filters["inline_code"] = code
    return _ENVIRONMENT


def _render(template: str, context: dict, nav_title: str | None = None, hide: tuple[str, ...] = ()) -> str:
    """A page; `nav_title`, a short title for the site's navigation, goes in YAML front matter, with
    the parts of the theme's layout to `hide` (Material's `hide: [toc]`)."""
    text = _environment().get_template(template).render(context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
    if nav_title:
        # a JSON string is a YAML string, whatever characters the title holds
        front = f"title: {json.dumps(nav_title, ensure_ascii=False)}\n"
        if hide:
            front += f"hide: {json.dumps(list(hide))}\n"
        text = f"---\n{front}---\n\n" + text
    return text


class _PolicyPages:
    """The pages of one policy in one language."""

    def __init__(self, policy: n.Policy, lang: str, examples: tuple[WorkedExample, ...], calculator: Calculator):
        self.policy = policy
        self.lang = lang
        self.en = lang == "en"
        self.examples = examples
        self.calculator = calculator
        self.describe = Describer(policy)
        self.header = policy.header
        self.measure_clause = {m.name: c for c, m in policy.all_measures()}
        self.default_burden_clause = next((c for c in policy.clauses if c.default_burden is not None), None)
        jurisdiction = next((f for f in policy.facts if f.jurisdiction), None)
        enum = policy.enumeration(jurisdiction.type.enum) if jurisdiction and jurisdiction.type.enum else None
        self.county_word = _text(enum.label, lang) if enum else self.w("county_fallback")

    # ------------------------------------------------------------ small helpers

    def w(self, word: str, **values) -> str:
        text = WORDS[self.lang][word]
        return text.format(**values) if values else text

    def text(self, b: n.Bilingual | None) -> str:
        return _text(b, self.lang)

    def file(self, page: str) -> str:
        return f"{page}.{self.lang}.md"

    def clause_page(self, clause: n.Clause) -> str:
        return self.file(f"clause-{clause.number:02d}")

    def clause_ref(self, clause: n.Clause) -> str:
        return self.w("clause_ref", numeral=f"({clause.numeral})", number=clause.number)

    def clause_title(self, clause: n.Clause) -> str:
        return self.w("title_clause", numeral=f"({clause.numeral})", number=clause.number,
                      title=self.text(clause.title)).strip()

    def clause_link(self, clause: n.Clause) -> Markdown:
        return link(f"({clause.numeral})" if not self.en else f"({clause.number})", self.clause_page(clause))

    def measure_link(self, name: str, with_title: bool = False) -> Markdown:
        clause = self.measure_clause.get(name)
        if clause is None:
            return code(name)
        measure = next(m for m in clause.measures if m.name == name)
        text = f"{name} {self.text(measure.title)}" if with_title else name
        return link(text, f"{self.clause_page(clause)}#{name}")

    def date(self, value: datetime.date | None) -> str:
        return date_words(value, self.lang) if value else ""

    def money(self, value: Decimal | str) -> str:
        return money(Decimal(value), self.lang)

    def heading_text(self, heading: n.Heading | None) -> str:
        if heading is None:
            return ""
        label = self.text(heading.label)
        if heading.numeral is None:
            return label
        if self.en:
            return f"{chinese_numeral(heading.numeral) or heading.numeral}. {label}"
        return f"{heading.numeral}、{label}"

    @staticmethod
    def splice(words: str, piece: Markdown) -> Markdown:
        """Words with a Markdown piece (a link) where they hold NUL."""
        before, after = words.split("\x00")
        return _guard_block_start(_escape_inline(before) + piece + _escape_inline(after))

    # ------------------------------------------------------------ measures in words

    def kind(self, measure: n.Measure) -> str:
        return self.w(f"kind_{measure.kind}")

    def amount_words(self, measure: n.Measure) -> str:
        amount = measure.amount
        if isinstance(amount, n.ByTable):
            label = self.describe.value(amount.key, self.lang)
            return f"by {label}, as in the table below" if self.en else f"按{label}确定,见下表"
        if isinstance(amount, n.EachAtTable):
            label = self.describe.value(amount.counts, self.lang)
            if not self.en:
                return f"按{label}每单计算,单价见下表"
            key = self.county_word if self._counts_by_county(amount) else "value"
            return f"for each of {label}, at the rate of its {key}, as in the table below"
        return self.describe.value(amount, self.lang) if amount is not None else ""

    def _counts_by_county(self, amount: n.EachAtTable) -> bool:
        fact = self.policy.fact(amount.counts.name) if isinstance(amount.counts, n.Ref) else None
        jurisdiction = next((f for f in self.policy.facts if f.jurisdiction), None)
        return bool(fact and jurisdiction and fact.type.enum == jurisdiction.type.enum)

    def _table_enum(self, amount) -> str | None:
        key = amount.key if isinstance(amount, n.ByTable) else amount.counts
        fact = self.policy.fact(key.name) if isinstance(key, n.Ref) else None
        return fact.type.enum if fact else None

    def entry_value(self, entry: n.TableEntry) -> str:
        return self.w("nothing") if entry.value is None else self.describe.value(entry.value, self.lang)

    def amount_table(self, measure: n.Measure) -> list[dict]:
        amount = measure.amount
        if not isinstance(amount, (n.ByTable, n.EachAtTable)):
            return []
        enum = self._table_enum(amount)
        return [{"value": self.describe.enum_value(enum, e.key, self.lang), "code": code(e.key),
                 "amount": self.entry_value(e), "reason": self.text(e.reason)} for e in amount.entries]

    def amount_short(self, measure: n.Measure) -> str:
        """The amount for the overview's table: a rate table grouped by equal rates."""
        amount = measure.amount
        if not isinstance(amount, (n.ByTable, n.EachAtTable)):
            return self.amount_words(measure)
        enum = self._table_enum(amount)
        groups: dict[str, list[str]] = {}
        for e in amount.entries:
            groups.setdefault(self.entry_value(e), []).append(self.describe.enum_value(enum, e.key, self.lang))
        sep, list_sep, space = ("; ", ", ", " ") if self.en else (";", "、", "")
        if isinstance(amount, n.EachAtTable):
            return ("per item: " if self.en else "每单") + sep.join(
                f"{value}{space}({list_sep.join(names)})" for value, names in groups.items())
        return sep.join(f"{list_sep.join(names)}{space}{value}" for value, names in groups.items())

    def cap_words(self, cap: n.Cap) -> str:
        value = self.describe.value(cap.amount, self.lang)
        if cap.label is not None and self.text(cap.label) and not isinstance(cap.amount, n.Quantity):
            return f"{self.text(cap.label)} ({value})" if self.en else f"{self.text(cap.label)}({value})"
        return value

    def caps(self, measure: n.Measure) -> list[str]:
        return [self.w("at_most", cap=self.cap_words(c)) for c in measure.caps]

    def rounding(self) -> str:
        r = self.header.rounding if self.header else None
        if r is None:
            return ""
        return self.w("rounding_words", award=self.w("award"), mode=self.w(r.mode),
                      quantum=quantity(r.quantum, self.lang))

    def formula(self, measure: n.Measure) -> str:
        parts = [self.amount_words(measure), *self.caps(measure)]
        sep = ", " if self.en else ","
        text = sep.join(p for p in parts if p)
        rounding = self.rounding()
        return f"{text}; {rounding}." if self.en and rounding else (f"{text};{rounding}。" if rounding else text)

    def pools_of(self, measure: n.Measure) -> list[tuple[n.Clause, n.Pool]]:
        return [(c, p) for c, p in self.policy.all_pools() if measure.name in p.funds]

    def order_key(self, key: n.OrderKey) -> str:
        if key.kind == "input":
            return self.w("input_order")
        if key.kind == "rank":
            found = self.describe.rankings.get(key.name)
            title = self.text(found[1].title) if found and found[1].title else key.name
            return self.w("rank_in", ranking=title)
        label = self.describe.label(key.name, self.lang)
        if key.descending is None:
            return label
        direction = self.w("descending" if key.descending else "ascending")
        return f"{label} ({direction})" if self.en else f"{label}({direction})"

    def pool_line(self, clause: n.Clause, pool: n.Pool) -> Markdown:
        title = link(self.text(pool.title) or pool.name, f"{self.clause_page(clause)}#{pool.name}")
        order = (", " if self.en else "、").join(self.order_key(k) for k in pool.order)
        partial = self.w("pool_whole_units" if pool.whole_units else "pool_remainder")
        limit = quantity(pool.limit, self.lang) if pool.limit else ""
        return self.splice(self.w("pool_line", pool="\x00", limit=limit, order=order, partial=partial), title)

    def payee(self, measure: n.Measure) -> str:
        if measure.payee == "county":
            return self.w("payee_county", county=self.county_word)
        return self.w("payee_applicant")

    def burden_words(self, burden: n.Burden) -> str:
        if burden.kind == "settlement":
            return self.w("burden_settlement")
        city = f"{burden.city.normalize():f}%" if burden.city is not None else ""
        if burden.county is None:
            return self.w("burden_split", city=city)
        return self.w("burden_split_county", city=city, county=self.county_word,
                      county_share=f"{burden.county.normalize():f}%")

    def burden(self, measure: n.Measure) -> str:
        if measure.burden is not None:
            return self.burden_words(measure.burden)
        default = self.policy.default_burden()
        if default is None or self.default_burden_clause is None:
            return ""
        return self.w("burden_default", burden=self.burden_words(default),
                      clause=self.clause_ref(self.default_burden_clause))

    def exclusives_of(self, measure: n.Measure) -> list[tuple[n.Clause, n.Exclusive]]:
        return [(c, e) for c, e in self.policy.all_exclusives() if measure.name in e.members]

    def interpretations(self, items: tuple[n.Interpretation, ...]) -> list[str]:
        return [self.text(i.label) for i in items]

    # ------------------------------------------------------------ pages

    def pages(self) -> list[Page]:
        base = f"{self.header.name}/"
        pages = [Page(base + self.file("index"), _render("overview.md.j2", self.overview(), self.w("overview"))),
                 Page(base + self.file("form"), _render("form.md.j2", self.form(), self.w("form")))]
        clauses = self.policy.clauses
        for i, clause in enumerate(clauses):
            previous = clauses[i - 1] if i > 0 else None
            following = clauses[i + 1] if i + 1 < len(clauses) else None
            pages.append(Page(base + self.clause_page(clause),
                              _render("clause.md.j2", self.clause(clause, previous, following))))
        if self.examples:
            pages.append(Page(base + self.file("examples"),
                              _render("examples.md.j2", self.worked_examples(), self.w("examples"))))
        pages.append(Page(base + self.file("calculator"),
                          _render("calculator.md.j2", self.calculator_page(), self.w("calculator"), hide=("toc",))))
        return pages

    def common(self) -> dict:
        links = [link(self.w("overview"), self.file("index")), link(self.w("form"), self.file("form"))]
        if self.examples:
            links.append(link(self.w("examples"), self.file("examples")))
        links.append(link(self.w("calculator"), self.file("calculator")))
        return {"t": WORDS[self.lang], "lang": self.lang, "links": Markdown(" · ".join(links)),
                "policy_title": self.text(self.header.title) or self.header.name}

    def overview(self) -> dict:
        h = self.header
        period = None
        if h.period is not None:
            span = f"{self.date(h.period.start)}{' to ' if self.en else '至'}{self.date(h.period.end)}"
            if h.period.years:
                years = (self.w("years_from_issued", years=h.period.years) if h.period.start == h.issued
                         else self.w("years_from_issue", start=self.date(h.period.start), years=h.period.years))
                span += f" ({years})" if self.en else f"({years})"
            period = span
        windows = [f"{self.text(w.label)} ({self.date(w.start)} to {self.date(w.end)})" if self.en
                   else f"{self.text(w.label)}({self.date(w.start)}至{self.date(w.end)})" for w in h.windows]
        measures = []
        for clause, m in self.policy.all_measures():
            caps = [self.cap_words(c) for c in m.caps]
            caps += [self.pool_short(p) for _, p in self.pools_of(m)]
            measures.append({
                "measure": Markdown(f"{self.measure_link(m.name)} {md_escape(self.text(m.title))}"),
                "clause": self.clause_link(clause), "who": self.text(m.who),
                "condition": ("; " if self.en else ";").join(self.describe.condition_items(m.condition, self.lang, legal=False)),
                "amount": self.amount_short(m), "cap": ("; " if self.en else ";").join(caps),
                "payee": self.payee(m)})
        parts, current = [], None
        for clause in self.policy.clauses:
            if current is None or clause.heading != current["heading_node"]:
                current = {"heading_node": clause.heading, "heading": self.heading_text(clause.heading), "clauses": []}
                parts.append(current)
            current["clauses"].append({"link": link(self.clause_title(clause), self.clause_page(clause)),
                                       "measures": join([m.name for m in clause.measures], ", ")})
        notes = [self.pool_line(c, p) for c, p in self.policy.all_pools()]
        notes += [self.exclusive_line(c, e) for c, e in self.policy.all_exclusives()]
        return {**self.common(), "title": self.text(h.title) or h.name, "id": code(h.name),
                "document": self.text(h.document), "issuer": self.text(h.issuer),
                "issued": self.date(h.issued), "published": self.date(h.published), "period": period,
                "windows": windows, "rounding": self.rounding(), "preamble": self.text(h.preamble),
                "measures": measures, "notes": notes, "parts": parts}

    def pool_short(self, pool: n.Pool) -> str:
        limit = quantity(pool.limit, self.lang) if pool.limit else ""
        title = self.text(pool.title) or pool.name
        return f"{title}: {limit} a year" if self.en else f"{title}:每年{limit}"

    def exclusive_line(self, clause: n.Clause, group: n.Exclusive) -> Markdown:
        title = link(self.text(group.title) or group.name, f"{self.clause_page(clause)}#{group.name}")
        members = Markdown(", ".join(self.measure_link(m) for m in group.members))
        rule = self.w("exclusive_rule")
        return Markdown(f"{title}{': ' if self.en else ':'}{members}. {md_escape(rule)}" if self.en
                        else f"{title}:{members}。{md_escape(rule)}")

    def marked(self, text: str, repairs: tuple[n.Repair, ...], numbers: dict[str, int],
               done: set[str]) -> list[Markdown]:
        """Paragraphs of official text with each repaired place marked and numbered.

        A repair does not say where it stands, so its first occurrence (text
        before departments) is marked; `done` holds those already marked.
        """
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
        out = []
        for paragraph in paragraphs:
            targets = sorted({r.read_as for r in repairs} - done, key=len, reverse=True)
            if not targets:
                out.append(md_escape(paragraph))
                continue
            pattern = re.compile("|".join(re.escape(t) for t in targets))
            pieces, last = [], 0
            for found in pattern.finditer(paragraph):
                read_as = found.group(0)
                if read_as in done:
                    continue
                done.add(read_as)
                repair = next(r for r in repairs if r.read_as == read_as)
                title = markupsafe.escape(self.w("repaired", printed=repair.printed))
                pieces.append(_escape_inline(paragraph[last:found.start()]))
                pieces.append(f'<ins class="pol-repair" title="{title}">{_escape_inline(read_as)}</ins>'
                              f'<sup class="pol-repair-mark">[{numbers[read_as]}]</sup>')
                last = found.end()
            pieces.append(_escape_inline(paragraph[last:]))
            out.append(_guard_block_start("".join(pieces)))
        return out

    def clause(self, clause: n.Clause, previous: n.Clause | None, following: n.Clause | None) -> dict:
        numbers = {}
        for r in clause.repairs:
            numbers.setdefault(r.read_as, len(numbers) + 1)
        repairs = [{"number": numbers[r.read_as], "text": self.w("repair_item", printed=r.printed, read_as=r.read_as)}
                   for r in clause.repairs]
        done: set[str] = set()
        text_zh = self.marked(clause.text.zh, clause.repairs, numbers, done) if clause.text and clause.text.zh else []
        text_en = [md_escape(p) for p in re.split(r"\n\s*\n", clause.text.en or "") if p.strip()] if clause.text else []
        departments = None
        if clause.departments is not None:
            departments = {"zh": self.marked(clause.departments.zh or "", clause.repairs, numbers, done),
                           "en": md_escape(clause.departments.en) if self.en and clause.departments.en else None}
        measures = [self.measure_view(clause, m) for m in clause.measures]
        rankings = [{"name": r.name, "title": self.text(r.title) or r.name,
                     "top": self.w("top", top=r.top, key=self.order_key(r.key)) if r.top and r.key else "",
                     "among": self.describe.condition_items(r.among, self.lang) if r.among is not None else [],
                     "ties": (", " if self.en else "、").join(self.order_key(k) for k in r.ties),
                     "used_by": Markdown(", ".join(self.measure_link(m.name) for _, m in self.policy.all_measures()
                                                   if any(isinstance(x, n.RankedIn) and x.ranking == r.name
                                                          for x in _walk(m.condition)))),
                     "interpretations": self.interpretations(r.interpretations)} for r in clause.rankings]
        pools = [{"name": p.name, "title": self.text(p.title) or p.name, "line": self.pool_line(clause, p),
                  "interpretations": self.interpretations(p.interpretations)} for p in clause.pools]
        exclusives = [{"name": e.name, "title": self.text(e.title) or e.name,
                       "members": Markdown(", ".join(self.measure_link(m, with_title=True) for m in e.members)),
                       "rule": self.w("exclusive_rule"),
                       "against": self.describe.label(e.against, self.lang) if e.against else None,
                       "interpretations": self.interpretations(e.interpretations)} for e in clause.exclusives]
        default_burden = None
        if clause.default_burden is not None:
            applies = [m for _, m in self.policy.all_measures() if m.burden is None]
            default_burden = {"rule": self.w("default_burden_rule", burden=self.burden_words(clause.default_burden)),
                              "applies": Markdown(", ".join(self.measure_link(m.name) for m in applies))}
        return {**self.common(), "title": self.clause_title(clause), "heading": self.heading_text(clause.heading),
                "text_zh": text_zh, "text_en": text_en, "repairs": repairs, "departments": departments,
                "measures": measures, "rankings": rankings, "pools": pools, "exclusives": exclusives,
                "default_burden": default_burden, "interpretations": self.interpretations(clause.interpretations),
                "previous": link(self.clause_title(previous), self.clause_page(previous)) if previous else None,
                "next": link(self.clause_title(following), self.clause_page(following)) if following else None}

    def measure_view(self, clause: n.Clause, m: n.Measure) -> dict:
        exclusives = [self.splice(self.w("in_exclusive", group="\x00"),
                                  link(self.text(e.title) or e.name, f"{self.clause_page(c)}#{e.name}"))
                      for c, e in self.exclusives_of(m)]
        return {"name": m.name, "title": self.text(m.title), "kind": self.kind(m), "who": self.text(m.who),
                "conditions": self.describe.condition_items(m.condition, self.lang),
                "amount": self.amount_words(m), "table": self.amount_table(m),
                "table_per_item": isinstance(m.amount, n.EachAtTable),
                "caps": self.caps(m), "formula": self.formula(m),
                "pools": [self.pool_line(c, p) for c, p in self.pools_of(m)],
                "exclusives": exclusives,
                "payee": self.payee(m), "burden": self.burden(m),
                "interpretations": self.interpretations(m.interpretations)}

    # ------------------------------------------------------------ the application form

    def fact_type(self, fact: n.Fact) -> Markdown:
        t = fact.type
        if t.kind in ("enum", "count_map"):
            enum = self.policy.enumeration(t.enum)
            label = link(self.text(enum.label) if enum else t.enum, f"#enum-{t.enum}")
            return self.splice(self.w(f"type_{t.kind}", enum="\x00"), label)
        return md_escape(self.w(f"type_{t.kind}"))

    def fact_unit(self, fact: n.Fact) -> str:
        units = {"CNY": ("元", "yuan", "yuan"), "USD": ("美元", "US dollars", "US dollar"), "m2": ("平方米", "m²", "m²")}
        t = fact.type
        if t.kind == "rate" and t.unit in units and t.per_unit in units:
            return self.w("unit_rate", to=units[t.unit][int(self.en)], per=units[t.per_unit][2 if self.en else 0])
        return units[t.unit][int(self.en)] if t.unit in units else ""

    def fact_uses(self) -> dict[str, list[Markdown]]:
        """For each fact, the measures (and pools, rankings, groups) that read it."""
        facts = {f.name for f in self.policy.facts}
        uses: dict[str, list[Markdown]] = {name: [] for name in facts}

        def add(name: str, what: Markdown) -> None:
            if name in uses and what not in uses[name]:
                uses[name].append(what)

        for _, m in self.policy.all_measures():
            nodes = list(_walk((m.condition, m.amount, tuple(c.amount for c in m.caps))))
            for node in nodes:
                if isinstance(node, n.Ref):
                    add(node.name, self.measure_link(m.name))
                if isinstance(node, n.FullYearsSince):
                    add("as_of", self.measure_link(m.name))
        for clause, r in self.policy.all_rankings():
            users = [m.name for _, m in self.policy.all_measures()
                     if any(isinstance(x, n.RankedIn) and x.ranking == r.name for x in _walk(m.condition))]
            what = Markdown(link(self.w("use_ranking", ranking=self.text(r.title) or r.name),
                                 f"{self.clause_page(clause)}#{r.name}") + f" ({', '.join(users)})")
            keys = [k for k in (r.key, *r.ties) if k is not None and k.kind == "fact"]
            for name in [k.name for k in keys] + [x.name for x in _walk(r.among) if isinstance(x, n.Ref)]:
                add(name, what)
        for clause, p in self.policy.all_pools():
            what = Markdown(link(self.w("use_pool", pool=self.text(p.title) or p.name),
                                 f"{self.clause_page(clause)}#{p.name}") + f" ({', '.join(p.funds)})")
            for k in p.order:
                if k.kind == "fact":
                    add(k.name, what)
        for clause, e in self.policy.all_exclusives():
            if e.against:
                add(e.against, link(self.w("use_exclusive", group=self.text(e.title) or e.name),
                                    f"{self.clause_page(clause)}#{e.name}"))
        for f in self.policy.facts:
            if f.jurisdiction:
                uses[f.name].insert(0, md_escape(self.w("every_measure_jurisdiction")))
            if f.default is not None:
                for x in _walk(f.default):
                    if isinstance(x, n.Ref):
                        add(x.name, md_escape(self.w("default_of", fact=f.name)))
        if "as_of" in uses:
            uses["as_of"].insert(0, md_escape(self.w("every_measure_as_of")))
        return uses

    def form(self) -> dict:
        uses = self.fact_uses()

        def row(f: n.Fact) -> dict:
            default = ""
            if f.default is not None:
                default = self.describe.value(f.default, self.lang)
            return {"field": code(f.name), "label_zh": f.label.zh or "", "label_en": f.label.en or "",
                    "type": self.fact_type(f), "unit": self.fact_unit(f),
                    "required": self.w("yes") if f.required else "", "default": default,
                    "used_by": Markdown(", ".join(uses[f.name]))}

        enums = [{"name": e.name, "anchor": f"enum-{e.name}", "title": self.text(e.label) or e.name,
                  "rows": [{"code": code(v.code), "zh": v.label.zh or "", "en": v.label.en or ""} for v in e.values]}
                 for e in self.policy.enumerations]
        return {**self.common(), "batch": [row(f) for f in self.policy.facts if f.scope == "batch"],
                "applicant": [row(f) for f in self.policy.facts if f.scope == "applicant"], "enums": enums}

    # ------------------------------------------------------------ the calculator

    # The words the page script shows, beside its own `calc_*` words.
    _SCRIPT_WORDS = ("colon", "total", "payee", "city_share", "payee_applicant", "payee_county", "county_fallback",
                     "clause_ref", "granted", "not_eligible", "superseded", "pool_reduced", "pool_exhausted")

    def calculator_page(self) -> dict:
        form = calculator_page.build_form(self.calculator.versions, self.lang, WORDS[self.lang], self.fact_unit)
        words = {k: v for k, v in WORDS[self.lang].items() if k.startswith("calc_") or k in self._SCRIPT_WORDS}
        context = {"t": WORDS[self.lang], "lang": self.lang, "policy_id": self.header.name}
        pages = {c.number: c for c in self.policy.clauses}  # the clauses that have a page
        measures = []
        for group in form.groups:
            for m in group.measures:
                clause = pages.get(m.clause_number)
                text = f"{m.name} {m.title}".strip()
                if clause is not None and any(x.name == m.name for x in clause.measures):
                    item = Markdown(f'{link(text, f"{self.clause_page(clause)}#{m.name}")}'
                                    f'{{: data-pol-clause-link="{m.name}" }} · {md_escape(m.clause)}')
                else:
                    item = Markdown(f"{md_escape(text)} · {md_escape(m.clause)} ({md_escape(self.w('calc_no_page'))})")
                measures.append((m.clause_number, len(measures), item))
        measures.sort(key=lambda x: x[:2])
        config = {"lang": self.lang, "applicant_id": calculator_page.APPLICANT_ID, "words": words}
        return {**self.common(), "intro": self.w("calc_intro"), "city_wide": self.w("calc_city_wide"),
                "form": Markdown(calculator_page.form_html(form, context)),
                "measures": [item for *_, item in measures],
                "script": Markdown(calculator_page.script_html(self.calculator.module, config))}

    # ------------------------------------------------------------ worked examples

    def worked_examples(self) -> dict:
        return {**self.common(), "items": [self.example_view(e) for e in self.examples]}

    def example_view(self, example: WorkedExample) -> dict:
        description = (example.description_en or example.description_zh) if self.en \
            else (example.description_zh or example.description_en)
        why = "why" if self.en else "why_zh"
        applicants = []
        for applicant in example.result.get("applicants", []):
            awards = [{"measure": self.measure_link(a["measure"]), "status": self.w(a["status"]),
                       "amount": self.money(a["amount"]),
                       "city_share": self.money(a["city_share"]) if a.get("city_share") is not None else "",
                       "why": a.get(why, [])[1:], "title": a.get(why, [""])[0]} for a in applicant["awards"]]
            applicants.append({"id": applicant["id"], "awards": awards, "total": self.money(applicant["total"])})
        pools = [{"name": p.get("pool", p["measure"]), "measure": self.measure_link(p["measure"]),
                  "used": self.money(p["used"]), "limit": self.money(p["limit"])}
                 for p in example.result.get("pools", []) if Decimal(p["used"]) > 0]
        batch = json.dumps(example.batch, ensure_ascii=False, indent=2, default=_json_default)
        return {"name": example.name, "anchor": re.sub(r"[^A-Za-z0-9_-]+", "-", example.name),
                "description": description or "", "batch": fenced(batch, "json"), "applicants": applicants,
                "pools": pools, "total": self.money(example.result["total"]) if "total" in example.result else ""}


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date,)):
        return value.isoformat()
    raise TypeError(f"cannot show {type(value).__name__} in a batch")
