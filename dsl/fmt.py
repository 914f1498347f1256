"""`pol fmt`: one canonical layout for `.pol` files, comments kept, meaning never changed.

The formatter re-emits the very tokens of the file, in their order, with new whitespace:
line breaks and indentation carry no meaning in the language, so only whitespace changes.
It parses the file with the language's own grammar (keeping every token, and collecting the
comments the grammar ignores through a lexer callback) and lays the tokens out by the rule
each belongs to:

- two spaces per block level; `end` under the line that opened its block;
- one statement per line; one space between tokens, none inside a number with its unit
  (`50万元`), before `:` and `,`, inside brackets, or after a unary minus;
- a condition of `when` or `among` breaks before each top-level `and` (one column in) and
  `or` (two columns in), so that the words line up under `when`;
- a `cap ... as` label that would take the line past 100 columns goes on the next line;
- in the header and in clauses, the English of a title, issuer, document, preamble, text
  or departments goes on its own line under the Chinese; elsewhere both stay on one line;
- a blank line between top-level blocks, before and after each block inside a clause, and
  between a clause's text and what encodes it;
- a comment stays before the token it preceded, or at the end of the line of the token it
  followed (two spaces before `#`); a blank line that separated a comment from the code
  below it is kept.

The layout depends on nothing but the tokens and comments, so formatting twice changes
nothing. `format_text` checks its own output before returning it: the same tokens, the
same comments and the same AST, or it refuses (`FormatError`).
"""

from __future__ import annotations

import bisect
import functools
import unicodedata
from pathlib import Path

import attrs
import lark
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from . import diagnostics as diag
from .parser import GRAMMAR, parse_text

INDENT = 2
WIDTH = 100  # a cap whose label would take the line past this goes on with `as` on the next line
# Block rules and how many of their children open the block on its first line.
_BLOCKS = {"header": 2, "enumeration": 3, "batch_facts": 2, "applicant_facts": 2, "clause": 2, "measure": 3,
           "pool": 2, "ranking": 2, "exclusive": 2, "amendment": 4, "replace_measure": 6, "add_measure": 6}
# Bilingual statements whose English goes on its own line, in these blocks.
_SPLIT = {"title", "issuer", "document", "preamble", "text", "departments"}
_SPLIT_IN = {"header", "amendment", "clause"}
# A clause's own text, as against what encodes it.
_DOCUMENT = {"title", "text", "departments", "repair"}
_NESTED = {"measure", "pool", "ranking", "exclusive"}
_CONDITIONS = {"when", "among"}
_TABLES = {"by_table", "each_at_table"}


class FormatError(Exception):
    """The file cannot be formatted: its diagnostic says why."""

    def __init__(self, diagnostic: diag.Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@attrs.frozen
class Result:
    text: str
    changed: bool


@functools.cache
def _parser() -> tuple[lark.Lark, list]:
    comments: list[Token] = []
    parser = lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", keep_all_tokens=True,
                       propagate_positions=True, maybe_placeholders=False,
                       lexer_callbacks={"COMMENT": comments.append})
    return parser, comments


def _read(source: str) -> tuple[Tree, list[Token]]:
    parser, comments = _parser()
    comments.clear()
    tree = parser.parse(source)
    found = list(comments)
    comments.clear()
    return tree, found


def is_test_file(source: str) -> bool:
    """A policy test file (`tests for ...`, issue 3's grammar): not formatted yet."""
    for line in source.splitlines():
        code = line.split("#", 1)[0].split()
        if code:
            return code[0] == "tests"
    return False


def format_text(source: str, path: str = "<string>") -> Result:
    """The file in canonical layout; raises FormatError when it does not parse or would change meaning."""
    parsed = parse_text(source, path)
    errors = [d for d in parsed.diagnostics if d.severity == diag.ERROR]
    if errors:
        raise FormatError(errors[0])
    try:
        tree, comments = _read(source)
    except UnexpectedInput:  # parse_text accepted it: cannot happen, but never a traceback
        raise FormatError(diag.make("syntax", None, found="the file", expected="a file the grammar reads", hint=""))
    except RecursionError:
        raise FormatError(diag.make("too-deep", None, depth="too many"))
    try:
        layout = _Layout()
        layout.start(tree)
        text = _render(layout.events, comments)
        _verify(source, text, tree, comments, parsed, path)
    except RecursionError:  # the parser refuses deeper nesting first; never a traceback all the same
        raise FormatError(diag.make("too-deep", None, depth="too many"))
    return Result(text, text != source)


# ---------------------------------------------------------------- layout: one event per token


@attrs.define
class _Event:
    token: Token
    column: int | None = None  # starts a line at this column
    blank: bool = False  # with a blank line before it
    glue: bool = False  # no space before it


class _Layout:
    def __init__(self):
        self.events: list[_Event] = []
        self.pending: dict = {}  # column / blank / glue for the next token

    # -- emitting
    def line(self, column: int, blank: bool = False) -> None:
        self.pending["column"] = column
        self.pending["blank"] = self.pending.get("blank", False) or blank

    def glue(self) -> None:
        self.pending["glue"] = True

    def token(self, tok: Token) -> None:
        self.events.append(_Event(tok, self.pending.get("column"), self.pending.get("blank", False),
                                  self.pending.get("glue", False) and "column" not in self.pending))
        self.pending = {}

    def inline(self, node) -> None:
        """A node's tokens on the current line, with the spacing rules of its rule."""
        if isinstance(node, Token):
            self.token(node)
            return
        rule = node.data
        children = node.children
        for index, child in enumerate(children):
            if rule == "quantity" and index > 0 and not (child.type == "UNIT" and child.isascii()):
                self.glue()  # 50万元, 1000平方米; but 0.01 CNY
            elif isinstance(child, Token) and child in (":", ",") and child.type != "STRING":
                self.glue()
            elif isinstance(child, Token) and child == ")" and rule == "atom":
                self.glue()
            self.inline(child)
            if isinstance(child, Token) and ((child == "(" and rule == "atom") or (child == "-" and rule == "negate")):
                self.glue()

    # -- structure
    def start(self, tree: Tree) -> None:
        for index, item in enumerate(tree.children):
            self.item(item, 0, "start", blank=index > 0)

    def item(self, node, level: int, parent: str, blank: bool = False) -> None:
        self.line(level * INDENT, blank)
        if isinstance(node, Token):  # cannot happen in this grammar: every item is a rule
            self.token(node)
        elif node.data in _BLOCKS:
            self.block(node, level)
        elif node.data in ("replace_clause", "add_clause"):
            keyword, clause = node.children
            self.token(keyword)
            self.block(clause, level)
        else:
            self.statement(node, level, parent)

    def block(self, node: Tree, level: int) -> None:
        heads = _BLOCKS[node.data]
        children = node.children
        for child in children[:heads]:
            self.inline(child)
        items = children[heads:-1]
        previous = None
        for child in items:
            rule = child.data if isinstance(child, Tree) else None
            blank = node.data == "clause" and previous is not None and (
                rule in _NESTED or previous in _NESTED or (rule not in _DOCUMENT and previous in _DOCUMENT))
            self.item(child, level + 1, node.data, blank)
            previous = rule
        self.line(level * INDENT)
        self.token(children[-1])

    def statement(self, node: Tree, level: int, parent: str) -> None:
        column = level * INDENT
        rule = node.data
        children = node.children
        if rule in _SPLIT and parent in _SPLIT_IN:
            keyword, label = children
            self.token(keyword)
            parts = label.children
            for index, part in enumerate(parts):
                if index > 0:
                    self.line(column + len(keyword) + 1)
                self.inline(part)
            return
        if rule in _CONDITIONS:
            keyword, condition = children
            self.token(keyword)
            self.condition(condition, column, top=True)
            return
        if rule == "cap" and len(children) == 4 and _width(node) + column > WIDTH:
            keyword, amount, as_, label = children
            self.token(keyword)
            self.inline(amount)
            self.line(column + INDENT)
            self.token(as_)
            self.inline(label)
            return
        if rule == "pay" and isinstance(children[1], Tree) and children[1].data in _TABLES:
            self.token(children[0])
            self.table(children[1], level)
            return
        self.inline(node)

    def condition(self, node, column: int, top: bool) -> None:
        """Break before the `and`s and `or`s of the top level (not inside brackets)."""
        if isinstance(node, Tree) and node.data in ("or_expr", "and_expr"):
            for child in node.children:
                if isinstance(child, Token) and child in ("and", "or"):
                    self.line(column + (1 if child == "and" else 2))
                    self.token(child)
                elif node.data == "or_expr":
                    self.condition(child, column, top=False)
                else:
                    self.inline(child)
            return
        self.inline(node)

    def table(self, node: Tree, level: int) -> None:
        """`by X` or `for each of X at`, its entries one per line, and `end` under the statement."""
        children = node.children
        for child in children[:-1]:
            if isinstance(child, Tree) and child.data == "table_entry":
                self.line((level + 1) * INDENT)
                self.entry(child, level + 1)
            else:
                self.inline(child)
        self.line(level * INDENT)
        self.token(children[-1])

    def entry(self, node: Tree, level: int) -> None:
        key, arrow, value = node.children
        self.inline(key)
        self.inline(arrow)
        if isinstance(value, Tree) and value.data == "nothing":
            nothing, because, label = value.children
            self.token(nothing)
            self.token(because)
            for part in label.children:
                self.line((level + 1) * INDENT)
                self.inline(part)
            return
        self.inline(value)


def _width(node) -> int:
    """Columns a node takes on one line, a space between tokens (a little more than it will)."""
    tokens = [str(t) for t in node.scan_values(lambda v: isinstance(v, Token))]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for t in tokens for ch in t) + len(tokens) - 1


# ---------------------------------------------------------------- rendering, with the comments


def _render(events: list[_Event], comments: list[Token]) -> str:
    starts = [(e.token.line, e.token.column) for e in events]
    leading: dict[int, list[Token]] = {}
    trailing: dict[int, Token] = {}
    for comment in comments:
        index = bisect.bisect_left(starts, (comment.line, comment.column))
        before = events[index - 1].token if index > 0 else None
        if before is not None and (before.end_line or before.line) == comment.line:
            trailing[index - 1] = comment
        else:
            leading.setdefault(index, []).append(comment)

    lines: list[str] = []
    current: str | None = None
    last_column = 0

    def flush():
        nonlocal current
        if current is not None:
            lines.append(current)
        current = None

    def comment_lines(group: list[Token], column: int, before: Token | None):
        for position, comment in enumerate(group):
            if position > 0 and comment.line - group[position - 1].line > 1:
                lines.append("")
            lines.append(" " * column + str(comment).rstrip())
        if before is not None and before.line - group[-1].line > 1:
            lines.append("")

    for index, event in enumerate(events):
        text = str(event.token)
        group = leading.get(index)
        if group or event.column is not None or current is None:
            column = event.column if event.column is not None else last_column + INDENT
            flush()
            if event.blank and lines:
                lines.append("")
            if group:
                comment_lines(group, column, event.token)
            current = " " * column + text
            if event.column is not None:
                last_column = event.column
        else:
            current += ("" if event.glue else " ") + text
        if index in trailing:
            current += "  " + str(trailing[index]).rstrip()
            flush()
    flush()
    tail = leading.get(len(events))
    if tail:
        if events and tail[0].line - (events[-1].token.end_line or events[-1].token.line) > 1 and lines:
            lines.append("")
        comment_lines(tail, 0, None)
    return "\n".join(lines) + "\n" if lines else ""


# ---------------------------------------------------------------- checking the result


def _tokens(tree: Tree) -> list[tuple[str, str]]:
    return [(t.type, str(t)) for t in tree.scan_values(lambda v: isinstance(v, Token))]


def _verify(source: str, text: str, tree: Tree, comments: list[Token], parsed, path: str) -> None:
    """The formatted file must say exactly what the file said: same tokens, comments and AST."""
    def refuse(reason: str) -> FormatError:
        return FormatError(diag.make("fmt-meaning", None, path=path, reason=reason))

    try:
        again, again_comments = _read(text)
    except UnexpectedInput:
        raise refuse("the formatted text does not parse")
    if _tokens(again) != _tokens(tree):
        raise refuse("the formatted text has other tokens")
    if [str(c).rstrip() for c in again_comments] != [str(c).rstrip() for c in comments]:
        raise refuse("the formatted text has other comments")
    reparsed = parse_text(text, path)
    if (reparsed.policy, reparsed.amendment) != (parsed.policy, parsed.amendment):
        raise refuse("the formatted text means something else")


def tokens_and_comments(source: str) -> tuple[list[Token], list[Token]]:
    """Every token of a file, in order, and its comments: what formatting must keep."""
    tree, comments = _read(source)
    return list(tree.scan_values(lambda v: isinstance(v, Token))), comments


def format_file(path: str | Path) -> Result:
    """Format one file's text (without writing it); raises FormatError, or OSError if it cannot be read."""
    source = Path(path).read_text(encoding="utf-8")
    return format_text(source, str(path))
