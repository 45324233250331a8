"""Every file format has its home in ``sagewatch.schemas`` and can be read without numpy or sketches."""

from __future__ import annotations

import subprocess
import sys

import pytest

READERS = ["sagewatch.schemas.statistics_model", "sagewatch.schemas.constraints_model", "sagewatch.schemas.report",
           "sagewatch.schemas.capture", "sagewatch.schemas.ground_truth", "sagewatch.schemas.metric_lines",
           "sagewatch.schemas.s3_uri", "sagewatch.schemas.dataset_format_model"]


@pytest.mark.parametrize("module", READERS)
def test_format_module_imports_no_numpy_pyarrow_or_sketches(module):
    code = (f"import sys, {module}; heavy = sorted(m for m in ('numpy', 'pyarrow', 'datasketches', 'scipy') "
            "if m in sys.modules); print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{module} pulls in {done.stdout.strip()}"


def test_report_reader_reads_what_the_engine_writes(tmp_path):
    import pyarrow as pa

    from sagewatch.profile.dataset import profile_table
    from sagewatch.report.extra import drift_report_document
    from sagewatch.schemas.report import check_report

    profile = profile_table(pa.table({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]}))
    document = drift_report_document(profile, profile, None, {"bad_json": 2})
    report = check_report(document)
    assert report.dataset.item_count == 3 and report.dataset.skipped_total == 2
    assert list(document)[:3] == ["version", "generator", "dataset"]
    with pytest.raises(Exception, match="dataset.item_count"):
        check_report(document | {"dataset": {"item_count": -1}})
