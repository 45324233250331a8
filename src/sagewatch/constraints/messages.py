"""Every violation description in one place (contract §3.3 and §12).

Only the data_type_check text is the real container's wording. The others are sagewatch's,
written in the same "requirement is not met. Expected … Observed …" style.
"""

from __future__ import annotations

from sagewatch.schemas.serialize import java_double

__all__ = ["data_type", "completeness", "baseline_drift", "missing_column", "extra_column", "categorical_values"]


def _pct(ratio: float) -> str:
    return java_double(ratio * 100.0)


def data_type(expected_type: str, threshold: float, observed_ratio: float) -> str:
    """Real container text (EX outputs notebook).

    >>> data_type("Integral", 1.0, 0.9964592817400101)
    'Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 99.64592817400101% of data is Integral.'
    """
    return (f"Data type match requirement is not met. Expected data type: {expected_type}, "
            f"Expected match: {_pct(threshold)}%. Observed: Only {_pct(observed_ratio)}% of data is {expected_type}.")


def completeness(expected: float, observed: float) -> str:
    return (f"Data completeness requirement is not met. Expected completeness: {_pct(expected)}%. "
            f"Observed: Only {_pct(observed)}% of data is present.")


def baseline_drift(distance: float, threshold: float, method: str) -> str:
    return (f"Baseline drift distance requirement is not met. Expected: {method} distance at most "
            f"{java_double(threshold)}. Observed: distance {java_double(distance)} exceeds the threshold.")


def missing_column(expected_columns: int, observed_columns: int) -> str:
    return (f"Missing column requirement is not met. Expected: {expected_columns} columns as in the baseline. "
            f"Observed: {observed_columns} columns; this baseline column is missing.")


def extra_column(expected_columns: int, observed_columns: int) -> str:
    return (f"Extra column requirement is not met. Expected: {expected_columns} columns as in the baseline. "
            f"Observed: {observed_columns} columns; this column is not in the baseline.")


def categorical_values(threshold: float, observed_ratio: float, unknown_examples: list[str]) -> str:
    shown = ", ".join(unknown_examples[:5])
    more = "" if len(unknown_examples) <= 5 else f" and {len(unknown_examples) - 5} more"
    return (f"Categorical value requirement is not met. Expected match: {_pct(threshold)}% of values in the "
            f"baseline domain. Observed: Only {_pct(observed_ratio)}% of data is in the domain; "
            f"unknown values: {shown}{more}.")
