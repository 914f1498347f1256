"""Reading batches as streams of applicants, building columns, and writing results.

Three input formats, one model: the batch facts, then the applicants one by one,
each with the line it starts on.

- JSON, the READING.md document: `{"as_of": ..., "applicants": [{...}, ...]}`. The
  applicants are decoded one at a time from the text, so no tree of the whole
  document is ever built; any syntax error is reported exactly as `json.loads`
  reports it.
- JSON Lines: a first line with the batch facts as an object, then one applicant
  object per line.
- CSV: a header row naming facts (a count per code as `fact.code`, e.g.
  `village_parcels.guyang`), one applicant per row, an empty cell for a fact not
  given; the batch facts come from `--set NAME=VALUE`.

`ColumnBuilder` checks each applicant exactly as `pol.runtime.read_batch` does
(same messages, same codes) and stores the facts as typed numpy columns, a chunk
at a time: memory grows with the population's columns, not with Python objects
per fact. A refused row is reported with its line.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .runtime import BatchError, FactSpec, PolicySpec, _check_id, _did_you_mean, _Reader, _show, _Slow, _unicode
from .vector_runtime import Column, CountColumn, Population, VectorOverflow, VectorUnsupported

FORMATS = ("json", "jsonl", "csv")
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_EPOCH = datetime.date(1970, 1, 1).toordinal()
_WS = re.compile(r"[ \t\n\r]*")
_INT64_DIGITS = 18  # any integer of up to 18 digits fits in int64
_NOT_READ = object()

try:
    _ID_DTYPE = np.dtypes.StringDType()
except AttributeError:  # numpy < 2
    _ID_DTYPE = object


class RowError(BatchError):
    """A refusal that belongs to one line of the input."""

    def __init__(self, message: str, code: str | None, line: int | None):
        super().__init__(message, code)
        self.line = line


class InputError(Exception):
    """The input cannot be read as its format: the message is complete, with file and line."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def format_of(path: Path, given: str | None) -> str:
    if given:
        return given
    return _EXTENSIONS.get(path.suffix.lower(), "json")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def _line_decoder():
    """Decode one JSON text exactly, as `_decoder()` does, but quicker where it can.

    orjson (when installed) decodes a line in about a third of the time, but reads every number
    with a fraction or an exponent as a float. A line whose value holds a float anywhere, and a
    line orjson refuses (a huge integer, NaN, a lone surrogate, bad syntax), is decoded again by
    the exact decoder, which gives its Decimals or its error; every other line decodes to the
    same objects either way (tests/test_streaming.py compares them).
    """
    exact = _decoder().decode
    try:
        import orjson
    except ImportError:
        return exact
    quick = orjson.loads

    def decode(text: str):
        try:
            value = quick(text)
        except Exception:  # whatever orjson refuses, the exact decoder decides and words
            return exact(text)
        return exact(text) if _holds_float(value) else value
    return decode


def _holds_float(value) -> bool:
    kind = type(value)
    if kind is not dict and kind is not list:
        return kind is float
    items = value.values() if kind is dict else value
    kinds = set(map(type, items))  # one pass in C over a line's values
    if float in kinds:
        return True
    return (dict in kinds or list in kinds) and any(_holds_float(item) for item in items
                                                    if type(item) is dict or type(item) is list)


# ---------------------------------------------------------------- sources


class Source:
    """A batch to read, as many times as needed (standard input is kept as text)."""

    def __init__(self, path: Path, fmt: str, sets: dict[str, str] | None = None):
        self.path = path
        self.fmt = fmt
        self.sets = sets or {}
        self._stdin_text: str | None = None

    @property
    def size(self) -> int | None:
        if str(self.path) == "-":
            return len(self._text()) if self._stdin_text is not None else None
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def _text(self) -> str:
        if str(self.path) == "-":
            if self._stdin_text is None:
                self._stdin_text = sys.stdin.read()
            return self._stdin_text
        return self.path.read_text(encoding="utf-8")

    def _lines(self) -> Iterator[str]:
        if str(self.path) == "-":
            yield from io.StringIO(self._text(), newline=None)
            return
        with open(self.path, encoding="utf-8-sig", newline="" if self.fmt == "csv" else None) as fh:
            yield from fh

    def open(self, spec: PolicySpec) -> "Stream":
        try:
            if self.fmt == "json":
                return _JsonStream(self, self._text())
            if self.fmt == "jsonl":
                return _JsonLinesStream(self, self._lines())
            return _CsvStream(self, self._lines(), spec)
        except (OSError, UnicodeDecodeError) as error:
            raise unreadable(self.path, error) from None


def unreadable(path: Path, error: Exception) -> InputError:
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return InputError(f"cannot read {path}: {reason}", 2 if isinstance(error, FileNotFoundError) else 1)


class Stream:
    """The batch facts (`batch`, complete once `records` is exhausted) and the applicants."""

    fmt = ""

    def __init__(self, source: Source):
        self.source = source
        self.batch: dict[str, Any] = {}
        self.batch_line: int | None = None
        self.applicants_raw: Any = []  # JSON: the value of `applicants` when it is not a list
        self.read_bytes = 0

    def records(self) -> Iterator[tuple[int | None, Any]]:
        raise NotImplementedError

    def finish_scan(self) -> None:
        """Read to the end without checking applicants: the batch facts may come after them (JSON)."""
        for _ in self.records():
            pass

    def batch_data(self) -> dict:
        """The batch as runtime.read_batch takes it, with an empty list standing for the applicants."""
        data = dict(self.batch)
        for name, value in self.source.sets.items():
            data[name] = value
        data["applicants"] = []
        return data


class _JsonStream(Stream):
    fmt = "json"

    def __init__(self, source: Source, text: str):
        super().__init__(source)
        self.text = text
        self.total_bytes = len(text)
        self._events = self._scan()
        self.whole: Any = _NOT_READ  # the document, when it is not an object and so read whole

    def _malformed(self) -> InputError:
        """The error `json.loads` gives for this text, as `pol eval` always reported it."""
        path = self.source.path
        try:
            json.loads(self.text, parse_float=Decimal, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            return InputError(f"{path}:{error.lineno}:{error.colno}: malformed JSON: {error.msg}")
        except ValueError as error:
            return InputError(f"{path}: malformed JSON: {error}")
        except RecursionError:
            return InputError(f"{path}: malformed JSON: nested too deeply")
        return InputError(f"{path}: malformed JSON")  # not reached: the scanner refuses only what json refuses

    def _scan(self) -> Iterator[tuple[int | None, Any]]:
        text, decode = self.text, _decoder().raw_decode
        pos = _WS.match(text, 0).end()
        if not text.startswith("{", pos):
            # Not an object: read it whole, so the refusal is exactly the one it always was.
            try:
                self.whole = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                raise self._malformed() from None
            self.applicants_raw = None
            return
        line, counted = 1, 0
        seen: set[str] = set()
        pos += 1
        try:
            pos = _WS.match(text, pos).end()
            if text.startswith("}", pos):
                pos += 1
            else:
                while True:
                    if not text.startswith('"', pos):
                        raise ValueError
                    key, pos = decode(text, pos)
                    pos = _WS.match(text, pos).end()
                    if not text.startswith(":", pos):
                        raise ValueError
                    if key in seen:
                        raise InputError(f"{self.source.path}:{line + text.count(chr(10), counted, pos)}: "
                                         f"`{key}` is given twice at the top of the batch")
                    seen.add(key)
                    pos = _WS.match(text, pos + 1).end()
                    if key == "applicants" and text.startswith("[", pos):
                        pos = _WS.match(text, pos + 1).end()
                        if text.startswith("]", pos):
                            pos += 1
                        else:
                            while True:
                                line += text.count("\n", counted, pos)
                                counted = pos
                                raw, pos = decode(text, pos)
                                self.read_bytes = pos
                                yield line, raw
                                pos = _WS.match(text, pos).end()
                                if text.startswith("]", pos):
                                    pos += 1
                                    break
                                if not text.startswith(",", pos):
                                    raise ValueError
                                pos = _WS.match(text, pos + 1).end()
                        self.applicants_raw = []
                    else:
                        value, pos = decode(text, pos)
                        if key == "applicants":
                            self.applicants_raw = value
                        else:
                            self.batch[key] = value
                    pos = _WS.match(text, pos).end()
                    if text.startswith("}", pos):
                        pos += 1
                        break
                    if not text.startswith(",", pos):
                        raise ValueError
                    pos = _WS.match(text, pos + 1).end()
            if _WS.match(text, pos).end() != len(text):
                raise ValueError
        except (ValueError, RecursionError):
            raise self._malformed() from None
        if "applicants" not in seen:
            self.applicants_raw = None
        self.read_bytes = len(text)

    def records(self) -> Iterator[tuple[int | None, Any]]:
        yield from self._events

    def batch_data(self):
        if self.whole is not _NOT_READ:
            return self.whole
        data = super().batch_data()
        if self.applicants_raw is None:
            del data["applicants"]  # no list of applicants: read_batch says so
        elif not isinstance(self.applicants_raw, list):
            data["applicants"] = self.applicants_raw
        return data


class _JsonLinesStream(Stream):
    fmt = "jsonl"

    def __init__(self, source: Source, lines: Iterator[str]):
        super().__init__(source)
        self._lines = lines
        self._number = 0
        self.total_bytes = source.size
        decode = _line_decoder()
        self._decode = decode
        for text in self._lines:
            self._number += 1
            self.read_bytes += len(text.encode("utf-8")) if not text.isascii() else len(text)
            if text.strip():
                batch = self._parse(text)
                if not isinstance(batch, dict):
                    raise InputError(f"{source.path}:{self._number}: the first line holds the batch facts as a "
                                     f"JSON object, got {_show(batch)}")
                if "applicants" in batch:
                    raise InputError(f"{source.path}:{self._number}: the first line holds the batch facts; "
                                     f"applicants go one per line after it")
                self.batch, self.batch_line = batch, self._number
                return
        raise InputError(f"{source.path}: empty: the first line holds the batch facts, then one applicant a line")

    def _parse(self, text: str):
        try:
            return self._decode(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{self.source.path}:{self._number}:{error.colno}: malformed JSON: {error.msg}") from None
        except ValueError as error:
            raise InputError(f"{self.source.path}:{self._number}: malformed JSON: {error}") from None
        except RecursionError:
            raise InputError(f"{self.source.path}:{self._number}: malformed JSON: nested too deeply") from None

    def records(self) -> Iterator[tuple[int | None, Any]]:
        for text in self._lines:
            self._number += 1
            self.read_bytes += len(text) if text.isascii() else len(text.encode("utf-8"))
            if text.strip():
                yield self._number, self._parse(text)


class _CsvStream(Stream):
    fmt = "csv"

    def __init__(self, source: Source, lines: Iterator[str], spec: PolicySpec):
        super().__init__(source)
        self.total_bytes = source.size
        self._reader = csv.reader(self._counted(lines))
        facts = {f.name: f for f in spec.facts if f.scope == "applicant"}
        codes = {name: [c for c, _, _ in values] for name, values in spec.enums.items()}
        try:
            header = next(self._reader)
        except StopIteration:
            raise InputError(f"{source.path}: empty: the first row names the facts, one column each") from None
        except csv.Error as error:
            raise InputError(f"{source.path}:1: malformed CSV: {error}") from None
        self.columns: list[tuple[str, str | None, FactSpec]] = []
        seen: set[str] = set()
        for name in header:
            name = name.strip()
            fact_name, _, key = name.partition(".")
            fact = facts.get(fact_name)
            if name in seen:
                raise InputError(f"{source.path}:1: column `{name}` appears twice")
            seen.add(name)
            if fact is None or bool(key) != (fact.kind == "count_map"):
                if fact is not None and fact.kind == "count_map":
                    hint = f" (a count per {fact.enum}: name the columns `{fact_name}.CODE`)"
                else:
                    candidates = [f for f in facts if facts[f].kind != "count_map"] + [
                        f"{f}.{c}" for f in facts if facts[f].kind == "count_map" for c in codes[facts[f].enum]]
                    hint = _did_you_mean(name, candidates)
                raise InputError(f"{source.path}:1: unknown fact `{name}`{hint}")
            if key and key not in codes[fact.enum]:
                raise InputError(f"{source.path}:1: column `{name}`: unknown {fact.enum} {_show(key)}; expected one "
                                 f"of {', '.join(codes[fact.enum])}{_did_you_mean(key, codes[fact.enum])}")
            self.columns.append((fact_name, key or None, fact))
        if "id" not in {c[0] for c in self.columns}:
            raise InputError(f"{source.path}:1: the header has no `id` column")

    def _counted(self, lines: Iterator[str]) -> Iterator[str]:
        for text in lines:
            self.read_bytes += len(text) if text.isascii() else len(text.encode("utf-8"))
            yield text

    def records(self) -> Iterator[tuple[int | None, Any]]:
        width = len(self.columns)
        start = self._reader.line_num + 1
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise InputError(f"{self.source.path}:{start}: malformed CSV: {error}") from None
            line, start = start, self._reader.line_num + 1
            if not row:
                continue
            if len(row) != width:
                raise InputError(f"{self.source.path}:{line}: expected {width} fields as in the header, "
                                 f"found {len(row)}")
            raw: dict[str, Any] = {}
            for (name, key, fact), cell in zip(self.columns, row):
                if cell == "":
                    continue
                if key is not None:
                    raw.setdefault(name, {})[key] = cell
                elif fact.kind == "bool" and cell in ("true", "false"):
                    raw[name] = cell == "true"
                else:
                    raw[name] = cell
            yield line, raw


def set_values(spec: PolicySpec, pairs: list[str]) -> dict[str, Any]:
    """`--set NAME=VALUE` as raw batch facts: text, except true/false for yes-or-no facts."""
    facts = {f.name: f for f in spec.facts if f.scope == "batch"}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--set {pair}: expected NAME=VALUE, e.g. --set as_of=2023-12-31", 2)
        if name not in facts:
            raise InputError(f"--set {pair}: unknown batch fact `{name}`{_did_you_mean(name, facts)}", 2)
        out[name] = {"true": True, "false": False}.get(value, value) if facts[name].kind == "bool" else value
    return out


# ---------------------------------------------------------------- from applicants to columns


class ColumnBuilder:
    """Check applicants as runtime.read_batch does and keep their facts as typed columns."""

    CHUNK = 1 << 15

    def __init__(self, spec: PolicySpec):
        self.spec = spec
        self.reader = _Reader(spec)
        self.facts = {f.name: f for f in spec.facts if f.scope == "applicant"}
        self.known = self.facts.keys()
        self.codes = {name: {c: i for i, (c, _, _) in enumerate(values)} for name, values in spec.enums.items()}
        self.n = 0
        self._ids: list[str] = []
        self._id_parts: list[np.ndarray] = []
        self._lines: list[int] = []
        self._line_parts: list[np.ndarray] = []
        self._chunk: list[Any] = []  # the raw applicants of the chunk being read
        self._rows: dict[str, list[int]] = {name: [] for name in self.facts}
        self._vals: dict[str, list[Any]] = {name: [] for name in self.facts}
        self._parts: dict[str, list[tuple[np.ndarray, np.ndarray, int]]] = {name: [] for name in self.facts}

    # -- reading
    def add(self, raw, line: int | None = None) -> None:
        index = self.n
        self.n = index + 1
        chunk = self._chunk
        chunk.append(raw)
        self._lines.append(-1 if line is None else line)
        ident = raw.get("id") if type(raw) is dict else None
        if (type(ident) is not str or not raw.keys() <= self.known or not ident.strip()
                or not (ident.isascii() or _unicode(ident))):
            self._refuse(index)
        self._ids.append(ident)
        rows, vals = self._rows, self._vals
        for key, value in raw.items():
            if value is not None:
                rows[key].append(index)
                vals[key].append(value)
        if len(chunk) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        first_bad = None
        for name, fact in self.facts.items():
            rows, vals = self._rows[name], self._vals[name]
            if name == "id" or not rows:
                continue
            rows_array = np.array(rows, dtype=np.int64)
            values, scale, bad = self._convert(fact, vals)
            if bad is not None:
                row = rows[bad]
                first_bad = row if first_bad is None else min(first_bad, row)
                continue
            self._parts[name].append((rows_array, values, scale))
            rows.clear()
            vals.clear()
        if first_bad is not None:
            self._refuse(first_bad)
        for name in self.facts:
            self._rows[name].clear()
            self._vals[name].clear()
        self._id_parts.append(np.array(self._ids, dtype=_ID_DTYPE))
        self._line_parts.append(np.array(self._lines, dtype=np.int64))
        self._ids, self._lines, self._chunk = [], [], []

    def _refuse(self, index: int) -> None:
        """Refuse the batch at applicant `index` (0-based, in the chunk being read) with the scalar reader's words."""
        chunk_start = self.n - len(self._chunk)
        raw = self._chunk[index - chunk_start]
        line = self._lines[index - chunk_start]
        line = None if line < 0 else line
        ids = self._all_ids(upto=index)
        duplicate = _first_duplicate(ids)
        if duplicate is not None and duplicate[0] < index:
            self._duplicate(*duplicate)
        label = f"applicant #{index + 1}"
        try:
            if not isinstance(raw, dict):
                raise BatchError(f"{label}: expected an object of facts, got {_show(raw)}", "B010")
            ident = raw.get("id")
            _check_id(ident, index + 1)
            if duplicate is not None:
                self._duplicate(*duplicate)
            label = f"applicant {_show(ident)}"
            for key, value in raw.items():
                if key not in self.facts:
                    raise BatchError(f"{label}: unknown fact `{key}`{_did_you_mean(key, self.facts)}", "B001")
                self.reader.value(self.facts[key], value, f"{label}: fact `{key}`")
        except RowError:
            raise
        except BatchError as error:
            raise RowError(str(error), error.code, line) from None
        # The fast checks refused what the scalar reader accepts: let the scalar engine read it.
        raise VectorUnsupported(f"applicant #{index + 1} is read differently by the column reader")

    def _duplicate(self, index: int, first: int) -> None:
        ident = str(self._all_ids(upto=index)[index])
        raise RowError(f"applicant {_show(ident)}: duplicate id (also applicant #{first + 1})", "B007",
                       self.line_of(index))

    def _all_ids(self, upto: int | None = None) -> np.ndarray:
        ids = self._id_parts + ([np.array(self._ids, dtype=_ID_DTYPE)] if self._ids else [])
        out = np.concatenate(ids) if ids else np.array([], dtype=_ID_DTYPE)
        if upto is not None and len(out) <= upto and upto < self.n:
            # the refused row's id is not stored yet: a duplicate check must still see it
            raw = self._chunk[upto - (self.n - len(self._chunk))]
            ident = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(ident, str) and ident.strip() and _unicode(ident):
                out = np.concatenate([out, np.array([ident], dtype=_ID_DTYPE)])
        return out if upto is None else out[: upto + 1]

    def line_of(self, index: int) -> int | None:
        lines = np.concatenate(self._line_parts + [np.array(self._lines, dtype=np.int64)])
        return None if index >= len(lines) or lines[index] < 0 else int(lines[index])

    # -- typed columns
    def _convert(self, fact: FactSpec, vals: list) -> tuple[np.ndarray, int, int | None]:
        """The values as an array, their decimal scale, and the index of the first bad one (or None)."""
        kind = fact.kind
        types = set(map(type, vals))
        if kind == "bool":
            if types == {bool}:
                return np.array(vals, dtype=bool), 0, None
        elif kind in ("integer", "year"):
            if types == {int}:
                values = np.array(vals, dtype=object if max(vals) > 2**62 else np.int64)
                if values.dtype == object:
                    raise VectorOverflow(f"a value of `{fact.name}` is too large for the vector engine")
                negative = np.flatnonzero(values < 0)
                return values, 0, int(negative[0]) if len(negative) else None
        elif kind in ("decimal", "money", "area", "rate"):
            if types == {str}:
                fast = _decimal_strings(vals)
                if fast is not None:
                    return fast[0], fast[1], None
            elif types == {int}:
                return self._convert(FactSpec(fact.name, "integer", fact.scope), vals)
        elif kind == "date":
            if types == {str}:
                days = _iso_days(vals)
                if days is not None:
                    return days, 0, None
        elif kind == "enum":
            codes = self.codes[fact.enum]
            if types <= {str, int}:
                values = np.array([codes.get(v if type(v) is str else str(v), -1) for v in vals], dtype=np.int16)
                bad = np.flatnonzero(values < 0)
                return values, 0, int(bad[0]) if len(bad) else None
        elif kind in ("text", "identifier"):
            if types == {str} and all(v.strip() for v in vals):
                return np.array(vals, dtype=_ID_DTYPE), 0, None
        return self._slow(fact, vals)

    def _slow(self, fact: FactSpec, vals: list) -> tuple[np.ndarray, int, int | None]:
        """Value by value through the scalar reader: exact for every form it accepts (its quick
        conversions first, which give what it gives)."""
        typed = []
        quick, value = self.reader.quick(fact), self.reader.value
        for i, raw in enumerate(vals):
            try:
                try:
                    typed.append(quick(raw))
                except _Slow:
                    typed.append(value(fact, raw, ""))
            except BatchError:
                return np.zeros(0), 0, i
        kind = fact.kind
        if kind == "bool":
            return np.array(typed, dtype=bool), 0, None
        if kind in ("integer", "year", "decimal", "money", "area", "rate"):
            return _fixed(fact.name, typed)
        if kind == "date":
            return np.array([d.toordinal() - _EPOCH for d in typed], dtype=np.int64), 0, None
        if kind == "enum":
            return np.array([self.codes[fact.enum][c] for c in typed], dtype=np.int16), 0, None
        if kind == "count_map":
            codes = self.codes[fact.enum]
            counts = np.zeros((len(typed), len(codes)), dtype=np.int64)
            for row, mapping in enumerate(typed):
                for key, count in mapping.items():
                    if count > 2**62:
                        raise VectorOverflow(f"a count of `{fact.name}` is too large for the vector engine")
                    counts[row, codes[key]] = count
            return counts, 0, None
        return np.array(typed, dtype=_ID_DTYPE), 0, None

    # -- the population
    def finish(self) -> Population:
        if self._chunk:
            self._flush()
        ids = np.concatenate(self._id_parts) if self._id_parts else np.array([], dtype=_ID_DTYPE)
        duplicate = _first_duplicate(ids)
        if duplicate is not None:
            self._duplicate(*duplicate)
        n = self.n
        columns: dict[str, Column | CountColumn] = {}
        for name, fact in self.facts.items():
            parts = self._parts[name]
            if name == "id" or not parts:
                continue
            rows = np.concatenate([p[0] for p in parts])
            scale = max(p[2] for p in parts)
            values = np.concatenate([_rescaled(name, p[1], scale - p[2]) for p in parts])
            valid = np.zeros(n, dtype=bool)
            valid[rows] = True
            if fact.kind == "count_map":
                dense = np.zeros((n, values.shape[1]), dtype=np.int64)
                dense[rows] = values
                columns[name] = CountColumn(dense, valid)
            else:
                dense = np.zeros(n, dtype=values.dtype) if values.dtype != _ID_DTYPE else np.full(n, "", _ID_DTYPE)
                dense[rows] = values
                bound = None if values.dtype == _ID_DTYPE else (
                    1 if values.dtype == np.bool_ else int(np.abs(values).max(initial=0)))
                columns[name] = Column(dense, valid, scale, bound, zeroed=values.dtype != _ID_DTYPE)
        self._parts = {name: [] for name in self.facts}
        return Population(ids, columns)

    def require_rates(self, population: Population, batch_values: dict) -> None:
        """runtime._require_rates over columns: the first applicant giving an amount in a currency without a rate."""
        for rate in (f for f in self.spec.facts if f.scope == "batch" and f.kind == "rate"):
            if batch_values.get(rate.name) is not None:
                continue
            foreign = [f.name for f in self.spec.facts if f.scope == "applicant" and f.kind == "money"
                       and f.unit == rate.enum and f.name in population.columns]
            first = population.n
            for name in foreign:
                hits = np.flatnonzero(population.columns[name].valid)
                if len(hits):
                    first = min(first, int(hits[0]))
            if first == population.n:
                continue
            name = next(f for f in foreign if population.columns[f].valid[first])
            raise RowError(f"batch: fact `{rate.name}` ({rate.label_en}) is required because applicant "
                           f"{_show(str(population.ids[first]))} gives `{name}` in {rate.enum}", "B009",
                           self.line_of(first))


def _first_duplicate(ids: np.ndarray) -> tuple[int, int] | None:
    """The first applicant whose id an earlier one has, and that earlier one: O(n log n)."""
    if len(ids) < 2:
        return None
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    if not len(same):
        return None
    second = order[same + 1]
    k = int(np.argmin(second))
    later = int(second[k])
    start = int(same[k])
    while start > 0 and ordered[start - 1] == ordered[start]:
        start -= 1
    return later, int(order[start])


def _rescaled(name: str, values: np.ndarray, shift: int) -> np.ndarray:
    if shift == 0:
        return values
    if len(values) and int(np.abs(values).max()) * 10**shift > 2**62:
        raise VectorOverflow(f"the values of `{name}` are too large for the vector engine at their decimals")
    return values * 10**shift


def _decimal_strings(vals: list[str]) -> tuple[np.ndarray, int] | None:
    """Plain non-negative decimals written as text ("12345.67"), all at once; None if any is not."""
    try:
        text = np.array(vals, dtype="S")
    except UnicodeEncodeError:
        return None
    head, dot, tail = np.strings.partition(text, b".")
    if not (np.strings.isdigit(head).all() and (np.strings.isdigit(tail) | (dot == b"")).all()):
        return None
    scale = int(np.strings.str_len(tail).max(initial=0))
    if int(np.strings.str_len(head).max(initial=0)) + scale > _INT64_DIGITS:
        return None  # the slow path checks the size and raises VectorOverflow if it is valid
    ints = head.astype(np.int64) * 10**scale
    if scale:
        ints += np.strings.ljust(tail, scale, b"0").astype(np.int64)
    return ints, scale


def _iso_days(vals: list[str]) -> np.ndarray | None:
    """Dates written YYYY-MM-DD, all at once; None if any is not a day in that form."""
    text = np.array(vals)
    if text.dtype.itemsize != 40 or (np.strings.str_len(text) != 10).any():
        return None
    points = text.view(np.uint32).reshape(-1, 10)
    digits = points[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    if not (((digits >= 48) & (digits <= 57)).all() and (points[:, 4] == 45).all() and (points[:, 7] == 45).all()):
        return None
    try:
        return text.astype("datetime64[D]").astype(np.int64)
    except ValueError:
        return None


def _fixed(name: str, typed: list) -> tuple[np.ndarray, int, None]:
    """Exact numbers (int or Decimal) as integers at one decimal scale."""
    scale = max((max(-d.as_tuple().exponent, 0) for d in typed if isinstance(d, Decimal)), default=0)
    ints = [int(d.scaleb(scale)) if isinstance(d, Decimal) else d * 10**scale for d in typed]
    if ints and max(abs(i) for i in ints) > 2**62:
        raise VectorOverflow(f"a value of `{name}` is too large for the vector engine")
    return np.array(ints, dtype=np.int64), scale, None


def population_from_applicants(spec: PolicySpec, applicants: list) -> Population:
    """Columns from the scalar calculator's typed applicants (a simple reference for the fast reader)."""
    builder = ColumnBuilder(spec)
    for applicant in applicants:
        raw = {}
        for f in spec.facts:
            if f.scope != "applicant":
                continue
            value = getattr(applicant, f.name)
            if value is None:
                continue
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = format(value, "f")
            raw[f.name] = value
        builder.add(raw)
    return builder.finish()


# ---------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on standard error, for runs long enough to need one."""

    def __init__(self, stream=None, enabled: bool | None = None, delay: float = 0.5):
        self.stream = stream or sys.stderr
        self.enabled = bool(self.stream.isatty()) if enabled is None else enabled
        self.started = time.monotonic()
        self.delay = delay
        self.last = 0.0
        self.shown = False

    def update(self, label: str, done: int, total: int | None = None, unit: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or now - self.last < 0.1:
            return
        self.last = now
        if total:
            share = min(done / total, 1.0)
            bar = "#" * int(share * 30)
            text = f"{label} [{bar:<30}] {share:4.0%}"
        else:
            text = f"{label} {done:,} {unit}".rstrip()
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


# ---------------------------------------------------------------- writing results


def _fast_dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _award_json_lines(award: dict, pad: str) -> list[str]:
    inner = pad + "  "
    keys = list(award)
    out = [pad + "{"]
    for k in keys:
        value = award[k]
        if isinstance(value, list):
            if not value:
                text = "[]"
            else:
                text = "[\n" + ",\n".join(inner + "  " + _fast_dump(v) for v in value) + "\n" + inner + "]"
        else:
            text = _fast_dump(value)
        out.append(f"{inner}{_fast_dump(k)}: {text},")
    out[-1] = out[-1][:-1]
    out.append(pad + "}")
    return out


def applicant_json_text(entry: dict) -> str:
    """json.dumps(entry, indent=2, ensure_ascii=False) for one applicant, indented as an element of
    `applicants` (4 spaces), without Python's slow pure-Python indenting encoder."""
    lines = ["    {", f"      \"id\": {_fast_dump(entry['id'])},"]
    awards = entry["awards"]
    if not awards:
        lines.append('      "awards": [],')
    else:
        lines.append('      "awards": [')
        for i, award in enumerate(awards):
            block = _award_json_lines(award, "        ")
            if i < len(awards) - 1:
                block[-1] += ","
            lines += block
        lines.append("      ],")
    lines.append(f"      \"total\": {_fast_dump(entry['total'])}")
    lines.append("    }")
    return "\n".join(lines)


def write_json(out, head: dict, applicants, pools: list, total: str) -> None:
    """The result document, streamed, byte for byte as json.dumps(..., indent=2, ensure_ascii=False)."""
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {_fast_dump(key)}: {_fast_dump(value)},\n")
    out.write('  "applicants": [')
    first = True
    for entry in applicants:
        out.write("\n" if first else ",\n")
        out.write(applicant_json_text(entry))
        first = False
    out.write("]" if first else "\n  ]")
    pools_text = json.dumps(pools, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    out.write(f",\n  \"pools\": {pools_text},\n  \"total\": {_fast_dump(total)}\n}}\n")


def write_jsonl(out, head: dict, applicants, pools: list, total: str) -> None:
    """A first line with the batch's summary (policy, as_of, year, pools, total), then one applicant a line."""
    compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out.write(compact({**head, "pools": pools, "total": total}) + "\n")
    for entry in applicants:
        out.write(compact(entry) + "\n")


def csv_header(spec: PolicySpec) -> list[str]:
    header = ["id", "total"]
    for m in spec.measures:
        header += [f"{m.name}.status", f"{m.name}.amount", f"{m.name}.city_share", f"{m.name}.county_share"]
    return header


def write_csv(out, spec: PolicySpec, applicants) -> None:
    """One row per applicant: the total, then each measure's status and amounts (empty where not listed)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_header(spec))
    position = {m.name: 2 + 4 * i for i, m in enumerate(spec.measures)}
    width = 2 + 4 * len(spec.measures)
    for entry in applicants:
        row = [""] * width
        row[0], row[1] = entry["id"], entry["total"]
        for award in entry["awards"]:
            k = position[award["measure"]]
            row[k] = award["status"]
            row[k + 1] = award["amount"]
            row[k + 2] = award["city_share"] or ""
            row[k + 3] = award["county_share"] or ""
        writer.writerow(row)


__all__ = ["FORMATS", "ColumnBuilder", "InputError", "Progress", "RowError", "Source", "format_of",
           "population_from_applicants", "set_values", "write_csv", "write_json", "write_jsonl"]
