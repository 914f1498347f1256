"""The diagnostics tables of the language reference list every code, as `CODES` and `REFUSALS` define it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.diagnostics import CODES
from pol.runtime import REFUSALS

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = {"en": DOCS / "language.en.md", "zh": DOCS / "language.zh.md"}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "note": "提示"}

# A table row that begins with a code and its name: | `P101` | `undefined-name` | error | ... |
ROW = re.compile(r"^\| `([A-Z]\d{3})` \| `([a-z-]+)` \| ([^|]+?) \|", re.MULTILINE)

DIAGNOSTIC_CODES = sorted(c.code for c in CODES.values())
ALL_CODES = DIAGNOSTIC_CODES + sorted(REFUSALS)


def _rows(lang: str) -> dict[str, list[tuple[str, str]]]:
    """Each code's rows in the page's tables: (name, third column)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for code, name, third in ROW.findall(PAGES[lang].read_text(encoding="utf-8")):
        found.setdefault(code, []).append((name, third.strip()))
    return found


@pytest.mark.parametrize("lang", sorted(PAGES))
@pytest.mark.parametrize("code", ALL_CODES)
def test_every_code_is_documented(lang, code):
    assert f"`{code}`" in PAGES[lang].read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_one_row_for_each_code_and_none_for_a_code_that_does_not_exist(lang):
    rows = _rows(lang)
    assert sorted(rows) == sorted(ALL_CODES)
    assert {code: len(r) for code, r in rows.items() if len(r) != 1} == {}


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_names_match(lang):
    rows = _rows(lang)
    wrong = {c.code: (rows[c.code][0][0], c.name) for c in CODES.values()
             if c.code in rows and rows[c.code][0][0] != c.name}
    wrong.update({code: (rows[code][0][0], name) for code, name in REFUSALS.items()
                  if code in rows and rows[code][0][0] != name})
    assert wrong == {}


def test_english_severity_matches_codes():
    rows = _rows("en")
    wrong = {c.code: (rows[c.code][0][1], c.severity) for c in CODES.values()
             if c.code in rows and rows[c.code][0][1] != c.severity}
    assert wrong == {}


def test_chinese_severity_matches_codes():
    rows = _rows("zh")
    wrong = {c.code: (rows[c.code][0][1], SEVERITY_ZH[c.severity]) for c in CODES.values()
             if c.code in rows and rows[c.code][0][1] != SEVERITY_ZH[c.severity]}
    assert wrong == {}
