"""The Python compiler: safe strings, checked names, determinism, the typed API."""

from __future__ import annotations

import ast
import datetime
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pol.api import PolicyError, compile_file, load_source

from .policy_text import policy_text

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"


def _pol_string(value: str) -> str:
    """How a drafter writes `value` inside double quotes in a .pol file."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _compile(tmp_path: Path, text: str):
    path = tmp_path / "policy.pol"
    path.write_text(text, encoding="utf-8")
    return compile_file(path)


HOSTILE = [
    'quote " inside',
    "single ' quote",
    'triple """ quotes """ and \'\'\' too',
    "back\\slash \\n not a newline \\",
    "new\nline",
    '"); import os; os.system("touch /tmp/pol-pwned"); ("',
    "\u2028 line separator \u2029 paragraph separator \x85",
    "{__import__('os').system('touch /tmp/pol-pwned')}",
    "</script><script>alert(1)</script>",
    "\u0085 next line \u000b vertical tab \u000c form feed",
    "\ufeff byte order mark \u200b zero width \u202e right-to-left override",
    "nul \x00 and escape \x1b[31m",
    "\\u2028 written as an escape, \\x00 too",
    "'''); import os; ('''",
    "]]></x><!-- --> <![CDATA[ &amp; &#x3c;",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_come_back_unchanged_and_run_nothing(tmp_path, hostile):
    marker = Path("/tmp/pol-pwned")
    marker.unlink(missing_ok=True)
    escaped = _pol_string(hostile)
    compiled = _compile(tmp_path, policy_text(title_en=escaped, measure_title_en=escaped, text_en=escaped))
    tree = ast.parse(compiled.python)  # valid Python whatever the text held
    module = load_source(compiled.python, "hostile")
    assert module.SPEC.title_en == hostile
    assert module.SPEC.measures[0].title_en == hostile
    assert not marker.exists()
    # The text appears in the module only as string constants.
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert hostile in strings


def test_generated_module_imports_only_the_runtime():
    compiled = compile_file(BAOTOU)
    imports = [node for node in ast.walk(ast.parse(compiled.python)) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [(i.module, [a.name for a in i.names]) for i in imports] == [("pol", ["runtime"])]


def test_compiling_twice_is_byte_identical():
    assert compile_file(BAOTOU).python == compile_file(BAOTOU).python


def test_output_does_not_depend_on_hash_seed(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "pol.cli", "compile", str(BAOTOU), "-o", str(out)],
                       check=True, env=env, capture_output=True, cwd=REPO)
        outputs.append((out / "baotou_2022.py").read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("name", ["class", "lambda", "None", "match", "_hidden", "Applicant"])
def test_names_that_cannot_be_python_are_refused_with_a_diagnostic(tmp_path, name):
    text = policy_text().replace("livestream_rooms", name)
    with pytest.raises(PolicyError) as caught:
        _compile(tmp_path, text)
    codes = {d.name for d in caught.value.diagnostics}
    assert codes & {"reserved-name", "syntax"}, codes


def test_typed_api_without_the_pol_command():
    module = load_source(compile_file(BAOTOU).python, "baotou_2022")
    batch = module.Batch(as_of=datetime.date(2023, 12, 31), year=2023)
    applicant = module.Applicant(
        id="LS-1", county="kundulun", registered_in_baotou=True, livestream_base_area_m2=Decimal("1200"),
        livestream_rooms=6, active_anchors=12, established_on=datetime.date(2021, 5, 10),
        local_product_livestream_sales=Decimal("30000000"))
    result = module.evaluate(batch, [applicant])
    [award] = result.applicants[0].awards
    assert (award.measure, award.amount, award.status) == ("M7", Decimal("300000.00"), "granted")
    assert award.city_share == Decimal("150000.00")
    assert any("超过" in line for line in award.why)


def test_generated_source_is_readable_python():
    source = compile_file(BAOTOU).python
    assert "def measure_M7(a, b, ctx):" in source
    assert "Source: baotou_2022.pol:" in source
    compile(source, "baotou_2022.py", "exec")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_leave_the_module_importing_only_the_runtime(tmp_path, hostile):
    escaped = _pol_string(hostile)
    compiled = _compile(tmp_path, policy_text(title_en=escaped, text_en=escaped, clause_title_en=escaped))
    tree = ast.parse(compiled.python)
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [(i.module, [a.name for a in i.names]) for i in imports] == [("pol", ["runtime"])]
    # Every bare name called is the module's own; everything else goes through `_rt`.
    own = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert called <= own, called - own


# Names that look like ASCII but are not: Cyrillic і, е, о, М and Greek ο.
HOMOGLYPHS = [
    ("livestream_rooms", "l\u0456vestream_rooms"),  # a fact
    ("M7 reward", "\u041c7 reward"),  # a measure
    ("when livestream_rooms", "wh\u0435n livestream_rooms"),  # a keyword
    ("policy {policy_id}", "p\u043elicy {policy_id}"),
    ("county: county", "c\u03bfunty: county"),
    ("id: identifier", "\u0456d: identifier"),
]


@pytest.mark.parametrize("ascii_name, lookalike", HOMOGLYPHS, ids=[h[0] for h in HOMOGLYPHS])
def test_homoglyph_names_are_refused_by_the_parser(tmp_path, ascii_name, lookalike):
    from .policy_text import DEFAULTS, MINIMAL

    template = MINIMAL.replace(ascii_name, lookalike, 1)
    assert template != MINIMAL
    with pytest.raises(PolicyError) as caught:
        _compile(tmp_path, template.format(**DEFAULTS))
    errors = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert len(errors) == 1 and errors[0].code in ("P002", "P003"), errors
    line = template.format(**DEFAULTS).splitlines()[errors[0].span.line - 1]
    assert lookalike.format(**DEFAULTS) in line  # it points at the line of the lookalike
    if errors[0].code == "P003":  # the unexpected character itself
        assert repr(next(c for c in lookalike if ord(c) > 127)) in errors[0].message


def test_checking_and_compiling_leave_the_collector_as_they_found_it(tmp_path):
    """Parsing, checking and compiling pause the cycle collector (dsl.collector) and restore it,
    on success and on a broken policy alike."""
    import gc

    from compiler.python_gen import compile_policy
    from compiler.vector_gen import compile_vector
    from dsl.checks import check_file

    baotou = BAOTOU
    broken = tmp_path / "broken.pol"
    broken.write_text("policy broken\n  title zh", encoding="utf-8")
    assert gc.isenabled()
    parsed, _ = check_file(baotou)
    compile_policy(parsed.policy)
    compile_vector(parsed.policy)
    assert gc.isenabled()
    _, found = check_file(broken)
    assert found and gc.isenabled()
    gc.disable()
    try:
        check_file(baotou)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_resume_the_collector_when_the_last_ends():
    """Threads may overlap their pauses in any order: the collector resumes once, at the end."""
    import gc

    from dsl.collector import paused

    first, second = paused(), paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
