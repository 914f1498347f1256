"""Run policy tests (`*.test.pol`) against the compiled calculators.

A test file names its policy (`tests for baotou_2022`: the file `baotou_2022.pol`
beside it; or a quoted path). The policy is compiled with its amendments: those
beside the policy, those beside the test file (so that the tests of an amendment
kept elsewhere sit with it) and those of any directory the caller names. Loading a
test file parses it, compiles the policy and binds every case to it (names and
values checked: a mistake is a diagnostic, and the file is broken). Running a
case evaluates its batch and compares every expectation; a failure carries the
expectation's place, what was expected, what came out and the award's explanation.
`pol test` and the pytest plugin both use this module.
"""

from __future__ import annotations

import json
import os
import types
from decimal import Decimal
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

import attrs

from dsl import case_nodes as cn
from dsl import diagnostics as diag
from dsl import nodes as n
from dsl.cases import BoundCase, bind, parse_cases_file

from . import runtime
from .api import PolicyError, compile_file, load_source
from .coverage import PolicyCoverage, Recorder

SUFFIX = ".test.pol"


# ---------------------------------------------------------------- loading


@attrs.frozen
class LoadedFile:
    path: str
    cases: tuple[BoundCase, ...]
    diagnostics: tuple[diag.Diagnostic, ...]
    sources: dict  # file -> text, to show the lines diagnostics and failures point at
    policy_path: str | None = None
    policy: n.Policy | None = None
    calculator: types.ModuleType | None = None
    notes: tuple[diag.Diagnostic, ...] = ()  # the policy's own warnings and notes
    versions: tuple = ()  # `dsl.amend.Version`s when amendments change the policy, oldest first
    compiled_key: tuple | None = None  # the policy with the amendments it was compiled with (`compiled_key`)

    @property
    def broken(self) -> bool:
        return diag.has_errors(self.diagnostics)

    @property
    def policy_label(self) -> str:
        """The policy file, and the amendments applied from elsewhere than its own directory."""
        own = Path(self.policy_path).parent.resolve()
        names = dict.fromkeys(a.path for v in self.versions for a in v.amendments
                              if Path(a.path).parent.resolve() != own)
        return self.policy_path + (" with " + ", ".join(names) if names else "")


def load(path: str | Path, compiled_cache: dict | None = None,
         amendment_dirs: Iterable[str | Path] = ()) -> LoadedFile:
    """Parse a test file, compile its policy and bind the cases; never raises on bad input.

    The policy comes with the amendments beside it, beside the test file and in `amendment_dirs`.
    """
    path = str(path)
    parsed = parse_cases_file(path)
    sources = {path: parsed.source}
    if parsed.cases is None or diag.has_errors(parsed.diagnostics):
        return LoadedFile(path, (), tuple(parsed.diagnostics), sources)
    policy_path, problem = _policy_path(parsed.cases, path)
    if problem is not None:
        return LoadedFile(path, (), (*parsed.diagnostics, problem), sources)
    cache = compiled_cache if compiled_cache is not None else {}
    dirs = _other_dirs(policy_path, [Path(path).parent, *amendment_dirs])
    key = compiled_key(policy_path, dirs)
    if key not in cache:
        try:
            cache[key] = compile_file(policy_path, amendment_dirs=dirs)
        except PolicyError as error:
            cache[key] = error
    compiled = cache[key]
    if isinstance(compiled, PolicyError):
        sources[policy_path] = compiled.source
        errors = [d for d in compiled.diagnostics if d.severity == diag.ERROR]
        return LoadedFile(path, (), (*parsed.diagnostics, *errors), sources, policy_path)
    policy = compiled.parsed.policy
    sources[policy_path] = compiled.parsed.source
    versions = tuple(getattr(compiled, "versions", ()))
    bound, found = bind(parsed.cases, policy, runtime.REFUSALS, [version.policy for version in versions])
    found = sorted([*parsed.diagnostics, *found], key=diag.sort_key)
    if diag.has_errors(found):  # a broken file runs none of its cases, not even the sound ones
        return LoadedFile(path, (), tuple(found), sources, policy_path, policy)
    return LoadedFile(path, tuple(bound), tuple(found), sources, policy_path, policy,
                      load_source(compiled.python, compiled.policy_id), tuple(compiled.diagnostics), versions, key)


def _other_dirs(policy_path: str, dirs: Iterable[str | Path]) -> tuple[str, ...]:
    """The directories to look for amendments in besides the policy's own, each once, in order."""
    own = Path(policy_path).parent.resolve()
    found: dict[Path, str] = {}
    for d in dirs:
        resolved = Path(d).resolve()
        if resolved != own:
            found.setdefault(resolved, str(d))
    return tuple(found.values())


def compiled_key(policy_path: str | Path, amendment_dirs: tuple[str, ...] = ()) -> tuple:
    """The key of a compiled policy in `load`'s cache: the policy with the amendments of these directories."""
    return str(policy_path), tuple(str(Path(d).resolve()) for d in amendment_dirs)


def _policy_path(cases: cn.CaseFile, path: str) -> tuple[str | None, diag.Diagnostic | None]:
    """The policy a test file names: `tests for ID` is ID.pol beside it; a quoted path is relative to it."""
    here = Path(path).parent
    target = cases.target
    if target.path is not None:
        candidate = Path(os.path.normpath(here / target.path))  # `../../policies/x.pol` shown as `policies/x.pol`
        if candidate.is_file():
            return str(candidate), None
        return None, diag.make("io", target.span, path=str(candidate), reason="no such file")
    candidate = here / f"{target.policy_id}.pol"
    if candidate.is_file():
        return str(candidate), None
    beside = [p.name[:-len(".pol")] for p in here.glob("*.pol") if not p.name.endswith(SUFFIX)]
    hint = diag.did_you_mean(target.policy_id, beside) or (
        f"`tests for ID` looks for the file `ID.pol` beside this one, here `{candidate}`")
    return None, diag.make("undefined-name", target.span, what="policy", name=target.policy_id, hint=hint)


def find(paths: Iterable[str | Path]) -> tuple[list[str], list[diag.Diagnostic]]:
    """The test files under the given files and directories, in a stable order."""
    files: list[str] = []
    problems: list[diag.Diagnostic] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob(f"*{SUFFIX}")) if f.is_file())
        elif p.is_file():
            files.append(str(p))
        else:
            problems.append(diag.make("io", None, path=str(p), reason="no such file or directory"))
    return list(dict.fromkeys(files)), problems


# ---------------------------------------------------------------- running


@attrs.frozen
class Failure:
    span: n.Span  # the expectation's line
    written: str  # the expectation as the file writes it
    expected: str
    got: str
    why: tuple[str, ...]

    def to_json(self) -> dict:
        return {"file": self.span.file, "line": self.span.line, "column": self.span.column,
                "expectation": self.written, "expected": self.expected, "got": self.got, "why": list(self.why)}


@attrs.frozen
class CaseResult:
    file: str
    name: str
    span: n.Span
    description: n.Bilingual | None
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        description = None
        if self.description is not None:
            description = {"zh": self.description.zh, "en": self.description.en}
        return {"name": self.name, "line": self.span.line, "description": description,
                "outcome": "passed" if self.passed else "failed",
                "failures": [f.to_json() for f in self.failures]}


@attrs.frozen
class _Refused:
    error: runtime.BatchError

    def words(self) -> str:
        code = self.error.code
        named = f"[{code} {runtime.REFUSALS.get(code, '')}] " if code else ""
        return f"the batch was refused: {named}{self.error}"


@attrs.frozen
class _Crashed:
    text: str


def run_case(loaded: LoadedFile, bound: BoundCase, recorder: Recorder | None = None) -> CaseResult:
    """Evaluate one case's batch and compare each expectation with what came out."""
    module = loaded.calculator
    observed: list = []
    observe = (lambda measure, applicant, found: observed.append((measure, applicant, found))) if recorder else None
    try:
        batch, applicants = module.read(bound.batch)
        outcome = runtime.evaluate(module.SPEC, batch, applicants, observe=observe)
    except runtime.BatchError as error:
        outcome = _Refused(error)
    except Exception as error:  # a calculator that breaks fails its case; it never stops the run
        outcome = _Crashed(f"the calculator raised {type(error).__name__}: {error}")
    else:
        if recorder is not None:
            recorder.record(batch, applicants, outcome, observed)
    lines = loaded.sources.get(loaded.path, "").splitlines()
    failures = _compare(bound.case, outcome, module.SPEC, lines)
    return CaseResult(loaded.path, bound.case.name, bound.case.span, bound.case.description, tuple(failures))


def _compare(case: cn.Case, outcome, spec: runtime.PolicySpec, lines: list[str]) -> list[Failure]:
    def written(e) -> str:
        text = lines[e.span.line - 1] if 1 <= e.span.line <= len(lines) else ""
        return text[e.span.column - 1:e.span.end_column - 1 if e.span.end_line == e.span.line else None].strip()

    refusal = next((e for e in case.expectations if isinstance(e, cn.ExpectRefused)), None)
    if isinstance(outcome, _Crashed):
        first = case.expectations[0]
        return [Failure(first.span, written(first), _expected_words(first), outcome.text, ())]
    if isinstance(outcome, _Refused):
        if refusal is None:
            first = case.expectations[0]
            return [Failure(first.span, written(first), "the batch to be evaluated", outcome.words(), ())]
        code_ok = refusal.code is None or refusal.code.name == outcome.error.code
        text_ok = refusal.text is None or refusal.text in str(outcome.error)
        if code_ok and text_ok:
            return []
        return [Failure(refusal.span, written(refusal), _expected_words(refusal), outcome.words(), ())]
    if refusal is not None:
        paid = runtime.money(sum((a.total for a in outcome.applicants), runtime.ZERO), "en")
        return [Failure(refusal.span, written(refusal), _expected_words(refusal),
                        f"the batch was evaluated: {len(outcome.applicants)} applicants, {paid} paid", ())]
    results = {r.id: r for r in outcome.applicants}
    failures = []
    for e in case.expectations:
        found = _check(e, results, outcome, spec)
        if found is not None:
            got, why = found
            failures.append(Failure(e.span, written(e), _expected_words(e), got, tuple(why)))
    return failures


def _money(value: Decimal) -> str:
    return runtime.money(value, "en")


def _expected_words(e: cn.Expectation) -> str:
    if isinstance(e, cn.ExpectAward):
        parts = [e.measure.name]
        if e.status is not None:
            parts.append(e.status.name)
        if e.amount is not None:
            parts.append(_money(e.amount.value))
        return " ".join(parts)
    if isinstance(e, cn.ExpectClause):
        return f"({e.numeral}) {_money(e.amount.value)} in all"
    if isinstance(e, cn.ExpectTotal):
        return f"total {_money(e.amount.value)}"
    if isinstance(e, cn.ExpectPool):
        return f"pool {e.pool.name} used {_money(e.used.value)}"
    wanted = " ".join(x for x in (e.code.name if e.code else None, f'"{e.text}"' if e.text else None) if x)
    return f"the batch to be refused: {wanted}"


def _award_line(award: runtime.Award) -> str:
    return f"{award.measure} {award.status} {_money(award.amount)}"


def _chain(awards: Iterable[runtime.Award]) -> list[str]:
    """Each award and its explanation, for the sums of several awards."""
    out = []
    for award in awards:
        out.append(_award_line(award))
        out.extend(f"  {reason}" for reason in award.why[1:])
    return out or ["no measure applies to this applicant"]


def _check(e: cn.Expectation, results: dict, outcome: runtime.BatchResult,
           spec: runtime.PolicySpec) -> tuple[str, list[str]] | None:
    """None when the expectation holds, else (what came out, the explanation)."""
    if isinstance(e, cn.ExpectPool):
        pool = next((p for p in outcome.pools if p.pool == e.pool.name), None)
        funds = next((p.funds for p in spec.pools if p.name == e.pool.name), ())
        if pool is not None and pool.used == e.used.value:
            return None
        claims = [f"{r.id}: {_award_line(a)}" for r in outcome.applicants for a in r.awards if a.measure in funds]
        used = _money(pool.used) if pool is not None else _money(runtime.ZERO)
        return f"pool {e.pool.name} used {used}", claims or ["no application drew on this pool"]
    result = results[e.applicant.name]
    if isinstance(e, cn.ExpectTotal):
        if result.total == e.amount.value:
            return None
        return f"total {_money(result.total)}", _chain(result.awards)
    if isinstance(e, cn.ExpectClause):
        awards = [a for a in result.awards if a.clause == e.clause]
        total = sum((a.amount for a in awards), runtime.ZERO)
        if total == e.amount.value:
            return None
        return f"({e.numeral}) {_money(total)} in all", _chain(awards)
    award = next((a for a in result.awards if a.measure == e.measure.name), None)
    status = award.status if award is not None else "not_eligible"
    amount = award.amount if award is not None else runtime.ZERO
    if (e.status is None or e.status.name == status) and (e.amount is None or e.amount.value == amount):
        return None
    if award is None:
        return (f"{e.measure.name} not listed: not eligible, and the applicant gives none of its facts",
                ["the award list of this applicant:", *_chain(result.awards)])
    return _award_line(award), list(award.why)


# ---------------------------------------------------------------- a whole run


@attrs.frozen
class FileReport:
    loaded: LoadedFile
    results: tuple[CaseResult, ...]


@attrs.frozen
class RunReport:
    files: tuple[FileReport, ...]
    problems: tuple[diag.Diagnostic, ...]  # paths that do not exist
    coverage: tuple[PolicyCoverage, ...] | None

    @property
    def passed(self) -> int:
        return sum(1 for f in self.files for r in f.results if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for f in self.files for r in f.results if not r.passed)

    @property
    def broken(self) -> int:
        return sum(1 for f in self.files if f.loaded.broken) + len(self.problems)

    def exit_code(self, fail_under: Decimal | None = None) -> int:
        """0 all passed, 1 a case failed (or coverage is short), 2 a test file is broken."""
        if self.broken:
            return 2
        if self.failed:
            return 1
        if fail_under is not None and self.coverage is not None and not all(
                c.reaches(fail_under) for c in self.coverage):
            return 1
        return 0


def run(paths: Iterable[str | Path], coverage: bool = False, amendment_dirs: Iterable[str | Path] = ()) -> RunReport:
    """Load every test file under `paths` and run its cases, recording coverage if asked.

    Coverage is per policy with the amendments it was compiled with: the policy as issued and
    the policy with an example amendment are two calculators, each covered by its own cases.
    """
    files, problems = find(paths)
    amendment_dirs = tuple(amendment_dirs)
    compiled: dict = {}
    recorders: dict[tuple, tuple[str, Recorder]] = {}
    reports = []
    for path in files:
        loaded = load(path, compiled, amendment_dirs)
        recorder = None
        if coverage and not loaded.broken:
            _, recorder = recorders.get(loaded.compiled_key, (None, None))
            if recorder is None:
                later = [version.policy for version in loaded.versions]
                recorder = Recorder(loaded.policy, loaded.sources[loaded.policy_path], loaded.calculator.SPEC,
                                    loaded.notes, later)
                recorders[loaded.compiled_key] = (loaded.policy_label, recorder)
        results = () if loaded.broken else tuple(run_case(loaded, bound, recorder) for bound in loaded.cases)
        reports.append(FileReport(loaded, results))
    covered = tuple(r.report(label) for label, r in recorders.values()) if coverage else None
    return RunReport(tuple(reports), tuple(problems), covered)


# ---------------------------------------------------------------- output


def render_failure(result: CaseResult, sources: dict) -> str:
    """A failed case: each failing expectation with its line, expected, got and why."""
    lines = [f"FAIL {result.name} ({result.span.file}:{result.span.line})"]
    for f in result.failures:
        lines.append(f"  {f.span}: {f.written}")
        lines.append(f"    expected  {f.expected}")
        lines.append(f"    got       {f.got}")
        for i, reason in enumerate(f.why):
            lines.append(f"    {'why' if i == 0 else '':<9} {reason}")
    return "\n".join(lines)


def render_diagnostics(loaded: LoadedFile, verdict: bool = True) -> str:
    """A broken test file: its diagnostics (or its policy's), each with the line it points at."""
    out = [diag.render(d, loaded.sources.get(d.span.file) if d.span is not None else None)
           for d in loaded.diagnostics]
    if verdict:
        out.append(f"{loaded.path}: broken, no case was run")
    return "\n\n".join(out)


def render_text(report: RunReport, with_coverage: bool = True) -> str:
    """Failures and diagnostics first, then a line per test file, the coverage, and the summary."""
    blocks: list[str] = [diag.render(problem, None) for problem in report.problems]
    verdicts: list[str] = []
    for file in report.files:
        loaded = file.loaded
        if loaded.broken:
            blocks.append(render_diagnostics(loaded, verdict=False))
            verdicts.append(f"{loaded.path}: broken, no case was run")
            continue
        failed = [r for r in file.results if not r.passed]
        blocks.extend(render_failure(result, loaded.sources) for result in failed)
        count = len(file.results)
        verdict = f"{count - len(failed)} passed" + (f", {len(failed)} failed" if failed else "")
        verdicts.append(f"{loaded.path}: {count} case{'s' if count != 1 else ''}, {verdict}")
    if verdicts:
        blocks.append("\n".join(verdicts))
    if with_coverage and report.coverage is not None:
        blocks.extend(cov.render() for cov in report.coverage)
    blocks.append(summary(report))
    return "\n\n".join(blocks)


def summary(report: RunReport) -> str:
    files = len(report.files)
    parts = []
    if report.failed:
        parts.append(f"{report.failed} failed")
    parts.append(f"{report.passed} passed")
    if report.broken:
        parts.append(f"{report.broken} broken file{'s' if report.broken != 1 else ''}")
    return ", ".join(parts) + f" ({files} test file{'s' if files != 1 else ''})"


def to_json(report: RunReport) -> dict:
    files = []
    for file in report.files:
        loaded = file.loaded
        files.append({"file": loaded.path, "policy": loaded.policy_path, "broken": loaded.broken,
                      "diagnostics": [d.to_json() for d in loaded.diagnostics],
                      "cases": [r.to_json() for r in file.results]})
    payload = {"files": files, "problems": [d.to_json() for d in report.problems],
               "passed": report.passed, "failed": report.failed, "broken": report.broken}
    if report.coverage is not None:
        payload["coverage"] = [c.to_json() for c in report.coverage]
    return payload


def render_json(report: RunReport) -> str:
    return json.dumps(to_json(report), ensure_ascii=False, indent=2)


def junit_xml(report: RunReport) -> str:
    """JUnit XML for CI: one testsuite per test file, one testcase per case; a broken file is an error."""
    root = ET.Element("testsuites", name="pol test", tests=str(report.passed + report.failed + report.broken),
                      failures=str(report.failed), errors=str(report.broken))
    for problem in report.problems:
        suite = ET.SubElement(root, "testsuite", name=problem.message, tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="pol", name="load")
        ET.SubElement(case, "error", message=problem.message, type=problem.code).text = diag.render(problem, None)
    for file in report.files:
        loaded = file.loaded
        classname = Path(loaded.path).name[:-len(SUFFIX)] if loaded.path.endswith(SUFFIX) else Path(loaded.path).stem
        failed = sum(1 for r in file.results if not r.passed)
        suite = ET.SubElement(root, "testsuite", name=loaded.path,
                              tests=str(len(file.results) + (1 if loaded.broken else 0)),
                              failures=str(failed), errors="1" if loaded.broken else "0", file=loaded.path)
        if loaded.broken:
            case = ET.SubElement(suite, "testcase", classname=classname, name="load", file=loaded.path)
            first = next(d for d in loaded.diagnostics if d.severity == diag.ERROR)
            text = "\n\n".join(diag.render(d, loaded.sources.get(d.span.file) if d.span else None)
                               for d in loaded.diagnostics)
            ET.SubElement(case, "error", message=f"{first.span}: {first.message}" if first.span else first.message,
                          type=first.code).text = text
            continue
        for result in file.results:
            case = ET.SubElement(suite, "testcase", classname=classname, name=result.name, file=loaded.path,
                                 line=str(result.span.line))
            if not result.passed:
                first = result.failures[0]
                ET.SubElement(case, "failure", message=f"{first.span}: {first.written}: expected {first.expected}, "
                                                       f"got {first.got}",
                              type="expectation").text = render_failure(result, loaded.sources)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
