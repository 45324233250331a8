"""Shared helpers of the CDK tests: the repository's context, stages and synthesized apps (built once)."""

from __future__ import annotations

import copy
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # app.py and stacks/ live at the repository root, outside the installed package
    sys.path.insert(0, str(ROOT))

import aws_cdk as cdk  # noqa: E402

import app as cdk_app  # noqa: E402
from stacks.compose import SagewatchStacks  # noqa: E402
from stacks.config import StageConfig  # noqa: E402

# Example values for the aws target, whose account-specific settings cdk.json leaves empty on purpose.
ACCOUNT = "111122223333"
REGION = "us-east-1"
SERVING_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sagewatch-serving:3f2c1ab"
ANALYZER_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sagewatch-analyzer:3f2c1ab"
AWS_OVERRIDES = {"servingImageUri": SERVING_IMAGE}
# what the e2e test passes to `cdk deploy` to add the model-quality monitor and an alarm on its f2
MODEL_QUALITY_OVERRIDES = {
    "modelQuality": "true",
    "qualityMetrics": '[{"metricName": "f2", "threshold": 0.625, "comparison": "LessThanThreshold"}]'}

# Environment for subprocesses that synthesize: nothing of the caller's (no credentials, no profile, no proxy),
# only what node and Python need to start. Node 20 is past its end of life for jsii, which then prints a banner.
SCRUBBED_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_CLI_TELEMETRY": "1",
}


def file_context() -> dict[str, Any]:
    return cdk_app.file_context(ROOT)


def target_block(target: str) -> dict[str, Any]:
    return copy.deepcopy(file_context()["sagewatch:targets"][target])


def stage_for(target: str = "local", *, overrides: dict[str, Any] | None = None,
              edit: Any = None, environ: dict[str, str] | None = None) -> StageConfig:
    """The StageConfig app.py would build for ``-c target=<target>`` plus ``-c`` overrides; ``edit(block)`` may
    change the target block first (for settings without a short override key)."""
    context = file_context()
    context["target"] = target
    if edit is not None:
        block = copy.deepcopy(context["sagewatch:targets"][target])
        edit(block)
        context["sagewatch:targets"] = {**context["sagewatch:targets"], target: block}
    context.update(overrides or {})
    return cdk_app.stage_from_context(context.get, environ or {})


@functools.lru_cache(maxsize=None)
def synthesized(name: str) -> tuple[cdk.App, SagewatchStacks]:
    """One app per named stage, built once per test session (with the cdk-nag aspect, as app.py adds it)."""
    stage = STAGES[name]()
    app = cdk.App(context={k: v for k, v in file_context().items() if k.startswith("@aws-cdk")})
    stacks = cdk_app.build(app, stage)
    return app, stacks


def _all_monitors(block: dict[str, Any]) -> None:
    m = block["monitoring"]
    m["modelQuality"] = {"enabled": True, "problemType": "BinaryClassification",
                         "baselineConstraintsUri": "baselines/model-quality/constraints.json",
                         "inferenceAttribute": "0", "probabilityAttribute": "1", "probabilityThreshold": 0.5,
                         "groundTruthPrefix": "ground-truth", "startTimeOffset": "-P1D", "endTimeOffset": "-PT1H"}
    m["modelBias"] = {"enabled": True, "analysisConfigUri": "baselines/model-bias/analysis_config.json",
                      "baselineConstraintsUri": "baselines/model-bias/analysis.json",
                      "featuresAttribute": "features", "inferenceAttribute": "0", "probabilityThreshold": 0.5}
    m["modelExplainability"] = {"enabled": True,
                                "analysisConfigUri": "baselines/model-explainability/analysis_config.json",
                                "baselineConstraintsUri": "baselines/model-explainability/analysis.json",
                                "featuresAttribute": "features", "inferenceAttribute": "0"}
    block["alarms"]["qualityMetrics"] = [{"metricName": "f2", "threshold": 0.625,
                                          "comparison": "LessThanOrEqualToThreshold"}]


def _ab_test(block: dict[str, Any]) -> None:
    block["endpoint"]["variants"] = [
        {"name": "Champion", "weight": 0.9, "instanceType": "ml.m5.large", "instanceCount": 2},
        {"name": "Challenger", "weight": 0.1, "instanceType": "ml.m5.large", "instanceCount": 1,
         "modelDataUrl": "s3://model-registry-bucket/churn/v2/model.tar.gz"},
    ]
    block["alerts"]["emails"] = ["ml-oncall@example.com"]
    block["retraining"] = {"action": "start-pipeline:churn-retraining"}


# what the e2e test passes to `cdk deploy` to add the bias and explainability monitors and alarms on their metrics
CLARIFY_OVERRIDES = {
    "modelBias": "true", "modelExplainability": "true",
    "biasMetrics": '[{"metricName": "DPPL", "facet": "support_calls", "facetValue": "0,1", "threshold": 0.3}]',
    "attributionFeatures": '[{"feature": "monthly_charges", "threshold": 0.4}]'}

STAGES = {
    "local": lambda: stage_for("local"),
    "aws": lambda: stage_for("aws", overrides=AWS_OVERRIDES),
    "local-processing": lambda: stage_for("local", overrides={"monitoring": "processing"}),
    "aws-processing": lambda: stage_for("aws", overrides={**AWS_OVERRIDES, "monitoring": "processing",
                                                          "analyzerImageUri": ANALYZER_IMAGE},
                                        environ={"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": REGION}),
    "aws-all-monitors": lambda: stage_for("aws", overrides=AWS_OVERRIDES, edit=_all_monitors,
                                          environ={"CDK_DEFAULT_REGION": REGION}),
    "aws-ab-test": lambda: stage_for("aws", overrides=AWS_OVERRIDES, edit=_ab_test),
    "local-all-monitors": lambda: stage_for("local", edit=_all_monitors),
    "local-model-quality": lambda: stage_for("local", overrides=MODEL_QUALITY_OVERRIDES),
    "local-clarify": lambda: stage_for("local", overrides=CLARIFY_OVERRIDES),
    "aws-clarify": lambda: stage_for("aws", overrides={**AWS_OVERRIDES, **CLARIFY_OVERRIDES}),
    "local-processing-model-quality": lambda: stage_for("local", overrides={"monitoring": "processing",
                                                                             **MODEL_QUALITY_OVERRIDES}),
}


def templates_of(name: str) -> dict[str, dict[str, Any]]:
    """The synthesized CloudFormation templates of a stage, by stack id."""
    app, stacks = synthesized(name)
    assembly = app.synth()
    return {stack.node.id: json.loads(json.dumps(assembly.get_stack_artifact(stack.artifact_id).template))
            for stack in (stacks.storage, stacks.endpoint, stacks.monitoring)}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}
