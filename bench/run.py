"""`make bench`: every engine on the same seeded populations, timed in one run.

    python -m bench.run [--sizes 10000,100000,1000000] [--seed 2023]

For each size, one population file is generated (bench.population) and each
engine runs on it in a process of its own (bench.worker): reading (the file to
the engine's input) and evaluating (that input to amounts) are timed, medians
over REPEATS runs, with the process's peak memory. The compiled engines read
with pol's JSON Lines reader (the one `pol eval` uses): the scalar calculator
checks and types each applicant as its line is decoded, the vector one builds
checked columns; the hand-written and OpenFisca versions decode every line with
`json.loads` first, as a programmer without pol would. The amounts, in fen, are then
compared between engines: every applicant whose amounts differ by a fen from
the scalar calculator's is counted, with the measure and an example.

Engines: the full Baotou policy with the scalar and vector calculators, and
clauses (七), (八), (十一) with the scalar and vector calculators (the policy's own
AST, cut to those clauses: bench.three_measures), written by hand in Python
(bench.handwritten), and in OpenFisca-core (bench.openfisca_impl, when installed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.population import write_jsonl

REPO = Path(__file__).resolve().parents[1]
FULL = ("scalar", "vector")
THREE = ("scalar-3", "vector-3", "python-3", "openfisca-3")
REPEATS = {10_000: 5, 100_000: 3, 1_000_000: 3}


def _repeats(n: int) -> int:
    return REPEATS.get(n, 3)


def _worker(engine: str, path: Path, repeats: int, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "bench.worker", engine, str(path), str(repeats), str(out)],
                         capture_output=True, text=True, cwd=REPO, env=env)
    if run.returncode != 0:
        raise SystemExit(f"bench: {engine} failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _differences(reference: np.ndarray, other: np.ndarray, names: list[str]) -> str:
    if reference.shape != other.shape:
        return f"shapes differ: {reference.shape} vs {other.shape}"
    rows = np.flatnonzero((reference != other).any(axis=1))
    if not len(rows):
        return ""
    by_measure = ", ".join(f"{name} {int((reference[:, k] != other[:, k]).sum()):,}" for k, name in enumerate(names)
                           if (reference[:, k] != other[:, k]).any())
    i = int(rows[0])
    k = int(np.flatnonzero(reference[i] != other[i])[0])
    return (f"{len(rows):,} applicants differ ({by_measure}); e.g. applicant #{i + 1} {names[k]}: "
            f"{reference[i, k] / 100:.2f} vs {other[i, k] / 100:.2f}")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--engines", default=",".join(FULL + THREE), help="a comma-separated subset")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = args.engines.split(",")
    engines = [e for e in FULL + THREE if e in wanted
               and (e != "openfisca-3" or importlib.util.find_spec("openfisca_core"))]
    if "openfisca-3" not in engines:
        print("OpenFisca-core is not installed (pip install '.[bench]'): benchmarking without it\n")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"{platform.machine()}; seed {args.seed}\n")
    flags, ratios = [], []
    print("| N | engine | read s | evaluate s | total s | speed-up vs scalar | peak memory | runs |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = write_jsonl(Path(tmp) / f"population_{n}.jsonl", n, args.seed)
            found: dict[str, dict] = {}
            amounts: dict[str, np.ndarray] = {}
            for engine in engines:
                out = Path(tmp) / f"{engine}_{n}.npy"
                found[engine] = _worker(engine, path, _repeats(n), out)
                amounts[engine] = np.load(out)
                print(f"  n={n:,} {engine}: {found[engine]['total']:.2f} s", file=sys.stderr)
            for group, reference in ((FULL, "scalar"), (THREE, "scalar-3")):
                for engine in group:
                    if engine not in found:
                        continue
                    f = found[engine]
                    speedup = f"{found[reference]['total'] / f['total']:.1f}x" if reference in found else "-"
                    row = (f"{n:,}", engine, f"{f['read']:.3f}", f"{f['evaluate']:.3f}", f"{f['total']:.3f}",
                           speedup, _mb(f["peak_bytes"]), str(f["repeats"]))
                    print("| " + " | ".join(row) + " |", flush=True)
                    if engine != reference and reference in found:
                        diff = _differences(amounts[reference], amounts[engine], found[engine]["measures"])
                        if diff:
                            flags.append(f"n={n:,} {engine} vs {reference}: {diff}")
            t = {e: found[e] for e in found}
            ratios.append((n, t))
    print()
    print("Ratios (medians, same run, same data):")
    for n, t in ratios:
        line = [f"N={n:,}"]
        if {"scalar-3", "python-3"} <= t.keys():
            line.append(f"scalar-3/python-3 total {t['scalar-3']['total'] / t['python-3']['total']:.2f}x")
        if {"scalar", "vector"} <= t.keys():
            line.append(f"scalar/vector evaluate {t['scalar']['evaluate'] / t['vector']['evaluate']:.0f}x, "
                        f"total {t['scalar']['total'] / t['vector']['total']:.1f}x")
        if {"openfisca-3", "vector-3"} <= t.keys():
            line.append(f"openfisca-3/vector-3 evaluate {t['openfisca-3']['evaluate'] / t['vector-3']['evaluate']:.1f}x,"
                        f" total {t['openfisca-3']['total'] / t['vector-3']['total']:.1f}x")
        print("  " + line[0] + ": " + "; ".join(line[1:]))
    print()
    if flags:
        print("Differences by a fen or more (the scalar calculator is the reference):")
        for flag in flags:
            print(f"  {flag}")
    else:
        print("No engine differs from the scalar calculator by a fen.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
