"""Batches read as streams (JSON, JSON Lines, CSV), results written as JSON, JSON Lines or CSV.

The same batch in each format gives the same result; a refused applicant is
reported with the line it is on; progress goes to a terminal only.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from pol import batchio
from pol.cli import main

REPO = Path(__file__).resolve().parents[1]
BAOTOU = REPO / "policies" / "baotou_2022.pol"
CITY = REPO / "examples" / "city_2023.json"


def _city() -> dict:
    return json.loads(CITY.read_text(encoding="utf-8"))


def as_jsonl(batch: dict) -> str:
    head = {k: v for k, v in batch.items() if k != "applicants"}
    return "\n".join(json.dumps(x, ensure_ascii=False) for x in [head, *batch["applicants"]]) + "\n"


def as_csv(batch: dict) -> str:
    """One column per fact (a count per code as `fact.code`), empty where not given."""
    columns: list[str] = []
    rows = []
    for applicant in batch["applicants"]:
        row = {}
        for key, value in applicant.items():
            if isinstance(value, dict):
                row.update({f"{key}.{code}": str(count) for code, count in value.items()})
            elif isinstance(value, bool):
                row[key] = "true" if value else "false"
            else:
                row[key] = str(value)
        columns += [c for c in row if c not in columns]
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def csv_sets(batch: dict) -> list[str]:
    return [arg for k, v in batch.items() if k != "applicants" for arg in ("--set", f"{k}={v}")]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["eval", str(BAOTOU), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("engine", ["scalar", "vector"])
def test_each_input_format_gives_the_same_result(engine, tmp_path, capsys):
    batch = _city()
    (tmp_path / "b.jsonl").write_text(as_jsonl(batch), encoding="utf-8")
    (tmp_path / "b.csv").write_text(as_csv(batch), encoding="utf-8")
    outputs = set()
    for args in ([str(CITY)], [str(tmp_path / "b.jsonl")], [str(tmp_path / "b.csv"), *csv_sets(batch)]):
        code, out, err = run(capsys, "--facts", *args, "--engine", engine, "--format", "json")
        assert code == 0, err
        outputs.add(out)
    assert len(outputs) == 1


def test_standard_input_takes_any_format(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(as_jsonl(_city())))
    code, out, err = run(capsys, "--facts", "-", "--input-format", "jsonl", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["total"] == json.loads(run(capsys, "--facts", str(CITY), "--format", "json")[1])["total"]


@pytest.mark.parametrize("engine", ["scalar", "vector"])
def test_output_formats_carry_the_same_amounts(engine, tmp_path, capsys):
    _, doc, _ = run(capsys, "--facts", str(CITY), "--engine", engine, "--format", "json")
    _, lines, _ = run(capsys, "--facts", str(CITY), "--engine", engine, "--format", "jsonl")
    _, table, _ = run(capsys, "--facts", str(CITY), "--engine", engine, "--format", "csv")
    result = json.loads(doc)
    head, *entries = [json.loads(line) for line in lines.splitlines()]
    assert head == {k: result[k] for k in ("policy", "as_of", "year", "pools", "total")}
    assert entries == result["applicants"]
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["id"] for r in rows] == [a["id"] for a in result["applicants"]]
    for row, applicant in zip(rows, result["applicants"]):
        assert row["total"] == applicant["total"]
        for award in applicant["awards"]:
            assert row[f"{award['measure']}.amount"] == award["amount"]
            assert row[f"{award['measure']}.status"] == award["status"]


def test_the_vector_json_writer_matches_json_dumps(tmp_path, capsys):
    _, out, _ = run(capsys, "--facts", str(CITY), "--engine", "vector", "--format", "json")
    assert out == json.dumps(json.loads(out), ensure_ascii=False, indent=2) + "\n"
    empty = tmp_path / "empty.json"
    empty.write_text('{"as_of": "2023-12-31", "applicants": []}', encoding="utf-8")
    _, out, _ = run(capsys, "--facts", str(empty), "--engine", "vector", "--format", "json")
    assert out == json.dumps(json.loads(out), ensure_ascii=False, indent=2) + "\n"


def test_output_file(tmp_path, capsys):
    target = tmp_path / "out.csv"
    code, out, _ = run(capsys, "--facts", str(CITY), "--format", "csv", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8").startswith("id,total,M3a.status,M3a.amount,")


# ---------------------------------------------------------------- a bad row is reported at its line


@pytest.mark.parametrize("engine", ["scalar", "vector"])
def test_a_bad_fact_in_jsonl_is_reported_at_its_line(engine, tmp_path, capsys):
    batch = _city()
    batch["applicants"][3]["village_stations"] = -3  # the 4th applicant, V-03: line 5
    path = tmp_path / "b.jsonl"
    path.write_text(as_jsonl(batch), encoding="utf-8")
    code, out, err = run(capsys, "--facts", str(path), "--engine", engine)
    assert code == 1 and out == ""
    assert err == (f'error: {path}:5: applicant "V-03": fact `village_stations`: must not be negative, '
                   f"got -3\n")


def test_malformed_json_lines_are_reported_at_their_line(tmp_path, capsys):
    lines = as_jsonl(_city()).splitlines()
    lines[4] = lines[4][:-1]  # line 5 loses its closing brace
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path))
    assert code == 1
    assert err.startswith(f"error: {path}:5:") and "malformed JSON" in err


@pytest.mark.parametrize("engine", ["scalar", "vector"])
def test_a_bad_row_in_csv_is_reported_at_its_line(engine, tmp_path, capsys):
    batch = _city()
    text = as_csv(batch).splitlines()
    header = text[0].split(",")
    row = next(i for i, line in enumerate(text) if line.startswith("L-01,"))
    cells = text[row].split(",")
    cells[header.index("hotel_rated_on")] = "2023-02-30"
    text[row] = ",".join(cells)
    path = tmp_path / "b.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path), "--engine", engine, *csv_sets(batch))
    assert code == 1
    assert err == f'error: {path}:{row + 1}: applicant "L-01": fact `hotel_rated_on`: "2023-02-30" is not a day ' \
                  f"in the calendar\n"


def test_a_short_csv_row_is_reported_at_its_line(tmp_path, capsys):
    batch = _city()
    text = as_csv(batch).splitlines()
    text[3] = text[3].rsplit(",", 1)[0]
    path = tmp_path / "b.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path), *csv_sets(batch))
    assert code == 1 and err.startswith(f"error: {path}:4: expected ")


def test_csv_header_names_facts(tmp_path, capsys):
    path = tmp_path / "b.csv"
    path.write_text("id,village_station\nV,3\n", encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path), "--set", "as_of=2023-12-31")
    assert code == 1 and "unknown fact `village_station` (did you mean `village_stations`?)" in err
    assert err.startswith(f"error: {path}:1:")


def test_csv_batches_take_their_batch_facts_from_set(tmp_path, capsys):
    path = tmp_path / "b.csv"
    path.write_text("id,village_stations\nV,3\n", encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path))
    assert code == 1 and "fact `as_of` (evaluation date) is required" in err
    code, out, _ = run(capsys, "--facts", str(path), "--set", "as_of=2023-12-31", "--format", "json")
    assert code == 0 and json.loads(out)["total"] == "30000.00"
    assert run(capsys, "--facts", str(path), "--set", "as_off=2023-12-31")[0] == 2


@pytest.mark.parametrize("engine", ["scalar", "vector"])
def test_a_bad_applicant_in_a_json_document_is_reported_at_its_line(engine, tmp_path, capsys):
    text = CITY.read_text(encoding="utf-8").replace('"village_stations": 45', '"village_stations": "many"')
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"many"' in t)
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path), "--engine", engine)
    assert code == 1 and err.startswith(f'error: {path}:{line}: applicant "V-02": fact `village_stations`')


def test_a_syntax_error_after_a_bad_row_is_reported_first(tmp_path, capsys):
    text = CITY.read_text(encoding="utf-8").replace('"village_stations": 45', '"village_stations": -45')
    text = text.rstrip()[:-1]  # the closing brace is missing: json.loads would fail before any check
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "--facts", str(path), "--engine", "vector")
    assert code == 1 and "malformed JSON" in err


def test_duplicate_ids_across_chunks_name_both_applicants(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batchio.ColumnBuilder, "CHUNK", 4)
    batch = _city()
    batch["applicants"][9]["id"] = batch["applicants"][2]["id"]  # V-02 again, on line 11
    path = tmp_path / "b.jsonl"
    path.write_text(as_jsonl(batch), encoding="utf-8")
    for engine in ("scalar", "vector"):
        code, _, err = run(capsys, "--facts", str(path), "--engine", engine)
        assert code == 1
        assert err == f'error: {path}:11: applicant "V-02": duplicate id (also applicant #3)\n'


def test_the_column_reader_refuses_as_the_scalar_reader_does(tmp_path):
    """For each kind of bad value, the stream's message is the scalar reader's, plus the line."""
    from pol.api import load

    module = load(BAOTOU)
    bad_values = [("livestream_rooms", "5.5"), ("livestream_rooms", True), ("hotel_star_rating", 6),
                  ("homestay_grade", "D"), ("established_on", "2023-1-5"), ("local_product_livestream_sales", "1e5"),
                  ("local_product_livestream_sales", "-1"), ("village_parcels", {"nowhere": 3}),
                  ("registered_in_baotou", "yes"), ("id", 17), ("nonsense", 1)]
    for fact, value in bad_values:
        applicant = {"id": "A", fact: value} if fact != "id" else {"id": value}
        data = {"as_of": "2023-12-31", "applicants": [{"id": "Z"}, applicant]}
        with pytest.raises(batchio.BatchError) as scalar:
            module.read(json.loads(json.dumps(data), parse_float=Decimal))
        path = tmp_path / "b.jsonl"
        path.write_text(as_jsonl(data), encoding="utf-8")
        builder = batchio.ColumnBuilder(module.SPEC)
        with pytest.raises(batchio.RowError) as streamed:
            for line, raw in batchio.Source(path, "jsonl").open(module.SPEC).records():
                builder.add(raw, line)
            builder.finish()
        assert (str(streamed.value), streamed.value.code, streamed.value.line) == \
            (str(scalar.value), scalar.value.code, 3), fact


# ---------------------------------------------------------------- progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_on_a_terminal_and_clears_it():
    terminal = _Terminal()
    progress = batchio.Progress(terminal, delay=0)
    progress.update("reading", 50, 100)
    assert "reading [" in terminal.getvalue() and "50%" in terminal.getvalue()
    progress.done()
    assert terminal.getvalue().endswith("\r\x1b[K")


def test_progress_stays_silent_off_a_terminal_or_when_quiet():
    plain = io.StringIO()
    batchio.Progress(plain, delay=0).update("reading", 50, 100)
    assert plain.getvalue() == ""
    terminal = _Terminal()
    batchio.Progress(terminal, enabled=False, delay=0).update("reading", 50, 100)
    assert terminal.getvalue() == ""


def test_a_file_that_is_not_utf8_part_way_is_one_message(tmp_path, capsys):
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"as_of": "2023-12-31"}\n{"id": "a", "county": "\xff\xfe"}\n')
    code, out, err = run(capsys, "--facts", str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"error: cannot read {path}:") and len(err.splitlines()) == 1


_JSON_TEXTS = [
    '{"id": "A", "sales": "12.50", "rooms": 3}', '{"sales": 12.50}', '{"sales": 1e3}', '{"sales": -0}',
    '{"sales": 1E400}', '{"x": [1, 2.5]}', '{"x": {"y": {"z": 0.1}}}', '{"x": [[{"y": 3.0}]]}',
    '{"big": 123456789012345678901234567890}', '{"big": -9223372036854775809}', '{"n": 18446744073709551615}',
    '{"n": NaN}', '{"n": Infinity}', '{"n": -Infinity}', '{"s": "\\ud800"}', '{"s": "\\ud83d\\ude00"}',
    '{"s": "tab\there"}', '{"s": "\\u0000"}', '{"a": 1, "a": 2}', '[1, 2]', '"text"', '5', 'true', 'null',
    '{"a": 1,}', '{"a": 1} x', '{"a": 01}', "{'a': 1}", '{"a": .5}', '{"a": 5.}', '{"a": +5}',
    "[" * 2000 + "]" * 2000, '{"s": "é中文"}', ' {"a": 1} ', '{"v": {"kundulun": 3, "donghe": 0}}',
]


@pytest.mark.parametrize("text", _JSON_TEXTS, ids=range(len(_JSON_TEXTS)))
def test_the_quick_line_decoder_gives_exactly_what_the_exact_one_gives(text):
    """JSON Lines are decoded by orjson where that is exact and by the standard library elsewhere:
    the same objects, Decimals where a number has a fraction or an exponent, the same errors."""
    def outcome(decode):
        try:
            value = decode(text)
        except (ValueError, RecursionError) as error:
            return ("error", type(error).__name__, str(error))
        return ("value", repr(value), _types(value))

    assert outcome(batchio._line_decoder()) == outcome(batchio._decoder().decode)


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def test_the_json_output_with_reasons_is_json_dumps_byte_for_byte(tmp_path, capsys):
    """The scalar engine's JSON (reasons included) is streamed by the same writer as the vector
    engine's: byte for byte what json.dumps(indent=2, ensure_ascii=False) writes, odd text included."""
    from pol.api import compile_file, load_source

    compiled = compile_file(BAOTOU)
    module = load_source(compiled.python, compiled.policy_id)
    batches = [CITY, *sorted((REPO / "examples").glob("*.json"))]
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps({"as_of": "2023-12-31", "applicants": [
        {"id": 'quote " back \\ line\u2028sep </script> 中文', "county": "donghe", "hotel_star_rating": "5",
         "hotel_rated_on": "2023-01-02"}]}, ensure_ascii=False), encoding="utf-8")
    for batch in [*batches, hostile]:
        data = json.loads(batch.read_text(encoding="utf-8"), parse_float=Decimal)
        if not isinstance(data, dict) or "applicants" not in data:
            continue
        try:
            expected = json.dumps(module.evaluate_json(data), ensure_ascii=False, indent=2) + "\n"
        except batchio.BatchError:
            continue
        code, out, _ = run(capsys, "--facts", str(batch), "--engine", "scalar", "--format", "json")
        assert code == 0 and out == expected, batch.name
