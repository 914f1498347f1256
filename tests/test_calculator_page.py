"""The calculator page of the docs site: the form generated from the AST, and the page in a real browser.

The first tests read the generated Markdown. The browser tests open the built site
(`make build` writes site/) in Debian's chromium, served from 127.0.0.1 with every other
request refused (tests/browser_support.py): they fill the form as an enterprise would, for a
livestream enterprise and for a hotel in both languages, and hold what the page shows (each
award's amount, status, reasons, the first failed condition, the caps that bit, the total)
to the Python calculator's result for the same facts. Screenshots go to
build/screenshots/calculator-*.png.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

import markdown
import pytest

from compiler import calculator_page
from compiler.docs_gen import WORDS, Calculator, render_policy
from compiler.js_gen import javascript_of
from dsl.parser import parse_text
from pol.api import BatchError, compile_file, load
from pol.cli import main

from .browser_support import SITE, browser, open_page, page, shot, site_url  # noqa: F401  (fixtures)
from .policy_text import policy_text

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "baotou_2022.pol"

# An amendment of our own (the one in the repository is an illustration that may move): from
# 2024 it raises M7's cap to 800,000 yuan and adds M23, which reads only facts M7 reads.
NOTICE = """
amendment baotou_2022_notice amends baotou_2022
  title zh "调整通知" en "Notice of adjustment"
  issuer zh "包头市人民政府办公室" en "General Office of the Baotou Municipal People's Government"
  issued 2023-12-15
  effective 2024-01-01
end

change (七) text zh "最高不超过50万元" to "最高不超过80万元"

change (七) text en "up to a maximum of CNY 500,000" to "up to a maximum of CNY 800,000"

change (七) M7 cap 50万元 to 80万元

add clause (二十三)
  title zh "支持直播电商企业做大做强。" en "Support livestream e-commerce enterprises in growing larger."
  text zh "年内为本土产品带货交易额达到1亿元(含)以上的,再给予一次性奖励20万元。"
       en "A further one-time reward of CNY 200,000 when livestream sales of local products reach CNY 100,000,000."

  measure M23 reward
    title zh "直播电商企业规模奖励" en "Scale reward for livestream e-commerce enterprises"
    who zh "本土产品带货交易额达到1亿元的直播电商企业"
        en "a livestream e-commerce enterprise with livestream sales of local products of 100 million yuan or more"
    when registered_in_baotou
     and local_product_livestream_sales 达到 1亿元 (含)以上
    pay 20万元
    payee applicant
  end
end
"""


def _pages_of(compiled) -> dict[str, str]:
    calculator = Calculator(javascript_of(compiled), tuple(v.policy for v in compiled.versions))
    return {p.path: p.text for p in render_policy(compiled.parsed.policy, calculator=calculator)}


@pytest.fixture(scope="module")
def amended_policy(tmp_path_factory) -> Path:
    """Baotou as issued with NOTICE beside it, alone in a directory of its own."""
    root = tmp_path_factory.mktemp("amended")
    (root / "baotou_2022.pol").write_bytes(POLICY.read_bytes())
    (root / "baotou_2022_notice.pol").write_text(NOTICE, encoding="utf-8")
    return root / "baotou_2022.pol"


@pytest.fixture(scope="module")
def amended(amended_policy):
    compiled = compile_file(amended_policy)
    assert len(compiled.versions) == 2
    return compiled


@pytest.fixture(scope="module")
def pages():
    """The pages `make build` writes for the policy as it is in the repository."""
    return _pages_of(compile_file(POLICY))


@pytest.fixture(scope="module")
def amended_pages(amended):
    return _pages_of(amended)


def _form_part(text: str) -> str:
    """The raw HTML block of the form: up to the heading that follows it."""
    start = text.index('<div class="pol-calc"')
    return text[start:text.index("\n\n## ", start)]


def _fields_in_order(text: str) -> list[str]:
    return re.findall(r'data-pol-field="([^"]+)"', _form_part(text))


# ---------------------------------------------------------------- the generated page


def test_a_calculator_page_in_each_language_linked_from_every_page(pages):
    for lang, title in (("zh", "计算器"), ("en", "Calculator")):
        text = pages[f"baotou_2022/calculator.{lang}.md"]
        assert text.startswith(f'---\ntitle: "{title}"\nhide: ["toc"]\n---\n')
        assert f"[{title}](calculator.{lang}.md)" in pages[f"baotou_2022/index.{lang}.md"]
        assert f"[{title}](calculator.{lang}.md)" in pages[f"baotou_2022/clause-07.{lang}.md"]


def test_the_form_groups_facts_by_measure_each_fact_once(amended):
    form = calculator_page.build_form([v.policy for v in amended.versions], "en", WORDS["en"], lambda f: "")
    assert [f.name for f in form.batch] == ["as_of", "year", "usd_cny_rate"]
    groups = {g.key: g for g in form.groups}
    assert list(groups) == ["general", "M3a", "M4", "M5a", "M5b", "M6", "M7", "M8", "M11a", "M11b", "M13", "M14"]
    assert [f.name for f in groups["general"].fields] == [
        "county", "registered_in_baotou", "submitted_on", "other_city_policy_reward"]
    # M3b reads only what M3a reads; M23 (added by the amendment) only facts M7 reads.
    assert [m.name for m in groups["M3a"].measures] == ["M3a", "M3b"]
    assert [m.name for m in groups["M7"].measures] == ["M7", "M23"]
    assert [f.name for f in groups["M7"].fields] == [
        "livestream_base_area_m2", "livestream_rooms", "active_anchors", "established_on",
        "local_product_livestream_sales"]
    # The ranking's key belongs to the measure that asks about the ranking.
    assert [f.name for f in groups["M8"].fields] == [
        "festival_online_retail_sales", "festival_local_goods_online_retail"]
    applicant = [f.name for g in form.groups for f in g.fields]
    policy = amended.versions[-1].policy
    assert sorted(applicant) == sorted(f.name for f in policy.facts if f.scope == "applicant" and f.name != "id")
    assert len(applicant) == len(set(applicant))
    # Help from the AST: each measure's condition on the fact, the same ones named together.
    rooms = next(f for f in groups["M7"].fields if f.name == "livestream_rooms")
    assert rooms.help == ("M7: livestream rooms at least 5 (不少于5)",)
    sales = next(f for f in groups["M7"].fields if f.name == "local_product_livestream_sales")
    assert [line.split(":")[0] for line in sales.help] == ["M7", "M23"]
    assert "100,000,000 yuan" in sales.help[1]
    notes = {m.name: m.notes for g in form.groups for m in g.measures}
    assert notes["M6"] and notes["M6"][0].startswith("Subject to the city-wide budget")
    assert [n.split(" (")[0] for n in notes["M8"]] == ["Subject to the city-wide budget: paid from the Total for the"
                                                       " festival traffic subsidy; computed here as if yours were the"
                                                       " only application.", "Subject to the city-wide ranking"]
    assert "top 5" in notes["M8"][1]
    assert not notes["M7"]


def test_inputs_follow_the_fact_types(pages):
    text = pages["baotou_2022/calculator.zh.md"]
    form = _form_part(text)
    assert '<select id="pol-f-county" data-pol-fact="county"' in form
    assert '<option value="5">五星级</option>' in form
    assert ('<input type="date" id="pol-f-as_of" data-pol-fact="as_of" min="2022-08-26" max="2025-08-25" '
            'required') in form
    assert '<input type="date" id="pol-f-established_on"' in form
    assert '<input type="checkbox" id="pol-f-registered_in_baotou"' in form
    assert '<input type="text" inputmode="numeric" autocomplete="off" id="pol-f-livestream_rooms"' in form
    assert re.search(r'id="pol-f-local_product_livestream_sales"', form)
    # A count per county: one input for each value of the enumeration.
    assert len(re.findall(r'data-pol-fact="village_parcels" data-pol-key="', form)) == 10
    # The exchange rate waits for an amount in US dollars.
    assert ('data-pol-field="usd_cny_rate" data-pol-kind="rate" data-pol-scope="batch" '
            'data-pol-currency-of="cross_border_trade_usd platform_online_trade_usd" hidden>') in form
    assert 'placeholder="默认:评估日期所在年度"' in form
    assert "(平方米)" in form and "(元/美元)" in form
    # no blank line inside the raw HTML block, or Markdown would end it there
    assert "\n\n" not in form and form.endswith("</div>")
    assert _fields_in_order(text) == _fields_in_order(pages["baotou_2022/calculator.en.md"])


def test_result_links_come_from_markdown_links_to_the_clause_pages(amended_pages):
    text = amended_pages["baotou_2022/calculator.en.md"]
    assert '[M7 One-time reward for livestream e-commerce enterprises](clause-07.en.md#M7)' \
           '{: data-pol-clause-link="M7" } · clause (7)' in text
    # M23 comes with the amendment: its clause has no page of its own yet.
    assert "- M23 Scale reward for livestream e-commerce enterprises · clause (23) (added by an amendment;" in text
    html = markdown.markdown(text.split("---\n", 2)[2], extensions=["attr_list", "tables"])
    assert '<a data-pol-clause-link="M7" href="clause-07.en.md#M7">' in html


def test_the_module_and_page_script_are_inlined_whole(amended_pages, amended):
    text = amended_pages["baotou_2022/calculator.en.md"]
    script = text[text.index('<script type="module">\n') + len('<script type="module">\n'):text.rindex("\n</script>")]
    assert script.startswith(javascript_of(amended).rstrip())
    assert script.count("effective: day(") == 2  # the module holds both versions
    assert calculator_page.page_script_source().rstrip() in script
    assert "window.pol = { evaluate," in script
    config = json.loads(script[script.rindex("\n  {") + 3:-2])
    assert config["lang"] == "en" and config["words"]["not_eligible"] == "not eligible"
    assert text.count("<script") == 1 and text.count("</script>") == 1


def test_policy_text_cannot_break_out_of_the_page():
    hostile = "</script><script>alert(1)</script><!-- \u2028 & \"quoted\" 'single'"
    policy = parse_text(policy_text(title_en="Demo </script>", measure_title_en=hostile.replace('"', "'"),
                                    clause_title_en="<b>bold</b> & *star*"), "demo.pol").policy
    assert policy is not None
    pages = {p.path: p.text for p in render_policy(policy)}
    for lang in ("zh", "en"):
        text = pages[f"demo_policy/calculator.{lang}.md"]
        assert text.count("<script") == 1 and text.lower().count("</script") == 1
        assert "<!--" not in text and "\u2028" not in text
        assert "<b>" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in _form_part(pages["demo_policy/calculator.en.md"])


def test_a_script_that_would_end_its_element_is_refused():
    for bad in ("const a = '</script>';", "// <!-- x", "const a = '\u2028';", "```\n"):
        with pytest.raises(ValueError):
            calculator_page.script_html(bad, {})


def test_the_page_script_builds_no_html_from_text():
    source = calculator_page.page_script_source()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "document.write" not in source
    assert not re.search(r"</script|<!--|[\u2028\u2029]", source, re.IGNORECASE)


def test_pol_docs_writes_the_calculator_with_the_amendments(amended_policy, tmp_path, capsys):
    assert main(["docs", str(amended_policy), "-o", str(tmp_path)]) == 0
    text = (tmp_path / "baotou_2022" / "calculator.zh.md").read_text(encoding="utf-8")
    assert 'data-pol-measure="M23"' in text
    assert text.count("effective: day(") == 2
    # The other pages still describe the policy as issued.
    assert not (tmp_path / "baotou_2022" / "clause-23.zh.md").exists()


# ---------------------------------------------------------------- in the browser


def _money(value: str, lang: str) -> str:
    text = f"{Decimal(value):,}"
    return f"{text} yuan" if lang == "en" else f"{text}元"


def _url(site_url: str, lang: str) -> str:
    return f"{site_url}{'en/' if lang == 'en' else ''}policies/baotou_2022/calculator/"


def _python(batch: dict, module=None) -> dict:
    """The Python calculator's result for a batch, read as `pol eval` reads its JSON."""
    return (module or load(POLICY)).evaluate_json(json.loads(json.dumps(batch), parse_float=Decimal))


def _fill(page, facts: dict) -> None:
    """Fill the form as a person would: open each fact's group, then type, pick or tick."""
    for name, value in facts.items():
        group = page.locator(f'details:has([data-pol-field="{name}"])')
        if group.count() and not group.evaluate("g => g.open"):
            group.locator("summary").click()
        field = page.locator(f'#pol-f-{name}')
        kind = page.locator(f'[data-pol-field="{name}"]').get_attribute("data-pol-kind")
        if kind == "bool":
            field.set_checked(value)
        elif kind == "enum":
            field.select_option(value)
        elif kind == "count_map":
            for code, count in value.items():
                page.locator(f"#pol-f-{name}-{code}").fill(count)
        else:
            field.fill(value)


def _shown(page) -> dict:
    """What the results area shows."""
    return page.evaluate("""() => {
        const results = document.querySelector('#pol-calc-results');
        const total = results.querySelector('[data-pol-total]');
        const error = document.querySelector('#pol-calc-error');
        const text = (el) => el ? el.textContent : null;
        return {
            total: text(total),
            error: error.hidden ? null : text(error),
            batch: text(results.querySelector('.pol-calc-json pre')),
            awards: Array.from(results.querySelectorAll('section.pol-calc-award')).map((card) => ({
                measure: card.dataset.polMeasure,
                status: card.dataset.polStatus,
                status_words: text(card.querySelector('.pol-calc-status')),
                amount: text(card.querySelector('.pol-calc-amount')),
                why: Array.from(card.querySelectorAll('.pol-calc-why li')).map((li) => li.textContent),
                first_failed: text(card.querySelector('[data-pol-first-failed]')),
                caps: text(card.querySelector('[data-pol-caps]')),
                notes: Array.from(card.querySelectorAll('.pol-calc-note')).map((p) => p.textContent),
                link: card.querySelector('a.pol-calc-clause')?.getAttribute('href') ?? null,
                meta: text(card.querySelector('.pol-calc-meta')),
            })),
        };
    }""")


def _check_against_python(page, lang: str, facts: dict, batch_facts: dict, module=None) -> tuple[dict, dict]:
    """The page's results are the Python calculator's for the same batch, as the page's language shows them."""
    shown = _shown(page)
    assert shown["error"] is None, shown["error"]
    batch = {**batch_facts, "applicants": [{"id": "applicant", **facts}]}
    assert json.loads(shown["batch"]) == batch
    expected = _python(batch, module)
    (result,) = expected["applicants"]
    assert shown["total"] == _money(result["total"], lang)
    assert [a["measure"] for a in shown["awards"]] == [a["measure"] for a in result["awards"]]
    why = "why" if lang == "en" else "why_zh"
    for seen, award in zip(shown["awards"], result["awards"]):
        assert seen["status"] == award["status"]
        assert seen["status_words"] == WORDS[lang][award["status"]]
        assert seen["amount"] == _money(award["amount"], lang)
        assert seen["why"] == award[why][1:]
        failed = next((line for line in award[why] if line.startswith("✗")), None)
        if award["status"] == "not_eligible":
            assert failed is not None and seen["first_failed"].startswith(
                f"{WORDS[lang]['calc_first_failed']}{WORDS[lang]['colon']}{failed} (")
        else:
            assert seen["first_failed"] is None
        caps = [line for en, line in zip(award["why"], award[why]) if en.startswith("capped by ")]
        assert (seen["caps"] is not None) == bool(caps)
        if caps:
            assert seen["caps"] == f"{WORDS[lang]['calc_caps']}{WORDS[lang]['colon']}{'; '.join(caps)}"
    return shown, result


LIVESTREAM = {"county": "qingshan", "registered_in_baotou": True, "livestream_base_area_m2": "2000",
              "livestream_rooms": "9", "active_anchors": "25", "established_on": "2020-03-01",
              "local_product_livestream_sales": "86000000"}
HOTEL = {"county": "kundulun", "hotel_star_rating": "5", "hotel_rated_on": "2022-08-20",
         "demo_enterprise_level": "national", "demo_enterprise_approved_on": "2023-01-15"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_livestream_enterprise_sees_its_reward_and_why_not_more(page, site_url, lang):
    open_page(page, _url(site_url, lang))
    _fill(page, {"as_of": "2024-06-30", **LIVESTREAM})
    shown, result = _check_against_python(page, lang, LIVESTREAM, {"as_of": "2024-06-30"})
    m7 = shown["awards"][0]
    # 1% of 86,000,000 is 860,000: the cap of (七) bites, and the page says so.
    assert (m7["measure"], m7["status"]) == ("M7", "granted")
    assert m7["caps"] and Decimal(result["total"]) < Decimal("860000")
    assert result["total"] == result["awards"][0]["amount"]
    # Anything else these facts concern is not paid, and the page says which condition failed.
    assert all(a["status"] == "not_eligible" and a["first_failed"] for a in shown["awards"][1:])
    # Each result links to its clause page.
    assert m7["link"] == "../clause-07/#M7"
    assert (SITE / ("en" if lang == "en" else "") / "policies/baotou_2022/clause-07/index.html").is_file()
    assert m7["notes"] == []
    page.locator('details[data-pol-group="M7"]').scroll_into_view_if_needed()
    shot(page, f"calculator-livestream-{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_hotel_sees_what_it_gets_and_the_condition_it_fails(page, site_url, lang):
    open_page(page, _url(site_url, lang))
    _fill(page, {"as_of": "2024-06-30", **HOTEL})
    shown, result = _check_against_python(page, lang, HOTEL, {"as_of": "2024-06-30"})
    by_measure = {a["measure"]: a for a in shown["awards"]}
    assert by_measure["M4"]["status"] == "granted" and result["total"] == "200000.00"
    # Rated four days before the policy took effect: the first failed condition says so.
    assert by_measure["M5a"]["status"] == "not_eligible"
    assert "2022-08-20" in by_measure["M5a"]["first_failed"]
    assert by_measure["M5a"]["link"] == "../clause-05/#M5a"
    page.locator('details[data-pol-group="M5a"]').scroll_into_view_if_needed()
    shot(page, f"calculator-hotel-{lang}")


def test_pools_and_rankings_are_subject_to_the_city(page, site_url):
    open_page(page, _url(site_url, "en"))
    facts = {"county": "tumed_right", "festival_online_retail_sales": "50000000",
             "festival_local_goods_online_retail": "30000000", "village_stations": "3", "submitted_on": "2024-03-01",
             "demo_base_level": "national", "demo_base_approved_on": "2023-03-01"}
    _fill(page, {"as_of": "2024-06-30", **facts})
    shown, result = _check_against_python(page, "en", facts, {"as_of": "2024-06-30"})
    by_measure = {a["measure"]: a for a in shown["awards"]}
    # A one-applicant batch ranks its applicant first: M8 is paid, with the caveat.
    assert by_measure["M8"]["status"] == "granted" and by_measure["M8"]["amount"] == "10,000.00 yuan"
    assert [note.split(":")[0] for note in by_measure["M8"]["notes"]] == [
        "Subject to the city-wide budget", "Subject to the city-wide ranking (Top 5 by online retail sales in the"
                                           " Double Products Online Shopping Festival)"]
    assert "within the top 5" in by_measure["M8"]["notes"][1]
    assert by_measure["M6"]["notes"][0].startswith("Subject to the city-wide budget: paid from the Yearly total")
    # A reward to the county is paid to the applicant's county, named.
    assert "Paid to: the applicant's Tumed Right Banner" in by_measure["M3a"]["meta"]
    # The form says so too, before anything is filled in.
    assert page.locator('[data-pol-group="M8"] .pol-calc-note').count() == 2


def test_validation_gives_the_messages_of_pol_eval(page, site_url):
    open_page(page, _url(site_url, "en"))
    _fill(page, {"as_of": "2024-06-30", **LIVESTREAM, "livestream_rooms": "nine"})
    batch = {"as_of": "2024-06-30", "applicants": [{"id": "applicant", **LIVESTREAM, "livestream_rooms": "nine"}]}
    with pytest.raises(BatchError) as refused:
        _python(batch)
    shown = _shown(page)
    assert shown["error"] == f"Cannot calculate: {refused.value}"
    assert page.locator("#pol-m-livestream_rooms").text_content() == str(refused.value)
    assert page.locator("#pol-f-livestream_rooms").get_attribute("aria-invalid") == "true"
    assert shown["awards"] == [] and shown["total"] is None

    # An amount in US dollars calls for the exchange rate, which the form then shows.
    _fill(page, {"livestream_rooms": "9"})
    assert page.locator('[data-pol-field="usd_cny_rate"]').is_hidden()
    _fill(page, {"cross_border_trade_usd": "2000000"})
    assert page.locator('[data-pol-field="usd_cny_rate"]').is_visible()
    applicant = {"id": "applicant", **LIVESTREAM, "cross_border_trade_usd": "2000000"}
    batch = {"as_of": "2024-06-30", "applicants": [applicant]}
    with pytest.raises(BatchError) as refused:
        _python(batch)
    assert page.locator("#pol-m-usd_cny_rate").text_content() == str(refused.value)
    # Once the rate is given, M11a's conditions hold and its amount needs the fiscal contributions.
    _fill(page, {"usd_cny_rate": "7.1"})
    assert "`fiscal_contribution_this_year` is needed by M11a" in page.locator(
        "#pol-m-fiscal_contribution_this_year").text_content()
    _fill(page, {"fiscal_contribution_prev_year": "100000", "fiscal_contribution_this_year": "300000"})
    assert _shown(page)["error"] is None
    assert "M11a" in [a["measure"] for a in _shown(page)["awards"]]

    # A date outside the period in effect is refused as pol eval refuses it.
    _fill(page, {"as_of": "2021-01-01"})
    with pytest.raises(BatchError) as refused:
        _python({"as_of": "2021-01-01", "applicants": [{"id": "applicant"}]})
    assert _shown(page)["error"] == f"Cannot calculate: {refused.value}"
    assert page.locator("#pol-m-as_of").text_content() == str(refused.value)
    shot(page, "calculator-refused-en")


def test_the_form_starts_today_and_clears(page, site_url):
    open_page(page, _url(site_url, "zh"))
    # Today by default, moved into the period in effect.
    start, end = datetime.date(2022, 8, 26), datetime.date(2025, 8, 25)
    today = min(max(datetime.date.today(), start), end).isoformat()
    assert page.input_value("#pol-f-as_of") == today
    assert _shown(page)["awards"] == [] and _shown(page)["total"] == "0.00元"
    _fill(page, {"as_of": "2024-06-30", **LIVESTREAM})
    assert _shown(page)["awards"]
    page.locator("[data-pol-reset]").click()
    assert page.input_value("#pol-f-livestream_rooms") == "" and page.input_value("#pol-f-as_of") == today
    assert _shown(page)["awards"] == []


def _standalone(text: str) -> str:
    """A generated page as HTML without the site around it, as Markdown makes it."""
    body = markdown.markdown(text.split("---\n", 2)[2], extensions=["attr_list", "tables", "toc"])
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def test_the_version_in_force_on_the_date_applies(page, amended_pages, amended_policy):
    page.set_content(_standalone(amended_pages["baotou_2022/calculator.zh.md"]))
    module = load(amended_policy)
    _fill(page, {"as_of": "2023-12-31", **LIVESTREAM})
    shown, result = _check_against_python(page, "zh", LIVESTREAM, {"as_of": "2023-12-31"}, module)
    # As issued: the cap of (七) is 500,000, and there is no (二十三) yet, in the results or the form.
    assert [a["measure"] for a in shown["awards"]] == ["M7"] and result["total"] == "500000.00"
    assert page.locator('li[data-pol-measure="M23"]').is_hidden()
    assert "2022-08-26" in page.locator("#pol-calc-results .pol-calc-meta").first.text_content()

    _fill(page, {"as_of": "2024-01-01"})
    shown, result = _check_against_python(page, "zh", LIVESTREAM, {"as_of": "2024-01-01"}, module)
    assert page.locator('li[data-pol-measure="M23"]').is_visible()
    m7, m23 = shown["awards"]
    assert result["total"] == "800000.00" and "80万元" in m7["caps"]
    assert (m23["measure"], m23["status"]) == ("M23", "not_eligible") and "1亿元" in m23["first_failed"]
    # M23's clause comes with the amendment and has no page: its result shows the clause unlinked.
    assert m7["link"] == "clause-07.zh.md#M7" and m23["link"] is None
    assert "baotou_2022_notice" in page.locator("#pol-calc-results .pol-calc-meta").first.text_content()


def test_window_pol_evaluate_gives_the_json_of_pol_eval(page, site_url):
    open_page(page, _url(site_url, "en"))
    texts = [json.dumps(json.loads(f.read_text(encoding="utf-8"))["batch"], ensure_ascii=False)
             for f in sorted((REPO / "tests" / "cases" / "baotou").glob("*.json"))]
    texts += [f.read_text(encoding="utf-8") for f in sorted((REPO / "examples").glob("*.json"))]
    answers = page.evaluate("""(texts) => texts.map((text) => {
        try { return {json: window.pol.toJSONText(window.pol.evaluate(text))}; }
        catch (error) { return {refused: error.message}; }
    })""", texts)
    module = load(POLICY)
    seen = {"json": 0, "refused": 0}
    for text, answer in zip(texts, answers, strict=True):
        try:
            expected = {"json": json.dumps(module.evaluate_json(json.loads(text, parse_float=Decimal)),
                                           ensure_ascii=False, indent=2)}
        except BatchError as error:
            expected = {"refused": str(error)}
        assert answer == expected, text
        seen[next(iter(answer))] += 1
    assert seen["json"] >= 60 and seen["refused"] > 0


def test_the_page_works_from_the_files_of_site(browser):
    # No server at all: the module is inlined, so chromium runs it from file:// too. (The theme's
    # search cannot load its index from files, so its error is the one error allowed here.)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        open_page(page, (SITE / "policies" / "baotou_2022" / "calculator" / "index.html").as_uri())
        _fill(page, {"as_of": "2024-06-30", **HOTEL})
        shown, _ = _check_against_python(page, "zh", HOTEL, {"as_of": "2024-06-30"})
        assert shown["total"] == "200,000.00元"
    finally:
        page.close()
    assert [e for e in errors if not e.endswith("/site/search/search_index.js")] == []
