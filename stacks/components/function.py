"""Lambda building blocks without Docker: the engine layer and a handler function with its own role and logs.

Both are plain folder assets (``lambda_.Code.from_asset``), so synthesis and deployment need no Docker:

- ``lambda/<name>/`` holds one thin ``handler.py`` (``def handler(event, context)``);
- ``lambda/layers/sagewatch/python/sagewatch`` is a committed relative symlink to ``src/sagewatch``; the asset
  follows it (``SymlinkFollowMode.ALWAYS``), so the layer zip holds ``python/sagewatch/...`` (the layout Lambda
  puts on ``sys.path``) built from the current source, minus the LocalStack plugin. The engine's third-party
  dependencies (numpy, scipy, pyarrow, ...) are not in it: LocalStack's host-process executor runs handlers on
  the project's interpreter, which has them; on AWS they come from ``engineLayerArns`` (context) when the engine
  runs inside the Lambda.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, SymlinkFollowMode
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

__all__ = ["LAMBDA_ROOT", "ENGINE_LAYER_ROOT", "RUNTIME", "EngineLayer", "HandlerFunction", "retention_days"]

LAMBDA_ROOT = Path(__file__).resolve().parents[2] / "lambda"
ENGINE_LAYER_ROOT = LAMBDA_ROOT / "layers" / "sagewatch"
RUNTIME = lambda_.Runtime.PYTHON_3_11  # the project's interpreter (pyproject: requires-python >=3.11)
_ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", "**/*.pyo", "**/.pytest_cache", "**/*.egg-info"]
_RETENTION = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS, 2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS, 3653: logs.RetentionDays.TEN_YEARS,
}


def retention_days(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


class EngineLayer(Construct):
    """The sagewatch package as a Lambda layer (``python/sagewatch``), built from the source tree."""

    def __init__(self, scope: Construct, construct_id: str, *, removal: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self, "Layer",
            code=lambda_.Code.from_asset(
                str(ENGINE_LAYER_ROOT), follow_symlinks=SymlinkFollowMode.ALWAYS,
                exclude=[*_ASSET_EXCLUDE, "python/sagewatch/localstack", "python/sagewatch/localstack/**"]),
            compatible_runtimes=[RUNTIME],
            description="sagewatch engine and Lambda glue (python/sagewatch), without third-party dependencies",
            removal_policy=removal,
        )


class HandlerFunction(Construct):
    """A Python handler from ``lambda/<folder>/handler.py`` with its own role, log group and retention."""

    def __init__(self, scope: Construct, construct_id: str, *, folder: str, description: str,
                 environment: dict[str, str], layers: list[lambda_.ILayerVersion], memory_mb: int = 256,
                 timeout_seconds: int = 60, log_retention_days: int = 30, removal: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        source = LAMBDA_ROOT / folder
        if not (source / "handler.py").is_file():
            raise ValueError(f"HandlerFunction.folder: lambda/{folder}/handler.py does not exist")
        self.log_group = logs.LogGroup(self, "Logs", retention=retention_days(log_retention_days),
                                       removal_policy=removal)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description=f"sagewatch {folder} Lambda")
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self, "Function",
            runtime=RUNTIME,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(source), exclude=_ASSET_EXCLUDE),
            layers=layers,
            environment=environment,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            description=description,
        )
        NagSuppressions.add_resource_suppressions(self.function, [NagPackSuppression(
            id="AwsSolutions-L1",
            reason="Pinned to Python 3.11, the project's interpreter: the engine layer and the LocalStack "
                   "host-process executor run the same version; a newer runtime is a deliberate upgrade.",
        )])
        NagSuppressions.add_resource_suppressions(self.role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Log streams of the function's own log group have generated names.",
            applies_to=[{"regex": "/^Resource::<.*Logs[0-9A-F]{8}\\.Arn>:\\*$/"}],
        )], apply_to_children=True)
