"""`pol diff`: what changes in the law between two versions of a policy, and the money it moves.

    pol diff OLD.pol NEW.pol [--at DATE]               two files (say, the base branch's and yours)
    pol diff OLD_DIR NEW_DIR                           every policy of two directories, matched by id
    pol diff POLICY.pol --from DATE --to DATE          one policy with its amendments, on two days
    ... [--population BATCH.json] [--format text|json|markdown] [--lang both|en|zh] [--fail-on-change]

A file stands for the policy with its amendments (found by what they declare). Two files
are compared version by version: on each day a version of either begins. With a
population, the batch is evaluated by both sides: the payout per measure and in total,
and every applicant whose amount changes. Exit 0 when it ran, 1 on errors (and, with
`--fail-on-change`, when anything changes), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path

import attrs

from compiler.diff import Change, Report, Section, diff, impact, render_json, render_markdown, render_text
from compiler.python_gen import compile_policy
from dsl import amend
from dsl import diagnostics as diag

from ..api import PolicyError, compile_family, load_source
from ..runtime import BatchError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "diff", help="what changes in the law between two versions of a policy, and the money it moves",
        description="Compare two policy files (OLD NEW), or one policy with its amendments on two days "
                    "(FILE --from DATE --to DATE): the changes measure by measure in words, and with "
                    "--population the payout before and after. Exit 0 when it ran, 1 on errors.")
    p.add_argument("files", nargs="+", metavar="FILE", type=Path,
                   help="OLD NEW (two files, or two directories of policies), or one FILE with --from and --to")
    p.add_argument("--from", dest="since", metavar="DATE", type=_date, help="one file: the earlier day")
    p.add_argument("--to", dest="until", metavar="DATE", type=_date, help="one file: the later day")
    p.add_argument("--at", metavar="DATE", type=_date, help="two files: compare only the versions in force that day")
    p.add_argument("--population", metavar="[ID=]BATCH.json", action="append", default=[],
                   help="a batch to evaluate on both sides (- for standard input); with directories, "
                        "ID=BATCH.json gives the batch of one policy (may be repeated)")
    p.add_argument("--amendments", metavar="DIR", type=Path, action="append", default=[],
                   help="also look for amendments in DIR (may be repeated)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--lang", choices=("both", "en", "zh"), default="both", help="the language of the words")
    p.add_argument("--fail-on-change", action="store_true",
                   help="exit 1 when anything changes, for repositories that gate on it")
    p.set_defaults(run=run)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _usage(message: str) -> int:
    print(f"pol diff: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args) -> int:
    try:
        return _run(args)
    except RecursionError:  # the parser refuses deeper nesting first; never a traceback all the same
        print("error: a policy is nested too deeply to compare", file=sys.stderr)
        return EXIT_ERRORS


def _run(args) -> int:
    one = len(args.files) == 1
    if len(args.files) > 2:
        return _usage("give two files or directories (OLD NEW), or one file with --from and --to")
    if one and (args.since is None or args.until is None):
        return _usage("with one file, give both --from DATE and --to DATE")
    if not one and (args.since is not None or args.until is not None):
        return _usage("--from and --to compare one file on two days; with two files use --at DATE")
    if one and args.at is not None:
        return _usage("--at compares two files; with one file use --from and --to")
    directories = [p.is_dir() for p in args.files]
    if any(directories) and not (len(directories) == 2 and all(directories)):
        return _usage("compare two directories, or two files, not one of each")
    populations = _populations(args.population)
    if isinstance(populations, str):
        return _usage(populations)
    if not any(directories) and set(populations) - {None}:
        return _usage("`--population ID=BATCH.json` names a policy of a directory; with files give BATCH.json")

    if any(directories):
        return _directories(args, populations)
    families = []
    for path in args.files:
        family = _family(path, args)
        if isinstance(family, int):
            return family
        families.append(family)
    args.population = populations.get(None)
    batch = _batch(args.population)
    if isinstance(batch, int):
        return batch
    if one:
        report = _by_dates(args, families[0], batch)
    else:
        report = _by_files(args, families[0], families[1], batch)
    if isinstance(report, int):
        return report
    return _output(args, [report], [])


def _family(path: Path, args) -> amend.Family | int:
    family = amend.load(path, args.amendments)
    if family.has_errors() or not family.versions:
        _report_errors(family)
        return EXIT_ERRORS
    return family


def _populations(given: list[str]) -> dict[str | None, Path] | str:
    """`--population BATCH.json` (for every policy) and `--population ID=BATCH.json` (for one)."""
    found: dict[str | None, Path] = {}
    for text in given:
        ident, sep, rest = text.partition("=")
        key, path = (ident, Path(rest)) if sep and amend.is_name(ident) else (None, Path(text))
        if key in found:
            return f"two populations for {'policy ' + key if key else 'every policy'}"
        found[key] = path
    return found


def _batch(path: Path | None):
    return None if path is None else _read_batch(path)


def _output(args, reports: list[Report], unchanged: list[str]) -> int:
    if args.format == "json":
        if len(args.files) == 2 and all(p.is_dir() for p in args.files):
            payload = {"changed": any(r.changed for r in reports), "policies": [r.to_json() for r in reports],
                       "unchanged": unchanged}
            print(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            print(render_json(reports[0]))
    else:
        render = render_markdown if args.format == "markdown" else render_text
        parts = [render(r, args.lang).rstrip("\n") for r in reports]
        if unchanged:
            names = ", ".join(f"`{u}`" if args.format == "markdown" else u for u in unchanged)
            parts.append(f"Unchanged: {names}" if args.lang != "zh" else f"无变化:{names}")
        print("\n\n".join(parts))
    if args.fail_on_change and any(r.changed for r in reports):
        print("pol diff: the policy changes (--fail-on-change)", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK


def _policies_in(directory: Path) -> dict[str, Path]:
    """The policies of a directory by the id their header declares (amendments and tests are not policies)."""
    found: dict[str, Path] = {}
    for path in sorted(directory.glob("*.pol")):
        header = amend.read_header(path)
        if header is not None and header.kind == "policy":
            found.setdefault(header.name, path)
    return found


def _directories(args, populations: dict) -> int:
    """Every policy of two directories, matched by id: those that change, with their payout."""
    old_dir, new_dir = args.files
    old, new = _policies_in(old_dir), _policies_in(new_dir)
    reports, unchanged = [], []
    for ident in sorted(set(old) | set(new)):
        if ident not in old or ident not in new:
            action = "added" if ident not in old else "removed"
            words = ("new policy", "新政策") if ident not in old else ("removed policy", "删除的政策")
            change = Change(action, None, None, f"policy {ident}", "", f"{words[0]}: {ident}", f"{words[1]}:{ident}")
            where = str(new.get(ident, old.get(ident)))
            reports.append(Report(ident, str(old.get(ident, "(none)")), str(new.get(ident, "(none)")),
                                  (Section(where, where, (change,)),)))
            continue
        families = [_family(path, args) for path in (old[ident], new[ident])]
        if any(isinstance(f, int) for f in families):
            return EXIT_ERRORS
        path = populations.get(ident, populations.get(None))
        batch = _batch(path)
        if isinstance(batch, int):
            return batch
        args.population = path
        report = _by_files(args, families[0], families[1], batch, required=ident in populations)
        if isinstance(report, int):
            return report
        if report.changed:
            reports.append(attrs.evolve(report, old=str(old[ident]), new=str(new[ident])))
        else:
            unchanged.append(ident)
    return _output(args, reports, unchanged)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _read_batch(path: Path):
    """The batch as JSON data, numbers as exact decimals; or the exit code after saying what is wrong."""
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
    except (ValueError, RecursionError) as error:
        print(f"error: {path}: malformed JSON: {error}", file=sys.stderr)
    return EXIT_ERRORS


def _report_errors(family: amend.Family) -> None:
    for path, found in family.diagnostics.items():
        for d in sorted(found, key=diag.sort_key):
            if d.severity == diag.ERROR:
                print(diag.render(d, family.sources.get(path)), end="\n\n", file=sys.stderr)


def _amended(version: amend.Version, since: amend.Version | None = None) -> str:
    """The amendments a version includes that another does not: `with x, y`."""
    names = [name for name in version.names if since is None or name not in since.names]
    return ", ".join(names)


def _by_dates(args, family: amend.Family, batch) -> Report | int:
    old, new = family.on(args.since), family.on(args.until)
    added, dropped = _amended(new, old), _amended(old, new)
    label_en = "; ".join(x for x in (f"amended by {added}" if added else "",
                                     f"without {dropped}" if dropped else "") if x) or "no amendment between the days"
    label_zh = ";".join(x for x in (f"由{added}修订" if added else "",
                                   f"不含{dropped}" if dropped else "") if x) or "两日之间无修订"
    section = Section(label_en, label_zh, tuple(diff(old.policy, new.policy)))
    name = family.policy.header.name
    report = Report(name, f"as in force on {args.since}", f"as in force on {args.until}", (section,),
                    old_zh=f"{args.since}施行的版本", new_zh=f"{args.until}施行的版本")
    if batch is None:
        return report
    modules = [load_source(compile_policy(v.policy), f"{name}_{v.effective}") for v in (old, new)]
    return _with_impact(report, args, modules, batch, (old.policy, new.policy))


def _by_files(args, old: amend.Family, new: amend.Family, batch, required: bool = True) -> Report | int:
    days = [args.at] if args.at is not None else sorted({v.effective for f in (old, new) for v in f.versions})
    sections, previous = [], None
    for day in days:
        a, b = old.on(day), new.on(day)
        changes = tuple(diff(a.policy, b.policy))
        key = tuple(c.en for c in changes)
        if args.at is None and key == previous:
            continue  # the same changes as in the version before: said once
        previous = key
        amended = ", ".join(dict.fromkeys([*a.names, *b.names]))
        label_en = (f"as in force on {day}" if args.at is not None else f"in force from {day}") + \
            (f" (with {amended})" if amended else "")
        label_zh = f"{day}{'施行' if args.at is not None else '起施行'}的版本" + (f"(含{amended})" if amended else "")
        sections.append(Section(label_en, label_zh, changes))
    name = new.policy.header.name
    report = Report(name, str(args.files[0]), str(args.files[1]), tuple(sections))
    if batch is None:
        return report
    modules = []
    for family in (old, new):
        try:
            compiled = compile_family(family)
        except PolicyError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_ERRORS
        modules.append(load_source(compiled.python, compiled.policy_id))
    policies = (old.versions[-1].policy, new.versions[-1].policy, *(v.policy for f in (old, new) for v in f.versions))
    return _with_impact(report, args, modules, batch, policies, required)


def _with_impact(report: Report, args, modules, batch, policies, required: bool = True) -> Report | int:
    outcomes = []
    for module in modules:
        try:
            outcomes.append(module.evaluate_json(batch))
        except BatchError as error:
            outcomes.append(str(error))
    if all(isinstance(o, str) for o in outcomes) and not required:
        return report  # a batch for every policy of a directory, and not one this policy reads
    if all(isinstance(o, str) for o in outcomes):
        for side, message in zip(("before", "after"), outcomes):
            print(f"error: {args.population}: {side}: {message}", file=sys.stderr)
        return EXIT_ERRORS
    applicants = batch.get("applicants") if isinstance(batch, dict) else None
    count = len(applicants) if isinstance(applicants, list) else 0
    found = impact(outcomes[0], outcomes[1], str(args.population), count, policies)
    return attrs.evolve(report, impact=found)
