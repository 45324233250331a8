#!/usr/bin/env python3
"""The sagewatch CDK app: the only place that reads context and the environment.

    npx cdk synth                         # target local (LocalStack), the default
    npx cdk synth -c target=aws -c servingImageUri=<account>.dkr.ecr.<region>.amazonaws.com/sagewatch-serving:<tag>
    npx cdk synth -c monitoring=processing

Per-target settings live in ``cdk.json`` under ``context["sagewatch:targets"][<target>]``; the short context keys
of ``OVERRIDES`` replace single settings from the command line. ``python app.py`` on its own is equivalent to
``cdk synth`` (it reads ``cdk.json`` and ``cdk.context.json`` itself; values from the CLI take precedence), writes
to ``$CDK_OUTDIR`` or a temporary folder, and touches neither AWS nor the network.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.compose import SagewatchStacks, compose
from stacks.config import StageConfig
from stacks.config_readers import read_stage

ROOT = Path(__file__).resolve().parent
TARGETS_KEY = "sagewatch:targets"

# -c <key>=<value> -> a path inside the target block
OVERRIDES: dict[str, tuple[str, ...]] = {
    "account": ("account",),
    "region": ("region",),
    "projectName": ("projectName",),
    "servingImageUri": ("endpoint", "servingImageUri"),
    "modelDataUrl": ("endpoint", "modelDataUrl"),
    "endpointName": ("endpoint", "endpointName"),
    "samplingPercentage": ("endpoint", "capture", "samplingPercentage"),
    "monitoring": ("monitoring", "mode"),
    "scheduleExpression": ("monitoring", "scheduleExpression"),
    "analyzerImageUri": ("monitoring", "analyzerImageUri"),
    "clarifyImageUri": ("monitoring", "clarifyImageUri"),
    "runEngineInLambda": ("monitoring", "processing", "runEngineInLambda"),
    "modelQuality": ("monitoring", "modelQuality", "enabled"),
    "modelBias": ("monitoring", "modelBias", "enabled"),
    "modelExplainability": ("monitoring", "modelExplainability", "enabled"),
    "qualityMetrics": ("alarms", "qualityMetrics"),
    "biasMetrics": ("alarms", "biasMetrics"),
    "attributionFeatures": ("alarms", "attributionFeatures"),
    "alertEmails": ("alerts", "emails"),
    "retrainingAction": ("retraining", "action"),
    "trainingRoleArn": ("retraining", "trainingRoleArn"),
    "cloudWatchDashboard": ("cloudWatchDashboard", "enabled"),
}


def file_context(root: Path = ROOT) -> dict[str, Any]:
    """The context ``cdk synth`` would pass: ``cdk.json``'s ``context`` updated by ``cdk.context.json``."""
    context: dict[str, Any] = {}
    for name in ("cdk.json", "cdk.context.json"):
        path = root / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            context.update(data.get("context", {}) if name == "cdk.json" else data)
    return context


def stage_from_context(get: Any, environ: dict[str, str]) -> StageConfig:
    """Build the StageConfig from a context getter (``app.node.try_get_context``) and the environment.

    The account and region of target aws default to ``CDK_DEFAULT_ACCOUNT`` / ``CDK_DEFAULT_REGION``, which the
    CDK CLI sets from the credentials in use; without them the stacks are environment-agnostic.
    """
    target = str(get("target") or "local")
    targets = get(TARGETS_KEY) or {}
    if isinstance(targets, str):
        targets = json.loads(targets)
    block = copy.deepcopy(targets.get(target)) if isinstance(targets, dict) else None
    if isinstance(block, dict):
        for key, path in OVERRIDES.items():
            value = get(key)
            if value is not None:
                node = block
                for part in path[:-1]:
                    node = node.setdefault(part, {})
                node[path[-1]] = value
        if target == "aws":
            block["account"] = block.get("account") or environ.get("CDK_DEFAULT_ACCOUNT")
            block["region"] = block.get("region") or environ.get("CDK_DEFAULT_REGION")
    return read_stage(target, block, base_dir=ROOT)


def build(app: cdk.App, stage: StageConfig) -> SagewatchStacks:
    stacks = compose(app, stage)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stacks


def main() -> None:
    app = cdk.App(context=file_context())
    stage = stage_from_context(app.node.try_get_context, dict(os.environ))
    build(app, stage)
    app.synth()


if __name__ == "__main__":
    main()
