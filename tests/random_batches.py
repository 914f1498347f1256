"""Seeded random batches for any compiled policy, written as JSON text.

Built from the calculator's own description (`SPEC`): each applicant takes on one
to three measures and gets the facts those measures read, with values drawn
around the policy's own constants (thresholds, caps, rates), around the period's
and windows' edges, and in every spelling a JSON number can take (`100`, `100.50`,
`1.5E+6`, `-0.0`, strings). A few values are wrong on purpose (a typo in a name,
a negative count, a day not in the calendar, a duplicate id) so refusals are
compared too. The text is built here, lexeme by lexeme, so the exact digits a
number is written with reach both calculators.

    random_batches(module, seed, count) -> list[str]
"""

from __future__ import annotations

import datetime
import json
import random
from decimal import Decimal

# How often a value is deliberately wrong: about one batch in five is refused.
WRONG = 0.006


class Lexeme:
    """A JSON number written exactly as given."""

    def __init__(self, text: str):
        self.text = text


def dumps(value) -> str:
    if isinstance(value, Lexeme):
        return value.text
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


class _Generator:
    def __init__(self, module, rng: random.Random):
        self.spec = module.SPEC
        self.always = _unconditional(module)
        self.rng = rng
        self.constants = sorted({v for k, v in vars(module).items()
                                 if k[:1] == "K" and k[1:].isdigit() and isinstance(v, Decimal)})
        self.facts = {f.name: f for f in self.spec.facts}
        self.codes = {name: [code for code, _, _ in values] for name, values in self.spec.enums.items()}
        start, end = self.spec.period_start, self.spec.period_end
        self.days = sorted({start, end, start - datetime.timedelta(days=1), end + datetime.timedelta(days=1),
                            datetime.date(start.year, 1, 1), datetime.date(end.year, 12, 31),
                            datetime.date(start.year - 1, 12, 31), datetime.date(start.year - 1, 1, 1)})

    # -- values of each kind
    def number(self, whole: bool = False) -> Decimal:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45 and self.constants:
            base = rng.choice(self.constants)
            step = rng.choice([Decimal(0), Decimal(0), Decimal("0.01"), Decimal("-0.01"), Decimal("0.005"),
                               Decimal(1), Decimal(-1), Decimal("0.5")])
            value = base * rng.choice([1, 1, 1, 2, 10, Decimal("0.5")]) + step
        elif roll < 0.75:
            value = Decimal(rng.randint(0, 10 ** rng.randint(1, 9))) / (10 ** rng.randint(0, 4))
        elif roll < 0.9:
            value = Decimal(rng.randint(0, 60))
        else:
            value = Decimal(rng.randint(0, 10 ** 12)) / (10 ** rng.randint(0, 8))
        value = abs(value)
        return value.to_integral_value() if whole else value

    def spell(self, value: Decimal, whole: bool):
        """A number as JSON can carry it: a plain literal, trailing zeros, an exponent, a string."""
        rng = self.rng
        roll = rng.random()
        text = format(value, "f")
        if whole:
            if roll < 0.8:
                return Lexeme(str(int(value)))
            if roll < 0.9:
                return str(int(value))
            return Lexeme(f"{int(value)}.0") if roll < 0.95 else Lexeme(f"{int(value)}E0")
        if roll < 0.55:
            return Lexeme(text)
        if roll < 0.7:
            return text
        if roll < 0.8:
            return Lexeme(text + ("0" if "." in text else ".00"))
        if roll < 0.9:
            sign, digits, exp = value.as_tuple()
            mantissa = "".join(map(str, digits))
            return Lexeme(f"{mantissa[0]}.{mantissa[1:] or '0'}E{len(digits) + exp - 1:+d}")
        if roll < 0.95 and value == 0:
            return Lexeme(rng.choice(["-0", "-0.0", "0E+3", "0.000"]))
        return Lexeme(str(value.normalize()))

    def date(self) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            day = rng.choice(self.days) + datetime.timedelta(days=rng.choice([0, 0, 0, -1, 1, 365, -365]))
        else:
            day = datetime.date(rng.randint(2018, 2027), rng.randint(1, 12), rng.randint(1, 28))
        if rng.random() < 0.03:
            day = datetime.date(rng.choice([2020, 2024]), 2, 29)
        return day.isoformat()

    def wrong(self, kind: str):
        rng = self.rng
        choices = {
            "bool": ["yes", 1, None],
            "date": ["2023-02-30", "2023/01/01", Lexeme("20230101"), "23-01-01", "٢٠٢٣-01-01"],
            "enum": ["Kundulun", "xx", Lexeme("1.5"), True, [1, "a"], "national " * 3],
            "count_map": [["kundulun"], {"nowhere": Lexeme("3")}, {"kundulun": Lexeme("-2")},
                          {"qingshan": "many"}, {"x\u2028'\"": Lexeme("1")}],
        }.get(kind, ["12a", Lexeme("-5"), "1e3", Lexeme("1E+40"), Lexeme("1234567890123456789012345678901234567890.5"),
                     "", {"amount": Lexeme("1")}, True, "１２"])
        return rng.choice(choices)

    def value(self, fact):
        kind = fact.kind
        if self.rng.random() < WRONG:
            return self.wrong(kind)
        if kind == "bool":
            return self.rng.random() < 0.8
        if kind in ("integer", "year"):
            if kind == "year":
                return self.spell(Decimal(self.rng.choice(self.days).year + self.rng.randint(-1, 1)), True)
            return self.spell(self.number(whole=True), True)
        if kind == "rate":
            return self.spell(Decimal(self.rng.randint(60000, 75000)) / 10000, False)
        if kind in ("decimal", "money", "area"):
            return self.spell(self.number(), False)
        if kind == "date":
            return self.date()
        if kind == "enum":
            code = self.rng.choice(self.codes[fact.enum])
            return Lexeme(code) if code.isdigit() and self.rng.random() < 0.3 else code
        if kind == "count_map":
            codes = self.rng.sample(self.codes[fact.enum], self.rng.randint(1, min(4, len(self.codes[fact.enum]))))
            return {code: self.spell(Decimal(self.rng.choice([0, 1, 7, 999, 10000, 123456])), True) for code in codes}
        return f"T-{self.rng.randint(1, 99)}"

    # -- a batch
    def batch(self, number: int) -> str:
        rng = self.rng
        data: dict = {}
        for fact in (f for f in self.spec.facts if f.scope == "batch"):
            if fact.name == "as_of":
                start, end = self.spec.period_start, self.spec.period_end
                day = start + datetime.timedelta(days=rng.randint(0, (end - start).days))
                data["as_of"] = self.date() if rng.random() < 0.05 else day.isoformat()
            elif fact.required or rng.random() < (0.9 if fact.kind == "rate" else 0.3):
                data[fact.name] = self.value(fact)
        if rng.random() < WRONG * 3:
            data["as_off" if rng.random() < 0.5 else "applicant"] = "2023-01-01"
        applicants = []
        general = [f for f in self.spec.facts if f.scope == "applicant" and f.general]
        for index in range(rng.randint(1, 8)):
            applicant: dict = {"id": f"A-{number}-{index}"}
            if rng.random() < WRONG:
                applicant["id"] = rng.choice(["", "  ", Lexeme("7"), f"A-{number}-0"])
            for fact in general:
                if rng.random() < 0.7:
                    applicant[fact.name] = True if fact.kind == "bool" and rng.random() < 0.8 else self.value(fact)
            measures = rng.sample(list(self.spec.measures), rng.randint(1, min(3, len(self.spec.measures))))
            for measure in dict.fromkeys([*self.always, *measures]):
                for name in measure.relevant:
                    if measure in self.always or rng.random() < 0.93:
                        applicant[name] = self.value(self.facts[name])
            if rng.random() < WRONG:
                name = rng.choice(sorted(applicant))
                applicant[name[:-1] + "s" if name != "id" else "ids"] = Lexeme("1")
            applicants.append(applicant)
        data["applicants"] = applicants
        if rng.random() < 0.3:  # key order is part of what a batch says: move `applicants` first
            data = {"applicants": data.pop("applicants"), **data}
        return dumps(data)


def _unconditional(module) -> list:
    """The measures whose conditions hold for an applicant who gives nothing: every applicant needs their facts."""
    from pol import runtime

    batch, (nobody,) = module.read({"as_of": module.SPEC.period_start.isoformat(), "applicants": [{"id": "x"}]})
    context = runtime.Context()
    context.ranks = {ranking.name: {} for ranking in module.SPEC.rankings}
    always = []
    for measure in module.SPEC.measures:
        try:
            measure.assess(nobody, batch, context)
        except runtime._Needed:
            always.append(measure)
    return always


def random_batches(module, seed: int, count: int) -> list[str]:
    """`count` batches for the calculator `module` (as `pol.api.load` returns), the same for the same seed."""
    generator = _Generator(module, random.Random(seed))
    return [generator.batch(i) for i in range(count)]
