"""The Python API of data-quality monitoring: :func:`profile`, :func:`suggest_baseline` and :func:`check`.

Each takes ``data`` as a pandas DataFrame, a pyarrow Table (or RecordBatch), or the path of a file or folder,
and gives SageMaker's files as objects: ``statistics.json`` (:class:`Statistics`), ``constraints.json``
(:class:`~sagewatch.schemas.constraints.Constraints`) and ``constraint_violations.json``
(:class:`CheckResult`), each with ``to_json()`` (the file's exact text) and ``write(folder)``.

The engine behind them is the processing job's: a path is read by the job's data-quality analysis, and an
in-memory table is profiled in the same chunks the job's readers cut, so a DataFrame and the CSV of it give the
same bytes (``df.to_csv(index=False)``; booleans aside: pandas writes ``True``, a typed column is profiled as
``true``, as from Parquet). The processing-job entry point and ``sagewatch baseline`` / ``monitor`` write the
same files. No AWS, no network.

Examples
--------
>>> import pandas as pd
>>> train = pd.DataFrame({"age": [31, 45, 52, 29], "plan": ["basic", "pro", "basic", "basic"]})
>>> statistics, constraints = suggest_baseline(train)
>>> [(f.name, f.inferred_type) for f in constraints.features]
[('age', 'Integral'), ('plan', 'String')]
>>> today = pd.DataFrame({"age": [33, None, 40, 38], "plan": ["basic", "gold", "basic", "pro"]})
>>> result = check(today, constraints, statistics)
>>> [(v.feature_name, v.constraint_check_type) for v in result]
[('age', 'data_type_check'), ('age', 'completeness_check'), ('plan', 'categorical_values_check'), ('plan', 'baseline_drift_check')]
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from sagewatch.datasets.formats import CsvFormat, DatasetFormat, JsonFormat, ParquetFormat, parse_dataset_format
from sagewatch.datasets.frames import as_arrow_table, is_arrow_table, is_dataframe
from sagewatch.errors import InvalidParameterError
from sagewatch.profile.dataset import DatasetProfile
from sagewatch.schemas.constraints import (CONSTRAINTS_FILE, VIOLATIONS_FILE, Constraints, Violation,
                                           dumps_violations, load_constraints)
from sagewatch.schemas.statistics import STATISTICS_FILE, load_statistics, profile_from_statistics, \
    statistics_document
from sagewatch.schemas.serialize import dumps_jackson

__all__ = ["profile", "suggest_baseline", "check", "Statistics", "Baseline", "CheckResult"]

#: file suffixes (after a compression suffix) whose format is unambiguous; others need ``dataset_format``
_SUFFIX_FORMATS: dict[str, DatasetFormat] = {".csv": CsvFormat(header=True), ".parquet": ParquetFormat(),
                                             ".pq": ParquetFormat(), ".jsonl": JsonFormat(lines=True)}
_COMPRESSION = (".gz", ".bz2", ".zst", ".lz4")


def _write(folder: str | PathLike[str], name: str, text: str) -> Path:
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise InvalidParameterError(f"write() takes a folder (it writes {name} into it); {target} is a file")
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True, eq=False)
class Statistics:
    """``statistics.json`` of a dataset: its profile, and the records the reader skipped (by reason).

    ``to_json()`` is the file's exact text (SageMaker's layout); ``write(folder)`` writes ``statistics.json``.
    """

    profile: DatasetProfile
    skipped: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def item_count(self) -> int:
        return self.profile.item_count

    @property
    def feature_names(self) -> list[str]:
        return list(self.profile.columns)

    def to_dict(self) -> dict[str, Any]:
        return statistics_document(self.profile)

    def to_json(self) -> str:
        return dumps_jackson(self.to_dict())

    def write(self, folder: str | PathLike[str]) -> Path:
        """Write ``statistics.json`` into ``folder`` (created if needed); returns the file's path."""
        return _write(folder, STATISTICS_FILE, self.to_json())

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Statistics:
        """Read a ``statistics.json`` file (SageMaker's or sagewatch's); errors name the file and field."""
        return cls(load_statistics(path))


class Baseline(NamedTuple):
    """What :func:`suggest_baseline` gives: unpack it as ``statistics, constraints = ...``."""

    statistics: Statistics
    constraints: Constraints

    def write(self, folder: str | PathLike[str]) -> tuple[Path, Path]:
        """Write ``statistics.json`` and ``constraints.json`` into ``folder``; returns both paths."""
        return self.statistics.write(folder), self.constraints.write(folder)


@dataclass(frozen=True, eq=False)
class CheckResult:
    """``constraint_violations.json`` of a check, with the current data's statistics and the drift distances.

    Iterating gives the :class:`~sagewatch.schemas.constraints.Violation` entries in the file's order; ``len()``
    counts them, so ``if result:`` means "violations found".
    """

    violations: tuple[Violation, ...]
    statistics: Statistics
    drift_distances: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def __iter__(self) -> Iterator[Violation]:
        return iter(self.violations)

    def __len__(self) -> int:
        return len(self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {"violations": [v.to_dict() for v in self.violations]}

    def to_json(self) -> str:
        return dumps_violations(list(self.violations))

    def write(self, folder: str | PathLike[str]) -> Path:
        """Write ``constraint_violations.json`` into ``folder``; returns the file's path."""
        return _write(folder, VIOLATIONS_FILE, self.to_json())

    def to_frame(self):
        """The violations as a pandas DataFrame (columns ``feature_name``, ``constraint_check_type``,
        ``description``)."""
        import pandas as pd

        return pd.DataFrame([v.to_dict() for v in self.violations],
                            columns=["feature_name", "constraint_check_type", "description"])


# ------------------------------------------------------------------------------------------------- input
def _is_path(data: Any) -> bool:
    return isinstance(data, (str, PathLike))


def _infer_format(source: Path) -> DatasetFormat:
    from sagewatch.datasets.files import find_data_files

    kinds = set()
    for path in find_data_files(source):
        name = path.name.lower()
        for suffix in _COMPRESSION:
            name = name.removesuffix(suffix)
        kinds.add(os.path.splitext(name)[1])
    found = {_SUFFIX_FORMATS.get(kind) for kind in kinds}
    if len(found) == 1 and None not in found:
        return found.pop()
    raise InvalidParameterError(
        f"cannot tell the format of {source} from its file names ({', '.join(sorted(k or '(none)' for k in kinds))}); "
        "pass dataset_format=, e.g. {'csv': {'header': False}}, {'json': {'lines': True}} or "
        "{'sagemakerCaptureJson': {'captureIndexNames': ['endpointInput', 'endpointOutput']}}")


def _time(value: datetime | str | None, name: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        from sagewatch.job.spec import parse_time
        return parse_time(value, name)
    raise InvalidParameterError(f"{name} must be a datetime or a string such as 2024-05-01T10:00:00Z, "
                                f"got {type(value).__name__}")


@dataclass(frozen=True)
class _Read:
    profile: DatasetProfile
    skipped: Mapping[str, int]
    has_header: bool


def _read(data: Any, dataset_format: Any, start_time: Any, end_time: Any, preprocessor: Any) -> _Read:
    """Profile ``data``: a path through the job's analysis, an in-memory table in the job readers' chunks."""
    if _is_path(data):
        from sagewatch.job.analyses.data_quality import has_header
        from sagewatch.job.analyses import get_analysis
        from sagewatch.job.spec import JobSpec, OptMlPaths

        source = Path(data)
        fmt = parse_dataset_format(dataset_format) if dataset_format is not None else _infer_format(source)
        spec = JobSpec(dataset_source=source, output_path=source, dataset_format=fmt.to_dict(),
                       paths=OptMlPaths(source), start_time=_time(start_time, "start_time"),
                       end_time=_time(end_time, "end_time"),
                       record_preprocessor_script=Path(preprocessor) if preprocessor is not None else None)
        analysed = get_analysis("DATA_QUALITY").analyse(spec)
        return _Read(analysed.summary, MappingProxyType(dict(analysed.skips)), has_header(fmt))
    if not (is_dataframe(data) or is_arrow_table(data)):
        raise InvalidParameterError(f"data must be a pandas DataFrame, a pyarrow Table or the path of a file or "
                                    f"folder, got {type(data).__module__}.{type(data).__qualname__}")
    given = [name for name, value in (("dataset_format", dataset_format), ("start_time", start_time),
                                      ("end_time", end_time), ("preprocessor", preprocessor)) if value is not None]
    if given:
        raise InvalidParameterError(f"{given[0]} applies to files (a path); in-memory data takes none")
    table = as_arrow_table(data)
    if table.num_rows == 0:
        raise InvalidParameterError("the data has no rows: there is nothing to profile")
    from sagewatch.defaults import CHUNK_ROWS
    from sagewatch.profile.dataset import profile_tables

    # the chunks the dataset readers cut (every one CHUNK_ROWS rows but the last): the same merges, same bytes
    chunks = (table.slice(start, CHUNK_ROWS) for start in range(0, table.num_rows, CHUNK_ROWS))
    return _Read(profile_tables(chunks), MappingProxyType({}), True)


def _constraints(value: Any) -> Constraints:
    if isinstance(value, Baseline):
        return value.constraints
    if isinstance(value, Constraints):
        return value
    if _is_path(value):
        return load_constraints(value)
    if isinstance(value, Mapping):
        return Constraints.from_dict(dict(value), source="constraints")
    raise InvalidParameterError(f"constraints must be Constraints, a Baseline, a constraints.json path or its "
                                f"dict, got {type(value).__name__}")


def _baseline_profile(value: Any) -> DatasetProfile | None:
    if value is None or isinstance(value, DatasetProfile):
        return value
    if isinstance(value, Statistics):
        return value.profile
    if _is_path(value):
        return load_statistics(value)
    if isinstance(value, Mapping):
        return profile_from_statistics(dict(value), source="statistics")
    raise InvalidParameterError(f"statistics must be Statistics, a statistics.json path or its dict, got "
                                f"{type(value).__name__}")


# --------------------------------------------------------------------------------------------- the verbs
def profile(data: Any, *, dataset_format: Any = None, start_time: datetime | str | None = None,
            end_time: datetime | str | None = None, preprocessor: str | PathLike[str] | None = None) -> Statistics:
    """Profile a dataset: the ``statistics.json`` of a SageMaker data-quality job.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, pyarrow.RecordBatch, str or path-like
        The data. A DataFrame's index is not profiled (``df.reset_index()`` makes it a column). A path is a
        file or a folder (read recursively, files in name order).
    dataset_format : dict, str or DatasetFormat, optional
        Paths only: the processing job's ``dataset_format`` (e.g. ``{"csv": {"header": False}}``). Without it
        the format comes from the file names: ``.csv`` (with a header), ``.parquet``, ``.jsonl``.
    start_time, end_time : datetime or str, optional
        Capture formats only: keep records with ``start_time <= inferenceTime < end_time``.
    preprocessor : path, optional
        Paths only: a record pre-processor script defining ``preprocess_handler(inference_record)``.

    Returns
    -------
    Statistics
        ``to_json()`` is the text of statistics.json; ``skipped`` counts records a file reader skipped.

    Raises
    ------
    InvalidParameterError
        Unsupported data (a MultiIndex, duplicate column names, an object column of mixed types, a column type
        with no faithful reading), no rows, or file options given with in-memory data.
    SchemaError, DatasetError, JobError
        A file that cannot be read, named with its line and field.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = profile(pd.DataFrame({"x": [1.5, 2.5, None]}))
    >>> stats.item_count, stats.to_dict()["features"][0]["numerical_statistics"]["mean"]
    (3, 2.0)
    """
    read = _read(data, dataset_format, start_time, end_time, preprocessor)
    return Statistics(read.profile, read.skipped)


def suggest_baseline(data: Any, *, categorical_drift_method: str | None = None, dataset_format: Any = None,
                     preprocessor: str | PathLike[str] | None = None) -> Baseline:
    """Profile a baseline dataset and suggest constraints: a SageMaker baselining job.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, pyarrow.RecordBatch, str or path-like
        As for :func:`profile`.
    categorical_drift_method : {"LInfinity", "ChiSquared"}, optional
        Written into the suggested ``monitoring_config`` (default LInfinity).
    dataset_format, preprocessor
        Paths only, as for :func:`profile`.

    Returns
    -------
    Baseline
        ``(statistics, constraints)``; ``write(folder)`` writes statistics.json and constraints.json.

    Examples
    --------
    >>> import pandas as pd
    >>> statistics, constraints = suggest_baseline(pd.DataFrame({"x": [1, 2], "s": ["a", "b"]}))
    >>> constraints.to_dict()["features"][1]
    {'name': 's', 'inferred_type': 'String', 'completeness': 1.0, 'string_constraints': {'domains': ['a', 'b']}}
    """
    from sagewatch.constraints.suggest import suggest_constraints

    read = _read(data, dataset_format, None, None, preprocessor)
    suggested = suggest_constraints(read.profile, categorical_drift_method=categorical_drift_method)
    return Baseline(Statistics(read.profile, read.skipped), suggested)


def check(data: Any, constraints: Any, statistics: Any = None, *, dataset_format: Any = None,
          start_time: datetime | str | None = None, end_time: datetime | str | None = None,
          preprocessor: str | PathLike[str] | None = None) -> CheckResult:
    """Check a dataset against baseline constraints (and statistics, for drift): a monitoring execution.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, pyarrow.RecordBatch, str or path-like
        The current data, as for :func:`profile`. Data without a header (captures, headerless CSV) gets the
        baseline's feature names by position, as in the job.
    constraints : Constraints, Baseline, dict, str or path-like
        The baseline constraints: the object, a :class:`Baseline` (its statistics are then used too, unless
        ``statistics`` is given), a ``constraints.json`` path or its parsed dict.
    statistics : Statistics, DatasetProfile, dict, str or path-like, optional
        The baseline statistics; without them no ``baseline_drift_check`` runs.
    dataset_format, start_time, end_time, preprocessor
        Paths only, as for :func:`profile`.

    Returns
    -------
    CheckResult
        The violations in the order of ``constraint_violations.json``, the current data's statistics and the
        drift distance of each feature compared.

    Examples
    --------
    >>> import pandas as pd
    >>> baseline = suggest_baseline(pd.DataFrame({"x": [1, 2, 3]}))
    >>> result = check(pd.DataFrame({"x": [1, 2, None], "y": [0, 0, 0]}), baseline)
    >>> [(v.feature_name, v.constraint_check_type) for v in result]
    [('x', 'data_type_check'), ('x', 'completeness_check'), ('y', 'extra_column_check')]

    pandas stores integers with a missing value as floats (``1.0``), so ``x`` is no longer Integral; its
    nullable ``Int64`` dtype keeps them integers:

    >>> current = pd.DataFrame({"x": pd.array([1, 2, None], dtype="Int64"), "y": [0, 0, 0]})
    >>> [(v.feature_name, v.constraint_check_type) for v in check(current, baseline)]
    [('x', 'completeness_check'), ('y', 'extra_column_check')]
    """
    from sagewatch.constraints.check import CheckResult as _EngineResult, check_constraints
    from sagewatch.job.analyses.data_quality import name_positional_columns

    wanted = _constraints(constraints)
    if statistics is None and isinstance(constraints, Baseline):
        statistics = constraints.statistics
    baseline = _baseline_profile(statistics)
    read = _read(data, dataset_format, start_time, end_time, preprocessor)
    current = read.profile if read.has_header else name_positional_columns(read.profile,
                                                                           [f.name for f in wanted.features])
    # as the job: no checks at all when constraints are switched off and no statistics are given
    result = check_constraints(current, wanted, baseline) \
        if wanted.monitoring_config.evaluate_constraints or baseline is not None else _EngineResult(())
    return CheckResult(result.violations, Statistics(current, read.skipped),
                       MappingProxyType(dict(result.drift_distances)))
