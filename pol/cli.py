"""The `pol` command: check, compile and evaluate policies.

Exit codes follow common practice: 0 success, 1 the input has errors (a policy
that fails its checks, a refused batch), 2 the command was used wrongly.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from dsl import diagnostics as diag
from dsl.checks import check_file

from . import __version__
from .api import PolicyError, compile_file

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# Commands that live in modules of their own under pol/commands: each has
# `register(subparsers)` adding its parser with `set_defaults(run=...)`.
COMMAND_MODULES: tuple[str, ...] = ("test", "docs", "diff", "eval", "fmt")


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
                          description="Write one module per policy into DIR, named after the policy id: "
                                      "ID.py (--target python) or ID.mjs (--target js).")
    comp.add_argument("files", nargs="+", metavar="FILE", type=Path)
    comp.add_argument("-o", "--output", required=True, metavar="DIR", type=Path)
    comp.add_argument("--target", choices=("python", "js"), default="python",
                      help="python (default): the calculator `pol eval` and the API run; js: one ES module "
                           "that evaluates batches in a browser or Node.js, with the same JSON")
    comp.add_argument("--amendments", metavar="DIR", type=Path, action="append", default=[],
                      help="also apply the amendments of the policy found in DIR (may be repeated); by default "
                           "only those beside the policy")
    comp.set_defaults(run=_compile)


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
            compiled = compile_file(path, amendment_dirs=tuple(args.amendments))
            if args.target == "js":
                from compiler.js_gen import javascript_of

                source, suffix = javascript_of(compiled), ".mjs"
            else:
                source, suffix = compiled.python, ".py"
        except PolicyError as error:
            _report(error)
            status = EXIT_ERRORS
            continue
        try:
            args.output.mkdir(parents=True, exist_ok=True)
            target = args.output / f"{compiled.policy_id}{suffix}"
            target.write_text(source, encoding="utf-8")
        except OSError as error:
            print(f"error: cannot write to {args.output}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERRORS
        print(f"{path} -> {target}")
    return status


if __name__ == "__main__":
    sys.exit(main())
