"""Record a drift event and start the configured retraining action.

Events: a monitor alarm going into ALARM, a completed monitoring execution (checked for
``CompletedWithViolations``), or an in-Lambda monitoring run with violations. Every event is written as JSON to
``s3://<reports>/retraining/...``; violations are published to the alert topic and start the action of
``SAGEWATCH_RETRAINING_SETTINGS``: ``none``, ``sns`` (a second message asking for retraining),
``start-pipeline`` (StartPipelineExecution) or ``start-training-job-from-template`` (CreateTrainingJob from a
stored request).
"""

import json
import os
import uuid
from datetime import datetime, timezone

import boto3

from sagewatch.lambda_support import retraining
from sagewatch.lambda_support.monitoring import split_s3_uri


def _exit_message(event):
    if event.kind != "processing-job" or event.exit_message is not None or not event.name:
        return event.exit_message
    return boto3.client("sagemaker").describe_processing_job(ProcessingJobName=event.name).get("ExitMessage")


def _start_action(settings, event):
    if settings.action == "sns":
        boto3.client("sns").publish(
            TopicArn=settings.topic_arn, Subject="sagewatch: retraining requested",
            Message=json.dumps({"retrain": True, "event_id": event.event_id, "name": event.name}),
            MessageAttributes={"action": {"DataType": "String", "StringValue": "retrain"}})
        return {"published": True}
    if settings.action == "start-pipeline":
        answer = boto3.client("sagemaker").start_pipeline_execution(
            PipelineName=settings.pipeline_name, ClientRequestToken=retraining.request_token(event),
            PipelineExecutionDescription=f"sagewatch: {event.kind} {event.name}"[:3072])
        return {"PipelineExecutionArn": answer["PipelineExecutionArn"]}
    if settings.action == "start-training-job-from-template":
        bucket, key = split_s3_uri(settings.training_template_uri)
        template = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        request = retraining.training_job_request(template, now=datetime.now(timezone.utc),
                                                  token=uuid.uuid4().hex, role_arn=settings.training_role_arn)
        answer = boto3.client("sagemaker").create_training_job(**request)
        return {"TrainingJobName": request["TrainingJobName"], "TrainingJobArn": answer["TrainingJobArn"]}
    return None


def handler(event, context):
    settings = retraining.RetrainingSettings.from_json(os.environ["SAGEWATCH_RETRAINING_SETTINGS"])
    drift = retraining.parse_event(event)
    exit_message = _exit_message(drift)
    retrain = retraining.is_violation(drift, exit_message)
    result = _start_action(settings, drift) if retrain else None
    record = retraining.build_record(drift, settings=settings, exit_message=exit_message, retrain=retrain,
                                     action_result=result)
    key = retraining.record_key(settings, drift)
    boto3.client("s3").put_object(Bucket=settings.reports_bucket, Key=key,
                                  Body=json.dumps(record, indent=2, sort_keys=True, default=str).encode("utf-8"),
                                  ContentType="application/json")
    if retrain and settings.topic_arn:
        subject, message = retraining.notification(record)
        boto3.client("sns").publish(TopicArn=settings.topic_arn, Subject=subject, Message=message)
    return {"record": f"s3://{settings.reports_bucket}/{key}", "retraining_requested": retrain,
            "action_result": result}
