"""Helpers for running the processing-job entry point as a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

CSV_FORMAT = '{"csv": {"header": true, "output_columns_position": "START"}}'


def run_job_process(opt_ml: Path, environment: dict[str, str], *, config: dict | None = None,
                    timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m sagewatch.job`` as the container would, with /opt/ml relocated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("dataset_", "baseline_", "output_"))}
    env["SAGEWATCH_OPT_ML"] = str(opt_ml)
    if config is not None:
        (opt_ml / "config").mkdir(parents=True, exist_ok=True)
        (opt_ml / "config" / "processingjobconfig.json").write_text(json.dumps(config))
    env.update(environment)
    return subprocess.run([sys.executable, "-m", "sagewatch.job"], env=env, capture_output=True, text=True,
                          timeout=timeout)
