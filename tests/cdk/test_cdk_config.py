"""stacks/config.py: context blocks become frozen props; a bad value raises ValueError naming the prop."""

import dataclasses

import pytest

from sw_cdkhelpers import AWS_OVERRIDES, cdk_app, stage_for


def test_cdk_json_blocks_build_both_targets():
    local = stage_for("local")
    aws = stage_for("aws", overrides=AWS_OVERRIDES)
    assert (local.target, local.account, local.region, local.is_aws) == ("local", "000000000000", "us-east-1", False)
    assert (aws.target, aws.account, aws.region, aws.is_aws) == ("aws", None, None, True)
    assert local.monitoring.mode == aws.monitoring.mode == "model-monitor"
    assert local.monitoring.enabled_types == ("dataQuality",)
    assert local.endpoint.capture.csv_content_types == ("text/csv",)
    assert local.endpoint.environment == {}
    assert aws.endpoint.serving_image_uri == AWS_OVERRIDES["servingImageUri"]


def test_aws_account_and_region_default_to_the_cli_environment():
    stage = stage_for("aws", overrides=AWS_OVERRIDES,
                      environ={"CDK_DEFAULT_ACCOUNT": "111122223333", "CDK_DEFAULT_REGION": "us-east-1"})
    assert (stage.account, stage.region) == ("111122223333", "us-east-1")
    local = stage_for("local", environ={"CDK_DEFAULT_ACCOUNT": "111122223333", "CDK_DEFAULT_REGION": "eu-west-1"})
    assert (local.account, local.region) == ("000000000000", "us-east-1")


def test_short_context_keys_override_the_block():
    stage = stage_for("local", overrides={"monitoring": "processing", "samplingPercentage": "25",
                                          "alertEmails": "a@example.com,b@example.com", "retrainingAction": "none"})
    assert stage.monitoring.mode == "processing"
    assert stage.endpoint.capture.sampling_percentage == 25
    assert stage.alerts.emails == ("a@example.com", "b@example.com")
    assert stage.retraining.kind == "none"


def test_props_are_frozen():
    stage = stage_for("local")
    with pytest.raises(dataclasses.FrozenInstanceError):
        stage.monitoring.schedule_expression = "cron(0 0 ? * * *)"  # type: ignore[misc]


def _set(path, value):
    def edit(block):
        node = block
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return edit


@pytest.mark.parametrize("path, value, message", [
    (("endpoint", "variants", 0, "weight"), -1, r"EndpointProps\.variants\[0\]\.weight \(context endpoint\.variants\[0\]\.weight\) must be > 0"),
    (("endpoint", "capture", "samplingPercentage"), 101, r"CaptureProps\.sampling_percentage .* between 0 and 100"),
    (("endpoint", "capture", "csvContentTypes"), ["not a mime"], r"CaptureProps\.csv_content_types"),
    (("endpoint", "servingImageUri"), "sklearn:latest", r"EndpointProps\.serving_image_uri .* ECR image URI"),
    (("endpoint", "modelDataUrl"), "https://example.com/m.tar.gz", r"EndpointProps\.model_data .* s3://bucket/key"),
    (("endpoint", "variants", 0, "instanceType"), "m5.large", r"EndpointProps\.variants\[0\]\.instance_type"),
    (("endpoint", "typo"), 1, r"EndpointProps \(context endpoint\) has unknown keys \['typo'\]"),
    (("monitoring", "scheduleExpression"), "cron(5 * ? * * *)", r"MonitoringProps\.schedule_expression .* minute 0"),
    (("monitoring", "scheduleExpression"), "rate(1 hour)", r"MonitoringProps\.schedule_expression .* six-field cron"),
    (("monitoring", "mode"), "realtime", r"MonitoringProps\.mode .* must be one of"),
    (("monitoring", "dataQuality", "baselineConstraintsUri"), None, r"DataQualityProps\.baseline_constraints .* required"),
    (("alarms", "datapointsToAlarm"), 5, r"AlarmProps\.datapoints_to_alarm .* must not exceed evaluationPeriods"),
    (("alarms", "statistic"), "Median", r"AlarmProps\.statistic"),
    (("alerts", "emails"), ["not-an-address"], r"AlertProps\.emails .* invalid address"),
    (("retraining", "action"), "start-pipeline", r"RetrainingProps\.action .* needs a pipeline name"),
    (("retraining", "action"), "retrain-now", r"RetrainingProps\.action .* must be none, sns"),
    (("retraining", "action"), "start-training-job-from-template:templates/train.json",
     r"RetrainingProps\.training_role_arn .* required"),
    (("logRetentionDays",), 10, r"StageConfig\.log_retention_days"),
    (("monitoring", "modelQuality", "problemType"), "Ranking",
     r"ModelQualityProps\.problem_type \(context monitoring\.modelQuality\.problemType\) must be one of"),
    (("monitoring", "modelQuality", "probabilityThreshold"), 1.5,
     r"ModelQualityProps\.probability_threshold .* between 0 and 1, got 1\.5"),
    (("monitoring", "modelQuality", "groundTruthPrefix"), "labels with spaces",
     r"ModelQualityProps\.ground_truth_prefix \(context monitoring\.modelQuality\.groundTruthPrefix\) is not a "
     r"valid key prefix"),
    (("monitoring", "modelQuality", "startTimeOffset"), "PT1H", r"ModelQualityProps\.start_time_offset"),
    (("monitoring", "modelQuality", "baselineConstraintsUri"), None,
     r"ModelQualityProps\.baseline_constraints .* required"),
    (("alarms", "qualityMetrics"), "f2<0.6", r"AlarmProps\.quality_metrics .* must be a list \(or its JSON text\)"),
    (("region",), "mars-1", r"StageConfig\.region"),
])
def test_bad_context_value_names_the_prop(path, value, message):
    with pytest.raises(ValueError, match=message):
        stage_for("local", overrides={"modelQuality": "true"}, edit=_set(path, value))


def test_model_quality_is_enabled_from_the_command_line():
    stage = stage_for("local", overrides={
        "modelQuality": "true",
        "qualityMetrics": '[{"metricName": "accuracy", "threshold": 0.7, "comparison": "LessThanThreshold"}]'})
    mq = stage.monitoring.model_quality
    assert stage.monitoring.enabled_types == ("dataQuality", "modelQuality")
    assert (mq.problem_type, mq.inference_attribute, mq.probability_attribute, mq.probability_threshold,
            mq.ground_truth_prefix, mq.start_time_offset, mq.end_time_offset) == (
        "BinaryClassification", None, "0", 0.5, "ground-truth", "-PT1H", "-PT0H")
    assert [(q.metric_name, q.threshold, q.comparison) for q in stage.alarms.quality_metrics] == [
        ("accuracy", 0.7, "LessThanThreshold")]


def _model_quality(**settings):
    def edit(block):
        mq = block["monitoring"]["modelQuality"]
        for name in ("inferenceAttribute", "probabilityAttribute", "probabilityThreshold"):
            mq.pop(name, None)
        mq.update(settings)
    return edit


@pytest.mark.parametrize("settings, message", [
    ({"problemType": "BinaryClassification"},
     r"ModelQualityProps\.inference_attribute \(context monitoring\.modelQuality\.inferenceAttribute\) or "
     r"probabilityAttribute is required for BinaryClassification"),
    ({"problemType": "BinaryClassification", "inferenceAttribute": "0", "probabilityThreshold": 0.4},
     r"ModelQualityProps\.probability_threshold .* needs probabilityAttribute"),
    ({"problemType": "Regression"},
     r"ModelQualityProps\.inference_attribute .* is required for Regression \(the predicted value\)"),
    ({"problemType": "MulticlassClassification", "probabilityAttribute": "1"},
     r"ModelQualityProps\.inference_attribute .* is required for MulticlassClassification \(the predicted label\)"),
    ({"problemType": "Regression", "inferenceAttribute": "0", "probabilityAttribute": "1"},
     r"ModelQualityProps\.probability_attribute \(context monitoring\.modelQuality\.probabilityAttribute\) "
     r"applies to BinaryClassification only, not Regression"),
    ({"problemType": "MulticlassClassification", "inferenceAttribute": "0", "probabilityThreshold": 0.5},
     r"ModelQualityProps\.probability_threshold .* applies to BinaryClassification only"),
])
def test_model_quality_attributes_must_fit_the_problem_type(settings, message):
    with pytest.raises(ValueError, match=message):
        stage_for("local", overrides={"modelQuality": "true"}, edit=_model_quality(**settings))


@pytest.mark.parametrize("settings", [
    {"problemType": "BinaryClassification", "inferenceAttribute": "0"},
    {"problemType": "BinaryClassification", "probabilityAttribute": "score"},
    {"problemType": "BinaryClassification", "inferenceAttribute": "0", "probabilityAttribute": "1",
     "probabilityThreshold": 0.3},
    {"problemType": "MulticlassClassification", "inferenceAttribute": "label"},
    {"problemType": "Regression", "inferenceAttribute": 0},
])
def test_model_quality_attributes_that_fit_are_kept(settings):
    stage = stage_for("local", overrides={"modelQuality": "true"}, edit=_model_quality(**settings))
    mq = stage.monitoring.model_quality
    assert mq.problem_type == settings["problemType"]
    assert mq.inference_attribute == (None if "inferenceAttribute" not in settings
                                      else str(settings["inferenceAttribute"]))
    assert mq.probability_threshold == settings.get("probabilityThreshold")


def test_processing_mode_on_aws_needs_our_analyzer_image():
    with pytest.raises(ValueError, match=r"MonitoringProps\.analyzer_image_uri \(context monitoring\.analyzerImageUri\)"
                                         r" is required in processing mode on target aws"):
        stage_for("aws", overrides={**AWS_OVERRIDES, "monitoring": "processing"})


def test_processing_window_is_bounded_by_ten_processing_inputs():
    with pytest.raises(ValueError, match=r"ProcessingProps\.window_hours .* at most 10"):
        stage_for("local", overrides={"monitoring": "processing"},
                  edit=_set(("monitoring", "processing", "windowHours"), 9))


def test_processing_mode_runs_data_and_model_quality_only():
    stage = stage_for("local", overrides={"monitoring": "processing", "modelQuality": "true"})
    assert stage.monitoring.enabled_types == ("dataQuality", "modelQuality")

    def bias(block):
        block["monitoring"]["modelBias"] = {"enabled": True, "analysisConfigUri": "b/analysis_config.json",
                                            "baselineConstraintsUri": "b/analysis.json"}
    with pytest.raises(ValueError, match=r"MonitoringProps \(context monitoring\) processing mode runs data quality "
                                         r"and model quality only; disable \['modelBias'\]"):
        stage_for("local", overrides={"monitoring": "processing"}, edit=bias)


def test_processing_model_quality_window_is_bounded_by_ten_merge_inputs():
    with pytest.raises(ValueError, match=r"ModelQualityProps\.start_time_offset .* gives the ground-truth merge job 13 "
                                         r"processing inputs .*6 captured hours \+ 7 ground-truth hours"):
        stage_for("local", overrides={"monitoring": "processing", "modelQuality": "true"},
                  edit=_set(("monitoring", "modelQuality", "startTimeOffset"), "-PT6H"))
    stage_for("local", overrides={"monitoring": "processing", "modelQuality": "true"},
              edit=_set(("monitoring", "modelQuality", "startTimeOffset"), "-PT4H"))  # 4 + 5 inputs


def test_in_lambda_engine_on_aws_needs_dependency_layers():
    with pytest.raises(ValueError, match=r"ProcessingProps\.engine_layer_arns"):
        stage_for("aws", overrides={**AWS_OVERRIDES, "monitoring": "processing", "runEngineInLambda": "true",
                                    "analyzerImageUri": AWS_OVERRIDES["servingImageUri"]})


def test_quality_alarms_need_the_model_quality_monitor():
    with pytest.raises(ValueError, match=r"AlarmProps\.quality_metrics .*modelQuality"):
        stage_for("local", edit=_set(("alarms", "qualityMetrics"),
                                     [{"metricName": "f2", "threshold": 0.6, "comparison": "LessThanThreshold"}]))


def test_aws_target_without_serving_image_fails_with_the_key_to_set():
    with pytest.raises(ValueError, match=r"EndpointProps\.serving_image_uri \(context endpoint\.servingImageUri\) "
                                         r"is required"):
        stage_for("aws")


def test_unknown_target_is_rejected():
    with pytest.raises(ValueError, match=r"StageConfig\.target \(context target\) must be one of"):
        cdk_app.stage_from_context({"target": "staging", "sagewatch:targets": {}}.get, {})


def test_the_kit_namespaces_are_the_engine_table():
    """stacks/ imports no engine code and keeps its own copy of the monitors' namespaces; this pins the copy."""
    from sagewatch.schemas.metric_lines import metric_namespace
    from stacks.config import METRIC_NAMESPACES

    assert METRIC_NAMESPACES == {f"{kind[0].lower()}{kind[1:]}": metric_namespace(kind)
                                 for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")}


def test_stacks_config_and_its_readers_import_without_a_circle():
    import subprocess
    import sys

    from sw_cdkhelpers import ROOT

    for first in ("stacks.config", "stacks.config_readers"):
        code = f"import {first}, sys; print(sorted(m for m in sys.modules if m.startswith('stacks')))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        assert ("stacks.config_readers" in done.stdout) == (first == "stacks.config_readers"), done.stdout
    import stacks.config
    assert not hasattr(stacks.config.StageConfig, "from_context")
