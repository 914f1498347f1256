"""One engine, one population file, in a process of its own: times, peak memory and the amounts.

    python -m bench.worker ENGINE POPULATION.jsonl REPEATS OUT.npy

Prints one JSON line: the median seconds of reading (the file to the engine's
input) and of evaluating (that input to results), the peak resident memory of
the process, and saves the amounts in fen (one row per applicant) to OUT.npy.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
THREE = ("M7", "M8", "M11a", "M11b")


def _records(path: Path) -> tuple[dict, list[dict]]:
    with open(path, encoding="utf-8") as fh:
        batch = json.loads(fh.readline(), parse_float=Decimal)
        return batch, [json.loads(line, parse_float=Decimal) for line in fh]


def _streamed(path: Path, spec) -> dict:
    """The batch as the scalar calculator reads it from JSON Lines: with pol's own reader (the one
    `pol eval` uses), its applicants one line at a time, checked as they come."""
    from pol import batchio

    stream = batchio.Source(path, "jsonl").open(spec)
    return {**stream.batch_data(), "applicants": (raw for _, raw in stream.records())}


def _scalar_amounts(result, names) -> np.ndarray:
    out = np.zeros((len(result.applicants), len(names)), np.int64)
    column = {name: k for k, name in enumerate(names)}
    for i, applicant in enumerate(result.applicants):
        for award in applicant.awards:
            out[i, column[award.measure]] = int(award.amount * 100)
    return out


def _vector_amounts(result, names) -> np.ndarray:
    return np.stack([result.amount[name] for name in names], axis=1)


def engine(name: str):
    """(read(path) -> input, evaluate(input) -> result, amounts(result) -> array in fen, measure names).

    Only `read` and `evaluate` are timed: taking the amounts out of a result for the comparison is not."""
    if name in ("scalar", "vector"):
        from pol.api import compile_file, load_source
        from pol.commands.eval import Evaluation

        from bench.population import BATCH
        from pol.vector_runtime import version_of

        compiled = compile_file(BAOTOU)
        module = load_source(compiled.python, compiled.policy_id)
        as_of = __import__("datetime").date.fromisoformat(BATCH["as_of"])
        names = [m.name for m in version_of(module.SPEC, as_of)[1].measures]  # the version in force
        if name == "scalar":
            def read(path):
                return module.read(_streamed(path, module.SPEC))
            return read, lambda typed: module.evaluate(*typed), lambda r: _scalar_amounts(r, names), names
        evaluation = Evaluation(compiled, module)
        vector = evaluation.vector_module()
        return (_vector_reader(evaluation), lambda data: vector.evaluate(module.SPEC, *data),
                lambda r: _vector_amounts(r, names), names)
    if name in ("scalar-3", "vector-3"):
        from bench.three_measures import modules

        scalar, vector = modules()
        if name == "scalar-3":
            def read3(path):
                return scalar.read(_streamed(path, scalar.SPEC))
            return read3, lambda typed: scalar.evaluate(*typed), lambda r: _scalar_amounts(r, THREE), THREE
        from pol.commands.eval import Evaluation

        evaluation = Evaluation(None, scalar)
        return (_vector_reader(evaluation), lambda data: vector.evaluate(scalar.SPEC, *data),
                lambda r: _vector_amounts(r, THREE), THREE)
    if name == "python-3":
        from bench import handwritten

        return _records, lambda data: handwritten.evaluate(*data), lambda r: np.array(r, dtype=np.int64), THREE
    if name == "openfisca-3":
        from bench import openfisca_impl

        tbs = openfisca_impl.system()

        def read_of(path):
            batch, applicants = _records(path)
            return openfisca_impl.inputs(batch, applicants)
        return read_of, lambda columns: openfisca_impl.evaluate(tbs, columns), openfisca_impl.amounts, THREE
    raise SystemExit(f"unknown engine {name}")


def _vector_reader(evaluation):
    from pol import batchio

    def read(path):
        stream = batchio.Source(path, "jsonl").open(evaluation.scalar.SPEC)
        builder = batchio.ColumnBuilder(evaluation._reading_spec(stream))
        batch, population = evaluation._rows(stream, stream.records(), builder)
        return batch, population
    return read


def main(argv: list[str]) -> int:
    name, path, repeats, out = argv[0], Path(argv[1]), int(argv[2]), Path(argv[3])
    read, evaluate, amounts_of, names = engine(name)
    read_times, eval_times = [], []
    amounts = None
    for _ in range(repeats):
        data = result = None
        gc.collect()
        start = time.perf_counter()
        data = read(path)
        middle = time.perf_counter()
        result = evaluate(data)
        end = time.perf_counter()
        read_times.append(middle - start)
        eval_times.append(end - middle)
        amounts = amounts_of(result)
    np.save(out, amounts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"engine": name, "read": statistics.median(read_times), "evaluate": statistics.median(eval_times),
                      "total": statistics.median(r + e for r, e in zip(read_times, eval_times)),
                      "peak_bytes": peak, "measures": list(names), "repeats": repeats}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
