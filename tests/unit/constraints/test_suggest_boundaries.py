"""suggest_constraints at its boundaries: which columns get a domain, its order, and is_non_negative."""

from types import MappingProxyType

import pyarrow as pa
import pytest

from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.defaults import DOMAIN_MAX_DISTINCT, DOMAIN_MAX_DISTINCT_LARGE, DOMAIN_MAX_DISTINCT_RATIO
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile, profile_table


def _feature(values):
    (feature,) = suggest_constraints(profile_table(pa.table({"x": pa.array(values, pa.string())}))).features
    return feature


def _distinct(n_distinct, rows):
    return [f"v{i % n_distinct:05d}" for i in range(rows)]


def test_domain_up_to_the_small_limit_whatever_the_row_count():
    # DOMAIN_MAX_DISTINCT values over twice as many rows: far above the 1% ratio, still a domain
    rows = 2 * DOMAIN_MAX_DISTINCT
    assert len(_feature(_distinct(DOMAIN_MAX_DISTINCT, rows)).domains) == DOMAIN_MAX_DISTINCT
    assert _feature(_distinct(DOMAIN_MAX_DISTINCT + 1, rows + 2)).domains is None


def test_domain_for_many_values_that_are_a_small_share_of_the_rows():
    n = 30
    rows = int(n / DOMAIN_MAX_DISTINCT_RATIO)  # exactly at the ratio
    assert len(_feature(_distinct(n, rows)).domains) == n
    assert _feature(_distinct(n, rows - 1)).domains is None


def test_domain_at_the_large_limit():
    n = DOMAIN_MAX_DISTINCT_LARGE
    rows = int(n / DOMAIN_MAX_DISTINCT_RATIO)
    assert len(_feature(_distinct(n, rows)).domains) == n
    # one more value: above the large limit although still under 1% of twice the rows
    assert _feature(_distinct(n + 1, 2 * rows)).domains is None


def test_domain_ordered_by_count_then_value():
    assert _feature(["c", "b", "b", "b", "a", "d", "d"]).domains == ("b", "d", "a", "c")


@pytest.mark.parametrize("values", [["1", "2", "1"], ["1.5", "2", "1.5"]])
def test_numeric_columns_get_no_domain(values):
    assert _feature(values).domains is None


@pytest.mark.parametrize("values, expected", [
    (["0", "3", "5"], True),        # a minimum of exactly zero is non-negative
    (["0.5", "3", "5"], True),      # a minimum between zero and one
    (["-0.5", "3", "5"], False),
    (["-1", "3"], False),
])
def test_is_non_negative_boundary(values, expected):
    assert _feature(values).is_non_negative is expected


def test_string_columns_have_no_non_negative_flag():
    assert _feature(["a", "b"]).is_non_negative is None


def test_string_column_without_value_counts_gets_no_domain():
    # a statistics.json String feature without categorical buckets: an empty domain would flag every value
    profile = DatasetProfile(MappingProxyType({"s": ColumnProfile("s", n_string=5)}), 5)
    (feature,) = suggest_constraints(profile).features
    assert feature.inferred_type == "String" and feature.domains is None
