"""Which local command runs a processing job's image, and the checks of CreateProcessingJob requests."""

import json
import sys
from pathlib import Path

import pytest
from localstack.aws.api import CommonServiceException

from sagewatch.localstack.sagemaker.processing.service import validate_processing_request
from sagewatch.localstack.sagemaker.processing.images import (ImageError, ImageMap, is_analyzer_image, is_builtin_image,
                                                             resolve_command)
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings

OPT_ML = Path("/jobs/j1")
ANALYZER = [sys.executable, "-m", "sagewatch.job"]


@pytest.mark.parametrize("image", [
    "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer:latest",
    "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer@sha256:" + "a" * 64,
    "453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer",
    "sagewatch-analyzer",
    "sagewatch-analyzer:0.1.0",
    "localhost:5000/team/sagewatch-analyzer:dev",
    "000000000000.dkr.ecr.us-east-1.amazonaws.com/sagewatch-analyzer",
])
def test_analyzer_images_run_the_job_entry_point(image):
    assert is_analyzer_image(image)
    assert resolve_command({"ImageUri": image}, ImageMap(), OPT_ML) == ANALYZER


@pytest.mark.parametrize("image", [
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing-fork:1.0",
    "example.com/sagemaker-model-monitor-analyzer",  # not an ECR registry
    "sagewatch-analyzer-fork:1",
])
def test_other_images_fail_naming_the_image_and_the_setting(image):
    assert not is_analyzer_image(image)
    with pytest.raises(ImageError) as error:
        resolve_command({"ImageUri": image}, ImageMap(), OPT_ML)
    assert image in str(error.value) and "SAGEWATCH_IMAGE_MAP" in str(error.value)


def test_entry_point_and_arguments_are_honoured_and_relocated():
    command = resolve_command({"ImageUri": "sagewatch-analyzer",
                               "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/run.py"],
                               "ContainerArguments": ["--out", "/opt/ml/processing/output", "--x"]}, ImageMap(), OPT_ML)
    assert command == [sys.executable, "/jobs/j1/processing/input/code/run.py", "--out", "/jobs/j1/processing/output",
                       "--x"]
    assert resolve_command({"ImageUri": "sagewatch-analyzer", "ContainerEntrypoint": ["/opt/program/analyze"]},
                           ImageMap(), OPT_ML) == ANALYZER
    with pytest.raises(ImageError, match="no such program"):
        resolve_command({"ImageUri": "sagewatch-analyzer", "ContainerEntrypoint": ["/usr/bin/no-such-tool-here"]},
                        ImageMap(), OPT_ML)


def test_image_map_from_json_file_and_globs(tmp_path):
    image_map = ImageMap.from_environ({"SAGEWATCH_IMAGE_MAP": json.dumps({
        "my-processor": "python -m my_package.process --fast",
        "*.dkr.ecr.*.amazonaws.com/sagemaker-scikit-learn:*": ["python3", "/opt/ml/processing/input/code/main.py"],
        "merger": "sagewatch-analyzer"})})
    assert resolve_command({"ImageUri": "registry.example.com/my-processor:3"}, image_map, OPT_ML) == [
        sys.executable, "-m", "my_package.process", "--fast"]
    assert resolve_command({"ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1"},
                           image_map, OPT_ML) == [sys.executable, "/jobs/j1/processing/input/code/main.py"]
    assert resolve_command({"ImageUri": "merger:latest"}, image_map, OPT_ML) == ANALYZER
    mapping = tmp_path / "images.json"
    mapping.write_text(json.dumps({"my-processor": "python -m other"}))
    from_file = ImageMap.from_environ({"SAGEWATCH_IMAGE_MAP": str(mapping)})
    assert resolve_command({"ImageUri": "my-processor"}, from_file, OPT_ML)[1:] == ["-m", "other"]


@pytest.mark.parametrize("value, fragment", [
    ("{not json", "not valid JSON"), ('["a"]', "must be a JSON object"), ('{"x": 3}', "must be a command line"),
    ("/no/such/file.json", "neither a JSON object nor a readable file"),
])
def test_broken_image_map_is_reported_not_raised_at_start(value, fragment):
    with pytest.raises(ImageError, match=fragment):
        ImageMap.from_environ({"SAGEWATCH_IMAGE_MAP": value})
    settings = ProcessingSettings.from_environ({"SAGEWATCH_IMAGE_MAP": value})
    assert fragment in settings.image_map_error and settings.image_map.entries == ()


def _request(**change):
    request = {
        "ProcessingJobName": "job-1", "RoleArn": "arn:aws:iam::000000000000:role/r",
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "AppSpecification": {"ImageUri": "sagewatch-analyzer"},
        "ProcessingInputs": [{"InputName": "data", "S3Input": {"S3Uri": "s3://b/k", "S3DataType": "S3Prefix",
                                                               "LocalPath": "/opt/ml/processing/input/data"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
            "S3Uri": "s3://b/out", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
    }
    request.update(change)
    return request


def test_valid_request_gets_the_service_defaults():
    normalized = validate_processing_request(_request())
    assert normalized["ProcessingInputs"][0]["S3Input"] == {
        "S3Uri": "s3://b/k", "S3DataType": "S3Prefix", "LocalPath": "/opt/ml/processing/input/data",
        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}
    assert "Environment" not in normalized


@pytest.mark.parametrize("change, fragment", [
    ({"ProcessingJobName": "-bad"}, "at 'processingJobName'"),
    ({"ProcessingJobName": "a" * 64}, "at 'processingJobName'"),
    ({"RoleArn": "arn:aws:iam::0:user/x"}, "at 'roleArn'"),
    ({"AppSpecification": {"ImageUri": ""}}, "at 'appSpecification.imageUri'"),
    ({"StoppingCondition": {"MaxRuntimeInSeconds": 777601}}, "at 'stoppingCondition.maxRuntimeInSeconds'"),
    ({"Environment": {"1bad": "x"}}, "at 'environment.key'"),
    ({"Environment": {"k": "v" * 257}}, "at 'environment.k'"),
    ({"ProcessingResources": {"ClusterConfig": {"InstanceCount": 0, "InstanceType": "ml.m5.xlarge",
                                                "VolumeSizeInGB": 1}}}, "instanceCount"),
    ({"ProcessingInputs": [{"InputName": "a", "S3Input": {"S3Uri": "s3://b/k", "S3DataType": "S3Prefix",
                                                          "LocalPath": "/data"}}]}, "under /opt/ml/processing/"),
    ({"ProcessingInputs": [{"InputName": "a", "S3Input": {"S3Uri": "s3://b/k", "S3DataType": "Prefix",
                                                          "LocalPath": "/opt/ml/processing/a"}}]}, "s3DataType"),
    ({"ProcessingInputs": [{"InputName": "a", "S3Input": {"S3Uri": "b/k", "S3DataType": "S3Prefix",
                                                          "LocalPath": "/opt/ml/processing/a"}}]}, "s3Uri"),
    ({"ProcessingInputs": [{"InputName": "a", "S3Input": {"S3Uri": "s3://b/k", "S3DataType": "S3Prefix",
                                                          "LocalPath": "/opt/ml/processing/a"}}] * 2},
     "Input names must be unique"),
    ({"ProcessingOutputConfig": {"Outputs": [{"OutputName": "o", "S3Output": {
        "S3Uri": "s3://b/o", "LocalPath": "/opt/ml/processing/o", "S3UploadMode": "Sometimes"}}]}}, "s3UploadMode"),
])
def test_invalid_requests(change, fragment):
    with pytest.raises(CommonServiceException) as error:
        validate_processing_request(_request(**change))
    assert error.value.code == "ValidationException"
    assert fragment in error.value.message


@pytest.mark.parametrize("image", [
    "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
    "306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0",
    "017069133835.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.1",
    "452307495513.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-clarify-processing",
    "localhost:5000/mirror/sagemaker-clarify-processing@sha256:" + "a" * 64,
])
def test_clarify_images_run_the_clarify_container(image):
    command = resolve_command({"ImageUri": image, "ContainerArguments": ["--x"]}, ImageMap(), OPT_ML)
    assert command[1:] == ["-m", "sagewatch.clarify_container", "--x"]
    assert is_builtin_image(image) and not is_analyzer_image(image)


def test_clarify_image_is_run_by_sagewatch_even_when_mapped():
    mapped = ImageMap.from_environ({"SAGEWATCH_IMAGE_MAP": '{"sagemaker-clarify-processing": "python -m other"}'})
    image = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
    assert resolve_command({"ImageUri": image}, mapped, OPT_ML)[1:] == ["-m", "sagewatch.clarify_container"]
