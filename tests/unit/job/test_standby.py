"""``python -m sagewatch.job.standby``: warm before its job, the analyzer's behaviour once told to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sagewatch

CSV = '{"csv": {"header": true}}'
SRC = str(Path(sagewatch.__file__).resolve().parents[1])


def _env(root: Path, **settings) -> dict[str, str]:
    (root / "in").mkdir(parents=True, exist_ok=True)
    (root / "in" / "d.csv").write_text("a\n1\n2\n")
    return {**os.environ, "PYTHONPATH": SRC, "SAGEWATCH_OPT_ML": str(root), "dataset_format": CSV,
            "dataset_source": "/opt/ml/in", "output_path": "/opt/ml/out", **settings}


def _run(module: str, root: Path, stdin: str, **settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module], input=stdin, cwd=root, env=_env(root, **settings),
                          capture_output=True, text=True, timeout=120)


def test_run_gives_what_the_cold_entry_point_gives(tmp_path):
    warm, cold = _run("sagewatch.job.standby", tmp_path / "warm", "run\n"), _run("sagewatch.job", tmp_path / "cold", "")
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout) == (
        0, "Completed: Job completed successfully with no violations.\n")
    for name in ("statistics.json", "constraints.json"):
        assert (tmp_path / "warm" / "out" / name).read_bytes() == (tmp_path / "cold" / "out" / name).read_bytes()
    assert (tmp_path / "warm" / "output" / "message").read_text() == "Completed: Job completed successfully with no " \
                                                                     "violations."


def test_a_failing_job_fails_as_it_does_cold(tmp_path):
    done = _run("sagewatch.job.standby", tmp_path, "run\n", dataset_source="/opt/ml/missing")
    assert done.returncode == 255
    assert (tmp_path / "output" / "message").read_text().startswith("ClientError: ")


def test_end_of_input_leaves_without_running_the_job(tmp_path):
    for stdin in ("", "stop\n"):
        done = _run("sagewatch.job.standby", tmp_path, stdin)
        assert (done.returncode, done.stdout) == (0, "")
        assert not (tmp_path / "output").exists() and not (tmp_path / "out").exists()


def test_it_imports_what_a_data_quality_job_needs_before_it_is_told_to_run():
    code = ("import sys; from sagewatch.job.standby import warm_up; warm_up(); "
            "print(sorted({'numpy', 'pyarrow', 'scipy', 'pandas'} - set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert done.stdout.strip() == "[]"


def test_a_data_quality_job_does_not_import_the_other_analyses():
    code = ("import sys; from sagewatch.job.analyses import get_analysis; get_analysis(None); "
            "print(sorted({'sklearn', 'sagewatch.job.analyses.model_quality', 'sagewatch.job.analyses.model_bias',"
            " 'sagewatch.job.analyses.model_explainability'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert done.stdout.strip() == "[]"
