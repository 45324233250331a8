"""Profiles of data in several chunks or row groups: sketch weights add up to n, buckets stay true."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sagewatch.profile.columnar import profile_parquet_files
from sagewatch.profile.dataset import merge_profiles, profile_table
from sagewatch.schemas.statistics import statistics_document
from datasketches import kll_doubles_sketch

EPS = kll_doubles_sketch.get_normalized_rank_error(2048, False)  # the 99% rank-error bound at k = 2048


def _kll(profile, name):
    for feature in statistics_document(profile)["features"]:
        if feature["name"] == name:
            return feature["numerical_statistics"]["distribution"]["kll"]
    raise KeyError(name)


def _true_counts(x, buckets):
    edges = np.array([b["lower_bound"] for b in buckets] + [buckets[-1]["upper_bound"]])
    counts, _ = np.histogram(x, bins=edges)  # last bin closed, as SageMaker's
    return counts


def test_four_chunks_of_47500_keep_weights_summing_to_190000():
    rng = np.random.default_rng(0)
    x = rng.random(190_000)
    profile = merge_profiles(profile_table(pa.table({"x": part})) for part in np.split(x, 4))
    kll = _kll(profile, "x")
    assert sum(len(level) << i for i, level in enumerate(kll["sketch"]["data"])) == 190_000
    counts = [b["count"] for b in kll["buckets"]]
    assert np.max(np.abs(np.subtract(counts, _true_counts(x, kll["buckets"])))) <= 2 * EPS * x.size + 1


def test_parquet_row_groups_give_the_true_histogram(tmp_path):
    rng = np.random.default_rng(1)
    income = np.round(rng.lognormal(10, 1.2, 300_000), 2)
    pq.write_table(pa.table({"income": income}), tmp_path / "d.parquet", row_group_size=50_000)
    kll = _kll(profile_parquet_files([tmp_path / "d.parquet"]), "income")
    counts = [b["count"] for b in kll["buckets"]]
    assert sum(counts) == 300_000
    assert sum(len(level) << i for i, level in enumerate(kll["sketch"]["data"])) == 300_000
    assert np.max(np.abs(np.subtract(counts, _true_counts(income, kll["buckets"])))) <= 2 * EPS * income.size + 1
