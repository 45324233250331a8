"""The one reader of CloudWatch metric lines, used by the emulator and the processing-mode Lambda alike."""

import json

import pytest

from sagewatch.errors import SchemaError
from sagewatch.lambda_support.monitoring import metric_data
from sagewatch.schemas.metric_lines import (
    DATA_METRICS_NAMESPACE,
    NAMESPACE_KINDS,
    metric_namespace,
    namespace_of_line,
    parse_metric_line,
    parse_metric_lines,
)

# the DG example line (contract §4.5): both Value and StatisticValues
BOTH = {"MetricName": "feature_data_PredictedClass", "Timestamp": "2019-11-26T03:00:00Z",
        "Dimensions": [{"Name": "Endpoint", "Value": "endpoint_0"}, {"Name": "MonitoringSchedule", "Value": "s"}],
        "Value": 1.0, "StatisticValues": {"SampleCount": 4, "Sum": 6.0, "Minimum": 1.0, "Maximum": 2.0},
        "Unit": "Count"}


def test_statistic_values_win_over_value_in_the_lambda_too():
    datum = metric_data([json.dumps(BOTH)])[0]
    assert "Value" not in datum
    assert datum["StatisticValues"] == {"SampleCount": 4.0, "Sum": 6.0, "Minimum": 1.0, "Maximum": 2.0}
    assert datum == parse_metric_line(BOTH)


def test_malformed_lines_are_skipped_and_named_not_fatal():
    lines = [json.dumps(BOTH), "{not json", json.dumps({"MetricName": "m", "Timestamp": "2019-11-26T03:00:00Z"}),
             json.dumps({**BOTH, "StatisticValues": None, "Value": "NaN"})]
    assert len(metric_data(lines)) == 1
    read = parse_metric_lines(lines, source="cloudwatch_metrics.jsonl")
    assert len(read.data) == 1
    assert [reason.split(":")[0] for reason in read.skipped] == [
        "cloudwatch_metrics.jsonl, line 2", "cloudwatch_metrics.jsonl, line 3, field 'Value'",
        "cloudwatch_metrics.jsonl, line 4, field 'Value'"]


def test_timestamps_with_an_offset_are_read_as_utc():
    datum = parse_metric_line({**BOTH, "Timestamp": "2019-11-26T05:00:00+02:00"})
    assert datum["Timestamp"].isoformat() == "2019-11-26T03:00:00+00:00"
    with pytest.raises(SchemaError, match="field 'Timestamp'"):
        parse_metric_line({**BOTH, "Timestamp": "yesterday"})


def test_one_table_of_namespaces():
    assert DATA_METRICS_NAMESPACE == "aws/sagemaker/Endpoints/data-metrics"
    assert [metric_namespace(kind, realtime=False) for kind in NAMESPACE_KINDS] == [
        "aws/sagemaker/ModelMonitoring/data-metrics", "aws/sagemaker/ModelMonitoring/model-metrics",
        "aws/sagemaker/ModelMonitoring/bias-metrics", "aws/sagemaker/ModelMonitoring/explainability-metrics"]
    assert namespace_of_line([{"Name": "Endpoint", "Value": "e"}], "MODEL_BIAS") == "aws/sagemaker/Endpoints/bias-metrics"
    with pytest.raises(SchemaError, match="unknown monitoring type"):
        metric_namespace("Latency")
