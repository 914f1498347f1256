"""The numbers of a clause's Chinese text, normalised so they can be set beside the code.

`50万元` is 500,000 yuan, `100万美元` 1,000,000 US dollars, `1%` one percent,
`1000平方米` an area, `满1年` the number 1 counted in years, `五星级` the number 5.
Each number also carries the comparison its words state, read as Chinese legal
drafting reads them (Civil Code art. 1259: 以上/以下/以内/届满 include the number,
不满/超过/以外 exclude it): `达到2000万元(含)以上` is `>=`, `超过10` is `>`,
`最高不超过50万元` is a cap, `<=`.

Only what can be read with confidence is read: Chinese numerals count only before
a counting word (`五星级`, `三年`), never in names such as “十四五” or idioms
such as 一次性, 一批, 第一个.
"""

from __future__ import annotations

import re
from decimal import Decimal

import attrs

# Full-width digits and signs read as their ASCII forms; one character for one, so
# offsets into the text stay valid.
_WIDE = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

_UNITS = (
    ("元人民币", "CNY"), ("人民币", "CNY"), ("美元", "USD"), ("元", "CNY"),
    ("平方米", "m2"), ("㎡", "m2"), ("m²", "m2"), ("m2", "m2"), ("%", "percent"),
)
_MAGNITUDES = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}

# Words that count things: a number before them is a count, not money.
_COUNTERS = ("星级", "年", "个", "家", "名", "人", "项", "倍", "种", "间", "户", "位", "单", "次")
# Chinese numerals read as numbers only before these (an idiom like 一次性 never is).
_NUMERAL_COUNTERS = ("星级", "年", "个", "家", "名", "人", "项", "倍", "种", "间", "户", "位")

_ARABIC = re.compile(r"(\d+(?:\.\d+)?)\s*([万亿])?")
_CHINESE = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# The words before a number and what they say; the longest word wins where two end
# at the same place (不超过 over 超过, 未达到 over 达到, 不满 over 满).
_BEFORE = {
    "达到": ">=", "不少于": ">=", "不低于": ">=", "不小于": ">=", "满": ">=",
    "超过": ">", "多于": ">", "高于": ">", "大于": ">",
    "不超过": "<=", "不多于": "<=", "不高于": "<=", "不大于": "<=", "最高": "<=", "最多": "<=", "上限": "<=",
    "不满": "<", "少于": "<", "低于": "<", "未达到": "<", "小于": "<", "不足": "<",
}
# The words right after a number (and its unit).
_AFTER = (
    ("(含)以上", ">="), ("（含）以上", ">="), ("及以上", ">="), ("以上", ">="),
    ("(含)以下", "<="), ("（含）以下", "<="), ("及以下", "<="), ("以下", "<="), ("以内", "<="),
)
# Where one phrase ends and the words before a number stop applying.
_BREAKS = set(",,。;;、::!?!?“”\"'()()\n")
_SENTENCE_END = set("。;;!?!?\n")
_LOOK_BEHIND = 8

OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


@attrs.frozen
class TextNumber:
    value: Decimal
    unit: str | None  # "CNY", "USD", "m2", "percent" or None (a count or a plain number)
    counter: str | None  # the counting word after it: 年, 家, 星级 ...
    text: str  # as written, with its unit: "50万元"
    start: int  # offsets into the text
    end: int
    op: str | None  # the comparison its words state: ">=", ">", "<=", "<"
    words: str  # those words: "达到…(含)以上", "超过", ""
    sentence: int  # which sentence of the text it stands in

    def context(self, text: str, width: int = 8) -> str:
        """The number with a few characters either side, as a quotation."""
        left = max(self.start - width, 0)
        right = min(self.end + width, len(text))
        return ("…" if left else "") + text[left:right].replace("\n", " ") + ("…" if right < len(text) else "")


def chinese_number(text: str) -> int | None:
    """零 to 九千九百九十九 (and 两) as an integer; None when it is not one."""
    if not text or any(ch not in _DIGITS and ch not in "十百千" for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in "零〇" and digit is None:
            continue  # 一百零五: the zero only marks an empty place
        if ch in _DIGITS:
            if digit is not None:  # two digits in a row (一二) are not a number
                return None
            digit = _DIGITS[ch]
        else:
            size = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (1 if digit is None else digit) * size
            digit = None
    return total + (digit or 0)


def numbers(text: str) -> list[TextNumber]:
    """Every number the text states, in order."""
    plain = text.translate(_WIDE)
    found: list[TextNumber] = []
    for match in _ARABIC.finditer(plain):
        value = Decimal(match.group(1))
        end = match.end()
        if match.group(2):
            value *= _MAGNITUDES[match.group(2)]
        elif plain[match.end(1):end].strip() == "":
            end = match.end(1)  # spaces after a number without 万/亿 belong to no unit
        unit, end = _unit(plain, end)
        counter, end_counter = _counter(plain, end, _COUNTERS)
        if _part_of_code(plain, match.start(), end_counter):
            continue
        found.append(_number(text, plain, value, unit, counter, match.start(), end_counter, bool(match.group(2))))
    for match in _CHINESE.finditer(plain):
        if match.start() > 0 and plain[match.start() - 1] == "第":
            continue  # an ordinal: 第一个
        value = chinese_number(match.group())
        counter, end = _counter(plain, match.end(), _NUMERAL_COUNTERS)
        if value is None or counter is None or (value == 1 and counter != "年"):
            continue  # 一 before 个/家/人 is the article "a", not the number one
        found.append(_number(text, plain, Decimal(value), None, counter, match.start(), end, False))
    found.sort(key=lambda t: t.start)
    return found


def _unit(plain: str, at: int) -> tuple[str | None, int]:
    rest = plain[at:].lstrip(" ")
    skipped = len(plain) - at - len(rest)
    for word, unit in _UNITS:
        if rest.startswith(word):
            return unit, at + skipped + len(word)
    return None, at


def _counter(plain: str, at: int, counters) -> tuple[str | None, int]:
    for word in counters:
        if plain.startswith(word, at):
            return word, at + len(word)
    return None, at


def _part_of_code(plain: str, start: int, end: int) -> bool:
    """Digits inside a document number (包府发〔2022〕18号) or a date (2022年8月26日) are no quantity."""
    before = plain[start - 1] if start else ""
    after = plain[end] if end < len(plain) else ""
    return ((before != "" and before in "〔[") or (after != "" and after in "〕]号月日")
            or (plain[end - 1] == "年" and re.match(r"\d{1,2}月", plain[end:]) is not None))


def _number(text: str, plain: str, value: Decimal, unit: str | None, counter: str | None,
            start: int, end: int, magnitude: bool) -> TextNumber:
    before_op, before_word = _before(plain, start)
    after_op, after_word = _after(plain, end)
    op = before_op or after_op
    words = "…".join(w for w in (before_word, after_word) if w)
    sentence = sum(1 for ch in plain[:start] if ch in _SENTENCE_END)
    if unit is None and magnitude:
        unit = "magnitude"  # 2000万 without 元: money or a count, the code decides
    return TextNumber(value, unit, counter, text[start:end], start, end, op, words, sentence)


def _before(plain: str, start: int) -> tuple[str | None, str]:
    window_start = start
    while window_start > 0 and start - window_start < _LOOK_BEHIND:
        ch = plain[window_start - 1]
        if ch in _BREAKS or ch.isdigit():
            break
        window_start -= 1
    window = plain[window_start:start]
    best: tuple[int, int, str] | None = None  # (end, length, word)
    for word in _BEFORE:
        at = window.rfind(word)
        if at < 0:
            continue
        candidate = (at + len(word), len(word), word)
        if best is None or candidate > best:
            best = candidate
    if best is None:
        return None, ""
    return _BEFORE[best[2]], best[2]


def _after(plain: str, end: int) -> tuple[str | None, str]:
    for word, op in _AFTER:
        if plain.startswith(word, end):
            return op, word
    return None, ""


def unit_fits(code_unit: str | None, text: TextNumber) -> bool:
    """Whether a constant of the code, in `code_unit`, can be the text's number."""
    if code_unit == "percent":
        return text.unit == "percent"
    if code_unit in ("CNY",):
        return text.unit in ("CNY", "magnitude")
    if code_unit in ("USD", "m2"):
        return text.unit == code_unit
    return text.unit in (None, "magnitude")  # a count: 5, 满1年, 20家, 前5


def sentences(text: str) -> int:
    return sum(1 for ch in text.translate(_WIDE) if ch in _SENTENCE_END) + 1
