"""``python -m sagewatch.job``: the Model Monitor analyzer container's entry point (contract §4)."""

from __future__ import annotations

import sys
import traceback

from sagewatch.errors import SagewatchError
from sagewatch.job.process import configure_process
from sagewatch.job.run import run_job
from sagewatch.job.spec import OptMlPaths, parse_job_spec

FAILURE_EXIT_CODE = 255


def _write_message(path, text: str, *, overwrite: bool) -> None:
    try:
        if path.exists() and not overwrite:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        print(f"sagewatch: cannot write {path}: {e}", file=sys.stderr)


def main(environ=None) -> int:
    import os
    env = dict(os.environ if environ is None else environ)
    configure_process()
    paths = OptMlPaths.from_env(env)
    try:  # a message left by an earlier run in the same folder must not stand for this run
        paths.message_file.unlink(missing_ok=True)
    except OSError:
        pass
    try:
        spec = parse_job_spec(env)
        outcome = run_job(spec)
    except SagewatchError as e:
        message = f"ClientError: {e}"
        print(f"sagewatch job failed: {e}", file=sys.stderr)
        _write_message(paths.message_file, message[:1024], overwrite=False)
        return FAILURE_EXIT_CODE
    except Exception as e:  # noqa: BLE001 - the container contract: any failure -> message + 255
        traceback.print_exc()
        _write_message(paths.message_file, f"AlgorithmError: {type(e).__name__}: {e}"[:1024], overwrite=False)
        return FAILURE_EXIT_CODE
    _write_message(paths.message_file, outcome.message, overwrite=True)
    print(outcome.message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
