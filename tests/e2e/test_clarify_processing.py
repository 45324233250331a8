"""Clarify processing jobs through the emulator: CreateProcessingJob with the Clarify image, the model asked through a
shadow endpoint that the job creates and deletes, bias and SHAP in one analysis.json, and failures that name the
problem and leave no endpoint behind."""

import json
import time

import numpy as np
import pytest

from sw_endpoints import deploying, tar_gz, trained_model_tarball

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
HEADERS = ["x0", "x1", "x2", "group", "label"]


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    yield from deploying(aws_client, bucket, unique_name)


def wait_for_job(sagemaker, name, timeout=240.0):
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        assert time.monotonic() < deadline, f"{name} still {described['ProcessingJobStatus']} after {timeout:g} s"
        time.sleep(0.5)


def dataset(rows=120, seed=5) -> bytes:
    """Headerless CSV: x0..x2 and a 0/1 group (the model's 4 features), then the label."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).round(3)
    group = rng.integers(0, 2, rows)
    label = ((x[:, 0] + 2 * x[:, 1] - x[:, 2] + rng.normal(scale=0.7, size=rows)) > 0).astype(int)
    return "".join(f"{a},{b},{c},{g},{y}\n" for (a, b, c), g, y in zip(x.tolist(), group, label)).encode()


def clarify_request(name, bucket, config_key, data_key):
    return {
        "ProcessingJobName": name, "RoleArn": ROLE, "ProcessingResources": CLUSTER,
        "AppSpecification": {"ImageUri": CLARIFY},
        "ProcessingInputs": [
            {"InputName": "dataset", "S3Input": {"S3Uri": f"s3://{bucket}/{data_key}",
                                                 "LocalPath": "/opt/ml/processing/input/data",
                                                 "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "analysis_config", "S3Input": {"S3Uri": f"s3://{bucket}/{config_key}",
                                                         "LocalPath": "/opt/ml/processing/input/config",
                                                         "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "S3Output": {
            "S3Uri": f"s3://{bucket}/clarify/{name}", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def run_clarify_job(aws_client, bucket, unique_name, config, data=None):
    s3, sagemaker = aws_client("s3"), aws_client("sagemaker")
    name = unique_name("clarify")
    s3.put_object(Bucket=bucket, Key=f"{name}/config/analysis_config.json", Body=json.dumps(config).encode())
    s3.put_object(Bucket=bucket, Key=f"{name}/data/train.csv", Body=data or dataset())
    sagemaker.create_processing_job(**clarify_request(name, bucket, f"{name}/config/analysis_config.json",
                                                      f"{name}/data/train.csv"))
    return name, wait_for_job(sagemaker, name)


def job_log(aws_client, name) -> str:
    logs = aws_client("logs")
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=name)["logStreams"]
    return "\n".join(event["message"] for stream in streams for event in
                     logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"],
                                         startFromHead=True)["events"])


def shadow_endpoints(aws_client, model):
    sagemaker = aws_client("sagemaker")
    endpoints = sagemaker.list_endpoints(NameContains=model)["Endpoints"]
    configs = sagemaker.list_endpoint_configs(NameContains=model)["EndpointConfigs"]
    return [e["EndpointName"] for e in endpoints], [c["EndpointConfigName"] for c in configs]


def bias_config(model, **changes):
    config = {"dataset_type": "text/csv", "headers": HEADERS, "label": "label", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "group", "value_or_threshold": [1]}],
              "predictor": {"model_name": model, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                            "accept_type": "text/csv", "content_type": "text/csv"},
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                          "shap": {"baseline": [[0, 0, 0, 0]], "num_samples": 40, "agg_method": "mean_abs",
                                   "save_local_shap_values": True, "use_logit": False, "seed": 2},
                          "report": {"name": "report", "title": "Analysis Report"}}}
    config.update(changes)
    return config


def test_bias_and_shap_through_a_shadow_endpoint(aws_client, bucket, unique_name, deployer):
    model = deployer.model(trained_model_tarball(), environment={"SAGEWATCH_PREDICT_METHOD": "predict_proba"})
    name, described = run_clarify_job(aws_client, bucket, unique_name, bias_config(model))
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    s3 = aws_client("s3")
    prefix = f"clarify/{name}"
    keys = sorted(o["Key"][len(prefix) + 1:] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"])
    assert keys == ["analysis.json", "explanations_shap/out.csv", "report.html"]
    analysis = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/analysis.json")["Body"].read())
    assert list(analysis) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics", "explanations"]
    post = analysis["post_training_bias_metrics"]["facets"]["group"][0]["metrics"]
    assert [m["name"] for m in post] == ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "RD", "TE"]
    assert isinstance(next(m for m in post if m["name"] == "DPPL")["value"], float)
    shap = analysis["explanations"]["kernel_shap"]
    assert sorted(shap) == ["label0", "label1"]  # predict_proba: two outputs
    assert set(shap["label1"]["global_shap_values"]) == {"x0", "x1", "x2", "group"}
    top = max(shap["label1"]["global_shap_values"].items(), key=lambda kv: kv[1])[0]
    assert top == "x1"  # the trained model's largest coefficient
    log = job_log(aws_client, name)
    assert f"creating shadow endpoint sm-clarify-{model}-" in log
    assert f"deleted shadow endpoint sm-clarify-{model}-" in log
    assert shadow_endpoints(aws_client, model) == ([], [])


def test_model_that_cannot_load_fails_the_job_and_leaves_no_endpoint(aws_client, bucket, unique_name, deployer):
    model = deployer.model(tar_gz({"model.joblib": b"this is not a pickle"}))
    _, described = run_clarify_job(aws_client, bucket, unique_name, bias_config(model))
    assert described["ProcessingJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith(f"ClientError: the shadow endpoint sm-clarify-{model}-")
    assert "failed: " in reason and "Cannot load model.joblib" in reason
    assert shadow_endpoints(aws_client, model) == ([], [])


def test_absent_facet_value_fails_naming_it_and_leaves_no_endpoint(aws_client, bucket, unique_name, deployer):
    model = deployer.model(trained_model_tarball())
    config = bias_config(model, facet=[{"name_or_index": "group", "value_or_threshold": [7]}])
    del config["methods"]["shap"]
    _, described = run_clarify_job(aws_client, bucket, unique_name, config)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"] == ("ClientError: facet 'group': value_or_threshold [7] is absent from the "
                                          "data")
    assert shadow_endpoints(aws_client, model) == ([], [])
