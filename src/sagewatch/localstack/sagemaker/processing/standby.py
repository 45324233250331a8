"""The analyzer's interpreter started while a job's inputs download (:mod:`sagewatch.job.standby`).

A job whose command is the built-in analyzer (``<python> -m sagewatch.job``) gets a standby process as
soon as its folder and configuration are written: ``<python> -m sagewatch.job.standby``, in the job's
folder with the job's environment, imports numpy, pyarrow, pandas and scipy (about a second) while the
runner downloads the inputs, then waits. Once the inputs are in place, :func:`hand_over` tells it to run,
and it runs the analyzer exactly as a cold ``python -m sagewatch.job`` would; no job code runs before its
inputs are complete, as in SageMaker. A job that ends before (a failed download, a stop) dismisses it.
``SAGEWATCH_WARM_ANALYZER=0`` starts every job cold.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from sagewatch.job.standby import RUN

__all__ = ["standby_command", "start_standby", "hand_over", "dismiss"]


def standby_command() -> list[str]:
    """``[<this python>, "-m", "sagewatch.job.standby"]``."""
    return [sys.executable, "-m", "sagewatch.job.standby"]


def start_standby(cwd: Path, environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start a standby analyzer in the job's folder with the job's environment."""
    return subprocess.Popen(  # noqa: S603 - this interpreter, the analyzer's own module
        standby_command(), cwd=cwd, env=dict(environment), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def hand_over(process: subprocess.Popen[bytes]) -> bool:
    """Tell a waiting standby to run its job; False (and the standby ended) when it is gone."""
    if process.poll() is not None or process.stdin is None:
        dismiss(process)
        return False
    try:
        process.stdin.write(f"{RUN}\n".encode())
        process.stdin.close()
    except OSError:  # it died in the meantime
        dismiss(process)
        return False
    return True


def dismiss(process: subprocess.Popen[bytes]) -> None:
    """End a standby that will not run its job (it has read and written nothing)."""
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
