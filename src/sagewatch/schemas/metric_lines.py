"""CloudWatch metric lines: the files a monitoring job writes for the platform to publish (contract §4.5, §5).

One JSON object per line, shaped like a ``PutMetricData`` datum without the namespace (the platform adds it):

    {"MetricName": "feature_non_null_age", "Timestamp": "2024-05-01T10:00:00Z",
     "Dimensions": [{"Name": "Endpoint", "Value": "e"}, {"Name": "MonitoringSchedule", "Value": "s"}],
     "Value": 1.0, "Unit": "None"}

This module is the one writer (:func:`metric_line`, :func:`dumps_metric_lines`), the one reader
(:func:`parse_metric_line`, :func:`parse_metric_lines`) and the one table of namespaces
(:data:`NAMESPACE_KINDS`, :func:`metric_namespace`) of that format. Standard library only, so the
processing-mode Lambda and the emulator read the files without numpy.

A line with both ``Value`` and ``StatisticValues`` (the DG example shows one, although the page says "either,
not both", and ``PutMetricData`` rejects both) is published with its ``StatisticValues``: they carry the
SampleCount, Sum, Minimum and Maximum that §5 lists for ``feature_data_<f>``, of which ``Value`` keeps one number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sagewatch.errors import SchemaError

__all__ = [
    "NAMESPACE_KINDS", "ANALYSIS_TYPES", "DATA_METRICS_NAMESPACE", "TIME_FORMAT", "MetricLines", "metric_namespace",
    "namespace_of_line", "format_metric_time", "metric_line", "dumps_metric_lines", "parse_metric_line",
    "parse_metric_lines", "metric_dimensions",
]

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# monitoring type -> the <kind> of aws/sagemaker/{Endpoints|ModelMonitoring}/<kind> (contract §5, §12)
NAMESPACE_KINDS: dict[str, str] = {
    "DataQuality": "data-metrics",
    "ModelQuality": "model-metrics",
    "ModelBias": "bias-metrics",
    "ModelExplainability": "explainability-metrics",
}
# the container's ``analysis_type`` (absent: data quality) -> monitoring type
ANALYSIS_TYPES: dict[str, str] = {
    "DATA_QUALITY": "DataQuality",
    "MODEL_QUALITY": "ModelQuality",
    "MODEL_BIAS": "ModelBias",
    "MODEL_EXPLAINABILITY": "ModelExplainability",
}


def metric_namespace(monitoring_type: str = "DataQuality", *, realtime: bool = True) -> str:
    """The namespace the platform publishes a monitor's lines to (contract §5; §12 for the spelling).

    Examples
    --------
    >>> metric_namespace()
    'aws/sagemaker/Endpoints/data-metrics'
    >>> metric_namespace("ModelQuality", realtime=False)
    'aws/sagemaker/ModelMonitoring/model-metrics'
    """
    try:
        kind = NAMESPACE_KINDS[monitoring_type]
    except KeyError:
        raise SchemaError(f"unknown monitoring type {monitoring_type!r}; known: {', '.join(NAMESPACE_KINDS)}",
                          field="MonitoringType") from None
    return f"aws/sagemaker/{'Endpoints' if realtime else 'ModelMonitoring'}/{kind}"


DATA_METRICS_NAMESPACE = metric_namespace("DataQuality")


def namespace_of_line(dimensions: Iterable[Mapping[str, Any]], analysis_type: str | None) -> str:
    """The namespace of one line: real-time when it has an ``Endpoint`` dimension, the monitor from the job's
    ``analysis_type`` environment variable (absent or unknown: data quality).

    Examples
    --------
    >>> namespace_of_line([{"Name": "Endpoint", "Value": "e"}], None)
    'aws/sagemaker/Endpoints/data-metrics'
    >>> namespace_of_line([{"Name": "MonitoringSchedule", "Value": "s"}], "MODEL_QUALITY")
    'aws/sagemaker/ModelMonitoring/model-metrics'
    """
    monitoring_type = ANALYSIS_TYPES.get((analysis_type or "").upper(), "DataQuality")
    return metric_namespace(monitoring_type, realtime=any(d.get("Name") == "Endpoint" for d in dimensions))


def metric_dimensions(endpoint: str | None, schedule: str | None) -> list[dict[str, str]]:
    """The dimensions of a monitor's metric lines: ``Endpoint`` and ``MonitoringSchedule``; a batch job (no
    endpoint) has ``MonitoringSchedule`` only (contract §5, §12).

    Examples
    --------
    >>> metric_dimensions("e", "s")
    [{'Name': 'Endpoint', 'Value': 'e'}, {'Name': 'MonitoringSchedule', 'Value': 's'}]
    >>> metric_dimensions(None, "s")
    [{'Name': 'MonitoringSchedule', 'Value': 's'}]
    """
    dimensions = []
    if endpoint:
        dimensions.append({"Name": "Endpoint", "Value": endpoint})
    if schedule:
        dimensions.append({"Name": "MonitoringSchedule", "Value": schedule})
    return dimensions


def format_metric_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (a naive time is taken as UTC).

    Examples
    --------
    >>> format_metric_time(datetime(2024, 5, 1, 10, 0, 0, 500))
    '2024-05-01T10:00:00Z'
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime(TIME_FORMAT)


def metric_line(name: str, timestamp: str, dimensions: list[dict[str, str]], *, value: float | None = None,
                statistic_values: Mapping[str, float] | None = None, unit: str = "None") -> dict[str, Any]:
    """One line, with exactly one of *value* and *statistic_values* (the key order the files use).

    Examples
    --------
    >>> metric_line("feature_non_null_a", "2024-05-01T10:00:00Z", [], value=1)
    {'MetricName': 'feature_non_null_a', 'Timestamp': '2024-05-01T10:00:00Z', 'Dimensions': [], 'Value': 1.0, 'Unit': 'None'}
    """
    if (value is None) == (statistic_values is None):
        raise ValueError(f"metric {name}: give exactly one of value and statistic_values")
    line: dict[str, Any] = {"MetricName": name, "Timestamp": timestamp, "Dimensions": dimensions}
    if value is not None:
        line["Value"] = float(value)
    else:
        line["StatisticValues"] = {key: float(number) for key, number in statistic_values.items()}
    line["Unit"] = unit
    return line


def dumps_metric_lines(lines: Iterable[Mapping[str, Any]],
                       encode: Callable[[Mapping[str, Any]], str] | None = None) -> str:
    """The file's text: one compact JSON object per line. *encode* turns one line into JSON (compact standard
    JSON by default; the job passes its Jackson-style serializer).

    Examples
    --------
    >>> dumps_metric_lines([{"MetricName": "m", "Value": 0.5}])
    '{"MetricName":"m","Value":0.5}\\n'
    """
    encode = encode or (lambda line: json.dumps(line, separators=(",", ":"), allow_nan=False))
    return "".join(encode(line) + "\n" for line in lines)


def parse_metric_line(line: str | Mapping[str, Any], *, source: str | None = None,
                      number: int | None = None) -> dict[str, Any]:
    """One line (text or parsed) as a ``PutMetricData`` datum; ``StatisticValues`` win over ``Value``.

    Raises
    ------
    SchemaError
        Naming *source*, the line *number* and the field that is missing or malformed.

    Examples
    --------
    >>> datum = parse_metric_line('{"MetricName": "m", "Timestamp": "2024-05-01T10:00:00Z", "Value": 1.0,'
    ...                           ' "StatisticValues": {"SampleCount": 2, "Sum": 3}}')
    >>> datum["StatisticValues"], "Value" in datum, datum["Timestamp"].isoformat()
    ({'SampleCount': 2.0, 'Sum': 3.0}, False, '2024-05-01T10:00:00+00:00')
    """

    def invalid(message: str, field: str | None = None) -> SchemaError:
        return SchemaError(message, source=source, line=number, field=field)

    def to_number(value: Any, field: str) -> float:
        try:
            result = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
        except ValueError:
            result = None
        if result is None or not math.isfinite(result):
            raise invalid(f"a finite number is required, not {value!r}", field)
        return result

    if isinstance(line, str):
        try:
            line = json.loads(line)
        except ValueError as error:
            raise invalid(f"not JSON: {error}") from None
    if not isinstance(line, Mapping):
        raise invalid(f"a metric line is a JSON object, not {type(line).__name__}")
    name = line.get("MetricName")
    if not isinstance(name, str) or not name:
        raise invalid("a non-empty string is required", "MetricName")
    text = line.get("Timestamp")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00")) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise invalid(f"a time such as 2024-05-01T10:00:00Z is required, not {text!r}", "Timestamp")
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    datum: dict[str, Any] = {"MetricName": name, "Timestamp": moment}
    dimensions = line.get("Dimensions") or []
    if not isinstance(dimensions, list) or not all(isinstance(d, Mapping) and "Name" in d and "Value" in d
                                                   for d in dimensions):
        raise invalid('a list of {"Name": ..., "Value": ...} is required', "Dimensions")
    if dimensions:
        datum["Dimensions"] = [{"Name": str(d["Name"]), "Value": str(d["Value"])} for d in dimensions]
    statistics = line.get("StatisticValues")
    if statistics is not None:
        if not isinstance(statistics, Mapping) or not statistics:
            raise invalid("an object of numbers is required", "StatisticValues")
        datum["StatisticValues"] = {str(key): to_number(value, f"StatisticValues.{key}")
                                    for key, value in statistics.items()}
    elif line.get("Value") is not None:
        datum["Value"] = to_number(line["Value"], "Value")
    else:
        raise invalid("a metric line needs Value or StatisticValues", "Value")
    if line.get("Unit"):
        datum["Unit"] = str(line["Unit"])
    return datum


@dataclass(frozen=True)
class MetricLines:
    """What :func:`parse_metric_lines` read: the data, and the reason of every skipped line."""

    data: tuple[dict[str, Any], ...]
    skipped: tuple[str, ...] = ()


def parse_metric_lines(lines: Iterable[str | Mapping[str, Any]], source: str = "metrics") -> MetricLines:
    """Every line of a metric file as a datum; blank lines are passed over, malformed ones skipped and counted.

    Examples
    --------
    >>> read = parse_metric_lines(['{"MetricName": "m", "Timestamp": "2024-05-01T10:00:00Z", "Value": 2}', "",
    ...                            '{"MetricName": "n"}'], source="m.jsonl")
    >>> [d["Value"] for d in read.data], read.skipped
    ([2.0], ("m.jsonl, line 3, field 'Timestamp': a time such as 2024-05-01T10:00:00Z is required, not None",))
    """
    data, skipped = [], []
    for number, line in enumerate(lines, 1):
        if isinstance(line, str) and not line.strip():
            continue
        try:
            data.append(parse_metric_line(line, source=source, number=number))
        except SchemaError as error:
            skipped.append(str(error))
    return MetricLines(tuple(data), tuple(skipped))
