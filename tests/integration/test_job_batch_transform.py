"""The jobs of batch-transform monitoring executions, run on folders laid out as their ``ManifestFile`` inputs mount
a transform's captured files (contract §1.4): the ground-truth merge of ``.out`` files, the model-quality analysis
on its output, and the data-quality analysis of the transform's CSV inputs; metrics for batch carry the
``MonitoringSchedule`` dimension only and belong to the ``ModelMonitoring`` namespaces (§4.5, §5)."""

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from sw_jobhelpers import run_job_process

from sagewatch.job import execution_contract as contract
from sagewatch.job.merge import main as merge_main
from sagewatch.schemas.metric_lines import namespace_of_line

UTC = timezone.utc
MERGE_JOB = "groundtruth-merge-202405011100-abc"
HOUR = datetime(2024, 5, 1, 10, tzinfo=UTC)
SCHEDULED = datetime(2024, 5, 1, 11, tzinfo=UTC)
OUT_MANIFEST = contract.BatchManifestFile("output", HOUR, "s3://b/cap/output/2024/05/01/10/job-a.jsonl")
IN_MANIFEST = contract.BatchManifestFile("input", HOUR, "s3://b/cap/input/2024/05/01/10/job-a.jsonl")


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _label(event_id, label):
    return json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                       "eventMetadata": {"eventId": event_id}, "eventVersion": "0"}) + "\n"


def _plan(monitoring_type, dataset_format, **fields):
    return contract.ExecutionPlan(
        monitoring_type, f"{monitoring_type.lower()}-monitoring-202405011100-abc", "", "sched", SCHEDULED,
        contract.AnalysisWindow(HOUR, SCHEDULED), (), "s3://b/out", {"ImageUri": "sagewatch-analyzer"}, {}, "r",
        input_local_path="/opt/ml/processing/data", batch_dataset_format=dataset_format,
        batch_manifests=(IN_MANIFEST, OUT_MANIFEST), **fields)


def _merge(tmp_path, dataset_format, files, labels, *, monitoring_type="ModelQuality"):
    """Run the merge job of a batch plan on *files* ({path below input_data: text}) and *labels*."""
    opt_ml = tmp_path / "merge"
    for relative, text in files.items():
        _write(opt_ml / "processing/input_data" / relative, text)
    _write(opt_ml / "processing/groundtruth/2024/05/01/11/labels.jsonl", "".join(labels))
    request = contract.ground_truth_merge_request(_plan(monitoring_type, dataset_format, merge_job_name=MERGE_JOB))
    (opt_ml / "config").mkdir(parents=True, exist_ok=True)
    (opt_ml / "config/processingjobconfig.json").write_text(json.dumps(request))
    code = merge_main({"SAGEWATCH_OPT_ML": str(opt_ml)})
    return code, opt_ml, (opt_ml / "output/message").read_text()


def _merged(opt_ml):
    path = opt_ml / "processing/output/output/2024/05/01/10/job-a" / f"{MERGE_JOB}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_merge_joins_out_records_to_labels_by_their_generated_inference_id(tmp_path):
    out = "".join(f"{p}, id-{i},2024-05-01T10:00:00Z\n" for i, p in enumerate([0.9, 0.2, 0.7]))
    code, opt_ml, message = _merge(tmp_path, '{"csv":{"header":false}}',
                                   {"output/2024/05/01/10/job-a/part-0.csv.out": out},
                                   [_label("id-0", 1), _label("id-2", 0), _label("other", 1)])
    assert code == 0, message
    assert message == ("Completed: Merged 2 records (3 captured records in 1 file and 3 ground-truth records in 1 "
                       "file; 1 captures without a label, 1 labels without a capture).")
    merged = _merged(opt_ml)
    assert [(m["eventMetadata"]["inferenceId"], m["captureData"]["endpointOutput"]["data"], m["groundTruthData"])
            for m in merged] == [("id-0", "0.9", {"data": "1", "encoding": "CSV"}),
                                 ("id-2", "0.7", {"data": "0", "encoding": "CSV"})]
    assert merged[0]["eventMetadata"]["inferenceTime"] == "2024-05-01T10:00:00Z"
    assert "endpointInput" not in merged[0]["captureData"]  # model quality mounts the outputs only


def test_the_merge_pairs_each_out_file_with_its_input_file_for_bias(tmp_path):
    inputs = '{"age": 30, "sex": "f"}\n{"age": 50, "sex": "m"}\n'
    out = ('{"score": 0.8, "SageMakerInferenceId": "a", "SageMakerInferenceTime": "2024-05-01T10:00:00Z"}\n'
           '{"SageMakerInferenceId": "b", "SageMakerInferenceTime": "2024-05-01T10:00:00Z", "score": 0.1}\n')
    code, opt_ml, message = _merge(tmp_path, '{"json":{"line":true}}', {
        "input/2024/05/01/10/job-a/data/x.jsonl": inputs, "output/2024/05/01/10/job-a/data/x.jsonl.out": out},
        [_label("a", 1), _label("b", 0)], monitoring_type="ModelBias")
    assert code == 0, message
    merged = _merged(opt_ml)
    assert [(json.loads(m["captureData"]["endpointInput"]["data"]), json.loads(m["captureData"]["endpointOutput"]
                                                                               ["data"])) for m in merged] == [
        ({"age": 30, "sex": "f"}, {"score": 0.8}), ({"age": 50, "sex": "m"}, {"score": 0.1})]
    assert merged[0]["captureData"]["endpointInput"]["encoding"] == "JSON"


def test_out_records_without_generated_ids_fail_the_merge_naming_generate_inference_id(tmp_path):
    code, _, message = _merge(tmp_path, '{"csv":{"header":false}}',
                              {"output/2024/05/01/10/job-a/part-0.csv.out": "0.9\n0.2\n"}, [_label("x", 1)])
    assert code == 255
    assert message.startswith("ClientError: Nothing to merge: none of the 2 captured records matched")
    assert ("2 transform output records carried no inference id: the transform job needs "
            "DataCaptureConfig.GenerateInferenceId true") in message


def test_an_input_file_with_another_record_count_fails_the_merge_by_name(tmp_path):
    code, _, message = _merge(tmp_path, '{"csv":{"header":true}}', {
        "input/2024/05/01/10/job-a/part-0.csv": "a,b\n1,2\n3,4\n5,6\n",
        "output/2024/05/01/10/job-a/part-0.csv.out": "1, i1,2024-05-01T10:00:00Z\n0, i2,2024-05-01T10:00:00Z\n"},
        [_label("i1", 1)], monitoring_type="ModelBias")
    assert code == 255
    assert message == ("ClientError: cannot merge: part-0.csv holds 3 records but its transform output "
                       "2024/05/01/10/job-a/part-0.csv.out holds 2: the records cannot be paired (the transform "
                       "must write one output record per input record, SplitType Line with AssembleWith Line)")


def test_a_parquet_batch_format_fails_the_merge_saying_what_it_reads(tmp_path):
    code, _, message = _merge(tmp_path, '{"parquet":{}}', {"output/2024/05/01/10/job-a/p.parquet.out": "x\n"},
                              [_label("x", 1)])
    assert code == 255 and "reads CSV or JSON Lines transform files, not {\"parquet\": {}}" in message


def _metric_lines(opt_ml):
    folder = opt_ml / "output/metrics/cloudwatch"
    return [json.loads(line) for path in sorted(folder.glob("*")) for line in path.read_text().splitlines()]


def test_model_quality_on_the_batch_merge_reports_violations_and_batch_metrics(tmp_path):
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 40)
    out = "".join(f"{0.9 if y else 0.1}, id-{i},2024-05-01T10:00:00Z\n" for i, y in enumerate(labels))
    code, merge_opt, message = _merge(tmp_path, '{"csv":{"header":false}}',
                                      {"output/2024/05/01/10/job-a/part-0.csv.out": out},
                                      [_label(f"id-{i}", 1 - y if i < 12 else y) for i, y in enumerate(labels)])
    assert code == 0, message
    opt = tmp_path / "analysis"
    plan = _plan("ModelQuality", '{"csv":{"header":false}}', merge_job_name=MERGE_JOB,
                 problem_type="BinaryClassification", probability_attribute="0", probability_threshold_attribute=0.5,
                 baseline_constraints_uri="s3://b/base/constraints.json")
    request = contract.model_quality_request(plan)
    # what the analysis job's inputs would download: the merged file and the merge report
    local = {i["InputName"]: i["S3Input"]["LocalPath"] for i in request["ProcessingInputs"]}
    merged = merge_opt / "processing/output/output/2024/05/01/10/job-a" / f"{MERGE_JOB}.jsonl"
    _write(opt / local["endpoint_input_1"][len("/opt/ml/"):] / merged.name, merged.read_text())
    report = merge_opt / "processing/output/sagewatch-merge-reports" / f"{MERGE_JOB}.json"
    _write(opt / "processing/merge_report" / report.name, report.read_text())
    _write(opt / "processing/baseline/constraints/constraints.json", json.dumps({
        "version": 0.0, "binary_classification_constraints": {
            "accuracy": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}}))
    done = run_job_process(opt, {}, config={"Environment": request["Environment"]})
    assert done.returncode == 0, done.stderr
    assert (opt / "output/message").read_text() == \
        "CompletedWithViolations: Job completed successfully with 1 violations."
    lines = _metric_lines(opt)
    assert lines and all(line["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": "sched"}] for line in lines)
    assert {namespace_of_line(line["Dimensions"], request["Environment"]["analysis_type"]) for line in lines} == {
        "aws/sagemaker/ModelMonitoring/model-metrics"}


def _run_data_quality(opt, request, rows):
    local = request["ProcessingInputs"][0]["S3Input"]["LocalPath"]
    _write(opt / local[len("/opt/ml/"):] / "part-0.csv", "".join(",".join(map(str, row)) + "\n" for row in rows))
    return run_job_process(opt, {}, config={"Environment": request["Environment"]})


@pytest.mark.parametrize("header", [False, True])
def test_data_quality_reads_the_transform_csv_inputs_and_flags_drift(tmp_path, header):
    rng = np.random.default_rng(7)
    dataset_format = json.dumps({"csv": {"header": header}}, separators=(",", ":"))
    head = [("age", "income")] if header else []
    baseline_rows = head + [(int(a), round(float(b), 3)) for a, b in zip(rng.integers(20, 60, 300),
                                                                         rng.normal(50, 5, 300))]
    # the baseline: the same analyzer, suggesting constraints from rows like the transform's input
    base = tmp_path / "baseline"
    _write(base / "processing/input/baseline_dataset_input/train.csv",
           "".join(",".join(map(str, row)) + "\n" for row in baseline_rows))
    done = run_job_process(base, {"dataset_format": dataset_format, "dataset_source":
                                  "/opt/ml/processing/input/baseline_dataset_input",
                                  "output_path": "/opt/ml/processing/output"})
    assert done.returncode == 0, done.stderr
    plan = _plan("DataQuality", dataset_format, baseline_constraints_uri="s3://b/base/constraints.json",
                 baseline_statistics_uri="s3://b/base/statistics.json")
    request = contract.data_quality_request(plan)
    assert [i["InputName"] for i in request["ProcessingInputs"]] == ["input_manifest_1", "constraints", "baseline"]
    opt = tmp_path / "monitor"
    for name, folder in (("constraints.json", "constraints"), ("statistics.json", "stats")):
        _write(opt / "processing/baseline" / folder / name, (base / "processing/output" / name).read_text())
    drifted = head + [(int(a), "n/a" if i % 3 == 0 else round(float(b), 3)) for i, (a, b) in
                      enumerate(zip(rng.integers(20, 60, 200), rng.normal(90, 5, 200)))]
    done = _run_data_quality(opt, request, drifted)
    assert done.returncode == 0, done.stderr
    assert (opt / "output/message").read_text().startswith("CompletedWithViolations:")
    statistics = json.loads((opt / "processing/output/statistics.json").read_text())
    names = [feature["name"] for feature in statistics["features"]]
    assert names == (["age", "income"] if header else ["_c0", "_c1"])
    assert statistics["dataset"]["item_count"] == 200
    violations = json.loads((opt / "processing/output/constraint_violations.json").read_text())["violations"]
    assert {v["feature_name"] for v in violations} == {names[1]}
    lines = _metric_lines(opt)
    assert lines and all(line["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": "sched"}] for line in lines)
    assert {namespace_of_line(line["Dimensions"], None) for line in lines} == {
        "aws/sagemaker/ModelMonitoring/data-metrics"}
