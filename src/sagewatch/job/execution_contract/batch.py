"""Batch-transform inputs: what the jobs of a ``BatchTransformInput`` execution read (contract §1.4, §4.2, §12).

A batch transform with data capture writes **manifests**, not copies of its data:
``<DataCapturedDestinationS3Uri>/input/yyyy/mm/dd/hh/<name>`` names the transform's input files and
``.../output/yyyy/mm/dd/hh/<name>`` its ``.out`` files (:class:`~sagewatch.job.execution_contract.plan.
BatchManifestFile`). A manifest is exactly what a processing job's ``S3DataType: ManifestFile`` input takes
(``[{"prefix": "s3://..."}, "file", ...]``), so every manifest of the window becomes one ``ManifestFile`` input
(:func:`manifest_inputs`) and the job gets the files themselves, at ``<local root>/<input|output>/yyyy/mm/dd/hh/
<manifest name>/<file>``; nothing is copied in S3 (sagewatch's choice: the contract names no staging step).

- data quality and model explainability read the transform's **input** files (the features), with
  ``dataset_format`` from ``BatchTransformInput.DatasetFormat`` (:func:`batch_dataset_format`) and
  ``dataset_source`` the ``LocalPath``;
- model quality and model bias first run the ground-truth merge job on the **output** files (model bias: and the
  input files, for the features), which joins every output record to its label by the inference id that
  ``GenerateInferenceId`` appended (:mod:`sagewatch.job.merge`); the analysis then reads the merged records as it
  does for endpoints.

Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.job.execution_contract.constants import BATCH_INPUT_FOLDER, BATCH_OUTPUT_FOLDER
from sagewatch.job.execution_contract.plan import BatchManifestFile, ExecutionPlan, _s3_input

__all__ = ["batch_dataset_format", "manifest_inputs", "BATCH_FORMAT_KEYS"]

# BatchTransformInput.DatasetFormat (the API's MonitoringDatasetFormat) -> the analyzer's dataset_format (§4.2)
BATCH_FORMAT_KEYS: Mapping[str, tuple[str, str | None, str | None]] = {
    "Csv": ("csv", "Header", "header"),
    "Json": ("json", "Line", "line"),
    "Parquet": ("parquet", None, None),
}


def batch_dataset_format(dataset_format: Mapping[str, Any]) -> str:
    """The ``dataset_format`` environment value of ``BatchTransformInput.DatasetFormat`` (contract §4.2:
    ``{"csv":{"header":true|false}}``, ``{"json":{"line":true|false}}``, ``{"parquet":{}}``).

    The API's spelling (``{"Csv": {"Header": false}}``) and the analyzer's (``{"csv": {"header": false}}``) are
    both read; ``Header`` defaults to false and ``Line`` to true when absent.

    Raises
    ------
    InvalidParameterError
        If the format names none or more than one of ``Csv``, ``Json`` and ``Parquet``, or a flag is not a boolean.

    Examples
    --------
    >>> batch_dataset_format({"Csv": {"Header": True}})
    '{"csv":{"header":true}}'
    >>> batch_dataset_format({"json": {}}), batch_dataset_format({"Parquet": {}})
    ('{"json":{"line":true}}', '{"parquet":{}}')
    """
    if not isinstance(dataset_format, Mapping):
        raise InvalidParameterError("BatchTransformInput.DatasetFormat must be an object such as "
                                    '{"Csv": {"Header": false}}, {"Json": {"Line": true}} or {"Parquet": {}}')
    found = [(api, dataset_format[key]) for api in BATCH_FORMAT_KEYS for key in (api, api.lower())
             if key in dataset_format]
    if len(found) != 1:
        raise InvalidParameterError(
            "BatchTransformInput.DatasetFormat must name exactly one of Csv, Json and Parquet, got "
            f"{json.dumps(dataset_format, sort_keys=True, default=str)}")
    api, options = found[0]
    name, flag, key = BATCH_FORMAT_KEYS[api]
    options = options or {}
    if not isinstance(options, Mapping):
        raise InvalidParameterError(f"BatchTransformInput.DatasetFormat.{api} must be an object")
    if flag is None:
        return json.dumps({name: {}}, separators=(",", ":"))
    value = next((options[k] for k in (flag, key, "lines") if k in options), name == "json")
    if not isinstance(value, bool):
        raise InvalidParameterError(f"BatchTransformInput.DatasetFormat.{api}.{flag} must be true or false, "
                                    f"got {value!r}")
    return json.dumps({name: {key: value}}, separators=(",", ":"))


def manifest_inputs(plan: ExecutionPlan, local_root: str, *, kinds: tuple[str, ...] = (BATCH_INPUT_FOLDER,)
                    ) -> list[dict[str, Any]]:
    """One ``ManifestFile`` input per manifest of *kinds* (``input``, ``output``) in ``plan.batch_manifests``, named
    ``<kind>_manifest_<n>`` and mounted at ``<local_root>/<kind>/yyyy/mm/dd/hh/<manifest name>``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from sagewatch.job.execution_contract.window import AnalysisWindow
    >>> hour = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    >>> plan = ExecutionPlan("DataQuality", "j", "", "s", hour, AnalysisWindow(hour, hour), (), "s3://b/out", {}, {},
    ...     "r", batch_dataset_format='{"csv":{"header":false}}', batch_manifests=(
    ...     BatchManifestFile("input", hour, "s3://b/cap/input/2024/05/01/10/t.jsonl"),
    ...     BatchManifestFile("output", hour, "s3://b/cap/output/2024/05/01/10/t.jsonl")))
    >>> [(i["InputName"], i["S3Input"]["LocalPath"], i["S3Input"]["S3DataType"]) for i in manifest_inputs(plan, "/d")]
    [('input_manifest_1', '/d/input/2024/05/01/10/t', 'ManifestFile')]
    """
    for kind in kinds:
        if kind not in (BATCH_INPUT_FOLDER, BATCH_OUTPUT_FOLDER):
            raise InvalidParameterError(f"a manifest kind is {BATCH_INPUT_FOLDER!r} or {BATCH_OUTPUT_FOLDER!r}, "
                                        f"not {kind!r}")
    inputs = []
    for kind in kinds:
        manifests: list[BatchManifestFile] = [m for m in plan.batch_manifests if m.kind == kind]
        inputs += [_s3_input(f"{kind}_manifest_{number}", manifest.s3_uri,
                             f"{local_root.rstrip('/')}/{manifest.folder}", plan.input_mode, plan.input_distribution,
                             data_type="ManifestFile")
                   for number, manifest in enumerate(manifests, 1)]
    return inputs
