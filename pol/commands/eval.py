"""`pol eval`: evaluate a batch of applicants, from JSON, JSON Lines or CSV, with either engine.

Two engines compute the same results, to the fen. The scalar calculator
(`compiler.python_gen`) evaluates one applicant at a time in Decimal and
explains every amount (`why`). The vector calculator (`compiler.vector_gen`)
evaluates every applicant at once over numpy columns in exact integer
arithmetic and gives amounts, statuses and shares without the explanations.
`--engine auto` uses the scalar one for small batches and the vector one from
AUTO_MIN_APPLICANTS on, where it is faster (`make bench` measures both) — but only
for the formats without reasons (jsonl, csv): `text` and `json` keep the contract
that every award explains itself, so auto means scalar there.

A batch is read as a stream: JSON Lines and CSV line by line, the JSON document
applicant by applicant, into typed columns for the vector engine. A refused
applicant is reported with its line; the batch is refused whole.
"""

from __future__ import annotations

import itertools
import json
import sys
from decimal import Decimal
from pathlib import Path

from dsl import diagnostics as diag

from .. import batchio
from ..api import PolicyError, compile_file, load_source
from ..batchio import ColumnBuilder, InputError, Progress, RowError, Source
from ..runtime import BatchError, PolicySpec, _version_for
from ..vector_runtime import NeededError, VectorFallback, money_text

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# From this many applicants on, `--engine auto` evaluates with the vector engine. The whole
# `pol eval baotou_2022.pol --format jsonl` of 2,000 applicants takes 0.49 s with the scalar
# engine (which writes the reasons) and 0.45 s with the vector one; of 500, 0.45 and 0.41 s;
# of 20,000, 2.1 and 0.87 s. Below 2,000 the difference is a few hundredths of a second, and
# the scalar output carries the reasons.
AUTO_MIN_APPLICANTS = 2000

_PROGRESS_EVERY = 4096


def register(subparsers) -> None:
    ev = subparsers.add_parser(
        "eval", help="evaluate a batch of applicants",
        description="Evaluate a batch of applicants (JSON, JSON Lines or CSV) against a policy.")
    ev.add_argument("file", metavar="FILE", type=Path)
    ev.add_argument("--facts", required=True, metavar="BATCH", type=Path,
                    help="the batch: as_of, year, usd_cny_rate and the applicants (use - for standard input)")
    ev.add_argument("--input-format", choices=batchio.FORMATS, default=None,
                    help="the batch's format (default: from its extension, .json, .jsonl/.ndjson or .csv; "
                         "json for standard input)")
    ev.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                    help="a batch fact, e.g. --set as_of=2023-12-31 (how a CSV batch gets its batch facts; "
                         "overrides the batch's own)")
    ev.add_argument("--format", choices=("text", "json", "jsonl", "csv"), default="text",
                    help="text (default), json, jsonl (a summary line, then one applicant a line) or csv "
                         "(one applicant a row)")
    ev.add_argument("-o", "--output", metavar="OUT", type=Path, default=None,
                    help="write the results to OUT instead of standard output")
    ev.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reasons in text output")
    ev.add_argument("--engine", choices=("auto", "scalar", "vector"), default="auto",
                    help=f"scalar: one applicant at a time, with reasons; vector: all at once over columns, "
                         f"no reasons; auto (default): for jsonl and csv output, vector from "
                         f"{AUTO_MIN_APPLICANTS:,} applicants on; for text and json (which carry the reasons), scalar")
    ev.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no notes on standard error")
    ev.add_argument("--amendments", metavar="DIR", type=Path, action="append", default=[],
                    help="also apply the amendments of the policy found in DIR (may be repeated); by default "
                         "only those beside the policy")
    ev.set_defaults(run=run)


def _engine(asked: str, output_format: str) -> str:
    """`auto` never drops the reasons of an output that carries them."""
    if asked == "auto" and output_format in REASONED_FORMATS:
        return "scalar"
    return asked


REASONED_FORMATS = ("text", "json")


def run(args) -> int:
    try:
        compiled = compile_file(args.file, amendment_dirs=tuple(args.amendments))
    except PolicyError as error:
        for d in sorted(error.diagnostics, key=diag.sort_key):
            if d.severity == diag.ERROR:
                print(diag.render(d, error.source), end="\n\n", file=sys.stderr)
        return EXIT_ERRORS
    scalar = load_source(compiled.python, compiled.policy_id)
    progress = Progress(enabled=False if args.quiet else None)
    evaluation = Evaluation(compiled, scalar, progress, note=None if args.quiet else _note)
    try:
        source = Source(args.facts, batchio.format_of(args.facts, args.input_format),
                        batchio.set_values(scalar.SPEC, args.sets))
        outcome = evaluation.run(source, _engine(args.engine, args.format))
    except InputError as error:
        progress.done()
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except RowError as error:
        progress.done()
        where = f"{args.facts}:{error.line}" if error.line is not None else f"{args.facts}"
        print(f"error: {where}: {error}", file=sys.stderr)
        return EXIT_ERRORS
    except BatchError as error:
        progress.done()
        print(f"error: {args.facts}: {error}", file=sys.stderr)
        return EXIT_ERRORS
    try:
        _write(args, outcome, progress)
    except BrokenPipeError:
        raise  # the reader stopped early (`| head`): pol.cli.main ends quietly
    except OSError as error:
        progress.done()
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERRORS
    progress.done()
    return EXIT_OK


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


# ---------------------------------------------------------------- evaluating


class Outcome:
    """What an engine gave: the scalar result dict, or the vector result (no reasons)."""

    def __init__(self, spec: PolicySpec, scalar: dict | None = None, vector=None):
        self.spec = spec
        self.scalar = scalar
        self.vector = vector
        self.engine = "scalar" if scalar is not None else "vector"

    @property
    def n(self) -> int:
        return len(self.scalar["applicants"]) if self.scalar is not None else self.vector.population.n

    def head(self) -> dict:
        if self.scalar is not None:
            return {k: self.scalar[k] for k in ("policy", "as_of", "year")}
        return self.vector.head_json()

    def applicants(self):
        return iter(self.scalar["applicants"]) if self.scalar is not None else self.vector.applicants()

    def pools(self) -> list:
        return self.scalar["pools"] if self.scalar is not None else self.vector.pools_json()

    def total(self) -> str:
        return self.scalar["total"] if self.scalar is not None else money_text(self.vector.total())

    def to_json(self) -> dict:
        return self.scalar if self.scalar is not None else self.vector.to_json()


class Evaluation:
    """Read a source and evaluate it with the engine chosen; the same steps for the CLI and the benchmark."""

    def __init__(self, compiled, scalar, progress: Progress | None = None, note=None):
        self.compiled = compiled
        self.scalar = scalar
        self.progress = progress or Progress(enabled=False)
        self.note = note or (lambda text: None)
        self._vector_module = None

    def vector_module(self):
        if self._vector_module is None:
            from compiler.vector_gen import compile_vector

            c = self.compiled
            source = compile_vector(c.parsed.policy, versions=c.versions)
            self._vector_module = load_source(source, f"{c.policy_id}_vector")
        return self._vector_module

    def run(self, source: Source, engine: str = "auto") -> Outcome:
        spec = self.scalar.SPEC
        stream = source.open(spec)
        records = self._read(stream)
        buffer = list(itertools.islice(records, AUTO_MIN_APPLICANTS)) if engine == "auto" else []
        small = engine == "auto" and len(buffer) < AUTO_MIN_APPLICANTS
        if engine == "scalar" or small:
            return self._scalar(stream, itertools.chain(buffer, records))
        try:
            module = self.vector_module()
            return self._vector(stream, itertools.chain(buffer, records), module)
        except VectorFallback as reason:
            self.progress.done()
            self.note(f"{reason}; evaluating with the scalar engine")
            stream = source.open(spec)
            return self._scalar(stream, self._read(stream))

    def _read(self, stream):
        total = stream.total_bytes
        try:
            for count, item in enumerate(stream.records(), start=1):
                if count % _PROGRESS_EVERY == 0:
                    self.progress.update("reading", stream.read_bytes, total, "applicants")
                yield item
        except (OSError, UnicodeDecodeError) as error:  # a file that stops being readable part way
            raise batchio.unreadable(stream.source.path, error) from None

    def _reading_spec(self, stream) -> PolicySpec:
        """The version of the policy the batch is read with (the one in force on its as_of)."""
        spec = self.scalar.SPEC
        if not spec.versions:
            return spec
        return _version_for(spec.versions, stream.batch_data()).spec

    def _check_batch(self, stream):
        """The batch facts, checked and typed by the scalar reader (its refusals, its defaults)."""
        batch, _ = self.scalar.read(stream.batch_data())
        return batch

    def _rows(self, stream, records, builder: ColumnBuilder):
        """Feed every applicant to the builder; a refused row yields to a malformed document or a bad batch."""
        try:
            if stream.fmt != "json":
                self._check_batch(stream)
            for line, raw in records:
                builder.add(raw, line)
            population = builder.finish()
        except RowError:
            if stream.fmt == "json":
                stream.finish_scan()  # a syntax error further on, or a bad batch fact, comes first
                self._check_batch(stream)
            raise
        batch = self._check_batch(stream)
        builder.require_rates(population, {f.name: getattr(batch, f.name) for f in builder.spec.facts
                                           if f.scope == "batch"})
        return batch, population

    def _vector(self, stream, records, module) -> Outcome:
        records = self._settled(stream, records)
        builder = ColumnBuilder(self._reading_spec(stream))
        batch, population = self._rows(stream, records, builder)
        self.progress.update("evaluating", 0, None)
        try:
            result = module.evaluate(self.scalar.SPEC, batch, population)
        except NeededError as error:
            raise RowError(str(error), error.code, builder.line_of(error.row)) from None
        return Outcome(self.scalar.SPEC, vector=result)

    def _scalar(self, stream, records) -> Outcome:
        records = list(self._settled(stream, records))
        builder = ColumnBuilder(self._reading_spec(stream))
        try:
            self._rows(stream, iter(records), builder)  # the refusals, with their lines
        except VectorFallback:
            pass  # a value the columns cannot hold: the scalar reader below checks it
        data = stream.batch_data()
        if isinstance(data, dict) and isinstance(data.get("applicants"), list):
            data["applicants"] = [raw for _, raw in records]
        self.progress.update("evaluating", 0, None)
        try:
            result = self.scalar.evaluate_json(data)
        except BatchError as error:
            raise RowError(str(error), error.code, _line_of_named(str(error), records)) from None
        return Outcome(self.scalar.SPEC, scalar=result)

    def _settled(self, stream, records):
        """The records, all read first when the batch's version is not known before them (JSON with
        `as_of` after the applicants, for an amended policy)."""
        if stream.fmt != "json" or not self.scalar.SPEC.versions or "as_of" in stream.batch_data():
            return records
        return iter(list(records))


def _line_of_named(message: str, records: list) -> int | None:
    """The line of the applicant a refusal names (`applicant "ID": ...`), when the id is shown whole."""
    if not message.startswith('applicant "'):
        return None
    shown = message[len("applicant "):].split(": ", 1)[0]
    try:
        ident = json.loads(shown)
    except ValueError:
        return None
    return next((line for line, raw in records if isinstance(raw, dict) and raw.get("id") == ident), None)


# ---------------------------------------------------------------- writing


def _write(args, outcome: Outcome, progress: Progress) -> None:
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        applicants = _counted(outcome.applicants(), outcome.n, progress)
        if args.format == "json":
            # json.dumps(..., indent=2) byte for byte, streamed, without Python's slow indenting encoder
            batchio.write_json(out, outcome.head(), applicants, outcome.pools(), outcome.total())
        elif args.format == "jsonl":
            batchio.write_jsonl(out, outcome.head(), applicants, outcome.pools(), outcome.total())
        elif args.format == "csv":
            batchio.write_csv(out, outcome.spec, applicants)
        else:
            out.write(render_text(outcome.to_json(), args.lang) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


def _counted(applicants, total: int, progress: Progress):
    for count, entry in enumerate(applicants, start=1):
        if count % _PROGRESS_EVERY == 0:
            progress.update("writing", count, total)
        yield entry


def render_text(result: dict, lang: str = "en") -> str:
    """A readable table: one block per applicant, each award with its reasons (when the engine gave them)."""
    why = "why" if lang == "en" else "why_zh"
    year = f" · award year {result['year']}" if result.get("year") is not None else ""
    lines = [f"{result['policy']} · as of {result['as_of']}{year}", ""]
    for applicant in result["applicants"]:
        lines.append(f"{applicant['id']}  total {_money(applicant['total'])}")
        if not applicant["awards"]:
            lines.append("  no measure applies")
        for award in applicant["awards"]:
            share = f"city share {_money(award['city_share'])}" if award["city_share"] is not None else "settlement"
            payee = award["payee"] if award["payee"] == "applicant" else f"county {award['payee_county']}"
            lines.append(f"  {award['measure']:<6} {award['status']:<15} {_money(award['amount']):>16}  "
                         f"to {payee}, {share}")
            for reason in award.get(why, [])[1:]:
                lines.append(f"           {reason}")
        lines.append("")
    if result["pools"]:
        lines.append("Pools")
        for pool in result["pools"]:
            lines.append(f"  {pool['measure']:<6} {pool['pool']:<16} used {_money(pool['used'])} "
                         f"of {_money(pool['limit'])}")
        lines.append("")
    lines.append(f"Total paid: {_money(result['total'])}")
    return "\n".join(lines)


def _money(text: str) -> str:
    return f"{Decimal(text):,.2f}"
