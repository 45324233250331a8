"""In-memory tables as the profiler's input: pandas DataFrames and pyarrow Tables, checked where they enter.

A DataFrame is converted with ``pyarrow.Table.from_pandas`` (columnar, no loop over rows; the index is not
data, as in ``df.to_csv(index=False)``) and then handled exactly like a pyarrow Table: every column must have
a type the profiler reads the way it reads the same column from a file. What is refused, and why:

- column labels that are not plain names: a ``MultiIndex``, or labels that are equal as text (``1`` and
  ``"1"``; statistics.json names features by text);
- an ``object`` column holding values of more than one kind (numbers and text, say): SageMaker would read such
  a column from CSV as text, a DataFrame cannot say which reading is meant;
- types with no faithful text or number: complex numbers, timedeltas/durations, periods, intervals, sparse
  columns, maps, and lists or structs of anything but numbers, booleans and text.

pandas is not imported here: a DataFrame is recognised through ``sys.modules`` (one cannot exist without
pandas having been imported).
"""

from __future__ import annotations

import sys
from typing import Any

import pyarrow as pa

from sagewatch.errors import InvalidParameterError

__all__ = ["is_dataframe", "is_arrow_table", "as_arrow_table", "check_arrow_types"]

_HINTS = {
    "duration": "convert it to a number first, e.g. df[col].dt.total_seconds()",
    "interval": "convert it to text or to its bounds first",
    "complex": "split it into its real and imaginary parts first",
    "extension": "convert it to numbers or text first (e.g. df[col].astype(str))",
}


def is_dataframe(data: Any) -> bool:
    """Whether ``data`` is a pandas DataFrame (pandas is never imported to find out).

    >>> is_dataframe([1, 2]), is_dataframe(None)
    (False, False)
    """
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def is_arrow_table(data: Any) -> bool:
    """Whether ``data`` is a pyarrow Table or RecordBatch.

    >>> import pyarrow as pa
    >>> is_arrow_table(pa.table({"x": [1]})), is_arrow_table({"x": [1]})
    (True, False)
    """
    return isinstance(data, (pa.Table, pa.RecordBatch))


def _leaf_ok(kind: pa.DataType) -> bool:
    return (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            or pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind))


def _nested_ok(kind: pa.DataType) -> bool:
    """Lists and structs are profiled as their JSON text: only JSON leaves (numbers, booleans, text) fit."""
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _nested_ok(kind.value_type)
    if pa.types.is_struct(kind):
        return all(_nested_ok(kind.field(i).type) for i in range(kind.num_fields))
    return _leaf_ok(kind)


def _problem(kind: pa.DataType) -> str | None:
    """Why a column of this type cannot be profiled, or ``None`` when it can."""
    if isinstance(kind, pa.ExtensionType):
        return "extension"
    if pa.types.is_dictionary(kind):
        return _problem(kind.value_type)
    if (_leaf_ok(kind) or pa.types.is_decimal(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_fixed_size_binary(kind) or pa.types.is_timestamp(kind) or pa.types.is_date(kind)
            or pa.types.is_time(kind)):
        return None
    if pa.types.is_duration(kind):
        return "duration"
    if pa.types.is_interval(kind):
        return "interval"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind) \
            or pa.types.is_struct(kind):
        return None if _nested_ok(kind) else "nested"
    return "other"


def check_arrow_types(table: pa.Table, *, what: str = "table") -> None:
    """Raise :class:`InvalidParameterError` for duplicate column names or a column type the profiler cannot read.

    Examples
    --------
    >>> import pyarrow as pa
    >>> check_arrow_types(pa.table({"x": [1], "s": ["a"], "l": [[1, 2]]}))
    >>> check_arrow_types(pa.table({"d": pa.array([1], pa.duration("s"))}))
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: table column 'd' has type duration[s], which cannot be profiled: convert it to a number first, e.g. df[col].dt.total_seconds()
    """
    names = table.column_names
    if not names:
        raise InvalidParameterError(f"the {what} has no columns")
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})  # over column names, not rows
        raise InvalidParameterError(f"the {what} has duplicate column names {dupes}: statistics.json names each "
                                    "feature once; rename or drop the duplicates")
    for field in table.schema:
        problem = _problem(field.type)
        if problem is None:
            continue
        hint = _HINTS.get(problem, "convert it to numbers or text first")
        if problem == "nested":
            hint = "lists and structs are profiled as JSON text, so they may hold only numbers, booleans and text"
        raise InvalidParameterError(f"{what} column {field.name!r} has type {field.type}, which cannot be "
                                    f"profiled: {hint}")


def _frame_error(frame: Any, error: Exception) -> InvalidParameterError:
    """Name the column pyarrow could not convert, and what it holds (pandas' own type inference, in C)."""
    import pandas as pd

    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        try:
            pa.Table.from_pandas(column.to_frame(name="c"), preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as e:
            label = frame.columns[position]
            if column.dtype == object:
                kinds = pd.api.types.infer_dtype(column, skipna=True)
                return InvalidParameterError(
                    f"DataFrame column {label!r} (dtype object) holds values of more than one kind ({kinds}); "
                    f"make it one type first, e.g. df[{label!r}].astype(str) or pd.to_numeric(df[{label!r}])")
            hint = _HINTS["complex"] if "complex" in str(column.dtype) else _HINTS["extension"]
            return InvalidParameterError(f"DataFrame column {label!r} has dtype {column.dtype}, which cannot be "
                                         f"profiled ({_one_line(e)}): {hint}")
    return InvalidParameterError(f"the DataFrame cannot be converted to a table: {_one_line(error)}")


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())[:300]


def _frame_to_table(frame: Any) -> pa.Table:
    import pandas as pd

    if isinstance(frame.columns, pd.MultiIndex):
        raise InvalidParameterError(f"the DataFrame has MultiIndex columns ({frame.columns.nlevels} levels); "
                                    "statistics.json names features by one name: flatten them first, e.g. "
                                    "df.columns = ['_'.join(map(str, c)) for c in df.columns]")
    names = [str(label) for label in frame.columns]  # over column labels, not rows
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InvalidParameterError(f"the DataFrame has duplicate column names {dupes} (as text): statistics.json "
                                    "names each feature once; rename or drop the duplicates")
    sparse = [label for label, dtype in frame.dtypes.items() if isinstance(dtype, pd.SparseDtype)]
    if sparse:
        raise InvalidParameterError(f"DataFrame column {sparse[0]!r} is sparse; densify it first "
                                    f"(df[{sparse[0]!r}].sparse.to_dense())")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as e:
        raise _frame_error(frame, e) from e
    return table.replace_schema_metadata(None).rename_columns(names)


def as_arrow_table(data: Any) -> pa.Table:
    """A pandas DataFrame, a pyarrow Table or a RecordBatch as a checked pyarrow Table.

    Raises
    ------
    InvalidParameterError
        Anything else, or a table the profiler cannot read (see the module docstring), naming the column.

    Examples
    --------
    >>> import pandas as pd
    >>> as_arrow_table(pd.DataFrame({"x": [1, 2], "s": ["a", None]}, index=[7, 8])).to_pydict()
    {'x': [1, 2], 's': ['a', None]}
    >>> as_arrow_table(pd.DataFrame({"m": [1, "a"]}))
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: DataFrame column 'm' (dtype object) holds values of more than one kind (mixed-integer); make it one type first, e.g. df['m'].astype(str) or pd.to_numeric(df['m'])
    """
    if is_dataframe(data):
        table, what = _frame_to_table(data), "DataFrame"
    elif isinstance(data, pa.RecordBatch):
        table, what = pa.Table.from_batches([data]), "table"
    elif isinstance(data, pa.Table):
        table, what = data, "table"
    else:
        raise InvalidParameterError(f"expected a pandas DataFrame, a pyarrow Table or a path, got "
                                    f"{type(data).__module__}.{type(data).__qualname__}")
    check_arrow_types(table, what=what)
    return table
