"""The declared schema of ``statistics.json`` (contract §3.1), checked before anything reads it.

Liberal where SageMaker's files vary: counts as integers or integral doubles, Jackson's ``"NaN"``
strings for undefined doubles, optional blocks absent or null, unknown keys ignored. Strict where a
value is impossible: wrong JSON types, negative counts or standard deviations, ``min > max``, a mean
outside ``[min, max]``, a KLL ``k`` DataSketches refuses, ``sketch.data`` that is not a list of lists
of finite numbers, unordered buckets, duplicate feature names or categorical values.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import PlainValidator, model_validator

from sagewatch.defaults import KLL_C, KLL_K
from sagewatch.schemas.validation import (unique_feature_names, Count, Described, Document, FiniteNumber, JsonDouble, Name, NonNegativeDouble,
                                          NonNegativeNumber, VersionNumber, expected)

__all__ = ["StatisticsFile", "FeatureStatistics", "NumericalStatistics", "StringStatistics", "InferredType",
           "KLL_K_RANGE", "MAX_KLL_LEVELS"]

InferredType = Literal["Integral", "Fractional", "String", "Unknown"]
KLL_K_RANGE = (8, 65535)  # what Apache DataSketches' KLL sketch accepts
MAX_KLL_LEVELS = 61  # level i holds items of weight 2**i; 2**60 already exceeds any real count
MEAN_TOLERANCE = 1e-9  # relative: a mean computed as sum / n may land an ulp or two outside [min, max]


def _kll_k(value: Any) -> int:
    low, high = KLL_K_RANGE
    if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high \
            and (isinstance(value, int) or value.is_integer()):
        return int(value)
    raise expected(f"a whole number from {low} to {high} (the KLL sketch sizes DataSketches accepts)")


def _kll_c(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1:
        return float(value)
    raise expected("a number above 0 and at most 1")


def _kll_data(value: Any) -> tuple[tuple[float, ...], ...]:
    # one pass over plain lists: this is the only per-item check, and the sketch holds a few thousand items
    if not isinstance(value, list):
        raise expected("a list of levels, each a list of finite numbers")
    if len(value) > MAX_KLL_LEVELS:
        raise expected(f"at most {MAX_KLL_LEVELS} levels")
    levels = []
    for i, level in enumerate(value):
        if not isinstance(level, list):
            raise expected("a list of finite numbers", at=(i,), found=level)
        for j, item in enumerate(level):
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
                raise expected("a finite number", at=(i, j), found=item)
        levels.append(tuple(map(float, level)))
    return tuple(levels)


KllK = Annotated[int, PlainValidator(_kll_k)]
KllC = Annotated[float, PlainValidator(_kll_c)]
KllData = Annotated[tuple[tuple[float, ...], ...], PlainValidator(_kll_data)]


class Common(Document):
    num_present: Count = 0
    num_missing: Count = 0


class KllParameters(Document):
    c: KllC = KLL_C
    k: KllK = KLL_K


class KllSketch(Document):
    parameters: KllParameters | None = None
    data: KllData = ()


class NumericBucket(Document):
    lower_bound: FiniteNumber
    upper_bound: FiniteNumber
    count: Count

    @model_validator(mode="after")
    def _ordered(self) -> NumericBucket:
        if self.lower_bound > self.upper_bound:
            raise expected(f"a number >= lower_bound {self.lower_bound!r}", at=("upper_bound",),
                           found=self.upper_bound)
        return self


class Kll(Document):
    buckets: list[NumericBucket] = []
    sketch: KllSketch | None = None

    @model_validator(mode="after")
    def _buckets_ascend(self) -> Kll:
        for i in range(1, len(self.buckets)):
            if self.buckets[i].lower_bound < self.buckets[i - 1].lower_bound:
                raise expected(f"buckets in ascending order: a lower_bound >= {self.buckets[i - 1].lower_bound!r}",
                               at=("buckets", i, "lower_bound"), found=self.buckets[i].lower_bound)
        return self


class NumericDistribution(Document):
    kll: Kll | None = None


class NumericalStatistics(Document):
    common: Common | None = None
    mean: JsonDouble | None = None
    sum: JsonDouble | None = None
    std_dev: NonNegativeDouble | None = None
    min: JsonDouble | None = None
    max: JsonDouble | None = None
    distribution: NumericDistribution | None = None

    @model_validator(mode="after")
    def _ordered(self) -> NumericalStatistics:
        lo, hi, mean = self.min, self.max, self.mean
        finite = lambda v: v is not None and math.isfinite(v)  # noqa: E731 - undefined values are not compared
        if finite(lo) and finite(hi) and lo > hi:
            raise expected(f"a number >= min {lo!r}", at=("max",), found=hi)
        if finite(mean):
            slack = MEAN_TOLERANCE * max(abs(lo) if finite(lo) else 0.0, abs(hi) if finite(hi) else 0.0)
            if finite(lo) and mean < lo - slack:
                raise expected(f"a mean >= min {lo!r}", at=("mean",), found=mean)
            if finite(hi) and mean > hi + slack:
                raise expected(f"a mean <= max {hi!r}", at=("mean",), found=mean)
        return self


class CategoricalBucket(Document):
    value: str
    count: Count


class Categorical(Document):
    buckets: list[CategoricalBucket] = []

    @model_validator(mode="after")
    def _distinct_values(self) -> Categorical:
        seen: set[str] = set()
        for i, bucket in enumerate(self.buckets):
            if bucket.value in seen:
                raise expected("each value once (a second bucket for the same value)", at=("buckets", i, "value"),
                               found=bucket.value)
            seen.add(bucket.value)
        return self


class StringDistribution(Document):
    categorical: Categorical | None = None


class StringStatistics(Document):
    common: Common | None = None
    distinct_count: NonNegativeNumber | None = None  # a float in real files; an estimate need not be whole
    distribution: StringDistribution | None = None


class FeatureStatistics(Document):
    name: Name
    inferred_type: InferredType = "Unknown"
    numerical_statistics: NumericalStatistics | None = None
    string_statistics: StringStatistics | None = None

    @model_validator(mode="after")
    def _block_fits_type(self) -> FeatureStatistics:
        numeric = self.inferred_type in ("Integral", "Fractional")
        if numeric and self.string_statistics is not None and self.numerical_statistics is None:
            raise expected(f"numerical_statistics for an {self.inferred_type} feature", at=("string_statistics",),
                           found=Described("string_statistics"))
        if not numeric and self.numerical_statistics is not None:
            raise expected(f"string_statistics for a{'n' * (self.inferred_type == 'Unknown')} "
                           f"{self.inferred_type} feature", at=("numerical_statistics",),
                           found=Described("numerical_statistics"))
        return self

    @property
    def common(self) -> Common:
        block = self.numerical_statistics or self.string_statistics
        return (block.common if block is not None else None) or Common()


class DatasetBlock(Document):
    item_count: Count | None = None


class StatisticsFile(Document):
    version: VersionNumber | None = None
    dataset: DatasetBlock | None = None
    features: list[FeatureStatistics]

    @model_validator(mode="after")
    def _unique_names(self) -> StatisticsFile:
        unique_feature_names(self.features)
        return self
