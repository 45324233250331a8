import pyarrow as pa

from sagewatch.job.analyses.data_quality import name_positional_columns
from sagewatch.profile.dataset import profile_table


def test_capture_columns_take_baseline_names_by_position():
    profile = profile_table(pa.table({"predictions.0": [0.1, 0.9], "_c1": [1, 2], "_c2": ["a", "b"], "_c3": [5, 6]}))
    named = name_positional_columns(profile, ["score", "age", "city"])
    assert list(named.columns) == ["score", "age", "city", "_c3"]
    assert named.columns["age"].name == "age" and named.columns["age"].n_integral == 2
    assert set(named.sample) == {"score", "age", "city", "_c3"}


def test_named_columns_are_left_alone():
    profile = profile_table(pa.table({"age": [1, 2], "_c1": [3, 4]}))
    assert list(name_positional_columns(profile, ["age", "city"]).columns) == ["age", "_c1"]
