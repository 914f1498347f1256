"""`pol fmt`: lay out `.pol` files the one canonical way, keeping their comments and their meaning.

    pol fmt FILE|DIR...            rewrite the files that are not in canonical layout
    pol fmt --check FILE|DIR...    change nothing; exit 1 if any file would change (for CI)
    pol fmt --diff ...             also print what would change, as a unified diff
    pol fmt -                      format standard input to standard output

A directory stands for the `.pol` files under it. Policy test files (`*.test.pol`, which
begin `tests for`) have a grammar of their own and are left as they are. Exit 0 when every
file is (or now is) formatted, 1 when a file cannot be read or parsed or, with --check,
would change, 2 on a usage error.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from dsl import diagnostics as diag
from dsl.fmt import FormatError, format_text, is_test_file

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fmt", help="lay out policy files the canonical way",
        description="Rewrite .pol files in the one canonical layout, keeping comments and meaning. "
                    "With --check, change nothing and exit 1 if a file would change.")
    p.add_argument("files", nargs="+", metavar="FILE", help="files or directories; - reads standard input")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if any file would change")
    p.add_argument("--diff", action="store_true", help="print what would change, as a unified diff")
    p.set_defaults(run=run)


def _files(given: list[str]) -> tuple[list[Path], list[str]]:
    files, missing = [], []
    for name in given:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.pol") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(name)
    return list(dict.fromkeys(files)), missing


def run(args) -> int:
    if "-" in args.files:
        if len(args.files) > 1:
            print("pol fmt: error: `-` (standard input) cannot be mixed with files", file=sys.stderr)
            return EXIT_USAGE
        return _stdin(args)
    files, missing = _files(args.files)
    status = EXIT_OK
    for name in missing:
        print(f"error: cannot read `{name}`: no such file or directory", file=sys.stderr)
        status = EXIT_ERRORS
    changed = unchanged = skipped = failed = 0
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            print(f"error: cannot read `{path}`: {reason}", file=sys.stderr)
            failed += 1
            continue
        if is_test_file(source):
            skipped += 1
            continue
        try:
            result = format_text(source, str(path))
        except FormatError as error:
            print(diag.render(error.diagnostic, source), end="\n\n", file=sys.stderr)
            failed += 1
            continue
        if not result.changed:
            unchanged += 1
            continue
        changed += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(source.splitlines(keepends=True),
                                                       result.text.splitlines(keepends=True),
                                                       str(path), f"{path} (formatted)"))
        if args.check:
            print(f"would reformat {path}")
            continue
        try:
            path.write_text(result.text, encoding="utf-8")
        except OSError as error:
            print(f"error: cannot write `{path}`: {error.strerror or error}", file=sys.stderr)
            failed += 1
            continue
        print(f"reformatted {path}")
    print(_summary(changed, unchanged, skipped, failed, args.check), file=sys.stderr)
    if failed or (args.check and changed):
        return EXIT_ERRORS
    return status


def _summary(changed: int, unchanged: int, skipped: int, failed: int, check: bool) -> str:
    def count(number: int, what: str) -> str:
        return f"{number} file{'s' if number != 1 else ''} {what}"

    parts = [count(changed, "would be reformatted" if check else "reformatted"), count(unchanged, "left unchanged")]
    if skipped:
        parts.append(count(skipped, "skipped (policy tests)"))
    if failed:
        parts.append(count(failed, "could not be formatted"))
    return ", ".join(parts)


def _stdin(args) -> int:
    source = sys.stdin.read()
    if is_test_file(source):
        sys.stdout.write(source)
        return EXIT_OK
    try:
        result = format_text(source, "-")
    except FormatError as error:
        print(diag.render(error.diagnostic, source), end="\n\n", file=sys.stderr)
        return EXIT_ERRORS
    if args.diff:
        sys.stdout.writelines(difflib.unified_diff(source.splitlines(keepends=True),
                                                   result.text.splitlines(keepends=True), "-", "- (formatted)"))
    elif not args.check:
        sys.stdout.write(result.text)
    return EXIT_ERRORS if args.check and result.changed else EXIT_OK
