"""Bulk JSON / CSV helpers (capture/tabular.py) and SkipCounts (capture/skips.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.capture.skips import SKIP_REASONS, SkipCounts
from sagewatch.capture.tabular import (
    STATUS_BAD_JSON,
    STATUS_BAD_RECORD,
    TypeConflict,
    csv_widths,
    flatten_columns,
    parse_csv_lines,
    parse_json_values,
    read_json_texts,
)


def test_read_json_texts_sets_aside_bad_rows_in_order():
    texts = pa.array(['{"a": 1}', "{oops", '{"a": 2}', "[1]", '{"a": 3}', '{"a": 4}{"a": 5}', '{"a": 6}'])
    parsed = read_json_texts(texts)
    assert parsed.table.column("a").to_pylist() == [1, 2, 3, 6]
    assert parsed.status.tolist() == [0, STATUS_BAD_JSON, 0, STATUS_BAD_RECORD, 0, STATUS_BAD_JSON, 0]


def test_read_json_texts_with_schema_marks_wrong_types():
    schema = pa.schema([("a", pa.string())])
    parsed = read_json_texts(pa.array(['{"a": "x", "z": [1]}', '{"a": 5}', '{"b": 1}']), schema=schema)
    assert parsed.table.column("a").to_pylist() == ["x", None]
    assert parsed.status.tolist() == [0, STATUS_BAD_RECORD, 0]


def test_read_json_texts_type_conflict_without_schema():
    with pytest.raises(TypeConflict):
        read_json_texts(pa.array(['{"a": 1}', '{"a": "x"}']))


def test_parse_json_values_flattens_every_kind():
    res = parse_json_values(pa.array(['{"a": {"b": [1, 2]}}', "", '{"a": {"b": [3]}, "c": null}']))
    cols, status = res.columns, res.status
    assert [(p, c.to_pylist()) for p, c in cols] == [
        (("a", "b", 0), [1, 3]), (("a", "b", 1), [2, None]), (("c",), [None, None])
    ]
    assert status.tolist() == [0, STATUS_BAD_JSON, 0]
    assert res.widths.tolist() == [-1, -1]
    res = parse_json_values(pa.array(["[1, 2]", "[3]", "[null, null, null]"]))
    assert [(p, c.to_pylist()) for p, c in res.columns] == [
        ((0,), [1, 3, None]), ((1,), [2, None, None]), ((2,), [None, None, None])
    ]
    assert res.widths.tolist() == [2, 1, 3]
    res = parse_json_values(pa.array(["0.5", "7"]))
    assert [(p, c.to_pylist()) for p, c in res.columns] == [((), [0.5, 7.0])]
    assert res.widths.tolist() == [1, 1]


def test_parse_json_values_python_fallback_keeps_text_for_conflicts():
    res = parse_json_values(pa.array(['{"a": 1, "b": [1]}', '{"a": "x", "b": {"c": 2}}', "[1, 2]", "{bad"]))
    assert dict((p, c.to_pylist()) for p, c in res.columns) == {
        ("a",): ["1", "x", None], ("b", 0): [1, None, None], ("b", "c"): [None, 2, None],
        (0,): [None, None, 1], (1,): [None, None, 2],
    }
    assert res.status.tolist() == [0, 0, 0, 1]
    assert res.widths.tolist() == [-1, -1, 2]


def test_flatten_columns_propagates_struct_nulls():
    arr = pa.array([{"a": {"b": 1}}, None, {"a": None}])
    assert [(p, c.to_pylist()) for p, c in flatten_columns(arr)] == [(("a", "b"), [1, None, None])]


def test_csv_widths_and_parse():
    lines = pa.array(["1,2,3", '"a,b",,"c"', "", "x"])
    assert csv_widths(lines).tolist() == [3, 3, 1, 1]
    cols = parse_csv_lines(pa.array(["1,2,3", '"a,b",,"c"']), 3)
    assert [c.to_pylist() for c in cols] == [["1", "a,b"], ["2", None], ["3", "c"]]
    (single,) = parse_csv_lines(pa.array(["x", "", "y", ""]), 1)
    assert single.to_pylist() == ["x", None, "y", None]


def test_skip_counts_is_a_pure_monoid():
    a, b, c = SkipCounts.of(bad_json=1), SkipCounts.of(wrong_width=2, bad_json=3), SkipCounts.of(outside_window=4)
    assert (a + b) + c == a + (b + c)
    assert a + SkipCounts.zero() == a == SkipCounts.zero() + a
    assert a.to_dict() == {"bad_json": 1} and b.to_dict() == {"bad_json": 3, "wrong_width": 2}
    assert (a + b + c).total() == 10
    assert a.add("bad_json", 0) is a
    assert SkipCounts.of(x=0).to_dict() == {}
    with pytest.raises(ValueError):
        SkipCounts.of(x=-1)
    with pytest.raises(TypeError):
        a.counts["bad_json"] = 5  # type: ignore[index]
    assert len(SKIP_REASONS) == len(set(SKIP_REASONS)) == 15
    assert np.int64(a["bad_json"]) == 1 and a["missing"] == 0
