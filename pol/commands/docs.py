"""`pol docs`: the bilingual documentation pages of policies, as Markdown.

For each policy: `DIR/<id>/index.<lang>.md` (the overview), `clause-NN.<lang>.md`
(one per clause), `form.<lang>.md` (the facts the calculators take), `calculator.<lang>.md`
(a form evaluated in the browser by the policy's JavaScript calculator, amendments
included) and, when the policy has tests, `examples.<lang>.md` (worked examples from its test cases);
and `DIR/index.<lang>.md`, the list of the policies given. The pages of a policy
are replaced whole: pages left from an earlier run that this run did not write
are removed from the policy's directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from compiler.docs_gen import LANGS, Calculator, Page, WorkedExample, render_catalogue, render_policy
from compiler.js_gen import javascript_of
from dsl import diagnostics as diag

from ..api import Compiled, PolicyError, compile_file, load_source
from ..runtime import BatchError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
TEST_SUFFIX = ".test.pol"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "docs", help="write the documentation pages of policies (Markdown, Chinese and English)",
        description="Write the documentation pages of each policy into DIR: an overview, a page per clause, "
                    "the application form, a calculator page that runs in the browser and worked examples from the "
                    "policy's tests, in Chinese and English "
                    "(FILE.zh.md and FILE.en.md, the layout mkdocs-static-i18n builds). Exit 0 when written, "
                    "1 when a policy has errors.")
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="policy files (.pol)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", type=Path)
    parser.add_argument("--lang", type=_languages, default=LANGS, metavar="zh,en",
                        help="the languages to write, comma-separated (default: zh,en)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="how to report what was written")
    parser.add_argument("--amendments", metavar="DIR", type=Path, action="append", default=[],
                        help="also apply the amendments of each policy found in DIR (may be repeated); by default "
                             "only those beside the policy")
    parser.set_defaults(run=run)


def _languages(text: str) -> tuple[str, ...]:
    langs = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown or not langs:
        raise argparse.ArgumentTypeError(f"unknown language {', '.join(unknown) or repr(text)}: choose from "
                                         f"{', '.join(LANGS)}")
    return langs


def run(args) -> int:
    status = EXIT_OK
    compiled: dict[str, tuple[Path, Compiled, Calculator]] = {}
    for path in args.files:
        if path.name.endswith(TEST_SUFFIX):
            print(f"note: {path} holds policy tests; its cases appear as the worked examples of its policy",
                  file=sys.stderr)
            continue
        try:
            result = compile_file(path, amendment_dirs=tuple(args.amendments))
            # The calculator page evaluates with the JavaScript calculator, amendments included.
            calculator = Calculator(javascript_of(result), tuple(v.policy for v in result.versions)
                                    or (result.parsed.policy,))
        except PolicyError as error:
            for d in sorted(error.diagnostics, key=diag.sort_key):
                if d.severity == diag.ERROR:
                    print(diag.render(d, error.source), end="\n\n", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        # An amendment's file stands for the policy it amends: one set of pages per policy.
        compiled.setdefault(result.policy_id, (path, result, calculator))
    if not compiled:
        return status

    written: list[dict] = []
    try:
        for policy_id, (path, result, calculator) in sorted(compiled.items()):
            examples = worked_examples(Path(result.parsed.policy.path), result)
            pages = render_policy(result.parsed.policy, examples, args.lang, calculator)
            _write(args.output, pages, args.output / policy_id, args.lang)
            written.append({"policy": policy_id, "file": str(path), "directory": str(args.output / policy_id),
                            "pages": len(pages), "examples": len(examples)})
        catalogue = render_catalogue([result.parsed.policy for _, result, _ in compiled.values()], args.lang)
        _write(args.output, catalogue, None, args.lang)
    except OSError as error:
        print(f"error: cannot write to {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERRORS

    if args.format == "json":
        print(json.dumps({"output": str(args.output), "policies": written}, ensure_ascii=False, indent=2))
    else:
        for entry in written:
            print(f"{entry['file']} -> {entry['directory']}/ ({entry['pages']} pages, "
                  f"{entry['examples']} worked example{'s' if entry['examples'] != 1 else ''})")
    return status


def _write(root: Path, pages: list[Page], owned: Path | None, langs: tuple[str, ...]) -> None:
    """Write the pages (unchanged files are left alone) and remove stale pages from `owned`."""
    targets = set()
    for page in pages:
        target = root / page.path
        targets.add(target.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != page.text.encode("utf-8"):
            target.write_bytes(page.text.encode("utf-8"))
    if owned is not None and owned.is_dir():
        for old in owned.iterdir():
            if old.is_file() and any(old.name.endswith(f".{lang}.md") for lang in langs) \
                    and old.resolve() not in targets:
                os.remove(old)


def worked_examples(policy_path: Path, compiled: Compiled) -> list[WorkedExample]:
    """The cases of the policy's tests (`*.test.pol` beside it that name it), evaluated.

    A case whose batch is refused shows no amounts, so it is not a worked example.
    """
    try:
        from .. import testing  # the policy tests (`pol test`); absent in an older tree
    except ImportError:
        return []
    calculator = load_source(compiled.python, compiled.policy_id)
    examples = []
    for test_path in sorted(policy_path.parent.glob(f"*{TEST_SUFFIX}")):
        loaded = testing.load(test_path)
        if loaded.broken or loaded.policy_path is None or not _same_file(loaded.policy_path, policy_path):
            continue
        for bound in loaded.cases:
            try:
                result = calculator.evaluate_json(bound.batch)
            except BatchError:
                continue
            description = bound.case.description
            examples.append(WorkedExample(bound.case.name, description.zh if description else None,
                                          description.en if description else None, bound.batch, result))
    return examples


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
