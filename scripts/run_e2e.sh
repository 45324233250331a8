#!/usr/bin/env bash
# Run the end-to-end tests (tests/e2e, marker e2e) against LocalStack with the sagewatch plugin.
#
# Uses the instance of the state folder if it already runs; otherwise starts one for the tests and stops it
# afterwards, whatever the tests' outcome. Settings come from the environment:
#   PYTHON                      interpreter with sagewatch[localstack] installed (default: python)
#   SAGEWATCH_LOCALSTACK_PORT   gateway port (default 4566)
#   SAGEWATCH_LOCALSTACK_DIR    state folder (default .localstack in the working directory)
# Extra arguments go to pytest, e.g. scripts/run_e2e.sh -k runtime -x
set -euo pipefail

python=${PYTHON:-python}
port=${SAGEWATCH_LOCALSTACK_PORT:-4566}
started=0

stop() {
    if [ "$started" = 1 ]; then
        "$python" -m sagewatch.localstack down --port "$port"
    fi
}
trap stop EXIT

if ! "$python" -m sagewatch.localstack status --port "$port" >/dev/null; then
    "$python" -m sagewatch.localstack up --port "$port"
    started=1
fi

SAGEWATCH_ENDPOINT_URL="http://127.0.0.1:$port" "$python" -m pytest -m e2e tests/e2e "$@"
