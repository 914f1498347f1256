"""The Python API behind the `pol` command: check, compile, load and evaluate a policy."""

from __future__ import annotations

import hashlib
import types
from pathlib import Path

import attrs

from dsl import diagnostics as diag
from dsl.parser import ParseResult

from .runtime import BatchError

__all__ = ["BatchError", "PolicyError", "Compiled", "compile_file", "compile_family", "load", "evaluate_batch"]


class PolicyError(Exception):
    """The policy itself has errors: the diagnostics say where."""

    def __init__(self, diagnostics: list[diag.Diagnostic], source: str):
        self.diagnostics = diagnostics
        self.source = source
        first = next((d for d in diagnostics if d.severity == diag.ERROR), diagnostics[0])
        super().__init__(f"{first.span}: {first.message}" if first.span else first.message)


@attrs.frozen
class Compiled:
    policy_id: str
    python: str  # the module's source
    diagnostics: tuple[diag.Diagnostic, ...]  # warnings and notes
    parsed: ParseResult  # the policy as issued
    versions: tuple = ()  # `dsl.amend.Version`s, oldest first: the policy as issued, then as amended


def compile_file(path: str | Path, amendment_dirs: tuple[str | Path, ...] = ()) -> Compiled:
    """Parse, check and compile a policy with its amendments; raises PolicyError when any has errors.

    The amendments are the `.pol` files beside the policy (or in `amendment_dirs`) that declare
    `amends` it; `path` may also be one of them, standing for the policy it amends.
    """
    from dsl.amend import load as load_family

    return compile_family(load_family(path, amendment_dirs))


def compile_family(family) -> Compiled:
    """Compile a policy and its amendments as `dsl.amend.load` found and checked them."""
    from compiler.python_gen import CompileError, compile_policy, compile_versions

    failing = family.first_failing()
    if failing is not None:
        file, found = failing
        raise PolicyError(found, family.sources.get(file, ""))
    parsed = family.base
    found = [d for file_found in family.diagnostics.values() for d in file_found]
    try:
        if len(family.versions) > 1 or family.versions[0].amendments:
            python = compile_versions(family.versions)
        else:
            python = compile_policy(parsed.policy)
    except CompileError as error:
        span = error.diagnostic.span
        file = span.file if span is not None and span.file in family.sources else family.base_path
        raise PolicyError([*family.diagnostics.get(file, []), error.diagnostic], family.sources[file]) from None
    return Compiled(parsed.policy.header.name, python, tuple(found), parsed, tuple(family.versions))


_LOADED: dict[str, types.ModuleType] = {}


def load_source(python: str, name: str) -> types.ModuleType:
    """Import a generated calculator from its source, once per distinct source."""
    key = hashlib.sha256(python.encode()).hexdigest()
    if key not in _LOADED:
        module = types.ModuleType(f"pol_calculator_{name}")
        exec(compile(python, f"<calculator {name}>", "exec"), module.__dict__)
        _LOADED[key] = module
    return _LOADED[key]


def load(path: str | Path) -> types.ModuleType:
    """The compiled calculator of a policy file, as a module."""
    compiled = compile_file(path)
    return load_source(compiled.python, compiled.policy_id)


def evaluate_batch(path: str | Path, batch) -> dict:
    """Evaluate a batch (READING-style JSON data) against a policy; raises BatchError on bad facts."""
    return load(path).evaluate_json(batch)
