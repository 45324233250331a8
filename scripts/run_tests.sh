#!/usr/bin/env bash
# Run the whole test suite: unit, property, contract and integration tests, then the e2e tests
# against LocalStack with the sagewatch plugin: an instance already running for this checkout is used and
# left running; otherwise one is started for the tests and always stopped (also on Ctrl-C).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${SAGEWATCH_LOCALSTACK_PORT:-4566}"
export SAGEWATCH_ENDPOINT_URL="${SAGEWATCH_ENDPOINT_URL:-http://127.0.0.1:${PORT}}"
# short capture-file roll and metric intervals so the e2e tests do not wait a minute for S3/CloudWatch
export SAGEWATCH_CAPTURE_ROLL_SECONDS="${SAGEWATCH_CAPTURE_ROLL_SECONDS:-2}"
export SAGEWATCH_METRICS_INTERVAL="${SAGEWATCH_METRICS_INTERVAL:-2}"
# jsii (aws-cdk-lib) prints a banner on every synthesis because Node 20 is past its end of life
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

"$PY" -m pytest -m "not e2e" -q -p no:cacheprovider --durations=15
unit_status=$?

e2e_status=0
stop_started() { "$PY" -m sagewatch.localstack down --port "$PORT" || true; }
if "$PY" -m sagewatch.localstack status --port "$PORT" >/dev/null 2>&1; then
  echo "run_tests: using the LocalStack already running on port $PORT (left running afterwards)"
  "$PY" -m pytest -m e2e -q -p no:cacheprovider --durations=25 || e2e_status=$?
# an instance started for the tests neither restores nor saves the emulator's durable state: the suite starts
# from an empty emulator and leaves the state of the user's own runs (`make up`) as it was
elif SAGEWATCH_DURABLE_STATE=0 "$PY" -m sagewatch.localstack up --port "$PORT" --timeout 180; then
  trap stop_started EXIT
  "$PY" -m pytest -m e2e -q -p no:cacheprovider --durations=25 || e2e_status=$?
else
  echo "run_tests: LocalStack did not start; the e2e tests cannot run" >&2
  e2e_status=1
fi

if [ "$unit_status" -ne 0 ] || [ "$e2e_status" -ne 0 ]; then
  echo "run_tests: FAILED (unit/integration exit $unit_status, e2e exit $e2e_status)" >&2
  exit 1
fi
echo "run_tests: all tests passed"
