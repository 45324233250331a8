"""``python -m sagewatch.job.standby``: the analyzer, started before its inputs are complete.

A runner that knows a job's command, folder and environment before the job's inputs are in place (the
emulator's processing runner, while it downloads them) may start this module in the job's folder with the
job's environment. It imports what a data-quality job needs (numpy, pyarrow, pandas, pydantic,
scipy.stats: about a second of such a job's run), then waits for one line on standard input:

- ``run``: it runs the analyzer exactly as ``python -m sagewatch.job`` would (same message file, same exit
  status);
- end of input (or anything else): it leaves with status 0, having read no input and written nothing.

No job code runs before the runner says ``run``, so the inputs are complete when the analyzer reads them,
as in SageMaker.
"""

from __future__ import annotations

import sys

__all__ = ["RUN", "warm_up", "main"]

RUN = "run"
"""The line that starts the job."""


def warm_up() -> None:
    """Import the modules a data-quality job uses, as it would on its way."""
    from sagewatch.job import __main__  # noqa: F401 - numpy, pyarrow, pydantic, the job dispatcher
    from sagewatch.job.analyses import get_analysis

    get_analysis("DATA_QUALITY")
    import sagewatch.drift  # noqa: F401 - scipy.stats, for the drift measures of every monitoring report
    try:
        import pandas  # noqa: F401 - pyarrow imports it on its first to_numpy()
    except ImportError:
        pass


def main() -> int | None:
    """Warm up, wait for ``run``, run the analyzer; see the module notes."""
    warm_up()
    if sys.stdin.readline().strip() != RUN:
        return 0
    from sagewatch.job.__main__ import main as analyze

    return analyze()


if __name__ == "__main__":
    from sagewatch.process_exit import run_and_exit

    run_and_exit(main)
