"""Column profiles pinned: every field of from_chunk and merge, the value-count cap and its tie order,
the derived counts, completeness and the distinct count."""

import math

import numpy as np
import pyarrow as pa
import pytest

import sagewatch.profile.column as column_module
from sagewatch.profile.column import ColumnProfile, _merge_counts, _merge_optional
from sagewatch.profile.infer import TypedChunk, classify
from sagewatch.sketches.distinct import DistinctCount


def _profile(values, name="x"):
    return ColumnProfile.from_chunk(name, classify(pa.array(values)))


def test_zero_is_an_empty_profile():
    z = ColumnProfile.zero("c")
    assert (z.name, z.n_missing, z.n_integral, z.n_fractional, z.n_string, z.n_numeric) == ("c", 0, 0, 0, 0, 0)
    assert (z.total, z.mean, z.std_dev, z.minimum, z.maximum) == (0.0, 0.0, 0.0, math.inf, -math.inf)
    assert z.sketch is None and dict(z.counts) == {} and not z.counts_truncated and z.distinct is None
    assert z.n_rows == 0 and z.completeness == 0.0 and z.inferred_type == "Unknown" and z.distinct_count == 0


def test_from_chunk_of_numbers_fills_every_numeric_field():
    p = _profile([3.0, None, 1.0, 2.0, float("nan")])
    assert (p.n_missing, p.n_integral, p.n_fractional, p.n_string, p.n_numeric) == (2, 0, 3, 0, 3)
    assert (p.total, p.mean, p.minimum, p.maximum) == (6.0, 2.0, 1.0, 3.0)
    assert p.std_dev == math.sqrt(2 / 3)
    assert p.sketch.levels() == [[1.0, 2.0, 3.0]] and p.distribution() is p.sketch
    assert dict(p.counts) == {} and p.distinct is None and p.inferred_type == "Fractional"
    assert p.n_present == 3 and p.n_rows == 5 and p.completeness == 0.6


def test_from_chunk_of_text_counts_values_and_sketches_distinct_ones():
    p = _profile(["b", "a", "b", None, "1"])
    assert (p.n_missing, p.n_integral, p.n_fractional, p.n_string, p.n_numeric) == (1, 1, 0, 3, 1)
    assert dict(p.counts) == {"b": 2, "a": 1, "1": 1} and not p.counts_truncated
    assert p.distinct.estimate() == 3 and p.distinct_count == 3
    assert p.category_counts() == {"b": 2, "a": 1, "1": 1} and isinstance(p.category_counts(), dict)
    assert p.inferred_type == "String" and p.minimum == 1.0 and p.maximum == 1.0


def test_from_chunk_builds_the_distinct_sketch_from_counts_when_the_chunk_has_none():
    chunk = TypedChunk(0, 0, 0, 3, np.empty(0), {"u": 2, "v": 1})
    p = ColumnProfile.from_chunk("c", chunk)
    assert p.distinct is not None and p.distinct.estimate() == 2
    given = DistinctCount.from_values(["u", "v", "w", "z"])
    q = ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 3, np.empty(0), {"u": 2, "v": 1}, True, given))
    assert q.distinct is given and q.counts_truncated
    assert q.distinct_count == 4  # truncated counts: the sketch's estimate, not the 2 counted values
    none = ColumnProfile.from_chunk("c", TypedChunk(2, 0, 0, 0, np.empty(0)))
    assert none.distinct is None and none.n_missing == 2 and dict(none.counts) == {}


def test_merge_adds_every_count_and_combines_every_field():
    a = _profile([1.0, 5.0, None])
    b = _profile(["x", "2", "x", ""])
    m = a.merge(b)
    assert m.name == "x"
    assert (m.n_missing, m.n_integral, m.n_fractional, m.n_string, m.n_numeric) == (2, 1, 2, 2, 3)
    assert (m.total, m.mean, m.minimum, m.maximum) == (8.0, 8.0 / 3, 1.0, 5.0)
    assert m.std_dev == pytest.approx(math.sqrt(((1 - 8 / 3) ** 2 + (5 - 8 / 3) ** 2 + (2 - 8 / 3) ** 2) / 3),
                                      rel=1e-15)
    assert m.sketch.n == 3 and dict(m.counts) == {"x": 2, "2": 1} and m.distinct.estimate() == 2
    assert (a + b).n_rows == m.n_rows == 7
    assert (m.n_present, m.inferred_type) == (5, "String")
    # the inputs are unchanged
    assert a.n_numeric == 2 and dict(a.counts) == {} and dict(b.counts) == {"x": 2, "2": 1}


def test_merge_keeps_min_and_max_from_whichever_side_has_them():
    low, high = _profile([-4.0, 0.5]), _profile([7.0, 9.0])
    for m in (low.merge(high), high.merge(low)):
        assert m.minimum == -4.0 and m.maximum == 9.0
    assert ColumnProfile.zero("x").merge(high).minimum == 7.0
    assert high.merge(ColumnProfile.zero("x")).maximum == 9.0


def test_merge_with_zero_keeps_every_value():
    a = _profile(["p", "q", None, "3"])
    for m in (a.merge(ColumnProfile.zero("x")), ColumnProfile.zero("x").merge(a)):
        assert (m.n_missing, m.n_integral, m.n_string, m.n_numeric, m.total) == (1, 1, 2, 1, 3.0)
        assert dict(m.counts) == {"p": 1, "q": 1, "3": 1} and m.distinct.estimate() == 3
        assert m.sketch.levels() == [[3.0]]


def test_truncation_flags_travel_through_merges(monkeypatch):
    monkeypatch.setattr(column_module, "MAX_TRACKED_VALUES", 2)
    a = ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 2, np.empty(0), {"u": 2}, True,
                                                 DistinctCount.from_values(["u", "w", "z"])))
    b = ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 1, np.empty(0), {"v": 1}))
    assert a.counts_truncated and not b.counts_truncated
    assert a.merge(b).counts_truncated and b.merge(a).counts_truncated
    assert not b.merge(b).counts_truncated
    assert a.merge(b).distinct_count == 4  # u, w, z and v: the sketch knows more than the counts
    c = ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 1, np.empty(0), {"t": 1}))
    both = b.merge(c).merge(ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 1, np.empty(0), {"s": 1})))
    assert both.counts_truncated and len(both.counts) == 2  # three values over a cap of two
    assert both.distinct_count == 3


def test_from_chunk_truncates_counts_over_the_cap(monkeypatch):
    monkeypatch.setattr(column_module, "MAX_TRACKED_VALUES", 2)
    p = ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 6, np.empty(0), {"a": 1, "b": 3, "c": 2}))
    assert dict(p.counts) == {"b": 3, "c": 2} and p.counts_truncated
    exact = ColumnProfile.from_chunk("c", TypedChunk(0, 0, 0, 5, np.empty(0), {"b": 3, "c": 2}))
    assert not exact.counts_truncated and dict(exact.counts) == {"b": 3, "c": 2}


def test_merge_counts_keeps_the_most_frequent_then_the_greatest_value(monkeypatch):
    monkeypatch.setattr(column_module, "MAX_TRACKED_VALUES", 3)
    merged, dropped = _merge_counts({"a": 2, "b": 1}, {"b": 2, "c": 1})
    assert merged == {"a": 2, "b": 3, "c": 1} and not dropped  # exactly at the cap: nothing dropped
    merged, dropped = _merge_counts({"a": 5, "b": 1, "c": 1}, {"d": 1, "e": 2})
    assert dropped and merged == {"a": 5, "e": 2, "d": 1}  # ties at 1: the greatest value ("d") kept
    assert list(merged) == ["a", "e", "d"]  # most frequent first
    a = {"x": 1}
    _merge_counts(a, {"x": 4})
    assert a == {"x": 1}  # the input is not changed


def test_distinct_count_is_exact_while_every_value_is_counted():
    p = ColumnProfile("c", n_string=3, counts={"a": 1, "b": 2}, distinct=DistinctCount.from_values(["a", "b", "c"]))
    assert p.distinct_count == 2  # not truncated: the counts are the truth
    t = ColumnProfile("c", n_string=3, counts={"a": 1, "b": 2}, counts_truncated=True, distinct=None)
    assert t.distinct_count == 2  # truncated without a sketch: what was counted
    small = ColumnProfile("c", n_string=3, counts={"a": 1, "b": 2, "c": 1}, counts_truncated=True,
                          distinct=DistinctCount.from_values(["a"]))
    assert small.distinct_count == 3  # never fewer than the values counted


@pytest.mark.parametrize("n_integral, n_fractional, n_string, n_missing, completeness", [
    (0, 0, 0, 0, 0.0), (1, 0, 0, 0, 1.0), (0, 2, 0, 2, 0.5), (0, 0, 3, 1, 0.75), (1, 1, 1, 1, 0.75),
])
def test_completeness_and_row_counts(n_integral, n_fractional, n_string, n_missing, completeness):
    p = ColumnProfile("c", n_missing=n_missing, n_integral=n_integral, n_fractional=n_fractional,
                      n_string=n_string)
    assert p.n_present == n_integral + n_fractional + n_string
    assert p.n_rows == p.n_present + n_missing
    assert p.completeness == completeness


def test_merge_optional_keeps_the_present_side():
    d = DistinctCount.from_values(["a"])
    assert _merge_optional(None, None) is None
    assert _merge_optional(d, None) is d and _merge_optional(None, d) is d
    assert _merge_optional(d, DistinctCount.from_values(["b"])).estimate() == 2
