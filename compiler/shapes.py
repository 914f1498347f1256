"""What every backend needs to know about an expression's shape, beyond its words.

The Python, vector and JavaScript generators all decide the same things the same
way (is this bare name an enumeration value? is this side a number that is never
absent?), so they share this one mixin; each provides `self.facts` (name -> Fact).
"""

from __future__ import annotations

from dsl import nodes as n

NUMBER_KINDS = ("integer", "decimal", "money", "area", "rate")


class ExpressionShapes:
    facts: dict[str, n.Fact]

    def is_enum_literal(self, expr, other) -> bool:
        """A value of the enumeration the other side is: `national`, or a numbered value such as `5`."""
        if not (isinstance(other, n.Ref) and other.name in self.facts and self.facts[other.name].type.kind == "enum"):
            return False
        if isinstance(expr, n.Quantity):
            return expr.unit is None
        return isinstance(expr, n.Ref) and expr.name not in self.facts

    @staticmethod
    def enum_code(expr) -> str:
        if isinstance(expr, n.Quantity):
            return format(expr.value.normalize(), "f")
        return expr.name

    def payee_county(self, measure: n.Measure) -> str | None:
        """The jurisdiction fact a measure paid to the county needs, once its conditions hold."""
        if measure.payee != "county":
            return None
        return next((f.name for f in self.facts.values() if f.jurisdiction), None)

    def kind_of(self, expr) -> str:
        """Enough typing to pick the comparison: a number that is never absent, or anything else."""
        match expr:
            case n.Quantity() | n.Percent():
                return "number"
            case n.Ref(name=name) if name in self.facts:
                kind = self.facts[name].type.kind
                return "number" if kind in NUMBER_KINDS else kind
            case n.Arith(left=left, right=right):
                return "number" if self.kind_of(left) == self.kind_of(right) == "number" else "other"
            case n.PercentOf(operand=op) | n.Converted(operand=op) | n.Negate(operand=op):
                return self.kind_of(op)
        return "other"
