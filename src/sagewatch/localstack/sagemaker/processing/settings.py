"""Settings of sagewatch's processing jobs and monitoring schedules, read once from ``SAGEWATCH_*`` variables.

=========================================  =========  ===========================================================
Variable                                   Default    Meaning
=========================================  =========  ===========================================================
``SAGEWATCH_PROCESSING_DIR``               see right  Folder of the per-job ``/opt/ml`` stand-ins; default
                                                      ``sagewatch-processing`` in LocalStack's tmp folder (under
                                                      the state folder)
``SAGEWATCH_IMAGE_MAP``                    (none)     Extra images run as local commands
                                                      (:mod:`~sagewatch.localstack.sagemaker.processing.images`)
``SAGEWATCH_CONTINUOUS_UPLOAD_SECONDS``    2          Upload period of ``S3UploadMode: Continuous`` outputs
``SAGEWATCH_STOP_GRACE_SECONDS``           5          SIGTERM to SIGKILL grace when a job is stopped or times out
``SAGEWATCH_KEEP_JOB_INPUTS``              0          1 keeps downloaded inputs after a job ends (they are
                                                      deleted by default; config, message and log stay)
``SAGEWATCH_SCHEDULE_START_DELAY_SECONDS``  60        How long after its scheduled time an execution starts
                                                      (SageMaker starts them 0–20 minutes after the hour)
``SAGEWATCH_WARM_ANALYZER``                1          1 starts the analyzer's interpreter while a job's inputs
                                                      download (:mod:`~sagewatch.localstack.sagemaker.processing.
                                                      standby`); 0 starts it once they are in place
=========================================  =========  ===========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sagewatch.localstack.sagemaker.processing.images import ImageError, ImageMap

__all__ = ["ProcessingSettings"]


def _float(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(minimum, float(raw))
    except ValueError:
        return default


@dataclass(frozen=True)
class ProcessingSettings:
    """Settings of the processing-job runner and the schedule scheduler.

    Examples
    --------
    >>> ProcessingSettings.from_environ({"SAGEWATCH_SCHEDULE_START_DELAY_SECONDS": "5"}).schedule_start_delay
    5.0
    """

    work_root: Path | None = None
    image_map: ImageMap = field(default_factory=ImageMap)
    image_map_error: str | None = None
    continuous_upload_seconds: float = 2.0
    stop_grace_seconds: float = 5.0
    keep_inputs: bool = False
    schedule_start_delay: float = 60.0
    scheduler_tick: float = 1.0
    warm_analyzer: bool = True

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ProcessingSettings:
        env = os.environ if environ is None else environ
        try:
            image_map, image_map_error = ImageMap.from_environ(env), None
        except ImageError as error:  # reported in the FailureReason of jobs that need the map
            image_map, image_map_error = ImageMap(), str(error)
        root = env.get("SAGEWATCH_PROCESSING_DIR", "").strip()
        return cls(
            work_root=Path(root).expanduser().absolute() if root else None,
            image_map=image_map,
            image_map_error=image_map_error,
            continuous_upload_seconds=_float(env, "SAGEWATCH_CONTINUOUS_UPLOAD_SECONDS", 2.0, 0.2),
            stop_grace_seconds=_float(env, "SAGEWATCH_STOP_GRACE_SECONDS", 5.0, 0.0),
            keep_inputs=env.get("SAGEWATCH_KEEP_JOB_INPUTS", "").strip().lower() in ("1", "true", "yes"),
            schedule_start_delay=_float(env, "SAGEWATCH_SCHEDULE_START_DELAY_SECONDS", 60.0, 0.0),
            warm_analyzer=env.get("SAGEWATCH_WARM_ANALYZER", "1").strip().lower() not in ("0", "false", "no"),
        )

    def job_root(self) -> Path:
        """The folder holding every job's ``/opt/ml`` stand-in."""
        if self.work_root is not None:
            return self.work_root
        from localstack import config

        return Path(config.dirs.tmp) / "sagewatch-processing"
