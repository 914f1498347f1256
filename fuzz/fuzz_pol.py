"""Fuzzing pol: any text, through every stage, gives diagnostics and never an exception.

`run_one(text)` is the target: parse, check, compile, import the generated module
and evaluate small batches with it and with the interpreter. Anything but a
diagnostic, a refused compile (`CompileError`) or a refused batch (`BatchError`)
is a bug, and so is a calculator that disagrees with the interpreter or imports
anything but `pol.runtime`.

Two ways to drive it:

- `tests/test_fuzz.py`: bounded hypothesis runs (grammar-aware policies and
  mutations of the real `.pol` files), deterministic, part of `make test`;
- this file under atheris (`make fuzz`, `FUZZ_SECONDS` long): coverage-guided
  mutation of the same seeds, for as long as one cares to run it.

`pol fmt` (`dsl.fmt`) is fuzzed too, when it is there: it formats or refuses, and settles at once.
"""

from __future__ import annotations

import ast
import importlib
import json
import random
import re
import sys
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from compiler.python_gen import CompileError, compile_policy  # noqa: E402
from dsl import diagnostics as diag  # noqa: E402
from dsl import nodes as n  # noqa: E402
from dsl.checks import check  # noqa: E402
from dsl.parser import parse_text  # noqa: E402
from pol.api import load_source  # noqa: E402
from pol.interpreter import Interpreter  # noqa: E402
from pol.runtime import BatchError  # noqa: E402

# The example amendment (examples/amendments/) seeds the amendment grammar.
SEED_FILES = sorted(REPO.glob("policies/*.pol")) + sorted(REPO.glob("examples/amendments/*.pol")) + [
    REPO / "tests" / "fixtures" / "demo.pol", REPO / "examples" / "tutorial" / "first.pol"]
SEEDS = {p.name: p.read_text(encoding="utf-8") for p in SEED_FILES if p.exists() and not p.name.endswith(".test.pol")}


class FuzzFailure(AssertionError):
    """A stage misbehaved on an input: a bug to fix, not a diagnostic."""


def _formatters():
    """`pol fmt` (`dsl.fmt.format_text`, issue 4) when it is there: text in, `Result(text, changed)` out,
    `FormatError` (a diagnostic) for what it cannot format."""
    try:
        from dsl import fmt
    except ImportError:
        return None
    return fmt


FORMATTER = _formatters()


def run_one(text: str, evaluate: bool = True) -> str:
    """Every stage on one input; the name of the last stage reached. Raises FuzzFailure on a bug."""
    result = parse_text(text, "<fuzz>")
    if FORMATTER is not None:
        _format(text)
    if result.policy is None and getattr(result, "amendment", None) is not None:
        return _amendment(result.amendment, evaluate)
    if result.policy is None:
        if not diag.has_errors(result.diagnostics):
            raise FuzzFailure("the parser gave no policy and no error")
        return "parse"
    found = list(result.diagnostics) + check(result.policy)
    if diag.has_errors(found):
        return "check"
    return _compile_and_run(result.policy, evaluate)


def _amendment(amendment, evaluate: bool) -> str:
    """An amendment applies to the policy it amends (Baotou, for the fuzzer): every version it makes
    goes through the stages a policy does."""
    from dsl.amend import versions

    base = parse_text(SEEDS["baotou_2022.pol"], "baotou_2022.pol").policy
    made, problems = versions(base, [amendment])
    if diag.has_errors(problems):
        return "amend"
    stage = "amend"
    for version in made:
        if diag.has_errors(check(version.policy)):
            return "check"
        stage = _compile_and_run(version.policy, evaluate)
    return stage


def _compile_and_run(policy: n.Policy, evaluate: bool) -> str:
    try:
        python = compile_policy(policy)
    except CompileError as refused:
        if refused.diagnostic.severity != diag.ERROR:
            raise FuzzFailure("a compile refusal that is not an error") from None
        return "compile"
    _imports_only_the_runtime(python)
    module = load_source(python, "fuzz")
    if not evaluate:
        return "import"
    oracle = Interpreter(policy)
    for batch in sample_batches(policy):
        _agree(module, oracle, batch)
    return "evaluate"


def _format(text: str) -> None:
    """Formatting never raises but FormatError, keeps what parses parsing, and settles at once."""
    try:
        once = FORMATTER.format_text(text, "<fuzz>").text
    except FORMATTER.FormatError as refused:
        if refused.diagnostic.severity != diag.ERROR:
            raise FuzzFailure("the formatter refused with no error") from None
        return
    twice = FORMATTER.format_text(once, "<fuzz>").text
    if twice != once:
        raise FuzzFailure("formatting twice differs from formatting once")


def _imports_only_the_runtime(python: str) -> None:
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and (
                node.module != "pol" or [a.name for a in node.names] != ["runtime"])):
            raise FuzzFailure(f"the generated module imports {ast.unparse(node)}")


def _agree(module, oracle: Interpreter, batch: dict) -> None:
    outcomes = []
    for evaluate in (module.evaluate_json, oracle.evaluate_json):
        try:
            result = evaluate(batch)
        except BatchError as refused:
            if "\n" in str(refused):
                raise FuzzFailure(f"a refusal of more than one line: {refused}") from None
            outcomes.append("refused")
            continue
        for applicant in result["applicants"]:
            for award in applicant["awards"]:
                award.pop("why"), award.pop("why_zh")
        outcomes.append(result)
    if outcomes[0] != outcomes[1]:
        raise FuzzFailure("the calculator and the interpreter disagree on "
                          f"{json.dumps(batch, default=str)}:\n{outcomes[0]}\n{outcomes[1]}")


# ---------------------------------------------------------------- batches for any policy

_SAMPLE = {
    "bool": [True, False], "integer": [0, 1, 5, 11, 250], "decimal": ["0", "1.5", "1000"],
    "money": ["0", "0.01", "200000", "20000000", "123456789.99"], "area": ["999.99", "1000"],
    "rate": ["7.05", "0.5"], "year": [2021, 2023, 2026], "text": ["x"],
    "date": ["2020-02-29", "2021-01-01", "2022-08-26", "2023-06-01", "2025-12-31"],
}


def sample_batches(policy: n.Policy, count: int = 3, seed: int = 0) -> list[dict]:
    """A few small batches for a policy: every fact absent, then facts of their types."""
    rng = random.Random(seed)
    period = policy.header.period
    as_of = period.start.isoformat()
    enums = {e.name: [v.code for v in e.values] for e in policy.enumerations}
    batches = [{"as_of": as_of, "applicants": [{"id": "a0"}]}]
    for b in range(count - 1):
        batch: dict = {"as_of": as_of}
        people = []
        for i in range(rng.randint(1, 4)):
            person = {"id": f"a{b}-{i}"}
            for f in policy.facts:
                if f.scope != "applicant" or f.name == "id" or rng.random() < 0.3:
                    continue
                person[f.name] = _sample(f, enums, rng)
            people.append(person)
        for f in policy.facts:
            if f.scope == "batch" and f.name != "as_of" and rng.random() < 0.8:
                batch[f.name] = _sample(f, enums, rng)
        batch["applicants"] = people
        batches.append(batch)
    return batches


def _sample(f: n.Fact, enums: dict, rng: random.Random):
    kind = f.type.kind
    if kind == "enum":
        return rng.choice(enums.get(f.type.enum) or ["x"])
    if kind == "count_map":
        codes = enums.get(f.type.enum) or ["x"]
        return {code: rng.choice([0, 3, 1000]) for code in rng.sample(codes, k=min(len(codes), 2))}
    return rng.choice(_SAMPLE.get(kind, ["x"]))


# ---------------------------------------------------------------- mutating real files

_TOKENS = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+|[^\s"#]+')
_ALPHABET = ('()（）"\\#_-+*%.,:>=<≥ \n\t0123456789aznd万元美元平方米以上达到超过不满及含'
             'when and or not end pay cap of for each full above by at'.split(" ") + ["\u2028", "\u00a0", "і", "\x00"])


def mutate(text: str, rng: random.Random) -> str:
    """One random change: a character flipped, a token dropped, repeated or moved, or deep nesting."""
    tokens = _TOKENS.findall(text) or [text]
    choice = rng.randrange(7)
    if choice == 0 and text:
        at = rng.randrange(len(text))
        return text[:at] + rng.choice(_ALPHABET) + text[at + 1:]
    if choice == 1:
        del tokens[rng.randrange(len(tokens))]
    elif choice == 2:
        at = rng.randrange(len(tokens))
        tokens.insert(at, tokens[at])
    elif choice == 3:
        a, b = rng.randrange(len(tokens)), rng.randrange(len(tokens))
        tokens[a], tokens[b] = tokens[b], tokens[a]
    elif choice == 4:
        return nest(text, rng.choice([50, 150, 199, 200, 201, 400, 1500]), rng.choice(["(", "not ", "- ", "+ x"]))
    elif choice == 5:
        at = rng.randrange(len(tokens))
        tokens[at:at + rng.randint(1, 40)] = []
    else:
        other = rng.choice(list(SEEDS.values()))
        parts = _TOKENS.findall(other)
        at = rng.randrange(len(parts))
        tokens.insert(rng.randrange(len(tokens)), "".join(parts[at:at + rng.randint(1, 30)]))
    return "".join(tokens)


def nest(text: str, depth: int, how: str) -> str:
    """The first condition of the text, nested `depth` deep."""
    match = re.search(r"when (\S+)", text)
    if match is None:
        return text
    inner = match.group(1)
    if how == "(":
        deep = "(" * depth + inner + ")" * depth
    elif how == "+ x":
        deep = " + ".join(["1"] * depth) + " > 0 and " + inner
    else:
        deep = how * depth + inner
    return text[:match.start(1)] + deep + text[match.end(1):]


# ---------------------------------------------------------------- atheris


def test_one_input(data: bytes) -> None:
    """The atheris target: the first bytes pick a seed and how many mutations; the rest seeds them."""
    if len(data) < 2:
        run_one(data.decode("utf-8", "replace"))
        return
    seeds = list(SEEDS.values())
    if data[0] % 4 == 0:  # raw text, for the coverage-guided mutator to shape freely
        run_one(data[1:].decode("utf-8", "replace"), evaluate=False)
        return
    rng = random.Random(data[2:])
    text = seeds[data[1] % len(seeds)]
    for _ in range(1 + data[0] % 3):
        text = mutate(text, rng)
    run_one(text, evaluate=data[0] % 8 == 1)


def main() -> None:
    import atheris

    def target(data: bytes) -> None:
        test_one_input(data)

    atheris.instrument_all()
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()  # libFuzzer prints how many inputs ran ("Done N runs") when its time is up


if __name__ == "__main__":
    main()
