"""The container images' entry points parse and run in the project environment (no Docker needed).

Each Dockerfile's exec-form ENTRYPOINT (+ CMD) is run as a subprocess with ``python`` replaced by this interpreter
and ``/opt/ml`` relocated by ``SAGEWATCH_OPT_ML``, as the container would run it.
"""

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from sw_cdkhelpers import ROOT

ANALYZER = ROOT / "containers" / "analyzer" / "Dockerfile"
SERVING = ROOT / "containers" / "serving" / "Dockerfile"


def parse_dockerfile(path):
    """Instruction -> list of arguments (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    instructions = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        instructions.setdefault(keyword.upper(), []).append(rest.strip())
    return instructions


def exec_form(instructions, keyword):
    values = instructions.get(keyword, [])
    assert len(values) == 1, f"{keyword} must appear once, got {values}"
    parsed = json.loads(values[0])  # exec form: a JSON array of strings
    assert isinstance(parsed, list) and all(isinstance(p, str) for p in parsed), parsed
    return parsed


def host_command(argv):
    assert argv[0] in ("python", "python3"), argv
    return [sys.executable, *argv[1:]]


def _dockerignore_keeps(dockerfile, *paths):
    ignore = dockerfile.with_name("Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [r.strip() for r in ignore if r.strip() and not r.startswith("#")]
    for path in paths:
        assert f"!{path}" in rules or f"!{path}/" in rules, f"{path} is not sent to the build context"


def test_analyzer_dockerfile_shape():
    instructions = parse_dockerfile(ANALYZER)
    assert instructions["FROM"] == ["python:3.11-slim"]
    assert exec_form(instructions, "ENTRYPOINT") == ["python", "-m", "sagewatch.job"]
    assert "CMD" not in instructions
    copied = [c.split()[:-1] for c in instructions["COPY"]]
    assert sorted(p for group in copied for p in group) == ["README.md", "pyproject.toml", "src"]
    for source in ("README.md", "pyproject.toml", "src"):
        assert (ROOT / source).exists()
    _dockerignore_keeps(ANALYZER, "pyproject.toml", "README.md", "src")
    assert any(r.startswith("pip install .") for r in instructions["RUN"])


def _run_analyzer(opt_ml, environment):
    argv = host_command(exec_form(parse_dockerfile(ANALYZER), "ENTRYPOINT"))
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SAGEWATCH_OPT_ML": str(opt_ml), **environment}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


def test_analyzer_entry_point_baselines_then_monitors(tmp_path):
    opt_ml = tmp_path / "opt-ml"
    data = opt_ml / "processing" / "input" / "data"
    data.mkdir(parents=True)
    rows = ["age,plan,charges"] + [f"{20 + i % 40},{'basic' if i % 3 else 'pro'},{10.0 + i % 7}" for i in range(200)]
    (data / "train.csv").write_text("\n".join(rows) + "\n")
    done = _run_analyzer(opt_ml, {"dataset_format": '{"csv": {"header": true}}',
                                  "dataset_source": "/opt/ml/processing/input/data",
                                  "output_path": "/opt/ml/processing/baseline"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert (opt_ml / "output" / "message").read_text() == "Completed: Job completed successfully with no violations."
    baseline = opt_ml / "processing" / "baseline"
    assert {"statistics.json", "constraints.json"} <= {p.name for p in baseline.iterdir()}

    current = opt_ml / "processing" / "input" / "current"
    current.mkdir(parents=True)
    drifted = ["age,plan,charges"] + [f"{70 + i % 5},gold,{'n/a' if i % 2 else 99.0}" for i in range(200)]
    (current / "today.csv").write_text("\n".join(drifted) + "\n")
    done = _run_analyzer(opt_ml, {"dataset_format": '{"csv": {"header": true}}',
                                  "dataset_source": "/opt/ml/processing/input/current",
                                  "output_path": "/opt/ml/processing/output",
                                  "baseline_constraints": "/opt/ml/processing/baseline/constraints.json",
                                  "baseline_statistics": "/opt/ml/processing/baseline/statistics.json"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert (opt_ml / "output" / "message").read_text().startswith("CompletedWithViolations: ")
    assert (opt_ml / "processing" / "output" / "constraint_violations.json").is_file()


def test_analyzer_entry_point_fails_with_exit_255_and_a_message(tmp_path):
    opt_ml = tmp_path / "opt-ml"
    done = _run_analyzer(opt_ml, {"dataset_format": "{not json", "dataset_source": "/opt/ml/processing/input/x",
                                  "output_path": "/opt/ml/processing/output"})
    assert done.returncode == 255
    assert (opt_ml / "output" / "message").read_text().startswith("ClientError: dataset_format is not valid JSON")


# --- containers/serving (another engineer's image; checked the same way when it exists) --------------------

needs_serving = pytest.mark.skipif(not SERVING.exists(), reason="containers/serving/Dockerfile does not exist")


@needs_serving
def test_serving_dockerfile_shape():
    instructions = parse_dockerfile(SERVING)
    assert instructions["FROM"] == ["python:3.11-slim"]
    assert exec_form(instructions, "ENTRYPOINT") == ["python", "-m", "sagewatch.serving"]
    assert exec_form(instructions, "CMD") == ["serve"]
    _dockerignore_keeps(SERVING, "pyproject.toml", "README.md", "src")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_serving
def test_serving_entry_point_answers_ping_and_invocations(tmp_path):
    joblib = pytest.importorskip("joblib")
    from sklearn.linear_model import LogisticRegression

    model_dir = tmp_path / "opt-ml" / "model"
    model_dir.mkdir(parents=True)
    joblib.dump(LogisticRegression().fit([[0, 0], [1, 1], [0, 1], [1, 0]], [0, 1, 0, 1]), model_dir / "model.joblib")
    instructions = parse_dockerfile(SERVING)
    argv = host_command(exec_form(instructions, "ENTRYPOINT") + exec_form(instructions, "CMD"))
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SAGEWATCH_OPT_ML": str(tmp_path / "opt-ml"),
           "SAGEWATCH_SERVING_HOST": "127.0.0.1", "SAGEMAKER_BIND_TO_PORT": str(port)}
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as answer:
                    status = answer.status
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        assert status == 200, f"no 200 from /ping (exit {server.poll()})"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=b"1,1\n0,0",
                                         headers={"Content-Type": "text/csv", "Accept": "text/csv"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
            assert answer.read().decode().split() == ["1", "0"]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
