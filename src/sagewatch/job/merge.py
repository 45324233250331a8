"""``python -m sagewatch.job.merge``: the ground-truth merge job of a model-quality execution (contract §2.3).

A thin shell over :func:`sagewatch.quality.merge.merge_ground_truth`, run as SageMaker runs its
``sagemaker-model-monitor-groundtruth-merger`` container. Settings (process environment, else the ``Environment`` of
``/opt/ml/config/processingjobconfig.json``):

========================  =============================================================================
``dataset_source``        captured hour folders, ``<endpoint>/<variant>/yyyy/mm/dd/hh`` (any folder holding
                          files is one captured hour)
``ground_truth_source``   ground-truth JSON Lines, ``yyyy/mm/dd/hh/*``; read in path order, so a label of a
                          later hour corrects an earlier one
``output_path``           the merged records, in the same folders as the captures they come from:
                          ``<output_path>/<folder of the capture>/<job name>.jsonl`` (the capture record with
                          ``groundTruthData`` appended), and the counts in
                          ``<output_path>/sagewatch-merge-reports/<job name>.json``
========================  =============================================================================

With ``dataset_format`` set (CSV or JSON Lines, contract §4.2) the captures are a batch transform's files
(contract §1.4), mounted from its capture manifests: ``dataset_source/output/yyyy/mm/dd/hh/<manifest>/…`` (the
``.out`` files) and, for model bias, ``dataset_source/input/yyyy/mm/dd/hh/<manifest>/…`` (the input files, paired
with ``<name>.out`` by name and record by record). Every output record becomes a capture record whose
``inferenceId`` is the id ``GenerateInferenceId`` appended (:mod:`sagewatch.capture.transform_records`), and every
output manifest is one group: ``<output_path>/output/yyyy/mm/dd/hh/<manifest>/<job name>.jsonl``.

The job name is the ``ProcessingJobName`` of processingjobconfig.json. Every captured hour gets a file, empty
when none of its records matched, so the analysis job that reads the hours finds each of them.

Nothing to merge fails the job (message ``ClientError: …``, exit status 255, contract §2.3, §4.4): no captured
record, no ground-truth record, or no capture that matched a label; the message gives the counts.
"""

from __future__ import annotations

import json
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

__all__ = ["MergeSettings", "MergeOutcome", "merge_settings", "run_merge", "main", "REPORTS_FOLDER"]

FAILURE_EXIT_CODE = 255
REPORTS_FOLDER = "sagewatch-merge-reports"  # = execution_contract.MERGE_REPORTS_FOLDER
DEFAULT_JOB_NAME = "groundtruth-merge"


@dataclass(frozen=True)
class MergeSettings:
    dataset_source: Path
    ground_truth_source: Path
    output_path: Path
    job_name: str
    ground_truth_s3_uri: str | None = None
    dataset_format: str | None = None  # batch-transform files (contract §1.4); None: capture records


@dataclass(frozen=True)
class MergeOutcome:
    message: str
    report: dict[str, Any]


def merge_settings(environ: Mapping[str, str]) -> MergeSettings:
    """The merge job's settings; a missing folder setting raises :class:`~sagewatch.errors.JobError`."""
    from sagewatch.errors import JobError
    from sagewatch.job.spec import OptMlPaths, _load_config_environment

    paths = OptMlPaths.from_env(environ)
    settings = _load_config_environment(paths)
    settings.update({k: v for k, v in environ.items()
                     if k in ("dataset_source", "ground_truth_source", "output_path", "sagewatch_ground_truth_s3_uri",
                              "dataset_format")})
    job_name = DEFAULT_JOB_NAME
    if paths.config_file.is_file():
        try:
            job_name = json.loads(paths.config_file.read_text(encoding="utf-8")).get("ProcessingJobName") or job_name
        except (OSError, ValueError, AttributeError):
            pass  # _load_config_environment has read the same file: it is a JSON object

    def folder(key: str) -> Path:
        value = settings.get(key, "").strip()
        if not value:
            raise JobError(f"{key} is not set; the merge job needs dataset_source, ground_truth_source and "
                           "output_path")
        return paths.relocate(value)

    return MergeSettings(folder("dataset_source"), folder("ground_truth_source"), folder("output_path"),
                         Path(job_name).name, settings.get("sagewatch_ground_truth_s3_uri") or None,
                         settings.get("dataset_format", "").strip() or None)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")) if folder.is_dir() \
        else []


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_merge(settings: MergeSettings) -> MergeOutcome:
    """Merge every captured hour of ``dataset_source`` with all labels of ``ground_truth_source``.

    Raises
    ------
    JobError
        Nothing to merge (the message says which and gives the counts), or a file cannot be read or written.
    """
    from sagewatch.errors import JobError

    if settings.dataset_format:
        with tempfile.TemporaryDirectory(prefix="sagewatch-transform-") as staging:
            folders = _transform_groups(settings, Path(staging))
            return _merge_folders(settings, folders)
    capture_files = _files(settings.dataset_source)
    if not capture_files:
        raise JobError(f"No captured data to merge: dataset_source {settings.dataset_source} holds no capture files.")
    folders: dict[Path, list[Path]] = {}
    for path in capture_files:
        folders.setdefault(path.parent, []).append(path)
    return _merge_folders(settings, folders)


def _transform_groups(settings: MergeSettings, staging: Path) -> dict[Path, list[Path]]:
    """Batch-transform files as capture records: output manifest folder -> the staged capture files of its
    ``.out`` files (each paired with its input file when input manifests are mounted)."""
    from sagewatch.capture._arrow import join_lines
    from sagewatch.capture.transform_records import transform_capture_lines
    from sagewatch.datasets.formats import parse_dataset_format
    from sagewatch.errors import DatasetError, DatasetFormatError, JobError
    from sagewatch.quality.merge import _read_bytes

    try:
        dataset_format = parse_dataset_format(settings.dataset_format or "")
    except DatasetFormatError as e:
        raise JobError(f"dataset_format: {e}") from e
    source = settings.dataset_source
    groups = sorted(p for p in source.glob("output/*/*/*/*/*") if p.is_dir())
    inputs = {p.relative_to(source / "input"): p for p in source.glob("input/*/*/*/*/*/**/*") if p.is_file()} \
        if (source / "input").is_dir() else None
    if not groups:
        raise JobError(f"No captured data to merge: dataset_source {source} holds no batch-transform output "
                       "manifest (output/yyyy/mm/dd/hh/<manifest>/).")
    folders: dict[Path, list[Path]] = {}
    for group in groups:
        staged = staging / group.relative_to(source)
        folders[group] = []
        for number, path in enumerate(_files(group)):
            relative = path.relative_to(source / "output")
            input_data = None
            if inputs is not None:
                input_path = _paired_input(relative, inputs)
                if input_path is None:
                    raise JobError(f"the transform output {relative.as_posix()} has no input file: no "
                                   f"{relative.with_suffix('').name if relative.suffix == '.out' else relative.name} "
                                   "in the input manifests of its hour (the features of model bias come from the "
                                   "input file of every .out file)")
                input_data = _read_bytes(input_path)
            try:
                records = transform_capture_lines(_read_bytes(path), input_data, dataset_format=dataset_format,
                                                  output_name=relative.as_posix(),
                                                  input_name=input_path.name if inputs is not None else "input")
            except DatasetError as e:
                raise JobError(f"cannot merge: {e}") from e
            staged.mkdir(parents=True, exist_ok=True)
            target = staged / f"{number:06d}.jsonl"
            with open(target, "wb") as out:
                out.write(memoryview(join_lines(records.lines)))
            folders[group].append(target)
    return folders


def _paired_input(output: Path, inputs: Mapping[Path, Path]) -> Path | None:
    """The input file of an output file ``yyyy/mm/dd/hh/<manifest>/<name>.out``: ``<name>`` in the input manifest
    of the same hour and name, else the one ``<name>`` of that hour in any input manifest."""
    name = output.relative_to(*output.parts[:5])
    name = name.with_name(name.name[:-4]) if name.name.endswith(".out") else name
    same = inputs.get(Path(*output.parts[:5]) / name)
    if same is not None:
        return same
    hour = output.parts[:4]
    found = [path for relative, path in inputs.items() if relative.parts[:4] == hour
             and Path(*relative.parts[5:]) == name]
    return found[0] if len(found) == 1 else None


def _merge_folders(settings: MergeSettings, folders: Mapping[Path, list[Path]]) -> MergeOutcome:
    import pyarrow as pa
    import pyarrow.compute as pc

    from sagewatch.errors import DatasetError, JobError
    from sagewatch.quality.merge import merge_ground_truth

    capture_files = [path for files in folders.values() for path in files]
    label_files = _files(settings.ground_truth_source)
    if settings.output_path.resolve().is_relative_to(settings.dataset_source.resolve()):
        raise JobError(f"output_path {settings.output_path} is inside dataset_source {settings.dataset_source}")
    where = settings.ground_truth_s3_uri or str(settings.ground_truth_source)
    results = {}
    try:
        for folder, files in folders.items():
            results[folder] = merge_ground_truth(files, label_files)
    except DatasetError as e:
        raise JobError(f"cannot merge: {e}") from e
    first = next(iter(results.values())).counts
    label_ids = [r.table.column("event_id") for r in results.values() if r.table.num_rows]
    matched_labels = len(pc.unique(pa.chunked_array(label_ids, pa.string()))) if label_ids else 0
    valid_labels = first.unmatched_labels + first.merged
    totals = {key: sum(getattr(r.counts, key) for r in results.values())
              for key in ("captures", "merged", "bad_capture_lines", "captures_without_id", "duplicate_capture_ids",
                          "unmatched_captures")}
    counts = {"captures": totals["captures"], "labels": first.labels, "merged": totals["merged"],
              "bad_capture_lines": totals["bad_capture_lines"], "captures_without_id": totals["captures_without_id"],
              "duplicate_capture_ids": totals["duplicate_capture_ids"], "bad_label_lines": first.bad_label_lines,
              "duplicate_label_ids": first.duplicate_label_ids, "unmatched_captures": totals["unmatched_captures"],
              "unmatched_labels": valid_labels - matched_labels}
    hours = [{"folder": folder.relative_to(settings.dataset_source).as_posix(), "files": len(folders[folder]),
              "captures": r.counts.captures, "merged": r.counts.merged} for folder, r in results.items()]
    report = {"merge_job": settings.job_name, "counts": counts, "capture_files": len(capture_files),
              "ground_truth_files": len(label_files), "hours": hours}
    seen = (f"{_plural(counts['captures'], 'captured record')} in {_plural(len(capture_files), 'file')} and "
            f"{_plural(counts['labels'], 'ground-truth record')} in {_plural(len(label_files), 'file')}")
    if counts["captures"] == 0:
        failure = f"No captured data to merge: the capture files hold no records ({seen})."
    elif valid_labels == 0:
        failure = (f"No ground truth to merge: no usable ground-truth record under {where} in the hour folders "
                   f"yyyy/mm/dd/hh read for this execution ({seen}"
                   + (f"; {counts['bad_label_lines']} unreadable ground-truth lines" if counts["bad_label_lines"]
                      else "") + ").")
    elif counts["merged"] == 0:
        failure = (f"Nothing to merge: none of the {_plural(counts['captures'], 'captured record')} matched any of "
                   f"the {_plural(valid_labels, 'ground-truth record')} under {where} (captures are matched on "
                   f"eventMetadata.inferenceId, else eventMetadata.eventId, to the label's eventMetadata.eventId; "
                   f"{seen})." + (
                       f" {_plural(counts['captures_without_id'], 'transform output record')} carried no inference "
                       "id: the transform job needs DataCaptureConfig.GenerateInferenceId true, so that its records "
                       "can be joined to ground truth." if settings.dataset_format and counts["captures_without_id"]
                       else ""))
    else:
        failure = None
    _write_outputs(settings, results, report)
    if failure:
        raise JobError(failure)
    message = (f"Completed: Merged {_plural(counts['merged'], 'record')} ({seen}; "
               f"{counts['unmatched_captures']} captures without a label, "
               f"{counts['unmatched_labels']} labels without a capture).")
    return MergeOutcome(message, report)


def _write_outputs(settings: MergeSettings, results: Mapping[Path, Any], report: Mapping[str, Any]) -> None:
    from sagewatch.errors import JobError
    from sagewatch.quality.merge import write_merged

    try:
        for folder, result in results.items():
            target = settings.output_path / folder.relative_to(settings.dataset_source)
            target.mkdir(parents=True, exist_ok=True)
            write_merged(result, target / f"{settings.job_name}.jsonl")
        reports = settings.output_path / REPORTS_FOLDER
        reports.mkdir(parents=True, exist_ok=True)
        (reports / f"{settings.job_name}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    except OSError as e:
        raise JobError(f"cannot write the merged records to output_path {settings.output_path}: "
                       f"{e.strerror or e}") from e


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the merge job; the message goes to ``/opt/ml/output/message``; exit 0, or 255 on failure."""
    import os

    from sagewatch.errors import SagewatchError
    from sagewatch.job.__main__ import _algorithm_error, _write_message
    from sagewatch.job.process import configure_process
    from sagewatch.job.spec import OptMlPaths

    env = dict(os.environ if environ is None else environ)
    configure_process()
    message_file = OptMlPaths.from_env(env).message_file
    try:
        message_file.unlink(missing_ok=True)
    except OSError:
        pass
    try:
        outcome = run_merge(merge_settings(env))
    except SagewatchError as e:
        print(f"sagewatch merge job failed: {e}", file=sys.stderr)
        _write_message(message_file, f"ClientError: {e}"[:1024], overwrite=False)
        return FAILURE_EXIT_CODE
    except BaseException as e:  # noqa: BLE001 - the container contract: any failure -> message + 255
        _write_message(message_file, _algorithm_error(e), overwrite=False)
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
        return FAILURE_EXIT_CODE
    _write_message(message_file, outcome.message, overwrite=True)
    print(outcome.message)
    return 0


if __name__ == "__main__":
    from sagewatch.process_exit import run_and_exit

    run_and_exit(main)
