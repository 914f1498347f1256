"""Parse .pol source into the AST of `dsl.nodes`, or into diagnostics.

The Lark parse tree never leaves this module: a Transformer turns each rule into
its typed node at once (as lark's `create_ast` example does), with the span
taken from `propagate_positions`.
"""

from __future__ import annotations

import datetime
import functools
import re
import typing
from decimal import Decimal, InvalidOperation
from pathlib import Path

import lark
from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import diagnostics as diag
from . import nodes as n

GRAMMAR = Path(__file__).with_name("grammar.lark")

# Deeper than this and the tree walkers would need Python's whole stack.
MAX_NESTING = 200


@functools.cache
def _lark() -> lark.Lark:
    return lark.Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


class ParseResult:
    def __init__(self, policy: n.Policy | None, diagnostics: list[diag.Diagnostic], source: str,
                 amendment: n.Amendment | None = None):
        self.policy = policy
        self.diagnostics = diagnostics
        self.source = source
        self.amendment = amendment  # set, and `policy` None, when the file is an amendment


def parse_file(path: str | Path) -> ParseResult:
    path = str(path)
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return ParseResult(None, [diag.make("io", None, path=path, reason=reason)], "")
    return parse_text(source, path)


def parse_text(source: str, path: str = "<string>") -> ParseResult:
    depth = _nesting_depth(source)
    if depth[0] > MAX_NESTING:
        span = n.Span(path, depth[1], depth[2], depth[1], depth[2] + 1)
        return ParseResult(None, [diag.make("too-deep", span, depth=depth[0])], source)
    try:
        tree = _lark().parse(source)
    except UnexpectedInput as error:
        return ParseResult(None, [_syntax_diagnostic(error, source, path)], source)
    builder = _Builder(path)
    try:
        policy = builder.transform(tree)
    except VisitError as error:
        inner = error.orig_exc
        if isinstance(inner, _LiteralError):
            return ParseResult(None, builder.errors + [inner.diagnostic], source)
        raise
    except RecursionError:
        span = n.Span(path, 1, 1, 1, 2)
        return ParseResult(None, [diag.make("too-deep", span, depth="too many")], source)
    deepest, where = _expression_depth(policy)
    if deepest > MAX_NESTING:  # `not not ... x` or `a + a + ...` nest without brackets
        return ParseResult(None, [diag.make("too-deep", where, depth=deepest)], source)
    if isinstance(policy, n.Amendment):
        return ParseResult(None, builder.errors, source, amendment=policy)
    return ParseResult(policy, builder.errors, source)


def _expression_depth(root) -> tuple[int, n.Span]:
    """The deepest nesting of expressions anywhere in the tree, and where it starts; without recursion."""
    deepest, where = 0, n.NO_SPAN
    stack = [(root, 0, n.NO_SPAN)]
    while stack:
        node, depth, top = stack.pop()
        for value in (getattr(node, f.name) for f in node.__attrs_attrs__):
            for child in value if isinstance(value, tuple) else (value,):
                if not hasattr(child, "__attrs_attrs__") or isinstance(child, n.Span):
                    continue
                inner = depth + 1 if isinstance(child, n.Expr) else 0
                start = child.span if inner == 1 else top
                if inner > deepest:
                    deepest, where = inner, start
                stack.append((child, inner, start))
    return deepest, where


def _nesting_depth(source: str) -> tuple[int, int, int]:
    """Deepest bracket nesting outside strings, and where it is (line, column)."""
    deepest, where, depth = 0, (1, 1), 0
    line, col, i = 1, 0, 0
    in_string = None
    while i < len(source):
        ch = source[i]
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        elif in_string:
            if ch == "\\":
                i += 1
            elif source.startswith(in_string, i):
                i += len(in_string) - 1
                in_string = None
        elif source.startswith('"""', i):
            in_string = '"""'
            i += 2
        elif ch == '"':
            in_string = '"'
        elif ch == "#":
            while i < len(source) and source[i] != "\n":
                i += 1
            continue
        elif ch == "(":
            depth += 1
            if depth > deepest:
                deepest, where = depth, (line, col)
        elif ch == ")":
            depth -= 1
        i += 1
    return deepest, where[0], where[1]


# ---------------------------------------------------------------- syntax errors

# How a drafter calls each kind of token.
_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "PERCENT": "a percentage such as `50%`",
    "DATE": "a date such as `2022-08-26`",
    "STRING": "text in double quotes",
    "LONG_STRING": "text in triple quotes",
    "CLAUSE_NUMBER": "a clause number such as `(七)`",
    "NUMERAL": "a Chinese numeral such as `三`",
    "UNIT": "a unit (`CNY`/`元`, `USD`/`美元`, `m2`/`平方米`)",
    "MAGNITUDE": "`万` or `亿`",
    "ARROW": "`->`",
    "$END": "the end of the file",
}

_FOUND_WORDS = {
    "NAME": "name `{}`",
    "NUMBER": "number `{}`",
    "PERCENT": "percentage `{}`",
    "DATE": "date `{}`",
    "STRING": "text {}",
    "LONG_STRING": "block of text",
    "$END": "end of the file",
}

_COMPARATOR_NAMES = None


def _describe_expected(names: set[str], parser: lark.Lark | None = None) -> str:
    terminals = {t.name: t for t in (parser or _lark()).terminals}
    words = []
    for name in names:
        if name in _TOKEN_WORDS:
            words.append(_TOKEN_WORDS[name])
            continue
        term = terminals.get(name)
        if term is not None and term.pattern.type == "str":
            words.append(f"`{term.pattern.value}`")
        else:
            words.append(name.lower())
    words = sorted(set(words), key=lambda w: (not w.startswith("`end`"), w))
    if any(w in ("`>=`", "`达到`") for w in words):
        # A comparison can be written many ways; one phrase says them all.
        words = [w for w in words if w not in _comparator_words()] + ["a comparison (`>=`, `超过`, ...)"]
    if len(words) > 12:
        return ", ".join(words[:11]) + f" or one of {len(words) - 11} other words"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


@functools.cache
def _keywords(parser: lark.Lark | None = None) -> frozenset[str]:
    return frozenset(t.pattern.value for t in (parser or _lark()).terminals
                     if t.pattern.type == "str" and re.fullmatch(r"[A-Za-z_]+", t.pattern.value))


def _comparator_words() -> set[str]:
    return {f"`{w}`" for w in (">=", ">", "<=", "<", "=", "!=", "≥", "≤", "≠", "is", "at", "more", "less",
                               "达到", "不少于", "不低于", "满", "超过", "多于", "高于",
                               "不超过", "不多于", "不高于", "不满", "少于", "低于", "未达到")}


def _describe_found(token: Token, parser: lark.Lark | None = None) -> str:
    if token.type == "NAME" and str(token) in _keywords(parser):
        return f"`{token}`"  # a word of the language, out of its place
    if token.type in _FOUND_WORDS:
        value = str(token)
        if token.type == "STRING" and len(value) > 30:
            value = value[:27] + '..."'
        return _FOUND_WORDS[token.type].format(value)
    return f"`{token}`"


def _syntax_diagnostic(error: UnexpectedInput, source: str, path: str, parser: lark.Lark | None = None,
                       unclosed: str = "unclosed-block") -> diag.Diagnostic:
    """A drafter's wording of a Lark error; `parser` and `unclosed` let another grammar (test files) reuse it."""
    line = getattr(error, "line", None) or 1
    column = getattr(error, "column", None) or 1
    if isinstance(error, UnexpectedCharacters):
        char = source[error.pos_in_stream] if error.pos_in_stream < len(source) else "?"
        if char == '"':
            return diag.make("syntax", n.Span(path, line, column, line, column + 1),
                             found="this text is not closed", expected="a closing `\"` on the same line",
                             hint='use """triple quotes""" for text that spans lines')
        return diag.make("bad-character", n.Span(path, line, column, line, column + 1), char=char)
    # `accepts` also holds the keywords that lark leaves out of `expected` (`year`, `full`, ...).
    expected = set(getattr(error, "accepts", None) or getattr(error, "expected", None) or ())
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        last = source.rstrip()
        end_line = last.count("\n") + 1
        end_col = len(last) - (last.rfind("\n") + 1) + 1
        return diag.make(unclosed, n.Span(path, end_line, end_col, end_line, end_col + 1),
                         expected=_describe_expected(expected, parser))
    assert isinstance(error, UnexpectedToken)
    token = error.token
    end_col = token.end_column if token.end_line == token.line and token.end_column else column + len(str(token))
    span = n.Span(path, line, column, line, end_col)
    misread = _keyword_read_as_name(source, error.pos_in_stream, expected, path, parser)
    if misread is not None:
        return misread
    hint = ""
    if "END" in expected:
        hint = "if the block above is complete, close it with `end`"
    if token.type == "NAME" and expected and expected <= {"STRING", "LONG_STRING"}:
        hint = 'text goes inside double quotes: "..."'
    return diag.make("syntax", span, found=f"unexpected {_describe_found(token, parser)}",
                     expected=_describe_expected(expected, parser), hint=hint)


def _keyword_read_as_name(source: str, pos: int, expected: set[str], path: str,
                          parser: lark.Lark | None = None) -> diag.Diagnostic | None:
    """`when rooms >=` then `pay 1%` on the next line: `pay` was taken as the missing value.

    When the word just before the error is a keyword that could start the next line,
    the line before it is what is unfinished: say so, at that word.
    """
    match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", source[:pos])
    if match is None:
        return None
    word = match.group(1)
    keywords = {t.pattern.value for t in (parser or _lark()).terminals
                if t.name in expected and t.pattern.type == "str"}
    if word not in keywords:
        return None
    line = source.count("\n", 0, match.start(1)) + 1
    column = match.start(1) - (source.rfind("\n", 0, match.start(1)) + 1) + 1
    span = n.Span(path, line, column, line, column + len(word))
    return diag.make("syntax", span, found=f"`{word}` cannot stand here as a name",
                     expected="the line before it to be complete",
                     hint=f"`{word}` starts a new line of the block; finish the line above it first")


# ---------------------------------------------------------------- building the AST

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_COMPARATORS = {
    ">=": ">=", "≥": ">=", "at least": ">=", "达到": ">=", "不少于": ">=", "不低于": ">=", "满": ">=",
    ">": ">", "more than": ">", "超过": ">", "多于": ">", "高于": ">",
    "<=": "<=", "≤": "<=", "at most": "<=", "不超过": "<=", "不多于": "<=", "不高于": "<=",
    "<": "<", "less than": "<", "不满": "<", "少于": "<", "低于": "<", "未达到": "<",
    "=": "=", "is": "=", "!=": "!=", "≠": "!=",
}

_UNITS = {"CNY": "CNY", "元": "CNY", "USD": "USD", "美元": "USD", "m2": "m2", "m²": "m2", "平方米": "m2"}
_MAGNITUDES = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


def chinese_numeral(text: str) -> int | None:
    """一 .. 九十九 as an integer; None if it is not one."""
    if not text or any(ch not in "一二三四五六七八九十" for ch in text):
        return None
    if "十" not in text:
        return _NUMERALS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


class _LiteralError(Exception):
    def __init__(self, diagnostic: diag.Diagnostic):
        self.diagnostic = diagnostic


def _unescape(raw: str) -> str:
    """The text between the quotes, with \\" \\\\ \\n \\t understood."""
    body = raw[3:-3] if raw.startswith('"""') else raw[1:-1]
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body, flags=re.S)


def _text_block(raw: str) -> str:
    """Triple-quoted text loses its common indentation and its surrounding blank lines."""
    text = _unescape(raw)
    if not raw.startswith('"""'):
        return text
    import textwrap

    return textwrap.dedent(text).strip("\n")


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.errors: list[diag.Diagnostic] = []

    # -- helpers
    def _part(self, key: str, meta, value) -> _Part:
        return _Part(key, value, self._span(meta))

    def _collect(self, items, block: str, repeatable: tuple[str, ...] = ()) -> tuple[dict, dict[str, list]]:
        """A block's lines by keyword; a line that may appear once but appears twice is reported."""
        single: dict[str, object] = {}
        first: dict[str, n.Span] = {}
        lists: dict[str, list] = {key: [] for key in repeatable}
        for item in items:
            part = item if isinstance(item, _Part) else _Part(_NODE_PARTS[type(item)], item, item.span)
            if part.key in lists:
                lists[part.key].append(part.value)
            elif part.key in single:
                self.errors.append(diag.make("repeated-part", part.span, part=part.key.replace("_", " "),
                                             block=block, first=first[part.key]))
            else:
                single[part.key] = part.value
                first[part.key] = part.span
        return single, lists

    def _span(self, meta) -> n.Span:
        if getattr(meta, "empty", True):
            return n.NO_SPAN
        return n.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> n.Span:
        return n.Span(self.path, tok.line, tok.column, tok.end_line or tok.line,
                      tok.end_column or tok.column + len(tok))

    def _date(self, tok: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(tok))
        except ValueError:
            raise _LiteralError(diag.make("bad-literal", self._tok_span(tok), what="the date", text=str(tok),
                                          reason="no such day in the calendar"))

    def _number(self, tok: Token) -> Decimal:
        return Decimal(str(tok).replace("_", "").rstrip("%"))

    def _int(self, tok: Token, what: str) -> int:
        value = self._number(tok)
        if value != value.to_integral_value():
            raise _LiteralError(diag.make("bad-literal", self._tok_span(tok), what=what, text=str(tok),
                                          reason="it must be a whole number"))
        return int(value)

    # -- file
    def start(self, meta, items):
        if items and isinstance(items[0], n.Amendment):
            return attrs_evolve(items[0], changes=tuple(items[1:]), span=items[0].span)
        header = next((i for i in items if isinstance(i, n.Header)), None)
        clauses, headings, current = [], [], None
        for item in items:
            if isinstance(item, n.Heading):
                current = item
                headings.append(item)
            elif isinstance(item, n.Clause):
                clauses.append(attrs_evolve(item, heading=current))
        facts = [f for i in items if isinstance(i, tuple) for f in i]
        return n.Policy(
            header=header,
            enumerations=tuple(i for i in items if isinstance(i, n.Enumeration)),
            facts=tuple(facts),
            clauses=tuple(clauses),
            headings=tuple(headings),
            path=self.path,
            span=self._span(meta),
        )

    # -- header
    def header(self, meta, children):
        name, *items = children
        found, lists = self._collect(items, "the policy header", repeatable=("window",))
        windows = lists["window"]
        return n.Header(
            name=str(name), title=found.get("title"), issuer=found.get("issuer"),
            document=found.get("document"), preamble=found.get("preamble"),
            issued=found.get("issued"), published=found.get("published"),
            period=found.get("period"), windows=tuple(windows), rounding=found.get("rounding"),
            span=self._tok_span(name),
        )

    def title(self, meta, c):
        return self._part("title", meta, c[0])

    def issuer(self, meta, c):
        return self._part("issuer", meta, c[0])

    def document(self, meta, c):
        return self._part("document", meta, c[0])

    def preamble(self, meta, c):
        return self._part("preamble", meta, c[0])

    def issued(self, meta, c):
        return self._part("issued", meta, self._date(c[0]))

    def published(self, meta, c):
        return self._part("published", meta, self._date(c[0]))

    def in_effect_years(self, meta, c):
        start = self._date(c[0])
        years = self._int(c[1], "the number of years")
        if start.year + years > datetime.MAXYEAR:
            raise _LiteralError(diag.make("bad-literal", self._tok_span(c[1]), what="the number of years",
                                          text=str(c[1]), reason=f"the period would end after {datetime.MAXYEAR}"))
        try:
            anniversary = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            anniversary = start.replace(year=start.year + years, day=28) + datetime.timedelta(days=1)
        end = anniversary - datetime.timedelta(days=1)
        return self._part("period", meta, n.Period(start, end, years, span=self._span(meta)))

    def in_effect_range(self, meta, c):
        return self._part("period", meta, n.Period(self._date(c[0]), self._date(c[1]), None, span=self._span(meta)))

    def window(self, meta, c):
        name, label, start, end = c
        return self._part("window", meta, n.Window(str(name), label, self._date(start), self._date(end), span=self._tok_span(name)))

    def rounding(self, meta, c):
        return self._part("rounding", meta, n.Rounding(c[0], c[1], span=self._span(meta)))

    def rounding_mode(self, meta, c):
        return str(c[0])

    def direction(self, meta, c):
        return str(c[0])

    def heading(self, meta, c):
        numeral, label = c
        return n.Heading(str(numeral) if numeral is not None else None, label, span=self._span(meta))

    def bilingual(self, meta, c):
        zh, en = c
        return n.Bilingual(zh, en, span=self._span(meta))

    def zh_text(self, meta, c):
        return _text_block(str(c[0]))

    en_text = zh_text

    # -- vocabulary
    def enumeration(self, meta, c):
        name, label, *values = c
        return n.Enumeration(str(name), label, tuple(values), span=self._tok_span(name))

    def enum_value(self, meta, c):
        code, label = c
        return n.EnumValue(str(code), label, span=self._tok_span(code))

    def batch_facts(self, meta, facts):
        return tuple(attrs_evolve(f, scope="batch") for f in facts)

    def applicant_facts(self, meta, facts):
        return tuple(attrs_evolve(f, scope="applicant") for f in facts)

    def fact(self, meta, c):
        name, type_ref, label, *options = c
        opts, _ = self._collect(options, f"the fact `{name}`")
        return n.Fact(str(name), type_ref, label, scope="applicant",
                      general="general" in opts, required="required" in opts,
                      jurisdiction="jurisdiction" in opts,
                      default=opts.get("default"), span=self._tok_span(name))

    def general(self, meta, c):
        return self._part("general", meta, True)

    def jurisdiction(self, meta, c):
        return self._part("jurisdiction", meta, True)

    def required(self, meta, c):
        return self._part("required", meta, True)

    def default(self, meta, c):
        return self._part("default", meta, c[0])

    def _type(kind):
        def build(self, meta, c):
            return n.TypeRef(kind, span=self._span(meta))
        return build

    bool_type = _type("bool")
    integer_type = _type("integer")
    decimal_type = _type("decimal")
    date_type = _type("date")
    text_type = _type("text")
    identifier_type = _type("identifier")
    year_type = _type("year")
    del _type

    def money_type(self, meta, c):
        return n.TypeRef("money", unit=_UNITS[str(c[0])], span=self._span(meta))

    def area_type(self, meta, c):
        return n.TypeRef("area", unit=_UNITS[str(c[0])], span=self._span(meta))

    def rate_type(self, meta, c):
        return n.TypeRef("rate", unit=_UNITS[str(c[0])], per_unit=_UNITS[str(c[1])], span=self._span(meta))

    def enum_type(self, meta, c):
        return n.TypeRef("enum", enum=str(c[0]), span=self._span(meta))

    def count_map_type(self, meta, c):
        return n.TypeRef("count_map", enum=str(c[0]), span=self._span(meta))

    # -- clauses
    def clause(self, meta, c):
        number_tok, *items = c
        numeral = str(number_tok)[1:-1]
        number = chinese_numeral(numeral)
        if number is None:
            raise _LiteralError(diag.make("clause-numeral", self._tok_span(number_tok), numeral=numeral))
        single, lists = self._collect(items, f"clause ({numeral})", repeatable=(
            "repair", "interpretation", "measure", "pool", "ranking", "exclusive"))
        return n.Clause(
            number=number, numeral=numeral, title=single.get("title"), text=single.get("text"),
            departments=single.get("departments"), repairs=tuple(lists["repair"]),
            interpretations=tuple(lists["interpretation"]), default_burden=single.get("default_burden"),
            measures=tuple(lists["measure"]), pools=tuple(lists["pool"]),
            rankings=tuple(lists["ranking"]), exclusives=tuple(lists["exclusive"]),
            heading=None, span=self._tok_span(number_tok),
        )

    def text(self, meta, c):
        return self._part("text", meta, c[0])

    def departments(self, meta, c):
        return self._part("departments", meta, c[0])

    def who(self, meta, c):
        return self._part("who", meta, c[0])

    def repair(self, meta, c):
        return n.Repair(_unescape(str(c[0])), _unescape(str(c[1])), span=self._span(meta))

    def interpretation(self, meta, c):
        return n.Interpretation(c[0], span=self._span(meta))

    def default_burden(self, meta, c):
        return self._part("default_burden", meta, c[0])

    def burden_split(self, meta, c):
        city = self._number(c[0])
        county = self._number(c[1]) if c[1] is not None else None
        return n.Burden("split", city, county, span=self._span(meta))

    def burden_settlement(self, meta, c):
        return n.Burden("settlement", span=self._span(meta))

    def burden(self, meta, c):
        return self._part("burden", meta, c[0])

    def measure(self, meta, c):
        name, kind, *items = c
        single, lists = self._collect(items, f"measure `{name}`", repeatable=("cap", "interpretation"))
        return n.Measure(
            name=str(name), kind=kind, title=single.get("title"), who=single.get("who"),
            condition=single.get("when"), amount=single.get("pay"), caps=tuple(lists["cap"]),
            payee=single.get("payee"), burden=single.get("burden"),
            interpretations=tuple(lists["interpretation"]), span=self._tok_span(name),
        )

    def measure_kind(self, meta, c):
        return str(c[0])

    def when(self, meta, c):
        return self._part("when", meta, c[0])

    def pay(self, meta, c):
        return self._part("pay", meta, c[0])

    def cap(self, meta, c):
        return n.Cap(c[0], c[1], span=self._span(meta))

    def payee(self, meta, c):
        return self._part("payee", meta, str(c[1]))

    def per_unit(self, meta, c):
        return n.PerUnit(c[0], c[1], span=self._span(meta))

    def per_increment(self, meta, c):
        return n.PerIncrement(c[0], c[1], c[2], c[3], span=self._span(meta))

    def by_table(self, meta, c):
        key, *entries = c
        return n.ByTable(key, tuple(entries), span=self._span(meta))

    def each_at_table(self, meta, c):
        counts, *entries = c
        return n.EachAtTable(counts, tuple(entries), span=self._span(meta))

    def table_entry(self, meta, c):
        key, _arrow, value = c
        if isinstance(value, tuple) and value and value[0] == "nothing":
            return n.TableEntry(str(key), None, value[1], span=self._span(meta))
        return n.TableEntry(str(key), value, None, span=self._span(meta))

    def nothing(self, meta, c):
        return ("nothing", c[0])

    # -- pools, rankings, exclusive groups
    def pool(self, meta, c):
        name, *items = c
        single, lists = self._collect(items, f"pool `{name}`", repeatable=("interpretation",))
        notes = lists["interpretation"]
        return n.Pool(name=str(name), title=single.get("title"), limit=single.get("limit"),
                      funds=single.get("funds", ()), order=single.get("order", ()),
                      whole_units=single.get("partial") == "whole", interpretations=tuple(notes),
                      span=self._tok_span(name))

    def limit(self, meta, c):
        return self._part("limit", meta, c[0])

    def funds(self, meta, c):
        return self._part("funds", meta, tuple(str(t) for t in c))

    def order(self, meta, c):
        return self._part("order", meta, tuple(c))

    def partial(self, meta, c):
        return self._part("partial", meta, "whole" if any(str(t) == "whole" for t in c) else "remainder")

    def ranking(self, meta, c):
        name, *items = c
        single, lists = self._collect(items, f"ranking `{name}`", repeatable=("interpretation",))
        notes = lists["interpretation"]
        top = single.get("top")
        return n.Ranking(name=str(name), title=single.get("title"),
                         top=top[0] if top else None, key=top[1] if top else None,
                         among=single.get("among"), ties=single.get("ties", ()),
                         interpretations=tuple(notes), span=self._tok_span(name))

    def top(self, meta, c):
        return self._part("top", meta, (self._int(c[0], "the size of a ranking"), c[1]))

    def among(self, meta, c):
        return self._part("among", meta, c[0])

    def ties(self, meta, c):
        return self._part("ties", meta, tuple(c))

    def fact_key(self, meta, c):
        name, direction = c
        descending = None if direction is None else str(direction) == "descending"
        return n.OrderKey("fact", str(name), descending, span=self._span(meta))

    def input_order(self, meta, c):
        return n.OrderKey("input", span=self._span(meta))

    def rank_key(self, meta, c):
        return n.OrderKey("rank", str(c[0]), span=self._span(meta))

    def exclusive(self, meta, c):
        name, *items = c
        single, lists = self._collect(items, f"exclusive group `{name}`", repeatable=("interpretation",))
        notes = lists["interpretation"]
        return n.Exclusive(name=str(name), title=single.get("title"), members=single.get("members", ()),
                           against=single.get("against"), interpretations=tuple(notes),
                           span=self._tok_span(name))

    def members(self, meta, c):
        return self._part("members", meta, tuple(str(t) for t in c))

    def against(self, meta, c):
        return self._part("against", meta, str(c[0]))

    # -- amendments
    def amendment(self, meta, c):
        name, (base, base_file), *items = c
        found, _ = self._collect(items, "the amendment header")
        return n.Amendment(
            name=str(name), base=str(base), title=found.get("title"), issuer=found.get("issuer"),
            document=found.get("document"), preamble=found.get("preamble"), issued=found.get("issued"),
            published=found.get("published"), effective=found.get("effective"), changes=(),
            path=self.path, base_file=base_file, span=self._tok_span(name),
        )

    def amended(self, meta, c):
        base, file = c
        return str(base), (_unescape(str(file)) if file is not None else None)

    def effective(self, meta, c):
        return self._part("effective", meta, self._date(c[0]))

    def _clause_ref(self, tok: Token) -> tuple[int, str]:
        numeral = str(tok)[1:-1]
        number = chinese_numeral(numeral)
        if number is None:
            raise _LiteralError(diag.make("clause-numeral", self._tok_span(tok), numeral=numeral))
        return number, numeral

    def change_constant(self, meta, c):
        clause_tok, target, part, old, new = c
        number, numeral = self._clause_ref(clause_tok)
        return n.ChangeConstant(number, numeral, str(target), part, old, new, span=self._span(meta))

    def constant_part(self, meta, c):
        return str(c[0])

    def percent_constant(self, meta, c):
        return n.Percent(self._number(c[0]), str(c[0]), span=self._tok_span(c[0]))

    def change_text(self, meta, c):
        clause_tok, lang, old, new = c
        number, numeral = self._clause_ref(clause_tok)
        return n.ChangeText(number, numeral, lang, _unescape(str(old)), _unescape(str(new)), span=self._span(meta))

    def text_lang(self, meta, c):
        return str(c[0])

    def change_period(self, meta, c):
        return n.ChangePeriod(c[0].value, span=self._span(meta))

    def replace_clause(self, meta, c):
        return n.ReplaceClause(c[0], span=self._span(meta))

    def add_clause(self, meta, c):
        return n.AddClause(c[0], span=self._span(meta))

    def repeal_clause(self, meta, c):
        number, numeral = self._clause_ref(c[0])
        return n.RepealClause(number, numeral, span=self._span(meta))

    def _measure_in(self, meta, c):
        name, clause_tok, kind, *items = c
        number, numeral = self._clause_ref(clause_tok)
        return number, numeral, self.measure(meta, [name, kind, *items])

    def replace_measure(self, meta, c):
        return n.ReplaceMeasure(*self._measure_in(meta, c), span=self._span(meta))

    def add_measure(self, meta, c):
        return n.AddMeasure(*self._measure_in(meta, c), span=self._span(meta))

    def repeal_measure(self, meta, c):
        name, clause_tok = c
        number, numeral = self._clause_ref(clause_tok)
        return n.RepealMeasure(number, numeral, str(name), span=self._span(meta))

    # -- expressions
    def or_expr(self, meta, c):
        return n.Or(tuple(c), span=self._span(meta))

    def and_expr(self, meta, c):
        return n.And(tuple(c), span=self._span(meta))

    def not_(self, meta, c):
        return n.Not(c[0], span=self._span(meta))

    def compare(self, meta, c):
        left, words, right, suffix = c
        op = _COMPARATORS[words]
        if suffix is not None:
            if op != ">=":
                self.errors.append(diag.make(
                    "bad-literal", self._span(meta), what="the comparison", text=f"{words} … {suffix}",
                    reason=f"{suffix} includes the number itself, which `{words}` does not say"))
            words = f"{words}…{suffix}"
        return n.Compare(op, words, left, right, span=self._span(meta))

    def legal_suffix(self, meta, c):
        return "".join(str(t) for t in c)

    def date_literal(self, meta, c):
        return n.DateLiteral(self._date(c[0]), span=self._tok_span(c[0]))

    def comparator(self, meta, c):
        return " ".join(str(t) for t in c)

    def within(self, meta, c):
        return n.Within(c[0], c[1], span=self._span(meta))

    def named_window(self, meta, c):
        return str(c[0])

    def period_window(self, meta, c):
        return None

    def is_given(self, meta, c):
        return n.IsGiven(c[0], span=self._span(meta))

    def ranked_in(self, meta, c):
        return n.RankedIn(str(c[0]), span=self._span(meta))

    def add(self, meta, c):
        return n.Arith("+", c[0], c[1], span=self._span(meta))

    def subtract(self, meta, c):
        return n.Arith("-", c[0], c[1], span=self._span(meta))

    def multiply(self, meta, c):
        return n.Arith("*", c[0], c[1], span=self._span(meta))

    def negate(self, meta, c):
        return n.Negate(c[0], span=self._span(meta))

    def converted(self, meta, c):
        return n.Converted(c[0], c[1], span=self._span(meta))

    def percent_of(self, meta, c):
        tok, operand = c
        percent = n.Percent(self._number(tok), str(tok), span=self._tok_span(tok))
        return n.PercentOf(percent, operand, span=self._span(meta))

    def ref(self, meta, c):
        return n.Ref(str(c[0]), span=self._tok_span(c[0]))

    def year_ref(self, meta, c):
        return n.Ref("year", span=self._span(meta))

    def year_of(self, meta, c):
        return n.YearOf(c[0], span=self._span(meta))

    def full_years_since(self, meta, c):
        return n.FullYearsSince(c[0], span=self._span(meta))

    def first_full_year_after(self, meta, c):
        return n.FirstFullYearAfter(c[0], span=self._span(meta))

    def quantity(self, meta, c):
        number, magnitude, unit = c
        value = self._number(number)
        if magnitude is not None:
            value *= _MAGNITUDES[str(magnitude)]
        text = "".join(str(t) for t in c if t is not None)
        unit_name = _UNITS[str(unit)] if unit is not None else None
        return n.Quantity(value, unit_name, text, span=self._span(meta))


class _Part(typing.NamedTuple):
    """One line of a block (`title ...`, `pay ...`), before the block is built."""

    key: str
    value: object
    span: n.Span


_NODE_PARTS = {n.Repair: "repair", n.Interpretation: "interpretation", n.Measure: "measure",
               n.Pool: "pool", n.Ranking: "ranking", n.Exclusive: "exclusive", n.Cap: "cap"}


def attrs_evolve(node, **changes):
    import attrs

    return attrs.evolve(node, **changes)
