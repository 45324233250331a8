# sagewatch: the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sagewatch-installed
LOCALSTACK_PORT ?= 4566
export SAGEWATCH_LOCALSTACK_PORT := $(LOCALSTACK_PORT)
export SAGEWATCH_ENDPOINT_URL ?= http://127.0.0.1:$(LOCALSTACK_PORT)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: install cdk-install demo test test-unit up down status reset bench clean

# Everything from the repository's own files: the package with LocalStack's pins (pyproject.toml,
# constraints.txt), the CDK libraries and cfn-lint (requirements.txt), the CDK CLI (package-lock.json).
$(STAMP): pyproject.toml constraints.txt requirements.txt package.json package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip setuptools wheel
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,s3,localstack]' -r requirements.txt
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/sagewatch demo --workdir demo-output

# The whole suite: LocalStack with the sagewatch plugin is started for the e2e tests and always stopped.
test: install
	bash scripts/run_tests.sh

test-unit: install
	$(PY) -m pytest -m "not e2e" -q

up: install
	$(VENV)/bin/sagewatch local up --port $(LOCALSTACK_PORT)

down: install
	$(VENV)/bin/sagewatch local down

status: install
	$(VENV)/bin/sagewatch local status

# forgets the emulator's saved state; refuses while it runs (`make down` first)
reset: install
	$(VENV)/bin/sagewatch local reset

bench: install
	$(PY) benchmarks/bench_data_quality.py

clean:
	rm -rf demo-output .pytest_cache benchmarks/.work

# kept for docs/deploy.md: the CDK kit's tools are part of `make install`
cdk-install: install
