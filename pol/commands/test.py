"""`pol test`: run the policy tests (`*.test.pol`) and, on request, report clause coverage."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .. import testing
from ..coverage import percent


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "test", help="run the policy tests (*.test.pol)",
        description="Run every case of the policy test files (*.test.pol) under PATH against the compiled "
                    "calculators. Exit 0 when all pass, 1 when a case fails (or coverage is below --fail-under), "
                    "2 when a test file is broken.")
    parser.add_argument("paths", nargs="*", metavar="PATH", type=Path,
                        help="test files or directories to search for *.test.pol (default: policies/)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--junit", metavar="FILE", type=Path, help="also write the results as JUnit XML to FILE")
    parser.add_argument("--coverage", action="store_true",
                        help="report which conditions, table rows, caps, pools, rankings and groups the cases "
                             "exercise")
    parser.add_argument("--fail-under", metavar="N", type=_percent,
                        help="exit 1 when the total coverage of a policy is below N percent (implies --coverage)")
    parser.add_argument("--amendments", metavar="DIR", type=Path, action="append", default=[],
                        help="also apply the amendments of each policy found in DIR (may be repeated); by default "
                             "those beside the policy and beside the test file")
    parser.set_defaults(run=run)


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage from 0 to 100")
    return value


def run(args) -> int:
    paths = args.paths or [Path("policies")]
    coverage = args.coverage or args.fail_under is not None
    report = testing.run(paths, coverage=coverage, amendment_dirs=args.amendments)
    if not report.files and not report.problems:
        print(f"error: no policy tests (*{testing.SUFFIX}) under {', '.join(map(str, paths))}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(testing.render_json(report))
    else:
        print(testing.render_text(report))
        if args.fail_under is not None and report.coverage is not None:
            for cov in report.coverage:
                if not cov.reaches(args.fail_under):
                    covered, total = cov.totals()
                    print(f"Coverage of {cov.policy} is {percent(covered, total)} ({covered} of {total} outcomes), "
                          f"below --fail-under {args.fail_under}%")
    if args.junit is not None:
        try:
            args.junit.parent.mkdir(parents=True, exist_ok=True)
            args.junit.write_text(testing.junit_xml(report), encoding="utf-8")
        except OSError as error:
            print(f"error: cannot write {args.junit}: {error.strerror or error}", file=sys.stderr)
            return max(report.exit_code(args.fail_under), 1)
    return report.exit_code(args.fail_under)
