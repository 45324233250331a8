"""ClarifyAnalysisConfig: a Clarify monitor's ``analysis_config.json`` in S3 (the job definition's ``ConfigUri``).

The kit writes a built config (:class:`~stacks.config.BiasAnalysisProps`, :class:`~stacks.config.ShapAnalysisProps`)
at synthesis and uploads it, or a user's local file, as a file asset of the stack (``cdk deploy`` puts it in the
bootstrap bucket; no custom resource, which LocalStack's community CloudFormation does not run). An
``analysisConfigUri`` is used as it is. The monitoring role may read exactly that object.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from aws_cdk import Stage
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from stacks.components.endpoint import grant_s3_read, s3_uri
from stacks.config import AnalysisConfigSource, BiasAnalysisProps, ShapAnalysisProps

__all__ = ["ClarifyAnalysisConfig", "bias_config_document", "shap_config_document", "CONFIG_FOLDER"]

CONFIG_FOLDER = "sagewatch-analysis-configs"  # inside the cloud assembly folder (cdk.out)


def bias_config_document(props: BiasAnalysisProps) -> dict[str, Any]:
    """The SDK's ``BiasAnalysisConfig`` (``BiasConfig.get_config()`` + ``headers`` + ``label``, contract §7.2)
    with the ``methods`` of each bias stage.

    >>> from stacks.config import BiasFacetProps
    >>> bias_config_document(BiasAnalysisProps(headers=("x", "y"), label="y", label_values_or_threshold=(1,),
    ...     facets=(BiasFacetProps("x", (0,)),), post_training_methods=None))
    {'label_values_or_threshold': [1], 'facet': [{'name_or_index': 'x', 'value_or_threshold': [0]}], 'headers': ['x', 'y'], 'label': 'y', 'methods': {'pre_training_bias': {'methods': 'all'}}}
    """
    facets = []
    for facet in props.facets:
        entry: dict[str, Any] = {"name_or_index": facet.name_or_index}
        if facet.value_or_threshold is not None:
            entry["value_or_threshold"] = list(facet.value_or_threshold)
        facets.append(entry)
    document: dict[str, Any] = {"label_values_or_threshold": list(props.label_values_or_threshold), "facet": facets}
    if props.group_variable is not None:
        document["group_variable"] = props.group_variable
    document["headers"] = list(props.headers)
    document["label"] = props.label
    methods: dict[str, Any] = {}
    for stage, value in (("pre_training_bias", props.pre_training_methods),
                         ("post_training_bias", props.post_training_methods)):
        if value is not None:
            methods[stage] = {"methods": value if isinstance(value, str) else list(value)}
    document["methods"] = methods
    return document


def shap_config_document(props: ShapAnalysisProps, *, model_name: str) -> dict[str, Any]:
    """The SDK's ``ExplainabilityAnalysisConfig`` (``methods.shap``, ``predictor``, ``headers``; contract §7.2):
    Clarify explains ``model_name`` through a shadow endpoint of ``instance_type`` x ``initial_instance_count``."""
    shap: dict[str, Any] = {}
    if isinstance(props.baseline, tuple):
        shap["baseline"] = [list(row) for row in props.baseline]
    elif props.baseline is not None:
        shap["baseline"] = f"s3://{props.baseline.bucket}/{props.baseline.key}"
    if props.num_clusters is not None:
        shap["num_clusters"] = props.num_clusters
    shap.update({"num_samples": props.num_samples, "agg_method": props.agg_method, "use_logit": props.use_logit,
                 "save_local_shap_values": props.save_local_shap_values})
    if props.seed is not None:
        shap["seed"] = props.seed
    predictor: dict[str, Any] = {"model_name": model_name, "instance_type": props.instance_type,
                                 "initial_instance_count": props.initial_instance_count,
                                 "content_type": props.content_type, "accept_type": props.accept_type}
    if props.label_headers is not None:
        predictor["label_headers"] = list(props.label_headers)
    return {"methods": {"shap": shap}, "predictor": predictor, "headers": list(props.headers)}


class ClarifyAnalysisConfig(Construct):
    """``uri``: where the job definition finds the config; ``fingerprint``: what changes with its content (part of
    the job definition's name, since a definition is replaced, never updated)."""

    def __init__(self, scope: Construct, construct_id: str, *, source: AnalysisConfigSource, baselines: s3.IBucket,
                 role: iam.IGrantable, model_name: str | None = None) -> None:
        super().__init__(scope, construct_id)
        self.asset: s3_assets.Asset | None = None
        if source.uri is not None:
            self.uri = s3_uri(source.uri, baselines)
            self.fingerprint = self.uri if source.uri.bucket else f"baselines/{source.uri.key}"
            grant_s3_read(self, "Object", role, source.uri, baselines)
            return
        if source.file is not None:
            path = Path(source.file)
        else:
            built = source.built
            if isinstance(built, BiasAnalysisProps):
                document = bias_config_document(built)
            elif isinstance(built, ShapAnalysisProps):
                if model_name is None:
                    raise ValueError(f"{self.node.path}: an explainability config built by the kit needs the "
                                     "endpoint's model name")
                document = shap_config_document(built, model_name=model_name)
            else:
                raise ValueError(f"{self.node.path}: AnalysisConfigSource has none of built, file, uri")
            path = _write(Path(Stage.of(self).outdir), document)
        self.asset = s3_assets.Asset(self, "File", path=str(path))
        self.uri = self.asset.s3_object_url
        self.fingerprint = self.asset.asset_hash
        self.asset.bucket.grant_read(role, self.asset.s3_object_key)


def _write(outdir: Path, document: dict[str, Any]) -> Path:
    """``analysis_config.json`` as the SDK writes it (``json.dumps``), in a folder named by its content."""
    text = json.dumps(document)
    folder = outdir / CONFIG_FOLDER / hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "analysis_config.json"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
