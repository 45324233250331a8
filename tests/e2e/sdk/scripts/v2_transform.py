"""SageMaker Python SDK v2: a batch transform job with data capture (``Transformer.transform`` with a
``BatchDataCaptureConfig``), exactly as written for AWS.

Parameters (JSON): model, job, input (S3 prefix of CSV files), output (S3 path), capture (S3 URI).
Result (JSON): the job's status, failure reason, start time and data-capture config as DescribeTransformJob gave
them, and the transformer's output path.
"""

from __future__ import annotations

from sagemaker import Session
from sagemaker.inputs import BatchDataCaptureConfig
from sagemaker.transformer import Transformer
from sdk_script import emit, parameters

params = parameters()
session = Session()
transformer = Transformer(model_name=params["model"], instance_count=1, instance_type="ml.m5.large",
                          strategy="MultiRecord", assemble_with="Line", output_path=params["output"],
                          accept="text/csv", max_concurrent_transforms=2, max_payload=1, sagemaker_session=session)
transformer.transform(data=params["input"], data_type="S3Prefix", content_type="text/csv", split_type="Line",
                      job_name=params["job"], wait=True, logs=True,
                      batch_data_capture_config=BatchDataCaptureConfig(destination_s3_uri=params["capture"],
                                                                       generate_inference_id=True))
described = session.describe_transform_job(transformer.latest_transform_job.job_name)
emit({
    "status": described["TransformJobStatus"],
    "failure_reason": described.get("FailureReason"),
    "start_time": described["TransformStartTime"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    "capture": described.get("DataCaptureConfig"),
    "strategy": described.get("BatchStrategy"),
    "output_path": transformer.output_path,
})
