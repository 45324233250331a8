"""docs/clarify.md documents every feature-attribution setting, shap key and output file."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
SECTION = (ROOT / "docs" / "clarify.md").read_text(encoding="utf-8").split("## Feature attribution\n", 1)[1]


@pytest.mark.parametrize("name", [
    "analysis_config", "sagewatch_model", "sagewatch_explainer", "sagewatch_attribution_threshold",
    "baseline", "num_clusters", "num_samples", "seed", "use_logit", "agg_method", "save_local_shap_values",
    "features_to_explain", "label_headers", "text_config", "image_config",
    "kernel_shap", "tree_shap", "analysis.json", "explanations_shap/out.csv", "constraint_violations.json",
    "sagewatch_report.json", "sagewatch_attribution.html", "missing_feature_value",
])
def test_the_feature_attribution_section_names(name):
    assert f"`{name}`" in SECTION, name


def test_every_sagewatch_setting_of_the_job_is_in_the_section():
    from sagewatch.job.spec import RESERVED_KEYS
    for key in sorted(k for k in RESERVED_KEYS if k.startswith("sagewatch_") or k == "analysis_config"):
        assert f"`{key}`" in SECTION, key
