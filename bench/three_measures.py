"""The compiled engines on the same three measures as the hand-written and OpenFisca versions.

The subset is cut from the Baotou policy's own AST: clauses (七), (八) and (十一)
with their measures, ranking and pool, the default burden of (二十), and the
exclusive group of (二十一) restricted to M7, M11a and M11b. Nothing is
re-encoded by hand, so the compiled code is what the full policy would run for
those measures.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from compiler.python_gen import compile_policy
from compiler.vector_gen import compile_vector
from dsl import diagnostics as diag
from dsl.checks import check
from dsl.parser import parse_file
from pol.api import load_source

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
KEEP = {7, 8, 11, 20, 21}
MEASURES = ("M7", "M8", "M11a", "M11b")


def subset_policy():
    policy = parse_file(BAOTOU).policy
    clauses = []
    for clause in policy.clauses:
        if clause.number not in KEEP:
            continue
        groups = tuple(attrs.evolve(g, members=tuple(m for m in g.members if m in MEASURES))
                       for g in clause.exclusives)
        clauses.append(attrs.evolve(clause, exclusives=groups))
    subset = attrs.evolve(policy, clauses=tuple(clauses))
    errors = [d for d in check(subset) if d.severity == diag.ERROR]
    if errors:
        raise SystemExit(f"the three-measure subset does not check: {errors[0].message}")
    return subset


def modules():
    """(scalar calculator, vector calculator) of the subset."""
    policy = subset_policy()
    scalar = load_source(compile_policy(policy), "baotou_three")
    vector = load_source(compile_vector(policy), "baotou_three_vector")
    return scalar, vector
