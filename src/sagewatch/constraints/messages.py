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


def baseline_drift(distance: float, threshold: float, method: str, exact: str | None = None) -> str:
    """The distance is decided exactly; when its double prints like the threshold, ``exact`` (``"p/q"``)
    is shown too, so the text never reads "0.1 exceeds 0.1".

    >>> baseline_drift(0.1005, 0.1, "Simple")
    'Baseline drift distance requirement is not met. Expected: Simple distance at most 0.1. Observed: distance 0.1005 exceeds the threshold.'
    >>> baseline_drift(0.1, 0.1, "Simple", exact="1000000004/10000000039").split("Observed: ")[1]
    'distance 0.1 (exactly 1000000004/10000000039) exceeds the threshold.'
    """
    shown = java_double(distance)
    if exact is not None and shown == java_double(threshold):
        shown = f"{shown} (exactly {exact})"
    return (f"Baseline drift distance requirement is not met. Expected: {method} distance at most "
            f"{java_double(threshold)}. Observed: distance {shown} exceeds the threshold.")


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
