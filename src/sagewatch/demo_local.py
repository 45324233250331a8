"""The full local loop behind ``make demo``: LocalStack, ``cdk deploy``, traffic, a monitoring run, the report.

1. start LocalStack with the sagewatch plugin (unless one already answers);
2. ``cdk bootstrap`` and ``cdk deploy`` the storage stack (plain ``cdk`` with ``AWS_ENDPOINT_URL``);
3. train a churn model, upload ``model.tar.gz`` and a baseline dataset, and run a baselining processing
   job with SageMaker's analyzer image URI;
4. ``cdk deploy`` the endpoint (capture 100%) and monitoring stacks;
5. send normal traffic, then drifted traffic, to the endpoint; capture lands in S3;
6. run the hourly schedule's execution now, wait for ``CompletedWithViolations``;
7. print the violations, the drift metrics in CloudWatch and the retraining record, write the HTML report;
8. ``cdk destroy`` (unless asked to keep the deployment) and stop LocalStack if the demo started it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv

from sagewatch.demo_data import churn_table, drifted_churn_table
from sagewatch.errors import SagewatchError
from sagewatch.schemas.ground_truth import make_ground_truth_record, serialize_ground_truth_record
from sagewatch.schemas.metric_lines import DATA_METRICS_NAMESPACE, metric_namespace

__all__ = ["LocalLoop", "LoopResult", "run_local_demo", "FEATURES", "ANALYZER_IMAGE"]

FEATURES = ["account_length", "age", "monthly_charges", "total_charges", "day_minutes", "eve_minutes",
            "support_calls", "data_gb"]
ANALYZER_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
REGION = "us-east-1"
ACCOUNT = "000000000000"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagewatch-demo"
_INFERENCE_PY = '''"""Churn model: CSV rows of features in, churn probability out (missing values allowed)."""
import io

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(f"{model_dir}/model.joblib")


def input_fn(body, content_type):
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    return np.genfromtxt(io.StringIO(text), delimiter=",", ndmin=2)


def predict_fn(data, model):
    return model.predict_proba(data)[:, 1]


def output_fn(prediction, accept):
    return "\\n".join(f"{p:.6f}" for p in prediction)
'''


class DemoError(SagewatchError):
    """A step of the local loop failed; the message names the step."""


@dataclass
class LoopResult:
    endpoint_name: str = ""
    schedule_name: str = ""
    execution_status: str = ""
    violations: list[dict[str, str]] = field(default_factory=list)
    report_prefix: str = ""
    capture_records: int = 0
    drift_metrics: dict[str, float] = field(default_factory=dict)
    retraining_records: list[str] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)


def repository_root() -> Path:
    """The checkout holding ``cdk.json`` (the demo deploys the repository's own CDK app)."""
    for candidate in (Path.cwd(), *Path(__file__).resolve().parents):
        if (candidate / "cdk.json").is_file() and (candidate / "app.py").is_file():
            return candidate
    raise DemoError("the local demo deploys the CDK app of a sagewatch checkout; run it from the repository root")


class LocalLoop:
    """Drive the loop against LocalStack at ``endpoint_url`` with boto3 and the CDK CLI.

    ``context`` holds short context keys passed to every ``cdk`` command as ``-c key=value`` (``app.py``'s
    ``OVERRIDES``), e.g. ``{"modelQuality": "true"}`` to deploy the model-quality monitor as well.
    """

    def __init__(self, endpoint_url: str, workdir: Path, *, log=print, context: dict[str, str] | None = None) -> None:
        from botocore.config import Config

        from sagewatch.localstack.sessions import emulator_session

        self.endpoint_url = endpoint_url.rstrip("/")
        self.workdir = Path(workdir)
        self.root = repository_root()
        self.log = log
        self.context = dict(context or {})
        self.model: Any = None  # the churn model, once upload_model_and_baseline trained it
        session = emulator_session(self.endpoint_url, region_name=REGION)
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=120)
        self.client = lambda service: session.client(service, config=config)

    # -- the CDK CLI ----------------------------------------------------------------------------------
    def cdk_environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")}
        env.update(AWS_ENDPOINT_URL=self.endpoint_url, AWS_ENDPOINT_URL_S3=self.endpoint_url,
                   AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION=REGION,
                   AWS_DEFAULT_REGION=REGION, CDK_DISABLE_CLI_TELEMETRY="1",
                   JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", CDK_DISABLE_VERSION_CHECK="1")
        return env

    def cdk(self, *args: str, timeout: float = 900) -> str:
        cdk = self.root / "node_modules" / ".bin" / "cdk"
        if not cdk.exists():
            raise DemoError("the CDK CLI is not installed: run `make install` (npm ci) first")
        command = [str(cdk), *args, "--require-approval", "never", "--progress", "events"] \
            if args[0] in ("deploy",) else [str(cdk), *args]
        if args[0] != "bootstrap":
            command += [f"--context={key}={value}" for key, value in sorted(self.context.items())]
        out_dir = self.workdir / "cdk.out"
        command += ["--output", str(out_dir)]
        done = subprocess.run(command, cwd=self.root, env=self.cdk_environment(), capture_output=True, text=True,
                              timeout=timeout)
        (self.workdir / "cdk.log").open("a").write(f"$ cdk {' '.join(args)}\n{done.stdout}\n{done.stderr}\n")
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise DemoError(f"`cdk {' '.join(args)}` failed (exit {done.returncode}):\n{tail}")
        return done.stdout

    def stack_outputs(self, stack_name: str) -> dict[str, str]:
        stacks = self.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    # -- steps ----------------------------------------------------------------------------------------
    def deploy_storage(self) -> dict[str, str]:
        self.cdk("bootstrap", f"aws://{ACCOUNT}/{REGION}")
        self.cdk("deploy", "Storage")
        return self.stack_outputs("sagewatch-storage")

    def upload_model_and_baseline(self, baselines_bucket: str, rows: int) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier
        import joblib

        table = churn_table(rows, seed=7)
        features = np.column_stack([table.column(n).to_numpy().astype(float) for n in FEATURES])
        label = table.column("churn").to_numpy()
        model = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(features, label)
        self.model = model
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, data in (("model.joblib", _joblib_bytes(model, joblib)),
                               ("code/inference.py", _INFERENCE_PY.encode())):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        s3 = self.client("s3")
        s3.put_object(Bucket=baselines_bucket, Key="models/churn/model.tar.gz", Body=buffer.getvalue())
        # the baseline dataset: the model's output first, then its inputs (output_columns_position START)
        probability = model.predict_proba(features)[:, 1]
        header = "churn_probability," + ",".join(FEATURES)
        lines = [header] + [f"{p:.6f}," + ",".join(_fmt(v) for v in row) for p, row in zip(probability, features)]
        s3.put_object(Bucket=baselines_bucket, Key="baselines/data-quality/dataset/train.csv",
                      Body=("\n".join(lines) + "\n").encode())
        self.log(f"   uploaded model.tar.gz (HistGradientBoosting, {len(FEATURES)} features) and a "
                 f"{rows}-row baseline dataset to s3://{baselines_bucket}/")
        self.run_baselining_job(baselines_bucket)

    def run_baselining_job(self, bucket: str) -> None:
        environment = {"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}})}
        job = self._baselining_job(bucket, "data-quality", environment)
        self.log(f"   baselining processing job {job['ProcessingJobName']}: {job.get('ExitMessage', 'Completed')}")

    def run_model_quality_baselining_job(self, bucket: str, rows: int = 1000) -> dict[str, Any]:
        """A MODEL_QUALITY baselining job on a labelled hold-out set scored by the demo model; its
        ``constraints.json`` lands at ``baselines/model-quality/constraints.json`` (cdk.json's default)."""
        if self.model is None:
            raise DemoError("train the model first (upload_model_and_baseline)")
        table = churn_table(rows, seed=8)
        features = np.column_stack([table.column(n).to_numpy().astype(float) for n in FEATURES])
        probability = self.model.predict_proba(features)[:, 1]
        body = "probability,label\n" + "".join(f"{p:.6f},{y}\n" for p, y in zip(probability,
                                                                               table.column("churn").to_pylist()))
        s3 = self.client("s3")
        s3.put_object(Bucket=bucket, Key="baselines/model-quality/dataset/validation.csv", Body=body.encode())
        environment = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
                       "probability_attribute": "probability", "probability_threshold_attribute": "0.5",
                       "ground_truth_attribute": "label",
                       "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}})}
        job = self._baselining_job(bucket, "model-quality", environment)
        constraints = json.loads(s3.get_object(Bucket=bucket, Key="baselines/model-quality/constraints.json")[
            "Body"].read())
        self.log(f"   model-quality baselining job {job['ProcessingJobName']}: {job.get('ExitMessage', 'Completed')}")
        return constraints

    def _baselining_job(self, bucket: str, kind: str, environment: dict[str, str]) -> dict[str, Any]:
        sm = self.client("sagemaker")
        name = f"baseline-suggestion-job-{kind}-{int(time.time())}"
        sm.create_processing_job(
            ProcessingJobName=name, RoleArn=ROLE_ARN,
            AppSpecification={"ImageUri": ANALYZER_IMAGE},
            ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                   "VolumeSizeInGB": 20}},
            Environment={**environment, "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                         "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"},
            ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
                "S3Uri": f"s3://{bucket}/baselines/{kind}/dataset/",
                "LocalPath": "/opt/ml/processing/input/baseline_dataset_input", "S3DataType": "S3Prefix",
                "S3InputMode": "File"}}],
            ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
                "S3Uri": f"s3://{bucket}/baselines/{kind}", "LocalPath": "/opt/ml/processing/output",
                "S3UploadMode": "EndOfJob"}}]},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        job = _wait(lambda: sm.describe_processing_job(ProcessingJobName=name),
                    lambda j: j["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"), 300,
                    f"{kind} baselining job")
        if job["ProcessingJobStatus"] != "Completed":
            raise DemoError(f"baselining job {name} ended {job['ProcessingJobStatus']}: {job.get('FailureReason')}")
        return job

    def deploy_endpoint_and_monitoring(self) -> tuple[str, str]:
        self.cdk("deploy", "Endpoint", "Monitoring")
        endpoint = self.stack_outputs("sagewatch-endpoint")["EndpointName"]
        schedule = self.schedule_names().get("DataQuality")
        if schedule is None:
            raise DemoError("the monitoring stack has no data-quality schedule output")
        return endpoint, schedule

    def schedule_names(self) -> dict[str, str]:
        """The monitoring stack's schedules by monitoring type (``DataQuality``, ``ModelQuality``, ...), from its
        ``<construct id>ScheduleName`` outputs: ``DataQualityMonitor``, ``ModelQualityMonitor``, ... in
        model-monitor mode, ``ProcessingMonitor`` (data quality) and ``ModelQualityProcessingMonitor`` in
        processing mode."""
        outputs = self.stack_outputs("sagewatch-monitoring")
        names = {}
        for key, value in outputs.items():
            if key.endswith("MonitorScheduleName"):
                kind = key.removesuffix("MonitorScheduleName").removesuffix("Processing")
                names[kind or "DataQuality"] = value
        return names

    def send_traffic(self, endpoint: str, rows: int) -> int:
        runtime = self.client("sagemaker-runtime")
        sent = 0
        for inference_id, values, _ in _traffic(rows):
            runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Accept="text/csv",
                                    Body=",".join(values), InferenceId=inference_id)
            sent += 1
        return sent

    def upload_ground_truth(self, bucket: str, rows: int, *, prefix: str = "ground-truth",
                            every: int = 1) -> tuple[str, int]:
        """The true churn labels of every ``every``-th invocation of :meth:`send_traffic` (same ``rows``) as
        ground-truth JSON Lines under ``s3://<bucket>/<prefix>/yyyy/mm/dd/hh/`` of the current UTC hour (the
        hour labels are collected, contract §2.2); returns the key and the number of labels."""
        lines = [serialize_ground_truth_record(make_ground_truth_record(label, event_id=inference_id))
                 for n, (inference_id, _, label) in enumerate(_traffic(rows)) if n % every == 0]
        now = datetime.now(timezone.utc)
        key = f"{prefix.strip('/')}/{now:%Y/%m/%d/%H}/labels-{now:%M%S}.jsonl"
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
        return key, len(lines)

    def wait_for_capture(self, bucket: str, endpoint: str, expected: int, timeout: float = 180) -> int:
        s3 = self.client("s3")

        def count() -> int:
            total = 0
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=""):
                for item in page.get("Contents", []):
                    if f"/{endpoint}/" in f"/{item['Key']}" and item["Key"].endswith(".jsonl"):
                        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                        total += body.count(b"\n")
            return total
        return _wait(count, lambda n: n >= expected, timeout, f"{expected} capture records in s3://{bucket}")

    def run_schedule_now(self, schedule: str) -> dict[str, Any]:
        scheduled = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        body = json.dumps({"ScheduledTime": scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
        request = urllib.request.Request(f"{self.endpoint_url}/_sagewatch/schedules/{schedule}/executions",
                                         data=body, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the local emulator
            json.loads(answer.read())
        sm = self.client("sagemaker")

        def latest() -> dict[str, Any]:
            found = sm.list_monitoring_executions(MonitoringScheduleName=schedule, SortBy="CreationTime",
                                                  SortOrder="Descending")["MonitoringExecutionSummaries"]
            return found[0] if found else {}
        return _wait(latest, lambda e: e.get("MonitoringExecutionStatus") in (
            "Completed", "CompletedWithViolations", "Failed", "Stopped"), 300, f"the execution of {schedule}")

    def read_reports(self, bucket: str, endpoint: str, schedule: str) -> tuple[str, dict[str, bytes]]:
        s3 = self.client("s3")
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for o in page.get("Contents", []) if f"{endpoint}/{schedule}/" in o["Key"]]
        if not keys:
            raise DemoError(f"no reports under s3://{bucket}/…/{endpoint}/{schedule}/")
        prefix = max(keys).rsplit("/", 1)[0]
        files = {k.rsplit("/", 1)[1]: s3.get_object(Bucket=bucket, Key=k)["Body"].read()
                 for k in keys if k.startswith(prefix + "/")}
        return f"s3://{bucket}/{prefix}/", files

    def drift_metrics(self, endpoint: str, schedule: str) -> dict[str, float]:
        found = self.schedule_metrics(DATA_METRICS_NAMESPACE, endpoint, schedule)
        return {name.removeprefix("feature_baseline_drift_"): value for name, value in found.items()
                if name.startswith("feature_baseline_drift_")}

    def model_metrics(self, endpoint: str, schedule: str) -> dict[str, float]:
        """The model-quality metrics (``accuracy``, ``f2``, ...) an execution of ``schedule`` published."""
        return self.schedule_metrics(metric_namespace("ModelQuality"), endpoint, schedule)

    def schedule_metrics(self, namespace: str, endpoint: str, schedule: str) -> dict[str, float]:
        """Metric name -> largest datapoint of the last hours, for the metrics of ``namespace`` whose dimensions
        are exactly ``Endpoint`` = ``endpoint`` and ``MonitoringSchedule`` = ``schedule`` (contract §5)."""
        cw = self.client("cloudwatch")
        values = {}
        now = datetime.now(timezone.utc)
        for metric in cw.list_metrics(Namespace=namespace)["Metrics"]:
            dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            if dims != {"Endpoint": endpoint, "MonitoringSchedule": schedule}:
                continue
            points = cw.get_metric_statistics(Namespace=namespace, MetricName=metric["MetricName"],
                                              Dimensions=metric["Dimensions"], StartTime=now - timedelta(hours=3),
                                              EndTime=now + timedelta(hours=2), Period=3600,
                                              Statistics=["Maximum"])["Datapoints"]
            if points:
                values[metric["MetricName"]] = max(p["Maximum"] for p in points)
        return values

    def retraining_records(self, reports_bucket: str, timeout: float = 60) -> list[str]:
        s3 = self.client("s3")

        def keys() -> list[str]:
            return [o["Key"] for o in s3.list_objects_v2(Bucket=reports_bucket, Prefix="retraining/").get("Contents", [])]
        try:
            return _wait(keys, bool, timeout, "a retraining record")
        except DemoError:
            return []

    def destroy(self) -> None:
        self.cdk("destroy", "--all", "--force")


def _traffic(rows: int):
    """The demo's invocations: ``rows`` normal then ``rows`` drifted churn rows, as (inference id, CSV fields,
    true label); the same every time (fixed seeds), so labels can be sent later as ground truth."""
    number = 0
    for table in (churn_table(rows, seed=21), drifted_churn_table(rows, seed=22)):
        columns = [table.column(n).to_pylist() for n in FEATURES]
        for row, label in zip(zip(*columns), table.column("churn").to_pylist()):
            yield f"demo-{number}", [_fmt(_number(v)) for v in row], int(label)
            number += 1


def _joblib_bytes(model, joblib) -> bytes:
    out = io.BytesIO()
    joblib.dump(model, out)
    return out.getvalue()


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _fmt(value: float) -> str:
    return "" if value != value else f"{value:.6g}"


def _wait(probe, done, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what} (last: {str(value)[:300]})")
        time.sleep(1.0)


def run_local_demo(workdir: Path, *, rows: int = 400, keep: bool = False, port: int | None = None) -> int:
    """``make demo``: the whole loop on this machine; returns a process exit status."""
    from sagewatch.localstack import launcher
    from sagewatch.report.files import render_report_files

    workdir = Path(workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    os.environ.setdefault("SAGEWATCH_CAPTURE_ROLL_SECONDS", "2")  # inherited by LocalStack if we start it
    os.environ.setdefault("SAGEWATCH_METRICS_INTERVAL", "5")
    # a LocalStack started here keeps no state: its CloudFormation stacks are not durable, so SageMaker resources
    # a failed run left would otherwise clash with the next run's stacks
    os.environ.setdefault("SAGEWATCH_DURABLE_STATE", "0")
    info = launcher.up(port=port)
    started = not info.get("already_running")
    endpoint_url = info["endpoint"]
    print(f"1. LocalStack with the sagewatch plugin at {endpoint_url}" + (" (started)" if started else ""))
    loop = LocalLoop(endpoint_url, workdir)
    try:
        storage = loop.deploy_storage()
        print("2. cdk deploy Storage: buckets " + ", ".join(v for k, v in storage.items() if k.endswith("BucketName")))
        print("3. model and baseline")
        loop.upload_model_and_baseline(storage["BaselinesBucketName"], rows=5000)
        endpoint, schedule = loop.deploy_endpoint_and_monitoring()
        print(f"4. cdk deploy Endpoint Monitoring: endpoint {endpoint} (InService, capture 100%), schedule {schedule}")
        sent = loop.send_traffic(endpoint, rows)
        captured = loop.wait_for_capture(storage["CapturesBucketName"], endpoint, sent)
        print(f"5. sent {sent} invocations (half of them drifted); {captured} capture records in S3")
        execution = loop.run_schedule_now(schedule)
        print(f"6. monitoring execution: {execution['MonitoringExecutionStatus']}"
              + (f" ({execution.get('FailureReason')})" if execution.get("FailureReason") else ""))
        prefix, files = loop.read_reports(storage["ReportsBucketName"], endpoint, schedule)
        violations = json.loads(files.get("constraint_violations.json", b'{"violations": []}'))["violations"]
        print(f"7. {len(violations)} violations in {prefix}constraint_violations.json")
        for v in violations:
            print(f"   - {v['feature_name']:<18} {v['constraint_check_type']:<25} {v['description']}")
        metrics = loop.drift_metrics(endpoint, schedule)
        shown = ", ".join(f"{k}={v:.3f}" for k, v in sorted(metrics.items(), key=lambda kv: -kv[1])[:4])
        print(f"   CloudWatch {DATA_METRICS_NAMESPACE} feature_baseline_drift_*: {shown}")
        records = loop.retraining_records(storage["ReportsBucketName"])
        print(f"   retraining Lambda: {len(records)} record(s) in s3://{storage['ReportsBucketName']}/retraining/")
        report_dir = workdir / "monitoring"
        report_dir.mkdir()
        for name, data in files.items():
            (report_dir / name).write_bytes(data)
        baseline = loop.client("s3").get_object(Bucket=storage["BaselinesBucketName"],
                                                Key="baselines/data-quality/statistics.json")["Body"].read()
        (workdir / "baseline-statistics.json").write_bytes(baseline)
        report = render_report_files(statistics=report_dir / "statistics.json",
                                     baseline_statistics=workdir / "baseline-statistics.json",
                                     violations=report_dir / "constraint_violations.json",
                                     extra=report_dir / "sagewatch_report.json", output=workdir / "report.html")
        print(f"8. HTML report: {report}")
        if not keep:
            loop.destroy()
            print("9. cdk destroy --all: removed")
    finally:
        if started and not keep:
            launcher.down(port=port)
            print("   LocalStack stopped")
    return 0 if violations else 1
