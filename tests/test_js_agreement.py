"""The JavaScript calculators agree with the Python ones, to the fen and to the letter.

Every batch here is evaluated twice: by the Python calculator (`pol.api.load(...)
.evaluate_json`, reading the JSON as `pol eval` does) and by the ES module `pol
compile --target js` writes, under Node.js. The JSON text of the results must be
identical, and a refused batch must be refused with the same message and code.
The batches: every golden worked case, every example, and a few hundred seeded
random batches per policy (tests/random_batches.py), some of them wrong on purpose.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path

import pytest

from compiler.js_gen import RUNTIME_PATH, compile_policy_js, js_string
from dsl.parser import parse_text
from pol import runtime
from pol.api import BatchError, load
from pol.cli import main

from .policy_text import policy_text
from .random_batches import random_batches

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
# The example amendment's file stands for the Baotou policy with it: a calculator with two versions.
AMENDMENTS = REPO / "examples" / "amendments"
AMENDED = AMENDMENTS / "baotou_2022_amendment_2024.pol"
TUTORIAL = REPO / "examples" / "tutorial" / "first.pol"
DEMO = REPO / "tests" / "fixtures" / "demo.pol"
AGREE = Path(__file__).resolve().parent / "js" / "agree.mjs"
PROBE = Path(__file__).resolve().parent / "js" / "probe.mjs"
NODE = shutil.which("node")

# On a developer's machine without Node.js these are skipped; CI installs it (.ci/run) and
# must run them, so there a missing node fails instead.
pytestmark = pytest.mark.skipif(NODE is None and not os.environ.get("CI"), reason="Node.js is not installed")


class _Modules(dict):
    """The JavaScript calculator of each policy, as `pol compile --target js` writes it, made when first asked for."""

    def __init__(self, out: Path):
        super().__init__()
        self.out = out

    def __missing__(self, policy: Path) -> Path:
        target = self.out / f"{len(self)}"
        assert main(["compile", "--target", "js", str(policy), "-o", str(target)]) == 0
        (module,) = target.glob("*.mjs")
        self[policy] = module
        return module


@pytest.fixture(scope="module")
def modules(tmp_path_factory) -> _Modules:
    return _Modules(tmp_path_factory.mktemp("js"))


def _node(script: Path, *args):
    result = subprocess.run([NODE or "node", str(script), *map(str, args)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _python(module, text: str) -> dict:
    """What `pol eval --format json` gives for the JSON text: the result's text, or the refusal."""
    try:
        result = module.evaluate_json(json.loads(text, parse_float=Decimal))
    except BatchError as error:
        return {"refused": str(error), "code": getattr(error, "code", None)}
    return {"json": json.dumps(result, ensure_ascii=False, indent=2)}


def _compare(policy: Path, js_module: Path, texts: list[str], tmp_path: Path) -> collections.Counter:
    """Evaluate every text both ways; fail on the first disagreement, else count what was seen."""
    module = load(policy)
    batches = tmp_path / "batches.json"
    batches.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    answers = _node(AGREE, js_module, batches)
    seen = collections.Counter()
    for text, answer in zip(texts, answers, strict=True):
        expected = _python(module, text)
        assert answer["text"] == expected, f"the JavaScript calculator disagrees on:\n{text}"
        # A JavaScript object is read as Python reads JSON.stringify of it.
        assert answer["object"] == _python(module, answer["restringified"]), \
            f"evaluate(JSON.parse(text)) disagrees on:\n{text}"
        if "refused" in expected:
            seen["refused"] += 1
            continue
        seen["evaluated"] += 1
        for applicant in json.loads(expected["json"])["applicants"]:
            for award in applicant["awards"]:
                seen[award["status"]] += 1
    return seen


def _case_batches() -> list[str]:
    files = sorted((REPO / "tests" / "cases" / "baotou").glob("*.json"))
    return [json.dumps(json.loads(f.read_text(encoding="utf-8"))["batch"], ensure_ascii=False) for f in files]


def test_every_golden_case_agrees(modules, tmp_path):
    texts = _case_batches()
    assert len(texts) >= 81
    seen = _compare(BAOTOU, modules[BAOTOU], texts, tmp_path)
    assert seen["evaluated"] + seen["refused"] == len(texts)
    assert seen["refused"] > 0 and seen["granted"] > 0


def test_every_example_agrees(modules, tmp_path, capsys):
    examples = sorted((REPO / "examples").glob("*.json"))
    assert examples
    texts = [f.read_text(encoding="utf-8") for f in examples]
    seen = _compare(BAOTOU, modules[BAOTOU], texts, tmp_path)
    assert seen["refused"] == 1  # examples/refused.json
    # The very bytes `pol eval --format json` prints.
    batches = tmp_path / "examples.json"
    batches.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    answers = _node(AGREE, modules[BAOTOU], batches)
    for example, answer in zip(examples, answers):
        capsys.readouterr()
        status = main(["eval", str(BAOTOU), "--facts", str(example), "--format", "json"])
        printed = capsys.readouterr()
        if "json" in answer["text"]:
            assert status == 0 and printed.out == answer["text"]["json"] + "\n"
        else:
            assert status == 1 and printed.err.rstrip("\n").endswith(answer["text"]["refused"])
    tutorial = (REPO / "examples" / "tutorial" / "first_batch.json").read_text(encoding="utf-8")
    assert _compare(TUTORIAL, modules[TUTORIAL], [tutorial], tmp_path)["granted"] == 1


@pytest.mark.parametrize("policy, count, seed",
                         [(BAOTOU, 300, 2022), (AMENDED, 150, 2024), (DEMO, 100, 7), (TUTORIAL, 50, 2024)],
                         ids=["baotou_2022", "amended", "demo", "tutorial"])
def test_random_batches_agree(modules, tmp_path, policy, count, seed):
    texts = random_batches(load(policy), seed, count)
    seen = _compare(policy, modules[policy], texts, tmp_path)
    # The batches exercise what they are meant to: refusals and most outcomes.
    assert seen["refused"] >= count // 20 and seen["evaluated"] >= count // 2
    assert seen["granted"] > 0 and seen["not_eligible"] > 0
    if policy in (BAOTOU, AMENDED):
        assert seen["superseded"] > 0 and seen["pool_reduced"] + seen["pool_exhausted"] > 0


_A = '{"id": "a", "registered_in_baotou": true, '
_SALES = '"livestream_base_area_m2": "1000", "livestream_rooms": 5, "active_anchors": 11, '
# Batches at the edges of reading: every way a batch is refused, and numbers and texts that
# Python and JavaScript read differently unless the runtime takes care (Unicode digits and
# spaces, big whole numbers, exponents, negative zero, repeated keys, long names).
ODD_BATCHES = [
    '[]', '{}', '{"as_of": "2023-01-01"}', '{"as_of": "2023-01-01", "applicants": {}}',
    '{"as_of": "2023-01-01", "applicants": [1]}', '{"as_of": "2023-01-01", "applicants": [{"county": "x"}]}',
    '{"as_of": "2023-01-01", "applicants": [{"id": 5}]}', '{"as_of": "2023-01-01", "applicants": [{"id": ""}]}',
    '{"as_of": "2023-01-01", "applicants": [{"id": "\\u3000"}]}',
    '{"as_of": "2023-01-01", "applicants": [{"id": "\\ufeff"}]}',
    '{"as_of": "2023-01-01", "applicants": [{"id": "a"}, {"id": "a"}]}',
    '{"as_of": "2023-01-01", "applicants": [{"id": "\\ud800"}]}',
    '{"as_of": "2023-01-01", "applicants": [{"id": "\\ud83d\\ude00\\u2028\\t"}, {"id": "\\ud83d\\ude00\\u2028\\t"}]}',
    '{"as_of": "2023-01-01", "aplicants": []}', '{"as_of": "2023-01-01", "' + "x" * 300 + '": 1, "applicants": []}',
    '{"as_of": "2023-01-01", "applicants": [{"id": "a", "' + "livestream_rooms" * 20 + '": 1}]}',
    '{"as_of": "２０２３-01-01", "applicants": []}', '{"as_of": "2023-02-29", "applicants": []}',
    '{"as_of": "2021-01-01", "applicants": []}', '{"as_of": 20230101, "applicants": []}',
    '{"as_of": null, "applicants": []}', '{"applicants": [], "as_of": "2024-01-01"}',
    '{"as_of": "2023-01-01", "year": 100000000000000000000000, "applicants": []}',
    '{"as_of": "2023-01-01", "year": 1E+29, "applicants": []}', '{"as_of": "2023-01-01", "year": 1E+30, "applicants": []}',
    '{"as_of": "2023-01-01", "year": -0, "applicants": []}', '{"as_of": "2023-01-01", "year": "-1", "applicants": []}',
    '{"as_of": "2023-01-01", "year": 2023.5, "applicants": []}', '{"as_of": "2023-01-01", "year": "２０２３", "applicants": []}',
    '{"as_of": "2023-01-01", "usd_cny_rate": 0, "applicants": []}',
    '{"as_of": "2023-01-01", "usd_cny_rate": "0.000", "applicants": []}',
    '{"as_of": "2023-01-01", "usd_cny_rate": "7,05", "applicants": []}',
    '{"as_of": "2023-01-01", "usd_cny_rate": " 7", "applicants": []}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"cross_border_trade_usd": 2000000}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"hotel_star_rating": 5, "hotel_rated_on": "2023-01-01"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"hotel_star_rating": 5.0}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"hotel_star_rating": "05"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"hotel_star_rating": 6}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"county": "Kundulun"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"county": "' + "kundulun" * 6 + '"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"village_parcels": {"guyang": 3, "tab\\there\\u0085\\u00a0": 1}}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"village_parcels": {"guyang": 3.5}}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"village_parcels": {"guyang": 1, "guyang": 2, "qingshan": 4}}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"village_parcels": {}}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"village_parcels": {"guyang": 12345, "bayan_obo": 10}}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"livestream_rooms": "٥"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"livestream_rooms": 1e2}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"livestream_rooms": 1' + "2" * 40 + '}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"local_product_livestream_sales": 0.' + "0" * 42 + '1}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"local_product_livestream_sales": "1.' + "0" * 39 + '1"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"local_product_livestream_sales": true}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"established_on": "2023-1-1"}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"registered_in_baotou": "true"}]}',
    '{"as_of": "2024-02-29", "applicants": [' + _A + _SALES + '"established_on": "2023-02-28", '
    '"local_product_livestream_sales": 1E+8}]}',
    '{"as_of": "2025-02-28", "applicants": [' + _A + _SALES + '"established_on": "2024-02-29", '
    '"local_product_livestream_sales": 100000000.00, "other_city_policy_reward": 800000.005}]}',
    '{"as_of": "2023-06-30", "applicants": [' + _A + '"network_freight_platform": true, '
    '"connected_to_regional_freight_monitor": true, "registered_on": "2021-03-01", '
    '"city_retained_fiscal_contribution": -0.0}]}',
    '{"as_of": "2023-06-30", "usd_cny_rate": 7.0500, "applicants": [' + _A + '"cross_border_trade_usd": 1.5E+6, '
    '"fiscal_contribution_this_year": "1000000.123", "fiscal_contribution_prev_year": 1E-7, '
    '"other_city_policy_reward": 0.125}]}',
    '{"as_of": "2023-01-01", "applicants": [' + _A + '"festival_online_retail_sales": 5, '
    '"festival_local_goods_online_retail": 30000000}]}',
]

_LIVE = {"id": "LS-1", "county": "kundulun", "registered_in_baotou": True, "livestream_base_area_m2": "1200",
         "livestream_rooms": 6, "active_anchors": 12, "established_on": "2021-05-10",
         "local_product_livestream_sales": "30000000"}
ODD_BATCHES += [json.dumps({"as_of": "2023-12-31", "applicants": [{**_LIVE, **change}]}, ensure_ascii=False)
                for change in [{"local_product_livestream_sales": "30_000_000"}, {"local_product_livestream_sales": "3e7"},
                               {"local_product_livestream_sales": "NaN"}, {"livestream_rooms": " 6 "},
                               {"established_on": "2021-05-10T00:00"}, {"county": "kun\x00dulun"},
                               {"rooms\nid": 1}, {"id": "企业①"}, {"id": "E\u0301"}, {"id": "\u202eE1"},
                               {"id": "E\u200b1"}, {"id": "😀"}, {"id": "a\"b\\c"}, {"id": "Ω" * 200, "rooms": 1}]]


def test_odd_batches_agree(modules, tmp_path):
    seen = _compare(BAOTOU, modules[BAOTOU], ODD_BATCHES, tmp_path)
    assert seen["refused"] > 30 and seen["evaluated"] > 10


def test_a_list_holding_a_decimal_is_refused_with_a_message(modules, tmp_path):
    """Python's `_show` cannot write a decimal inside a list (json.dumps raises TypeError); the
    JavaScript calculator shows it as json.dumps(..., default=str) would."""
    batches = tmp_path / "b.json"
    batches.write_text(json.dumps(['{"as_of": "2023-01-01", "applicants": [{"id": "a", "village_parcels": [1, 2.5]}]}']))
    answer = _node(AGREE, modules[BAOTOU], batches)[0]["text"]
    assert answer == {"refused": 'applicant "a": fact `village_parcels`: expected an object of county codes to counts, '
                                 'got [1, "2.5"]', "code": "B002"}


def test_policy_test_files_agree(modules, tmp_path):
    """The cases of the policies' own test files (`policies/*.test.pol`, run by `pol test`), and those of
    the example amendment (`examples/amendments/`), against the policy with it."""
    testing = pytest.importorskip("pol.testing")
    files, problems = testing.find([REPO / "policies", AMENDMENTS])
    assert not problems
    if not files:
        pytest.skip("no policy test file")
    total = 0
    for file in files:
        loaded = testing.load(file)
        assert not loaded.broken, testing.render_diagnostics(loaded)
        policy = Path(loaded.policy_path).resolve()
        policy = BAOTOU if policy == BAOTOU.resolve() else policy
        if Path(file).parent == AMENDMENTS:  # compiled with the amendment beside the test file
            assert len(loaded.versions) == 2
            policy = AMENDED
        texts = [json.dumps(bound.batch, ensure_ascii=False) for bound in loaded.cases]
        seen = _compare(policy, modules[policy], texts, tmp_path)
        assert seen["evaluated"] + seen["refused"] == len(texts)
        total += len(texts)
    assert total >= 75


# ---------------------------------------------------------------- the runtime's arithmetic and formatting


def _decimals(count: int) -> list[str]:
    import random

    rng = random.Random(11)
    out = ["0", "-0", "0.00", "-0.0", "1E+3", "0E+3", "0E-10", "1000", "999.995", "0.125", "0.135", "2.675",
           "-0.005", "0.0000001", "0.000001", "1234567.891", "123E+2", "1.5E+5", "12345678901234567890.5",
           "1" + "0" * 45, "9" * 40 + "E-3", "1E-300"]
    while len(out) < count:
        digits = str(rng.randint(0, 10 ** rng.randint(1, 25)))
        out.append(f"{rng.choice(['', '-'])}{digits}E{rng.randint(-30, 12):+d}")
    return out


def test_decimal_arithmetic_and_formatting_match_python(tmp_path):
    values = _decimals(200)
    calls, expected = [], []
    with localcontext() as context:
        context.prec = 200  # the precision pol/runtime.py evaluates in
        for i, text in enumerate(values):
            x, y = Decimal(text), Decimal(values[(i * 7 + 3) % len(values)])
            ops = [("str", str(x)), ("commas", f"{x:,}"), ("fixed2", f"{x:.2f}"), ("money", runtime.money(x, "en")),
                   ("fmt", runtime.fmt(x, "en")), ("neg", str(-x)),
                   ("quantize", str(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)), "half_even"),
                   ("add", str(x + y), y), ("sub", str(x - y), y), ("mul", str(x * y), y)]
            for name, result, *extra in ops:
                args = [f"d:{text}"] + [f"d:{e}" if isinstance(e, Decimal) else e for e in extra]
                calls.append([name, *args])
                expected.append(result)
    for n in (0, 7, 9999, 10000, -12345, 10 ** 30):
        calls += [["fmt", f"i:{n}"], ["commas", f"i:{n}"]]
        expected += [runtime.fmt(n, "en"), f"{n:,}"]
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(calls), encoding="utf-8")
    got = _node(PROBE, RUNTIME_PATH, path)
    mismatches = [(c, e, g) for c, e, g in zip(calls, expected, got) if e != g]
    assert not mismatches, mismatches[:5]


WORDS = ["kundulun", "Kundulun", "kundulum", "qingshan", "ab", "", "x" * 250, "as_off", "aplicants", "余额", "5",
         "livestream_room", "id", "\u2028", "a'b", 'a"b', "a'\"b", "tab\there", "\x00\x7f\x85\xa0", "😀\u200b",
         "\ud800"]
CANDIDATES = ["kundulun", "qingshan", "donghe", "as_of", "year", "applicants", "livestream_rooms", "x" * 240]


def test_messages_match_python(tmp_path):
    """repr(), the shown value of a message and difflib's suggestion are Python's, character for character."""
    calls, expected = [], []
    for word in WORDS:
        calls += [["repr", f"s:{word}"], ["show", f"s:{word}"], ["didYouMean", f"s:{word}", *CANDIDATES]]
        expected += [repr(word), runtime._show(word), runtime._did_you_mean(word, CANDIDATES)]
    for text in ['[1, "a", null, true]', '{"k": [1, {"x": "y"}], "z": false}', "123456789012345678901234567890123",
                 "-0", "1.50", "1E+400", "-0.0", '"' + "长" * 50 + '"']:
        calls.append(["show", f"j:{text}"])
        expected.append(runtime._show(json.loads(text, parse_float=Decimal)))
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(calls), encoding="utf-8")
    got = _node(PROBE, RUNTIME_PATH, path)
    assert [(c, g) for c, g in zip(calls, got)] == [(c, e) for c, e in zip(calls, expected)]


# ---------------------------------------------------------------- the module as text


HOSTILE = [
    'quote " inside', "back\\slash \\n not a newline \\", "new\nline",
    "\u2028 line separator \u2029 paragraph separator \x85",
    "</script><script>alert(1)</script>", "<!-- comment --> & entity &amp;", "${`template`}", "*/ // /*",
]


def test_js_string_is_javascript_json_and_html_safe():
    for text in HOSTILE + ["\ud800 lone surrogate"]:
        literal = js_string(text)
        assert not re.search(r"[<>&\u2028\u2029\ud800-\udfff]", literal)
        assert json.loads(literal) == text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_policy_text_stays_data(tmp_path, hostile):
    escaped = hostile.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    text = policy_text(title_en=escaped, measure_title_en=escaped, text_en=escaped)
    line = text.split("\n").index("  measure M7 reward") + 1
    parsed = parse_text(text, "hostile.pol")
    assert parsed.policy is not None, parsed.diagnostics
    source = compile_policy_js(parsed.policy)
    assert "</script" not in source.lower() and "\u2028" not in source and "<!--" not in source
    module = tmp_path / "hostile.mjs"
    module.write_text(source, encoding="utf-8")
    script = (f"const m = await import({json.dumps(module.as_uri())});"
              "const r = m.evaluate({as_of: '2023-01-01', applicants: [{id: 'a', livestream_rooms: 5, "
              "sales: '20000000'}]});"
              "process.stdout.write(JSON.stringify([m.POLICY.title_en, m.POLICY.measures[0].title_en, "
              "r.applicants[0].awards[0].why[0]]));")
    result = subprocess.run([NODE or "node", "--input-type=module", "-e", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    title, measure_title, head = json.loads(result.stdout)
    assert title == measure_title == hostile
    assert head == f"(七) {hostile} [hostile.pol:{line}]"


def test_facts_named_like_object_properties_are_plain_facts(tmp_path):
    """A fact called `constructor` or `toString` is absent until given, as in Python; one called
    like a word of JavaScript (`this`) is a name like any other."""
    text = policy_text().replace("  sales: money CNY", "  constructor: integer zh \"甲\" en \"a\"\n"
                                 "  toString: money CNY zh \"乙\" en \"b\"\n"
                                 "  this: bool zh \"丙\" en \"c\"\n  sales: money CNY")
    text = text.replace("when livestream_rooms 不少于 5", "when constructor 不少于 1 and toString is given "
                        "and not this and livestream_rooms 不少于 5")
    policy = tmp_path / "names.pol"
    policy.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["compile", "--target", "js", str(policy), "-o", str(out)]) == 0
    texts = [json.dumps({"as_of": "2023-01-01", "applicants": [
        {"id": "a", "livestream_rooms": 5, "sales": "20000000"},
        {"id": "b", "livestream_rooms": 5, "sales": "30000000", "constructor": 2, "toString": "1", "this": False}]})]
    seen = _compare(policy, out / "demo_policy.mjs", texts, tmp_path)
    assert seen["granted"] == 1 and seen["not_eligible"] == 1


def test_module_is_one_file_and_deterministic(modules, tmp_path):
    first = modules[BAOTOU].read_text(encoding="utf-8")
    assert not re.search(r"^\s*import\b", first, re.MULTILINE), "the module must not import anything"
    # It can be inlined in an HTML <script type="module"> element as it is.
    assert not re.search(r"</script|<!--|\u2028|\u2029", first, re.IGNORECASE)
    again = tmp_path / "again"
    assert main(["compile", "--target", "js", str(BAOTOU), "-o", str(again)]) == 0
    assert (again / "baotou_2022.mjs").read_text(encoding="utf-8") == first
    # It runs on its own, copied anywhere.
    alone = tmp_path / "alone" / "calculator.mjs"
    alone.parent.mkdir()
    alone.write_text(first, encoding="utf-8")
    batch = (REPO / "examples" / "livestream.json").read_text(encoding="utf-8")
    expected = _python(load(BAOTOU), batch)
    batches = tmp_path / "b.json"
    batches.write_text(json.dumps([batch]), encoding="utf-8")
    assert _node(AGREE, alone, batches)[0]["text"] == expected


def test_policy_description_for_forms(tmp_path, modules):
    script = (f"const m = await import({json.dumps(modules[AMENDED].as_uri())});"
              "const p = m.POLICY; const m7 = p.measures.find((x) => x.name === 'M7');"
              "const m6 = p.measures.find((x) => x.name === 'M6'); const m8 = p.measures.find((x) => x.name === 'M8');"
              "process.stdout.write(JSON.stringify({id: p.id, facts: p.facts.length, m7: m7.facts, m6pool: m6.pool,"
              " m8: m8.rankings, versions: m.POLICY_VERSIONS.map((v) => [v.effective, v.amendments]),"
              " before: m.policyOn('2023-06-30').measures.length, after: m.policyOn('2024-06-30').measures.length,"
              " frozen: Object.isFrozen(p.facts[0])}));")
    result = subprocess.run([NODE or "node", "--input-type=module", "-e", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["id"] == "baotou_2022" and info["frozen"]
    assert info["facts"] == len(load(AMENDED).SPEC.facts)
    assert info["m7"] == ["registered_in_baotou", "livestream_base_area_m2", "livestream_rooms", "active_anchors",
                          "established_on", "local_product_livestream_sales"]
    assert info["m6pool"] == "station_fund" and info["m8"] == ["festival_top5"]
    # The amendment in force from its day on: (二十三) adds M23.
    assert info["versions"] == [["2022-08-26", []], ["2024-01-01", ["baotou_2022_amendment_2024"]]]
    assert info["after"] == info["before"] + 1


def test_compile_target_js_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compile", "--target", "js", str(TUTORIAL), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"{TUTORIAL} -> {out / 'jobs_2024.mjs'}"
    assert main(["compile", str(TUTORIAL), "-o", str(out)]) == 0  # python stays the default
    assert sorted(p.name for p in out.iterdir()) == ["jobs_2024.mjs", "jobs_2024.py"]
    broken = tmp_path / "broken.pol"
    broken.write_text(policy_text().replace("pay 1% of sales", "pay 1% of nothing_here"), encoding="utf-8")
    assert main(["compile", "--target", "js", str(broken), "-o", str(out)]) == 1
    assert "nothing_here" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["compile", "--target", "c", str(TUTORIAL), "-o", str(out)])
    assert usage.value.code == 2


def test_totals_stay_exact_beyond_28_digits(modules, tmp_path):
    """A settlement of 30 digits before the point: the applicant's total and the batch's are the
    amount itself, to the fen (sums are never rounded to a context's precision)."""
    amount = "123456789012345678901234567890.12"
    batch = json.dumps({"as_of": "2023-06-30", "applicants": [{
        "id": "f", "county": "guyang", "registered_in_baotou": True, "network_freight_platform": True,
        "connected_to_regional_freight_monitor": True, "registered_on": "2021-03-01",
        "city_retained_fiscal_contribution": amount}]})
    batches = tmp_path / "b.json"
    batches.write_text(json.dumps([batch]), encoding="utf-8")
    result = json.loads(_node(AGREE, modules[BAOTOU], batches)[0]["text"]["json"])
    assert result["applicants"][0]["awards"][0]["amount"] == amount
    assert result["applicants"][0]["total"] == result["total"] == amount


def test_non_finite_javascript_numbers_are_refused_as_python_refuses_floats(modules):
    python = load(BAOTOU)
    expected = []
    for value in (float("nan"), float("inf"), float("-inf")):
        data = {"as_of": "2023-12-31", "applicants": [{"id": "x", "local_product_livestream_sales": value}]}
        with pytest.raises(BatchError) as refused:
            python.evaluate_json(data)
        expected.append(str(refused.value))
    script = (f"const m = await import({json.dumps(modules[BAOTOU].as_uri())});"
              "process.stdout.write(JSON.stringify([NaN, Infinity, -Infinity].map((v) => m.check("
              "{as_of: '2023-12-31', applicants: [{id: 'x', local_product_livestream_sales: v}]}).message)));")
    result = subprocess.run([NODE or "node", "--input-type=module", "-e", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_a_negative_product_of_zero_is_paid_as_zero_alike(modules, tmp_path):
    """`sales * -1` with sales 0 is -0: every calculator pays 0.00, never "-0.00"."""
    policy = tmp_path / "negative.pol"
    policy.write_text(policy_text().replace("pay 1% of sales", "pay sales * -1")
                      .replace(" and sales 达到 2000万元", ""), encoding="utf-8")
    text = json.dumps({"as_of": "2023-01-01", "applicants": [
        {"id": "zero", "livestream_rooms": 6, "sales": "0"}, {"id": "some", "livestream_rooms": 6, "sales": "5"}]})
    seen = _compare(policy, modules[policy], [text], tmp_path)
    assert seen["granted"] == 2
    award = json.loads(_python(load(policy), text)["json"])["applicants"][0]["awards"][0]
    assert (award["amount"], award["city_share"], award["county_share"]) == ("0.00", "0.00", "0.00")
