"""pytest collects the policy tests: each case of each `*.test.pol` file is a test item named after the case.

Registered through the `pytest11` entry point (pyproject.toml), so `pytest` alone runs the Python
tests and every policy's cases, and `pytest -k livestream` selects cases by name. A broken test
file is one failing item, `load`, showing its diagnostics; the other files still run.
"""

from __future__ import annotations

import pytest

from . import testing

_COMPILED = pytest.StashKey[dict]()


def pytest_collect_file(file_path, parent):
    if file_path.name.endswith(testing.SUFFIX):
        return PolicyTestFile.from_parent(parent, path=file_path)
    return None


class PolicyTestFile(pytest.File):
    def collect(self):
        # One compilation per policy for the whole session, however many test files name it.
        compiled = self.config.stash.setdefault(_COMPILED, {})
        loaded = testing.load(self.path, compiled)
        if loaded.broken:
            yield BrokenTestFile.from_parent(self, name="load", loaded=loaded)
            return
        for bound in loaded.cases:
            yield PolicyCase.from_parent(self, name=bound.case.name, loaded=loaded, bound=bound)


class CaseFailed(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class PolicyCase(pytest.Item):
    def __init__(self, *, loaded: testing.LoadedFile, bound, **kwargs):
        super().__init__(**kwargs)
        self.loaded = loaded
        self.bound = bound

    def runtest(self) -> None:
        result = testing.run_case(self.loaded, self.bound)
        if not result.passed:
            raise CaseFailed(testing.render_failure(result, self.loaded.sources))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.bound.case.span.line - 1, f"case {self.name}"


class BrokenTestFile(pytest.Item):
    def __init__(self, *, loaded: testing.LoadedFile, **kwargs):
        super().__init__(**kwargs)
        self.loaded = loaded

    def runtest(self) -> None:
        raise CaseFailed(testing.render_diagnostics(self.loaded))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}: broken test file"
