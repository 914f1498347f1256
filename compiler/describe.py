"""Conditions and amounts in words, in Chinese and in English.

The calculators' explanations and the documentation both say what a piece of
the policy means through this one module, so they cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal

from dsl import nodes as n

_EN_OPS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "=": "is", "!=": "is not"}
_ZH_OPS = {">=": "不少于", ">": "超过", "<=": "不超过", "<": "少于", "=": "为", "!=": "不为"}
_EN_UNITS = {"CNY": "yuan", "USD": "US dollars", "m2": "m²"}
_ZH_UNITS = {"CNY": "元", "USD": "美元", "m2": "平方米"}


def number_en(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,}"


def number_zh(value: Decimal) -> str:
    """Chinese writes large round sums in 万 and 亿: 50万, 2000万, 1.5亿."""
    for size, word in ((Decimal(100_000_000), "亿"), (Decimal(10_000), "万")):
        if value >= size and (value / size) == (value / size).normalize() and (value % (size / 100)) == 0:
            scaled = (value / size).normalize()
            return f"{scaled:f}{word}"
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def quantity(q: n.Quantity, lang: str) -> str:
    if lang == "en":
        text = number_en(q.value)
        return f"{text} {_EN_UNITS[q.unit]}" if q.unit else text
    text = number_zh(q.value)
    return f"{text}{_ZH_UNITS[q.unit]}" if q.unit else text


# ---------------------------------------------------------------- for the documentation
# Money and dates as each language writes them, and conditions as checklist items.

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


def money(value: Decimal, lang: str, unit: str = "CNY") -> str:
    """A sum of money: `50万元`, `123456.78元`; `500,000 yuan`, `123,456.78 yuan`."""
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    if lang == "en":
        return f"{number_en(value)} {_EN_UNITS[unit]}"
    return f"{number_zh(value)}{_ZH_UNITS[unit]}"


def date_words(value, lang: str) -> str:
    """A calendar day: `2022年8月26日`; `26 August 2022`."""
    if lang == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def _legal_zh(words: str, right: str) -> str:
    """The file's legal words around the number: 达到…及以上 with 1000平方米 is 达到1000平方米及以上."""
    before, _, after = words.partition("…")
    return f"{before}{right}{after}"


class Describer:
    def __init__(self, policy: n.Policy):
        self.policy = policy
        self.windows = {w.name: w for w in (policy.header.windows if policy.header else ())}
        self.rankings = {r.name: (c, r) for c, r in policy.all_rankings()}
        self.values = {(e.name, v.code): v.label for e in policy.enumerations for v in e.values}

    def label(self, name: str, lang: str) -> str:
        fact = self.policy.fact(name)
        if fact is None:
            return name
        text = fact.label.en if lang == "en" else fact.label.zh
        return text or name

    def enum_value(self, enum: str | None, code: str, lang: str) -> str:
        label = self.values.get((enum, code))
        text = (label.en if lang == "en" else label.zh) if label else None
        return text or code

    def _enum_of(self, expr) -> str | None:
        if isinstance(expr, n.Ref):
            fact = self.policy.fact(expr.name)
            if fact is not None and fact.type.kind == "enum":
                return fact.type.enum
        return None

    def condition(self, expr, lang: str) -> str:
        """One condition in words, keeping the legal words the file used."""
        en = lang == "en"
        match expr:
            case n.And(operands=ops):
                return (" and " if en else "且").join(self.condition(o, lang) for o in ops)
            case n.Or(operands=ops):
                return "(" + (" or " if en else "或").join(self.condition(o, lang) for o in ops) + ")"
            case n.Not(operand=op):
                if isinstance(op, n.Ref):
                    return f"not {self.condition(op, lang)}" if en else f"非{self.condition(op, lang)}"
                return f"not ({self.condition(op, lang)})" if en else f"并非({self.condition(op, lang)})"
            case n.Compare(op=op, words=words, left=left, right=right):
                enum = self._enum_of(left) or self._enum_of(right)
                if enum is not None and isinstance(right, n.Ref) and self.policy.fact(right.name) is None:
                    value = self.enum_value(enum, right.name, lang)
                    if op == "=":
                        return f"{self.value(left, lang)} is {value}" if en else f"{self.value(left, lang)}为{value}"
                    return f"{self.value(left, lang)} is not {value}" if en else f"{self.value(left, lang)}不为{value}"
                if en:
                    legal = f" ({words})" if not words.isascii() else ""
                    return f"{self.value(left, lang)} {_EN_OPS[op]} {self.value(right, lang)}{legal}"
                zh_op = words if not words.isascii() else _ZH_OPS[op]
                # 达到…及以上: the words stand around the number, as the law writes them.
                before, _, after = zh_op.partition("…")
                return f"{self.value(left, lang)}{before}{self.value(right, lang)}{after}"
            case n.Within(operand=op, window=window):
                if window is None:
                    return (f"{self.value(op, lang)} within the period in effect" if en
                            else f"{self.value(op, lang)}在本措施有效期内")
                w = self.windows.get(window)
                if w is None:
                    return f"{self.value(op, lang)} within {window}"
                if en:
                    return f"{self.value(op, lang)} within {w.label.en or window} ({w.start} to {w.end})"
                return f"{self.value(op, lang)}在{w.label.zh or window}({w.start}至{w.end})"
            case n.IsGiven(operand=op):
                return f"{self.value(op, lang)} is given" if en else f"已申报{self.value(op, lang)}"
            case n.RankedIn(ranking=name):
                found = self.rankings.get(name)
                if found is None:
                    return f"ranked in {name}"
                _, ranking = found
                title = ranking.title
                if en:
                    return f"ranked in the {(title.en if title and title.en else name)}"
                return f"位列{(title.zh if title and title.zh else name)}"
            case n.Ref(name=name):
                fact = self.policy.fact(name)
                if fact is not None and fact.type.kind == "bool":
                    return self.label(name, lang)
                return self.value(expr, lang)
        return self.value(expr, lang)

    def value(self, expr, lang: str) -> str:
        """A quantity or an amount in words."""
        en = lang == "en"
        match expr:
            case n.Quantity():
                return quantity(expr, lang)
            case n.DateLiteral(value=d):
                return d.isoformat()
            case n.Percent(value=v):
                return f"{v.normalize():f}%"
            case n.Ref(name=name):
                return self.label(name, lang)
            case n.PercentOf(percent=p, operand=op):
                return f"{p.value.normalize():f}% of {self.value(op, lang)}" if en \
                    else f"{self.value(op, lang)}的{p.value.normalize():f}%"
            case n.Arith(op=op, left=left, right=right):
                sym = {"+": "+", "-": "−", "*": "×"}[op]
                return f"{self.value(left, lang)} {sym} {self.value(right, lang)}"
            case n.Negate(operand=op):
                return f"−{self.value(op, lang)}"
            case n.Converted(operand=op, rate=rate):
                return f"{self.value(op, lang)} converted at the {self.value(rate, lang)}" if en \
                    else f"{self.value(op, lang)}(按{self.value(rate, lang)}折算)"
            case n.YearOf(operand=op):
                return f"the year of {self.value(op, lang)}" if en else f"{self.value(op, lang)}所在年度"
            case n.FullYearsSince(operand=op):
                return f"full years since {self.value(op, lang)}" if en else f"自{self.value(op, lang)}起届满年数"
            case n.FirstFullYearAfter(operand=op):
                return (f"the first full calendar year after {self.value(op, lang)}" if en
                        else f"{self.value(op, lang)}后第一个完整年度")
            case n.PerUnit(rate=rate, count=count):
                return f"{self.value(rate, lang)} for each of {self.value(count, lang)}" if en \
                    else f"按{self.value(count, lang)}每个{self.value(rate, lang)}"
            case n.PerIncrement(rate=rate, step=step, operand=op, threshold=threshold):
                if en:
                    return (f"{self.value(rate, lang)} for each full {quantity(step, lang)} of "
                            f"{self.value(op, lang)} above {quantity(threshold, lang)}")
                return (f"{self.value(op, lang)}超过{quantity(threshold, lang)}的部分每满"
                        f"{quantity(step, lang)}给予{self.value(rate, lang)}")
            case n.ByTable(key=key, entries=entries):
                enum = self._enum_of(key)
                parts = [f"{self.enum_value(enum, e.key, lang)} {self._entry(e, lang)}" for e in entries]
                return (f"by {self.value(key, lang)}: " if en else f"按{self.value(key, lang)}:") + "; ".join(parts)
            case n.EachAtTable(counts=counts, entries=entries):
                fact = self.policy.fact(counts.name) if isinstance(counts, n.Ref) else None
                enum = fact.type.enum if fact else None
                parts = [f"{self.enum_value(enum, e.key, lang)} {self._entry(e, lang)}" for e in entries]
                head = (f"for each of {self.value(counts, lang)}: " if en else f"按{self.value(counts, lang)}每单:")
                return head + "; ".join(parts)
        return "?"

    def condition_item(self, expr, lang: str, legal: bool = True) -> str:
        """One condition as a line of an eligibility checklist, in plain words.

        Comparisons keep the legal words of the file: in English they follow in
        brackets with the number (`livestream rooms at least 5 (不少于5)`) unless
        `legal` is false; dates are written as the language writes dates.
        """
        en = lang == "en"
        match expr:
            case n.Compare(op=op, words=words, left=left, right=right) if self._enum_of(left) is None:
                legal_zh = not words.isascii()
                if isinstance(left, n.FullYearsSince) and isinstance(right, n.Quantity) and op == ">=":
                    since, years = self.value(left.operand, lang), right.value
                    zh = _legal_zh(words if legal_zh else "满", f"{number_zh(years)}年")
                    if not en:
                        return f"自{since}起{zh}"
                    plural = "year" if years == 1 else "years"
                    extra = f" ({zh})" if legal and legal_zh else ""
                    return f"at least {number_en(years)} full {plural} since {since}{extra}"
                if op == ">=" and isinstance(right, (n.FirstFullYearAfter, n.YearOf)):
                    return (f"{self.value(left, lang)} is {self.value(right, lang)} or later" if en
                            else f"{self.value(left, lang)}为{self.value(right, lang)}或之后")
                right_zh = self.value(right, "zh")
                zh = _legal_zh(words, right_zh) if legal_zh else _ZH_OPS[op] + right_zh
                if not en:
                    return self.value(left, lang) + zh
                extra = f" ({zh})" if legal and legal_zh else ""
                return f"{self.value(left, lang)} {_EN_OPS[op]} {self.value(right, lang)}{extra}"
            case n.Within(operand=op, window=window) if window is None or window in self.windows:
                if window is None:
                    period = self.policy.header.period if self.policy.header else None
                    if period is None:
                        return self.condition(expr, lang)
                    name = "the period in effect" if en else "本措施有效期内"
                    start, end = period.start, period.end
                else:
                    w = self.windows[window]
                    name, start, end = (w.label.en if en else w.label.zh) or window, w.start, w.end
                span = f"{date_words(start, lang)}{' to ' if en else '至'}{date_words(end, lang)}"
                return f"{self.value(op, lang)} within {name} ({span})" if en else f"{self.value(op, lang)}在{name}({span})"
            case n.Not(operand=op):
                inner = self.condition_item(op, lang, legal)
                return f"not: {inner}" if en else f"并非{inner}"
            case n.Or(operands=ops):
                parts = [self.condition_item(o, lang, legal) for o in ops]
                return ("one of: " + "; or ".join(parts)) if en else ("下列之一:" + ";或".join(parts))
            case n.And(operands=ops):
                return ("; " if en else ";").join(self.condition_item(o, lang, legal) for o in ops)
        return self.condition(expr, lang)

    def condition_items(self, expr, lang: str, legal: bool = True) -> list[str]:
        """A condition split at its top-level `and`: one checklist line each, in the file's order."""
        if expr is None:
            return []
        operands = expr.operands if isinstance(expr, n.And) else (expr,)
        return [self.condition_item(o, lang, legal) for o in operands]

    def _entry(self, entry: n.TableEntry, lang: str) -> str:
        if entry.value is None:
            return "nothing" if lang == "en" else "无"
        return self.value(entry.value, lang)
