"""The Python API behind the `pol` command: check, compile, load and evaluate a policy."""

from __future__ import annotations

import hashlib
import types
from pathlib import Path

import attrs

from dsl import diagnostics as diag
from dsl.checks import check_file
from dsl.parser import ParseResult

from .runtime import BatchError

__all__ = ["BatchError", "PolicyError", "Compiled", "compile_file", "load", "evaluate_batch"]


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
    parsed: ParseResult


def compile_file(path: str | Path) -> Compiled:
    """Parse, check and compile one policy file; raises PolicyError when it has errors."""
    from compiler.python_gen import CompileError, compile_policy

    parsed, found = check_file(path)
    if parsed.policy is None or diag.has_errors(found):
        raise PolicyError(found, parsed.source)
    try:
        python = compile_policy(parsed.policy)
    except CompileError as error:
        raise PolicyError([*found, error.diagnostic], parsed.source) from None
    return Compiled(parsed.policy.header.name, python, tuple(found), parsed)


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
