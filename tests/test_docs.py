"""The generated documentation: `compiler.docs_gen`, `pol docs`, the .pol lexer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import markdown
import pytest

from compiler import docs_gen
from compiler.describe import Describer, date_words, money
from compiler.docs_gen import WorkedExample, md_escape, render_catalogue, render_policy
from dsl.parser import parse_file, parse_text
from pol.cli import main

from .policy_text import policy_text

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "baotou_2022.pol"

# The Markdown extensions of mkdocs.yml that change what text means.
EXTENSIONS = ["tables", "attr_list", "toc", "admonition", "pymdownx.superfences", "pymdownx.tasklist"]

# Each paying measure of READING.md with the sums it states, as each language writes money.
AMOUNTS = {
    "M3a": (["100万元"], ["1,000,000 yuan"]),
    "M3b": (["50万元"], ["500,000 yuan"]),
    "M4": (["20万元"], ["200,000 yuan"]),
    "M5a": (["五星级100万元", "四星级50万元", "三星级30万元"],
            ["five-star 1,000,000 yuan", "four-star 500,000 yuan", "three-star 300,000 yuan"]),
    "M5b": (["甲级50万元", "乙级30万元", "丙级10万元"],
            ["grade A (甲) 500,000 yuan", "grade B (乙) 300,000 yuan", "grade C (丙) 100,000 yuan"]),
    "M6": (["每个1万元", "每年100万元"], ["10,000 yuan for each of", "1,000,000 yuan a year"]),
    "M7": (["1%", "50万元", "2000万元"], ["1%", "500,000 yuan", "20,000,000 yuan"]),
    "M8": (["每满1万元给予10元", "超过2000万元", "10万元", "每年50万元"],
           ["10 yuan for each full 10,000 yuan", "above 20,000,000 yuan", "100,000 yuan", "500,000 yuan a year"]),
    "M11a": (["5%", "200万元", "100万美元"], ["5%", "2,000,000 yuan", "1,000,000 US dollars"]),
    "M11b": (["1%", "300万元", "1000万美元"], ["1%", "3,000,000 yuan", "10,000,000 US dollars"]),
    "M13": (["100%"], ["100%"]),
    "M14": (["0.30元", "0.20元"], ["0.30 yuan", "0.20 yuan"]),
}


@pytest.fixture(scope="module")
def baotou():
    return parse_file(POLICY).policy


@pytest.fixture(scope="module")
def pages(baotou):
    return {p.path: p.text for p in render_policy(baotou)}


def html(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


def row_of(overview: str, measure: str) -> str:
    rows = [line for line in overview.splitlines() if line.startswith(f"| [{measure}](")]
    assert len(rows) == 1, f"{measure} has {len(rows)} rows in the overview"
    return rows[0]


# ---------------------------------------------------------------- the Baotou pages


def test_every_page_in_both_languages(pages):
    names = {re.sub(r"\.(zh|en)\.md$", "", path) for path in pages}
    for name in names:
        assert f"{name}.zh.md" in pages and f"{name}.en.md" in pages
    clauses = sorted(n for n in names if "/clause-" in n)
    assert len(clauses) == 22
    assert {"baotou_2022/index", "baotou_2022/form"} <= names


@pytest.mark.parametrize("measure", sorted(AMOUNTS))
def test_every_measure_with_its_amounts_in_both_languages(pages, measure):
    for lang, expected in zip(("zh", "en"), AMOUNTS[measure]):
        row = row_of(pages[f"baotou_2022/index.{lang}.md"], measure)
        for amount in expected:
            assert amount in row, f"{measure} ({lang}) lacks {amount!r}: {row}"
        clause = re.search(r"\((clause-\d\d)\.", row).group(1)
        page = pages[f"baotou_2022/{clause}.{lang}.md"]
        assert f"{{#{measure}}}" in page
        assert f"{clause}.{lang}.md#{measure}" in row


def test_overview_links_every_measure_to_its_clause(pages):
    overview = pages["baotou_2022/index.en.md"]
    assert "[M7](clause-07.en.md#M7) One-time reward for livestream e-commerce enterprises" in overview
    assert "[(7)](clause-07.en.md)" in overview
    assert "26 August 2022 to 25 August 2025 (3 years from the date of issue)" in overview
    assert "2022年8月26日至2025年8月25日(自印发之日起3年)" in pages["baotou_2022/index.zh.md"]


def test_clause_page_checklist_keeps_the_legal_words(pages):
    en, zh = pages["baotou_2022/clause-07.en.md"], pages["baotou_2022/clause-07.zh.md"]
    assert "- [ ] livestream rooms at least 5 (不少于5)" in en
    assert "- [ ] active anchors more than 10 (超过10)" in en
    assert "- [ ] livestream base area at least 1,000 m² (达到1000平方米及以上)" in en
    assert "- [ ] 直播基地面积达到1000平方米及以上" in zh
    assert "- [ ] 年内为本土产品带货交易额达到2000万元(含)以上" in zh
    assert "- [ ] 自企业设立日期起满1年" in zh
    assert "1% of livestream sales of local products in the year, at most 500,000 yuan; " \
           "each award rounded half up to 0.01 yuan." in en
    # who pays and who receives; the interpretation with its reason
    assert "the city bears 50%, the county-level division 50% (the default of clause (20))" in en
    assert "“设立时间满1年”指截至评估日已届满一整年" in zh


def test_repairs_are_marked_where_they_stand(pages):
    zh = pages["baotou_2022/clause-07.zh.md"]
    assert zh.count('<ins class="pol-repair"') == 2  # 促消费活动 in the text, 财政局、商务局 in departments
    assert '打造我市<ins class="pol-repair" title="修复:原文印作“促费活动”">促消费活动</ins>' in zh
    assert "原文印作“促费活动”,读作“促消费活动”" in zh
    assert 'title="repaired: printed as “市四级”">市四区</ins>' in pages["baotou_2022/clause-14.en.md"]


def test_pools_groups_and_default_burden_are_shown(pages):
    assert "{#station_fund}" in pages["baotou_2022/clause-06.en.md"]
    assert "in order of date the application was submitted, input order" in pages["baotou_2022/clause-06.en.md"]
    assert "{#highest_only}" in pages["baotou_2022/clause-21.zh.md"]
    twenty = pages["baotou_2022/clause-20.en.md"]
    assert "Measures that set no ratio: the city bears 50%, the county-level division 50%." in twenty
    assert "[M14](clause-14.en.md#M14)" in twenty and "[M3a]" not in twenty  # M3a sets its own burden


def test_application_form_lists_every_fact_with_its_users(baotou, pages):
    form = pages["baotou_2022/form.en.md"]
    for fact in baotou.facts:
        assert f"| `{fact.name}` | {md_escape(fact.label.zh)} | {md_escape(fact.label.en)} |" in form
    rooms = next(line for line in form.splitlines() if line.startswith("| `livestream_rooms` |"))
    assert "| integer |" in rooms and "[M7](clause-07.en.md#M7)" in rooms
    rate = next(line for line in form.splitlines() if line.startswith("| `usd_cny_rate` |"))
    assert "yuan per US dollar" in rate and "[M11a]" in rate and "[M11b]" in rate
    assert "| `bayan_obo` | 白云鄂博矿区 | Bayan Obo Mining District |" in form
    assert "| 元 |" in pages["baotou_2022/form.zh.md"]


def test_catalogue_lists_the_policies(baotou):
    zh, en = (p.text for p in render_catalogue([baotou]))
    assert "[包头市关于推动电子商务加快发展若干措施](baotou_2022/index.zh.md)" in zh
    assert "26 August 2022 – 25 August 2025" in en


def test_pages_convert_to_html_with_the_anchors(pages):
    page = html(pages["baotou_2022/clause-08.zh.md"])
    assert 'id="M8"' in page and 'id="festival_top5"' in page and 'id="festival_fund"' in page
    assert 'type="checkbox"' in page  # the checklist
    assert "<table>" in html(pages["baotou_2022/index.en.md"])


# ---------------------------------------------------------------- escaping


def test_clause_text_holding_script_renders_as_text():
    source = policy_text(text_zh="<script>alert(1)</script> *星* [链](x) | 竖线",
                         text_en="<script>alert(2)</script> & <b>bold</b>",
                         clause_title_en="A <i>title</i> | with a pipe",
                         measure_title_en="Reward_*one*_")
    policy = parse_text(source, "demo.pol").policy
    assert policy is not None
    rendered = {p.path: p.text for p in render_policy(policy)}
    for lang in ("zh", "en"):
        clause = html(rendered[f"demo_policy/clause-07.{lang}.md"])
        overview = html(rendered[f"demo_policy/index.{lang}.md"])
        for page in (clause, overview):
            assert "<script" not in page and "<i>" not in page and "<b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in clause
        assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in clause
        assert "*星* [链](x) | 竖线" in clause  # Markdown markers shown as typed, no emphasis or link
        assert "<em>星</em>" not in clause and 'href="x"' not in clause
    overview = html(rendered["demo_policy/index.en.md"])
    assert "Reward_*one*_" in overview  # inside a table cell
    assert overview.count("<td>") % 7 == 0  # the pipe in a title did not add a column


@pytest.mark.parametrize("text", ["# not a heading", "- not a list", "1. not a list", "> not a quote",
                                  "---", "`code` \\ back", "&amp; is not an entity"])
def test_escaped_text_shows_as_typed(text):
    rendered = html(md_escape(text))
    assert rendered.startswith("<p>") and rendered.endswith("</p>")
    shown = rendered[3:-4].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert shown == text


# ---------------------------------------------------------------- words


def test_money_and_dates_as_each_language_writes_them():
    import datetime
    assert money(Decimal("500000"), "zh") == "50万元" and money(Decimal("500000"), "en") == "500,000 yuan"
    assert money(Decimal("123456.78"), "zh") == "123456.78元"
    assert money(Decimal("123456.78"), "en") == "123,456.78 yuan"
    assert money(Decimal("300000.00"), "zh") == "30万元"
    assert money(Decimal("15000"), "zh") == "1.5万元"
    assert date_words(datetime.date(2022, 8, 26), "zh") == "2022年8月26日"
    assert date_words(datetime.date(2022, 8, 26), "en") == "26 August 2022"


def test_condition_items_follow_the_file_order(baotou):
    describe = Describer(baotou)
    m13 = next(m for _, m in baotou.all_measures() if m.name == "M13")
    assert describe.condition_items(m13.condition, "en") == [
        "registered in Baotou", "network road freight platform",
        "connected to the autonomous region's road freight monitoring platform",
        "award year is the first full calendar year after date of registration or later"]
    m6 = next(m for _, m in baotou.all_measures() if m.name == "M6")
    assert describe.condition_items(m6.condition, "zh")[1] == "并非位于国家电子商务进农村综合示范县"


# ---------------------------------------------------------------- worked examples


def test_worked_examples_show_batch_result_and_explanations(baotou):
    import pol.api
    calculator = pol.api.load(POLICY)
    batch = {"as_of": "2023-06-30", "applicants": [
        {"id": "LS-1", "county": "kundulun", "registered_in_baotou": True, "livestream_base_area_m2": "1200",
         "livestream_rooms": 6, "active_anchors": 12, "established_on": "2021-05-10",
         "local_product_livestream_sales": "30000000"}]}
    example = WorkedExample("m7_livestream", "直播电商企业获奖励。", "A livestream enterprise is rewarded.",
                            batch, calculator.evaluate_json(batch))
    pages = {p.path: p.text for p in render_policy(baotou, [example])}
    zh, en = pages["baotou_2022/examples.zh.md"], pages["baotou_2022/examples.en.md"]
    assert "## m7\\_livestream {#m7_livestream}" in en
    assert "A livestream enterprise is rewarded." in en and "直播电商企业获奖励。" in zh
    assert '"local_product_livestream_sales": "30000000"' in en
    assert "| [M7](clause-07.en.md#M7) | granted | 300,000 yuan | 150,000 yuan |" in en
    assert "| [M7](clause-07.zh.md#M7) | 发放 | 30万元 | 15万元 |" in zh
    assert "    - ✓ livestream rooms at least 5 (不少于): 6" in en
    assert "    - ✓ 直播间数量不少于5:6" in zh
    assert "[计算示例](examples.zh.md)" in pages["baotou_2022/index.zh.md"]


def test_no_examples_page_without_examples(pages):
    assert "baotou_2022/examples.en.md" not in pages
    assert "examples.en.md" not in pages["baotou_2022/index.en.md"]


@pytest.mark.skipif(not (REPO / "policies" / "baotou_2022.test.pol").is_file(), reason="no policy tests yet")
def test_pol_docs_takes_examples_from_the_policy_tests(tmp_path):
    assert main(["docs", str(POLICY), "-o", str(tmp_path), "--format", "json"]) == 0
    text = (tmp_path / "baotou_2022" / "examples.en.md").read_text(encoding="utf-8")
    assert text.count("```json") >= 10
    assert "| granted |" in text


# ---------------------------------------------------------------- pol docs


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generated_markdown_is_byte_identical_across_runs(tmp_path):
    # Two processes with different hash seeds: no set or dict order may leak into the pages.
    for run, seed in (("one", "1"), ("two", "2")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "pol.cli", "docs", str(POLICY), "-o", str(tmp_path / run)],
                              cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert len(one) >= 48 and one == two


def test_pol_docs_writes_pages_and_removes_stale_ones(tmp_path, capsys):
    stale = tmp_path / "baotou_2022" / "clause-99.en.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    keep = tmp_path / "baotou_2022" / "notes.txt"
    keep.write_text("mine", encoding="utf-8")
    assert main(["docs", str(POLICY), "-o", str(tmp_path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"-> {tmp_path / 'baotou_2022'}/ (" in out
    assert not stale.exists() and keep.exists()
    assert (tmp_path / "index.en.md").is_file() and not (tmp_path / "index.zh.md").exists()
    assert not list((tmp_path / "baotou_2022").glob("*.zh.md"))


def test_pol_docs_json_report(tmp_path, capsys):
    assert main(["docs", str(POLICY), "-o", str(tmp_path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["policies"][0]["policy"] == "baotou_2022"
    assert report["policies"][0]["pages"] >= 48


def test_pol_docs_refuses_a_policy_with_errors(tmp_path, capsys):
    bad = tmp_path / "bad.pol"
    bad.write_text("policy broken\n  title zh \"x\" en \"y\"\n", encoding="utf-8")
    assert main(["docs", str(bad), "-o", str(tmp_path / "out")]) == 1
    assert "error[" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["docs", "-o", "x"], ["docs", "p.pol"], ["docs", "p.pol", "-o", "x", "--lang", "fr"]])
def test_pol_docs_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


# ---------------------------------------------------------------- the lexer


def test_pol_lexer_is_registered_and_colours_the_policy():
    from pygments.lexers import get_lexer_by_name
    from pygments.token import Error, Keyword, Name, Number, Operator, String

    lexer = get_lexer_by_name("pol")  # through the entry point of pyproject.toml
    tokens = [(t, v) for t, v in lexer.get_tokens(POLICY.read_text(encoding="utf-8")) if v.strip()]
    assert not [v for t, v in tokens if t in Error]
    kinds = {v: t for t, v in tokens}
    assert kinds["measure"] in Keyword and kinds["when"] in Keyword
    assert kinds["不少于"] in Operator and kinds["(含)以上"] in Operator
    assert kinds["50万"] in Number and kinds["M7"] in Name
    assert kinds["包头市关于推动电子商务加快发展若干措施"] in String and kinds["2022-08-26"] in Number
