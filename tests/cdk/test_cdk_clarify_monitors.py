"""The bias and explainability monitors (-c modelBias=true, -c modelExplainability=true): job definitions with the
Clarify image of the region, the analysis_config.json the kit builds and uploads as an asset, the endpoint model
Clarify explains, the role's shadow-endpoint permissions, alarms on their metrics, and the errors of bad settings."""

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

from stacks.components.monitors.common import CLARIFY_IMAGE_ACCOUNTS
from sw_cdkhelpers import AWS_OVERRIDES, CLARIFY_OVERRIDES, stage_for, synthesized

CLARIFY_US_EAST_1 = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"


@pytest.fixture(scope="module")
def local_clarify():
    app, stacks = synthesized("local-clarify")
    return app, stacks, Template.from_stack(stacks.monitoring), Template.from_stack(stacks.endpoint)


def _definition(template, kind):
    found = template.find_resources(f"AWS::SageMaker::{kind}JobDefinition")
    assert len(found) == 1, found
    return next(iter(found.values()))["Properties"]


def _config_of(app, stacks, config_uri):
    """The analysis_config.json the asset behind ``config_uri`` uploads (read from the cloud assembly)."""
    text = config_uri if isinstance(config_uri, str) else config_uri["Fn::Join"][1][-1]
    key = text.rsplit("/", 1)[-1]
    assembly = app.synth()
    manifest = json.loads(Path(assembly.directory, f"{stacks.monitoring.artifact_id}.assets.json").read_text())
    for asset in manifest["files"].values():
        for destination in asset["destinations"].values():
            if destination["objectKey"] == key:
                return json.loads(Path(assembly.directory, asset["source"]["path"]).read_text())
    raise AssertionError(f"no asset uploads {key}")


def test_model_bias_definition_runs_the_clarify_image_on_the_kit_built_config(local_clarify):
    app, stacks, monitoring, _ = local_clarify
    p = _definition(monitoring, "ModelBias")
    assert p["JobDefinitionName"].startswith("sagewatch-mb-job-")
    assert p["ModelBiasAppSpecification"]["ImageUri"] == CLARIFY_US_EAST_1
    assert p["ModelBiasAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    config = _config_of(app, stacks, p["ModelBiasAppSpecification"]["ConfigUri"])
    assert config == {
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "support_calls", "value_or_threshold": [0, 1]}],
        "headers": ["account_length", "age", "monthly_charges", "total_charges", "day_minutes", "eve_minutes",
                    "support_calls", "data_gb", "churn"],
        "label": "churn",
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
    endpoint_input = dict(p["ModelBiasJobInput"]["EndpointInput"])
    del endpoint_input["EndpointName"]
    assert endpoint_input == {
        "LocalPath": "/opt/ml/processing/input/endpoint", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "ProbabilityAttribute": "0",
        "ProbabilityThresholdAttribute": 0.5, "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H"}
    assert p["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"]["Fn::Join"][1][-1] == "/ground-truth"
    assert p["ModelBiasBaselineConfig"]["ConstraintsResource"]["S3Uri"]["Fn::Join"][1][-1] == (
        "/baselines/model-bias/analysis.json")
    output = p["ModelBiasJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
    assert output["S3Uri"]["Fn::Join"][1][-1] == "/monitoring/model-bias"


def test_model_explainability_config_explains_the_endpoint_model_by_its_fixed_name(local_clarify):
    app, stacks, monitoring, endpoint = local_clarify
    p = _definition(monitoring, "ModelExplainability")
    assert p["JobDefinitionName"].startswith("sagewatch-me-job-")
    assert p["ModelExplainabilityAppSpecification"]["ImageUri"] == CLARIFY_US_EAST_1
    config = _config_of(app, stacks, p["ModelExplainabilityAppSpecification"]["ConfigUri"])
    models = endpoint.find_resources("AWS::SageMaker::Model")
    assert len(models) == 1
    model_name = next(iter(models.values()))["Properties"]["ModelName"]
    assert model_name.startswith("sagewatch-model-")
    assert config == {
        "methods": {"shap": {"baseline": [[123.8, 42.15, 71.37, 2943.27, 180.17, 200.9, 1.5, 5.3]],
                             "num_samples": 100, "agg_method": "mean_abs", "use_logit": False,
                             "save_local_shap_values": True, "seed": 0}},
        "predictor": {"model_name": model_name, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                      "content_type": "text/csv", "accept_type": "text/csv"},
        "headers": ["account_length", "age", "monthly_charges", "total_charges", "day_minutes", "eve_minutes",
                    "support_calls", "data_gb"]}
    assert "GroundTruthS3Input" not in p["ModelExplainabilityJobInput"]


def test_model_name_is_fixed_only_when_the_kit_builds_an_explainability_config():
    endpoint = Template.from_stack(synthesized("local")[1].endpoint)
    assert "ModelName" not in next(iter(endpoint.find_resources("AWS::SageMaker::Model").values()))["Properties"]
    bias_only = stage_for("local", overrides={"modelBias": "true"})
    from stacks.endpoint_stack import explained_variant
    assert explained_variant(bias_only) is None


def test_monitoring_role_reads_the_config_assets_and_manages_shadow_endpoints(local_clarify):
    _, _, monitoring, _ = local_clarify
    statements = [s for policy in monitoring.find_resources("AWS::IAM::Policy").values()
                  for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    text = json.dumps(statements)
    assert text.count("cdk-hnb659fds-assets-") >= 2  # both config assets, each by its own key
    shadow = [s for s in statements if "sagemaker:CreateEndpoint" in s["Action"]]
    assert len(shadow) == 1 and ":endpoint/sm-clarify-*" in json.dumps(shadow[0]["Resource"])
    describe = [s for s in statements if s["Action"] == "sagemaker:DescribeModel"]
    assert len(describe) == 1 and ":model/sagewatch-model-" in json.dumps(describe[0]["Resource"])


def test_clarify_alarms_watch_their_schedules_with_clarify_dimensions(local_clarify):
    _, _, monitoring, _ = local_clarify
    schedules = {r["Properties"]["MonitoringScheduleConfig"]["MonitoringType"]: r["Properties"][
        "MonitoringScheduleName"] for r in monitoring.find_resources("AWS::SageMaker::MonitoringSchedule").values()}
    alarms = {a["Properties"]["Namespace"]: a["Properties"]
              for a in monitoring.find_resources("AWS::CloudWatch::Alarm").values()}
    bias = alarms["aws/sagemaker/Endpoints/bias-metrics"]
    assert (bias["MetricName"], bias["Threshold"], bias["ComparisonOperator"]) == (
        "bias_metric_DPPL", 0.3, "GreaterThanThreshold")
    dims = {d["Name"]: d["Value"] for d in bias["Dimensions"]}
    del dims["Endpoint"]
    assert dims == {"MonitoringSchedule": schedules["ModelBias"], "BiasStage": "Post-Training", "Label": "churn",
                    "LabelValue": "1", "Facet": "support_calls", "FacetValue": "0,1"}
    attribution = alarms["aws/sagemaker/Endpoints/explainability-metrics"]
    assert attribution["MetricName"] == "feature_monthly_charges" and attribution["Threshold"] == 0.4
    dims = {d["Name"]: d["Value"] for d in attribution["Dimensions"]}
    del dims["Endpoint"]
    assert dims == {"MonitoringSchedule": schedules["ModelExplainability"], "ExplainabilityMethod": "KernelShap",
                    "Label": "label0", "ValueType": "GlobalShapValues"}
    outputs = monitoring.to_json()["Outputs"]
    assert outputs["ModelBiasMonitorScheduleName"]["Value"] == schedules["ModelBias"]
    assert outputs["ModelExplainabilityMonitorScheduleName"]["Value"] == schedules["ModelExplainability"]


def test_env_agnostic_aws_stack_maps_the_clarify_image_by_region():
    monitoring = Template.from_stack(synthesized("aws-clarify")[1].monitoring)
    mapping = monitoring.to_json()["Mappings"]["SageMakerClarifyImageAccounts"]
    assert {region: row["account"] for region, row in mapping.items()} == CLARIFY_IMAGE_ACCOUNTS
    assert mapping["us-west-2"]["account"] == "306415355426" and "us-isof-east-1" not in mapping
    monitoring.has_resource_properties("AWS::SageMaker::ModelBiasJobDefinition", {"ModelBiasAppSpecification": {
        "ImageUri": {"Fn::Join": ["", [{"Fn::FindInMap": ["SageMakerClarifyImageAccounts", {"Ref": "AWS::Region"},
                                                          "account"]}, ".dkr.ecr.", {"Ref": "AWS::Region"}, ".",
                                       {"Ref": "AWS::URLSuffix"}, "/sagemaker-clarify-processing:1.0"]]},
        "ConfigUri": Match.any_value(), "Environment": Match.any_value()}})


def test_china_region_clarify_image_is_under_amazonaws_com_cn():
    """(CloudFormation has no monitoring job definitions in the China regions yet, so the whole kit does not
    synthesize there; the image rule is checked on its own.)"""
    import aws_cdk as cdk

    from stacks.components.monitors.common import builtin_image_uri
    stack = cdk.Stack(cdk.App(), "Images", env=cdk.Environment(account="111122223333", region="cn-north-1"))
    assert stack.resolve(builtin_image_uri(stack, "clarify", "cn-north-1")) == (
        "122526803553.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-clarify-processing:1.0")
    assert stack.resolve(builtin_image_uri(stack, "clarify", "us-west-2")) == (
        "306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0")


def test_user_config_file_is_uploaded_and_its_content_names_the_definition(tmp_path):
    def with_file(content):
        path = tmp_path / f"{len(content)}.json"
        path.write_text(content)

        def edit(block):
            bias = block["monitoring"]["modelBias"]
            del bias["analysisConfig"]
            bias["analysisConfigFile"] = str(path)
        return stage_for("local", overrides={"modelBias": "true"}, edit=edit)

    import aws_cdk as cdk

    from sw_cdkhelpers import cdk_app
    names = []
    for content in ('{"label": "churn"}', '{"label": "churn", "headers": ["a", "churn"]}'):
        app = cdk.App(context=_flags())
        stacks = cdk_app.build(app, with_file(content))
        p = _definition(Template.from_stack(stacks.monitoring), "ModelBias")
        assert _config_of(app, stacks, p["ModelBiasAppSpecification"]["ConfigUri"]) == json.loads(content)
        names.append(p["JobDefinitionName"])
    assert names[0] != names[1]


def _flags():
    from sw_cdkhelpers import file_context
    return {k: v for k, v in file_context().items() if k.startswith("@aws-cdk")}


def test_missing_config_file_names_the_prop():
    def edit(block):
        bias = block["monitoring"]["modelBias"]
        del bias["analysisConfig"]
        bias["analysisConfigFile"] = "missing/analysis_config.json"
    with pytest.raises(ValueError, match=r"ModelBiasProps\.analysis_config\.file \(context monitoring\.modelBias\."
                                         r"analysisConfigFile\) cannot be read: .*missing/analysis_config\.json"):
        stage_for("local", overrides={"modelBias": "true"}, edit=edit)


def _edit(path, value, monitor="modelBias"):
    def edit(block):
        node = block["monitoring"][monitor]
        for part in path[:-1]:
            node = node[part]
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return edit


@pytest.mark.parametrize("monitor, path, value, message", [
    ("modelBias", ("analysisConfig", "label"), "target",
     r"BiasAnalysisProps\.label \(context monitoring\.modelBias\.analysisConfig\.label\) 'target' is not one of the "
     r"headers"),
    ("modelBias", ("analysisConfig", "label"), 9, r"BiasAnalysisProps\.label .* index 9 is out of range"),
    ("modelBias", ("analysisConfig", "facets"), [], r"BiasAnalysisProps\.facets .* non-empty list"),
    ("modelBias", ("analysisConfig", "facets"), [{"nameOrIndex": "churn"}],
     r"BiasAnalysisProps\.facets\[0\]\.name_or_index .* is the label column 'churn'"),
    ("modelBias", ("analysisConfig", "facets"), [{"nameOrIndex": "gender"}],
     r"BiasAnalysisProps\.facets\[0\]\.name_or_index .* 'gender' is not one of the headers"),
    ("modelBias", ("analysisConfig", "labelValuesOrThreshold"), [], r"label_values_or_threshold .* non-empty"),
    ("modelBias", ("analysisConfig", "headers"), ["a", "a", "churn"], r"headers .* more than once: \['a'\]"),
    ("modelBias", ("analysisConfig", "postTrainingMethods"), ["DPPL", "XYZ"],
     r"post_training_methods .* unknown metric codes \['XYZ'\]"),
    ("modelBias", ("analysisConfig", "facet"), [], r"BiasAnalysisProps \(context monitoring\.modelBias\.analysisConfig\) "
                                                  r"has unknown keys \['facet'\]"),
    ("modelBias", ("analysisConfigUri",), "baselines/model-bias/analysis_config.json",
     r"ModelBiasProps\.analysis_config .* exactly one of .* got \['analysisConfig', 'analysisConfigUri'\]"),
    ("modelBias", ("analysisConfig",), None, r"exactly one of .* got none"),
    ("modelBias", ("analysisConfigFile",), "missing/analysis_config.json", r"exactly one of .* got \['analysisConfig', "
     r"'analysisConfigFile'\]"),
    ("modelExplainability", ("analysisConfig", "baseline"), [[1, 2]],
     r"ShapAnalysisProps\.baseline .* has 2 values, headers names 8 features"),
    ("modelExplainability", ("analysisConfig", "baseline"), "baselines/shap.csv",
     r"ShapAnalysisProps\.baseline .* must be s3://bucket/key"),
    ("modelExplainability", ("analysisConfig", "numClusters"), 3, r"num_clusters .* and baseline exclude each other"),
    ("modelExplainability", ("analysisConfig", "aggMethod"), "max",
     r"ShapAnalysisProps\.agg_method .* must be one of \['mean_abs'"),
    ("modelExplainability", ("analysisConfig", "contentType"), "image/png", r"content_type .* must be one of"),
    ("modelExplainability", ("analysisConfig", "variantName"), "Shadow",
     r"ShapAnalysisProps\.variant_name .* must name a variant of the endpoint \['AllTraffic'\]"),
    ("modelExplainability", ("analysisConfig", "numSamples"), 0, r"num_samples .* between 1 and"),
])
def test_bad_clarify_setting_names_the_prop(monitor, path, value, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        stage_for("local", overrides={"modelBias": "true", "modelExplainability": "true"},
                  edit=_edit(path, value, monitor))


@pytest.mark.parametrize("overrides, message", [
    ({"biasMetrics": '[{"metricName": "DPPL", "facet": "support_calls", "facetValue": "0,1"}]'},
     r"AlarmProps\.bias_metrics \(context alarms\.biasMetrics\) needs monitoring\.modelBias to be enabled"),
    ({"modelBias": "true", "biasMetrics": '[{"metricName": "XX", "facet": "f", "facetValue": "1"}]'},
     r"AlarmProps\.bias_metrics\[0\]\.metric_name .* must be a bias metric code"),
    ({"modelBias": "true", "biasMetrics": '[{"metricName": "CI", "facet": "f"}]'},
     r"AlarmProps\.bias_metrics\[0\]\.facet_value .* is required"),
    ({"modelBias": "true", "biasMetrics": '[{"metricName": "CI", "facet": "f", "facetValue": "1", '
                                          '"stage": "Training"}]'}, r"bias_metrics\[0\]\.stage .* must be one of"),
    ({"attributionFeatures": '[{"feature": "age"}]'}, r"attribution_features .* needs monitoring\.modelExplainability"),
    ({"modelExplainability": "true", "attributionFeatures": '[{"feature": "gender"}]'},
     r"attribution_features\[0\]\.feature .* one of the explained features"),
    ({"modelExplainability": "true", "attributionFeatures": '[{"feature": "age", "label": "label1"}]'},
     r"attribution_features\[0\]\.label .* one of the model's labels \['label0'\]"),
    ({"modelBias": "true", "monitoring": "processing"}, r"processing mode runs data quality and model quality only"),
])
def test_bad_clarify_alarm_or_mode_names_the_prop(overrides, message):
    with pytest.raises(ValueError, match=message):
        stage_for("local", overrides=overrides)


def test_bias_alarm_on_a_user_config_needs_its_label_dimensions():
    def edit(block):
        bias = block["monitoring"]["modelBias"]
        del bias["analysisConfig"]
        bias["analysisConfigUri"] = "baselines/model-bias/analysis_config.json"
    with pytest.raises(ValueError, match=r"AlarmProps\.bias_metrics\[0\]\.label .* and labelValue are required"):
        stage_for("local", overrides=CLARIFY_OVERRIDES, edit=edit)
    stage = stage_for("local", edit=edit, overrides={
        **CLARIFY_OVERRIDES, "biasMetrics": '[{"metricName": "bias_metric_CI", "facet": "support_calls", '
                                            '"facetValue": "0,1", "label": "churn", "labelValue": "1"}]'})
    alarm = stage.alarms.bias_metrics[0]
    assert (alarm.metric_name, alarm.stage, alarm.label, alarm.label_value) == ("CI", "Pre-training", "churn", "1")
