"""A batch-transform execution that finds no manifest in its window says in which hour the captures are.

A transform job writes its manifests in the hour it started, and run-now defaults to the current hour, whose
window is the hour before: a user who runs a transform job and then runs the schedule now gets no data. The
FailureReason names the newest hour with manifests and the ScheduledTime whose hourly execution reads it."""

import pytest

from test_batch_execution_plans import Aws, Processing, run_execution

from sagewatch.localstack.sagemaker.monitoring.executions.batch import newest_manifest_hour


@pytest.mark.parametrize("monitoring_type, kind", [("DataQuality", "input"), ("ModelQuality", "output")])
def test_no_manifest_in_the_window_names_the_newest_hour_with_manifests(monitoring_type, kind):
    # the window is 09:30-11:30; the transform jobs started at 08:xx on May 1 and at 23:xx on April 30
    processing = Processing(Aws({f"cap/{kind}/2024/04/30/23/old.jsonl", f"cap/{kind}/2024/05/01/08/job.jsonl",
                                 f"cap/{kind}/2024/05/01/08/nested/not-a-manifest.jsonl"}))
    execution = run_execution(processing, monitoring_type)
    assert processing.requests == [] and execution.status == "Failed"
    assert execution.failure_reason.endswith(
        "or run the schedule for another ScheduledTime. The newest manifest there is in the hour "
        "2024-05-01T08:00:00Z (a transform job writes its manifests in the hour it started); an hourly schedule "
        "reads that hour in its execution for ScheduledTime 2024-05-01T09:00:00Z.")


def test_newest_manifest_hour_ignores_what_is_not_an_hour_folder():
    aws = Aws({"cap/input/2024/05/01/08/a.jsonl", "cap/input/2024/13/01/09/bad-month.jsonl",
               "cap/input/2024/05/01/10/x/deeper.jsonl", "cap/input/notes.txt", "cap/output/2024/05/02/00/b.jsonl"})
    assert newest_manifest_hour(aws, "s3://b/cap/", "input").isoformat() == "2024-05-01T08:00:00+00:00"
    assert newest_manifest_hour(aws, "s3://b/cap", "output").isoformat() == "2024-05-02T00:00:00+00:00"
    assert newest_manifest_hour(aws, "s3://b/elsewhere", "input") is None
    assert newest_manifest_hour(Aws({"cap/input/2024/05/01/10/x/deeper.jsonl"}), "s3://b/cap", "input") is None
