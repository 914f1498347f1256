"""A Pygments lexer for .pol files, so the docs site highlights ```pol blocks.

Registered through the `pygments.lexers` entry point in pyproject.toml: once pol
is installed, `pygmentize -l pol` and Markdown's code highlighting find it by
its alias. The token rules follow dsl/grammar.lark; the lexer only colours, it
never rejects, so fragments and broken files still display.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

__all__ = ["PolLexer"]

# Words that open or close a block, or start an item inside one.
_BLOCK_WORDS = (
    "policy", "end", "clause", "heading", "enumeration", "batch", "applicant", "facts", "measure",
    "pool", "ranking", "exclusive",
)
_ITEM_WORDS = (
    "title", "issuer", "document", "preamble", "issued", "published", "window", "rounding", "text",
    "departments", "repair", "interpretation", "who", "when", "pay", "cap", "payee", "burden", "limit",
    "funds", "order", "partial", "top", "among", "ties", "against", "default", "general", "jurisdiction",
    "required", "because", "nothing",
)
_OTHER_WORDS = (
    "in", "effect", "from", "for", "years", "to", "per", "award", "as", "each", "full", "of", "above",
    "at", "by", "year", "first", "after", "since", "within", "period", "is", "given", "ranked", "rank",
    "input", "city", "county", "settlement", "reward", "subsidy", "grants", "whole", "units",
    "remainder", "ascending", "descending", "converted", "least", "most", "more", "less", "than",
    "half_up", "half_even", "down", "up",
)
_TYPE_WORDS = ("bool", "integer", "decimal", "date", "identifier", "money", "area", "rate")
_LOGIC_WORDS = ("and", "or", "not")
# The comparison words of Chinese legal drafting, longest first so 不少于 is not read as 少于.
_LEGAL_WORDS = (
    "(含)以上", "（含）以上", "及以上", "以上", "不少于", "不低于", "不多于", "不超过", "不高于", "不满",
    "未达到", "达到", "超过", "多于", "高于", "少于", "低于", "满",
)
_UNIT = r"(?:CNY|USD|m2(?![A-Za-z0-9_])|美元|元|平方米|m²)"


class PolLexer(RegexLexer):
    name = "pol"
    aliases = ["pol"]
    filenames = ["*.pol"]
    mimetypes = ["text/x-pol"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"""', String.Double, "long_string"),
            (r'"', String.Double, "string"),
            (r"[(（][一二三四五六七八九十]+[)）]", Name.Label),  # a clause number: (七)
            (r"\d{4}-\d{2}-\d{2}", Number.Other),  # a date
            (r"\d[\d_]*(?:\.\d+)?%", Number),
            (r"(\d[\d_]*(?:\.\d+)?[万亿]?)(\s*)(" + _UNIT + r")", bygroups(Number, Whitespace, Keyword.Type)),
            (r"\d[\d_]*(?:\.\d+)?[万亿]?", Number),
            (words(_LEGAL_WORDS), Operator.Word),
            (r"[一二三四五六七八九十]+", Name.Label),  # a heading numeral
            (words(("zh", "en"), suffix=r"\b"), Name.Attribute),
            (words(_LOGIC_WORDS, suffix=r"\b"), Operator.Word),
            (words(_BLOCK_WORDS, suffix=r"\b"), Keyword.Declaration),
            (words(_ITEM_WORDS, suffix=r"\b"), Keyword),
            (words(_TYPE_WORDS, suffix=r"\b"), Keyword.Type),
            (words(_OTHER_WORDS, suffix=r"\b"), Keyword.Reserved),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r"->|→|>=|<=|!=|[≥≤≠<>=+\-*×]", Operator),
            (r"[:,()]", Punctuation),
            (r"…|\.\.\.", Comment.Special),  # an elision in documentation fragments
            (r".", Text),
        ],
        "string": [
            (r'\\.', String.Escape),
            (r'"', String.Double, "#pop"),
            (r'[^"\\\n]+', String.Double),
            (r"\n", String.Double, "#pop"),  # an unterminated string ends at the line
        ],
        "long_string": [
            (r'\\.', String.Escape),
            (r'"""', String.Double, "#pop"),
            (r'[^"\\]+', String.Double),
            (r'"', String.Double),
        ],
    }
