"""The `pol` command: check, compile and evaluate policies.

Exit codes follow common practice: 0 success, 1 the input has errors (a policy
that fails its checks, a refused batch), 2 the command was used wrongly.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from decimal import Decimal
from pathlib import Path

from dsl import diagnostics as diag
from dsl.checks import check_file

from . import __version__
from .api import PolicyError, compile_file, load_source
from .runtime import BatchError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# Commands that live in modules of their own under pol/commands: each has
# `register(subparsers)` adding its parser with `set_defaults(run=...)`.
COMMAND_MODULES: tuple[str, ...] = ()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pol", description="Policy-as-code: check .pol policies, compile them to Python calculators, "
                                "evaluate batches of applicants.")
    parser.add_argument("--version", action="version", version=f"pol {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check policy files and report problems",
                           description="Parse and check policy files. Exit 0 when clean, 1 when any has errors.")
    check.add_argument("files", nargs="+", metavar="FILE", type=Path)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(run=_check)

    comp = sub.add_parser("compile", help="compile policies into Python calculators",
                          description="Write one Python module per policy into DIR, named after the policy id.")
    comp.add_argument("files", nargs="+", metavar="FILE", type=Path)
    comp.add_argument("-o", "--output", required=True, metavar="DIR", type=Path)
    comp.set_defaults(run=_compile)

    ev = sub.add_parser("eval", help="evaluate a batch of applicants",
                        description="Evaluate a batch of applicants (JSON) against a policy.")
    ev.add_argument("file", metavar="FILE", type=Path)
    ev.add_argument("--facts", required=True, metavar="BATCH.json", type=Path,
                    help="the batch: as_of, year, usd_cny_rate and the applicants (use - for standard input)")
    ev.add_argument("--format", choices=("text", "json"), default="text")
    ev.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reasons in text output")
    ev.set_defaults(run=_eval)

    for name in COMMAND_MODULES:
        importlib.import_module(f"pol.commands.{name}").register(sub)
    return parser


# ---------------------------------------------------------------- check


def _check(args) -> int:
    results = []
    for path in args.files:
        parsed, found = check_file(path)
        results.append((path, parsed.source, sorted(found, key=diag.sort_key)))
    errors = sum(1 for _, _, found in results for d in found if d.severity == diag.ERROR)
    if args.format == "json":
        payload = {"files": [{"file": str(p), "diagnostics": [d.to_json() for d in found]} for p, _, found in results],
                   "errors": errors}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for path, source, found in results:
            for d in found:
                print(diag.render(d, source), end="\n\n")
        print(_summary(results, errors))
    return EXIT_ERRORS if errors else EXIT_OK


def _summary(results, errors: int) -> str:
    files = len(results)
    warnings = sum(1 for _, _, found in results for d in found if d.severity == diag.WARNING)
    checked = f"checked {files} file{'s' if files != 1 else ''}"
    if errors:
        failing = sum(1 for _, _, found in results if diag.has_errors(found))
        return (f"Found {errors} error{'s' if errors != 1 else ''} in {failing} "
                f"file{'s' if failing != 1 else ''} ({checked})")
    extra = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    return f"Success: no errors{extra} ({checked})"


def _report(error: PolicyError) -> None:
    for d in sorted(error.diagnostics, key=diag.sort_key):
        if d.severity == diag.ERROR:
            print(diag.render(d, error.source), end="\n\n", file=sys.stderr)


# ---------------------------------------------------------------- compile


def _compile(args) -> int:
    status = EXIT_OK
    for path in args.files:
        try:
            compiled = compile_file(path)
        except PolicyError as error:
            _report(error)
            status = EXIT_ERRORS
            continue
        try:
            args.output.mkdir(parents=True, exist_ok=True)
            target = args.output / f"{compiled.policy_id}.py"
            target.write_text(compiled.python, encoding="utf-8")
        except OSError as error:
            print(f"error: cannot write to {args.output}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERRORS
        print(f"{path} -> {target}")
    return status


# ---------------------------------------------------------------- eval


def _eval(args) -> int:
    try:
        compiled = compile_file(args.file)
    except PolicyError as error:
        _report(error)
        return EXIT_ERRORS
    data = _read_batch(args.facts)
    if isinstance(data, int):
        return data
    module = load_source(compiled.python, compiled.policy_id)
    try:
        result = module.evaluate_json(data)
    except BatchError as error:
        print(f"error: {args.facts}: {error}", file=sys.stderr)
        return EXIT_ERRORS
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(render_text(result, args.lang))
    return EXIT_OK


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _read_batch(path: Path):
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        print(f"error: cannot read {path}: {reason}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, FileNotFoundError) else EXIT_ERRORS
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        print(f"error: {path}:{error.lineno}:{error.colno}: malformed JSON: {error.msg}", file=sys.stderr)
    except ValueError as error:
        print(f"error: {path}: malformed JSON: {error}", file=sys.stderr)
    except RecursionError:
        print(f"error: {path}: malformed JSON: nested too deeply", file=sys.stderr)
    return EXIT_ERRORS


def render_text(result: dict, lang: str = "en") -> str:
    """A readable table: one block per applicant, each award with its reasons."""
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
            for reason in award[why][1:]:
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


if __name__ == "__main__":
    sys.exit(main())
