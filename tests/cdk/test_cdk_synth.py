"""Synthesis needs no AWS credentials and no network, and gives the same output twice (style rule 8).

``python app.py`` is ``cdk synth`` without the CLI: it reads cdk.json and cdk.context.json itself. It runs here
with an environment that holds nothing of the caller's: no credentials, no profile, no proxy, a fresh HOME.
"""

import filecmp
import json
import subprocess
import sys

import pytest

from sw_cdkhelpers import ANALYZER_IMAGE, ROOT, SCRUBBED_ENV, SERVING_IMAGE

CLI = ROOT / "node_modules" / ".bin" / "cdk"
STACK_FILES = ("Storage.template.json", "Endpoint.template.json", "Monitoring.template.json", "manifest.json")


def _env(tmp_path, **extra):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**SCRUBBED_ENV, "HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **extra}


def _synth(tmp_path, name, context=None):
    out = tmp_path / name
    env = _env(tmp_path, CDK_OUTDIR=str(out))
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)  # what the CLI passes for -c key=value
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def _same_tree(left, right):
    comparison = filecmp.dircmp(left, right)
    pending, different = [comparison], []
    while pending:
        current = pending.pop()
        different += [f"{current.left}/{n}" for n in current.diff_files + current.left_only + current.right_only]
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        different += mismatch + errors
        pending += current.subdirs.values()
    return different


CONTEXTS = {"local": None, "aws": {"target": "aws", "servingImageUri": SERVING_IMAGE,
                                     "monitoring": "processing", "analyzerImageUri": ANALYZER_IMAGE}}


@pytest.fixture(scope="module", params=sorted(CONTEXTS))
def two_syntheses(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(f"synth-{request.param}")
    return tmp_path, _synth(tmp_path, "first", CONTEXTS[request.param]), _synth(tmp_path, "second",
                                                                              CONTEXTS[request.param])


def test_synthesis_without_credentials_is_deterministic(two_syntheses):
    _, first, second = two_syntheses
    for name in STACK_FILES:
        assert (first / name).is_file(), name
    assert _same_tree(first, second) == []
    assets = sorted(p.name for p in first.iterdir() if p.name.startswith("asset."))
    assert len(assets) >= 2  # the engine layer and at least one handler
    assert not [p for p in first.rglob("__pycache__")]


def test_templates_hold_no_path_of_this_machine(two_syntheses):
    tmp_path, first, _ = two_syntheses
    for name in STACK_FILES:
        text = (first / name).read_text(encoding="utf-8")
        assert str(ROOT) not in text and str(tmp_path) not in text, name


def test_a_bad_context_value_fails_synthesis_with_the_prop_name(tmp_path):
    env = _env(tmp_path, CDK_OUTDIR=str(tmp_path / "bad"),
               CDK_CONTEXT_JSON=json.dumps({"samplingPercentage": "250"}))
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "CaptureProps.sampling_percentage (context endpoint.capture.samplingPercentage)" in done.stderr


def test_cdk_cli_synth_works_offline(tmp_path):
    """``npx cdk synth`` with the CLI pinned in package.json (installed by ``make cdk-install``)."""
    assert CLI.exists(), "the CDK CLI is not installed: run `make cdk-install` (npm ci)"
    out = tmp_path / "cli"
    done = subprocess.run([str(CLI), "synth", "--quiet", "--no-notices", "-o", str(out), "-c", "target=aws",
                           "-c", f"servingImageUri={SERVING_IMAGE}"],
                          cwd=ROOT, env=_env(tmp_path, CDK_DISABLE_VERSION_CHECK="true"), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    for name in STACK_FILES:
        assert (out / name).is_file(), name
    storage = json.loads((out / "Storage.template.json").read_text())
    assert storage["Resources"]["CapturesBucket"]["DeletionPolicy"] == "Retain"
